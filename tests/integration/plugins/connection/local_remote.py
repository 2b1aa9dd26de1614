# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test double: the local connection under another transport name.

The lock action plugins run in-process for the controller and execute the real module only on a host
that is *not* the controller. A play that delegates to a host using this connection takes that second
path (AnsiballZ, a new interpreter, the module's own ``main()``) without needing an SSH server.
"""

from __future__ import annotations

DOCUMENTATION = '''
name: local_remote
short_description: the local connection, presented as a remote one (tests only)
description:
  - Runs commands on the controller like ansible.builtin.local, but is not recognised as local.
author: Contributors to the oracle_comms.provisioning collection
extends_documentation_fragment:
  - connection_pipelining
'''

from ansible.plugins.connection.local import Connection as LocalConnection


class Connection(LocalConnection):
    transport = 'local_remote'
