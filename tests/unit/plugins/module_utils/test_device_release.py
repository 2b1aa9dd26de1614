"""The release half of device_lock: leave what other hosts of the run hold, give back the rest, refusals by the SDM's word."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_release import DeviceRelease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_HELD, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Run

from .test_device_lock import DEAD, ME, OTHER_ALIVE, FakeSdm, held, make_task, put_lease, refused


@pytest.fixture(autouse=True)
def other_run_is_alive(monkeypatch):
    monkeypatch.setattr(Run, 'alive', lambda self: self.pid != DEAD.pid)


def release(task):
    return task.release(task.targets())


def test_the_refuser_is_named_by_the_sdms_words():
    assert DeviceRelease._refuser(refused(holder='prov2')) == 'user prov2'
    assert DeviceRelease._refuser(refused(text='Device ID1 is not locked')) == 'nobody'
    assert DeviceRelease._refuser(refused(text='no')) == 'unknown'


def test_a_host_leaves_a_device_another_host_of_the_run_holds(tmp_path):
    sdm = FakeSdm()
    task, _host, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', ME, holders=('', 'web2'))
    result = release(task)
    assert result['changed'] is False and result['holders'] == ['web2'] and sdm.actions() == []
    assert held(store) == ['ID1']


def test_another_runs_device_is_left_untouched(tmp_path):
    sdm = FakeSdm()
    task, _host, store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    put_lease(store, 'ID1', OTHER_ALIVE)
    with pytest.raises(OracleError) as caught:
        release(task)
    assert caught.value.reason == REASON_LOCK_HELD and 'theirs to release' in caught.value.msg and sdm.actions() == []


def test_without_a_lease_the_sdms_refusal_says_nothing_was_ours(tmp_path):
    sdm = FakeSdm(answers={('ID1', 'Unlock'): [refused(text='Device ID1 is not locked')]})
    task, host, _store = make_task(tmp_path, sdm, device_id=['ID1'], state='unlocked')
    result = release(task)
    assert result['changed'] is False and result['holder'] == {'ID1': 'nobody'} and host._warnings == []
