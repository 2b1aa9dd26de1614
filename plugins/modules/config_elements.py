#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: config_elements
short_description: Reconcile a list of configuration elements of one type on an Oracle SBC, as a resource module
version_added: 0.2.0
description:
  - Makes the elements of one type (for example every C(realm-config)) of an Oracle Session Border Controller match
    the list in O(config), in one task, under the configuration lock this run already holds on that SBC.
  - O(state) has the meanings of Ansible's network resource modules. V(merged) adds the listed elements that are
    missing and updates the listed attributes of those that exist. V(replaced) makes each listed element exactly as
    given; its attributes not given return to their defaults. V(overridden) does the same and deletes every element of
    the type that is not listed. V(deleted) deletes the listed elements, or every element of the type when O(config) is
    empty or not given.
  - V(gathered) reads every element of the type into the shape of O(config). V(rendered) returns the XML bodies that
    adding the listed elements would send, and V(parsed) reads O(running_config) into the shape of O(config); neither
    reaches an SBC.
  - One task reads the type's metadata once and its elements once (every page), then sends only the requests that change
    something, in order. C(changed) is what the SBC answered. V(overridden) sends its deletions first.
  - Values are compared as P(oracle_comms.provisioning.config_element#module) compares them.
  - The first request the SBC refuses stops the task. It fails with what was sent (RV(commands)) and what was not
    (RV(not_applied)); the lock stays held, so the session's release and commit decide what becomes of the changes.
  - Changes are not saved or activated; run P(oracle_comms.provisioning.config_commit#module) afterwards.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SBC
  - oracle_comms.provisioning.lease
  - oracle_comms.provisioning.sbc_config
options:
  element_type:
    description: The SBC element type, for example V(realm-config), V(sip-interface) or V(local-policy).
    type: str
    required: true
  config:
    description:
      - The elements, each a mapping of attribute name to value as the SBC shows them (numbers may be given as numbers).
      - Each must include the key attributes. Two items may not name the same element.
      - With O(state=deleted) only the key attributes of each item are used.
      - Required with O(state=rendered). Not used by V(gathered) and V(parsed).
    type: list
    elements: dict
  key_attributes:
    description:
      - The attributes that identify an element, where the SBC's element metadata does not say or should not be used.
      - If not set, they are read from the SBC's element metadata, and the attributes given are checked against it
        before anything is sent.
    type: list
    elements: str
  state:
    description: How to reconcile O(config) with the SBC (see the description).
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  running_config:
    description:
      - With O(state=parsed), the XML of a C(configElements) answer of the SBC (or one C(configElement)). Elements of
        other types in it are left out.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads and predicts; sends no POST, PUT or DELETE.
  diff_mode:
    support: full
    description: Shows the elements of the type before and after, by key.
notes:
  - The module never takes, keeps or gives back the lock, as P(oracle_comms.provisioning.config_element#module). Without a
    lock of this run it fails with reason V(not_locked) (V(gathered) reads with a token of its own, and check mode too).
  - V(replaced) and V(overridden) read the defaults from the SBC's element template (C(configuration/elementTypes/template)),
    only when a listed element exists. The attributes the SBC writes itself (C(last-modified-by), C(last-modified-date))
    are never reset.
  - V(deleted), and V(overridden) with an empty O(config), are refused for a singleton type (one element that always
    exists, such as C(system-config)), with reason V(bad_input), before anything is sent.
  - Other reasons are those of P(oracle_comms.provisioning.config_element#module).
seealso:
  - module: oracle_comms.provisioning.config_element
  - module: oracle_comms.provisioning.config_commit
  - module: oracle_comms.provisioning.config_lock
'''

EXAMPLES = r'''
- name: The peering realms, in one task, under the role's lock (its tasks file)
  oracle_comms.provisioning.config_elements:
    element_type: realm-config
    config:
      - {identifier: peering-1, addr-prefix: 203.0.113.0/24, network-interfaces: "M00:0"}
      - {identifier: peering-2, addr-prefix: 198.51.100.0/24, network-interfaces: "M10:0"}
    state: merged

- name: Exactly these realms and no others (check mode shows what would be deleted)
  oracle_comms.provisioning.config_elements:
    element_type: realm-config
    config:
      - {identifier: core, addr-prefix: 192.0.2.0/24, network-interfaces: "M00:0"}
    state: overridden

- name: Delete two local policies
  oracle_comms.provisioning.config_elements:
    element_type: local-policy
    key_attributes: [from-address, to-address]
    config:
      - {from-address: "*", to-address: "+4930*"}
      - {from-address: "*", to-address: "+4940*"}
    state: deleted

- name: Read every realm into the shape of config
  oracle_comms.provisioning.config_elements:
    element_type: realm-config
    state: gathered
  register: realms

- name: The XML that adding a realm would send, with no SBC
  oracle_comms.provisioning.config_elements:
    element_type: realm-config
    config:
      - {identifier: lab, addr-prefix: 192.0.2.0/28}
    state: rendered
'''

RETURN = r'''
element_type:
  description: The element type.
  returned: always
  type: str
  sample: realm-config
key_attributes:
  description: The key attributes that identify an element of the type.
  returned: when the SBC was reached for a change
  type: list
  elements: str
  sample: [identifier]
before:
  description: Every element of the type before the task, as the SBC answered them.
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: dict
  sample: [{"identifier": "core", "addr-prefix": "192.0.2.0/24"}]
after:
  description: Every element of the type after the task, as the SBC answered them (predicted in check mode).
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: dict
  sample: [{"identifier": "core", "addr-prefix": "192.0.2.0/24"}, {"identifier": "peering-1", "addr-prefix": "203.0.113.0/24"}]
commands:
  description:
    - The changes, one line each in the order sent (to be sent, in check mode); on failure, those the SBC accepted.
  returned: with merged, replaced, overridden and deleted
  type: list
  elements: str
  sample: ["add realm-config identifier=peering-1: identifier=peering-1, addr-prefix=203.0.113.0/24"]
not_applied:
  description: The changes not made when a request was refused, the refused one first.
  returned: on failure after the first change
  type: list
  elements: str
  sample: ["update realm-config identifier=core: addr-prefix=bad"]
failed_command:
  description: The change the SBC refused.
  returned: on failure while changing
  type: str
  sample: "update realm-config identifier=core: addr-prefix=bad"
gathered:
  description: Every element of the type, as the SBC answered them.
  returned: with gathered
  type: list
  elements: dict
  sample: [{"identifier": "core", "addr-prefix": "192.0.2.0/24"}]
rendered:
  description: The C(configElement) XML bodies that adding the listed elements would send.
  returned: with rendered
  type: list
  elements: str
  sample: ["<configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>lab</value></attribute></configElement>"]
parsed:
  description: The elements of O(element_type) in O(running_config), in the shape of O(config).
  returned: with parsed
  type: list
  elements: dict
  sample: [{"identifier": "core", "addr-prefix": "192.0.2.0/24"}]
reason:
  description: Why the task failed, as one machine-readable word (see the notes).
  returned: on failure
  type: str
  sample: bad_input
retryable:
  description: Whether trying again later may succeed.
  returned: on failure
  type: bool
  sample: false
diff:
  description: The elements of the type before and after, by key.
  returned: in diff mode
  type: dict
  sample: {"before": {"identifier=core": {"identifier": "core"}}, "after": {}}
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import CONFIG_ELEMENTS_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element import elements_task
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(CONFIG_ELEMENTS_SPEC, elements_task)


if __name__ == '__main__':
    main()
