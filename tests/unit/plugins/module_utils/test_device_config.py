"""UnderDeviceLock: which device a device_config_* task works on, the lease of this run's device lock on it (a file lease
record in tmp_path), the start of this run's provisioning session, and the sign-out whatever happens (fake SdmClient)."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _device_lock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import (
    DEVICE_CONFIG_ELEMENT_INFO_SPEC,
    DEVICE_CONFIG_ELEMENT_SPEC,
    DEVICE_CONFIG_PUSH_SPEC,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config import (
    REASON_NOT_LOCKED,
    UnderDeviceLock,
    task_with,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import new_work
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import valid_work
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config import SdmConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor

from .lock_task import RecordingHost, validated
from .test_device_lock import DEAD, ENDPOINT, ME, OTHER_ALIVE, FakeSdm, key, put_lease

CHANGE = {'name': 'core', 'operation': 'modified', 'elementTypePath': 'realmConfig'}


class Sdm(FakeSdm):
    """The fake SdmClient of test_device_lock, with what an SdmConfig reads from it."""

    def __init__(self):
        super(Sdm, self).__init__()
        self.http.endpoint = ENDPOINT
        self.http.redact = Redactor('pw-secret')


@pytest.fixture
def sdm(monkeypatch):
    client = Sdm()
    monkeypatch.setattr(_device_lock, 'SdmClient', lambda *_args, **_kwargs: client)
    monkeypatch.setattr(Run, 'current', classmethod(lambda cls: ME))
    monkeypatch.setattr(Run, 'alive', lambda self: self.pid != DEAD.pid)
    return client


def lease_dir(tmp_path):
    return str(tmp_path / 'leases')


def make(tmp_path, spec=DEVICE_CONFIG_ELEMENT_SPEC, check_mode=False, member='', **args):
    params = dict(host=ENDPOINT, username='prov1', password='pw-secret', lease_dir=lease_dir(tmp_path))
    if spec is not DEVICE_CONFIG_PUSH_SPEC:
        params['element_type'] = 'realmConfig'
    params.update(args)
    host = RecordingHost(check_mode=check_mode, member=member)
    host.run = ME
    return UnderDeviceLock(validated(spec, params), host, Redactor('pw-secret')), host


def store_of(tmp_path):
    return LeaseStore(lease_dir(tmp_path))


def failure(call):
    with pytest.raises(OracleError) as caught:
        call()
    assert '\n' not in caught.value.msg and 'pw-secret' not in caught.value.msg
    return caught.value


# -- which device -----------------------------------------------------------------------------------------------------

def test_the_device_id_option_needs_no_request(tmp_path, sdm):
    task, _host = make(tmp_path, device_id=' ID7 ')
    assert task.device_id == 'ID7' and sdm.calls == []


def test_a_device_name_is_looked_up_in_the_inventory_once(tmp_path, sdm):
    task, _host = make(tmp_path, spec=DEVICE_CONFIG_ELEMENT_INFO_SPEC, device='192.0.2.12')
    assert task.device_id == 'ID2' and task.device_id == 'ID2'
    assert sdm.calls == ['login', 'devices']


def test_an_unknown_device_name_is_not_found(tmp_path, sdm):
    task, _host = make(tmp_path, device='nowhere')
    assert failure(lambda: task.device_id).reason == 'not_found'


def test_device_id_and_device_together_are_refused(tmp_path, sdm):
    with pytest.raises(OracleError) as caught:
        UnderDeviceLock(dict(host=ENDPOINT, username='prov1', password='pw-secret', device_id='ID1', device='x'), RecordingHost(),
                        Redactor('pw-secret'))
    assert caught.value.reason == 'bad_input'


def test_without_either_the_one_device_this_run_holds_is_the_task_s(tmp_path, sdm):
    store = store_of(tmp_path)
    put_lease(store, 'ID3', ME)
    put_lease(store, 'ID4', OTHER_ALIVE)                      # another run's
    put_lease(store, 'ID5', ME, user='prov2')                 # another user's
    store.write(Lease('sdm', 'other.test:8443', 'device:ID6', 'prov1', ME, proof=make_proof('prov1', 'pw-secret'), holders=['']))
    store.write(Lease('sdm', ENDPOINT, 'group:ID101/ID201', 'prov1', ME, proof=make_proof('prov1', 'pw-secret'), holders=['']))
    task, _host = make(tmp_path)
    assert task.device_id == 'ID3' and sdm.calls == []


def test_without_either_and_no_lock_the_task_says_so(tmp_path, sdm):
    task, _host = make(tmp_path, spec=DEVICE_CONFIG_PUSH_SPEC)
    error = failure(lambda: task.device_id)
    assert error.reason == REASON_NOT_LOCKED
    assert error.msg == 'give device_id or device: this run holds no device lock on SDM %s as prov1' % ENDPOINT


def test_without_either_and_several_locks_the_task_lists_them(tmp_path, sdm):
    store = store_of(tmp_path)
    put_lease(store, 'ID1', ME)
    put_lease(store, 'ID2', ME)
    error = failure(lambda: make(tmp_path)[0].device_id)
    assert error.reason == 'bad_input' and 'device locks on ID1, ID2' in error.msg


def test_only_the_devices_this_host_holds_count(tmp_path, sdm):
    store = store_of(tmp_path)
    put_lease(store, 'ID1', ME, holders=['web1'])
    put_lease(store, 'ID2', ME, holders=['web2'])
    assert make(tmp_path, member='web2')[0].device_id == 'ID2'
    assert failure(lambda: make(tmp_path, member='web3')[0].device_id).reason == REASON_NOT_LOCKED
    # a lease without holders (a module run outside a play) is any host's
    put_lease(store, 'ID2', ME, holders=())
    assert make(tmp_path, member='web3')[0].device_id == 'ID2'


# -- the lease ----------------------------------------------------------------------------------------------------------

def test_held_yields_the_lease_and_a_config_in_the_shape_it_recorded(tmp_path, sdm):
    store = store_of(tmp_path)
    put_lease(store, 'ID1', ME)
    lease = store.read(key('ID1'))
    lease.sdm_work = new_work('wrapped', [])
    store.write(lease)
    task, _host = make(tmp_path, device_id='ID1')
    with task.held() as (held, config):
        assert held.resource == 'device:ID1' and held.sdm_work == new_work('wrapped', [])
        assert isinstance(config, SdmConfig) and config.device_id == 'ID1' and config.shape == 'wrapped'
        assert config.where == 'device ID1 on SDM %s' % ENDPOINT
    assert sdm.logged_in  # the config signed in


def test_held_without_a_record_yields_a_config_of_unknown_shape(tmp_path, sdm):
    put_lease(store_of(tmp_path), 'ID1', ME)
    task, _host = make(tmp_path, device_id='ID1')
    with task.held() as (held, config):
        assert held.sdm_work is None and config.shape is None


def test_no_lock_on_the_device_is_not_locked_with_how_to_take_it(tmp_path, sdm):
    put_lease(store_of(tmp_path), 'ID2', ME)
    task, _host = make(tmp_path, device_id='ID1')
    error = failure(lambda: task.held().__enter__())
    assert error.reason == REASON_NOT_LOCKED
    assert error.msg.startswith('no device lock of this run on device ID1 of SDM %s as prov1: take it first with '
                                'oracle_comms.provisioning.device_lock' % ENDPOINT)


@pytest.mark.parametrize('run, user, reason', [(OTHER_ALIVE, 'prov1', 'lock_held'), (DEAD, 'prov1', REASON_NOT_LOCKED),
                                               (ME, 'prov2', REASON_NOT_LOCKED)])
def test_a_lock_that_is_not_this_runs_with_these_credentials_is_refused(tmp_path, sdm, run, user, reason):
    put_lease(store_of(tmp_path), 'ID1', run, user=user)
    task, _host = make(tmp_path, device_id='ID1')
    error = failure(lambda: task.held().__enter__())
    assert error.reason == reason
    if reason == 'lock_held':
        assert error.detail == {'holder': 'other run'} and 'it is held by another run' in error.msg


def test_a_lock_another_host_of_this_run_holds_is_not_this_hosts(tmp_path, sdm):
    put_lease(store_of(tmp_path), 'ID1', ME, holders=['web1', 'web2'])
    task, _host = make(tmp_path, device_id='ID1', member='web3')
    error = failure(lambda: task.held().__enter__())
    assert error.reason == REASON_NOT_LOCKED and 'held by host(s) web1, web2 of this run, not by web3' in error.msg
    with make(tmp_path, device_id='ID1', member='web2')[0].held() as (held, _config):
        assert held.holders == ['web1', 'web2']


def test_check_mode_without_the_lock_only_reads(tmp_path, sdm):
    put_lease(store_of(tmp_path), 'ID1', OTHER_ALIVE)
    task, _host = make(tmp_path, device_id='ID1', check_mode=True)
    with task.held() as (held, config):
        assert held is None and config.device_id == 'ID1' and config.shape is None
    task, _host = make(tmp_path, device_id='ID2', check_mode=True)
    with task.held() as (held, config):
        assert held is None
    put_lease(store_of(tmp_path), 'ID3', ME)
    with make(tmp_path, device_id='ID3', check_mode=True)[0].held() as (held, config):
        assert held is not None and held.resource == 'device:ID3'


# -- beginning this run's work on the device --------------------------------------------------------------------------------

class Config:
    def __init__(self, shape=None, before=(), learned='flat'):
        self.shape, self.before, self.learned, self.calls = shape, list(before), learned, []

    def load(self):
        self.calls.append('load')

    def element_types(self):
        self.calls.append('element_types')
        self.shape = self.learned
        return ['realmConfig']

    def changes(self):
        self.calls.append('changes')
        return list(self.before)


def test_begin_work_loads_learns_the_shape_and_records_what_was_staged_before(tmp_path, sdm):
    store = store_of(tmp_path)
    put_lease(store, 'ID1', ME)
    task, host = make(tmp_path, device_id='ID1')
    config = Config(before=[CHANGE], learned='wrapped')
    with task.held() as (held, _config):
        assert task.begin_work(held, config) is True
    assert config.calls == ['load', 'element_types', 'changes']
    stored = store.read(key('ID1'))
    assert stored.sdm_work == {'staged': [], 'before': [{'name': 'core', 'elementTypePath': 'realmConfig'}], 'shape': 'wrapped',
                               'saved': False}
    assert valid_work(stored.sdm_work)
    assert len(host._warnings) == 1
    assert 'already holds 1 change(s) this run did not stage (modified realmConfig core)' in host._warnings[0]
    assert 'staging area of prov1 on device ID1' in host._warnings[0]


def test_begin_work_with_a_known_shape_and_an_empty_staging_area_warns_of_nothing(tmp_path, sdm):
    put_lease(store_of(tmp_path), 'ID1', ME)
    task, host = make(tmp_path, device_id='ID1')
    config = Config(shape='flat')
    with task.held() as (held, _config):
        assert task.begin_work(held, config) is True
        assert held.sdm_work == new_work('flat', [])
    assert config.calls == ['load', 'changes'] and host._warnings == []


def test_begin_work_is_done_once_and_never_without_a_lease(tmp_path, sdm):
    put_lease(store_of(tmp_path), 'ID1', ME)
    task, _host = make(tmp_path, device_id='ID1')
    config = Config()
    assert task.begin_work(None, config) is False and config.calls == []
    with task.held() as (held, _config):
        task.begin_work(held, config)
    with make(tmp_path, device_id='ID1')[0].held() as (held, _config):
        assert held.sdm_work is not None and task.begin_work(held, config) is False
    assert config.calls.count('load') == 1


def test_save_and_the_lease_record(tmp_path, sdm):
    store = store_of(tmp_path)
    put_lease(store, 'ID1', ME)
    task, _host = make(tmp_path, device_id='ID1')
    with task.held() as (held, _config):
        held.sdm_work = new_work(None, [])
        held.sdm_work['saved'] = True
        task.save(held)
    assert store.read(key('ID1')).sdm_work['saved'] is True
    assert key('ID1') in task.lease_keys() and task.read_lease(key('ID1')).resource == 'device:ID1'
    assert task.run is ME


# -- signing out -----------------------------------------------------------------------------------------------------------

def test_task_with_signs_out_and_closes_whatever_happens(tmp_path, sdm):
    params = validated(DEVICE_CONFIG_ELEMENT_SPEC, dict(host=ENDPOINT, username='prov1', password='pw-secret', lease_dir=lease_dir(tmp_path),
                                                        element_type='realmConfig', device_id='ID1'))
    host = RecordingHost()
    host.run = ME
    seen = []

    def body(task, given):
        seen.append((type(task), given['device_id']))
        task.config()
        raise OracleError('boom', 'network')
    with pytest.raises(OracleError):
        task_with(body, params, host, Redactor('pw-secret'))
    assert seen == [(UnderDeviceLock, 'ID1')]
    assert sdm.calls == ['login', 'logout'] and sdm.http.closed
    assert task_with(lambda task, given: 'done', params, host, Redactor('pw-secret')) == 'done'
