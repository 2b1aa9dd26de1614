"""The record of staged changes a device lock's lease keeps: its shape and checks, the lease round trip, which staged change
names which element, and which pending changes are this run's."""

import copy
import json

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _device_config_work
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import (
    keep_pending,
    names_element,
    new_work,
    record_staged,
    shown_changes,
    sort_changes,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import MAX_WORK_ENTRIES as MAX_ENTRIES, valid_work
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import LeaseFormatError

RUN = Run('ctl', 42, 1)


def change(name, operation='modified', path='realmConfig', **more):
    found = dict(name=name, operation=operation, **more)
    if path is not None:
        found['elementTypePath'] = path
    return found


def test_new_work_marks_what_was_staged_before():
    before = [change('core', timestamp='t'), {'name': 'systemConfig', 'operation': 'created'}, {'operation': 'deleted'}]
    work = new_work('flat', before)
    assert work == {'staged': [], 'shape': 'flat', 'saved': False,
                    'before': [{'name': 'core', 'elementTypePath': 'realmConfig'}, {'name': 'systemConfig', 'elementTypePath': ''},
                               {'name': '', 'elementTypePath': ''}]}
    assert valid_work(work)


def test_record_staged_notes_each_element_once():
    work = new_work(None, [])
    assert record_staged(work, 'realmConfig', {'id': 'core'}) is True
    assert record_staged(work, 'realmConfig', {'id': 'core'}) is False
    assert record_staged(work, 'systemConfig', {}) is True
    assert work['staged'] == [['realmConfig', {'id': 'core'}], ['systemConfig', {}]] and valid_work(work)


def test_record_staged_refuses_past_the_limit(monkeypatch):
    monkeypatch.setattr(_device_config_work, 'MAX_WORK_ENTRIES', 3)
    work = new_work(None, [change('a')])
    record_staged(work, 't', {'id': '1'})
    record_staged(work, 't', {'id': '2'})
    with pytest.raises(OracleError) as caught:
        record_staged(work, 't', {'id': '3'})
    assert caught.value.reason == 'bad_input'
    assert record_staged(work, 't', {'id': '2'}) is False  # one already noted costs no room


GOOD = {'staged': [['realmConfig', {'id': 'core'}]], 'before': [{'name': 'x', 'elementTypePath': ''}], 'shape': 'wrapped', 'saved': True}


def spoiled(**changes):
    work = copy.deepcopy(GOOD)
    work.update(changes)
    return work


@pytest.mark.parametrize('work', [
    None, [], 'x', {},
    dict(GOOD, extra=1),
    dict((name, value) for name, value in GOOD.items() if name != 'saved'),
    spoiled(staged={}), spoiled(before={}), spoiled(staged=[['t', {'id': 1}]]), spoiled(staged=[['t']]), spoiled(staged=[('t', {})]),
    spoiled(staged=[[1, {}]]), spoiled(staged=[['t', []]]), spoiled(staged=[['t', {'id': 'x' * 4097}]]), spoiled(staged=[['t', {2: 'x'}]]),
    spoiled(before=[{'name': 'x'}]), spoiled(before=[{'name': 'x', 'elementTypePath': None}]), spoiled(before=['x']),
    spoiled(before=[{'name': 'x', 'elementTypePath': '', 'extra': ''}]),
    spoiled(shape='json'), spoiled(saved='false'), spoiled(saved=0),
    spoiled(staged=[['t', {'id': str(n)}] for n in range(MAX_ENTRIES)], before=[{'name': 'x', 'elementTypePath': ''}]),
])
def test_valid_work_takes_only_what_this_module_writes(work):
    assert valid_work(work) is False


@pytest.mark.parametrize('work', [GOOD, new_work(None, []), spoiled(staged=[['t', {}]], shape='flat', saved=False),
                                  spoiled(staged=[['t', {'id': str(n)}] for n in range(MAX_ENTRIES - 1)])])
def test_valid_work(work):
    assert valid_work(work) is True


def lease(sdm_work=None):
    return Lease('sdm', 'sdm.test:8443', 'device:ID1', 'prov1', RUN, sdm_work=sdm_work)


def test_the_lease_keeps_the_record_through_json():
    work = new_work('wrapped', [change('core')])
    record_staged(work, 'realmConfig', {'id': 'access'})
    stored = json.loads(json.dumps(lease(work).to_dict()))
    assert Lease.from_dict(stored).sdm_work == work
    assert Lease.from_dict(json.loads(json.dumps(lease().to_dict()))).sdm_work is None
    older = lease().to_dict()
    del older['sdm_work']
    assert Lease.from_dict(older).sdm_work is None


@pytest.mark.parametrize('bad', [spoiled(shape='xml'), {'staged': []}, 'work', spoiled(staged=[['t', {'id': None}]])])
def test_a_lease_with_a_record_of_another_shape_is_no_lease(bad):
    data = lease().to_dict()
    data['sdm_work'] = bad
    with pytest.raises(LeaseFormatError) as caught:
        Lease.from_dict(data)
    assert 'sdm_work' in str(caught.value)


# -- which change names which element ---------------------------------------------------------------------------

@pytest.mark.parametrize('one, element_type, key, named', [
    (change('core'), 'realmConfig', {'id': 'core'}, True),
    (change(' core '), 'realmConfig', {'id': 'core'}, True),
    (change('core', path=None), 'realmConfig', {'id': 'core'}, True),
    (change('core', path=''), 'realmConfig', {'id': 'core'}, True),
    (change('core'), 'sessionAgent', {'hostname': 'core'}, False),
    (change('Core'), 'realmConfig', {'id': 'core'}, False),
    (change('core2'), 'realmConfig', {'id': 'core'}, False),
    # several key attributes: their values, in any order and with any separator
    (change('M00,0', path='phyInterface'), 'phyInterface', {'name': 'M00', 'subPortId': '0'}, True),
    (change('0; M00', path='phyInterface'), 'phyInterface', {'name': 'M00', 'subPortId': '0'}, True),
    (change('M00 0', path=None), 'phyInterface', {'name': 'M00', 'subPortId': '0'}, True),
    (change('M00', path='phyInterface'), 'phyInterface', {'name': 'M00', 'subPortId': '0'}, False),
    (change('M00,0,1', path='phyInterface'), 'phyInterface', {'name': 'M00', 'subPortId': '0'}, False),
    # a singleton: by its type, or by nothing
    (change('systemConfig', path='systemConfig'), 'systemConfig', {}, True),
    (change('systemConfig', path=None), 'systemConfig', {}, True),
    (change('', path='systemConfig'), 'systemConfig', {}, True),
    (change('hostname', path='systemConfig'), 'systemConfig', {}, False),
    (change('systemConfig', path='otherConfig'), 'systemConfig', {}, False),
    ({'operation': 'created'}, 'systemConfig', {}, True),
])
def test_names_element(one, element_type, key, named):
    assert names_element(one, element_type, key) is named


def work_with(staged=(), before=()):
    work = new_work('flat', before)
    for element_type, key in staged:
        record_staged(work, element_type, key)
    return work


def test_sort_changes_ours_and_foreign():
    work = work_with(staged=[('realmConfig', {'id': 'core'}), ('systemConfig', {})])
    pending = [change('core'), change('systemConfig', path='systemConfig'), change('access'), change('core', path='sessionAgent')]
    ours, foreign = sort_changes(pending, work)
    assert ours == pending[:2] and foreign == pending[2:]


def test_a_change_pending_before_this_run_stays_foreign_even_where_this_run_changed_it_since():
    work = work_with(staged=[('realmConfig', {'id': 'core'}), ('realmConfig', {'id': 'access'})], before=[change('core')])
    ours, foreign = sort_changes([change('core'), change('access')], work)
    assert ours == [change('access')] and foreign == [change('core')]
    # a mark without a path (8.1) covers that name in any type; one with a path only its own type
    work = work_with(staged=[('realmConfig', {'id': 'core'})], before=[change('core', path=None)])
    assert sort_changes([change('core')], work) == ([], [change('core')])
    work = work_with(staged=[('realmConfig', {'id': 'core'})], before=[change('core', path='sessionAgent')])
    assert sort_changes([change('core')], work) == ([change('core')], [])


def test_without_a_record_every_change_is_foreign():
    assert sort_changes([change('core')], None) == ([], [change('core')])
    assert sort_changes([], None) == ([], [])


def test_keep_pending_forgets_what_is_gone():
    work = work_with(staged=[('realmConfig', {'id': 'core'}), ('realmConfig', {'id': 'access'})], before=[change('old'), change('gone')])
    keep_pending(work, [change('access'), change('old')])
    assert work['staged'] == [['realmConfig', {'id': 'access'}]]
    assert work['before'] == [{'name': 'old', 'elementTypePath': 'realmConfig'}]
    keep_pending(work, [])
    assert work['staged'] == [] and work['before'] == [] and valid_work(work)


def test_shown_changes():
    assert shown_changes([change('core', 'created'), change('systemConfig', 'modified', path=None), {}]) == (
        'created realmConfig core, modified systemConfig, changed ?')
    many = [change('r%d' % n) for n in range(13)]
    assert shown_changes(many).endswith('modified realmConfig r9 and 3 more') and shown_changes(many, 13).endswith('r12')
    assert shown_changes([]) == ''


def test_forget_staged_takes_out_only_that_element():
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import forget_staged, new_work, record_staged
    work = new_work('flat', [])
    record_staged(work, 'realmConfig', {'id': 'a'})
    record_staged(work, 'realmConfig', {'id': 'b'})
    forget_staged(work, 'realmConfig', {'id': 'a'})
    forget_staged(work, 'mediaPolicy', {'name': 'b'})
    assert work['staged'] == [['realmConfig', {'id': 'b'}]]
