# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: lock_session_release_error
short_description: What to say when a lock could not be given back
version_added: 0.2.0
description:
  - Given the result of a M(oracle_comms.provisioning.config_lock) or M(oracle_comms.provisioning.device_lock) release
    that failed (C(ansible_failed_result) in a C(rescue:) section), returns the message the role
    R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    fails with. It starts C(THE SBC LOCK WAS NOT GIVEN BACK) (or C(SDM)), says how many attempts were made and
    the module's own words.
  - Only when the module says the lease record keeps the lock (RV(oracle_comms.provisioning.config_lock#module:lease_kept)),
    it adds who gives it back when the run ends and how to free it sooner.
  - ansible-core counts one attempt fewer than it made once C(retries) ran out; the count here is the attempts made.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
positional: target, retries
options:
  _input:
    description: The failed release's result.
    type: dict
    required: true
  target:
    description: Which lock.
    type: str
    required: true
    choices: [sbc, sdm]
  retries:
    description: The C(retries) of the release task.
    type: int
    required: true
'''

EXAMPLES = r'''
- name: Give the lock back
  block:
    - name: Release
      oracle_comms.provisioning.config_lock:
        state: unlocked
      register: released
      retries: 3
      delay: 5
      until: released is succeeded or not (released.retryable | default(false))
  rescue:
    - name: Report a lock that could not be given back
      ansible.builtin.fail:
        msg: "{{ ansible_failed_result | oracle_comms.provisioning.lock_session_release_error('sbc', 3) }}"
'''

RETURN = r'''
_value:
  description: The message, one line.
  type: str
'''

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._filter import ansible_filter
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import LockSessionError, release_error

lock_session_release_error = ansible_filter(release_error, LockSessionError)


class FilterModule(object):
    """``oracle_comms.provisioning.lock_session_release_error``."""

    def filters(self):
        return {'lock_session_release_error': lock_session_release_error}
