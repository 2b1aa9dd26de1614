# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: lease
short_description: What the tasks under a lock of this run need, with an SBC token valid when it is used
version_added: 0.1.0
description:
  - Reads the lease record of a lock this run holds, as named by the RV(oracle_comms.provisioning.config_lock#module:lease_file)
    result of M(oracle_comms.provisioning.config_lock), and returns what tasks that change the configuration under that lock need.
  - For the SBC, the token is re-authenticated first when less than half of its life is left, by the keeper
    process that watches the run (see O(oracle_comms.provisioning.config_lock#module:release_on_exit)), so the token is
    valid when the task that asked for it uses it, however long the session has lasted.
  - Templated lazily (for example in C(vars)), every use reads the lease again. The role
    R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role) gives
    its result to the wrapped tasks as the variable C(lock_session_lock).
  - Fails once the lock is released (also when given an empty path), when the lease belongs to another run, or when
    the inventory host asking is not one of the hosts of this run that took or joined the lock.
  - In check mode, where the lock task took nothing, it answers with C(check_mode) V(true) and empty C(token) and
    C(base_url) instead, so that the tasks still template; tasks that need the device skip on C(check_mode).
  - Reads only a lease file of this collection, in a lease directory that belongs to the user and that nobody else
    can write; it never changes the directory or renames a file.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
options:
  _terms:
    description: Path of the lease record (RV(oracle_comms.provisioning.config_lock#module:lease_file)).
    required: true
    type: list
    elements: path
  wait:
    description: Seconds to wait for the keeper to re-authenticate a token past half its life.
    type: float
    default: 10
notes:
  - The token is a secret. Tasks that send it should set C(no_log=true); never print it.
'''

EXAMPLES = r'''
- name: Lock the configuration
  oracle_comms.provisioning.config_lock:
  register: sbc_lock

- name: Add a realm under the lock
  vars:
    sbc: "{{ lookup('oracle_comms.provisioning.lease', sbc_lock.lease_file) }}"
  ansible.builtin.uri:
    url: "{{ sbc.base_url }}/configuration/configElements"
    method: POST
    headers:
      Authorization: "Bearer {{ sbc.token }}"
    body_format: raw
    body: "<configElement><elementType>realm-config</elementType></configElement>"
  no_log: true
'''

RETURN = r'''
_raw:
  description: One dictionary per lease.
  type: list
  elements: dict
  contains:
    check_mode:
      description: V(true) when the run is in check mode and the lock task took nothing; C(token) and C(base_url) are then empty.
      type: bool
      version_added: 0.2.0
    product:
      description: V(sbc) or V(sdm).
      type: str
    endpoint:
      description: The device, as C(host:port).
      type: str
    base_url:
      description: The REST API base, with the API version in use.
      type: str
      sample: https://sbc1.example.net:443/rest/v1.2
    resource:
      description: What is locked (V(configuration), or C(device:ID) on an SDM).
      type: str
    user:
      description: The user that holds the lock.
      type: str
    token:
      description: For the SBC, the token that holds the lock, valid now. A secret.
      type: str
    expires_at:
      description: For the SBC, when that token expires (UTC, ISO 8601).
      type: str
    expires_in:
      description: For the SBC, seconds left before that token expires.
      type: int
'''

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lease_view import lease_view
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Run


class LookupModule(LookupBase):
    """``lookup('oracle_comms.provisioning.lease', lease_file)``."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        run = Run.current()
        views = []
        for term in terms:
            try:
                views.append(lease_view(str(term), run, member=str((variables or {}).get('inventory_hostname') or ''),
                                        wait=self.get_option('wait'), check_mode=bool((variables or {}).get('ansible_check_mode'))))
            except OracleError as exc:
                # never the token: the message names the lease file and the run only
                raise AnsibleError('%s (reason: %s)' % (exc.msg, exc.reason))
        return views
