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

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import (
    REASON_LOCK_HELD,
    REASON_LOCK_LOST,
    REASON_NETWORK,
    REASON_SERVER_ERROR,
    REASON_BAD_RESPONSE,
    HttpClient,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import (
    FREE,
    ORPHAN,
    OTHER_RUN,
    OURS,
    Lease,
    LeaseStore,
    Run,
    lease_key,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import (
    HOLDER_FOREIGN,
    HOLDER_NOBODY,
    HOLDER_OTHER_RUN,
    HOLDER_UNKNOWN,
    HOLDER_US,
    Waiter,
    lock_result,
    watch_run,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import connection_from_params
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc import (
    DEFAULT_PORT,
    HELD_BY_OTHER,
    LOCKED,
    NOT_HELD,
    RELEASED,
    SbcClient,
    Token,
)

RESOURCE = 'configuration'
#: A token with less than half its life left is re-authenticated when a task touches the lock it holds.
REFRESH_AT = 0.5
#: A token of ours that would expire within this many seconds is replaced before it is used to lock.
FRESH_ENOUGH = 30.0


def _iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def _state(holder):
    return {'holder': holder}


class ConfigLock:
    """One ``config_lock`` task: everything it needs, and the two ways it can go (acquire, release)."""

    def __init__(self, module, redactor, client=None, store=None, run=None):
        params = module.params
        self.module = module
        self.params = params
        conn = connection_from_params(params, 'SBC', DEFAULT_PORT, redactor)
        self.endpoint = conn.endpoint
        self.store = store or LeaseStore(params['lease_dir'])
        self.run = run or Run.current()
        self.key = lease_key('sbc', self.endpoint.netloc, RESOURCE)
        self.client = client or SbcClient(
            HttpClient(self.endpoint, 'SBC', conn.validate_certs, conn.ca_path, conn.timeout, redactor),
            conn.username, conn.password, conn.api_version, params['token_lifetime'])
        self.redactor = redactor
        self.waiter = Waiter(params['wait_timeout'])
        self.given_token = None
        if params.get('token'):
            redactor.add(params['token'])
            # Oracle gives no expiry with a token; one handed to us is assumed to have its whole life ahead.
            self.given_token = Token(params['token'], time.time() + params['token_lifetime'])

    # -- results ----------------------------------------------------------------------------------

    def _result(self, changed, before, after, lease=None):
        extra = {}
        if after == HOLDER_US and lease is not None:
            extra['expires_at'] = _iso(lease.expires_at)
            extra['lease_file'] = self.store.path(self.key)
            extra['base_url'] = '%s/rest/%s' % (self.endpoint.base_url, lease.api_version)
            if self.params['return_token']:
                # The token is the caller's to use (register), never to show: a result carrying it is
                # censored by every callback, at any verbosity, even where the task forgot no_log.
                extra['token'] = lease.token
                extra['_ansible_no_log'] = True
        return lock_result(changed, after == HOLDER_US, after, _state(before), _state(after),
                           self.waiter, self.module._diff, **extra)

    def _held_error(self, holder, other_run=None):
        if holder == HOLDER_OTHER_RUN:
            who = 'another run sharing this lease record (%s)' % other_run.describe()
        else:
            who = 'another user or session'
        msg = 'configuration lock on %s is held by %s; waited %s s' % (self.endpoint, who, int(round(self.waiter.waited)))
        if not self.params['wait_timeout']:
            msg += '; set wait_timeout to wait for it'
        return OracleError(msg, REASON_LOCK_HELD, detail={'holder': holder, 'locked': False, 'waited': self.waiter.waited,
                                                          'attempts': self.waiter.attempts})

    # -- acquire ----------------------------------------------------------------------------------

    def acquire(self):
        """Take the lock, or keep it when this run holds it; then make sure a keeper watches the run."""
        result = self._acquire()
        if result['locked']:
            watch_run(self.module, self.store, 'sbc', self.endpoint.netloc, self.client.username, self.run)
        return result

    def _acquire(self):
        token = self.given_token
        while True:
            self.waiter.attempts += 1
            other_run = None
            with self.store.guard(self.key):
                lease = self.store.read(self.key)
                standing = self.store.classify(lease, self.run)
                if standing == ORPHAN and lease.expired():
                    # The SBC freed that lock when its token expired: nothing of it is left to adopt.
                    self.module.warn('lease of %s for %s had expired with its token; the SBC has freed that lock' % (
                        lease.run.describe(), self.endpoint))
                    self.store.delete(self.key)
                    lease, standing = None, FREE
                if standing in (OURS, ORPHAN):
                    return self._keep(lease, standing)
                if standing == OTHER_RUN:
                    holder, other_run = HOLDER_OTHER_RUN, lease.run
                    if self.module.check_mode:
                        return self._result(True, holder, HOLDER_US)
                else:
                    if self.module.check_mode:
                        return self._result(True, HOLDER_UNKNOWN, HOLDER_US)
                    if token is None or (token is not self.given_token and token.remaining() < FRESH_ENOUGH):
                        token = self.client.authenticate()
                    if self._try_lock(token) == LOCKED:
                        return self._granted(token)
                    holder = HOLDER_FOREIGN
            if not self.waiter.pause(self.store if other_run else None, self.key):
                raise self._held_error(holder, other_run)

    def _try_lock(self, token):
        try:
            return self.client.lock(token)
        except OracleError as exc:
            if exc.reason in (REASON_NETWORK, REASON_SERVER_ERROR, REASON_BAD_RESPONSE) and token is not self.given_token:
                # The lock may have been granted before the answer got lost: give back whatever our own
                # new token might hold, so nothing is left locked because of the failure.
                try:
                    self.client.unlock(token)
                except OracleError:
                    pass
            raise

    def _granted(self, token):
        lease = Lease('sbc', self.endpoint.netloc, RESOURCE, self.client.username, self.run, token=token.value,
                      issued_at=token.issued_at, expires_at=token.expires_at, api_version=self.client.api_version)
        try:
            self.store.write(lease)
        except OracleError:
            self.client.unlock(token)  # never hold a lock nobody remembers
            raise
        # A fresh token was granted the lock: nobody held it at that moment, unless we had to wait for it.
        return self._result(True, HOLDER_NOBODY if self.waiter.attempts == 1 else HOLDER_FOREIGN, HOLDER_US, lease)

    def _keep(self, lease, standing):
        """We hold it (or adopt it from a run that is gone): keep the token fresh, change nothing else."""
        before = HOLDER_US if standing == OURS else HOLDER_OTHER_RUN
        if lease.expired():
            self.store.delete(self.key)
            raise OracleError('the token that held the configuration lock on %s expired at %s, so the lock may be gone; lock again'
                              % (self.endpoint, _iso(lease.expires_at)), REASON_LOCK_LOST)
        if self.module.check_mode:
            return self._result(standing == ORPHAN, before, HOLDER_US, lease)
        if not self.client.version_pinned and lease.api_version:
            self.client.api_version = lease.api_version
        dirty = False
        token = Token(lease.token, lease.expires_at, lease.issued_at)
        if token.life_left_fraction() < REFRESH_AT:
            try:
                token = self.client.refresh(token)
            except OracleError as exc:
                if exc.reason == REASON_LOCK_LOST:
                    self.store.delete(self.key)
                raise
            lease.token, lease.issued_at, lease.expires_at = token.value, token.issued_at, token.expires_at
            dirty = True
        if standing == ORPHAN:
            self.module.warn('adopted the configuration lock on %s left by %s, which is no longer running' % (
                self.endpoint, lease.run.describe()))
            lease.run = self.run
            dirty = True
        if dirty:
            self.store.write(lease)
        return self._result(standing == ORPHAN, before, HOLDER_US, lease)

    def renew(self):
        """Re-authenticate the token of the lock this run holds, if past half its life; never takes a lock.

        For the keeper: None when this run holds no lease here (released meanwhile), else the result.
        """
        with self.store.guard(self.key):
            lease = self.store.read(self.key)
            if self.store.classify(lease, self.run) != OURS:
                return None
            return self._keep(lease, OURS)

    # -- release ----------------------------------------------------------------------------------

    def release(self):
        with self.store.guard(self.key):
            lease = self.store.read(self.key)
            standing = self.store.classify(lease, self.run)
            if standing == OTHER_RUN:
                raise OracleError('configuration lock on %s is held by another run sharing this lease record (%s); it is theirs to '
                                  'release, so it was left untouched' % (self.endpoint, lease.run.describe()), REASON_LOCK_HELD,
                                  detail={'holder': HOLDER_OTHER_RUN, 'locked': False})
            if standing in (OURS, ORPHAN):
                return self._release_lease(lease)
            if self.module.check_mode:
                return self._result(False, HOLDER_UNKNOWN, HOLDER_UNKNOWN)
            # No lease: only the device can say whether the lock is free. An unlock with a token that
            # holds nothing never touches someone else's lock, so asking is safe.
            token = self.given_token or self.client.authenticate()
            outcome = self.client.unlock(token)
            if outcome == HELD_BY_OTHER:
                raise OracleError('configuration lock on %s is held by another user or session; it is not ours to release, so it '
                                  'was left untouched' % self.endpoint, REASON_LOCK_HELD, detail={'holder': HOLDER_FOREIGN, 'locked': False})
            return self._result(outcome == RELEASED, HOLDER_US if outcome == RELEASED else HOLDER_NOBODY, HOLDER_NOBODY)

    def _release_lease(self, lease):
        if self.module.check_mode:
            return self._result(True, HOLDER_US, HOLDER_NOBODY)
        if lease.expired():
            self.store.delete(self.key)
            self.module.warn('the token that held the configuration lock on %s expired at %s; the SBC had already freed the lock'
                             % (self.endpoint, _iso(lease.expires_at)))
            return self._result(False, HOLDER_UNKNOWN, HOLDER_UNKNOWN)
        if not self.client.version_pinned and lease.api_version:
            self.client.api_version = lease.api_version
        try:
            outcome = self.client.unlock(Token(lease.token, lease.expires_at, lease.issued_at))
        except OracleError as exc:
            if exc.reason == REASON_LOCK_LOST:
                self.store.delete(self.key)
                self.module.warn('the token that held the configuration lock on %s is no longer valid; the lock was already gone'
                                 % self.endpoint)
                return self._result(False, HOLDER_UNKNOWN, HOLDER_UNKNOWN)
            exc.msg = '%s; the lock stays held by this run (its lease is kept) until released or until its token expires at %s' % (
                exc.msg, _iso(lease.expires_at))
            raise
        self.store.delete(self.key)
        if outcome == RELEASED:
            return self._result(True, HOLDER_US, HOLDER_NOBODY)
        if outcome == NOT_HELD:
            self.module.warn('the configuration lock on %s was no longer held by our token (forced free, or expired); nothing to release'
                             % self.endpoint)
            return self._result(False, HOLDER_NOBODY, HOLDER_NOBODY)
        raise OracleError('the configuration lock on %s is now held by another user or session, not by this run; it was taken over '
                          'after being forced free, and was left untouched' % self.endpoint, REASON_LOCK_HELD,
                          detail={'holder': HOLDER_FOREIGN, 'locked': False})


def main_body(module, redactor):
    """What ``config_lock`` does, for the action plugin and the module alike."""
    task = ConfigLock(module, redactor)
    try:
        return task.acquire() if module.params['state'] == 'locked' else task.release()
    finally:
        task.client.http.close()
