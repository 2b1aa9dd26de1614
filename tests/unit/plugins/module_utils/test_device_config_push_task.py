"""device_config_push: which saveActivateResult is a failure and what its error says, and the push or discard itself with a
fake task (its held lease and SdmConfig)."""

import contextlib

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_push_task import (
    REASON_CONFIG_FAILED,
    REASON_FOREIGN_CHANGES,
    _push,
    failed_steps,
    push_failed,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import new_work, record_staged
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run

from .config_task_fakes import Host

ME = Run('ctl', 1000, 111)
OTHER = Run('ctl', 2000, 222)
OK = {'errorMessage': '', 'validationErrorMessage': '', 'isLockSuccess': 'SUCCESS', 'isValidationSuccess': 'SUCCESS',
      'isSaveConfigSuccess': 'SUCCESS', 'isIntegrityCheckSuccess': 'SUCCESS', 'isActivateConfigSuccess': 'SUCCESS',
      'isUnlockSuccess': 'SUCCESS', 'isCreateSuccess': 'Not Applicable', 'isRestoreConfigSuccess': 'Not Applicable',
      'isEraseCacheSuccess': 'Not Applicable', 'isDeviceFirmwareChangedFailure': 'false', 'status': 'SUCCESS', 'taskId': '17'}
CORE = {'name': 'core', 'operation': 'modified', 'elementTypePath': 'realmConfig'}
ACCESS = {'name': 'access', 'operation': 'created', 'elementTypePath': 'realmConfig'}
ALIEN = {'name': 'sa1', 'operation': 'deleted', 'elementTypePath': 'sessionAgent'}


# -- failed_steps and push_failed --------------------------------------------------------------------------------------

def test_a_clean_result_has_no_failed_step_and_is_no_failure():
    assert failed_steps(OK) == [] and push_failed(OK) is False


def test_failed_steps_come_in_the_order_the_push_runs_them():
    result = dict(OK, isUnlockSuccess='FAILURE', isActivateConfigSuccess='failed', isValidationSuccess=' Error ', isLockSuccess='UNKNOWN',
                  isZebraSuccess='fail', isAardvarkSuccess='false', isSaveConfigSuccess='Not Applicable')
    assert failed_steps(result) == ['isLockSuccess', 'isValidationSuccess', 'isActivateConfigSuccess', 'isUnlockSuccess',
                                    'isAardvarkSuccess', 'isZebraSuccess']


@pytest.mark.parametrize('value', ['SUCCESS', 'Not Applicable', '', 'true', 'succeeded'])
def test_values_that_are_no_failure(value):
    assert failed_steps(dict(OK, isSaveConfigSuccess=value)) == []


def test_fields_that_are_no_step_flags_never_count():
    assert failed_steps({'status': 'failure', 'isDeviceFirmwareChangedFailure': 'failure', 'errorMessage': 'false', 'isSuccess': 'x'}) == []


@pytest.mark.parametrize('result, failed', [
    (dict(OK, status='FAILURE'), True),
    (dict(OK, status='Completed'), False),
    (dict(OK, status=' ok '), False),
    (dict(OK, status='partial'), True),
    (dict(OK, status=''), False),
    (dict((name, value) for name, value in OK.items() if name != 'status'), False),
    (dict(OK, isSaveConfigSuccess='FAILURE'), True),
    (dict(OK, isDeviceFirmwareChangedFailure='TRUE'), True),
    (dict(OK, _status=200), False),
    (dict(OK, _status=201), False),
    (dict(OK, _status=400), True),
    (dict(OK, _status=500), True),
    ({'isLockSuccess': 'SUCCESS'}, False),
])
def test_push_failed(result, failed):
    assert push_failed(result) is failed


# -- the push with a fake task --------------------------------------------------------------------------------------

class Client:
    username = 'prov1'

    def __init__(self, devices=None, error=None):
        self._devices, self.error = devices if devices is not None else [{'id': 'ID1', 'ip': '192.0.2.11'}], error

    def devices(self):
        if self.error:
            raise self.error
        return list(self._devices)


class Config:
    """An SdmConfig whose ``changes()`` answers come from ``pending`` (one list per call, the last repeats)."""

    device_id = 'ID1'
    where = 'device ID1 on SDM sdm.test:8443'

    def __init__(self, pending=(), result=None):
        self.pending = [list(one) for one in pending] or [[]]
        self.result = dict(OK) if result is None else result
        self.calls = []

    def changes(self):
        self.calls.append('changes')
        return list(self.pending.pop(0) if len(self.pending) > 1 else self.pending[0])

    def discard(self):
        self.calls.append('discard')

    def push(self, push_type, timeout):
        self.calls.append(('push', push_type, timeout))
        return dict(self.result)


class Task:
    def __init__(self, config, lease=None, check_mode=False, client=None, others=()):
        self.host, self.client, self.run = Host(check_mode=check_mode), client or Client(), ME
        self.config, self.lease, self.saved = config, lease, []
        self.leases = dict(('sbc_%d' % index, one) for index, one in enumerate(others))
        self.leases['sdm_x'] = lease

    @contextlib.contextmanager
    def held(self):
        yield self.lease, self.config

    def save(self, lease):
        self.saved.append(dict(lease.sdm_work, staged=list(lease.sdm_work['staged']), before=list(lease.sdm_work['before'])))

    def lease_keys(self):
        return list(self.leases)

    def read_lease(self, key):
        return self.leases[key]


def sdm_lease(staged=(), before=(), saved=False):
    work = new_work('flat', before)
    for element_type, key in staged:
        record_staged(work, element_type, key)
    work['saved'] = saved
    return Lease('sdm', 'sdm.test:8443', 'device:ID1', 'prov1', ME, sdm_work=work)


def sbc_lease(endpoint, run=ME):
    return Lease('sbc', endpoint, 'configuration', 'admin', run, token='t' * 20, expires_at=2e9)


def params(**more):
    base = dict(state='pushed', push_type='save_activate', only_if_changed=True, include_foreign_changes=False, push_timeout=600.0)
    base.update(more)
    return base


def failure(task, **more):
    with pytest.raises(OracleError) as caught:
        _push(task, params(**more))
    assert '\n' not in caught.value.msg
    return caught.value


def test_this_runs_changes_are_pushed_and_the_record_cleared():
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'}), ('realmConfig', {'id': 'access'})])
    config = Config([[CORE, ACCESS]])
    task = Task(config, lease)
    result = _push(task, params(push_timeout=42.0))
    assert config.calls == ['changes', ('push', 'save_activate', 42.0)]
    assert result == dict(changed=True, state='pushed', push_type='save_activate', device_id='ID1', pushed=[CORE, ACCESS],
                          save_activate_result=OK, task_id='17')
    assert task.saved == [{'staged': [], 'before': [], 'shape': 'flat', 'saved': False}]


def test_a_save_is_remembered_for_the_activate_that_follows():
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'})])
    task = Task(Config([[CORE], []]), lease)
    assert _push(task, params(push_type='save'))['changed'] is True
    assert lease.sdm_work['saved'] is True and lease.sdm_work['staged'] == []
    result = _push(task, params(push_type='activate'))
    assert result['changed'] is True and result['pushed'] == [] and lease.sdm_work['saved'] is False
    assert [call[1] for call in task.config.calls if call != 'changes'] == ['save', 'activate']
    # nothing saved and not asked to activate anyway: nothing to do
    result = _push(task, params(push_type='activate'))
    assert result == dict(changed=False, state='pushed', push_type='activate', device_id='ID1', pushed=[])


def test_an_activate_keeps_what_is_staged_in_the_record():
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'})], saved=True)
    task = Task(Config([[CORE]]), lease)
    _push(task, params(push_type='activate'))
    assert lease.sdm_work['staged'] == [['realmConfig', {'id': 'core'}]] and lease.sdm_work['saved'] is False


def test_nothing_pending_pushes_nothing_unless_asked():
    task = Task(Config([[]]), sdm_lease())
    assert _push(task, params())['changed'] is False and task.config.calls == ['changes'] and task.saved == []
    assert _push(task, params(only_if_changed=False))['changed'] is True
    assert ('push', 'save_activate', 600.0) in task.config.calls


def test_staged_changes_no_longer_pending_are_warned_about():
    task = Task(Config([[]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})]))
    assert _push(task, params())['changed'] is False
    assert len(task.host.warnings) == 1 and 'no longer pending' in task.host.warnings[0] and 'device ID1 on SDM' in task.host.warnings[0]


def test_check_mode_pushes_nothing():
    task = Task(Config([[CORE]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})]), check_mode=True)
    result = _push(task, params())
    assert result['changed'] is True and result['pushed'] == [CORE] and 'save_activate_result' not in result
    assert task.config.calls == ['changes'] and task.saved == []


def test_foreign_changes_are_refused_and_nothing_is_pushed():
    task = Task(Config([[CORE, ALIEN]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})], before=[]))
    error = failure(task)
    assert error.reason == REASON_FOREIGN_CHANGES and error.detail == {'foreign': [ALIEN]}
    assert 'holds 1 change(s) this run did not stage (deleted sessionAgent sa1)' in error.msg and 'staging area of prov1' in error.msg
    assert 'include_foreign_changes=true' in error.msg and task.config.calls == ['changes']


def test_changes_pending_before_the_run_are_foreign_even_if_the_run_touched_them():
    task = Task(Config([[CORE]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})], before=[CORE]))
    assert failure(task).detail == {'foreign': [CORE]}


def test_foreign_changes_are_pushed_when_included():
    task = Task(Config([[ALIEN, CORE]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})]))
    result = _push(task, params(include_foreign_changes=True))
    assert result['changed'] is True and result['pushed'] == [CORE, ALIEN]


def test_without_a_lease_every_change_is_foreign():
    task = Task(Config([[CORE]]), None, check_mode=True)
    assert failure(task).reason == REASON_FOREIGN_CHANGES
    assert _push(task, params(include_foreign_changes=True))['changed'] is True


@pytest.mark.parametrize('timeout', [-1.0, -0.001])
def test_a_negative_push_timeout_is_bad_input(timeout):
    task = Task(Config([[CORE]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})]))
    assert failure(task, push_timeout=timeout).reason == 'bad_input' and task.config.calls == []


def test_a_zero_push_timeout_is_bad_input():
    task = Task(Config([[CORE]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})]))
    assert failure(task, push_timeout=0).reason == 'bad_input'


# -- a failed push ---------------------------------------------------------------------------------------------------

def test_a_failed_validation_names_the_step_and_the_sdms_words():
    failed = dict(OK, status='FAILURE', isValidationSuccess='FAILURE', isSaveConfigSuccess='Not Applicable',
                  validationErrorMessage='realm core: no interface', errorMessage='validation failed')
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'}), ('realmConfig', {'id': 'access'})])
    config = Config([[CORE, ACCESS], [CORE]], failed)
    task = Task(config, lease)
    error = failure(task)
    assert error.reason == REASON_CONFIG_FAILED
    assert error.msg.startswith("the SaveActivateConfig push to device ID1 on SDM sdm.test:8443 failed at validation (the SDM says: "
                                "'realm core: no interface; validation failed'); fix what it names and push again")
    assert 'activate them' not in error.msg
    assert error.detail == {'save_activate_result': failed, 'device_id': 'ID1'}
    # what is still pending after the failure stays in the record
    assert config.calls == ['changes', ('push', 'save_activate', 600.0), 'changes']
    assert lease.sdm_work['staged'] == [['realmConfig', {'id': 'core'}]] and len(task.saved) == 1


def test_a_push_that_saved_but_failed_to_activate_says_to_activate_and_remembers_the_save():
    failed = dict(OK, status='FAILURE', isActivateConfigSuccess='FAILURE', isUnlockSuccess='SUCCESS')
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'})])
    task = Task(Config([[CORE], []], failed), lease)
    error = failure(task)
    assert error.reason == REASON_CONFIG_FAILED and 'failed at activation and the SDM gives no words of why' in error.msg
    assert 'saved on the device but not activated' in error.msg and 'push_type=activate' in error.msg
    assert lease.sdm_work['saved'] is True and lease.sdm_work['staged'] == [] and task.saved[-1]['saved'] is True
    # the activate that follows is due now
    task.config.result = dict(OK)
    assert _push(task, params(push_type='activate'))['changed'] is True and lease.sdm_work['saved'] is False


def test_a_failed_save_is_no_save():
    failed = dict(OK, status='FAILURE', isSaveConfigSuccess='FAILURE', isActivateConfigSuccess='Not Applicable')
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'})])
    error = failure(Task(Config([[CORE]], failed), lease))
    assert 'failed at save' in error.msg and 'not activated' not in error.msg and lease.sdm_work['saved'] is False


def test_several_failed_steps_without_words():
    failed = dict(OK, status='FAILURE', isSaveConfigSuccess='FAILURE', isIntegrityCheckSuccess='FAILURE', isNewStepSuccess='FAILURE')
    error = failure(Task(Config([[CORE]], failed), sdm_lease(staged=[('realmConfig', {'id': 'core'})])), push_type='save')
    assert 'SaveConfig push' in error.msg and 'failed at save, integrity check, isNewStepSuccess and the SDM gives no words of why' in error.msg


def test_a_failure_status_without_a_failed_step_names_the_status():
    error = failure(Task(Config([[CORE]], dict(OK, status='PARTIAL')), sdm_lease(staged=[('realmConfig', {'id': 'core'})])))
    assert 'failed at the push (status PARTIAL)' in error.msg and error.reason == REASON_CONFIG_FAILED


def test_a_push_failed_only_by_its_http_status_names_that_status():
    result = {'isLockSuccess': 'Not Applicable', '_status': 500}
    error = failure(Task(Config([[CORE]], result), sdm_lease(staged=[('realmConfig', {'id': 'core'})])))
    assert 'None' not in error.msg and '500' in error.msg


def test_the_http_status_of_a_failed_push_is_not_in_its_reported_result():
    failed = dict(OK, status='FAILURE', isActivateConfigSuccess='FAILURE', _status=400)
    error = failure(Task(Config([[CORE]], failed), sdm_lease(staged=[('realmConfig', {'id': 'core'})])))
    assert '_status' not in error.detail['save_activate_result'] and 'failed at activation' in error.msg


LOCK_FAILED = dict(OK, status='FAILURE', isLockSuccess='FAILURE', isValidationSuccess='Not Applicable', isUnlockSuccess='Not Applicable',
                   errorMessage='configuration lock is held')


def test_a_refused_sbc_lock_held_by_this_run_says_to_release_it():
    others = [sbc_lease('192.0.2.11:443'), sbc_lease('192.0.2.11:8443', run=OTHER), sbc_lease('192.0.2.12:443')]
    task = Task(Config([[CORE]], LOCK_FAILED), sdm_lease(staged=[('realmConfig', {'id': 'core'})]), others=others)
    error = failure(task)
    assert error.reason == 'lock_held' and error.detail['holder'] == 'this run'
    assert 'this run holds it (config_lock on SBC 192.0.2.11:443); release it first' in error.msg
    assert "(the SDM says: 'configuration lock is held')" in error.msg
    assert error.detail['save_activate_result'] == LOCK_FAILED and error.detail['device_id'] == 'ID1'


def test_a_refused_sbc_lock_of_an_ipv6_device_is_found_in_its_bracketed_endpoint():
    client = Client([{'id': 'ID1', 'ip': '2001:db8::1'}])
    task = Task(Config([[CORE]], LOCK_FAILED), sdm_lease(staged=[('realmConfig', {'id': 'core'})]), client=client,
                others=[sbc_lease('[2001:db8::1]:443')])
    assert failure(task).detail['holder'] == 'this run'


@pytest.mark.parametrize('client', [Client(), Client([]), Client([{'id': 'ID1'}]), Client(error=OracleError('down', 'network'))])
def test_a_refused_sbc_lock_held_by_someone_else(client):
    task = Task(Config([[CORE]], LOCK_FAILED), sdm_lease(staged=[('realmConfig', {'id': 'core'})]), client=client,
                others=[sbc_lease('192.0.2.11:443', run=OTHER)])
    error = failure(task)
    assert error.reason == 'lock_held' and error.detail['holder'] == 'unknown'
    assert 'someone holds it on the SBC' in error.msg and 'nothing was pushed, the changes stay staged' in error.msg


# -- discarding ------------------------------------------------------------------------------------------------------

def test_discard_drops_every_pending_change_and_the_record():
    lease = sdm_lease(staged=[('realmConfig', {'id': 'core'})], before=[ALIEN], saved=True)
    task = Task(Config([[CORE, ALIEN]]), lease)
    result = _push(task, params(state='discarded'))
    assert result == dict(changed=True, state='discarded', discarded=[CORE, ALIEN], device_id='ID1')
    assert task.config.calls == ['changes', 'discard']
    assert lease.sdm_work == {'staged': [], 'before': [], 'shape': 'flat', 'saved': False} and len(task.saved) == 1


def test_discard_of_nothing_or_in_check_mode_discards_nothing():
    task = Task(Config([[]]), sdm_lease())
    assert _push(task, params(state='discarded')) == dict(changed=False, state='discarded', discarded=[], device_id='ID1')
    task = Task(Config([[CORE]]), sdm_lease(staged=[('realmConfig', {'id': 'core'})]), check_mode=True)
    assert _push(task, params(state='discarded'))['changed'] is True
    assert task.config.calls == ['changes'] and task.saved == []


def test_discard_without_a_record_writes_no_lease():
    task = Task(Config([[CORE]]), Lease('sdm', 'sdm.test:8443', 'device:ID1', 'prov1', ME))
    assert _push(task, params(state='discarded'))['changed'] is True
    assert task.config.calls == ['changes', 'discard'] and task.saved == []
