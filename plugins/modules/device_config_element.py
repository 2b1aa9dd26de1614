#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: device_config_element
short_description: Stage the addition, update or deletion of one configuration element of a device in the Oracle SDM
version_added: 0.2.0
description:
  - Makes one top-level configuration element of a device managed by an Oracle Session Delivery Manager (for example a
    C(realmConfig)) be as asked in the SDM's staging area, under the device lock this run already holds on that device.
  - Reads the device's elements of that type as the SDM shows them, finds the one the key attributes name (from the
    SDM's element metadata, or O(key_attributes)), and stages an add when it is missing, an update of only the
    attributes that differ (its sub-elements sent back as they are), or a delete only when it exists. C(changed) is
    true only when something was staged.
  - Values are compared as the SDM's metadata types them (enum and boolean values regardless of case, integers as
    numbers); other text exactly.
  - Nothing reaches the device until P(oracle_comms.provisioning.device_config_push#module) pushes it.
  - The first change of a run on a device starts the SDM's provisioning session (C(loadConfig)) and notes which changes
    the user's staging area held already, so that the push can refuse what this run did not stage.
  - In check mode it reads and predicts and stages nothing; without a lock of this run it still reads.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SDM
  - oracle_comms.provisioning.lease
  - oracle_comms.provisioning.sdm_config
options:
  element_type:
    description:
      - The SDM element type path of a top-level element, for example V(realmConfig), V(sessionAgent) or V(mediaPolicy).
      - A sub-element path (V(realmConfig/networkInterfaceId)) is refused; sub-elements are kept as they are.
    type: str
    required: true
  attributes:
    description:
      - The attributes the element has, by the SDM's name, as the SDM shows them (numbers may be given as numbers; a list
        for an attribute of several values).
      - Must include the key attributes. Attributes not given are left as they are (update) or take the SDM's defaults (add).
      - With O(state=absent) only the key attributes are used.
    type: dict
    default: {}
  key_attributes:
    description:
      - The attributes that identify the element, where the SDM's element metadata should not be used.
      - If not set, they are read from the element metadata, and the attributes given are checked against it before
        anything is staged. A type whose metadata names no key attribute has one instance.
    type: list
    elements: str
  state:
    description: V(present) stages an add or an update; V(absent) stages a delete.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reads and predicts; stages nothing and sends no C(loadConfig).
  diff_mode:
    support: full
    description: Shows the attributes of the element before and after.
notes:
  - The module never takes or gives back the lock. It uses the lease of the device lock this run holds on the device with the
    same host, username and O(lease_dir) (taken by P(oracle_comms.provisioning.device_lock#module) or the role
    R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)).
  - Without such a lock the task fails with reason V(not_locked), or V(lock_held) when another run on this controller holds
    it or the SDM refuses the change because another user holds the device.
  - Other reasons are V(bad_input) (an attribute the SDM does not know, a value it refused with 400), V(not_found), and
    those of P(oracle_comms.provisioning.device_lock#module) for the connection.
seealso:
  - module: oracle_comms.provisioning.device_config_push
  - module: oracle_comms.provisioning.device_config_element_info
  - module: oracle_comms.provisioning.device_lock
'''

EXAMPLES = r'''
- name: Stage a realm on an SDM device under its device lock, push it, give the lock back
  module_defaults:
    group/oracle_comms.provisioning.sdm:
      host: sdm.example.net
      username: prov1
      password: "{{ sdm_password }}"
  block:
    - name: Lock the device
      oracle_comms.provisioning.device_lock:
        device: sbc-east-1
        wait_timeout: 300

    - name: Realm peering-1
      oracle_comms.provisioning.device_config_element:
        device: sbc-east-1
        element_type: realmConfig
        attributes:
          id: peering-1
          addressPrefix: 203.0.113.0/24

    - name: Save and activate on the device, if anything was staged
      oracle_comms.provisioning.device_config_push:
        device: sbc-east-1
  always:
    - name: Unlock the device
      oracle_comms.provisioning.device_lock:
        device: sbc-east-1
        state: unlocked

- name: Under the role with one device (its tasks file), the device is the one the session holds
  oracle_comms.provisioning.device_config_element:
    element_type: mediaPolicy
    attributes:
      name: voice-ef
      tosSettings: "0xB8"

- name: Delete a realm
  oracle_comms.provisioning.device_config_element:
    device_id: ID18
    element_type: realmConfig
    attributes:
      id: old-realm
    state: absent
'''

RETURN = r'''
element:
  description: The element's attributes after the task as the SDM answered the staging (predicted in check mode); empty when absent.
  returned: success
  type: dict
  sample: {"id": "peering-1", "addressPrefix": "203.0.113.0/24", "mmInRealm": "enabled"}
element_type:
  description: The element type.
  returned: success
  type: str
  sample: realmConfig
key:
  description: The key attributes that identify the element.
  returned: success
  type: dict
  sample: {"id": "peering-1"}
device_id:
  description: The SDM id of the device.
  returned: success
  type: str
  sample: ID18
state:
  description: The state asked for.
  returned: success
  type: str
  sample: present
action:
  description: What was staged (V(add), V(update) or V(delete)); null when nothing (would be) staged.
  returned: success
  type: str
  sample: update
reason:
  description: Why the task failed, as one machine-readable word (see the notes).
  returned: on failure
  type: str
  sample: not_locked
retryable:
  description: Whether trying again later may succeed.
  returned: on failure
  type: bool
  sample: false
diff:
  description: The element's attributes before and after.
  returned: in diff mode
  type: dict
  sample: {"before": {"id": "peering-1", "addressPrefix": "203.0.113.0/24"}, "after": {"id": "peering-1", "addressPrefix": "203.0.113.0/25"}}
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import DEVICE_CONFIG_ELEMENT_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_element_task import stage_element
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(DEVICE_CONFIG_ELEMENT_SPEC, stage_element)


if __name__ == '__main__':
    main()
