#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: device_config_element_info
short_description: Read configuration elements of a device as the Oracle SDM shows them
version_added: 0.2.0
description:
  - Returns the top-level configuration elements of one type of a device managed by an Oracle Session Delivery Manager,
    as the SDM shows them for the user (an SDM may apply the user's staged changes to what it shows), those whose
    attributes match O(filters).
  - Needs no lock.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SDM
  - oracle_comms.provisioning.lease
  - oracle_comms.provisioning.sdm_config
options:
  element_type:
    description: The SDM element type path of a top-level element, for example V(realmConfig).
    type: str
    required: true
  filters:
    description: Attribute values the elements returned have (all of them, compared as text).
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
  - O(lease_dir) and the other lease options are used only to find the device this run holds when neither O(device_id)
    nor O(device) is given.
seealso:
  - module: oracle_comms.provisioning.device_config_element
'''

EXAMPLES = r'''
- name: The realm peering-1 as the SDM shows it
  oracle_comms.provisioning.device_config_element_info:
    device: sbc-east-1
    element_type: realmConfig
    filters:
      id: peering-1
  register: realms
'''

RETURN = r'''
elements:
  description: The attributes of each matching element (text; a list for an attribute the SDM repeats).
  returned: success
  type: list
  elements: dict
  sample: [{"id": "peering-1", "addressPrefix": "203.0.113.0/24"}]
element_type:
  description: The element type.
  returned: success
  type: str
  sample: realmConfig
device_id:
  description: The SDM id of the device.
  returned: success
  type: str
  sample: ID18
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import DEVICE_CONFIG_ELEMENT_INFO_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_element_task import read_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(DEVICE_CONFIG_ELEMENT_INFO_SPEC, read_elements)


if __name__ == '__main__':
    main()
