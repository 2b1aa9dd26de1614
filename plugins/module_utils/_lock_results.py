# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What a lock task returns: the result both locks share, and the per-device holders a device_lock task records."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import HOLDER_US
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_targets import canonical_order


def lock_result(changed, locked, holder, before, after, waiter=None, diff=False, **extra):
    """The result every lock task returns: changed, locked, holder, waited, attempts, and diff in diff mode."""
    result = dict(changed=changed, locked=locked, holder=holder,
                  waited=waiter.waited if waiter else 0.0, attempts=waiter.attempts if waiter else 0)
    if diff:
        result['diff'] = {'before': before, 'after': after}
    result.update(extra)
    return result


class DeviceHolders:
    """Who held each device before a device_lock task and who holds it after, and which hosts of the run hold it."""

    def __init__(self):
        self.before = {}
        self.after = {}
        #: the hosts of this run that still hold what this host released (None unless it let go of a shared lock)
        self.holders = None
        #: the hosts of this run that hold what this task locked (for the result)
        self.run_holders = set()
        #: the devices the task's inventory host holds because of this task (not those it held already)
        self.taken_ids = set()

    def record(self, ids, before, after, changed):
        """Note each device's holder before and after (a dict per device, or one word for all); returns ``changed``."""
        for device_id in ids:
            self.before[device_id] = before[device_id] if isinstance(before, dict) else before
            self.after[device_id] = after[device_id] if isinstance(after, dict) else after
        return changed

    def detail(self, holders, waiter):
        """The detail of a failure: every device with its holder as far as known (``holders`` over what is recorded)."""
        return {'device_ids': list(self.after) or list(holders), 'holder': dict(self.after, **holders) if holders else dict(self.after),
                'locked': False, 'waited': waiter.waited, 'attempts': waiter.attempts}

    def result(self, changed, waiter, diff, state, endpoint):
        """The task's result: locked when every device is held by this run; its holders and, when locking, taken_ids."""
        locked = bool(self.after) and all(holder == HOLDER_US for holder in self.after.values())
        extra = {}
        if self.holders is not None:
            # released by this host, kept for the other hosts of the run that still hold it
            extra['holders'] = self.holders
        elif locked:
            extra['holders'] = sorted(self.run_holders)
        if locked and state == 'locked':
            extra['taken_ids'] = canonical_order(self.taken_ids)
        return lock_result(changed, locked, dict(self.after), {'holder': dict(self.before)}, {'holder': dict(self.after)},
                           waiter, diff, device_ids=list(self.after), endpoint=endpoint, **extra)
