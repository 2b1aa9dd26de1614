#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: device_lock
short_description: Lock or unlock devices on an Oracle Session Delivery Manager
version_added: 0.1.0
description:
  - Locks or unlocks one device, several devices, or a device group on an Oracle Session Delivery Manager (SDM),
    so that only this user can operate on them while provisioning.
  - Several devices are taken all-or-nothing, in one canonical order, so two plays asking for overlapping sets
    cannot deadlock; if one cannot be had within O(wait_timeout), those this task took are given back before it fails.
  - SDM locks belong to a user, not to a session or a run. The lease record keeps two runs of the same user on
    one controller apart (a device held by another live run is waited for, never shared); jobs of the same user
    on different controllers cannot be told apart by anyone, which the module says once per run in a warning.
  - One login and one logout per task, also on failure.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
extends_documentation_fragment:
  - oracle_comms.provisioning.connection.SDM
  - oracle_comms.provisioning.lock
  - oracle_comms.provisioning.lease
options:
  device_id:
    description:
      - SDM device id(s), for example V(ID18).
      - Exactly one of O(device_id), O(device) and O(group) is required.
    type: list
    elements: str
  device:
    description:
      - Device(s) by name, management IP address or C(name_ip) key, looked up in the SDM inventory.
      - A name that matches no device, or more than one, fails and lists the candidates.
    type: list
    elements: str
  group:
    description:
      - A device group of a network function, locked or unlocked by the SDM's device-group action.
    type: dict
    suboptions:
      nf_id:
        description: Id of the network function, for example V(ID101).
        type: str
        required: true
      group_id:
        description: Id of the device group, for example V(ID201).
        type: str
        required: true
attributes:
  action:
    support: full
    description: Runs in-process on the controller through its action plugin.
  action_group:
    support: full
    description: Use C(group/oracle_comms.provisioning.GROUP) in C(module_defaults) to set options for the whole group.
    membership:
      - oracle_comms.provisioning.sdm
seealso:
  - name: Oracle SDM REST API, Lock or Unlock a Device
    description: The Oracle documentation of the device action.
    link: https://docs.oracle.com/en/industries/communications/session-delivery-manager/
'''

EXAMPLES = r'''
- name: Lock one device by name, waiting up to two minutes for another user
  oracle_comms.provisioning.device_lock:
    host: sdm.example.net
    username: provisioner
    password: "{{ sdm_password }}"
    device: sbc-east-1
    wait_timeout: 120

- name: Lock several devices at once (all or nothing)
  oracle_comms.provisioning.device_lock:
    host: sdm.example.net
    username: provisioner
    password: "{{ sdm_password }}"
    device_id: [ID1, ID2, ID3]

- name: Lock a device group of a network function
  oracle_comms.provisioning.device_lock:
    host: sdm.example.net
    username: provisioner
    password: "{{ sdm_password }}"
    group:
      nf_id: ID101
      group_id: ID201

- name: Unlock them all again
  oracle_comms.provisioning.device_lock:
    host: sdm.example.net
    username: provisioner
    password: "{{ sdm_password }}"
    device_id: [ID1, ID2, ID3]
    state: unlocked
'''

RETURN = r'''
holders:
  description:
    - The inventory hosts of this run that hold the lock after the task. Hosts of one run that lock the same
      device share the lock; it is given back on the device when the last of them releases it.
  returned: when this run holds the lock after the task
  type: list
  elements: str
  sample: [sbc-east-1, sbc-east-2]
device_ids:
  description: The devices the task acted on, in canonical order.
  returned: always
  type: list
  elements: str
  sample: [ID1, ID2]
endpoint:
  description: The device the task spoke to, as C(host:port) in its canonical spelling (the name the lease record keeps).
  returned: always
  type: str
  sample: sbc1.example.net:443
  version_added: 0.2.0
locked:
  description: Whether this run holds every one of those devices after the task.
  returned: always
  type: bool
  sample: true
taken_ids:
  description:
    - The devices the inventory host of the task holds because of this task, in canonical order; those it held already
      (a second O(state=locked), or a session nested in another) are not listed. The role
      R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role) gives back
      only what its session took.
  returned: when O(state=locked) and this run holds the devices after the task
  type: list
  elements: str
  sample: [ID2]
  version_added: 0.2.0
lease_kept:
  description:
    - V(true) when a release failed (server error) and the lease record still keeps the locks, for the keeper or a later
      release to give back.
  returned: on a failed release
  type: bool
  sample: true
  version_added: 0.2.0
holder:
  description:
    - Per device, who holds it after the task as far as this controller can know
      (V(us), V(other run), V(user NAME) when the SDM names the holder, V(nobody) or V(unknown)).
  returned: always
  type: dict
  sample: {"ID1": "us", "ID2": "us"}
waited:
  description: Seconds spent waiting for other holders.
  returned: always
  type: float
  sample: 0.0
attempts:
  description: How many times a lock was asked for.
  returned: always
  type: int
  sample: 1
reason:
  description: Why the task failed, as one machine-readable word (see the notes).
  returned: on failure
  type: str
  sample: lock_held
retryable:
  description:
    - Whether trying again later may succeed (V(true) for the reasons V(network), V(server_error) and V(bad_response);
      the answer was lost or the device was not well). The role retries a failing release on it.
  returned: on failure
  type: bool
  sample: false
diff:
  description: The holders before and after.
  returned: in diff mode
  type: dict
  sample: {"before": {"holder": {"ID1": "nobody"}}, "after": {"holder": {"ID1": "us"}}}
'''

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SDM_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_lock import main_body
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for


def main():
    main_for(SDM_SPEC, main_body)


if __name__ == '__main__':
    main()
