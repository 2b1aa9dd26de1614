#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: config_commit
short_description: Save, verify and activate the configuration of an Oracle SBC under the configuration lock
version_added: 0.2.0
description:
  - Runs the SBC's save, verify and activate (any of them, always in Oracle's order save, verify, activate), each
    waited for through the SBC's asynchronous status, under the configuration lock this run already holds on that SBC.
  - A step the SBC reports as failed fails the task with the SBC's own failure text, wherever in its status it puts it
    (reason V(config_failed)); a step still running when O(async_timeout) runs out fails it with reason V(timed_out).
  - With O(only_if_changed) it does nothing unless a P(oracle_comms.provisioning.config_element#module) task of this run
    changed the configuration under the current lock since the last activation, so a re-run reports no change.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SBC
  - oracle_comms.provisioning.lease
  - oracle_comms.provisioning.sbc_config
options:
  steps:
    description:
      - Which steps to run; they always run in the order save, verify, activate, whatever the order given.
    type: list
    elements: str
    choices: [save, verify, activate]
    default: [save, verify, activate]
  only_if_changed:
    description:
      - Run the steps only when a P(oracle_comms.provisioning.config_element#module) task of this run changed the
        configuration under the lock it holds, and nothing activated it since.
      - Set V(false) to run them whatever happened before (for changes made another way, for example with C(ansible.builtin.uri)).
    type: bool
    default: true
  async_timeout:
    description: Seconds all the steps together may take, waiting included.
    type: float
    default: 300
attributes:
  check_mode:
    support: full
    description: Says which steps would run; sends nothing that changes anything.
  diff_mode:
    support: none
    description: Nothing to compare.
notes:
  - The module never takes, keeps or gives back the lock. It uses the lease of the configuration lock this run holds on the
    SBC with the same host, username and O(lease_dir) (taken by P(oracle_comms.provisioning.config_lock#module) or the role
    R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)), and its token,
    re-authenticated past half its life as the lock does. The token never appears in a task, a result or a log.
  - Without such a lock the task fails with reason V(not_locked) (no lock of this run, a lock of a run that is gone, or one
    taken with other credentials), or V(lock_held) when another run on this controller holds it.
  - Other reasons are V(config_failed) (the SBC reported the step as failed), V(timed_out) (O(async_timeout) ran out),
    V(lock_lost) (the token no longer holds the lock), and those of P(oracle_comms.provisioning.config_lock#module).
  - The activation of what was changed is remembered in the lease; a step list without V(activate) leaves the change
    pending, so a later commit of the same lock still runs.
seealso:
  - module: oracle_comms.provisioning.config_element
  - module: oracle_comms.provisioning.config_lock
'''

EXAMPLES = r'''
- name: Save, verify and activate, only if a config_element task changed something under this lock
  oracle_comms.provisioning.config_commit:

- name: Only save, whatever happened, waiting up to ten minutes
  oracle_comms.provisioning.config_commit:
    steps: [save]
    only_if_changed: false
    async_timeout: 600
'''

RETURN = r'''
steps:
  description: The steps run (or that would run, in check mode), in the order they ran.
  returned: success
  type: list
  elements: str
  sample: [save, verify, activate]
skipped_steps:
  description: The steps asked for but not run, because nothing changed under the lock.
  returned: success
  type: list
  elements: str
  sample: []
reason:
  description: Why the task failed, as one machine-readable word (see the notes).
  returned: on failure
  type: str
  sample: config_failed
retryable:
  description: Whether trying again later may succeed.
  returned: on failure
  type: bool
  sample: false
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import CONFIG_COMMIT_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element import commit_task
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(CONFIG_COMMIT_SPEC, commit_task)


if __name__ == '__main__':
    main()
