# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""The worker processes a run leaves behind (``RunWorkers``): found through /proc, stopped before its locks go back.

Ansible's workers run in sessions of their own, so a cancel (SIGKILL of the playbook's process group), a SIGKILL,
or a SIGTERM on ansible-core 2.18 (no handler there) leaves the worker of the task running at that moment orphaned,
still working. Nothing of a stopped run may go on changing the configuration without its lock.
"""

from __future__ import annotations

import os
import signal

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _proc

#: Seconds a stopped run's orphaned workers get between SIGTERM and SIGKILL.
WORKER_GRACE = 2.0


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


class RunWorkers:
    """The worker processes of one run: noted while it lives, stopped as ansible-core 2.19's own SIGTERM handler
    does (SIGTERM, then SIGKILL after WORKER_GRACE seconds) once it is gone."""

    def __init__(self, run, log, clock):
        """``run``: the Run watched; ``log``: where what is done is said; ``clock``: monotonic seconds."""
        self.run = run
        self._log = log
        self._clock = clock
        #: {pid: start time} of the run's workers
        self.pids = {}
        self._stopping_since = None
        # what the run's forks carry too, read while the run lives (see _orphaned_forks)
        alive = run.alive()
        self.run_argv = _proc.cmdline(run.pid) if alive else None
        self.run_pipes = _own_pipes(run.pid) if alive else set()

    def note(self):
        """Remember the run's worker processes (forks of ansible-playbook), by pid and start time."""
        for pid in _proc.children(self.run.pid):
            if pid not in self.pids and _proc.is_ansible_command(pid):
                start = _proc.start_time(pid, living=True)
                if start is not None:
                    self.pids[pid] = start

    def run_gone(self):
        """True once the run's ansible-playbook process is gone, and no worker of it is left running a task.

        Workers are the run's children seen while it lived (:meth:`note`, every poll), and, once it is gone, the
        orphaned forks of it the last poll could not see yet (``_orphaned_forks``). Each call signals what is left.
        """
        if self.run.alive() is not False:
            return False
        if self._stopping_since is None:
            for pid in _orphaned_forks(self.run_argv, self.run.start, self.run_pipes):
                start = _proc.start_time(pid, living=True)
                if start is not None:
                    self.pids.setdefault(pid, start)
        self.pids = dict((pid, start) for pid, start in self.pids.items() if _proc.start_time(pid, living=True) == start)
        if not self.pids:
            return True
        if self._stopping_since is None:
            self._stopping_since = self._clock()
            self._log('the run ended; stopping the worker processes it left running (pids %s) before giving its locks back'
                      % ', '.join(str(pid) for pid in sorted(self.pids)))
            _signal_workers(self.pids, signal.SIGTERM)
        elif self._clock() - self._stopping_since > WORKER_GRACE:
            _signal_workers(self.pids, signal.SIGKILL)
        return False
