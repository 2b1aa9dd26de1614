# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""What a keeper renews while its run lives (``Renewal``): the run's liveness in a shared record, and SBC tokens.

A token is re-authenticated when the ``lease`` lookup asks for it (a ``<lease>.json.refresh`` request among the
controller's own files) or when it runs out, so that a long session keeps its lock.
"""

from __future__ import annotations

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token

#: A token with less than this fraction of its life left is re-authenticated by the keeper even if nobody asked.
IDLE_REFRESH_AT = 0.25
#: After a failed re-authentication, wait this long before the next attempt.
REFRESH_RETRY = 5.0


class Renewal:
    """The renewals of keeper ``scope`` of ``run`` on ``store`` (a LeaseRecord).

    ``sbc_task(state)`` makes the keeper's own config_lock task; ``forget(name)`` removes one of the controller's own
    files, saying why it could not; ``log`` says what happened; ``clock`` gives monotonic seconds.
    """

    def __init__(self, store, run, scope, sbc_task, forget, log, clock):
        self.store = store
        self.run = run
        self.scope = scope
        self._sbc_task = sbc_task
        self._forget = forget
        self._log = log
        self._clock = clock
        self._next_refresh = {}
        #: whether the lease record (etcd) failed to answer last time: said once, until it answers again
        self._liveness_failing = False

    def keep_run_alive(self):
        """Keep this run's liveness where the lease record is shared (etcd); say so once when that fails."""
        try:
            lapsed = self.store.keep_run_alive(self.run, self.scope)
        except OracleError as exc:
            if not self._liveness_failing:
                self._log('cannot keep the run alive in the lease record: %s; past the lease TTL other controllers may take '
                          'its locks over' % exc.msg)
            self._liveness_failing = True
        else:
            if self._liveness_failing:
                self._log('the lease record answers again')
            if lapsed:
                self._log('the run counted as gone in the lease record (it could not be reached for longer than the lease TTL), so '
                          'other controllers may have taken its locks over; its next lock task on them fails with lock_lost')
            self._liveness_failing = False

    def keep_fresh(self, leases):
        """Re-authenticate SBC tokens that were asked for (by the ``lease`` lookup) or are running out."""
        for lease in leases:
            request = lease.key + '.json.refresh'
            asked = self.store.local.exists(request)
            token = Token(lease.token, lease.expires_at, lease.issued_at)
            if not asked and token.life_left_fraction() >= IDLE_REFRESH_AT:
                continue
            if self._clock() < self._next_refresh.get(lease.key, 0):
                continue
            task = self._sbc_task('locked')
            try:
                task.renew()  # only a lock this run still holds: a release that just happened stays done
            except OracleError as exc:
                self._next_refresh[lease.key] = self._clock() + REFRESH_RETRY
                self._log('re-authentication failed: %s' % exc.msg)
            else:
                self._next_refresh.pop(lease.key, None)
            finally:
                task.client.close()
                if asked:
                    self._forget(request)
