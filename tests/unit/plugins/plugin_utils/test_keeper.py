"""The keeper: who gets one, its liveness lock, what it watches, and the lease view it serves to tasks."""

import os
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SBC_SPEC, SDM_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import LockHost
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SbcLockOptions, SdmLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_pid import keeper_alive, lock_nb
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lease_view import lease_view
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils import _keeper, _keeper_start
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._proc import start_time as _proc_start_time

from ..module_utils.lock_task import validated

ENDPOINT = 'sbc.test:443'


def this_process():
    """A Run for this very process: alive, on this host, its start time known."""
    return Run(socket.gethostname(), os.getpid(), _proc_start_time(os.getpid()))


def gone():
    """A Run whose process has ended."""
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    start = _proc_start_time(process.pid)
    process.wait()
    return Run(socket.gethostname(), process.pid, start)


def sbc_lease(run, token='tok-1', life=600.0, age=0.0, endpoint=ENDPOINT, user='admin'):
    now = time.time()
    return Lease('sbc', endpoint, 'configuration', user, run, token=token, issued_at=now - age, expires_at=now - age + life,
                 api_version='v1.2')


PARAMS = validated(SBC_SPEC, {'host': ENDPOINT, 'username': 'admin', 'password': 'pw-secret', 'api_version': 'v1.2'})


def sbc_options(**changes):
    """The options of a config_lock task on ENDPOINT as admin, as the keeper gets them."""
    return SbcLockOptions(dict(PARAMS, **changes), Redactor('pw-secret'))


def make_keeper(store, run, user='admin', product='sbc'):
    fd = os.open(os.path.join(store.directory, 'k.pid'), os.O_RDWR | os.O_CREAT, 0o600)
    config = {'product': product, 'endpoint': ENDPOINT, 'user': user, 'run': run.ident, 'params': dict(PARAMS, username=user)}
    log = []

    class Out:
        def write(self, text):
            log.append(text)

        def flush(self):
            pass

    return _keeper.Keeper(store, 'k', fd, config, sleep=lambda _s: None, out=Out()), log


def test_a_scope_is_one_run_product_endpoint_and_user():
    key = scope_key('vm:1:2', 'sbc', ENDPOINT, 'admin')
    assert key == scope_key('vm:1:2', 'sbc', ENDPOINT, 'admin')
    others = [scope_key('vm:1:3', 'sbc', ENDPOINT, 'admin'), scope_key('vm:1:2', 'sdm', ENDPOINT, 'admin'),
              scope_key('vm:1:2', 'sbc', 'other:443', 'admin'), scope_key('vm:1:2', 'sbc', ENDPOINT, 'admin2')]
    assert key not in others and len(set(others)) == 4


def test_no_keeper_where_it_is_not_wanted(tmp_path, monkeypatch):
    monkeypatch.setattr(_keeper_start, '_spawn', lambda *a: pytest.fail('no keeper should start'))
    warnings = []
    # an SDM lock without release_on_exit: nothing to give back at the end, no token to renew
    sdm = SdmLockOptions(validated(SDM_SPEC, dict(host='sdm.test', username='prov1', password='pw-secret', device_id=['ID1'],
                                                  release_on_exit=False)), Redactor('pw-secret'))
    _keeper.ensure_keeper(LeaseStore(str(tmp_path)), sdm, this_process(), warnings.append)
    # a module executed on another host has a LockHost without on_lock: nothing to ask
    LockHost().lock_held(LeaseStore(str(tmp_path)), sbc_options(), this_process())
    # in check mode nothing is held
    LockHost(check_mode=True, on_lock=lambda *a: pytest.fail('no lock in check mode')).lock_held(None, sbc_options(), this_process())
    assert not warnings


def test_an_sbc_lock_without_release_on_exit_still_gets_the_keeper_that_renews_its_token(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(_keeper_start, '_spawn', lambda store, key, fd, config: started.append(config))
    _keeper.ensure_keeper(LeaseStore(str(tmp_path)), sbc_options(release_on_exit=False), this_process(), pytest.fail)
    assert len(started) == 1 and started[0]['params']['release_on_exit'] is False


def test_a_keeper_without_release_on_exit_leaves_the_locks_when_the_run_ends(tmp_path):
    store = LeaseStore(str(tmp_path))
    run = Run(socket.gethostname(), 1, 2)  # a run that is gone
    keeper, log = make_keeper(store, run)
    keeper.params['release_on_exit'] = False
    keeper.release_all = lambda: pytest.fail('nothing is given back')
    assert keeper.serve() == 0 and 'release_on_exit is off' in ''.join(log)


def test_no_keeper_for_a_run_that_cannot_be_watched(tmp_path, monkeypatch):
    monkeypatch.setattr(_keeper_start, '_spawn', lambda *a: pytest.fail('no keeper should start'))
    warnings = []
    _keeper.ensure_keeper(LeaseStore(str(tmp_path)), sbc_options(), Run('another-host', 1, 2), warnings.append)
    assert 'no keeper watches this run' in warnings[0]


def test_one_keeper_per_scope_however_many_tasks_ask(tmp_path, monkeypatch):
    """The starter hands its locked pid file down: while the keeper lives, nobody else starts one."""
    started = []

    def spawn(store, key, fd, config):
        started.append(config)
        held = os.dup(fd)  # stands for the keeper's inherited descriptor (and with it the lock)
        started.append(held)

    monkeypatch.setattr(_keeper_start, '_spawn', spawn)
    store = LeaseStore(str(tmp_path))
    for _dummy in range(3):
        _keeper.ensure_keeper(store, sbc_options(), this_process(), pytest.fail)
    config, held = started
    assert config['params']['password'] == 'pw-secret' and config['run'] == this_process().ident
    key = scope_key(this_process().ident, 'sbc', ENDPOINT, 'admin')
    assert keeper_alive(store, key)
    os.close(held)  # the keeper is gone: the next task starts a new one
    assert not keeper_alive(store, key)
    _keeper.ensure_keeper(store, sbc_options(), this_process(), pytest.fail)
    assert len(started) == 4
    os.close(started[3])


def test_a_keeper_keeps_only_its_own_scope(tmp_path):
    store = LeaseStore(str(tmp_path))
    run = this_process()
    store.write(sbc_lease(run))
    store.write(sbc_lease(Run('vm', 1, 2), endpoint='other:443'))
    store.write(sbc_lease(run, endpoint='third:443', user='admin2'))
    keeper, _log = make_keeper(store, run)
    assert [lease.endpoint for lease in keeper.mine()] == [ENDPOINT]
    assert make_keeper(store, run, user='admin2')[0].mine() == []


def test_when_the_run_is_gone_the_keeper_gives_back_and_exits(tmp_path, monkeypatch):
    store = LeaseStore(str(tmp_path))
    run = gone()
    store.write(sbc_lease(run))
    keeper, log = make_keeper(store, run)
    released = []

    def release(leases):
        released.append([lease.resource for lease in leases])
        for lease in leases:
            store.delete(lease.key)

    monkeypatch.setattr(keeper, '_release', release)
    assert keeper.serve() == 0
    assert released == [['configuration']]
    assert 'the run ended holding configuration; given back' in ''.join(log)


def test_a_keeper_retries_a_failing_release_then_gives_up_leaving_the_lease(tmp_path, monkeypatch):
    store = LeaseStore(str(tmp_path))
    run = gone()
    store.write(sbc_lease(run))
    clock = [0.0]
    keeper, log = make_keeper(store, run)
    keeper._clock = lambda: clock[0]

    def release(_leases):
        clock[0] += 100
        raise OracleError('connection refused', 'network')

    monkeypatch.setattr(keeper, '_release', release)
    assert keeper.release_all() == 1
    assert 'gave up after 600 s' in ''.join(log) and store.read(sbc_lease(run).key) is not None
    assert ''.join(log).count('giving back failed: connection refused') == 7


def test_an_idle_keeper_retires_and_lets_go_of_its_lock(tmp_path):
    store = LeaseStore(str(tmp_path))
    keeper, log = make_keeper(store, this_process())
    clock = [0.0]

    def sleep(seconds):
        clock[0] += max(seconds, 0.5)

    keeper._clock, keeper._sleep = (lambda: clock[0]), sleep
    assert keeper.serve() == 0
    assert 'holds nothing here any more' in ''.join(log)
    with pytest.raises(OSError):
        os.fstat(keeper.pid_fd)  # closed: the lock is free for the next starter


def test_a_token_running_out_is_renewed_by_the_keeper(tmp_path, monkeypatch):
    store = LeaseStore(str(tmp_path))
    run = this_process()
    store.write(sbc_lease(run, life=60, age=50))
    keeper, _log = make_keeper(store, run)
    acquired = []

    class FakeConfigLock:
        def __init__(self, options, host, redactor, store=None, run=None):
            assert options.state == 'locked' and options.token is None and run is keeper.run and host.member is None
            self.client = type('C', (), {'close': lambda self: None})()

        def renew(self):
            acquired.append(True)

    monkeypatch.setattr(_keeper, 'ConfigLock', FakeConfigLock)
    keeper.keep_fresh(keeper.mine())
    assert acquired == [True]
    store.write(sbc_lease(run, life=60, age=10))  # fresh: left alone
    keeper.keep_fresh(keeper.mine())
    assert acquired == [True]


def test_a_lease_of_another_hosts_run_counts_as_alive_while_its_keeper_beats(tmp_path):
    """Another AWX container on a shared lease directory: its run's process cannot be seen, its keeper's heartbeat can."""
    store = LeaseStore(str(tmp_path))
    elsewhere = Run('automation-job-41', 27, 1234)
    lease = sbc_lease(elsewhere)
    me = this_process()
    assert store.classify(lease, me) == 'other run'  # no keeper: nothing says it is gone
    beat = os.path.join(store.directory, scope_key(elsewhere.ident, 'sbc', ENDPOINT, 'admin') + '.pid')
    with open(beat, 'w'):
        pass
    assert store.classify(lease, me) == 'other run'
    stale = time.time() - 60
    os.utime(beat, (stale, stale))  # the container was torn down a minute ago
    assert store.classify(lease, me) == 'orphan'


# --------------------------------------------------------------------------------------------- lease_view

def test_the_view_gives_the_token_its_expiry_and_the_base_url(tmp_path):
    store = LeaseStore(str(tmp_path))
    lease = sbc_lease(this_process(), token='secret-token')
    store.write(lease)
    view = lease_view(store.path(lease.key), this_process())
    assert view['token'] == 'secret-token' and view['base_url'] == 'https://sbc.test:443/rest/v1.2'
    assert 590 <= view['expires_in'] <= 600 and view['product'] == 'sbc'


@pytest.mark.parametrize('case', ['released', 'empty', 'another run', 'expired'])
def test_the_view_fails_once_the_lock_is_not_ours(tmp_path, case):
    store = LeaseStore(str(tmp_path))
    lease = sbc_lease(Run('vm', 1, 2) if case == 'another run' else this_process(), life=10 if case == 'expired' else 600,
                      age=20 if case == 'expired' else 0)
    if case != 'released':
        store.write(lease)
    with pytest.raises(OracleError) as failure:
        lease_view('' if case == 'empty' else store.path(lease.key), this_process(), wait=0.2)
    assert failure.value.reason == 'lock_lost'
    assert 'secret' not in failure.value.msg and lease.token not in failure.value.msg


@pytest.mark.parametrize('case', ['not taken', 'empty'])
def test_in_check_mode_a_lease_that_is_not_there_gives_the_check_mode_answer(tmp_path, case):
    store = LeaseStore(str(tmp_path))
    lease = sbc_lease(this_process())
    view = lease_view('' if case == 'empty' else store.path(lease.key), this_process(), check_mode=True)
    assert view['check_mode'] is True and view['token'] == '' and view['base_url'] == ''
    assert view['product'] == ('' if case == 'empty' else 'sbc')


def test_in_check_mode_a_lease_the_run_holds_is_read_as_always(tmp_path):
    store = LeaseStore(str(tmp_path))
    lease = sbc_lease(this_process(), token='secret-token')
    store.write(lease)
    view = lease_view(store.path(lease.key), this_process(), check_mode=True)
    assert view['check_mode'] is False and view['token'] == 'secret-token'


def test_a_token_past_half_its_life_is_renewed_by_the_keeper_before_it_is_handed_out(tmp_path):
    store = LeaseStore(str(tmp_path))
    run = this_process()
    old = sbc_lease(run, token='old-token', life=60, age=40)
    store.write(old)
    key = scope_key(run.ident, 'sbc', ENDPOINT, 'admin')
    fd = os.open(os.path.join(store.directory, key + '.pid'), os.O_RDWR | os.O_CREAT, 0o600)
    assert lock_nb(fd)  # a keeper is alive

    def keeper():
        request = store.path(old.key) + '.refresh'
        deadline = time.monotonic() + 5
        while not os.path.exists(request) and time.monotonic() < deadline:
            time.sleep(0.01)
        store.write(sbc_lease(run, token='new-token', life=60))
        os.unlink(request)

    thread = threading.Thread(target=keeper)
    thread.start()
    try:
        view = lease_view(store.path(old.key), run, wait=5)
    finally:
        thread.join()
        os.close(fd)
    assert view['token'] == 'new-token' and view['expires_in'] >= 55


FORKING_RUN = r'''
import os, sys, time
result_queue = os.pipe()  # as Ansible's result queue: made by the run, inherited by its forks
child = os.fork()
if child == 0:
    os.setsid()  # as Ansible's workers do: a session of its own, out of reach of a signal to the run's group
    time.sleep(60)
    os._exit(0)
with open(sys.argv[-1] + '.part', 'w') as handle:
    handle.write(str(child))
os.rename(sys.argv[-1] + '.part', sys.argv[-1])  # whole or absent: the test reads it as soon as it exists
time.sleep(60)
'''


def fake_run(tmp_path, name):
    """A process whose command line reads like ``ansible-playbook``, with one forked worker in a session of its own.

    Both fake runs get the very same command line, as two identical plays started side by side would.
    """
    command = tmp_path / 'bin' / 'ansible-playbook'
    if not command.exists():
        command.parent.mkdir()
        command.symlink_to(sys.executable)
        (tmp_path / 'run.py').write_text(FORKING_RUN)
    marker = tmp_path / name
    process = subprocess.Popen([str(command), str(tmp_path / 'run.py'), str(tmp_path / 'worker')], cwd=str(tmp_path))
    deadline = time.monotonic() + 10
    while not (tmp_path / 'worker').exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    worker = int((tmp_path / 'worker').read_text())
    (tmp_path / 'worker').rename(marker)
    return process, worker, Run(socket.gethostname(), process.pid, _proc_start_time(process.pid))


def test_a_worker_the_keeper_never_saw_is_stopped_with_the_run_and_a_twin_plays_are_not(tmp_path):
    """A run killed right after forking a worker: the keeper finds the orphan, and leaves alone an identical play
    started before it and one started, with the same command line, right after it died."""
    store = LeaseStore(str(tmp_path))
    twin, twin_worker, _twin_run = fake_run(tmp_path, 'twin')
    process, worker, run = fake_run(tmp_path, 'ours')
    successor = successor_worker = None
    try:
        keeper, log = make_keeper(store, run)
        keeper._sleep = time.sleep
        assert keeper.workers.pids == {}  # never polled: the worker was forked "after the last look"
        process.kill()
        process.wait()
        successor, successor_worker, _successor_run = fake_run(tmp_path, 'successor')
        deadline = time.monotonic() + 10
        while not keeper.run_gone() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _proc_start_time(worker, living=True) is None, 'the orphaned worker still runs'
        assert _proc_start_time(twin_worker, living=True) is not None, 'the twin play lost its worker'
        assert successor.poll() is None and _proc_start_time(successor_worker, living=True) is not None, 'the next run was stopped'
        assert 'stopping the worker processes it left running (pids %d)' % worker in ''.join(log)
    finally:
        for pid in (worker, twin_worker, successor_worker):
            try:
                os.kill(pid, 9)
            except (OSError, TypeError):
                pass
        for proc in (process, twin, successor):
            if proc is None:
                continue
            proc.kill()
            proc.wait()


@pytest.mark.parametrize('content', ['null', '[]', '{"format": 2, "expires_at": "soon"}'])
def test_an_odd_lease_file_beside_ours_is_set_aside_and_the_keeper_goes_on(tmp_path, content):
    store = LeaseStore(str(tmp_path))
    run = this_process()
    store.write(sbc_lease(run))
    odd = sbc_lease(run, endpoint='odd.test:443').key
    with open(os.path.join(store.directory, odd + '.json'), 'w') as handle:
        handle.write(content)
    # log is made below: the lambda reads it when called
    store._warn = lambda message: log.append(message)  # pylint: disable=unnecessary-lambda
    keeper, log = make_keeper(store, run)
    assert [lease.endpoint for lease in keeper.mine()] == [ENDPOINT]
    assert any('set aside' in line for line in log)


def test_a_keeper_never_uses_a_lease_its_credentials_did_not_take(tmp_path):
    store = LeaseStore(str(tmp_path))
    run = this_process()
    lease = sbc_lease(run)
    lease.proof = make_proof('admin', 'another-password')
    store.write(lease)
    assert make_keeper(store, run)[0].mine() == []
    lease.proof = make_proof('admin', 'pw-secret')
    store.write(lease)
    assert len(make_keeper(store, run)[0].mine()) == 1


def test_the_view_answers_only_a_host_that_holds_the_lock(tmp_path):
    store = LeaseStore(str(tmp_path))
    lease = sbc_lease(this_process())
    lease.holders = ['sbc-a', 'sbc-b']
    store.write(lease)
    assert lease_view(store.path(lease.key), this_process(), member='sbc-b')['token'] == 'tok-1'
    with pytest.raises(OracleError) as failure:
        lease_view(store.path(lease.key), this_process(), member='sbc-c')
    assert failure.value.reason == 'lock_lost' and 'sbc-a, sbc-b' in failure.value.msg


@pytest.mark.parametrize('name', ['notes.json', 'keeper.log', '../x.json', 'sbc_x-0123456789.json.corrupt-1'])
def test_the_view_reads_only_lease_files_and_changes_nothing(tmp_path, name):
    store = LeaseStore(str(tmp_path / 'leases'))
    path = os.path.join(store.directory, name)
    if '..' not in name:
        with open(path, 'w') as handle:
            handle.write('{"a": 1}')
    before = sorted(os.listdir(store.directory))
    with pytest.raises(OracleError) as failure:
        lease_view(path, this_process())
    assert failure.value.reason == 'bad_input' and sorted(os.listdir(store.directory)) == before


def test_the_view_does_not_set_a_bad_lease_aside(tmp_path):
    store = LeaseStore(str(tmp_path))
    key = sbc_lease(this_process()).key
    with open(os.path.join(store.directory, key + '.json'), 'w') as handle:
        handle.write('null')
    with pytest.raises(OracleError) as failure:
        lease_view(store.path(key), this_process())
    assert failure.value.reason == 'lease_error' and os.listdir(store.directory).count(key + '.json') == 1


def test_the_view_refuses_a_directory_others_can_write(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    lease = sbc_lease(this_process())
    store.write(lease)
    os.chmod(store.directory, 0o777)
    with pytest.raises(OracleError) as failure:
        lease_view(store.path(lease.key), this_process())
    assert failure.value.reason == 'lease_error' and stat.S_IMODE(os.stat(store.directory).st_mode) == 0o777


def test_keeper_log_is_rotated_when_a_keeper_starts(tmp_path, monkeypatch):
    store = LeaseStore(str(tmp_path))
    with open(os.path.join(store.directory, 'keeper.log'), 'w') as handle:
        handle.write('x' * (_keeper_start.LOG_LIMIT + 1))
    started = []
    monkeypatch.setattr(_keeper_start.subprocess, 'Popen', lambda *a, **k: started.append(a) or type('P', (), {'stdin': open(os.devnull, 'wb')})())
    _keeper_start._spawn(store, 'k', os.open(os.devnull, os.O_RDONLY), {'params': {}})
    assert started and os.path.getsize(os.path.join(store.directory, 'keeper.log.1')) == _keeper_start.LOG_LIMIT + 1
    assert os.path.getsize(os.path.join(store.directory, 'keeper.log')) == 0
