# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: session_lock
short_description: What the tasks of the innermost open lock session need, with an SBC token valid when it is used
version_added: 0.2.0
description:
  - The role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    gives its result to the wrapped tasks as the variable C(lock_session_lock). Templated lazily (as a role variable),
    every use answers again.
  - It describes the innermost open session of the host, of either lock (sessions nest), from O(stack), the records of the
    P(oracle_comms.provisioning.lock_session_opened#filter) filter. With no open session, an empty one of O(target).
  - For the SBC, the answer of the P(oracle_comms.provisioning.lease#lookup) lookup for the session's lease, with a token
    valid now; it fails once the lock is released ("no lock is held by this run"), as that lookup does. For the SDM,
    C(device_ids), the devices held.
  - In check mode, where nothing was taken, C(check_mode) is V(true) and C(token) and C(base_url) are empty strings, so that
    tasks still template; tasks that need the device skip on C(check_mode).
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
options:
  stack:
    description: The open sessions of the host, innermost last.
    type: list
    elements: dict
    default: []
  target:
    description: The lock of the session asking, for an answer when no session is open.
    type: str
    default: sbc
    choices: [sbc, sdm]
notes:
  - The token is a secret. Tasks that send it should set C(no_log=true); never print it.
'''

EXAMPLES = r'''
- name: Call the SBC under the lock of the innermost session
  vars:
    sbc: "{{ lookup('oracle_comms.provisioning.session_lock', stack=sessions, target='sbc') }}"
  ansible.builtin.uri:
    url: "{{ sbc.base_url }}/configuration/configElements?elementType=realm-config"
    headers:
      Authorization: "Bearer {{ sbc.token }}"
  no_log: true
'''

RETURN = r'''
_raw:
  description: One dictionary, the answer of the P(oracle_comms.provisioning.lease#lookup) lookup for an SBC session, and these.
  type: list
  elements: dict
  contains:
    target:
      description: V(sbc) or V(sdm).
      type: str
    check_mode:
      description: V(true) when the run is in check mode and nothing was taken; C(token) and C(base_url) are then empty.
      type: bool
    device_ids:
      description: For the SDM, the devices the session holds.
      type: list
      elements: str
    token:
      description: For the SBC, the token that holds the lock, valid now. A secret.
      type: str
    base_url:
      description: For the SBC, the REST API base, with the API version in use.
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
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Run
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lease_view import lease_view
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import LockSessionError, session_lock


class LookupModule(LookupBase):
    """``lookup('oracle_comms.provisioning.session_lock', stack=..., target=...)``."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        check_mode = bool(variables.get('ansible_check_mode'))

        def read_lease(path):
            # as the lease lookup reads it: this run, this inventory host among the holders
            return lease_view(str(path), Run.current(), member=str(variables.get('inventory_hostname') or ''))

        try:
            return [session_lock(self.get_option('stack'), self.get_option('target'), check_mode, read_lease)]
        except OracleError as exc:
            # never the token: the message names the lease file and the run only
            raise AnsibleError('%s (reason: %s)' % (exc.msg, exc.reason))
        except LockSessionError as exc:
            raise AnsibleError(str(exc))
