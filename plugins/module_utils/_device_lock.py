# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``device_lock``: SDM device and device-group locks, the SDM dialect of the lock protocol (all-or-nothing acquire).

Leases are kept per device, so a device locked alone and the same device locked through its group exclude
each other between runs on one controller. Targets are resolved in ``_sdm_targets``; the release is ``_device_release``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_release import DeviceRelease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_HELD, REASON_SERVER_ERROR, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import FREE, ORPHAN, OTHER_RUN, OURS, lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import (
    FOREIGN,
    STANDBY_TOUCH,
    refuse_if_lapsed,
    standing_for,
    undo_if_answer_lost,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_protocol import LockProtocol, other_run_words
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_results import DeviceHolders
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import (
    HOLDER_NOBODY,
    HOLDER_OTHER_RUN,
    HOLDER_UNKNOWN,
    HOLDER_US,
    confirm_held,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SdmLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._same_user_warning import warn_same_user_once
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm import DONE, Answer, SdmClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_targets import device_target, resolve_targets


def send_lock(target):
    """Send Lock; when its answer is lost, send Unlock (only this user's lock can be released) before failing."""
    return undo_if_answer_lost(lambda: target.send('Lock'), lambda: target.send('Unlock'))


def lock_one_by_one(device_ids, session):
    """Lock each device alone, all or nothing: the first refusal unlocks those taken here and is returned."""
    taken = []
    for device_id in device_ids:
        answer = send_lock(device_target(device_id, session))
        if not answer.done:
            for done in reversed(taken):
                try:
                    device_target(done, session).send('Unlock')
                except OracleError:
                    pass
            return answer
        taken.append(device_id)
    return Answer(DONE, 204)


def undo_partial(ids, standings, session):
    """A group refused as a whole may still have locked its free members: give back those we had no lease for."""
    for device_id in ids:
        if standings[device_id][1] in (FREE, FOREIGN):
            session().device_action(device_id, 'Unlock')


def unpushed_words(lease):
    """What to say of the changes a device lock's lease records as staged by its run and not pushed ('' for none): they
    outlive the lock."""
    staged = (lease.sdm_work or {}).get('staged')
    if not staged:
        return ''
    named = ', '.join('%s %s' % (kind, ','.join('%s=%s' % item for item in sorted(key.items())) or '(one)') for kind, key in staged[:5])
    return ('%d change(s) this run staged were not pushed (%s%s); they stay in the staging area of user %s, where the push of '
            'a later run refuses them: push them before the release (device_config_push), or discard them (device_config_push '
            'state=discarded)' % (len(staged), named, ', ...' if len(staged) > 5 else '', lease.user))


def forget_leases(lock, device_ids):
    """Delete the leases of ``device_ids`` of ``lock`` (a DeviceLock), saying so where its run staged changes it did not push."""
    for device_id in device_ids:
        lease = lock.store.read(lock._key(device_id))
        if lease is not None and lock.run.same(lease.run) and unpushed_words(lease):
            lock.host.warn('device %s on SDM %s: %s' % (device_id, lock.endpoint, unpushed_words(lease)))
        lock.store.delete(lock._key(device_id))


def stand_by(client):
    """Behind another run's lease: be signed in, with a live connection, so the hand-over costs one request.

    A waiter behind a foreign holder holds a session to ask with anyway; this one holds the same, and
    touches it every STANDBY_TOUCH seconds instead of asking for the lock.
    """
    if not client.logged_in:
        client.login()
    elif client.idle_for() >= STANDBY_TOUCH:
        try:
            client.keep_alive()
        except OracleError:
            pass  # the device may be back by the hand-over; if not, the Lock fails and says why


class DeviceLock(DeviceRelease, LockProtocol):
    """One ``device_lock`` task: its targets, all-or-nothing acquire, and (``DeviceRelease``) release."""

    product = 'sdm'

    def __init__(self, options, host, redactor, client=None, store=None, run=None):
        """``options``: SdmLockOptions; ``host``: the LockHost running the task; the rest for tests and the keeper."""
        super(DeviceLock, self).__init__(options, host, redactor, client, store, run)
        #: each device's holder before and after, and the hosts and devices of the result
        self.holding = DeviceHolders()
        #: the targets this task locked, which a failure gives back
        self.taken = []

    def new_client(self, conn, redactor):
        return SdmClient(HttpClient(self.endpoint, 'SDM', conn.validate_certs, conn.ca_path, conn.timeout, redactor),
                         conn.username, conn.password, conn.api_version)

    # -- plumbing ---------------------------------------------------------------------------------

    def close(self):
        """Log out, close the connection and the lease directory (the task is over)."""
        self.client.logout()
        super(DeviceLock, self).close()

    def _session(self):
        if not self.client.logged_in:
            self.client.login()
        return self.client

    def _key(self, device_id):
        return lease_key('sdm', self.endpoint.netloc, 'device:%s' % device_id)

    @contextlib.contextmanager
    def _guards(self, device_ids):
        with contextlib.ExitStack() as stack:
            for device_id in device_ids:  # always in canonical order: no deadlock between processes
                stack.enter_context(self.store.guard(self._key(device_id)))
            yield

    def _standings(self, device_ids):
        """Lease and standing per device for this run and these credentials (``_lock.standing_for``).

        A task signed in already has had its credentials proven by the SDM: the lease's proof is not computed.
        """
        standings = {}
        for device_id in device_ids:
            lease = self.store.read(self._key(device_id))
            standings[device_id] = (lease, standing_for(self.store, lease, self.run, self.client.username, self.client.password,
                                                        self._session, signed_in=self.client.logged_in))
        return standings

    def _holds_already(self, lease, standing):
        """Whether the task's inventory host held this device before the task (a lease of this run listing it)."""
        return standing == OURS and self.member is not None and self.member in lease.holders

    def _would_take(self, standings):
        self.holding.taken_ids.update(device_id for device_id, (lease, standing) in standings.items()
                                      if not self._holds_already(lease, standing))

    def _write_leases(self, device_ids):
        self.holding.taken_ids.update(device_ids)
        proof = self.lease_proof()
        if self.member is not None:
            self.holding.run_holders.add(self.member)
        for device_id in device_ids:
            self.store.write(self.new_lease('device:%s' % device_id, proof))

    def _forget(self, device_ids):
        forget_leases(self, device_ids)

    def targets(self):
        """The targets the options name (``_sdm_targets.resolve_targets``), signed in only where the device list is read."""
        return resolve_targets(self.options, self._session, self.endpoint, self.client.username)

    # -- acquire ----------------------------------------------------------------------------------

    def acquire(self, targets):
        """Lock every target, all or nothing: a failure gives back what this task took before it goes on."""
        try:
            changed = False
            for index, target in enumerate(targets):
                changed = self._acquire(target) or changed
                if index == 0 and len(targets) > 1:
                    # what is taken stays held while the next devices may be waited for, longer than a task's own
                    # liveness lasts in a shared lease record: the run's keeper watches the run from now on
                    self.host.lock_held(self.store, self.options, self.run)
        except OracleError as exc:
            self._give_back()
            if exc.detail is None:
                raise
            # the holders as they are after the give-back
            raise OracleError(exc.msg, exc.reason, exc.status, self._detail({}))
        except BaseException:
            self._give_back()
            raise
        result = self._result(changed)
        if result['locked']:
            self.host.lock_held(self.store, self.options, self.run)
        return result

    def _acquire(self, target):
        ids = target.device_ids
        refused_by = None
        while True:
            self.waiter.attempts += 1
            waiting_on = None
            with self._guards(ids):
                standings = self._standings(ids)
                for device_id, (lease, standing) in standings.items():
                    if standing == OURS:
                        refuse_if_lapsed(self.store, lease, 'the lock of device %s on %s' % (device_id, self.endpoint))
                kinds = set(standing for _lease, standing in standings.values())
                if OTHER_RUN in kinds:
                    waiting_on = [device_id for device_id in ids if standings[device_id][1] == OTHER_RUN][0]
                    holders = dict((device_id, HOLDER_OTHER_RUN if standing == OTHER_RUN else HOLDER_UNKNOWN)
                                   for device_id, (_lease, standing) in standings.items())
                    if self.host.check_mode:
                        self._would_take(standings)
                        return self._record(ids, holders, HOLDER_US, True)
                elif kinds == set((OURS,)):
                    return self._join(ids, standings)
                elif ORPHAN in kinds and self.host.check_mode:
                    self._would_take(standings)
                    return self._record(ids, dict((device_id, HOLDER_OTHER_RUN if standing == ORPHAN else HOLDER_US)
                                                  for device_id, (_lease, standing) in standings.items()), HOLDER_US, True)
                elif ORPHAN in kinds and not kinds - set((OURS, ORPHAN)) and self._adopt(target, standings):
                    return True
                elif self.host.check_mode:
                    self._would_take(standings)
                    return self._record(ids, HOLDER_UNKNOWN, HOLDER_US, True)
                else:
                    refusal = self._lock_target(target, standings, refused_by)
                    if refusal is None:
                        return True
                    holder = ('user %s' % refusal.holder) if refusal.holder else HOLDER_UNKNOWN
                    holders = refused_by = dict((device_id, holder) for device_id in ids)
            if waiting_on and not self.host.check_mode and self.waiter.remaining() > 0:
                stand_by(self.client)
            if not self.wait_for_turn(self._key(waiting_on) if waiting_on else None,
                                      lambda: self._waiting_for(target, waiting_on and standings[waiting_on][0], holders)):
                self._record(ids, holders, holders, False)
                raise self._held_error(target, holders, None if waiting_on else refusal, waiting_on and standings[waiting_on][0])

    def _lock_target(self, target, standings, refused_by):
        """Ask the SDM for ``target`` (nothing of it held by another run); None once it is locked and its leases written,
        else the SDM's refusal. ``refused_by``: the holders an earlier refusal named (the result's holders before)."""
        ids = target.device_ids
        ours = [device_id for device_id in ids if standings[device_id][1] == OURS]
        self.begin_proof()
        answer = send_lock(target)
        if not answer.done and len(ids) > 1:
            undo_partial(ids, standings, self._session)
            if ours:
                # an SDM may refuse a group some members of which this user holds already (a second
                # Lock by the holder): the others are taken one by one instead
                answer = lock_one_by_one([device_id for device_id in ids if device_id not in ours], self._session)
        if not answer.done:
            return answer
        new = [device_id for device_id in ids if device_id not in ours]
        # what a failure of this task from here on gives back: only what it took (members held by
        # other hosts of the run stay theirs); counted before the leases are written, so that a lease
        # that cannot be written (a full disk, etcd gone) never leaves a device locked that none records
        self.taken.extend([target] if not ours else [device_target(device_id, self._session) for device_id in new])
        self._write_leases(new)
        self._join(ours, standings)
        warn_same_user_once(self.store, self.endpoint.netloc, self.client.username, self.host.warn)
        before = refused_by or dict((device_id, HOLDER_US if device_id in ours else HOLDER_NOBODY) for device_id in ids)
        self._record(ids, before, HOLDER_US, True)
        return None

    def _join(self, ids, standings):
        """This run holds every device with these credentials: count this host among the holders; nothing changes."""
        self._would_take(dict((device_id, standings[device_id]) for device_id in ids))
        if not self.host.check_mode:
            for device_id in ids:
                lease = standings[device_id][0]
                if self.join(lease):
                    self.store.write(lease)
                self.holding.run_holders.update(lease.holders)
        return self._record(ids, HOLDER_US, HOLDER_US, False)

    def _adopt(self, target, standings):
        """Take over what a run that is gone left, once the SDM confirms that this user holds it; False if not.

        Leases the SDM does not confirm are forgotten; the caller then asks for the target like any client.
        """
        ids = target.device_ids
        orphans = [device_id for device_id in ids if standings[device_id][1] == ORPHAN]
        user = self.client.username
        if not self.adopt_if_held(lambda: confirm_held(lambda: target.send('Lock').done, lambda: target.send('Unlock').done),
                                  lambda: self._forget(orphans), 'the lock of %s on SDM %s' % (target.label, self.endpoint),
                                  standings[orphans[0]][0].run.describe(), 'user %s' % user, 'user',
                                  'the SDM confirmed that user %s holds it' % user):
            return False
        self._would_take(dict((device_id, standings[device_id]) for device_id in ids))
        for device_id in ids:
            lease = standings[device_id][0]
            self.take_over(lease, orphan=device_id in orphans)
            self.holding.run_holders.update(lease.holders)
            self.store.write(lease)
        self._record(ids, dict((device_id, HOLDER_OTHER_RUN if device_id in orphans else HOLDER_US) for device_id in ids), HOLDER_US, True)
        return True

    def _give_back(self):
        """All-or-nothing: release what this task took before it failed; never raises over the original error."""
        for target in reversed(self.taken):
            try:
                if target.send('Unlock').done:
                    for device_id in target.device_ids:
                        self.store.delete(self._key(device_id))
                        self.holding.after[device_id] = HOLDER_NOBODY
            except OracleError:
                pass
        self.taken = []

    # -- words and results ------------------------------------------------------------------------

    def _waiting_for(self, target, other_lease, holders):
        if other_lease is not None:
            who = other_run_words(other_lease.run)
        else:
            named = sorted(set(holder for holder in holders.values() if holder.startswith('user ')))
            who = ', '.join(named) or 'another user'
        return self.waiting_words('device_lock', '%s on SDM %s' % (target.label, self.endpoint), who)

    def _held_error(self, target, holders, refusal, other_lease):
        if other_lease is not None:
            who = other_run_words(other_lease.run)
        elif refusal is not None and refusal.holder:
            who = 'user %s' % refusal.holder
        else:
            who = 'another user'
        msg = self.held_words('%s on SDM %s' % (target.label, self.endpoint), who)
        if refusal is not None:
            msg += ' (the SDM answered %d%s)' % (refusal.status, ': %s' % refusal.text if refusal.text else '')
        msg += self.wait_hint()
        if self.taken or len(self.holding.before) > len(target.device_ids):
            msg += '; the devices this task had locked were given back'
        reason = REASON_SERVER_ERROR if refusal is not None and refusal.status >= 500 else REASON_LOCK_HELD
        return OracleError(msg, reason, detail=self._detail(holders))

    def _record(self, ids, before, after, changed):
        return self.holding.record(ids, before, after, changed)

    def _detail(self, holders):
        return self.holding.detail(holders, self.waiter)

    def _result(self, changed):
        return self.holding.result(changed, self.waiter, self.host.diff, self.options.state, self.endpoint.netloc)


def main_body(params, host, redactor):
    """What ``device_lock`` does with validated ``params``, for the action plugin and the module alike: one login, one
    logout, however it ends."""
    task = DeviceLock(SdmLockOptions(params, redactor), host, redactor)
    try:
        targets = task.targets()
        return task.acquire(targets) if task.options.state == 'locked' else task.release(targets)
    finally:
        task.close()
