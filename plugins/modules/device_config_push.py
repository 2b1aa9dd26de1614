#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: device_config_push
short_description: Push the changes staged in the Oracle SDM to the device (save and activate), or discard them
version_added: 0.2.0
description:
  - Pushes the configuration changes the SDM user has staged for a device (P(oracle_comms.provisioning.device_config_element#module))
    to the device with the SDM's device action (save and activate, save only, or activate only), under the device
    lock this run holds on it; or, with O(state=discarded), discards them.
  - The SDM keeps one staging area per user and device, shared by every job of that user. The push says exactly what
    it pushes (C(pushed), the pending changes) and refuses, with reason V(foreign_changes) and the list in C(foreign),
    when the staging area holds changes this run did not stage (left by a run that died, or made by another job or a
    person with the same user), unless O(include_foreign_changes) is set. Nothing is pushed then.
  - Reports every flag of the SDM's answer (C(save_activate_result)). A failed validation, save, integrity check or
    activation fails the task with the SDM's own text (reason V(config_failed)); the changes stay staged.
  - While pushing, the SDM takes the SBC's own configuration lock on the device. When that fails, the task fails with
    reason V(lock_held); when the lock is held by this very run (a P(oracle_comms.provisioning.config_lock#module) on the
    device's address), the message says so and what to do.
  - With O(only_if_changed) a push runs only when this run staged something that is still pending, so a re-run pushes
    nothing.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SDM
  - oracle_comms.provisioning.lease
  - oracle_comms.provisioning.sdm_config
options:
  state:
    description:
      - V(pushed) pushes the staged changes; V(discarded) discards every staged change of this user on the device (this
        run's and any other's) and pushes nothing.
    type: str
    choices: [pushed, discarded]
    default: pushed
  push_type:
    description:
      - V(save_activate) saves the changes on the device and activates them (C(SaveActivateConfig)), V(save) only saves
        them (C(SaveConfig)), V(activate) activates what an earlier save of this run left (C(ActivateConfig)).
      - Oracle's cloud SDM and some releases accept only V(save_activate).
    type: str
    choices: [save_activate, save, activate]
    default: save_activate
  only_if_changed:
    description:
      - Push only when changes this run staged are pending (for V(activate), when a save of this run is not activated yet).
      - Set V(false) to push whatever is pending (changes staged another way, for example with C(ansible.builtin.uri)),
        or nothing, as the SDM does with an empty push.
    type: bool
    default: true
  include_foreign_changes:
    description:
      - Push the changes this run did not stage too. Look at them first (the C(foreign) list of a refused push).
    type: bool
    default: false
  push_timeout:
    description:
      - Seconds the push may take; the SDM answers only once the device has saved and activated.
    type: float
    default: 600
attributes:
  check_mode:
    support: full
    description: Reads the staged changes and says what would be pushed or discarded; pushes and discards nothing.
  diff_mode:
    support: none
    description: The staged changes are listed in C(pushed) or C(discarded).
notes:
  - The module never takes or gives back the lock; it uses the lease of the device lock this run holds on the device (see
    P(oracle_comms.provisioning.device_config_element#module)). Without one it fails with reason V(not_locked).
  - The staged changes of other SDM users are not visible to this user; whether a push applies them as well is the SDM's
    choice, and a device lock of this run keeps them from staging meanwhile.
  - A push is never repeated when its answer is lost; the task then fails (reason V(network)) and the changes may or may
    not be on the device; look at the staged changes (a later run of this module) before pushing again.
seealso:
  - module: oracle_comms.provisioning.device_config_element
  - module: oracle_comms.provisioning.device_lock
'''

EXAMPLES = r'''
- name: Save and activate what this run staged (nothing when it staged nothing)
  oracle_comms.provisioning.device_config_push:

- name: Throw away what a dead run left in the staging area, before staging anew
  oracle_comms.provisioning.device_config_push:
    device: sbc-east-1
    state: discarded

- name: Push everything pending, also changes made by hand with the same SDM user
  oracle_comms.provisioning.device_config_push:
    device_id: ID18
    include_foreign_changes: true
    only_if_changed: false
'''

RETURN = r'''
device_id:
  description: The SDM id of the device.
  returned: always
  type: str
  sample: ID18
pushed:
  description: The staged changes pushed (that would be pushed, in check mode), as the SDM lists them.
  returned: when O(state=pushed)
  type: list
  elements: dict
  sample: [{"name": "peering-1", "operation": "created", "timestamp": "2026-12-07 16:05:31", "elementTypePath": "realmConfig"}]
discarded:
  description: The staged changes discarded (that would be discarded, in check mode).
  returned: when O(state=discarded)
  type: list
  elements: dict
  sample: [{"name": "old-realm", "operation": "deleted", "timestamp": "2026-12-07 16:05:31"}]
save_activate_result:
  description: Every field of the SDM's C(saveActivateResult), under the SDM's names, as text.
  returned: when a push was sent (also on failure)
  type: dict
  sample: {"action": "SaveActivateConfig", "status": "SUCCESS", "isLockSuccess": "SUCCESS", "isValidationSuccess": "SUCCESS",
           "isSaveConfigSuccess": "SUCCESS", "isActivateConfigSuccess": "SUCCESS", "isUnlockSuccess": "SUCCESS",
           "errorMessage": "", "validationErrorMessage": "", "taskId": "17"}
task_id:
  description: The SDM's task id of the push.
  returned: when a push succeeded
  type: str
  sample: "17"
foreign:
  description: The staged changes this run did not stage, when the push refused them.
  returned: on failure with reason V(foreign_changes)
  type: list
  elements: dict
  sample: [{"name": "lab-realm", "operation": "created", "timestamp": "2026-12-06 09:12:00"}]
push_type:
  description: The push type asked for.
  returned: when O(state=pushed)
  type: str
  sample: save_activate
state:
  description: The state asked for.
  returned: success
  type: str
  sample: pushed
reason:
  description: Why the task failed (V(foreign_changes), V(config_failed), V(lock_held), V(not_locked), ...).
  returned: on failure
  type: str
  sample: foreign_changes
retryable:
  description: Whether trying again later may succeed.
  returned: on failure
  type: bool
  sample: false
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import DEVICE_CONFIG_PUSH_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_push_task import push_changes
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(DEVICE_CONFIG_PUSH_SPEC, push_changes)


if __name__ == '__main__':
    main()
