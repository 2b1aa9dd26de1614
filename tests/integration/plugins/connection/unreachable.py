# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test double: a host that cannot be reached, as an SSH host whose network went away.

Every connection attempt fails with AnsibleConnectionFailure, which Ansible reports as UNREACHABLE and
which removes the host from the rest of the play (``always:`` included), exactly as a dead SSH host.
"""

from __future__ import annotations

DOCUMENTATION = '''
name: unreachable
short_description: a connection that always fails as unreachable (tests only)
description:
  - Raises AnsibleConnectionFailure on connect, like an SSH host that does not answer.
author: Contributors to the oracle_comms.provisioning collection
'''

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection import ConnectionBase


class Connection(ConnectionBase):
    transport = 'unreachable'
    has_pipelining = False

    def _connect(self):
        raise AnsibleConnectionFailure('Failed to connect to the host via ssh: connect to host %s port 22: No route to host'
                                       % self._play_context.remote_addr)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        self._connect()

    def put_file(self, in_path, out_path):
        self._connect()

    def fetch_file(self, in_path, out_path):
        self._connect()

    def close(self):
        self._connected = False
