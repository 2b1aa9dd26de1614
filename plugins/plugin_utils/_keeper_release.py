# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""The release loop of a keeper whose run is gone: give back what the run still holds, retrying, then leave."""

from __future__ import annotations

import traceback

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import backoff_delays

#: How long a keeper keeps trying to give back the locks of a run that is gone before it leaves them to the next run.
RELEASE_PATIENCE = 600.0


def release_until_done(mine, release, cleanup, log, clock, sleep, stop_overdue):
    """Give back every lock ``mine()`` finds with ``release(leases)``, retrying with backoff, until none is left (0)
    or RELEASE_PATIENCE seconds have gone by or ``stop_overdue()`` (1: the lease record keeps them for the next run).
    ``cleanup()`` runs before either answer; ``log`` says what happened; ``clock``/``sleep``: monotonic seconds."""
    ended = clock()
    deadline = ended + RELEASE_PATIENCE
    delays = backoff_delays(first=0.5, cap=10.0)
    while True:
        try:
            leases = mine()
            if not leases:
                cleanup()
                return 0
            release(leases)
            log('the run ended holding %s; given back %.2f s after it ended' % (
                ', '.join(lease.resource for lease in leases), clock() - ended))
            continue
        except OracleError as exc:
            log('giving back failed: %s' % exc.msg)
        except Exception:  # a bug of ours must not kill the keeper before it gives up on its own terms
            log('giving back failed: %s' % traceback.format_exc().strip().splitlines()[-1])
        if clock() > deadline:
            log('gave up after %d s; the lease record keeps the locks for the next run to recover' % RELEASE_PATIENCE)
            cleanup()
            return 1
        if stop_overdue():
            log('stopped before the locks could be given back; the lease record keeps them for the next run to recover')
            cleanup()
            return 1
        sleep(next(delays))


def give_back(product, leases, sbc_task, sdm_task):
    """Release ``leases`` (of one product, endpoint and user) with the keeper's own task: ``sbc_task(state)`` or
    ``sdm_task(device_ids)``; the task's client is closed (and for the SDM logged out) either way."""
    if product == 'sbc':
        task = sbc_task('unlocked')
        try:
            task.release()
        finally:
            task.client.close()
        return
    task = sdm_task([lease.resource.split(':', 1)[1] for lease in leases])
    try:
        task.release(task.targets())
    finally:
        task.client.logout()
        task.client.close()
