"""The workers a run leaves behind (_keeper_workers.RunWorkers): noted while it lives, stopped once it is gone."""

import os
import signal
import socket
import subprocess
import sys

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._proc import start_time
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils import _keeper_workers
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_workers import WORKER_GRACE, RunWorkers


def gone_run():
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    start = start_time(process.pid)
    process.wait()
    return Run(socket.gethostname(), process.pid, start)


def test_a_living_run_is_not_gone_and_its_pipes_are_read_while_it_lives():
    workers = RunWorkers(Run(socket.gethostname(), os.getpid(), start_time(os.getpid())), lambda _m: None, lambda: 0.0)
    assert workers.run_argv and workers.run_gone() is False


def test_a_gone_run_without_workers_is_gone_at_once():
    workers = RunWorkers(gone_run(), lambda _m: None, lambda: 0.0)
    assert workers.run_argv is None and workers.run_pipes == set() and workers.run_gone() is True


def test_the_workers_left_get_sigterm_then_sigkill_after_the_grace(monkeypatch):
    worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        clock = [0.0]
        said, signals = [], []
        monkeypatch.setattr(_keeper_workers, '_signal_workers', lambda pids, signum: signals.append((sorted(pids), signum)))
        workers = RunWorkers(gone_run(), said.append, lambda: clock[0])
        workers.pids[worker.pid] = start_time(worker.pid)
        assert workers.run_gone() is False and signals == [([worker.pid], signal.SIGTERM)]
        assert 'stopping the worker processes it left running (pids %d)' % worker.pid in said[0]
        assert workers.run_gone() is False and len(signals) == 1  # within the grace
        clock[0] += WORKER_GRACE + 0.1
        assert workers.run_gone() is False and signals[-1] == ([worker.pid], signal.SIGKILL)
        worker.kill()
        worker.wait()
        assert workers.run_gone() is True
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
