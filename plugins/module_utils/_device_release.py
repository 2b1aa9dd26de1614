# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""How a ``device_lock`` task gives SDM devices back: through this run's leases, host by host, else by the SDM's word.

:class:`DeviceRelease` is the release half of ``DeviceLock`` (``_device_lock``), whose lease keys, guards, standings,
session and record it uses; the holders and wording come from the lock protocol (``_lock_protocol``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_HELD, REASON_SERVER_ERROR, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import ORPHAN, OTHER_RUN, OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import HOLDER_NOBODY, HOLDER_OTHER_RUN, HOLDER_UNKNOWN, HOLDER_US
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm import says_not_locked
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_targets import device_target


class DeviceRelease:
    """The release of a ``device_lock`` task (a part of ``DeviceLock``): every target given back, or said why not."""

    def release(self, targets):
        """Give back every target: what this run holds through its leases (once no other host of the run holds it), else
        what the SDM says this user holds; a refusal for one of several targets fails the task only after the others."""
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
            raise OracleError('; '.join(failures), REASON_LOCK_HELD, detail=self._detail(self.holding.after))
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
        self._record([device_id for device_id in target.device_ids if device_id not in self.holding.after], HOLDER_UNKNOWN, HOLDER_UNKNOWN,
                     False)
        self._record(kept, HOLDER_US, HOLDER_US, False)
        detail = dict(self._detail({}), **(exc.detail or {}))
        detail.update(device_ids=list(self.holding.after), holder=dict(self.holding.after), changed=changed,
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
                raise self.theirs_to_release('%s on SDM %s' % (target.label, self.endpoint), standings[others[0]][0].run,
                                             self._detail(self.holding.after))
            shared = dict((device_id, others) for device_id, others in (
                (device_id, self.others_holding(standings[device_id][0]))
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
        for device_id, others in shared.items():
            self.leave(standings[device_id][0], others)
        self.holding.holders = sorted(set(member for others in shared.values() for member in others))
        self._record(list(shared), HOLDER_US, HOLDER_US, False)
        alone = [device_id for device_id in ids if device_id not in shared and standings[device_id][1] in (OURS, ORPHAN)]
        if self.host.check_mode:
            return self._record(alone, HOLDER_US, HOLDER_NOBODY, bool(alone))
        changed = False
        for device_id in alone:
            changed = self._release_ours(device_target(device_id, self._session), [device_id]) or changed
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
            changed = self._release_ours(device_target(device_id, self._session), [device_id]) or changed
        return changed

    def _release_part(self, target, ours):
        """A group only some members of which this run holds: those are given back one by one, the others left untouched."""
        left = [device_id for device_id in target.device_ids if device_id not in ours]
        changed = self._release_each(ours)
        self._record([device_id for device_id in left if device_id not in self.holding.after], HOLDER_UNKNOWN, HOLDER_UNKNOWN, False)
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
