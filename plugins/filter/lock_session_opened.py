# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: lock_session_opened
short_description: The open lock sessions of a host, with the one a lock task just opened
version_added: 0.2.0
description:
  - The role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    keeps the open sessions of each host as a list of records, innermost last, because sessions nest.
    This filter returns that list with the record of a session whose lock task answered O(take) added last.
  - The record says where the lock was taken (C(endpoint), where the release goes), which tasks file the session runs
    (C(file)) and what it took. For the SBC, C(lease_file) and C(taken) (false when this host held the lock already, in an
    enclosing session); for the SDM, C(device_ids) and C(taken_ids). Each record has an C(id) no other open session has.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
positional: take, target, tasks_file
options:
  _input:
    description: The open sessions of the host, innermost last (V([]) for none).
    type: list
    elements: dict
    required: true
  take:
    description:
      - The registered result of the session's M(oracle_comms.provisioning.config_lock) task (for V(sbc)) or
        M(oracle_comms.provisioning.device_lock) task (for V(sdm)) that took the lock.
    type: dict
    required: true
  target:
    description: Which lock the session holds.
    type: str
    required: true
    choices: [sbc, sdm]
  tasks_file:
    description: The tasks file the session runs (V('') for none).
    type: str
    default: ''
'''

EXAMPLES = r'''
- name: Take the configuration lock
  oracle_comms.provisioning.config_lock:
    state: locked
  register: sbc_take

- name: Open the session
  ansible.builtin.set_fact:
    sessions: "{{ sessions | default([]) | oracle_comms.provisioning.lock_session_opened(sbc_take, 'sbc') }}"
  when: sbc_take.locked
'''

RETURN = r'''
_value:
  description: The open sessions, the new one last.
  type: list
  elements: dict
'''

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._filter import ansible_filter
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import LockSessionError, open_session

lock_session_opened = ansible_filter(open_session, LockSessionError)


class FilterModule(object):
    """``oracle_comms.provisioning.lock_session_opened``."""

    def filters(self):
        return {'lock_session_opened': lock_session_opened}
