# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils): it starts and is a process of its own, which module code must not.

"""The keeper process (``Keeper``, ``python -m`` this module): watches one run and gives back what it still holds when it ends.

A run that is interrupted (SIGINT, SIGTERM), cancelled (ansible-runner, AWX) or killed skips
``always:``. So the first lock a run takes on an endpoint starts one keeper for that run, product,
endpoint and user (_keeper_start): a small detached process in a session of its own (a signal to the run's
process group does not reach it). While the run lives, the keeper renews (_keeper_renew) SBC tokens before they
expire, so that a long session keeps its lock, and it exits once the run holds nothing there. When the run's
``ansible-playbook`` process is gone, it stops the workers the run left (_keeper_workers), releases the run's
leases on that endpoint (_keeper_release) and exits.

A keeper is alive exactly while it holds an exclusive ``flock`` on its pid file (_keeper_pid). A keeper that
decides to retire lets go of it under the same guard the starters take.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_lock import ConfigLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_lock import DeviceLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import is_lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_open import open_lease_record
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import LockHost
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import LeaseOptions, SbcLockOptions, SdmLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_pid import GUARD, pid_name
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_release import give_back, release_until_done
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_renew import Renewal
# ensure_keeper is re-exported: the action plugin starts keepers through this module
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_start import ensure_keeper
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_workers import RunWorkers

__all__ = ['Keeper', 'ensure_keeper', 'main']

#: Seconds between two looks at the run and the leases.
POLL = 0.2
#: Seconds between two touches of the pid file (the heartbeat other hosts read; see _lease_file.HEARTBEAT_STALE).
HEARTBEAT = 1.0
#: A keeper whose run holds nothing on its endpoint for this long retires.
IDLE_GRACE = 2.0
#: After SIGTERM, how long a keeper waits for its run to end too (a container stop signals every process).
STOP_GRACE = 5.0


class Keeper:
    """One keeper process: the run it watches, the leases it keeps, and what it does when the run ends."""

    def __init__(self, store, key, pid_fd, config, clock=time.monotonic, sleep=time.sleep, out=None):
        self.store = store
        self.key = key
        self.pid_fd = pid_fd
        self.product = config['product']
        self.endpoint = config['endpoint']
        self.user = config['user']
        self.run = Run.from_id(config['run'])
        self.params = dict(config['params'])
        self.redactor = Redactor(*[value for value in (self.params.get('password'),) if value])
        self.password = self.params.get('password')
        self._clock = clock
        self._sleep = sleep
        self._out = out or sys.stderr
        self._cache = {}
        self.stop_requested = None
        self._record_failing = False
        self.renewal = Renewal(store, self.run, key, self._sbc_task, self._unlink, self.log, clock)
        self.workers = RunWorkers(self.run, self.log, clock)

    # -- plumbing ---------------------------------------------------------------------------------

    def log(self, message):
        stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        who = '%s %s, %s' % (self.product.upper(), self.endpoint, self.run.describe())
        self._out.write('%s keeper pid %d (%s): %s\n' % (stamp, os.getpid(), who, self.redactor(message)))
        self._out.flush()

    def _host(self):
        """The LockHost of the keeper's own calls: it acts for the whole run, its warnings go to the log."""
        return LockHost(member=None, warn=self.log)

    def _sbc_task(self, state):
        # the run's own parameters, but never a token the task was given: the keeper uses the lease's
        options = SbcLockOptions(dict(self.params, state=state, wait_timeout=0.0, token=None, return_token=False,
                                      release_on_exit=False), self.redactor)
        return ConfigLock(options, self._host(), self.redactor, store=self.store, run=self.run)

    def _sdm_task(self, device_ids):
        options = SdmLockOptions(dict(self.params, state='unlocked', wait_timeout=0.0, release_on_exit=False, device_id=device_ids,
                                      device=None, group=None), self.redactor)
        return DeviceLock(options, self._host(), self.redactor, store=self.store, run=self.run)

    def mine(self):
        """Leases of this keeper's scope (its run, product, endpoint and user), read again only when their signature changed."""
        found = []
        seen = set()
        for key in self.store.keys():
            if not key.startswith(self.product + '_') or not is_lease_key(key):
                continue
            signature = self.store.signature(key)
            if signature is None:
                continue
            seen.add(key)
            cached = self._cache.get(key)
            if cached is None or cached[0] != signature:
                try:
                    cached = (signature, self.store.read(key))
                except OracleError:
                    continue
                self._cache[key] = cached
            lease = cached[1]
            # only what this run took with the credentials this keeper was given (a lease without proof is
            # format 1: its run is this one, which a keeper of this version started)
            if lease is not None and lease.endpoint == self.endpoint and self.run.same(lease.run) \
                    and lease.taken_with(self.user, self.password) is not False:
                found.append(lease)
        for key in set(self._cache) - seen:
            del self._cache[key]
        return found

    def _record_unreachable(self, exc):
        if not self._record_failing:
            self.log('cannot read the lease record: %s; trying again' % exc.msg)
        self._record_failing = True

    def _stop(self, signum, _frame):
        if self.stop_requested is None:
            self.stop_requested = self._clock()
            self.log('signal %d: giving back what the run holds if it ends within %d s, else leaving it to the run' % (signum, STOP_GRACE))

    def _stop_overdue(self):
        """True once a stop signal came more than STOP_GRACE seconds ago."""
        return self.stop_requested is not None and self._clock() - self.stop_requested > STOP_GRACE

    # -- the loop ---------------------------------------------------------------------------------

    def serve(self):
        """Watch until the run ends (release, then exit), the run holds nothing here (exit), or a stop signal."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.log('watching the run')
        idle_since = None
        beat = None
        while True:
            if self.run_gone():
                if not self.params.get('release_on_exit', True):
                    self.log('the run ended; release_on_exit is off, so its locks stay for a later run to recover from the lease '
                             'record (an SBC lock also ends when its token expires)')
                    self._cleanup()
                    return 0
                return self.release_all()
            self.workers.note()
            if beat is None or self._clock() - beat >= HEARTBEAT:
                beat = self._clock()
                self._beat()
            if self.store.local.gone():
                self.log('the lease directory is gone: nothing left to keep')
                return 0
            if self._stop_overdue():
                self.log('stopped while the run still lives: its locks stay with it')
                return 0
            try:
                leases = self.mine()
            except OracleError as exc:
                # a lease record that does not answer (etcd down): keep watching, never retire on it
                self._record_unreachable(exc)
                self._sleep(POLL)
                continue
            self._record_failing = False
            if leases:
                idle_since = None
                if self.product == 'sbc':
                    self.keep_fresh(leases)
            else:
                idle_since = self._clock() if idle_since is None else idle_since
                if self._clock() - idle_since >= IDLE_GRACE and self._retire():
                    self.log('the run holds nothing here any more: done')
                    return 0
            self._sleep(POLL)

    def _beat(self):
        """The heartbeat: touch the pid file (runs of other hosts sharing the lease directory read it, LeaseStore.run_alive)
        and keep the run alive in a shared lease record."""
        try:
            os.utime(self.pid_fd)
        except OSError:
            pass
        self.renewal.keep_run_alive()

    def run_gone(self):
        """True once the run's ansible-playbook process is gone and no worker of it is left running a task (the workers it
        left are stopped first: _keeper_workers.RunWorkers.run_gone)."""
        return self.workers.run_gone()

    def _retire(self):
        """Let go of the keeper lock, under the starters' guard, unless a lease appeared meanwhile."""
        with self.store.local.guard(GUARD):
            try:
                if self.mine():
                    return False
            except OracleError as exc:
                self._record_unreachable(exc)
                return False
            self._unlink(pid_name(self.key))
            os.close(self.pid_fd)
            # the run lives on: its liveness key is left to expire (a task of the run may be writing a lease now)
            return True

    def keep_fresh(self, leases):
        """Re-authenticate SBC tokens that were asked for (by the ``lease`` lookup) or are running out."""
        self.renewal.keep_fresh(leases)

    # -- when the run is gone -----------------------------------------------------------------------

    def release_all(self):
        """Give back every lock of the run here, retrying with backoff; 0 when nothing is left, 1 when given up."""
        return release_until_done(self.mine, self._release, self._cleanup, self.log, self._clock, self._sleep, self._stop_overdue)

    def _release(self, leases):
        give_back(self.product, leases, self._sbc_task, self._sdm_task)

    def _cleanup(self):
        with self.store.local.guard(GUARD):
            self._unlink(pid_name(self.key))
        self.store.end_run_alive(self.key)

    def _unlink(self, name):
        try:
            self.store.local.unlink(name)
        except OracleError as exc:
            self.log(exc.msg)


def main(argv):
    """``python -m ..._keeper LEASE_DIR KEY FD``, its settings as JSON on stdin."""
    directory, key, pid_fd = argv[1], argv[2], int(argv[3])
    config = json.loads(sys.stdin.read())
    sys.stdin.close()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    keeper = None
    # the run's own lease options: the same record (file, or etcd with this directory for local files)
    store = open_lease_record(LeaseOptions(config['params']), directory, warn=lambda message: keeper.log(message),  # pylint: disable=unnecessary-lambda
                              create=False)  # (the keeper is made below)
    keeper = Keeper(store, key, pid_fd, config)
    # the descriptor the starter opened (never through a link) and locked: the pid goes into that very file
    os.ftruncate(pid_fd, 0)
    os.pwrite(pid_fd, ('%d\n' % os.getpid()).encode('ascii'), 0)
    return keeper.serve()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
