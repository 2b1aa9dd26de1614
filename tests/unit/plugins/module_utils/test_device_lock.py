"""Decision logic of device_lock: desired state x what the lease record says x what the SDM answers (fake SdmClient)."""

import multiprocessing
import os
import stat
import threading
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _device_lock, _lock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SDM_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_lock import DeviceLock, main_body
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_targets import canonical_order
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run, lease_key, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm import DONE, REFUSED, Answer
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SdmLockOptions

from .lock_task import RecordingHost, validated

ENDPOINT = 'sdm.test:8443'
ME = Run('ctl', 1000, 111)
OTHER_ALIVE = Run('ctl', 2000, 222)
DEAD = Run('ctl', 3000, 333)

DEVICES = [
    {'id': 'ID1', 'name': 'sbc-east-1', 'ip': '192.0.2.11', 'key': 'sbc-east-1_192.0.2.11', 'nfId': 'ID101', 'groupId': 'ID201'},
    {'id': 'ID2', 'name': 'sbc-east-2', 'ip': '192.0.2.12', 'key': 'sbc-east-2_192.0.2.12', 'nfId': 'ID101', 'groupId': 'ID201'},
    {'id': 'ID3', 'name': 'sbc-west-1', 'ip': '192.0.2.21', 'key': 'sbc-west-1_192.0.2.21', 'nfId': 'ID102', 'groupId': 'ID202'},
    {'id': 'ID4', 'name': 'lab-sbc', 'ip': '192.0.2.31', 'key': 'lab-sbc_192.0.2.31', 'nfId': 'ID103', 'groupId': 'ID203'},
    {'id': 'ID5', 'name': 'lab-sbc', 'ip': '192.0.2.32', 'key': 'lab-sbc_192.0.2.32', 'nfId': 'ID103', 'groupId': 'ID203'},
]

OK = Answer(DONE, 204)


def refused(status=400, text='Device is locked by another user', holder=None):
    return Answer(REFUSED, status, text, holder)


class FakeHttp:
    def __init__(self):
        self.closed = False
        self.idle = 0.0

    def close(self):
        self.closed = True

    def idle_for(self):
        return self.idle


class FakeSdm:
    """Scripted SDM: ``answers[(target, action)]`` is consumed in order, the last one repeats (an exception is raised).

    A target is a device id, or ``nfId/groupId`` for a group. Unscripted actions succeed.
    """

    def __init__(self, answers=None, devices=None):
        self.answers = dict((key, list(value)) for key, value in (answers or {}).items())
        self.calls = []
        self.username = 'prov1'
        self.password = 'pw-secret'
        self.logged_in = False
        self.http = FakeHttp()
        self.keep_alive_error = None
        self._devices = DEVICES if devices is None else devices

    def login(self):
        self.calls.append('login')
        self.logged_in = True

    def close(self):
        self.http.close()

    def idle_for(self):
        return self.http.idle_for()

    def keep_alive(self):
        assert self.logged_in, 'keep_alive() before login()'
        self.calls.append('keep_alive')
        if self.keep_alive_error:
            raise self.keep_alive_error

    def logout(self):
        if self.logged_in:
            self.calls.append('logout')
        self.logged_in = False

    def devices(self):
        assert self.logged_in, 'devices() before login()'
        self.calls.append('devices')
        return [dict(device) for device in self._devices]

    def _answer(self, target, action):
        assert self.logged_in, '%s %s before login()' % (action, target)
        self.calls.append((target, action))
        queue = self.answers.get((target, action))
        if not queue:
            return OK
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def device_action(self, device_id, action):
        return self._answer(device_id, action)

    def group_action(self, nf_id, group_id, action):
        return self._answer('%s/%s' % (nf_id, group_id), action)

    def actions(self):
        return [call for call in self.calls if isinstance(call, tuple)]


def make_task(tmp_path, client, run=ME, check_mode=False, diff=True, **args):
    params = dict(host=ENDPOINT, username='prov1', password='pw-secret', lease_dir=str(tmp_path / 'leases'))
    params.update(args)
    host = RecordingHost(check_mode, diff)
    store = LeaseStore(params['lease_dir'])
    redactor = Redactor('pw-secret')
    options = SdmLockOptions(validated(SDM_SPEC, params), redactor)
    return DeviceLock(options, host, redactor, client=client, store=store, run=run), host, store


def key(device_id):
    return lease_key('sdm', ENDPOINT, 'device:%s' % device_id)


def put_lease(store, device_id, run, user='prov1', password='pw-secret', holders=('',)):
    store.write(Lease('sdm', ENDPOINT, 'device:%s' % device_id, user, run, proof=make_proof(user, password), holders=list(holders)))


def held(store):
    return sorted(device_id for device_id in ('ID1', 'ID2', 'ID3', 'ID4', 'ID5', 'ID10') if store.read(key(device_id)) is not None)


def lock(task):
    return task.acquire(task.targets())


def unlock(task):
    return task.release(task.targets())


@pytest.fixture(autouse=True)
def other_run_is_alive(monkeypatch):
    """Runs are alive unless a test says otherwise (pid 3000 is 'dead')."""
    monkeypatch.setattr(Run, 'alive', lambda self: self.pid != 3000)


# --------------------------------------------------------------------------------------------- targets

def test_canonical_order_is_natural_and_unique():
    assert canonical_order(['ID10', 'ID2', 'ID1', 'ID2']) == ['ID1', 'ID2', 'ID10']
    assert canonical_order(['b', 'a10', 'a9']) == ['a9', 'a10', 'b']


def test_device_ids_need_no_lookup(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID10', ' ID2 ', 'ID1', 'ID2'])
    targets = task.targets()
    assert [target.device_ids for target in targets] == [['ID1'], ['ID2'], ['ID10']]
    assert sdm.calls == []


def test_empty_device_ids_are_bad_input_before_any_request(tmp_path):
    sdm = FakeSdm()
    with pytest.raises(OracleError) as err:
        make_task(tmp_path, sdm, device_id=['', ' '])
    assert err.value.reason == 'bad_input' and 'device_id' in err.value.msg and sdm.calls == []


@pytest.mark.parametrize('name, device_id', [
    ('sbc-east-1', 'ID1'), ('192.0.2.12', 'ID2'), ('sbc-west-1_192.0.2.21', 'ID3'), ('lab-sbc_192.0.2.32', 'ID5'), ('192.0.2.31', 'ID4'),
])
def test_lookup_by_name_ip_or_key(tmp_path, name, device_id):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device=[name])
    assert [target.device_ids for target in task.targets()] == [[device_id]]
    assert sdm.calls == ['login', 'devices']


def test_lookup_of_several_names_lists_the_inventory_once(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device=['sbc-west-1', '192.0.2.11', 'sbc-east-2'])
    assert [target.device_ids for target in task.targets()] == [['ID1'], ['ID2'], ['ID3']]
    assert sdm.calls.count('devices') == 1


def test_ambiguous_name_fails_and_lists_the_candidates(tmp_path):
    task, module, store = make_task(tmp_path, FakeSdm(), device=['lab-sbc'])
    with pytest.raises(OracleError) as err:
        task.targets()
    assert err.value.reason == 'bad_input'
    assert 'ID4 (lab-sbc, 192.0.2.31)' in err.value.msg and 'ID5 (lab-sbc, 192.0.2.32)' in err.value.msg


def test_unknown_name_fails_and_lists_what_the_user_sees(tmp_path):
    task, module, store = make_task(tmp_path, FakeSdm(), device=['sbc-north-9'])
    with pytest.raises(OracleError) as err:
        task.targets()
    assert err.value.reason == 'not_found' and "'sbc-north-9'" in err.value.msg
    assert all(name in err.value.msg for name in ('sbc-east-1', 'sbc-east-2', 'sbc-west-1', 'lab-sbc'))


def test_unknown_name_on_an_empty_inventory(tmp_path):
    task, module, store = make_task(tmp_path, FakeSdm(devices=[]), device=['x'])
    with pytest.raises(OracleError) as err:
        task.targets()
    assert err.value.reason == 'not_found' and 'none' in err.value.msg


def test_group_members_come_from_the_inventory(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'})
    [target] = task.targets()
    assert target.device_ids == ['ID1', 'ID2'] and target.label == 'device group ID201 of NF ID101'


def test_group_members_by_parent_group_id(tmp_path):
    devices = [{'id': 'ID7', 'nfId': 'ID109', 'parentGroupId': 'ID209'}, {'id': 'ID8', 'nfId': 'ID109', 'parentGroupId': 'ID100'}]
    task, module, store = make_task(tmp_path, FakeSdm(devices=devices), group={'nf_id': 'ID109', 'group_id': 'ID209'})
    assert task.targets()[0].device_ids == ['ID7']


def test_empty_group_is_not_found(tmp_path):
    task, module, store = make_task(tmp_path, FakeSdm(), group={'nf_id': 'ID101', 'group_id': 'ID202'})
    with pytest.raises(OracleError) as err:
        task.targets()
    assert err.value.reason == 'not_found' and 'ID202' in err.value.msg and 'ID101' in err.value.msg


# --------------------------------------------------------------------------------------------- lock

def test_lock_free_devices_in_canonical_order_with_private_leases(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID10', 'ID2', 'ID1'])
    result = lock(task)
    assert result['changed'] is True and result['locked'] is True
    assert result['device_ids'] == ['ID1', 'ID2', 'ID10']
    assert result['holder'] == {'ID1': 'us', 'ID2': 'us', 'ID10': 'us'}
    assert result['diff'] == {'before': {'holder': {'ID1': 'nobody', 'ID2': 'nobody', 'ID10': 'nobody'}},
                              'after': {'holder': {'ID1': 'us', 'ID2': 'us', 'ID10': 'us'}}}
    assert sdm.calls == ['login', ('ID1', 'Lock'), ('ID2', 'Lock'), ('ID10', 'Lock')]
    assert held(store) == ['ID1', 'ID10', 'ID2']
    path = os.path.join(store.directory, key('ID1') + '.json')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.directory).st_mode) == 0o700
    lease = store.read(key('ID1'))
    assert lease.user == 'prov1' and lease.run.same(ME) and lease.token is None


def test_same_user_warning_is_given_once_per_controller_and_old_markers_go(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    legacy = os.path.join(store.directory, '.warned-0123456789abcdef')
    open(legacy, 'w').close()
    task, module, store = make_task(tmp_path, FakeSdm(), device_id=['ID1'])
    lock(task)
    assert len([warning for warning in module._warnings if 'belong to the user prov1' in warning]) == 1
    assert not os.path.exists(legacy)
    for run in (ME, OTHER_ALIVE):  # neither this run nor another one says it again
        task, module, store = make_task(tmp_path, FakeSdm(), run=run, device_id=['ID2'] if run is ME else ['ID3'])
        lock(task)
        assert module._warnings == []
    assert len([name for name in os.listdir(store.directory) if name.startswith('.warned')]) == 1


def test_lock_without_diff_mode_has_no_diff(tmp_path):
    task, module, store = make_task(tmp_path, FakeSdm(), diff=False, device_id=['ID1'])
    assert 'diff' not in lock(task)


def test_lock_already_ours_is_unchanged_and_silent_on_the_wire(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID2'])
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', ME)
    result = lock(task)
    assert result['changed'] is False and result['locked'] is True and result['holder'] == {'ID1': 'us', 'ID2': 'us'}
    assert result['diff']['before'] == result['diff']['after'] == {'holder': {'ID1': 'us', 'ID2': 'us'}}
    assert sdm.calls == []


def test_lock_some_ours_takes_only_the_rest(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID2'])
    put_lease(store, 'ID1', ME)
    result = lock(task)
    assert result['changed'] is True and sdm.actions() == [('ID2', 'Lock')]
    assert result['diff']['before'] == {'holder': {'ID1': 'us', 'ID2': 'nobody'}}


def test_lease_of_a_dead_run_of_this_user_is_adopted_once_the_sdm_confirms_it(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'])
    put_lease(store, 'ID1', DEAD)
    result = lock(task)
    assert result['changed'] is True and result['holder'] == {'ID1': 'us'}
    assert result['diff']['before'] == {'holder': {'ID1': 'other run'}}
    assert store.read(key('ID1')).run.same(ME)
    assert any('adopted' in warning and 'ID1' in warning and 'confirmed' in warning for warning in module._warnings)
    assert sdm.actions() == [('ID1', 'Lock')]


def test_lease_of_a_dead_run_whose_lock_was_forced_free_and_retaken_is_not_adopted(tmp_path):
    sdm = FakeSdm({('ID1', 'Lock'): [refused(400, 'locked')], ('ID1', 'Unlock'): [refused(400, 'not yours')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'])
    put_lease(store, 'ID1', DEAD)
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held' and err.value.detail['locked'] is False
    assert sdm.actions() == [('ID1', 'Lock'), ('ID1', 'Unlock'), ('ID1', 'Lock')] and held(store) == []
    assert any('no longer held by user prov1' in warning for warning in module._warnings)


def test_lease_of_a_dead_run_is_adopted_where_the_sdm_refuses_a_second_lock_by_its_holder(tmp_path):
    sdm = FakeSdm({('ID1', 'Lock'): [refused(409, 'already locked'), OK]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'])
    put_lease(store, 'ID1', DEAD)
    result = lock(task)
    assert result['locked'] is True and sdm.actions() == [('ID1', 'Lock'), ('ID1', 'Unlock'), ('ID1', 'Lock')]


def test_lease_of_a_dead_run_of_another_user_is_dropped_and_the_device_locked_anew(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'])
    put_lease(store, 'ID1', DEAD, user='prov2')
    result = lock(task)
    assert result['changed'] is True and sdm.actions() == [('ID1', 'Lock')]
    assert store.read(key('ID1')).user == 'prov1'


def test_lock_held_by_another_live_run_fails_without_asking_the_sdm(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'])
    put_lease(store, 'ID1', OTHER_ALIVE)
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held' and 'another run sharing this lease record (ansible run pid 2000 on ctl)' in err.value.msg
    assert err.value.detail['holder'] == {'ID1': 'other run'} and err.value.detail['locked'] is False
    assert sdm.calls == []  # not even a login: it was not going to wait
    assert store.read(key('ID1')).run.same(OTHER_ALIVE)


def test_a_local_release_wakes_the_waiter_at_once(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], wait_timeout=10)
    put_lease(store, 'ID1', OTHER_ALIVE)
    released_at = []

    def release_soon():
        time.sleep(0.3)
        released_at.append(time.monotonic())
        store.delete(key('ID1'))

    thread = threading.Thread(target=release_soon)
    thread.start()
    result = lock(task)
    granted_at = time.monotonic()
    thread.join()
    assert result['changed'] is True and result['holder'] == {'ID1': 'us'} and result['waited'] > 0.2
    # woken by the lease's change, not by the next recheck (1 s): well under 1 s even on a loaded 2-core machine
    assert granted_at - released_at[0] < 0.75
    # signed in while the other run held it, so the hand-over was the Lock alone; nothing else was sent
    assert sdm.calls == ['login', ('ID1', 'Lock')]


@pytest.mark.parametrize('touch_fails', [False, True], ids=['touched', 'touch-failed'])
def test_a_waiter_behind_a_local_lease_touches_its_session_when_idle(tmp_path, monkeypatch, touch_fails):
    monkeypatch.setattr(_device_lock, 'STANDBY_TOUCH', 10.0)
    monkeypatch.setattr(_lock, 'LOCAL_RECHECK', 0.05)
    sdm = FakeSdm()
    sdm.keep_alive_error = OracleError('no answer from sdm.test:8443 within 5 s', 'network') if touch_fails else None
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], wait_timeout=10)
    put_lease(store, 'ID1', OTHER_ALIVE)

    def idle_then_release():
        time.sleep(0.3)
        sdm.http.idle = 10.0  # as if the session had not been used for STANDBY_TOUCH seconds
        time.sleep(0.3)
        store.delete(key('ID1'))

    thread = threading.Thread(target=idle_then_release)
    thread.start()
    result = lock(task)
    thread.join()
    assert result['changed'] is True and result['holder'] == {'ID1': 'us'}
    assert sdm.calls[0] == 'login' and sdm.calls[-1] == ('ID1', 'Lock') and sdm.calls.count('login') == 1
    # a failed touch does not end the wait: the device may be back by the hand-over, and the Lock says if not
    assert 'keep_alive' in sdm.calls and set(sdm.calls[1:-1]) == {'keep_alive'}


def test_refused_then_free_waits_on_one_session(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused(), refused(), OK]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'], wait_timeout=5)
    result = lock(task)
    assert result['changed'] is True and result['attempts'] == 3 and result['waited'] > 0
    assert sdm.calls == ['login', ('ID3', 'Lock'), ('ID3', 'Lock'), ('ID3', 'Lock')]
    assert held(store) == ['ID3']


def test_diff_before_shows_the_holder_that_was_waited_for(tmp_path):
    """The task began while another user held the device: 'before' must not say nobody held it."""
    sdm = FakeSdm({('ID3', 'Lock'): [refused(text='Device ID3 is locked by user prov2', holder='prov2'), OK]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'], wait_timeout=5)
    result = lock(task)
    assert result['changed'] is True
    assert result['diff']['before'] == {'holder': {'ID3': 'user prov2'}}


def test_refused_until_the_deadline_fails_with_the_device_and_the_sdm_answer(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused(text='Device ID3 is locked by another user')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'], wait_timeout=0.3)
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held'
    assert err.value.msg == ('device ID3 on SDM sdm.test:8443 is held by another user; waited 0 s '
                             '(the SDM answered 400: Device ID3 is locked by another user)')
    assert err.value.detail['holder'] == {'ID3': 'unknown'} and err.value.detail['locked'] is False
    assert 2 <= len(sdm.actions()) <= 5
    assert held(store) == []


def test_no_wait_says_how_to_wait(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused()]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.msg.endswith('; set wait_timeout to wait for it') and len(sdm.actions()) == 1


def test_a_named_holder_is_named(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused(409, 'Device ID3 is locked by user prov2', 'prov2')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert 'device ID3 on SDM sdm.test:8443 is held by user prov2' in err.value.msg and '409' in err.value.msg
    assert err.value.detail['holder'] == {'ID3': 'user prov2'}


def test_a_5xx_refusal_fails_as_server_error(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused(500, 'Internal server error')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'server_error' and '500' in err.value.msg


def test_all_or_nothing_gives_back_what_this_task_took(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused()]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3', 'ID2', 'ID1'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held' and 'given back' in err.value.msg
    assert sdm.actions() == [('ID1', 'Lock'), ('ID2', 'Lock'), ('ID3', 'Lock'), ('ID2', 'Unlock'), ('ID1', 'Unlock')]
    assert held(store) == []


def test_all_or_nothing_failure_reports_the_holders_after_the_give_back(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused()]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID3'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.detail['locked'] is False
    assert err.value.detail['holder'] == {'ID1': 'nobody', 'ID3': 'unknown'}


def test_all_or_nothing_keeps_what_this_run_held_before_the_task(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused()]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID2', 'ID3'])
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError):
        lock(task)
    assert sdm.actions() == [('ID2', 'Lock'), ('ID3', 'Lock'), ('ID2', 'Unlock')]
    assert held(store) == ['ID1']


def test_unknown_device_in_a_list_gives_back_the_others(tmp_path):
    missing = OracleError('device ID99 not found on SDM sdm.test:8443 (404); check the id', 'not_found', 404)
    sdm = FakeSdm({('ID99', 'Lock'): [missing]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID99'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'not_found'
    assert sdm.actions() == [('ID1', 'Lock'), ('ID99', 'Lock'), ('ID1', 'Unlock')] and held(store) == []


def test_a_failing_give_back_does_not_hide_the_original_error(tmp_path):
    sdm = FakeSdm({('ID3', 'Lock'): [refused()], ('ID1', 'Unlock'): [OracleError('reset', 'network')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID3'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held'


def test_a_lost_answer_to_lock_gives_back_what_the_sdm_may_have_granted(tmp_path):
    """The connection broke after the Lock was sent: the SDM may hold it for this user; nothing may be left locked."""
    sdm = FakeSdm({('ID2', 'Lock'): [OracleError('sdm.test:8443 closed the connection without an answer', 'network')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID2'])
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'network'
    assert ('ID1', 'Unlock') in sdm.actions()
    assert ('ID2', 'Unlock') in sdm.actions()
    assert held(store) == []


# --------------------------------------------------------------------------------------------- groups

def test_group_lock_is_one_action_with_a_lease_per_member(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'})
    result = lock(task)
    assert result['changed'] is True and result['device_ids'] == ['ID1', 'ID2'] and result['holder'] == {'ID1': 'us', 'ID2': 'us'}
    assert sdm.calls == ['login', 'devices', ('ID101/ID201', 'Lock')]
    assert held(store) == ['ID1', 'ID2']


def test_group_refused_gives_back_members_the_sdm_may_have_locked(tmp_path):
    sdm = FakeSdm({('ID101/ID201', 'Lock'): [refused(text='Device ID2 is locked by user prov2', holder='prov2')]})
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'})
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held' and 'device group ID201 of NF ID101' in err.value.msg and 'user prov2' in err.value.msg
    assert sdm.actions() == [('ID101/ID201', 'Lock'), ('ID1', 'Unlock'), ('ID2', 'Unlock')]
    assert held(store) == []


def test_a_group_refused_for_a_member_this_run_holds_takes_the_others_one_by_one(tmp_path):
    sdm = FakeSdm({('ID101/ID201', 'Lock'): [refused(409, 'Device ID1 is already locked')]})
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'})
    put_lease(store, 'ID1', ME, holders=['dev'])
    result = lock(task)
    assert result['locked'] is True and result['holder'] == {'ID1': 'us', 'ID2': 'us'}
    assert sdm.actions() == [('ID101/ID201', 'Lock'), ('ID2', 'Unlock'), ('ID2', 'Lock')]
    assert store.read(key('ID1')).holders == ['dev', ''] and store.read(key('ID2')).holders == ['']


def test_group_refused_leaves_members_this_run_holds(tmp_path):
    sdm = FakeSdm({('ID101/ID201', 'Lock'): [refused()], ('ID2', 'Lock'): [refused()]})
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'})
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError):
        lock(task)
    assert sdm.actions() == [('ID101/ID201', 'Lock'), ('ID2', 'Unlock'), ('ID2', 'Lock')]
    assert held(store) == ['ID1']


def test_group_and_device_leases_exclude_each_other_between_runs(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'})
    put_lease(store, 'ID2', OTHER_ALIVE)
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held' and 'another run sharing this lease record' in err.value.msg
    assert sdm.actions() == []


def test_group_unlock(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, group={'nf_id': 'ID101', 'group_id': 'ID201'}, state='unlocked')
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', ME)
    result = unlock(task)
    assert result['changed'] is True and result['holder'] == {'ID1': 'nobody', 'ID2': 'nobody'}
    assert sdm.actions() == [('ID101/ID201', 'Unlock')] and held(store) == []


# --------------------------------------------------------------------------------------------- check mode

def test_check_mode_lock_predicts_and_sends_nothing(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, check_mode=True, device_id=['ID1', 'ID2'])
    put_lease(store, 'ID1', ME)
    result = lock(task)
    assert result['changed'] is True and sdm.calls == [] and held(store) == ['ID1']
    assert result['diff']['after'] == {'holder': {'ID1': 'us', 'ID2': 'us'}}


def test_check_mode_lock_of_ours_is_unchanged(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, check_mode=True, device_id=['ID1'])
    put_lease(store, 'ID1', ME)
    assert lock(task)['changed'] is False and sdm.calls == []


def test_check_mode_lock_behind_another_run_predicts_without_waiting(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, check_mode=True, device_id=['ID1'], wait_timeout=30)
    put_lease(store, 'ID1', OTHER_ALIVE)
    began = time.monotonic()
    result = lock(task)
    # nothing waited for (the waiter's own account), and far from the 30 s it could have waited
    assert result['changed'] is True and result['waited'] == 0 and time.monotonic() - began < 15 and sdm.calls == []
    assert result['diff']['before'] == {'holder': {'ID1': 'other run'}}


def test_check_mode_lock_by_name_only_reads(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, check_mode=True, device=['sbc-east-1'])
    assert lock(task)['changed'] is True
    assert sdm.calls == ['login', 'devices']


def test_check_mode_unlock_of_ours_predicts_and_keeps_the_leases(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, check_mode=True, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    result = unlock(task)
    assert result['changed'] is True and result['diff'] == {'before': {'holder': {'ID1': 'us'}}, 'after': {'holder': {'ID1': 'nobody'}}}
    assert sdm.calls == [] and held(store) == ['ID1']


def test_check_mode_unlock_of_nothing_is_unchanged(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, check_mode=True, device_id=['ID1'], state='unlocked')
    assert unlock(task)['changed'] is False and sdm.calls == []


# --------------------------------------------------------------------------------------------- unlock

def test_unlock_ours_releases_and_removes_the_leases(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID2', 'ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', ME)
    result = unlock(task)
    assert result['changed'] is True and result['locked'] is False
    assert result['diff'] == {'before': {'holder': {'ID1': 'us', 'ID2': 'us'}}, 'after': {'holder': {'ID1': 'nobody', 'ID2': 'nobody'}}}
    assert sdm.calls == ['login', ('ID1', 'Unlock'), ('ID2', 'Unlock')] and held(store) == []


def test_unlock_of_a_dead_runs_lease_releases_it(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', DEAD)
    assert unlock(task)['changed'] is True and sdm.actions() == [('ID1', 'Unlock')] and held(store) == []


@pytest.mark.parametrize('status', [400, 409])
def test_unlock_ours_forced_free_meanwhile_is_unchanged_with_a_warning(tmp_path, status):
    sdm = FakeSdm({('ID1', 'Unlock'): [refused(status, 'Device ID1 is not locked'), OK]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    result = unlock(task)
    assert result['changed'] is False and result['holder'] == {'ID1': 'nobody'}
    assert sdm.actions() == [('ID1', 'Unlock')]  # a release never sends Lock, not even to find out
    assert any('no longer locked' in warning for warning in module._warnings) and held(store) == []


@pytest.mark.parametrize('status', [400, 409])
def test_unlock_ours_refused_in_words_that_name_nobody_is_unchanged_and_never_locks(tmp_path, status):
    sdm = FakeSdm({('ID1', 'Unlock'): [refused(status)], ('ID1', 'Lock'): [refused()]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    result = unlock(task)
    assert result['changed'] is False and result['locked'] is False and result['holder'] == {'ID1': 'unknown'}
    assert sdm.actions() == [('ID1', 'Unlock')] and held(store) == []


@pytest.mark.parametrize('status', [400, 403, 409, 423])
def test_unlock_ours_refused_as_another_users_names_the_holder_and_never_locks(tmp_path, status):
    sdm = FakeSdm({('ID1', 'Unlock'): [refused(status, 'Device ID1 is locked by user prov2', 'prov2')],
                   ('ID1', 'Lock'): [refused(status, 'Device ID1 is locked by user prov2', 'prov2')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    result = unlock(task)
    assert result['changed'] is False and result['holder'] == {'ID1': 'user prov2'}
    assert any('now held by user prov2' in warning for warning in module._warnings)
    assert sdm.actions() == [('ID1', 'Unlock')] and held(store) == []


@pytest.mark.parametrize('status', [500, 503])
def test_unlock_ours_answered_5xx_keeps_the_lease_and_fails_retryable(tmp_path, status):
    sdm = FakeSdm({('ID1', 'Unlock'): [refused(status, 'Internal error')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError) as err:
        unlock(task)
    assert err.value.retryable and err.value.detail['lease_kept'] is True and held(store) == ['ID1']
    assert sdm.actions() == [('ID1', 'Unlock')]


def test_unlock_without_lease_of_a_free_device_is_unchanged_without_a_lock(tmp_path):
    sdm = FakeSdm({('ID1', 'Unlock'): [refused(409, 'Device ID1 is not locked')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    result = unlock(task)
    assert result['changed'] is False and result['holder'] == {'ID1': 'nobody'}
    assert sdm.actions() == [('ID1', 'Unlock')]


def test_unlock_without_lease_of_this_users_device_releases_it_with_a_warning(tmp_path):
    sdm = FakeSdm({('ID1', 'Lock'): [refused(409, 'Device ID1 is already locked')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    result = unlock(task)
    assert result['changed'] is True and result['holder'] == {'ID1': 'nobody'}
    assert result['diff']['before'] == {'holder': {'ID1': 'unknown'}}
    assert sdm.actions() == [('ID1', 'Unlock')]
    assert any('without a lease' in warning for warning in module._warnings)


@pytest.mark.parametrize('status', [400, 403, 409, 423])
def test_unlock_without_lease_of_another_users_device_is_unchanged_and_never_locks(tmp_path, status):
    sdm = FakeSdm({('ID3', 'Lock'): [refused()], ('ID3', 'Unlock'): [refused(status, 'Device ID3 is locked by user prov2', 'prov2')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID3'], state='unlocked')
    result = unlock(task)
    assert result['changed'] is False and result['locked'] is False and result['holder'] == {'ID3': 'user prov2'}
    assert sdm.actions() == [('ID3', 'Unlock')]


def test_unlock_of_another_live_runs_lease_fails_without_traffic(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', OTHER_ALIVE)
    with pytest.raises(OracleError) as err:
        unlock(task)
    assert err.value.reason == 'lock_held' and 'theirs to release' in err.value.msg
    assert sdm.calls == [] and held(store) == ['ID1']


def test_unlock_of_several_releases_what_it_can_and_names_what_it_cannot(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID2', 'ID3'], state='unlocked')
    for device_id in ('ID1', 'ID3'):
        put_lease(store, device_id, ME)
    put_lease(store, 'ID2', OTHER_ALIVE)
    with pytest.raises(OracleError) as err:
        unlock(task)
    assert err.value.reason == 'lock_held' and 'device ID2' in err.value.msg
    assert sdm.actions() == [('ID1', 'Unlock'), ('ID3', 'Unlock')]
    assert held(store) == ['ID2']
    assert err.value.detail['holder'] == {'ID1': 'nobody', 'ID2': 'other run', 'ID3': 'nobody'}


def test_unlock_failing_on_the_sdm_keeps_the_lease(tmp_path):
    sdm = FakeSdm({('ID1', 'Unlock'): [OracleError('unlock of device ID1 on SDM failed: the device answered 503', 'server_error', 503)]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError) as err:
        unlock(task)
    assert err.value.reason == 'server_error' and held(store) == ['ID1']


# --------------------------------------------------------------------------------------------- one login, one logout

@pytest.fixture
def patched_client(monkeypatch):
    clients = []

    def factory(*_args, **_kwargs):
        client = clients[0]
        return client

    monkeypatch.setattr(_device_lock, 'SdmClient', factory)
    monkeypatch.setattr(Run, 'current', classmethod(lambda cls: ME))
    return clients


@pytest.mark.parametrize('answers, params, fails', [
    ({}, {'device_id': ['ID1', 'ID2']}, False),
    ({('ID2', 'Lock'): [refused()]}, {'device_id': ['ID1', 'ID2']}, True),
    ({}, {'device': ['lab-sbc']}, True),
    ({}, {'device': ['sbc-east-1'], 'state': 'unlocked'}, False),
    ({('ID1', 'Lock'): [OracleError('reset', 'network')]}, {'device_id': ['ID1']}, True),
])
def test_main_body_logs_in_once_and_always_logs_out(tmp_path, patched_client, answers, params, fails):
    sdm = FakeSdm(answers)
    patched_client.append(sdm)
    args = dict(host=ENDPOINT, username='prov1', password='pw-secret', lease_dir=str(tmp_path / 'leases'), **params)
    params = validated(SDM_SPEC, args)
    if fails:
        with pytest.raises(OracleError):
            main_body(params, RecordingHost(), Redactor('pw-secret'))
    else:
        main_body(params, RecordingHost(), Redactor('pw-secret'))
    assert sdm.calls.count('login') == 1 and sdm.calls[-1] == 'logout' and sdm.calls.count('logout') == 1
    assert sdm.http.closed


def test_main_body_of_a_held_lease_never_logs_in(tmp_path, patched_client):
    sdm = FakeSdm()
    patched_client.append(sdm)
    store = LeaseStore(str(tmp_path / 'leases'))
    put_lease(store, 'ID1', ME)
    args = dict(host=ENDPOINT, username='prov1', password='pw-secret', lease_dir=str(tmp_path / 'leases'), device_id=['ID1'])
    result = main_body(validated(SDM_SPEC, args), RecordingHost(), Redactor('pw-secret'))
    assert result['changed'] is False and sdm.calls == [] and sdm.http.closed


# --------------------------------------------------------------------------------------------- the lease directory

def _open_store(directory, barrier, outcomes):
    barrier.wait()
    try:
        LeaseStore(directory)
        outcomes.put('ok')
    except OracleError as exc:
        outcomes.put(exc.msg)


# Forks, as Ansible's workers are, from a process xdist made multi-threaded; the children only make a
# directory and put one item on a queue, so the deadlock Python warns about cannot happen.
@pytest.mark.filterwarnings('ignore:This process .* is multi-threaded, use of fork:DeprecationWarning')
def test_many_forks_can_create_the_lease_directory_at_once(tmp_path):
    """The hosts of one play run their device_lock tasks in forks at the same moment; the first run has no lease directory yet."""
    context = multiprocessing.get_context('fork')
    failures = []
    for attempt in range(10):
        directory = str(tmp_path / ('round-%d' % attempt) / 'leases')
        barrier, outcomes = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_open_store, args=(directory, barrier, outcomes)) for _dummy in range(6)]
        for worker in workers:
            worker.start()
        failures.extend(outcome for outcome in (outcomes.get(timeout=30) for _worker in workers) if outcome != 'ok')
        for worker in workers:
            worker.join(30)
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert failures == []


# -- whose lock it is ---------------------------------------------------------------------------------------


def test_another_user_of_this_run_asks_the_sdm_and_never_holds_it_through_the_lease(tmp_path):
    sdm = FakeSdm({('ID1', 'Lock'): [refused(400, 'Device is locked by another user')]})
    sdm.username, sdm.password = 'prov2', 'prov2-secret'
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], username='prov2', password='prov2-secret')
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lock_held' and err.value.detail['holder'] != {'ID1': 'us'}
    assert sdm.actions() == [('ID1', 'Lock')] and store.read(key('ID1')).user == 'prov1'


def test_the_same_user_with_a_wrong_password_fails_auth_and_touches_nothing(tmp_path):
    class WrongPassword(FakeSdm):
        def login(self):
            self.calls.append('login')
            raise OracleError('login of prov1 on SDM x failed: user ID or password not accepted (401)', 'auth_failed', 401)

    sdm = WrongPassword()
    sdm.password = 'wrong'
    put_lease(LeaseStore(str(tmp_path / 'leases')), 'ID1', ME)
    for state in ('locked', 'unlocked'):
        task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], password='wrong', state=state)
        with pytest.raises(OracleError) as err:
            lock(task) if state == 'locked' else unlock(task)
        assert err.value.reason == 'auth_failed'
    assert sdm.actions() == [] and held(store) == ['ID1']


def test_hosts_of_one_run_share_a_device_and_the_last_gives_it_back(tmp_path):
    sdm = FakeSdm()

    def task_for(host, **args):
        params = dict(host=ENDPOINT, username='prov1', password='pw-secret', lease_dir=str(tmp_path / 'leases'), device_id=['ID1'])
        params.update(args)
        options = SdmLockOptions(validated(SDM_SPEC, params), Redactor('pw-secret'))
        return DeviceLock(options, RecordingHost(member=host), Redactor('pw-secret'), client=sdm, store=LeaseStore(params['lease_dir']), run=ME)

    assert lock(task_for('a'))['changed'] is True
    joined = lock(task_for('b'))
    assert joined['changed'] is False and joined['holders'] == ['a', 'b']
    left = unlock(task_for('a', state='unlocked'))
    assert left['changed'] is False and left['locked'] is True and left['holders'] == ['b']
    assert sdm.actions() == [('ID1', 'Lock')]
    last = unlock(task_for('b', state='unlocked'))
    assert last['changed'] is True and sdm.actions() == [('ID1', 'Lock'), ('ID1', 'Unlock')]


def test_no_same_user_warning_where_the_lease_record_is_shared_between_controllers(tmp_path, monkeypatch):
    monkeypatch.setattr(LeaseStore, 'shared_between_controllers', True)  # as the etcd record is
    task, module, store = make_task(tmp_path, FakeSdm(), device_id=['ID1'])
    lock(task)
    assert not [warning for warning in module._warnings if 'belong to the user' in warning]
    assert not [name for name in os.listdir(store.directory) if name.startswith('.warned')]


# --------------------------------------------------------------------------------------------- a release never takes a lock

GROUP = {'nf_id': 'ID101', 'group_id': 'ID201'}


@pytest.mark.parametrize('group_answers', [[refused(400, 'Device ID2 is not locked')], [OK]], ids=['group-refused', 'group-ok'])
def test_a_group_release_by_a_run_holding_one_member_gives_back_that_member_only(tmp_path, group_answers):
    """The run holds ID1 and gives back the group {ID1, ID2}: ID1 alone is unlocked, ID2 (not the run's) is never touched."""
    sdm = FakeSdm({('ID101/ID201', 'Unlock'): group_answers, ('ID101/ID201', 'Lock'): [refused(400, 'already locked')]})
    task, module, store = make_task(tmp_path, sdm, group=GROUP, state='unlocked')
    put_lease(store, 'ID1', ME)
    result = unlock(task)
    assert sdm.actions() == [('ID1', 'Unlock')]
    assert result['changed'] is True and result['holder'] == {'ID1': 'nobody', 'ID2': 'unknown'} and held(store) == []
    assert any('held only ID1' in warning and 'ID2' in warning for warning in module._warnings)


def test_a_group_release_refused_as_a_whole_gives_back_each_member_the_run_holds(tmp_path):
    sdm = FakeSdm({('ID101/ID201', 'Unlock'): [refused(400, 'Group is busy')], ('ID2', 'Unlock'): [refused(400, 'locked by user prov2', 'prov2')]})
    task, module, store = make_task(tmp_path, sdm, group=GROUP, state='unlocked')
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', ME)
    result = unlock(task)
    assert sdm.actions() == [('ID101/ID201', 'Unlock'), ('ID1', 'Unlock'), ('ID2', 'Unlock')]
    assert result['changed'] is True and result['holder'] == {'ID1': 'nobody', 'ID2': 'user prov2'} and held(store) == []


def test_a_lease_is_kept_while_the_sdm_cannot_say_the_lock_is_gone(tmp_path):
    """A network failure on Unlock keeps the lease (the keeper or a later run tries again); nothing is locked to find out."""
    sdm = FakeSdm({('ID1', 'Unlock'): [OracleError('Unlock failed: connection reset', 'network')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError) as err:
        unlock(task)
    assert err.value.reason == 'network' and held(store) == ['ID1'] and ('ID1', 'Lock') not in sdm.actions()


def test_a_group_lock_by_a_host_holding_one_member_reports_only_the_other_as_taken(tmp_path):
    """A session nested in one that holds ID1 takes the group {ID1, ID2}: its release is to give back ID2 alone."""
    sdm = FakeSdm()
    first, module, store = make_task(tmp_path, sdm, device_id=['ID1'])
    assert lock(first)['taken_ids'] == ['ID1']
    inner, module, store = make_task(tmp_path, sdm, group=GROUP)
    result = lock(inner)
    assert result['locked'] is True and result['taken_ids'] == ['ID2'] and held(store) == ['ID1', 'ID2']
    again, module, store = make_task(tmp_path, sdm, group=GROUP, check_mode=True)
    assert lock(again)['taken_ids'] == []


@pytest.mark.parametrize('target', [{'device_id': ['ID1', 'ID2']}, {'group': GROUP}], ids=['devices', 'group'])
def test_a_lease_that_cannot_be_written_undoes_the_lock_it_would_record(tmp_path, monkeypatch, target):
    """A full disk (or etcd gone) after the SDM granted the lock: the task fails and gives the devices back, never a device
    lock that no lease records (SDM locks never expire)."""
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, **target)

    def full_disk(lease):
        raise OracleError('cannot write the lease: no space left on device', 'lease_error')

    monkeypatch.setattr(store, 'write', full_disk)
    with pytest.raises(OracleError) as err:
        lock(task)
    assert err.value.reason == 'lease_error' and held(store) == []
    locks = [call for call in sdm.actions() if call[1] == 'Lock']
    unlocks = [call for call in sdm.actions() if call[1] == 'Unlock']
    assert locks and sorted(target for target, _action in unlocks) == sorted(target for target, _action in locks)


def test_a_group_release_gives_back_this_runs_member_and_leaves_another_runs(tmp_path):
    sdm = FakeSdm()
    task, module, store = make_task(tmp_path, sdm, group=GROUP, state='unlocked')
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', OTHER_ALIVE)
    result = unlock(task)
    assert sdm.actions() == [('ID1', 'Unlock')] and held(store) == ['ID2']
    assert result['changed'] is True and result['holder'] == {'ID1': 'nobody', 'ID2': 'other run'}


def test_a_release_lost_on_the_network_says_the_lease_keeps_the_lock(tmp_path):
    sdm = FakeSdm({('ID1', 'Unlock'): [OracleError('Unlock failed: connection reset', 'network')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME)
    with pytest.raises(OracleError) as err:
        unlock(task)
    assert err.value.detail['lease_kept'] is True and held(store) == ['ID1']


def test_a_failed_release_of_several_devices_says_what_it_gave_back(tmp_path):
    """ID1 is given back, ID2 fails with a 500: the failure says changed (ID1 is free now), and names both devices."""
    sdm = FakeSdm({('ID2', 'Unlock'): [refused(500, 'Internal error')]})
    task, module, store = make_task(tmp_path, sdm, device_id=['ID1', 'ID2'], state='unlocked')
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', ME)
    with pytest.raises(OracleError) as err:
        unlock(task)
    detail = err.value.detail
    assert detail['changed'] is True and detail['lease_kept'] is True and held(store) == ['ID2']
    assert detail['holder'] == {'ID1': 'nobody', 'ID2': 'us'} and detail['device_ids'] == ['ID1', 'ID2']
