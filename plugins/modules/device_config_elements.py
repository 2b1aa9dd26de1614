#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: device_config_elements
short_description: Stage a list of configuration elements of one type of a device in the Oracle SDM, as a resource module
version_added: 0.2.0
description:
  - Makes the elements of one top-level type (for example every C(realmConfig)) of a device managed by an Oracle Session
    Delivery Manager match the list in O(config) in the SDM's staging area, in one task, under the device lock this run
    already holds on that device. It is the SDM's twin of P(oracle_comms.provisioning.config_elements#module).
  - O(state) has the meanings of Ansible's network resource modules. V(merged) stages the addition of the listed elements
    that are missing and an update of the listed attributes of those that exist. V(replaced) makes each listed element
    exactly as given; its attributes not given return to their defaults. V(overridden) does the same and stages the
    deletion of every element of the type that is not listed. V(deleted) stages the deletion of the listed elements, or of
    every element of the type when O(config) is empty or not given.
  - V(gathered) reads every element of the type as the SDM shows it. V(rendered) returns the XML bodies that staging the
    listed elements as additions would send, and V(parsed) reads O(running_config) into the shape of O(config); neither
    reaches an SDM.
  - One task reads the type's metadata once and its elements once, then stages only what differs, in order, each change
    recorded as this run's for P(oracle_comms.provisioning.device_config_push#module). V(overridden) stages its deletions
    first.
  - The first change the SDM refuses stops the task. It fails with what was staged (RV(commands)) and what was not
    (RV(not_applied)); nothing is undone and the lock stays held.
  - Nothing reaches the device until P(oracle_comms.provisioning.device_config_push#module) pushes it.
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
      - A sub-element path is refused; sub-elements are kept as they are.
    type: str
    required: true
  config:
    description:
      - The elements, each a mapping of the SDM's attribute names to values as the SDM shows them (one text per attribute;
        numbers may be given as numbers).
      - Each must include the key attributes. Two items may not name the same element.
      - With O(state=deleted) only the key attributes of each item are used.
      - Required with O(state=rendered). Not used by V(gathered) and V(parsed).
    type: list
    elements: dict
  key_attributes:
    description:
      - The attributes that identify an element, where the SDM's element metadata should not be used.
      - If not set, they are read from the element metadata, and the attributes given are checked against it before
        anything is staged.
    type: list
    elements: str
  state:
    description: How to reconcile O(config) with what the SDM shows (see the description).
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  running_config:
    description:
      - With O(state=parsed), the XML of a C(configElements) answer of the SDM, in either of its list shapes. Elements of
        other types in it are left out.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads and predicts; stages nothing and sends no C(loadConfig).
  diff_mode:
    support: full
    description: Shows the elements of the type before and after, by key.
notes:
  - The module never takes or gives back the lock, as P(oracle_comms.provisioning.device_config_element#module). Without a
    lock of this run it fails with reason V(not_locked); V(gathered) and check mode read without one.
  - V(replaced) and V(overridden) read the type's defaults from the SDM (C(configElements/create), which stores nothing),
    only when a listed element exists.
  - V(deleted), and V(overridden) with an empty O(config), are refused for a singleton type (one element that always
    exists), with reason V(bad_input), before anything is staged.
  - Other reasons are those of P(oracle_comms.provisioning.device_config_element#module).
seealso:
  - module: oracle_comms.provisioning.device_config_element
  - module: oracle_comms.provisioning.device_config_push
  - module: oracle_comms.provisioning.config_elements
'''

EXAMPLES = r'''
- name: The peering realms of the session's device, in one task (the role's tasks file)
  oracle_comms.provisioning.device_config_elements:
    element_type: realmConfig
    config:
      - {id: peering-1, addressPrefix: 203.0.113.0/24}
      - {id: peering-2, addressPrefix: 198.51.100.0/24}
    state: merged

- name: Push what was staged
  oracle_comms.provisioning.device_config_push:

- name: Exactly these realms on sbc-east-1 (check mode shows what would be deleted)
  oracle_comms.provisioning.device_config_elements:
    device: sbc-east-1
    element_type: realmConfig
    config:
      - {id: core, addressPrefix: 192.0.2.0/24}
    state: overridden
'''

RETURN = r'''
element_type:
  description: The element type.
  returned: always
  type: str
  sample: realmConfig
device_id:
  description: The SDM id of the device.
  returned: when the SDM was reached
  type: str
  sample: ID18
key_attributes:
  description: The key attributes that identify an element of the type.
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: str
  sample: [id]
before:
  description: Every element of the type before the task, as the SDM showed them.
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: dict
  sample: [{"id": "core", "addressPrefix": "192.0.2.0/24"}]
after:
  description: Every element of the type after the task, as the SDM answered the staging (predicted in check mode).
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: dict
  sample: [{"id": "core", "addressPrefix": "192.0.2.0/24"}, {"id": "peering-1", "addressPrefix": "203.0.113.0/24"}]
commands:
  description: The staged changes, one line each in the order sent (to be sent, in check mode); on failure, those staged.
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: str
  sample: ["add realmConfig id=peering-1: addressPrefix=203.0.113.0/24"]
not_applied:
  description: The changes not staged when one was refused, the refused one first.
  returned: on failure after the first change
  type: list
  elements: str
  sample: ["update realmConfig id=core: addressPrefix=bad"]
failed_command:
  description: The change the SDM refused.
  returned: on failure while staging
  type: str
  sample: "update realmConfig id=core: addressPrefix=bad"
gathered:
  description: Every element of the type, as the SDM shows them.
  returned: with gathered
  type: list
  elements: dict
  sample: [{"id": "core", "addressPrefix": "192.0.2.0/24"}]
rendered:
  description: The C(configElement) XML bodies that staging the listed elements as additions would send.
  returned: with rendered
  type: list
  elements: str
  sample: ["<configElement><elementTypePath>realmConfig</elementTypePath><attributes><name>id</name><value>lab</value></attributes></configElement>"]
parsed:
  description: The elements of O(element_type) in O(running_config), in the shape of O(config).
  returned: with parsed
  type: list
  elements: dict
  sample: [{"id": "core", "addressPrefix": "192.0.2.0/24"}]
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
  description: The elements of the type before and after, by key.
  returned: in diff mode
  type: dict
  sample: {"before": {"id=core": {"id": "core"}}, "after": {}}
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import DEVICE_CONFIG_ELEMENTS_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_elements_task import stage_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(DEVICE_CONFIG_ELEMENTS_SPEC, stage_elements)


if __name__ == '__main__':
    main()
