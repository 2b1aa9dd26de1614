# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``device_config_element``, ``device_config_push`` and ``device_config_element_info``: SDM provisioning under this run's device lock.

None of them takes a lock. The changing ones find the lease of the device lock this run holds on the device with
the task's credentials, keep the lease's guard while they work, and note in it what they staged, so that the
push knows which staged changes are this run's. They sign in with the task's credentials: the SDM's lock
belongs to the user, and so does its staging area; no session cookie is ever kept or shown.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import new_work, shown_changes
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_lock import DeviceLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_LOCK_HELD, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import OTHER_RUN, OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import refuse_if_lapsed
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SdmTaskOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config import SdmConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_targets import resolve_names

#: No device lock of this run on the device with these credentials.
REASON_NOT_LOCKED = 'not_locked'
_LOCK_HINT = ('take it first with oracle_comms.provisioning.device_lock or the lock_session role (lock_session_target: sdm), '
              'with the same host, username and lease options (lease_dir, lease_backend) as this task')


class UnderDeviceLock:
    """One task's device, the lease of the device lock this run holds on it, and an SdmConfig to work with."""

    def __init__(self, params, host, redactor):
        self.host = host
        self.lock = DeviceLock(SdmTaskOptions(params, redactor), host, redactor)
        self.client = self.lock.client
        self.endpoint = self.lock.endpoint
        self._device_id = None

    def close(self):
        self.lock.close()

    # -- which device -------------------------------------------------------------------------------

    def _held_here(self, lease):
        member = self.host.member
        return member is None or not lease.holders or member in lease.holders

    def _devices_held(self):
        """The devices of leases of this run on this SDM, taken with this user, that this host holds."""
        found = []
        for key in sorted(self.lock.store.keys()):
            if not key.startswith('sdm_'):
                continue
            lease = self.lock.store.read(key)
            if (lease is not None and lease.endpoint == self.endpoint.netloc and lease.user == self.client.username
                    and lease.resource.startswith('device:') and self.lock.run.same(lease.run) and self._held_here(lease)):
                found.append(lease.resource[len('device:'):])
        return found

    @property
    def device_id(self):
        """The task's device: ``device_id``, the id of ``device`` in the SDM's inventory, or the one device this run holds."""
        if self._device_id is None:
            options = self.lock.options
            if options.device_ids:
                self._device_id = options.device_ids[0]
            elif options.devices:
                self._device_id = resolve_names(options.devices, self._session().devices(), self.endpoint)[0]
            else:
                held = self._devices_held()
                if len(held) != 1:
                    raise OracleError(
                        'give device_id or device: this run holds %s on SDM %s as %s' % (
                            'device locks on %s' % ', '.join(held) if held else 'no device lock',
                            self.endpoint, self.client.username), REASON_BAD_INPUT if held else REASON_NOT_LOCKED)
                self._device_id = held[0]
        return self._device_id

    def _session(self):
        if not self.client.logged_in:
            self.client.login()
        return self.client

    def config(self, shape=None):
        """An SdmConfig for the task's device, signed in."""
        return SdmConfig(self._session(), self.device_id, shape)

    # -- the lease ----------------------------------------------------------------------------------

    def _ours(self, lease, standing):
        what = 'no device lock of this run on device %s of SDM %s as %s' % (self.device_id, self.endpoint, self.client.username)
        if standing == OTHER_RUN:
            raise OracleError('%s: it is held by another run (%s); take it with oracle_comms.provisioning.device_lock or the '
                              'lock_session role once that run is done' % (what, lease.run.describe()), REASON_LOCK_HELD,
                              detail={'holder': 'other run'})
        if standing != OURS:
            raise OracleError('%s: %s' % (what, _LOCK_HINT), REASON_NOT_LOCKED)
        if not self._held_here(lease):
            raise OracleError('the device lock on device %s of SDM %s is held by host(s) %s of this run, not by %s; take it for this '
                              'host too (device_lock), or run the task for a host that took it'
                              % (self.device_id, self.endpoint, ', '.join(lease.holders), self.host.member), REASON_NOT_LOCKED)
        refuse_if_lapsed(self.lock.store, lease, 'the device lock on device %s' % self.device_id)
        return lease

    @contextlib.contextmanager
    def held(self):
        """``(lease, SdmConfig)`` with the lease's guard held; OracleError(not_locked) when this run holds no lock on the device.

        In check mode, without such a lock, the lease is None and the SdmConfig only reads.
        """
        device_id = self.device_id
        key = self.lock._key(device_id)
        with self.lock.store.guard(key):
            lease, standing = self.lock._standings([device_id])[device_id]
            if self.host.check_mode and (standing != OURS or not self._held_here(lease)):
                yield None, self.config()
                return
            lease = self._ours(lease, standing)
            work = lease.sdm_work
            yield lease, self.config(work['shape'] if work else None)

    def begin_work(self, lease, config):
        """Before this run's first change on the device: ``loadConfig`` (Oracle's start of a provisioning session), the
        SDM's list shape, and the changes its staging area holds already (someone else's), written into the lease.
        True when it did that now (what was read before is then read again)."""
        if lease is None or lease.sdm_work is not None:
            return False
        config.load()
        if config.shape is None:
            config.element_types()
        before = config.changes()
        lease.sdm_work = new_work(config.shape, before)
        self.lock.store.write(lease)
        if before:
            self.host.warn('the SDM staging area of %s on device %s already holds %d change(s) this run did not stage (%s): '
                           'device_config_push refuses to push them unless include_foreign_changes is true; discard them with '
                           'device_config_push state=discarded' % (self.client.username, self.device_id, len(before), shown_changes(before)))
        return True

    def save(self, lease):
        """Write ``lease`` (its record changed; the guard is held)."""
        self.lock.store.write(lease)

    def lease_keys(self):
        """The keys of every lease in the record (for the push's look at this run's SBC locks)."""
        return self.lock.store.keys()

    def read_lease(self, key):
        return self.lock.store.read(key)

    @property
    def run(self):
        return self.lock.run


def task_with(body, params, host, redactor):
    """Run ``body(task, params)`` with an UnderDeviceLock for the task, closed (signed out) whatever happens."""
    task = UnderDeviceLock(params, host, redactor)
    try:
        return body(task, params)
    finally:
        task.close()
