# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """What the SDM provisioning modules share: which device, and how they run."""

    DOCUMENTATION = r'''
options:
  device_id:
    description:
      - The SDM id of the device, for example V(ID18).
      - If neither O(device_id) nor O(device) is set, the device is the one device of the innermost session of the role
        R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role) with
        C(lock_session_target=sdm), when it holds one; else the one device this run holds a device lock on, on this SDM
        as this user. A run holding several outside such a session must name one.
    type: str
  device:
    description:
      - The device by name, management IP or C(name_ip) key, as the SDM's device list shows it (one more request).
    type: str
attributes:
  action:
    support: full
    description: Runs in-process on the controller through its action plugin.
  action_group:
    support: full
    description: Use C(group/oracle_comms.provisioning.GROUP) in C(module_defaults) to set options for the whole group.
    membership:
      - oracle_comms.provisioning.sdm
notes:
  - Element types and attributes are the SDM's names (camelCase, as in its REST API), for example C(realmConfig) with
    C(id) and C(addressPrefix), not the SBC's ACLI names.
  - The module signs in to the SDM with O(username) and signs out at its end; no session cookie appears in a task, a
    result or a log.
'''
