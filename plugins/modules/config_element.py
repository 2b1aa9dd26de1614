#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: config_element
short_description: Add, update or delete one configuration element of an Oracle SBC under the configuration lock
version_added: 0.2.0
description:
  - Makes one configuration element of an Oracle Session Border Controller (for example a C(realm-config)) be as
    asked, under the configuration lock this run already holds on that SBC.
  - Reads the element first, identified by its key attributes (from the SBC's element metadata, or O(key_attributes)).
    Adds it (POST) when it is missing, updates (PUT) only the attributes that differ, deletes it only when it exists.
    C(changed) is true only when the SBC changed, as the SBC answers it.
  - Values are compared as the SBC holds them. Where its metadata types an attribute as an enum or a boolean, a value
    that differs only in case (V(Enabled) and V(enabled)) is the same value; an integer is compared as a number. Other
    text is compared exactly. An update the SBC answers with the element unchanged reports no change.
  - In check mode it reads and predicts, and sends no request that changes anything; without a lock of this run it
    reads with a new token of its own.
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
  attributes:
    description:
      - The attributes the element has, by name, as the SBC shows them (numbers may be given as numbers).
      - Must include the key attributes. Attributes not given are left as they are (on an update) or take the SBC's
        defaults (on an add).
      - With O(state=absent) only the key attributes are used.
    type: dict
    default: {}
  key_attributes:
    description:
      - The attributes that identify the element, where the SBC's element metadata does not say or should not be used.
      - If not set, the key attributes of O(element_type) are read from the SBC's element metadata, and the attributes
        given are checked against it before anything is sent.
      - If set, the metadata is read only when a value differs from the SBC's in case or digits alone (to learn whether
        the SBC holds them as one value); an attribute the SBC does not know is then refused by the SBC (400).
    type: list
    elements: str
  state:
    description: V(present) adds or updates the element; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reads the element and predicts; sends no POST, PUT or DELETE.
  diff_mode:
    support: full
    description: Shows the attributes of the element before and after.
notes:
  - The module never takes, keeps or gives back the lock. It uses the lease of the configuration lock this run holds on the
    SBC with the same host, username and O(lease_dir) (taken by P(oracle_comms.provisioning.config_lock#module) or the role
    R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)), and its token,
    re-authenticated past half its life as the lock does. The token never appears in a task, a result or a log.
  - Without such a lock the task fails with reason V(not_locked) (no lock of this run, a lock of a run that is gone, or one
    taken with other credentials), or V(lock_held) when another run on this controller holds it.
  - Other reasons are V(conflict) (the SBC answered 409, an element with the same key exists), V(bad_input) (an attribute the
    SBC does not know, or a value it refused with 400, named in the message), V(lock_lost) (the token no longer holds the
    lock), V(bad_response) (among others, element metadata in no shape the module reads, when O(key_attributes) is not
    given), and those of P(oracle_comms.provisioning.config_lock#module) for the connection.
seealso:
  - module: oracle_comms.provisioning.config_commit
  - module: oracle_comms.provisioning.config_element_info
  - module: oracle_comms.provisioning.config_lock
'''

EXAMPLES = r'''
- name: Add a realm under the configuration lock, save and activate it, give the lock back
  module_defaults:
    group/oracle_comms.provisioning.sbc:
      host: sbc1.example.net
      username: admin
      password: "{{ sbc_password }}"
  block:
    - name: Lock
      oracle_comms.provisioning.config_lock:
        wait_timeout: 300

    - name: Realm peering-1
      oracle_comms.provisioning.config_element:
        element_type: realm-config
        attributes:
          identifier: peering-1
          addr-prefix: 203.0.113.0/24
          network-interfaces: M00:0

    - name: Save, verify and activate, if anything changed
      oracle_comms.provisioning.config_commit:
  always:
    - name: Unlock
      oracle_comms.provisioning.config_lock:
        state: unlocked

- name: Under the role (its tasks file)
  oracle_comms.provisioning.config_element:
    element_type: local-policy
    attributes:
      from-address: "*"
      to-address: "+4930*"
      next-hop: sag:berlin
    key_attributes: [from-address, to-address]

- name: Delete a realm
  oracle_comms.provisioning.config_element:
    element_type: realm-config
    attributes:
      identifier: old-realm
    state: absent
'''

RETURN = r'''
element:
  description: The element's attributes after the task, as the SBC answered them (predicted in check mode); empty when absent.
  returned: success
  type: dict
  sample: {"identifier": "peering-1", "addr-prefix": "203.0.113.0/24", "max-bandwidth": "0"}
element_type:
  description: The element type.
  returned: success
  type: str
  sample: realm-config
key:
  description: The key attributes that identify the element.
  returned: success
  type: dict
  sample: {"identifier": "peering-1"}
state:
  description: The state asked for.
  returned: success
  type: str
  sample: present
action:
  description: What was done (or would be, in check mode) on the SBC, V(add), V(update), V(delete), or null for nothing.
  returned: success
  type: str
  sample: update
reason:
  description: Why the task failed, as one machine-readable word (see the notes).
  returned: on failure
  type: str
  sample: conflict
retryable:
  description: Whether trying again later may succeed.
  returned: on failure
  type: bool
  sample: false
diff:
  description: The element's attributes before and after.
  returned: in diff mode
  type: dict
  sample: {"before": {"identifier": "peering-1", "addr-prefix": "203.0.113.0/24"}, "after": {"identifier": "peering-1", "addr-prefix": "203.0.113.0/25"}}
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import CONFIG_ELEMENT_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element import element_task
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(CONFIG_ELEMENT_SPEC, element_task)


if __name__ == '__main__':
    main()
