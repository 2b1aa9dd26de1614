# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: lock_session_innermost
short_description: The innermost open lock session of one target, the one its release closes
version_added: 0.2.0
description:
  - Given the open sessions of a host (records of the
    P(oracle_comms.provisioning.lock_session_opened#filter) filter, innermost last), returns the innermost one that holds
    the lock O(target) names, or V({}) when none does.
  - The role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    gives back what that session took, on the device it took it on.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
positional: target
options:
  _input:
    description: The open sessions of the host, innermost last.
    type: list
    elements: dict
    required: true
  target:
    description: Which lock.
    type: str
    required: true
    choices: [sbc, sdm]
'''

EXAMPLES = r'''
- name: The SDM session a release closes
  ansible.builtin.debug:
    msg: "{{ sessions | default([]) | oracle_comms.provisioning.lock_session_innermost('sdm') }}"
'''

RETURN = r'''
_value:
  description: The session record, or V({}).
  type: dict
'''

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._filter import ansible_filter
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import LockSessionError, innermost_session

lock_session_innermost = ansible_filter(innermost_session, LockSessionError)


class FilterModule(object):
    """``oracle_comms.provisioning.lock_session_innermost``."""

    def filters(self):
        return {'lock_session_innermost': lock_session_innermost}
