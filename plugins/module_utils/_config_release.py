# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""How a ``config_lock`` task gives the SBC configuration lock back: through this run's lease, host by host, else by an unlock.

:class:`ConfigRelease` is the release half of ``ConfigLock`` (``_config_lock``), whose lease key, standing, tokens
and result it uses; the holders and wording come from the lock protocol (``_lock_protocol``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_LOST, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import ORPHAN, OTHER_RUN, OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import (
    HOLDER_FOREIGN,
    HOLDER_NOBODY,
    HOLDER_OTHER_RUN,
    HOLDER_UNKNOWN,
    HOLDER_US,
    RELEASED,
    iso_time,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token


class ConfigRelease:
    """The release of a ``config_lock`` task (a part of ``ConfigLock``): given back, kept for other hosts, or said why not."""

    def release(self):
        """Give the lock back: through the lease when this run (or a run that is gone) took it with these credentials,
        and only once the last host of the run that holds it lets go; else ask the SBC, which never gives up another
        client's lock."""
        with self.store.guard(self.key):
            lease = self.store.read(self.key)
            standing = self.standing(lease)
            if standing == OTHER_RUN:
                raise self.theirs_to_release('configuration lock on %s' % self.endpoint, lease.run,
                                             {'holder': HOLDER_OTHER_RUN, 'locked': False})
            if standing == OURS:
                others = self.others_holding(lease)
                if others:
                    return self._leave(lease, others)
                return self._release_lease(lease)
            if standing == ORPHAN:
                return self._release_lease(lease)
            if self.host.check_mode:
                return self._result(False, HOLDER_UNKNOWN, HOLDER_UNKNOWN)
            return self._release_unleased()

    def _leave(self, lease, others):
        """Other hosts of this run still hold the lock: this host lets go of it, and the lock stays with them."""
        self.leave(lease, others)
        result = self._result(False, HOLDER_US, HOLDER_US, lease)
        result['holders'] = others
        return result

    def _release_unleased(self):
        """No lease of ours: an unlock with the token at hand (a given one, else a new one, which holds nothing) says
        whether there was anything of ours to give back, and sometimes who holds the lock. Never a lock request."""
        token = self.given_token or self.client.authenticate()
        outcome, holder = self._given_token_call(token, lambda: self.client.release(token))
        if outcome == RELEASED:
            return self._result(True, HOLDER_US if token is self.given_token else HOLDER_UNKNOWN, HOLDER_NOBODY)
        return self._result(False, holder, holder)

    def _release_lease(self, lease):
        if self.host.check_mode:
            return self._result(True, HOLDER_US, HOLDER_NOBODY)
        if lease.expired():
            self.store.delete(self.key)
            self.host.warn('the token that held the configuration lock on %s expired at %s; the SBC had already freed the lock'
                           % (self.endpoint, iso_time(lease.expires_at)))
            return self._result(False, HOLDER_UNKNOWN, HOLDER_UNKNOWN)
        if lease.token is None:
            self._forget_withheld(lease)
            return self._release_unleased()
        self.use_version_of(lease)
        try:
            outcome, holder = self.client.release(Token(lease.token, lease.expires_at, lease.issued_at))
        except OracleError as exc:
            if exc.reason == REASON_LOCK_LOST:
                # A 401: the SBC no longer knows the token the lock is tied to. Nothing of this run can give that lock back
                # or use it any more, and a lease kept for it would make a later lock task of the run believe it holds the
                # lock: the lease goes, and the release fails, since the lock was lost while the run counted on it.
                self.store.delete(self.key)
                raise OracleError('the SBC %s no longer accepts the token that took the configuration lock (401): the lock was lost '
                                  'with it (it ends with that token, at the latest at %s) and cannot be given back; lock again'
                                  % (self.endpoint, iso_time(lease.expires_at)), REASON_LOCK_LOST, exc.status,
                                  dict(exc.detail or {}, lease_kept=False, locked=False))
            raise OracleError('%s; the lock stays held by this run (its lease is kept) until released or until its token expires at %s'
                              % (exc.msg, iso_time(lease.expires_at)), exc.reason, exc.status, dict(exc.detail or {}, lease_kept=True))
        # 204, or the SBC's own word that this token does not hold the lock: either way nothing of this run is left
        self.store.delete(self.key)
        if outcome == RELEASED:
            return self._result(True, HOLDER_US, HOLDER_NOBODY)
        self.host.warn('the configuration lock on %s was no longer held by the token this run took it with (%s); nothing was given '
                       'back' % (self.endpoint, {HOLDER_FOREIGN: 'the SBC\'s answer says another user or session holds it',
                                                 HOLDER_NOBODY: 'the SBC\'s answer says nobody holds it: forced free, or expired'}.get(
                                                     holder, 'forced free, expired, or taken over since')))
        return self._result(False, holder, holder)
