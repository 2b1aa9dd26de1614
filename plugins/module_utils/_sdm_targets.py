# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What a device_lock task locks: its targets (a device, several, or a device group), resolved to SDM device ids.

A device and a device group are both a *target*: a set of devices locked or unlocked by one SDM action.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_NOT_FOUND, OracleError


def canonical_order(device_ids):
    """Unique ids in one order every run agrees on (ID2 before ID10), so overlapping sets cannot deadlock."""
    def natural(text):
        return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', text)]
    return sorted(set(device_ids), key=natural)


class Target:
    """Devices that one SDM action locks or unlocks: a single device, or a device group."""

    def __init__(self, label, device_ids, send):
        self.label = label
        self.device_ids = device_ids
        self.send = send


def device_target(device_id, session):
    """The target of one device; ``session()`` gives the signed-in SdmClient its action is sent with."""
    return Target('device %s' % device_id, [device_id], lambda action: session().device_action(device_id, action))


def resolve_targets(options, session, endpoint, username):
    """The targets ``options`` name (SdmLockOptions): one group, or one target per device in canonical order.

    ``session()`` gives the signed-in SdmClient: the device list is read only for a group or for devices given by name.
    """
    if options.group:
        nf_id, group_id = options.group
        members = canonical_order(device['id'] for device in session().devices()
                                  if device.get('nfId') == nf_id and group_id in (device.get('groupId'), device.get('parentGroupId')))
        if not members:
            raise OracleError('device group %s of NF %s has no devices on SDM %s that user %s can see; check nf_id and group_id'
                              % (group_id, nf_id, endpoint, username), REASON_NOT_FOUND)
        return [Target('device group %s of NF %s' % (group_id, nf_id), members,
                       lambda action: session().group_action(nf_id, group_id, action))]
    if options.devices:
        device_ids = resolve_names(options.devices, session().devices(), endpoint)
    else:
        device_ids = options.device_ids
    return [device_target(device_id, session) for device_id in canonical_order(device_ids)]


def resolve_names(names, inventory, endpoint):
    """Device ids for names, management IPs or ``name_ip`` keys in ``inventory`` (the SDM's device list); unknown or
    ambiguous names fail and list candidates."""
    device_ids = []
    for name in names:
        matches = [device for device in inventory if name in (device.get('name'), device.get('ip'), device.get('key'), device.get('id'))]
        if len(matches) == 1:
            device_ids.append(matches[0]['id'])
            continue
        if not matches:
            known = ', '.join(sorted(device.get('name', device['id']) for device in inventory)[:10]) or 'none'
            raise OracleError('no device named %r on SDM %s (by name, management IP or key); devices this user sees include: %s'
                              % (name, endpoint, known), REASON_NOT_FOUND)
        candidates = ', '.join('%s (%s, %s)' % (device['id'], device.get('name'), device.get('ip')) for device in matches)
        raise OracleError('device %r is ambiguous on SDM %s: it matches %s; give device_id or the name_ip key instead'
                          % (name, endpoint, candidates), REASON_BAD_INPUT)
    return device_ids
