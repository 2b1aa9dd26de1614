# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``config_lock``: the SBC configuration lock, decided from the lease record and the device's answers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_release import ConfigRelease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_AUTH, REASON_LOCK_HELD, REASON_LOCK_LOST, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import FREE, ORPHAN, OTHER_RUN, OURS, lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import refuse_if_lapsed, standing_for, undo_if_answer_lost
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_protocol import LockProtocol, other_run_words
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_results import lock_result
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import HOLDER_FOREIGN, HOLDER_NOBODY, HOLDER_OTHER_RUN
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import HOLDER_UNKNOWN, HOLDER_US, iso_time, token_expired
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SbcLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc import LOCKED, SbcClient, Token

RESOURCE = 'configuration'
#: A token with less than half its life left is re-authenticated when a task touches the lock it holds.
REFRESH_AT = 0.5
#: A token of ours that would expire within this many seconds is replaced before it is used to lock.
FRESH_ENOUGH = 30.0


def _state(holder):
    return {'holder': holder}


class ConfigLock(ConfigRelease, LockProtocol):
    """One ``config_lock`` task, the SBC dialect of the lock protocol: acquire, renew for the keeper, and (``ConfigRelease``) release."""

    product = 'sbc'

    def __init__(self, options, host, redactor, client=None, store=None, run=None):
        """``options``: SbcLockOptions; ``host``: the LockHost running the task; the rest for tests and the keeper."""
        super(ConfigLock, self).__init__(options, host, redactor, client, store, run)
        self.key = lease_key('sbc', self.endpoint.netloc, RESOURCE)
        self.taken = False
        self.given_token = None
        if options.token:
            # Oracle gives no expiry with a token; one handed to us is assumed to have its whole life ahead.
            self.given_token = Token(options.token, time.time() + options.token_lifetime)

    def new_client(self, conn, redactor):
        return SbcClient(HttpClient(self.endpoint, 'SBC', conn.validate_certs, conn.ca_path, conn.timeout, redactor),
                         conn.username, conn.password, conn.api_version, self.options.token_lifetime)

    # -- results ----------------------------------------------------------------------------------

    def _result(self, changed, before, after, lease=None):
        extra = {}
        if after == HOLDER_US and lease is None and self.host.check_mode:
            # where the lease would be: the lookup answers a check run's tasks from it (lease lookup, check mode)
            extra['lease_file'] = self.store.path(self.key)
        if after == HOLDER_US and lease is not None:
            extra['expires_at'] = iso_time(lease.expires_at)
            extra['lease_file'] = self.store.path(self.key)
            extra['base_url'] = '%s/rest/%s' % (self.endpoint.base_url, lease.api_version)
            extra['holders'] = list(lease.holders)
            if self.options.return_token:
                # The token is the caller's to use (register), never to show: a result carrying it is
                # censored by every callback, at any verbosity, even where the task forgot no_log.
                extra['token'] = lease.token
                extra['_ansible_no_log'] = True
        return lock_result(changed, after == HOLDER_US, after, _state(before), _state(after),
                           self.waiter, self.host.diff, endpoint=self.endpoint.netloc, **extra)

    @staticmethod
    def _who(other_run):
        return other_run_words(other_run) if other_run else 'another user or session'

    def _waiting_for(self, other_run):
        return self.waiting_words('config_lock', 'the configuration lock on SBC %s' % self.endpoint, self._who(other_run))

    def _held_error(self, holder, other_run=None):
        who = self._who(other_run if holder == HOLDER_OTHER_RUN else None)
        msg = self.held_words('configuration lock on %s' % self.endpoint, who) + self.wait_hint()
        return OracleError(msg, REASON_LOCK_HELD, detail={'holder': holder, 'locked': False, 'waited': self.waiter.waited,
                                                          'attempts': self.waiter.attempts})

    def standing(self, lease):
        """The lease's standing for this task's run and credentials (``_lock.standing_for``)."""
        return standing_for(self.store, lease, self.run, self.client.username, self.client.password, self.client.authenticate)

    def use_version_of(self, lease):
        """Speak the API version the lease's lock was taken with (no discovery round trip)."""
        self.client.follow_version(lease.api_version)

    # -- acquire ----------------------------------------------------------------------------------

    def acquire(self):
        """Take the lock, or keep it when this run holds it; then make sure a keeper watches the run.

        ``taken`` in the result: whether the inventory host of the task holds the lock because of this task (False
        when it held it already: a session nested in another of the same host gives nothing back).
        """
        self.taken = True
        result = self._acquire()
        if result['locked']:
            result['taken'] = self.taken
            self.host.lock_held(self.store, self.options, self.run)
        return result

    def _acquire(self):
        token = self.given_token
        while True:
            self.waiter.attempts += 1
            other_run = None
            with self.store.guard(self.key):
                lease = self.store.read(self.key)
                standing = self.standing(lease)
                if standing == ORPHAN and lease.expired():
                    # The SBC freed that lock when its token expired: nothing of it is left to adopt.
                    self.host.warn('lease of %s for %s had expired with its token; the SBC has freed that lock' % (
                        lease.run.describe(), self.endpoint))
                    self.store.delete(self.key)
                    lease, standing = None, FREE
                if standing == OURS:
                    refuse_if_lapsed(self.store, lease, 'the configuration lock on %s' % self.endpoint)
                    return self._join(lease)
                if standing == ORPHAN:
                    adopted = self._adopt(lease)
                    if adopted is not None:
                        return adopted
                    lease, standing = None, FREE
                if standing == OTHER_RUN:
                    holder, other_run = HOLDER_OTHER_RUN, lease.run
                    if self.host.check_mode:
                        return self._result(True, holder, HOLDER_US)
                else:
                    # No lease, or one taken with other credentials: the SBC decides, as for any other client.
                    if self.host.check_mode:
                        return self._result(True, HOLDER_UNKNOWN, HOLDER_US)
                    self.begin_proof()
                    if token is None or (token is not self.given_token and token.remaining() < FRESH_ENOUGH):
                        token = self.client.authenticate()
                    if self._try_lock(token) == LOCKED:
                        return self._granted(token, self.lease_proof())
                    holder = HOLDER_FOREIGN
            if not self.wait_for_turn(self.key if other_run else None, lambda: self._waiting_for(other_run)):
                raise self._held_error(holder, other_run)

    def _try_lock(self, token):
        if token is self.given_token:
            # the caller's token may hold other things: never undone by us
            return self._given_token_call(token, lambda: self.client.lock(token))
        return undo_if_answer_lost(lambda: self.client.lock(token), lambda: self.client.unlock(token))

    def _granted(self, token, proof):
        lease = self.new_lease(RESOURCE, proof, token=token.value, issued_at=token.issued_at, expires_at=token.expires_at,
                               api_version=self.client.api_version)
        try:
            self.store.write(lease)
        except OracleError:
            self.client.unlock(token)  # never hold a lock nobody remembers
            raise
        # A fresh token was granted the lock: nobody held it at that moment, unless we had to wait for it.
        return self._result(True, HOLDER_NOBODY if self.waiter.attempts == 1 else HOLDER_FOREIGN, HOLDER_US, lease)

    def _join(self, lease):
        """This run holds it with these credentials: keep the token fresh and count this host among its holders."""
        if lease.expired():
            self.store.delete(self.key)
            raise token_expired(self.endpoint, lease.expires_at, '; lock again')
        self.taken = self.joins(lease)
        if self.host.check_mode:
            return self._result(False, HOLDER_US, HOLDER_US, lease)
        dirty = self.refresh_if_due(lease)
        if self.join(lease):
            dirty = True
        if dirty:
            self.store.write(lease)
        return self._result(False, HOLDER_US, HOLDER_US, lease)

    def _adopt(self, lease):
        """Take over the lock of a run that is gone, once the SBC confirms its token still holds it; None if it does not."""
        if self.host.check_mode:
            return self._result(True, HOLDER_OTHER_RUN, HOLDER_US, lease)
        if lease.token is None:
            self._forget_withheld(lease)
            return None
        if not self.adopt_if_held(lambda: self._still_holds(lease), lambda: self.store.delete(self.key),
                                  'the configuration lock on %s' % self.endpoint, lease.run.describe(), 'its token', 'client',
                                  'the SBC confirmed that its token still holds it'):
            return None
        self.take_over(lease)
        self.refresh_if_due(lease)
        self.store.write(lease)
        return self._result(True, HOLDER_OTHER_RUN, HOLDER_US, lease)

    def _still_holds(self, lease):
        """Whether the SBC says the lease's token holds the lock now (a token it no longer knows does not)."""
        self.use_version_of(lease)
        try:
            return self.client.holds(Token(lease.token, lease.expires_at, lease.issued_at))
        except OracleError as exc:
            if exc.reason != REASON_LOCK_LOST:
                raise
            return False

    def _forget_withheld(self, lease):
        """A gone run's lease whose token its controller kept to itself: nothing here can use that lock; the SBC decides."""
        self.store.delete(self.key)
        self.host.warn('the configuration lock on %s left by %s, which is no longer running, cannot be adopted or given back from '
                       'here: its controller kept the token (lease_etcd_store_token is off there); the SBC frees the lock when that '
                       'token expires, at %s at the latest' % (self.endpoint, lease.run.describe(), iso_time(lease.expires_at)))

    def refresh_if_due(self, lease):
        """Re-authenticate the lease's token when past REFRESH_AT of its life, keeping the lock on the token kept.

        True when the lease changed (to be written). Raises lock_lost, and forgets the lease, when the lock is gone.
        """
        token = Token(lease.token, lease.expires_at, lease.issued_at)
        if token.life_left_fraction() >= REFRESH_AT:
            return False
        self.use_version_of(lease)
        try:
            token, moved = self.client.refresh_holding(token)
        except OracleError as exc:
            if exc.reason == REASON_LOCK_LOST:
                self.store.delete(self.key)
            raise
        if moved:
            self.host.warn('%s: %s' % (self.endpoint, moved))
        lease.token, lease.issued_at, lease.expires_at = token.value, token.issued_at, token.expires_at
        return True

    def renew(self):
        """Re-authenticate the token of the lock this run holds, if past half its life; never takes a lock.

        For the keeper: None when this run holds no lease here with these credentials (released meanwhile), else True.
        """
        with self.store.guard(self.key):
            lease = self.store.read(self.key)
            if self.standing(lease) != OURS:
                return None
            if lease.expired():
                self.store.delete(self.key)
                raise token_expired(self.endpoint, lease.expires_at)
            if self.refresh_if_due(lease):
                self.store.write(lease)
            return True

    def _given_token_call(self, token, call):
        """``call()``; a 401 to the token the task was given is that token's fault (auth_failed), not a lost lock."""
        try:
            if token is self.given_token:
                self.client.discover_version(token)
            return call()
        except OracleError as exc:
            if token is not self.given_token or exc.status != 401:
                raise
            raise OracleError('the SBC %s did not accept the token given in the token option (401: expired, revoked, or not a '
                              'token of this SBC); give a valid token, or leave token unset to sign in with username and password'
                              % self.endpoint, REASON_AUTH, 401, detail={'locked': False})


def main_body(params, host, redactor):
    """What ``config_lock`` does with validated ``params``, for the action plugin and the module alike: its result."""
    task = ConfigLock(SbcLockOptions(params, redactor), host, redactor)
    try:
        return task.acquire() if task.options.state == 'locked' else task.release()
    finally:
        task.close()
