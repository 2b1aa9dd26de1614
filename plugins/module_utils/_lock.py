# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Lock logic both modules share: the host interface, whose lease it is, undoing a lost answer, waiting.

Nothing here knows Ansible: the action plugin, the module's ``main()`` and the keeper each give the lock
classes a :class:`LockHost` and validated options (``_options``), and turn what comes back into their own output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_AUTH, REASON_LOCK_LOST, RETRYABLE_REASONS, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import ORPHAN, OURS, make_proof

#: A lease of this run (or of a run that is gone) taken with other credentials: ask the device, as anyone would.
FOREIGN = 'foreign'

#: How long a waiter watches a local lease before checking that its run is still alive.
LOCAL_RECHECK = 1.0
#: A wait says what it waits for after this many seconds, then every REPORT_EVERY seconds.
FIRST_REPORT = 5.0
REPORT_EVERY = 20.0
#: A waiter signed in behind a local lease touches its session when it has been idle this long, so that the
#: session and the kept-alive connection are still there at the hand-over (Tomcat closes idle ones after 20 s).
STANDBY_TOUCH = 15.0


def backoff_delays(first=0.1, factor=2.0, cap=1.0, jitter=0.2, rng=random.random):
    """Yield capped exponential delays with +/- ``jitter`` proportional noise, forever.

    With the defaults the mean delay settles at ``cap`` seconds, so a waiter sends at most about one
    request per second to the device once the first quick retries are spent.
    """
    delay = first
    while True:
        yield max(0.0, delay * (1.0 + jitter * (2.0 * rng() - 1.0)))
        delay = min(cap, delay * factor)


class LockHost:
    """What the lock logic needs from whoever runs it, and nothing more.

    ``check_mode`` and ``diff`` as the task asked; ``member`` the inventory host the task is for (hosts of one run
    share a lock), or None for the keeper, which acts for the whole run; ``warn`` takes one line for the user;
    ``on_lock(store, options, run)`` is told when a lock is held, so that the controller can watch the run.
    """

    def __init__(self, check_mode=False, diff=False, member='', warn=None, on_lock=None, progress=None, run=None):
        self.check_mode = check_mode
        self.diff = diff
        self.member = member
        #: the run the task belongs to, where the caller knows it better than the processes do (a delegated module)
        self.run = run
        self._warn = warn
        self._on_lock = on_lock
        self._progress = progress

    def warn(self, message):
        if self._warn is not None:
            self._warn(message)

    def progress(self, message):
        """One line for the user while the task waits (shown as it happens, not in the result)."""
        if self._progress is not None:
            self._progress(message)

    def lock_held(self, store, options, run):
        """A lock is held by ``run``: let the controller watch the run (nothing in check mode, nor where nobody can)."""
        if self._on_lock is not None and not self.check_mode:
            self._on_lock(store, options, run)


def undo_if_answer_lost(take, undo):
    """``take()``, and when its answer is lost on the way (network, 5xx, garbage), ``undo()`` before the error goes on.

    The lock may have been granted before the answer got lost; undoing with credentials that can only
    release what they took leaves nothing locked because of the failure. The undo is best effort.
    """
    try:
        return take()
    except OracleError as exc:
        if exc.reason in RETRYABLE_REASONS:
            try:
                undo()
            except OracleError:
                pass
        raise


class Waiter:
    """Paces the attempts of one task to get a held lock, and knows when its deadline has passed.

    Against the device it backs off exponentially from 0.1 s to about 1 s with jitter; behind a lease of
    another run on this controller it watches the lease file instead, so the hand-over is immediate and
    the device is not asked for the lock while the waiter waits.
    """

    def __init__(self, wait_timeout, clock=time.monotonic, sleep=time.sleep, delays=None, progress=None):
        self._clock = clock
        self._sleep = sleep
        self.started = clock()
        self.wait_timeout = max(0.0, float(wait_timeout or 0))
        self.deadline = self.started + self.wait_timeout
        self.attempts = 0
        self._waited = 0.0
        self._delays = delays if delays is not None else backoff_delays(first=0.1, cap=1.0)
        self._progress = progress
        self._next_report = self.started + FIRST_REPORT

    @property
    def waited(self):
        """Seconds spent waiting for another holder (not the time spent talking to the device)."""
        return round(self._waited, 2)

    def remaining(self):
        return self.deadline - self._clock()

    def pause(self, store=None, key=None, about=None):
        """Wait before the next attempt. Return False, at once, when the deadline has passed.

        ``about()`` says what is waited for; FIRST_REPORT seconds into the wait, and then every REPORT_EVERY
        seconds, it goes to ``progress`` with how long the task has waited of how long it may.
        """
        remaining = self.remaining()
        if remaining <= 0:
            return False
        began = self._clock()
        if self._progress is not None and about is not None and began >= self._next_report:
            self._progress('%s; waited %d s of %d s' % (about(), int(began - self.started), int(self.wait_timeout)))
            self._next_report = began + REPORT_EVERY
        if store is None:
            self._sleep(min(next(self._delays), remaining))
        else:
            store.wait_for_change(key, store.signature(key), min(remaining, LOCAL_RECHECK), self._clock, self._sleep)
        self._waited += self._clock() - began
        return True


def standing_for(store, lease, run, username, password, sign_in, signed_in=False):
    """How ``lease`` stands for a task of ``run`` with these credentials.

    FREE, OTHER_RUN: as :meth:`LeaseStore.classify` says. OURS / ORPHAN only when the lease was taken with
    these credentials; a lease of another user is FOREIGN (the task asks the device, as any other client
    would, and never gets the lock, the token or the release from the lease). The same user with a password
    that does not match the lease's proof (or a lease without one) signs in once through ``sign_in``: a
    refusal raises auth_failed, a success means the password changed, and the lease's proof is renewed.
    ``signed_in``: the device has just accepted these credentials, which proves them (the hash is not computed).
    """
    standing = store.classify(lease, run)
    if standing not in (OURS, ORPHAN):
        return standing
    if lease.user != username:
        return FOREIGN
    if signed_in:
        return standing
    if not lease.taken_with(username, password):
        try:
            sign_in()
        except OracleError as exc:
            if exc.reason != REASON_AUTH:
                raise
            raise OracleError(exc.msg, exc.reason, exc.status, dict(exc.detail or {}, locked=False))
        lease.proof = make_proof(username, password, lease.run)
        store.write(lease)
    return standing


def refuse_if_lapsed(store, lease, what):
    """OracleError(lock_lost) when ``lease``, which this run holds, may have been taken over while the run counted as gone
    in a shared lease record (``store.liveness_lapsed``); ``what`` names the lock. The lease stays for the release."""
    if store.liveness_lapsed(lease):
        raise OracleError('this run counted as gone in the lease record while it held %s (the lease store could not be reached '
                          'for longer than lease_ttl), so another controller may have taken it over meanwhile; release it '
                          '(state: unlocked) and take it again' % what, REASON_LOCK_LOST, detail={'locked': False})
