"""Run identity and the run's key (_lease_run)."""

import os
import socket

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import LeaseFormatError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run, prepare_run_key, run_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._proc import start_time


def test_an_ident_parses_back_to_the_same_run():
    run = Run('ctl', 42, 777, job=5)
    again = Run.from_id(run.ident)
    assert again.same(run) and again.run_id == 'ctl:42:777' and not run.same(None)
    assert Run.from_id('ctl:42:None').start is None
    with pytest.raises(OracleError) as caught:
        Run.from_id('ctl-42')
    assert caught.value.reason == 'lease_error'


def test_this_process_is_alive_and_another_hosts_run_cannot_be_told():
    assert Run(socket.gethostname(), os.getpid(), start_time(os.getpid())).alive() is True
    assert Run(socket.gethostname(), os.getpid(), start_time(os.getpid()) + 1).alive() is False  # a later process, same pid
    assert Run('another-host', 1, 2).alive() is None


def test_a_run_goes_to_a_dict_and_back_and_nothing_else_does():
    run = Run('ctl', 42, 777, job='job-9')
    assert Run.from_dict(run.to_dict()).ident == run.ident and 'AWX job job-9' in run.describe()
    for bad in (None, {'host': 'ctl', 'pid': 0}, {'host': '', 'pid': 1}, {'host': 'ctl', 'pid': 1, 'start': 'x'},
                {'host': 'ctl', 'pid': True}):
        with pytest.raises(LeaseFormatError):
            Run.from_dict(bad)


def test_a_run_key_is_made_once_in_the_runs_own_process(monkeypatch):
    monkeypatch.setattr(_lease_run, '_run_key', {})
    monkeypatch.setattr(_lease_run, '_run_of_process', {})
    worker_view = Run('ctl', os.getpid() + 1, 5)
    prepare_run_key(worker_view)
    assert run_key(worker_view.ident) is None
    run = Run('ctl', os.getpid(), 5)
    prepare_run_key(run)
    key = run_key(run.ident)
    prepare_run_key(run)
    assert len(key) == 32 and run_key(run.ident) is key and Run.current() is run
