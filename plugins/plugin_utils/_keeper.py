# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils): it starts and is a process of its own, which module code must not.

"""The keeper: gives back what a run still holds when the run ends without releasing it.

A run that is interrupted (SIGINT, SIGTERM), cancelled (ansible-runner, AWX) or killed skips
``always:``. So the first lock a run takes on an endpoint starts one keeper for that run, product,
endpoint and user: a small detached process in a session of its own (a signal to the run's process
group does not reach it). While the run lives, the keeper re-authenticates SBC tokens before they
expire, so that a long session keeps its lock, and it exits once the run holds nothing there. When
the run's ``ansible-playbook`` process is gone, it releases the run's leases on that endpoint and exits.

A keeper is alive exactly while it holds an exclusive ``flock`` on its pid file. The process that starts
it takes that lock first and hands the locked descriptor down, so two forks of one run cannot start two
keepers, and a keeper that decides to retire lets go of it under the same guard the starters take.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_lock import ConfigLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_lock import DeviceLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import backoff_delays
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _proc
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Run, is_lease_key, scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_open import open_lease_record
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import LockHost
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import LeaseOptions, SbcLockOptions, SdmLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_pid import lock_nb, pid_name

#: Seconds between two looks at the run and the leases.
POLL = 0.2
#: Seconds between two touches of the pid file (the heartbeat other hosts read; see _lease.HEARTBEAT_STALE).
HEARTBEAT = 1.0
#: A keeper whose run holds nothing on its endpoint for this long retires.
IDLE_GRACE = 2.0
#: After SIGTERM, how long a keeper waits for its run to end too (a container stop signals every process).
STOP_GRACE = 5.0
#: How long a keeper keeps trying to give back the locks of a run that is gone before it leaves them to the next run.
RELEASE_PATIENCE = 600.0
#: A token with less than this fraction of its life left is re-authenticated by the keeper even if nobody asked.
IDLE_REFRESH_AT = 0.25
#: After a failed re-authentication, wait this long before the next attempt.
REFRESH_RETRY = 5.0
#: Seconds a stopped run's orphaned workers get between SIGTERM and SIGKILL.
WORKER_GRACE = 2.0
#: The guard that starters and retiring keepers share.
GUARD = 'keepers'
LOG = 'keeper.log'
#: keeper.log is rotated once it is larger than this (checked when a keeper starts): at most twice this on disk.
LOG_LIMIT = 1024 * 1024
MODULE = 'ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper'


def _collections_root():
    # .../ansible_collections/oracle_comms/provisioning/plugins/plugin_utils/_keeper.py
    path = os.path.abspath(__file__)
    for _dummy in range(6):
        path = os.path.dirname(path)
    return path


def ensure_keeper(store, options, run, warn):
    """Make sure a keeper watches ``run``'s locks on the device of ``options`` (LockOptions); start one if there is none.

    With ``release_on_exit``, or for the SBC, whose tokens the keeper renews while the run lives whether or not it
    gives the lock back at its end; the action plugin calls this once a lock is held, so only on the controller.
    Never fails the task: the lock is held either way, so a keeper that cannot start is a warning (``warn``)
    that says what is lost.
    """
    if not options.release_on_exit and options.product != 'sbc':
        return
    if run.alive() is not True:
        # Only a run of this host whose process can be watched (its start time known) gets a keeper.
        warn('no keeper watches this run (its ansible-playbook process cannot be watched from here); if the run is '
             'interrupted, the next run recovers the lock from the lease record')
        return
    endpoint = options.endpoint.netloc
    key = scope_key(run.ident, options.product, endpoint, options.username)
    try:
        with store.guard(GUARD):
            fd = store.open_file(pid_name(key), os.O_RDWR | os.O_CREAT)
            try:
                if lock_nb(fd):
                    # the task's own validated parameters: the keeper makes its options with the same code
                    _spawn(store, key, fd, {'product': options.product, 'endpoint': endpoint, 'user': options.username,
                                            'run': run.ident, 'params': options.params})
            finally:
                os.close(fd)  # the keeper holds its own copy, and with it the lock
    except (IOError, OSError, ValueError, OracleError) as exc:
        warn('could not start the keeper that gives this lock back if the run is interrupted (%s); if it is, the next '
             'run recovers the lock from the lease record' % exc)


def _rotate_log(store):
    """Keep keeper.log bounded: past LOG_LIMIT bytes it becomes keeper.log.1 (replacing the one before)."""
    info = store.stat(LOG)
    if info is not None and info.st_size > LOG_LIMIT:
        store.rename(LOG, LOG + '.1')


def _spawn(store, key, fd, config):
    # Credentials reach the keeper on its stdin only: none from the run's environment (SBC_PASSWORD, ...).
    env = dict((name, value) for name, value in os.environ.items()
               if not any(word in name.upper() for word in ('PASSWORD', 'TOKEN', 'SECRET', 'COOKIE')))
    env['PYTHONPATH'] = os.pathsep.join([_collections_root()] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    _rotate_log(store)
    log = store.open_file(LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        # A session of its own: signals to the run's process group (Ctrl-C, ansible-runner's cancel, a
        # SIGKILL of the group) do not reach it. No inherited terminal or pipes: nothing waits on it.
        process = subprocess.Popen([sys.executable, '-m', MODULE, store.directory, key, str(fd)], stdin=subprocess.PIPE,
                                   stdout=log, stderr=log, pass_fds=(fd,), close_fds=True, start_new_session=True,
                                   cwd='/', env=env)
    finally:
        os.close(log)
    # The password travels on a pipe, never in argv, the environment or a file.
    process.stdin.write(json.dumps(config).encode('utf-8'))
    process.stdin.close()


def _signal_workers(workers, signum):
    """Signal each worker and what it started: its process group, as a worker leads a session of its own."""
    for pid in workers:
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)
        except OSError:
            pass


def _own_pipes(pid):
    """The pipes and sockets ``pid`` made itself: held beyond stdin/out/err, and not held by its parent.

    Forks of ``pid`` inherit them (Ansible's workers share the run's result queue); a later process started
    with the same command line does not.
    """
    parent = _proc.parent(pid)
    inherited = _proc.fd_targets(parent) if parent else set()
    return set(target for target in _proc.fd_targets(pid, skip_std=True) - inherited if target.startswith(('pipe:', 'socket:')))


def _orphaned_forks(argv, since, pipes):
    """Live processes that are forks of a run that is gone: its command line ``argv``, started at or after its
    start time ``since``, ours, and holding one of the pipes the run made itself (``_own_pipes``).

    This catches a worker forked after the keeper's last look at the run (the run died within that poll),
    and neither the workers of an identical concurrent play nor the next run started with the same command.
    """
    found = set()
    if not argv or since is None or not pipes:
        return found
    try:
        entries = os.listdir('/proc')
    except OSError:
        return found
    uid = os.getuid()
    for entry in entries:
        if not entry.isdigit():
            continue
        pid = int(entry)
        if _proc.cmdline(pid) != argv:
            continue
        start = _proc.start_time(pid, living=True)
        try:
            owner = os.stat('/proc/%d' % pid).st_uid
        except OSError:
            continue
        if start is None or start < since or owner != uid or not pipes & _proc.fd_targets(pid):
            continue
        found.add(pid)
    return found


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
        self._next_refresh = {}
        self.stop_requested = None
        #: whether the lease record (etcd) failed to answer last time: said once, until it answers again
        self._liveness_failing = False
        self._record_failing = False
        self.workers = {}
        self._stopping_since = None
        # what the run's forks carry too, read while the run lives (see _orphaned_forks)
        alive = self.run.alive()
        self.run_argv = _proc.cmdline(self.run.pid) if alive else None
        self.run_pipes = _own_pipes(self.run.pid) if alive else set()

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
        """Leases of this keeper's scope (its run, product, endpoint and user), read again only when their file changed."""
        found = []
        seen = set()
        for name in self.store.names():
            key = name[:-len('.json')]
            if not name.endswith('.json') or not name.startswith(self.product + '_') or not is_lease_key(key):
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

    def _keep_alive(self):
        """Keep this run's liveness key alive where the lease record is shared (etcd); say so once when that fails."""
        keep = getattr(self.store, 'keep_run_alive', None)
        if keep is None:
            return
        try:
            lapsed = keep(self.run, self.key)
        except OracleError as exc:
            if not self._liveness_failing:
                self.log('cannot keep the run alive in the lease record: %s; past the lease TTL other controllers may take '
                         'its locks over' % exc.msg)
            self._liveness_failing = True
        else:
            if self._liveness_failing:
                self.log('the lease record answers again')
            if lapsed:
                self.log('the run counted as gone in the lease record (it could not be reached for longer than the lease TTL), so '
                         'other controllers may have taken its locks over; its next lock task on them fails with lock_lost')
            self._liveness_failing = False

    def _record_unreachable(self, exc):
        if not self._record_failing:
            self.log('cannot read the lease record: %s; trying again' % exc.msg)
        self._record_failing = True

    def _end_alive(self):
        end = getattr(self.store, 'end_run_alive', None)
        if end is not None:
            end(self.key)

    def _stop(self, signum, _frame):
        if self.stop_requested is None:
            self.stop_requested = self._clock()
            self.log('signal %d: giving back what the run holds if it ends within %d s, else leaving it to the run' % (signum, STOP_GRACE))

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
            self._note_workers()
            if beat is None or self._clock() - beat >= HEARTBEAT:
                # tells runs of other hosts sharing the lease directory that this run is alive (LeaseStore.classify)
                beat = self._clock()
                try:
                    os.utime(self.pid_fd)
                except OSError:
                    pass
                self._keep_alive()
            if self.store.gone():
                self.log('the lease directory is gone: nothing left to keep')
                return 0
            if self.stop_requested is not None and self._clock() - self.stop_requested > STOP_GRACE:
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

    def run_gone(self):
        """True once the run's ansible-playbook process is gone, and no worker of it is left running a task.

        Ansible's workers run in sessions of their own, so a cancel (SIGKILL of the playbook's process
        group), a SIGKILL, or a SIGTERM on ansible-core 2.18 (no handler there) leaves the worker of the
        task running at that moment orphaned, still working. Nothing of a stopped run may go on changing the
        configuration without its lock: the keeper stops those workers (and what they started) as
        ansible-core 2.19's own SIGTERM handler does: SIGTERM, then SIGKILL after WORKER_GRACE seconds.
        Workers are the run's children seen while it lived (``_note_workers``, every poll), and, once it is
        gone, the orphaned forks of it the last poll could not see yet (``_orphaned_forks``).
        """
        if self.run.alive() is not False:
            return False
        if self._stopping_since is None:
            for pid in _orphaned_forks(self.run_argv, self.run.start, self.run_pipes):
                start = _proc.start_time(pid, living=True)
                if start is not None:
                    self.workers.setdefault(pid, start)
        self.workers = dict((pid, start) for pid, start in self.workers.items() if _proc.start_time(pid, living=True) == start)
        if not self.workers:
            return True
        if self._stopping_since is None:
            self._stopping_since = self._clock()
            self.log('the run ended; stopping the worker processes it left running (pids %s) before giving its locks back'
                     % ', '.join(str(pid) for pid in sorted(self.workers)))
            _signal_workers(self.workers, signal.SIGTERM)
        elif self._clock() - self._stopping_since > WORKER_GRACE:
            _signal_workers(self.workers, signal.SIGKILL)
        return False

    def _note_workers(self):
        """Remember the run's worker processes (forks of ansible-playbook), by pid and start time."""
        for pid in _proc.children(self.run.pid):
            if pid not in self.workers and _proc.is_ansible_command(pid):
                start = _proc.start_time(pid, living=True)
                if start is not None:
                    self.workers[pid] = start

    def _retire(self):
        """Let go of the keeper lock, under the starters' guard, unless a lease appeared meanwhile."""
        with self.store.guard(GUARD):
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

    # -- while the run lives ------------------------------------------------------------------------

    def keep_fresh(self, leases):
        """Re-authenticate SBC tokens that were asked for (by the ``lease`` lookup) or are running out."""
        for lease in leases:
            request = lease.key + '.json.refresh'
            asked = self.store.exists(request)
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
                self.log('re-authentication failed: %s' % exc.msg)
            else:
                self._next_refresh.pop(lease.key, None)
            finally:
                task.client.close()
                if asked:
                    self._unlink(request)

    # -- when the run is gone -----------------------------------------------------------------------

    def release_all(self):
        """Give back every lock of the run here, retrying with backoff; 0 when nothing is left, 1 when given up."""
        ended = self._clock()
        deadline = ended + RELEASE_PATIENCE
        delays = backoff_delays(first=0.5, cap=10.0)
        while True:
            try:
                leases = self.mine()
                if not leases:
                    self._cleanup()
                    return 0
                self._release(leases)
                self.log('the run ended holding %s; given back %.2f s after it ended' % (
                    ', '.join(lease.resource for lease in leases), self._clock() - ended))
                continue
            except OracleError as exc:
                self.log('giving back failed: %s' % exc.msg)
            except Exception:  # a bug of ours must not kill the keeper before it gives up on its own terms
                self.log('giving back failed: %s' % traceback.format_exc().strip().splitlines()[-1])
            if self._clock() > deadline:
                self.log('gave up after %d s; the lease record keeps the locks for the next run to recover' % RELEASE_PATIENCE)
                self._cleanup()
                return 1
            if self.stop_requested is not None and self._clock() - self.stop_requested > STOP_GRACE:
                self.log('stopped before the locks could be given back; the lease record keeps them for the next run to recover')
                self._cleanup()
                return 1
            self._sleep(next(delays))

    def _release(self, leases):
        if self.product == 'sbc':
            task = self._sbc_task('unlocked')
            try:
                task.release()
            finally:
                task.client.close()
            return
        task = self._sdm_task([lease.resource.split(':', 1)[1] for lease in leases])
        try:
            task.release(task.targets())
        finally:
            task.client.logout()
            task.client.close()

    def _cleanup(self):
        with self.store.guard(GUARD):
            self._unlink(pid_name(self.key))
        self._end_alive()

    def _unlink(self, name):
        try:
            self.store.unlink(name)
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
