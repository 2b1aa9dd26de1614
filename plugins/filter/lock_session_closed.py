# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: lock_session_closed
short_description: The open lock sessions of a host, without one that ended
version_added: 0.2.0
description:
  - Given the open sessions of a host (records of the
    P(oracle_comms.provisioning.lock_session_opened#filter) filter), returns them without the session O(session), matched by
    its C(id). With V({}) for O(session), returns them unchanged.
  - The role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    closes a session this way once its release has run.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
positional: session
options:
  _input:
    description: The open sessions of the host, innermost last.
    type: list
    elements: dict
    required: true
  session:
    description: The record of the session that ended, or V({}).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Close the innermost SDM session
  vars:
    closing: "{{ sessions | oracle_comms.provisioning.lock_session_innermost('sdm') }}"
  ansible.builtin.set_fact:
    sessions: "{{ sessions | oracle_comms.provisioning.lock_session_closed(closing) }}"
'''

RETURN = r'''
_value:
  description: The open sessions left.
  type: list
  elements: dict
'''

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._filter import ansible_filter
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import LockSessionError, close_session

lock_session_closed = ansible_filter(close_session, LockSessionError)


class FilterModule(object):
    """``oracle_comms.provisioning.lock_session_closed``."""

    def filters(self):
        return {'lock_session_closed': lock_session_closed}
