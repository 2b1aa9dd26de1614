#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: config_lock
short_description: Take or give back the configuration lock of an Oracle SBC
version_added: 0.1.0
description:
  - Acquires or releases the configuration lock of an Oracle Session Border Controller (also E-SBC, SLB and
    Enterprise Communications Broker) through its REST API, so that changes can be made under it.
  - The SBC ties the lock to the token that took it and cannot say who holds it. This module remembers in a
    lease record which run holds the lock with which token, so later tasks of the same run need no token,
    C(changed) is true only when the lock state really changed, and two runs on one controller never share it.
  - While the lock is held, C(state=locked) re-authenticates the token when less than half of its life is left,
    the documented way; the lock follows the new token.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SBC
  - oracle_comms.provisioning.lock
  - oracle_comms.provisioning.lease
options:
  token:
    description:
      - A token this caller already holds, for example one an earlier C(config_lock) task returned.
      - Without it, the module uses the token of the lock this run holds (from the lease record), or authenticates.
    type: str
  token_lifetime:
    description:
      - Seconds an SBC token lives. Oracle documents ten minutes; the device does not say.
      - If not set, the environment variable E(SBC_TOKEN_LIFETIME) is used.
    type: float
    default: 600
  return_token:
    description:
      - Whether the result carries RV(token) while the lock is held.
      - Ansible cannot hide one key of a result, so a result that carries the token is shown censored as a whole,
        at every verbosity (holder, diff and all); use C(register) to read it.
      - The default keeps the token out of the result, and the result visible. Tasks under the lock get a token
        that is valid when they use it from the P(oracle_comms.provisioning.lease#lookup) lookup of RV(lease_file)
        (the role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
        does this for them).
    type: bool
    default: false
attributes:
  action:
    support: full
    description: Runs in-process on the controller through its action plugin.
  action_group:
    support: full
    description: Use C(group/oracle_comms.provisioning.GROUP) in C(module_defaults) to set options for the whole group.
    membership:
      - oracle_comms.provisioning.sbc
seealso:
  - name: Oracle SBC REST API, Lock the configuration
    description: The Oracle documentation of the lock and unlock calls.
    link: https://docs.oracle.com/en/industries/communications/session-border-controller/
'''

EXAMPLES = r'''
- name: Take the configuration lock, waiting up to five minutes for another user to finish
  oracle_comms.provisioning.config_lock:
    host: sbc1.example.net
    username: admin
    password: "{{ sbc_password }}"
    ca_path: /etc/pki/oracle/sbc-ca.pem
    wait_timeout: 300

- name: Make changes here; later tasks of this run find the lock's token themselves
  ansible.builtin.debug:
    msg: provisioning under the lock

- name: Give the lock back
  oracle_comms.provisioning.config_lock:
    host: sbc1.example.net
    username: admin
    password: "{{ sbc_password }}"
    ca_path: /etc/pki/oracle/sbc-ca.pem
    state: unlocked

- name: Same, with the connection set once for the whole play
  module_defaults:
    group/oracle_comms.provisioning.sbc:
      host: sbc1.example.net
      username: admin
      password: "{{ sbc_password }}"
  block:
    - name: Lock
      oracle_comms.provisioning.config_lock:
      register: sbc_lock

    - name: Use a token of the lock for your own REST call (valid when used, never printed)
      vars:
        sbc: "{{ lookup('oracle_comms.provisioning.lease', sbc_lock.lease_file) }}"
      ansible.builtin.uri:
        url: "{{ sbc.base_url }}/configuration/configElements?elementType=realm-config"
        headers:
          Authorization: "Bearer {{ sbc.token }}"
      no_log: true

    - name: Or have the token in the result (the whole result is then shown censored)
      oracle_comms.provisioning.config_lock:
        return_token: true
      register: sbc_lock_with_token

  always:
    - name: Unlock, whatever happened
      oracle_comms.provisioning.config_lock:
        state: unlocked
'''

RETURN = r'''
holders:
  description:
    - The inventory hosts of this run that hold the lock after the task. Hosts of one run that lock the same
      SBC share the lock; it is given back on the device when the last of them releases it.
  returned: when this run holds the lock after the task
  type: list
  elements: str
  sample: [sbc-east-1, sbc-east-2]
endpoint:
  description: The device the task spoke to, as C(host:port) in its canonical spelling (the name the lease record keeps).
  returned: always
  type: str
  sample: sbc1.example.net:443
  version_added: 0.2.0
locked:
  description: Whether this run holds the lock after the task.
  returned: always
  type: bool
  sample: true
taken:
  description:
    - Whether the inventory host of the task holds the lock because of this task; V(false) when it held it already
      (a second O(state=locked) of the same host, or a session nested in another). The role
      R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role) gives back
      only what its session took.
  returned: when O(state=locked) and this run holds the lock after the task
  type: bool
  sample: true
  version_added: 0.2.0
lease_kept:
  description:
    - V(true) when a release failed (network, server error) and the lease record still keeps the lock, for the keeper
      or a later release to give back.
  returned: on a failed release
  type: bool
  sample: true
  version_added: 0.2.0
holder:
  description:
    - Who holds the lock after the task, as far as this controller can know
      (V(us), V(other run), V(another user or session), V(nobody) or V(unknown)).
  returned: always
  type: str
  sample: us
token:
  description:
    - The token that holds the lock. The result that carries it is censored in the output.
  returned: when the lock is held by this run and O(return_token=true)
  type: str
expires_at:
  description: When the token that holds the lock expires (UTC, ISO 8601).
  returned: when the lock is held by this run
  type: str
  sample: '2026-11-24T12:30:00Z'
lease_file:
  description:
    - Where the lease record of the lock is kept. The P(oracle_comms.provisioning.lease#lookup) lookup reads it
      to give later tasks a token that is valid when they use it.
    - In check mode, where the lease would be; the lookup then answers for a check run.
  returned: when the lock is held by this run, or would be in check mode
  type: str
  sample: /home/ops/.ansible/oracle_comms/leases/sbc_sbc1.example.net_443_configuration-5f2c7e1a9b.json
base_url:
  description: The REST API base of the SBC, with the API version in use.
  returned: when the lock is held by this run
  type: str
  sample: https://sbc1.example.net:443/rest/v1.2
waited:
  description: Seconds spent waiting for another holder.
  returned: always
  type: float
  sample: 0.0
attempts:
  description: How many times the lock was asked for.
  returned: always
  type: int
  sample: 1
reason:
  description: Why the task failed, as one machine-readable word (see the notes).
  returned: on failure
  type: str
  sample: lock_held
retryable:
  description:
    - Whether trying again later may succeed (V(true) for the reasons V(network), V(server_error) and V(bad_response);
      the answer was lost or the device was not well). The role retries a failing release on it.
  returned: on failure
  type: bool
  sample: false
diff:
  description: The holder before and after.
  returned: in diff mode
  type: dict
  sample: {"before": {"holder": "nobody"}, "after": {"holder": "us"}}
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SBC_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_lock import main_body
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(SBC_SPEC, main_body)


if __name__ == '__main__':
    main()
