#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: config_element_info
short_description: Read configuration elements of an Oracle SBC
version_added: 0.2.0
description:
  - Reads the configuration elements of one type from an Oracle Session Border Controller, all of them or those whose
    attributes equal O(filters), with the type's key attributes; for C(ansible.builtin.assert) and reports.
  - Needs no lock. It reads with the token of the configuration lock this run holds on the SBC with the same
    credentials, where there is one, else with a new token.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SBC
  - oracle_comms.provisioning.lease
  - oracle_comms.provisioning.sbc_config
options:
  element_type:
    description: The SBC element type, for example V(realm-config).
    type: str
    required: true
  filters:
    description:
      - Attribute values (by name) the elements must have; all elements of the type when empty.
      - Filters that name every key attribute read that one element; any others read every element of the type (all
        pages of the SBC's list) and are applied by the module, enum and boolean values regardless of case.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Reads only, as outside check mode.
  diff_mode:
    support: none
    description: Reads only.
notes:
  - On failure the result carries RV(reason) (for example V(bad_input) for an attribute the SBC does not know, V(not_found)
    for an element type it does not know).
seealso:
  - module: oracle_comms.provisioning.config_element
'''

EXAMPLES = r'''
- name: Read realm peering-1
  oracle_comms.provisioning.config_element_info:
    element_type: realm-config
    filters:
      identifier: peering-1
  register: realms

- name: Check its prefix
  ansible.builtin.assert:
    that:
      - realms.elements | length == 1
      - realms.elements[0]['addr-prefix'] == '203.0.113.0/24'
'''

RETURN = r'''
elements:
  description: The matching elements, each its attributes by name, in the SBC's order.
  returned: success
  type: list
  elements: dict
  sample: [{"identifier": "core", "addr-prefix": "192.0.2.0/24"}]
element_type:
  description: The element type.
  returned: success
  type: str
  sample: realm-config
key_attributes:
  description: The key attributes of the type, as the SBC's element metadata names them (empty for a type with one element).
  returned: success
  type: list
  elements: str
  sample: [identifier]
reason:
  description: Why the task failed, as one machine-readable word.
  returned: on failure
  type: str
  sample: bad_input
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import CONFIG_ELEMENT_INFO_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element import info_task
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(CONFIG_ELEMENT_INFO_SPEC, info_task)


if __name__ == '__main__':
    main()
