# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``device_lock``: SDM device and device-group locks, decided from the lease record and the SDM's answers.

A device and a device group are both a *target*: a set of devices locked or unlocked by one SDM action.
Leases are kept per device, so a device locked alone and the same device locked through its group exclude
each other between runs on one controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import os
import re
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_LOCK_HELD,
    REASON_NOT_FOUND,
    REASON_SERVER_ERROR,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import (
    FREE,
    ORPHAN,
    OTHER_RUN,
    OURS,
    Lease,
    ProofInAdvance,
    Run,
    lease_key,
    make_proof,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_open import open_lease_record
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import (
    FOREIGN,
    HOLDER_NOBODY,
    HOLDER_OTHER_RUN,
    HOLDER_UNKNOWN,
    HOLDER_US,
    STANDBY_TOUCH,
    Waiter,
    confirm_held,
    lock_result,
    refuse_if_lapsed,
    standing_for,
    undo_if_answer_lost,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SdmLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm import DONE, Answer, SdmClient, says_not_locked


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


class DeviceLock:
    """One ``device_lock`` task."""

    def __init__(self, options, host, redactor, client=None, store=None, run=None):
        """``options``: SdmLockOptions; ``host``: the LockHost running the task; the rest for tests and the keeper."""
        self.options = options
        self.host = host
        conn = options.connection
        self.endpoint = conn.endpoint
        self.store = store or open_lease_record(options.lease, options.lease_dir, warn=host.warn)
        self.run = run or host.run or Run.current()
        self.member = host.member
        self.client = client or SdmClient(HttpClient(self.endpoint, 'SDM', conn.validate_certs, conn.ca_path, conn.timeout, redactor),
                                          conn.username, conn.password, conn.api_version)
        self.waiter = Waiter(options.wait_timeout, progress=host.progress)
        self.before = {}
        self.after = {}
        self.taken = []
        #: the proof of these credentials for the leases this task writes (ProofInAdvance), begun as it asks the SDM
        self.proof = None
        self.holders = None
        #: the hosts of this run that hold what this task locked (for the result)
        self.run_holders = set()
        #: the devices the task's inventory host holds because of this task (not those it held already)
        self.taken_ids = set()

    # -- plumbing ---------------------------------------------------------------------------------

    def close(self):
        """Log out, close the connection and the lease directory (the task is over)."""
        self.client.logout()
        self.client.close()
        self.store.close()

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
        self.taken_ids.update(device_id for device_id, (lease, standing) in standings.items() if not self._holds_already(lease, standing))

    def _write_leases(self, device_ids):
        self.taken_ids.update(device_ids)
        proof = self.proof.result() if self.proof is not None else make_proof(self.client.username, self.client.password, self.run)
        if self.member is not None:
            self.run_holders.add(self.member)
        for device_id in device_ids:
            self.store.write(Lease('sdm', self.endpoint.netloc, 'device:%s' % device_id, self.client.username, self.run,
                                   proof=proof, holders=[] if self.member is None else [self.member]))

    def _warn_same_user_once(self):
        """Say once per controller, user and SDM that the SDM cannot keep apart two jobs of one user on other controllers.

        A marker in the lease directory remembers it was said (one file per user and SDM, not per run); the
        per-run markers older versions left are removed when it is first made.
        """
        if self.store.shared_between_controllers:
            return  # the lease record keeps jobs of one user apart on every controller that shares it
        marker = '.warned-same-user-%s' % hashlib.sha256(('%s|%s' % (self.endpoint.netloc, self.client.username)).encode()).hexdigest()[:16]
        try:
            os.close(self.store.open_file(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except (OSError, OracleError):
            return
        for name in self.store.names():
            if re.match(r'\.warned-[0-9a-f]{16}\Z', name):
                try:
                    self.store.unlink(name)
                except OracleError:
                    pass
        self.host.warn('SDM device locks belong to the user %s, not to a run: runs on this controller are kept apart by the lease '
                       'record, but jobs of the same user on other controllers are not (said once per controller)' % self.client.username)

    # -- targets ----------------------------------------------------------------------------------

    def targets(self):
        if self.options.group:
            nf_id, group_id = self.options.group
            members = canonical_order(device['id'] for device in self._session().devices()
                                      if device.get('nfId') == nf_id and group_id in (device.get('groupId'), device.get('parentGroupId')))
            if not members:
                raise OracleError('device group %s of NF %s has no devices on SDM %s that user %s can see; check nf_id and group_id'
                                  % (group_id, nf_id, self.endpoint, self.client.username), REASON_NOT_FOUND)
            return [Target('device group %s of NF %s' % (group_id, nf_id), members,
                           lambda action: self._session().group_action(nf_id, group_id, action))]
        if self.options.devices:
            device_ids = self._resolve(self.options.devices)
        else:
            device_ids = self.options.device_ids
        return [self._device_target(device_id) for device_id in canonical_order(device_ids)]

    def _device_sender(self, device_id):
        return lambda action: self._session().device_action(device_id, action)

    def _resolve(self, names):
        """Device ids for names, management IPs or ``name_ip`` keys; unknown or ambiguous names fail and list candidates."""
        inventory = self._session().devices()
        device_ids = []
        for name in names:
            matches = [device for device in inventory if name in (device.get('name'), device.get('ip'), device.get('key'), device.get('id'))]
            if len(matches) == 1:
                device_ids.append(matches[0]['id'])
                continue
            if not matches:
                known = ', '.join(sorted(device.get('name', device['id']) for device in inventory)[:10]) or 'none'
                raise OracleError('no device named %r on SDM %s (by name, management IP or key); devices this user sees include: %s'
                                  % (name, self.endpoint, known), REASON_NOT_FOUND)
            candidates = ', '.join('%s (%s, %s)' % (device['id'], device.get('name'), device.get('ip')) for device in matches)
            raise OracleError('device %r is ambiguous on SDM %s: it matches %s; give device_id or the name_ip key instead'
                              % (name, self.endpoint, candidates), REASON_BAD_INPUT)
        return device_ids

    # -- acquire ----------------------------------------------------------------------------------

    def acquire(self, targets):
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
                    ours = [device_id for device_id in ids if standings[device_id][1] == OURS]
                    self.proof = self.proof or ProofInAdvance(self.client.username, self.client.password, self.run)
                    answer = self._send_lock(target)
                    if not answer.done and len(ids) > 1:
                        self._undo_partial(ids, standings)
                        if ours:
                            # an SDM may refuse a group some members of which this user holds already (a second
                            # Lock by the holder): the others are taken one by one instead
                            answer = self._lock_one_by_one([device_id for device_id in ids if device_id not in ours])
                    if answer.done:
                        new = [device_id for device_id in ids if device_id not in ours]
                        # what a failure of this task from here on gives back: only what it took (members held by
                        # other hosts of the run stay theirs); counted before the leases are written, so that a lease
                        # that cannot be written (a full disk, etcd gone) never leaves a device locked that none records
                        self.taken.extend([target] if not ours else [self._device_target(device_id) for device_id in new])
                        self._write_leases(new)
                        self._join(ours, standings)
                        self._warn_same_user_once()
                        before = refused_by or dict((device_id, HOLDER_US if device_id in ours else HOLDER_NOBODY) for device_id in ids)
                        return self._record(ids, before, HOLDER_US, True)
                    holder = ('user %s' % answer.holder) if answer.holder else HOLDER_UNKNOWN
                    holders = refused_by = dict((device_id, holder) for device_id in ids)
                    refusal = answer
            if waiting_on and not self.host.check_mode and self.waiter.remaining() > 0:
                self._stand_by()
            if not self.waiter.pause(self.store if waiting_on else None, self._key(waiting_on) if waiting_on else None,
                                     lambda: self._waiting_for(target, waiting_on and standings[waiting_on][0], holders)):
                self._record(ids, holders, holders, False)
                raise self._held_error(target, holders, None if waiting_on else refusal, waiting_on and standings[waiting_on][0])

    def _device_target(self, device_id):
        return Target('device %s' % device_id, [device_id], self._device_sender(device_id))

    def _lock_one_by_one(self, device_ids):
        """Lock each device alone, all or nothing: the first refusal unlocks those taken here and is returned."""
        taken = []
        for device_id in device_ids:
            answer = self._send_lock(self._device_target(device_id))
            if not answer.done:
                for done in reversed(taken):
                    try:
                        self._device_target(done).send('Unlock')
                    except OracleError:
                        pass
                return answer
            taken.append(device_id)
        return Answer(DONE, 204)

    def _stand_by(self):
        """Behind another run's lease: be signed in, with a live connection, so the hand-over costs one request.

        A waiter behind a foreign holder holds a session to ask with anyway; this one holds the same, and
        touches it every STANDBY_TOUCH seconds instead of asking for the lock.
        """
        if not self.client.logged_in:
            self.client.login()
        elif self.client.idle_for() >= STANDBY_TOUCH:
            try:
                self.client.keep_alive()
            except OracleError:
                pass  # the device may be back by the hand-over; if not, the Lock fails and says why

    def _send_lock(self, target):
        """Send Lock; when its answer is lost, send Unlock (only this user's lock can be released) before failing."""
        return undo_if_answer_lost(lambda: target.send('Lock'), lambda: target.send('Unlock'))

    def _join(self, ids, standings):
        """This run holds every device with these credentials: count this host among the holders; nothing changes."""
        self._would_take(dict((device_id, standings[device_id]) for device_id in ids))
        if not self.host.check_mode:
            for device_id in ids:
                lease = standings[device_id][0]
                if self.member is not None and self.member not in lease.holders:
                    lease.holders.append(self.member)
                    self.store.write(lease)
                self.run_holders.update(lease.holders)
        return self._record(ids, HOLDER_US, HOLDER_US, False)

    def _adopt(self, target, standings):
        """Take over what a run that is gone left, once the SDM confirms that this user holds it; False if not.

        Leases the SDM does not confirm are forgotten; the caller then asks for the target like any client.
        """
        ids = target.device_ids
        orphans = [device_id for device_id in ids if standings[device_id][1] == ORPHAN]
        left_by = standings[orphans[0]][0].run.describe()
        if not confirm_held(lambda: target.send('Lock').done, lambda: target.send('Unlock').done):
            self._forget(orphans)
            self.host.warn('the lock of %s on SDM %s left by %s, which is no longer running, was no longer held by user %s '
                           '(forced free, or taken by another user); asking for it anew' % (target.label, self.endpoint, left_by,
                                                                                            self.client.username))
            return False
        self.host.warn('adopted the lock of %s on SDM %s left by %s, which is no longer running (the SDM confirmed that user %s '
                       'holds it)' % (target.label, self.endpoint, left_by, self.client.username))
        self._would_take(dict((device_id, standings[device_id]) for device_id in ids))
        for device_id in ids:
            lease = standings[device_id][0]
            if device_id in orphans:
                lease.run, lease.taken_at = self.run, time.time()  # taken by this run now (what a lapse of its liveness is compared with)
            lease.holders = [] if self.member is None else [self.member]
            self.run_holders.update(lease.holders)
            self.store.write(lease)
        self._record(ids, dict((device_id, HOLDER_OTHER_RUN if device_id in orphans else HOLDER_US) for device_id in ids), HOLDER_US, True)
        return True

    def _undo_partial(self, ids, standings):
        """A group refused as a whole may still have locked its free members: give back those we had no lease for."""
        for device_id in ids:
            if standings[device_id][1] in (FREE, FOREIGN):
                self._session().device_action(device_id, 'Unlock')

    def _give_back(self):
        """All-or-nothing: release what this task took before it failed; never raises over the original error."""
        for target in reversed(self.taken):
            try:
                if target.send('Unlock').done:
                    for device_id in target.device_ids:
                        self.store.delete(self._key(device_id))
                        self.after[device_id] = HOLDER_NOBODY
            except OracleError:
                pass
        self.taken = []

    def _waiting_for(self, target, other_lease, holders):
        if other_lease is not None:
            who = 'another run sharing this lease record (%s)' % other_lease.run.describe()
        else:
            named = sorted(set(holder for holder in holders.values() if holder.startswith('user ')))
            who = ', '.join(named) or 'another user'
        return 'device_lock: waiting for %s on SDM %s, held by %s' % (target.label, self.endpoint, who)

    def _held_error(self, target, holders, refusal, other_lease):
        if other_lease is not None:
            who = 'another run sharing this lease record (%s)' % other_lease.run.describe()
        elif refusal is not None and refusal.holder:
            who = 'user %s' % refusal.holder
        else:
            who = 'another user'
        msg = '%s on SDM %s is held by %s; waited %s s' % (target.label, self.endpoint, who, int(round(self.waiter.waited)))
        if refusal is not None:
            msg += ' (the SDM answered %d%s)' % (refusal.status, ': %s' % refusal.text if refusal.text else '')
        if not self.options.wait_timeout:
            msg += '; set wait_timeout to wait for it'
        if self.taken or len(self.before) > len(target.device_ids):
            msg += '; the devices this task had locked were given back'
        reason = REASON_SERVER_ERROR if refusal is not None and refusal.status >= 500 else REASON_LOCK_HELD
        return OracleError(msg, reason, detail=self._detail(holders))

    # -- release ----------------------------------------------------------------------------------

    def release(self, targets):
        failures = []
        changed = False
        for target in targets:
            try:
                changed = self._release(target) or changed
            except OracleError as exc:
                if exc.reason != REASON_LOCK_HELD or len(targets) == 1:
                    raise self._saying_what_is_kept(exc, target, changed)
                failures.append(exc.msg)
        if failures:
            raise OracleError('; '.join(failures), REASON_LOCK_HELD, detail=self._detail(self.after))
        return self._result(changed)

    def _saying_what_is_kept(self, exc, target, changed):
        """``exc`` saying what the release did before it failed: ``changed`` (devices given back before the failure), every
        device with its holder as far as known, and ``lease_kept``: whether a lease of this run still keeps a device of
        ``target`` (for the keeper, or a later release)."""
        try:
            kept = [device_id for device_id in target.device_ids
                    if self.store.classify(self.store.read(self._key(device_id)), self.run) in (OURS, ORPHAN)]
        except OracleError:
            kept = list(target.device_ids)  # the lease record cannot say: nothing of it was deleted by this task
        self._record([device_id for device_id in target.device_ids if device_id not in self.after], HOLDER_UNKNOWN, HOLDER_UNKNOWN,
                     False)
        self._record(kept, HOLDER_US, HOLDER_US, False)
        detail = dict(self._detail({}), **(exc.detail or {}))
        detail.update(device_ids=list(self.after), holder=dict(self.after), changed=changed,
                      lease_kept=bool(kept) or bool((exc.detail or {}).get('lease_kept')))
        return OracleError(exc.msg, exc.reason, exc.status, detail)

    def _release(self, target):
        ids = target.device_ids
        with self._guards(ids):
            if not self.host.check_mode and not any(self.store.classify(self.store.read(self._key(device_id)), self.run) == OTHER_RUN
                                                    for device_id in ids):
                # the release asks the SDM in every case but that one: signing in first proves the credentials, so
                # that no hash of them needs computing for the lease
                self._session()
            standings = self._standings(ids)
            others = [device_id for device_id in ids if standings[device_id][1] == OTHER_RUN]
            ours = [device_id for device_id in ids if standings[device_id][1] in (OURS, ORPHAN)]
            if others and ours and not self.host.check_mode:
                # a group some members of which another run holds: this run gives back exactly its own
                self._record(others, HOLDER_OTHER_RUN, HOLDER_OTHER_RUN, False)
                return self._release_part(target, ours)
            if others:
                self._record(ids, HOLDER_OTHER_RUN, HOLDER_OTHER_RUN, False)
                raise OracleError('%s on SDM %s is held by another run sharing this lease record (%s); it is theirs to release, so it was '
                                  'left untouched' % (target.label, self.endpoint, standings[others[0]][0].run.describe()),
                                  REASON_LOCK_HELD, detail=self._detail(self.after))
            shared = dict((device_id, others) for device_id, others in (
                (device_id, [member for member in standings[device_id][0].holders if member != self.member])
                for device_id in ids if standings[device_id][1] == OURS and self.member is not None) if others)
            if shared:
                return self._leave(ids, standings, shared)
            if self.host.check_mode:
                return self._record(ids, HOLDER_US if ours else HOLDER_UNKNOWN, HOLDER_NOBODY if ours else HOLDER_UNKNOWN, bool(ours))
            if len(ours) == len(ids):
                return self._release_ours(target, ours)
            if ours:
                return self._release_part(target, ours)
            return self._release_unleased(target)

    def _leave(self, ids, standings, shared):
        """Other hosts of this run still hold some devices of the target: this host lets go of those, which stay with
        them, and gives back, one by one, the devices of the target that nobody else of the run holds."""
        if not self.host.check_mode:
            for device_id, others in shared.items():
                lease = standings[device_id][0]
                if self.member in lease.holders:
                    lease.holders = others
                    self.store.write(lease)
        self.holders = sorted(set(member for others in shared.values() for member in others))
        self._record(list(shared), HOLDER_US, HOLDER_US, False)
        alone = [device_id for device_id in ids if device_id not in shared and standings[device_id][1] in (OURS, ORPHAN)]
        if self.host.check_mode:
            return self._record(alone, HOLDER_US, HOLDER_NOBODY, bool(alone))
        changed = False
        for device_id in alone:
            changed = self._release_ours(self._device_target(device_id), [device_id]) or changed
        return changed

    def _release_ours(self, target, ours):
        """Give back a target every device of which this run holds; a lease goes only once the SDM has said the lock is gone."""
        answer = target.send('Unlock')
        if answer.done:
            self._forget(ours)
            return self._record(target.device_ids, HOLDER_US, HOLDER_NOBODY, True)
        self._raise_if_unsure(target, answer)
        if len(target.device_ids) > 1:
            # a group refused as a whole says nothing of each member: each one's own answer does
            return self._release_each(ours)
        # the SDM's word that this user cannot unlock the device: the lock this run took is gone (forced free,
        # or taken by another user since), so there is nothing of ours left to keep a lease for
        self._forget(ours)
        holder = self._refuser(answer)
        self.host.warn('%s on SDM %s was no longer locked by user %s (%s); nothing was given back'
                       % (target.label, self.endpoint, self.client.username,
                          'now held by %s' % holder if holder != HOLDER_UNKNOWN else 'forced free by an administrator?'))
        return self._record(target.device_ids, holder, holder, False)

    def _release_each(self, device_ids):
        changed = False
        for device_id in device_ids:
            changed = self._release_ours(self._device_target(device_id), [device_id]) or changed
        return changed

    def _release_part(self, target, ours):
        """A group only some members of which this run holds: those are given back one by one, the others left untouched."""
        left = [device_id for device_id in target.device_ids if device_id not in ours]
        changed = self._release_each(ours)
        self._record([device_id for device_id in left if device_id not in self.after], HOLDER_UNKNOWN, HOLDER_UNKNOWN, False)
        self.host.warn('%s on SDM %s: this run held only %s, which %s given back; %s, not held by this run, %s left untouched'
                       % (target.label, self.endpoint, ', '.join(ours), 'was' if len(ours) == 1 else 'were', ', '.join(left),
                          'was' if len(left) == 1 else 'were'))
        return changed

    def _release_unleased(self, target):
        """No lease: Unlock (never Lock) says whether this user held it; a refusal means there was nothing of ours to give back."""
        answer = target.send('Unlock')
        if answer.done:
            self.host.warn('released %s on SDM %s, which user %s held without a lease on this controller (a run that is gone, '
                           'another controller, or another user\'s task in this run)' % (target.label, self.endpoint, self.client.username))
            return self._record(target.device_ids, HOLDER_UNKNOWN, HOLDER_NOBODY, True)
        self._raise_if_unsure(target, answer)
        holder = self._refuser(answer)
        return self._record(target.device_ids, holder, holder, False)

    @staticmethod
    def _refuser(answer):
        """Who holds what an Unlock was refused for, as far as the SDM's words tell."""
        if answer.holder:
            return 'user %s' % answer.holder
        return HOLDER_NOBODY if says_not_locked(answer.text) else HOLDER_UNKNOWN

    def _raise_if_unsure(self, target, answer):
        """A 5xx to Unlock says nothing of the lock: fail (the role retries), keeping every lease."""
        if answer.status >= 500:
            raise OracleError('Unlock of %s on SDM %s failed (the SDM answered %d%s); the leases are kept until it is given back'
                              % (target.label, self.endpoint, answer.status, ': %s' % answer.text if answer.text else ''),
                              REASON_SERVER_ERROR, answer.status, detail=dict(self._detail({}), lease_kept=True))

    def _forget(self, device_ids):
        for device_id in device_ids:
            self.store.delete(self._key(device_id))

    # -- results ----------------------------------------------------------------------------------

    def _record(self, ids, before, after, changed):
        for device_id in ids:
            self.before[device_id] = before[device_id] if isinstance(before, dict) else before
            self.after[device_id] = after[device_id] if isinstance(after, dict) else after
        return changed

    def _detail(self, holders):
        return {'device_ids': list(self.after) or list(holders), 'holder': dict(self.after, **holders) if holders else dict(self.after),
                'locked': False, 'waited': self.waiter.waited, 'attempts': self.waiter.attempts}

    def _result(self, changed):
        locked = bool(self.after) and all(holder == HOLDER_US for holder in self.after.values())
        extra = {}
        if self.holders is not None:
            # released by this host, kept for the other hosts of the run that still hold it
            extra['holders'] = self.holders
        elif locked:
            extra['holders'] = sorted(self.run_holders)
        if locked and self.options.state == 'locked':
            extra['taken_ids'] = canonical_order(self.taken_ids)
        return lock_result(changed, locked, dict(self.after), {'holder': dict(self.before)}, {'holder': dict(self.after)},
                           self.waiter, self.host.diff, device_ids=list(self.after), endpoint=self.endpoint.netloc, **extra)


def main_body(params, host, redactor):
    """What ``device_lock`` does with validated ``params``, for the action plugin and the module alike: one login, one
    logout, however it ends."""
    task = DeviceLock(SdmLockOptions(params, redactor), host, redactor)
    try:
        targets = task.targets()
        return task.acquire(targets) if task.options.state == 'locked' else task.release(targets)
    finally:
        task.close()
