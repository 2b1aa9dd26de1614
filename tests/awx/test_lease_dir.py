"""What the next AWX job finds after a job was torn down while it held a lock (docs/awx.md, "Lease directory").

An AWX job runs in a container of its own (a pod on Kubernetes): its host name is the container's, and
when the container is torn down its keeper goes with it. Both are reproduced here: a job's
``ansible-playbook`` runs under a host name of its own (``unshare --uts``), and the torn-down job runs
with ``ORACLE_COMMS_RELEASE_ON_EXIT=false`` and ends without giving the lock back, so that no keeper
gives it back either. The next job then runs in another "container", with its own lease directory
(the default: the container's home) or with one shared by all jobs (a persistent volume).
"""

import os
import signal
import subprocess
import time

import pytest

from tests.emulator_harness import assert_never_two_holders
from tests.integration.ansible_runner_util import PlaybookRunner
from tests.integration.test_lock_session import keepers
from tests.awx.conftest import PLAYS

pytestmark = pytest.mark.integration


def hostname_prefix():
    """A command prefix that runs a command under a host name of its own, or None where that is not allowed."""
    for prefix in (['unshare', '--uts'], ['unshare', '--user', '--map-root-user', '--uts']):
        try:
            done = subprocess.run(prefix + ['hostname', 'probe-name'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=10, check=False)
        except OSError:
            return None
        if done.returncode == 0:
            return prefix
    return None


UTS = hostname_prefix()


def _of_container(lease_dir):
    """Every live process whose environment names ``lease_dir`` (unique to one test): a run, its workers, its keeper."""
    mark = ('ORACLE_COMMS_LEASE_DIR=%s' % lease_dir).encode()
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/environ' % entry, 'rb') as handle:
                    if mark in handle.read().split(b'\0'):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _kill(pids):
    """SIGKILL each of ``pids`` that still exists; return those that did."""
    killed = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except OSError:
            pass
    return killed


def job(runner, container, lease_dir, timeout=120, **extra_vars):
    """Run tests/awx/plays/job.yml as a job in ``container`` (its host name), leases in ``lease_dir``."""
    env = runner.env(ORACLE_COMMS_LEASE_DIR=lease_dir,
                     ORACLE_COMMS_RELEASE_ON_EXIT='false' if extra_vars.get('give_back') is False else None)
    command = runner.command(PLAYS / 'job.yml', extra_vars=extra_vars)
    if UTS is not None:
        command = UTS + ['sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', container] + command
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    return done.returncode, done.stdout.decode('utf-8', 'replace')


def test_own_lease_directories_sbc_lock_ends_with_its_token(emulator, tmp_path):
    """The default (a lease directory inside each job's container): the SBC frees the lock when the token expires."""
    runner = PlaybookRunner(emulator, tmp_path)
    status, output = job(runner, 'automation-job-41-abcde', tmp_path / 'job41', give_back=False)
    assert status == 0 and [event['event'] for event in emulator.audit('sbc1')] == ['grant'], output
    # ten minutes later: the emulator's control API expires the token now, through the same path as its
    # lifetime would (a token that expires by its lifetime: test_lock_session.py, with 5 s tokens). Waiting
    # for a short lifetime here instead let job 42's own token expire before it gave the lock back when the
    # machine was loaded.
    assert emulator.control('POST', '/sbc/sbc1/expire-tokens', json={'user': 'admin'})['expired'] == 1
    status, output = job(runner, 'automation-job-42-fghij', tmp_path / 'job42', wait_seconds=30)
    assert status == 0, output
    events = emulator.audit('sbc1')
    assert_never_two_holders(events)
    assert [event['event'] for event in events] == ['grant', 'expire', 'grant', 'release']
    assert not emulator.sbc_lock_state()['held']


def test_own_lease_directories_sdm_lock_goes_to_the_next_job_of_the_same_account(emulator, tmp_path):
    """An SDM lock belongs to the account: the next job of that account is let in (and gives it back)."""
    runner = PlaybookRunner(emulator, tmp_path)
    status, output = job(runner, 'automation-job-41-abcde', tmp_path / 'job41', product='sdm', give_back=False)
    assert status == 0 and emulator.sdm_locks() == {'ID3': 'prov1'}, output
    status, output = job(runner, 'automation-job-42-fghij', tmp_path / 'job42', product='sdm')
    assert status == 0, output
    assert emulator.sdm_locks() == {}
    assert [event['event'] for event in emulator.audit('sdm1')] == ['grant', 'release']


@pytest.mark.skipif(UTS is None, reason='this machine lets no process take a host name of its own (unshare --uts)')
def test_shared_lease_directory_keeps_concurrent_jobs_of_one_account_apart(emulator, tmp_path):
    """A lease directory shared by all jobs (persistent volume): two live jobs in two containers never share a lock."""
    runner = PlaybookRunner(emulator, tmp_path)
    shared = tmp_path / 'shared'
    holder_env = runner.env(ORACLE_COMMS_LEASE_DIR=shared)
    holder_cmd = UTS + ['sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', 'automation-job-41-abcde'] + \
        runner.command(PLAYS / 'job.yml', extra_vars={'product': 'sdm', 'hold_seconds': 3})
    holder = subprocess.Popen(holder_cmd, env=holder_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while emulator.sdm_locks() != {'ID3': 'prov1'} and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert emulator.sdm_locks() == {'ID3': 'prov1'}, 'the first job never took the device'
        status, output = job(runner, 'automation-job-42-fghij', shared, product='sdm', wait_seconds=60)
    finally:
        holder_output = holder.communicate(timeout=120)[0].decode('utf-8', 'replace')
    assert holder.returncode == 0, holder_output
    assert status == 0, output
    # the SDM would have let the same account in twice; the shared lease record made the second job wait
    events = emulator.audit('sdm1')
    assert [event['event'] for event in events] == ['grant', 'release', 'grant', 'release'], events


@pytest.mark.skipif(UTS is None, reason='this machine lets no process take a host name of its own (unshare --uts)')
def test_shared_lease_directory_next_job_recovers_a_torn_down_jobs_lock(emulator, tmp_path):
    """The operator guide's promise: "AWX pod or container torn down -> next run on a persistent lease path recovers it".

    The container is torn down mid-job: its ansible-playbook and its keeper are killed together. The
    keeper's heartbeat (its pid file, touched every second) goes stale, and the next job, in another
    container, adopts the lock and gives it back.
    """
    runner = PlaybookRunner(emulator, tmp_path)
    shared = tmp_path / 'shared'
    command = UTS + ['sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', 'automation-job-41-abcde'] + \
        runner.command(PLAYS / 'job.yml', extra_vars={'hold_seconds': 120, 'give_back': False})
    torn = subprocess.Popen(command, env=runner.env(ORACLE_COMMS_LEASE_DIR=shared), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (emulator.sbc_lock_state()['held'] and keepers(shared)) and time.monotonic() < deadline:
            time.sleep(0.05)
        [keeper] = keepers(shared)
    finally:
        # a torn-down container ends every process in it: the run, its keeper, and the workers Ansible forked
        # into sessions of their own (which a kill of the run's process group would leave running). The run
        # goes first, so that it forks no worker after the look at /proc (one that did lived on, stuck for ever
        # on a pipe to the dead run); then whatever is left, until nothing is.
        _kill([torn.pid])
        torn.wait(timeout=30)
        _kill(list(keepers(shared)))
        deadline = time.monotonic() + 30
        while _kill(_of_container(shared)) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not _of_container(shared), 'processes of the torn-down container lived on: %r' % _of_container(shared)
    torn_down = time.time()
    assert emulator.sbc_lock_state()['held'] and keeper
    status, output = job(runner, 'automation-job-42-fghij', shared, wait_seconds=40)
    assert status == 0, output
    assert 'adopted the configuration lock' in ' '.join(output.split()), output
    assert 'sharing a lease directory between controllers is deprecated' in ' '.join(output.split()), output
    events = emulator.audit('sbc1')
    assert [event['event'] for event in events] == ['grant', 'release']
    # the next job waited for the heartbeat to go stale (15 s), not for the token (600 s)
    assert events[1]['ts'] - torn_down < 30
