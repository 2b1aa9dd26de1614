"""Decision logic of config_lock: desired state x what the lease says x what the SBC answers."""

import os
import stat
import threading
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lock, _sbc
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SBC_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_lock import ConfigLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run, lease_key, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SbcLockOptions

from .lock_task import RecordingHost, validated

ENDPOINT = 'sbc.test:443'
KEY = lease_key('sbc', ENDPOINT, 'configuration')
ME = Run('ctl', 1000, 111)
OTHER_ALIVE = Run('ctl', 2000, 222)


class FakeHttp:
    endpoint = ENDPOINT

    def close(self):
        pass


class FakeSbc(_sbc.SbcClient):
    """Scripted SBC: ``lock_answers``/``unlock_answers`` are consumed in order (an exception is raised).

    Only the four calls that reach the device are scripted; what is built on them (release, holds,
    refresh_holding) is the real client's.
    """

    def __init__(self, lock_answers=(), unlock_answers=()):
        self.lock_answers = list(lock_answers)
        self.unlock_answers = list(unlock_answers)
        self.calls = []
        self.username = 'admin'
        self.password = 'pw-secret'
        self.api_version = 'v1.2'
        self.version_pinned = False
        self.http = FakeHttp()
        self.issued = 0

    def _next(self, answers, name):
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def authenticate(self):
        self.issued += 1
        self.calls.append('authenticate')
        return _sbc.Token('tok-%d' % self.issued, time.time() + 600)

    def refresh(self, token):
        self.calls.append('refresh')
        self.issued += 1
        return _sbc.Token('tok-%d' % self.issued, time.time() + 600)

    def lock(self, token):
        self.calls.append(('lock', token.value))
        return self._next(self.lock_answers, 'lock')

    def unlock_answer(self, token):
        """An answer is RELEASED, REFUSED, or ``(REFUSED, text)``."""
        self.calls.append(('unlock', token.value))
        answer = self._next(self.unlock_answers, 'unlock')
        return answer if isinstance(answer, tuple) else (answer, '')


def make_task(tmp_path, client, run=ME, check_mode=False, diff=True, **args):
    params = dict(host=ENDPOINT, username='admin', password='pw-secret', lease_dir=str(tmp_path / 'leases'))
    params.update(args)
    host = RecordingHost(check_mode, diff)
    store = LeaseStore(params['lease_dir'])
    redactor = Redactor('pw-secret')
    options = SbcLockOptions(validated(SBC_SPEC, params), redactor)
    return ConfigLock(options, host, redactor, client=client, store=store, run=run), host, store


def put_lease(store, run, token='held-token', expires_in=600, issued_ago=0):
    now = time.time()
    store.write(Lease('sbc', ENDPOINT, 'configuration', 'admin', run, token=token, issued_at=now - issued_ago,
                      expires_at=now + expires_in, api_version='v1.2', proof=make_proof('admin', 'pw-secret')))


@pytest.fixture(autouse=True)
def other_run_is_alive(monkeypatch):
    """Runs are alive unless a test says otherwise (pid 3000 is 'dead')."""
    monkeypatch.setattr(Run, 'alive', lambda self: self.pid != 3000)


def test_lock_free_takes_it_and_writes_a_private_lease(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc, return_token=True)
    result = task.acquire()
    assert result['changed'] is True and result['locked'] is True and result['holder'] == 'us'
    assert result['token'] == 'tok-1' and result['_ansible_no_log'] is True
    assert result['diff'] == {'before': {'holder': 'nobody'}, 'after': {'holder': 'us'}}
    assert sbc.calls == ['authenticate', ('lock', 'tok-1')]
    path = os.path.join(store.directory, KEY + '.json')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.directory).st_mode) == 0o700
    assert store.read(KEY).token == 'tok-1'


def test_lock_already_ours_is_unchanged_and_silent_on_the_wire(tmp_path):
    sbc = FakeSbc()
    task, module, store = make_task(tmp_path, sbc, return_token=True)
    put_lease(store, ME)
    result = task.acquire()
    assert result['changed'] is False and result['holder'] == 'us' and result['token'] == 'held-token'
    assert sbc.calls == []


def test_lock_ours_past_half_life_is_reauthenticated_and_the_lease_follows(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc, return_token=True)
    put_lease(store, ME, expires_in=200, issued_ago=400)
    result = task.acquire()
    assert result['changed'] is False and result['token'] == 'tok-1'
    # the lock is asked with the new token: a holder is granted it again, so the lock is known to follow the token
    assert sbc.calls == ['refresh', ('lock', 'tok-1')]
    assert store.read(KEY).token == 'tok-1'


def test_a_lock_left_on_the_old_token_at_reauthentication_is_moved(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY, _sbc.LOCKED], unlock_answers=[_sbc.RELEASED])
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, ME, expires_in=200, issued_ago=400)
    result = task.acquire()
    assert result['locked'] is True and store.read(KEY).token == 'tok-1'
    assert sbc.calls == ['refresh', ('lock', 'tok-1'), ('unlock', 'held-token'), ('lock', 'tok-1')]
    assert any('moved to the new token' in warning for warning in module._warnings)


def test_a_lock_held_by_nobody_of_ours_after_reauthentication_is_lost(tmp_path):
    revoked = OracleError('revoked', 'lock_lost', 401)
    sbc = FakeSbc(lock_answers=[_sbc.BUSY], unlock_answers=[revoked, _sbc.REFUSED])
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, ME, expires_in=200, issued_ago=400)
    with pytest.raises(OracleError) as err:
        task.acquire()
    assert err.value.reason == 'lock_lost' and store.read(KEY) is None


def test_lock_ours_with_expired_token_says_the_lock_may_be_gone(tmp_path):
    task, module, store = make_task(tmp_path, FakeSbc())
    put_lease(store, ME, expires_in=-1, issued_ago=601)
    with pytest.raises(OracleError) as err:
        task.acquire()
    assert err.value.reason == 'lock_lost' and 'may be gone' in err.value.msg
    assert store.read(KEY) is None


def test_lock_held_by_another_live_run_fails_without_asking_the_device(tmp_path):
    sbc = FakeSbc()
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, OTHER_ALIVE)
    with pytest.raises(OracleError) as err:
        task.acquire()
    assert err.value.reason == 'lock_held' and 'another run sharing this lease record' in err.value.msg
    assert err.value.detail['holder'] == 'other run'
    assert sbc.calls == []


def test_lock_left_by_a_dead_run_is_adopted_once_the_sbc_confirms_it(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, Run('ctl', 3000, 333))
    result = task.acquire()
    assert result['changed'] is True and result['holder'] == 'us' and result['diff']['before'] == {'holder': 'other run'}
    assert store.read(KEY).run.same(ME)
    assert any('adopted' in warning and 'confirmed' in warning for warning in module._warnings)
    assert sbc.calls == [('lock', 'held-token')]


def test_lock_left_by_a_dead_run_but_forced_free_and_retaken_is_not_adopted(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY], unlock_answers=[_sbc.REFUSED])
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, Run('ctl', 3000, 333))
    with pytest.raises(OracleError) as err:
        task.acquire()
    assert err.value.reason == 'lock_held' and err.value.detail['locked'] is False
    assert sbc.calls == [('lock', 'held-token'), ('unlock', 'held-token'), 'authenticate', ('lock', 'tok-1')]
    assert store.read(KEY) is None
    assert any('no longer held by its token' in warning for warning in module._warnings)


def test_expired_lease_of_a_dead_run_is_dropped_and_the_lock_taken_anew(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, Run('ctl', 3000, 333), expires_in=-5, issued_ago=605)
    result = task.acquire()
    assert result['changed'] is True and sbc.calls == ['authenticate', ('lock', 'tok-1')]


def test_busy_then_free_waits_with_one_token(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY, _sbc.BUSY, _sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc, wait_timeout=5)
    result = task.acquire()
    assert result['changed'] is True and result['attempts'] == 3
    assert sbc.calls == ['authenticate', ('lock', 'tok-1'), ('lock', 'tok-1'), ('lock', 'tok-1')]
    assert result['diff']['before'] == {'holder': 'another user or session'}


def test_busy_until_the_deadline_fails_with_the_documented_message(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY])
    task, module, store = make_task(tmp_path, sbc, wait_timeout=0.3)
    with pytest.raises(OracleError) as err:
        task.acquire()
    assert err.value.reason == 'lock_held'
    assert err.value.msg.startswith('configuration lock on sbc.test:443 is held by another user or session; waited 0 s')
    assert store.read(KEY) is None


def test_lost_answer_to_lock_gives_back_what_our_token_might_hold(tmp_path):
    sbc = FakeSbc(lock_answers=[OracleError('reset', 'network')], unlock_answers=[_sbc.RELEASED])
    task, module, store = make_task(tmp_path, sbc)
    with pytest.raises(OracleError):
        task.acquire()
    assert sbc.calls == ['authenticate', ('lock', 'tok-1'), ('unlock', 'tok-1')]
    assert store.read(KEY) is None


def test_check_mode_lock_predicts_and_sends_nothing(tmp_path):
    sbc = FakeSbc()
    task, module, store = make_task(tmp_path, sbc, check_mode=True)
    result = task.acquire()
    assert result['changed'] is True and sbc.calls == [] and store.read(KEY) is None


def test_check_mode_unlock_of_ours_predicts_and_keeps_the_lease(tmp_path):
    sbc = FakeSbc()
    task, module, store = make_task(tmp_path, sbc, check_mode=True, state='unlocked')
    put_lease(store, ME)
    result = task.release()
    assert result['changed'] is True and result['diff'] == {'before': {'holder': 'us'}, 'after': {'holder': 'nobody'}}
    assert sbc.calls == [] and store.read(KEY) is not None


def test_unlock_ours_releases_and_removes_the_lease(tmp_path):
    sbc = FakeSbc(unlock_answers=[_sbc.RELEASED])
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, ME)
    result = task.release()
    assert result['changed'] is True and result['locked'] is False and 'token' not in result
    assert sbc.calls == [('unlock', 'held-token')] and store.read(KEY) is None


def test_unlock_ours_that_the_device_no_longer_has_is_unchanged(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED], unlock_answers=[(_sbc.REFUSED, 'User does not have the lock')])
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, ME)
    result = task.release()
    assert result['changed'] is False and result['holder'] == 'nobody' and store.read(KEY) is None and module._warnings
    # the 423 is the SBC's word that the token does not hold it: a release never takes the lock to find out more
    assert sbc.calls == [('unlock', 'held-token')]


@pytest.mark.parametrize('text, holder', [('Resource locked by another user', 'another user or session'), ('Gesperrt', 'unknown')])
def test_unlock_ours_taken_over_by_someone_else_is_unchanged_and_never_touches_it(tmp_path, text, holder):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY], unlock_answers=[(_sbc.REFUSED, text)])
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, ME)
    result = task.release()
    assert result['changed'] is False and result['locked'] is False and result['holder'] == holder
    assert store.read(KEY) is None and any('no longer held by the token this run took it with' in w for w in module._warnings)
    assert sbc.calls == [('unlock', 'held-token')]


def test_unlock_failing_on_the_device_keeps_the_lease_and_says_so(tmp_path):
    failure = OracleError('releasing the configuration lock on SBC x failed: the device answered 500', 'server_error', 500)
    task, module, store = make_task(tmp_path, FakeSbc(unlock_answers=[failure]), state='unlocked')
    put_lease(store, ME)
    with pytest.raises(OracleError) as err:
        task.release()
    assert err.value.reason == 'server_error' and 'lease is kept' in err.value.msg
    assert store.read(KEY) is not None


def test_unlock_without_lease_asks_the_device_and_reports_a_free_lock(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED], unlock_answers=[(_sbc.REFUSED, 'User does not have the lock')])
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    result = task.release()
    assert result['changed'] is False and result['holder'] == 'nobody'
    # a new token holds nothing: its unlock is refused, and that is all a release asks (never a lock)
    assert sbc.calls == ['authenticate', ('unlock', 'tok-1')]


def test_unlock_without_lease_of_a_foreign_lock_is_unchanged_and_never_touches_it(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY], unlock_answers=[(_sbc.REFUSED, 'Resource locked by another user')])
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    result = task.release()
    assert result['changed'] is False and result['locked'] is False and result['holder'] == 'another user or session'
    assert sbc.calls == ['authenticate', ('unlock', 'tok-1')]


def test_unlock_of_another_live_runs_lock_fails_without_traffic(tmp_path):
    sbc = FakeSbc()
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, OTHER_ALIVE)
    with pytest.raises(OracleError) as err:
        task.release()
    assert err.value.reason == 'lock_held' and sbc.calls == [] and store.read(KEY) is not None


@pytest.mark.parametrize('given', [True, False], ids=['false', 'default'])
def test_without_return_token_the_result_is_visible_and_carries_no_token(tmp_path, given):
    task, module, store = make_task(tmp_path, FakeSbc(), **({'return_token': False} if given else {}))
    put_lease(store, ME)
    result = task.acquire()
    assert 'token' not in result and '_ansible_no_log' not in result and result['expires_at'].endswith('Z')
    assert 'held-token' not in repr(result) and result['lease_file'].endswith('.json')


def test_a_local_release_wakes_the_waiter_at_once(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc, wait_timeout=10)
    put_lease(store, OTHER_ALIVE)
    released_at = []

    def release_soon():
        time.sleep(0.3)
        released_at.append(time.monotonic())
        store.delete(KEY)

    thread = threading.Thread(target=release_soon)
    thread.start()
    result = task.acquire()
    granted_at = time.monotonic()
    thread.join()
    assert result['changed'] is True and result['holder'] == 'us'
    # woken by the lease's change, not by the next recheck (LOCAL_RECHECK, 1 s) or a backoff step: well under 1 s even on a
    # loaded 2-core machine (0.32 s was seen there with a 0.2 s bound)
    assert granted_at - released_at[0] < 0.75
    assert sbc.calls == ['authenticate', ('lock', 'tok-1')]


# -- whose lock it is ---------------------------------------------------------------------------------------


def test_another_user_of_this_run_is_another_client(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY])
    sbc.username, sbc.password = 'oper', 'oper-secret'
    task, module, store = make_task(tmp_path, sbc, username='oper', password='oper-secret')
    put_lease(store, ME, token='admins-token')
    with pytest.raises(OracleError) as err:
        task.acquire()
    assert err.value.reason == 'lock_held' and err.value.detail['locked'] is False
    assert 'admins-token' not in repr(err.value.detail) and sbc.calls == ['authenticate', ('lock', 'tok-1')]
    assert store.read(KEY).token == 'admins-token'  # the lease of the user that holds it is left as it is


def test_another_user_of_this_run_cannot_release_through_the_lease(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY], unlock_answers=[(_sbc.REFUSED, 'Resource locked by another user')])
    sbc.username, sbc.password = 'oper', 'oper-secret'
    task, module, store = make_task(tmp_path, sbc, username='oper', password='oper-secret', state='unlocked')
    put_lease(store, ME, token='admins-token')
    result = task.release()
    assert result['changed'] is False and result['holder'] == 'another user or session'
    assert store.read(KEY) is not None and store.read(KEY).token == 'admins-token'
    assert ('unlock', 'admins-token') not in sbc.calls and not any(call[0] == 'lock' for call in sbc.calls if isinstance(call, tuple))


def test_the_same_user_with_a_wrong_password_gets_nothing_from_the_lease(tmp_path):
    refused = OracleError('authentication on SBC x failed: username or password not accepted (401)', 'auth_failed', 401)

    class WrongPassword(FakeSbc):
        def authenticate(self):
            self.calls.append('authenticate')
            raise refused

    sbc = WrongPassword()
    sbc.password = 'wrong'
    task, module, store = make_task(tmp_path, sbc, password='wrong')
    put_lease(store, ME, token='admins-token')
    for method in (task.acquire, task.release):
        with pytest.raises(OracleError) as err:
            method()
        assert err.value.reason == 'auth_failed' and 'admins-token' not in repr(err.value.__dict__)
    assert sbc.calls == ['authenticate', 'authenticate'] and store.read(KEY).token == 'admins-token'


def test_a_changed_password_is_proven_by_one_sign_in_and_the_proof_renewed(tmp_path):
    sbc = FakeSbc()
    sbc.password = 'new-password'
    task, module, store = make_task(tmp_path, sbc, password='new-password')
    put_lease(store, ME)
    assert task.acquire()['locked'] is True and sbc.calls == ['authenticate']
    assert store.read(KEY).taken_with('admin', 'new-password') is True


def test_hosts_of_one_run_share_the_lock_and_the_last_gives_it_back(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED], unlock_answers=[_sbc.RELEASED])

    def task_for(host, **args):
        params = dict(host=ENDPOINT, username='admin', password='pw-secret', lease_dir=str(tmp_path / 'leases'))
        params.update(args)
        options = SbcLockOptions(validated(SBC_SPEC, params), Redactor('pw-secret'))
        return ConfigLock(options, RecordingHost(member=host), Redactor('pw-secret'), client=sbc, store=LeaseStore(params['lease_dir']), run=ME)

    assert task_for('a').acquire()['changed'] is True
    joined = task_for('b').acquire()
    assert joined['changed'] is False and joined['locked'] is True and joined['holders'] == ['a', 'b']
    left = task_for('a', state='unlocked').release()
    assert left['changed'] is False and left['locked'] is True and left['holders'] == ['b']
    outsider = task_for('c', state='unlocked').release()
    assert outsider['changed'] is False and outsider['holders'] == ['b']
    assert ('unlock', 'tok-1') not in sbc.calls
    last = task_for('b', state='unlocked').release()
    assert last['changed'] is True and last['locked'] is False
    assert sbc.calls == ['authenticate', ('lock', 'tok-1'), ('unlock', 'tok-1')]


def test_a_wait_says_what_it_waits_for_at_a_calm_pace(tmp_path):
    now = [0.0]
    lines = []
    sbc = FakeSbc(lock_answers=[_sbc.BUSY])
    task, module, store = make_task(tmp_path, sbc, wait_timeout=60)
    task.waiter = _lock.Waiter(60, clock=lambda: now[0], sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
                               delays=iter([1.0] * 100), progress=lines.append)
    with pytest.raises(OracleError):
        task.acquire()
    # after 5 s, then every 20 s: at 5, 25, 45 s of 60
    assert [line.rsplit('; ', 1)[1] for line in lines] == ['waited 5 s of 60 s', 'waited 25 s of 60 s', 'waited 45 s of 60 s']
    assert all('configuration lock on SBC sbc.test:443, held by another user or session' in line for line in lines)
    assert not any('pw-secret' in line or 'tok-' in line for line in lines)


class _TokenKeptElsewhere(LeaseStore):
    """A shared lease record whose controller that took the lock kept its token to itself (lease_etcd_store_token off)."""

    def read(self, key, set_aside=True):
        lease = super(_TokenKeptElsewhere, self).read(key, set_aside)
        if lease is not None:
            lease.token = None
        return lease


def _withheld_task(tmp_path, sbc, **args):
    task, module, store = make_task(tmp_path, sbc, **args)
    store.close()
    task.store = _TokenKeptElsewhere(str(tmp_path / 'leases'))
    put_lease(task.store, Run('ctl', 3000, 333))
    return task, module, task.store


def test_a_dead_runs_lock_whose_token_was_kept_elsewhere_is_left_to_the_sbc(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY])
    task, module, store = _withheld_task(tmp_path, sbc)
    with pytest.raises(OracleError) as err:
        task.acquire()
    # neither adopted nor given back with a token nobody here has: asked for like any other client, and refused
    assert err.value.reason == 'lock_held'
    assert sbc.calls == ['authenticate', ('lock', 'tok-1')]
    assert any('cannot be adopted or given back from here' in warning and 'lease_etcd_store_token' in warning for warning in module._warnings)
    assert LeaseStore(str(tmp_path / 'leases')).read(KEY) is None  # a lease nobody can use is not kept


def test_giving_back_a_dead_runs_lock_whose_token_was_kept_elsewhere_asks_the_sbc(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.BUSY], unlock_answers=[(_sbc.REFUSED, 'Resource locked by another user')])
    task, module, store = _withheld_task(tmp_path, sbc, state='unlocked')
    result = task.release()
    assert result['changed'] is False and result['holder'] == 'another user or session'
    assert sbc.calls == ['authenticate', ('unlock', 'tok-1')]
    assert any('cannot be adopted or given back from here' in warning for warning in module._warnings)


def test_an_adopted_lock_counts_as_taken_when_adopted(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED])
    task, module, store = make_task(tmp_path, sbc)
    put_lease(store, Run('ctl', 3000, 333))
    left_at = store.read(KEY).taken_at
    began = time.time()
    task.acquire()
    # a lapse of this run's liveness before the adoption is not one of this lock's
    assert store.read(KEY).taken_at >= began > left_at - 1


# --------------------------------------------------------------------------------------------- a token the task was given

@pytest.mark.parametrize('state', ['locked', 'unlocked'])
def test_a_given_token_the_sbc_rejects_is_auth_failed_not_lock_lost(tmp_path, state):
    rejected = OracleError('the SBC answered 401', 'lock_lost', 401)
    sbc = FakeSbc(lock_answers=[rejected], unlock_answers=[rejected])
    task, module, store = make_task(tmp_path, sbc, token='not-a-token', state=state)
    with pytest.raises(OracleError) as err:
        task.acquire() if state == 'locked' else task.release()
    assert err.value.reason == 'auth_failed' and 'token option' in err.value.msg and 'not-a-token' not in err.value.msg
    assert err.value.detail['locked'] is False and store.read(KEY) is None and 'authenticate' not in sbc.calls


def test_a_lock_the_host_holds_already_is_not_taken_again_by_a_nested_session(tmp_path):
    sbc = FakeSbc(lock_answers=[_sbc.LOCKED], unlock_answers=[_sbc.RELEASED])
    first, module, store = make_task(tmp_path, sbc)
    assert first.acquire()['taken'] is True
    again, module, store = make_task(tmp_path, sbc)
    result = again.acquire()
    assert result['taken'] is False and result['changed'] is False and result['locked'] is True


def test_a_release_answered_401_fails_loudly_and_forgets_the_lease(tmp_path):
    """A 401 says the SBC no longer knows the token the lock is tied to: nothing can give that lock back or use it, so the
    lease goes (a later lock task must not believe it holds the lock) and the task fails lock_lost; nothing else is sent."""
    sbc = FakeSbc(unlock_answers=[OracleError('releasing the configuration lock was refused (401)', 'lock_lost', 401)])
    task, module, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, ME)
    with pytest.raises(OracleError) as err:
        task.release()
    assert err.value.reason == 'lock_lost' and err.value.detail['lease_kept'] is False and store.read(KEY) is None
    assert sbc.calls == [('unlock', 'held-token')]
