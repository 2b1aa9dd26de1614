"""device_config_element and device_config_element_info: the element type option, and what is decided and staged against a
fake SdmConfig (elements, metadata, add / update / delete) under a fake task."""

import contextlib

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_element_task import (
    _read_elements,
    _stage_element,
    sdm_element_type,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import new_work
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import ElementMeta
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config_xml import SdmElement

from .config_task_fakes import Host

REALM_META = ElementMeta('realmConfig', ['id', 'addrPrefix', 'trust', 'mmInRealm', 'maxBandwidth'], ['id'],
                         types={'id': 'string', 'trust': 'enum', 'mmInRealm': 'boolean', 'maxBandwidth': 'integer'}, enums={'trust': ['low']})
SYSTEM_META = ElementMeta('systemConfig', ['hostname', 'description'], [], singleton=True)
INTERFACE = SdmElement('realmConfig/networkInterfaceId', {'name': 'M00', 'subPortId': '0'})


def realm(realm_id, **attributes):
    values = {'id': realm_id, 'addrPrefix': '0.0.0.0', 'trust': 'low', 'mmInRealm': 'enabled', 'maxBandwidth': '0'}
    values.update(attributes)
    return SdmElement('realmConfig', values, [INTERFACE])


class Config:
    """An SdmConfig over ``elements`` (SdmElements); ``device`` is what loadConfig brings in (None: nothing changes)."""

    where = 'device ID1 on SDM sdm.test:8443'

    def __init__(self, elements=(), meta=REALM_META, add_error=None, answer=True):
        self.elements_now = list(elements)
        self.meta, self.add_error, self.answer, self.calls = meta, add_error, answer, []

    def metadata(self, element_type):
        self.calls.append(('metadata', element_type))
        return self.meta

    def elements(self, element_type):
        self.calls.append(('elements', element_type))
        return list(self.elements_now)

    def _answer(self, element_type, attributes):
        return SdmElement(element_type, dict(attributes, extra='default')) if self.answer else None

    def add(self, element_type, attributes):
        self.calls.append(('add', element_type, attributes))
        if self.add_error:
            error, self.add_error = self.add_error, None
            raise error
        return self._answer(element_type, attributes)

    def update(self, element_type, attributes, children):
        self.calls.append(('update', element_type, attributes, children))
        return self._answer(element_type, attributes)

    def delete(self, element_type, key):
        self.calls.append(('delete', element_type, key))
        return None

    def staged(self):
        return [call for call in self.calls if call[0] in ('add', 'update', 'delete')]

    def changes(self):
        """The staged changes as the SDM lists them: one per element staged here (named by its key values)."""
        self.calls.append(('changes',))
        listed = []
        for call in self.staged():
            values = call[2] if call[0] == 'delete' else dict((name, value) for name, value in call[2].items() if name in ('id', 'name'))
            listed.append({'name': ','.join(values.values()), 'operation': call[0], 'elementTypePath': call[1]})
        return listed


class Task:
    """The UnderDeviceLock of a task: ``begun`` counts begin_work calls; ``load`` is what the device shows after loadConfig."""

    device_id = 'ID1'

    def __init__(self, config, lease, check_mode=False, diff=False, load=None):
        self.host, self.cfg, self.lease = Host(check_mode=check_mode, diff=diff), config, lease
        self.load, self.begun, self.saved = load, 0, 0

    @contextlib.contextmanager
    def held(self):
        yield self.lease, self.cfg

    def config(self):
        return self.cfg

    def begin_work(self, lease, config):
        self.begun += 1
        if lease is None or lease.sdm_work is not None:
            return False
        lease.sdm_work = new_work('flat', [])
        if self.load is not None:
            config.elements_now = list(self.load)
        return True

    def save(self, lease):
        self.saved += 1


def lease(work=None):
    return Lease('sdm', 'sdm.test:8443', 'device:ID1', 'prov1', Run('ctl', 1, 1), sdm_work=work)


def stage(task, **params):
    params.setdefault('element_type', 'realmConfig')
    params.setdefault('state', 'present')
    return _stage_element(task, params)


def refused(task, **params):
    with pytest.raises(OracleError) as caught:
        stage(task, **params)
    assert caught.value.reason == 'bad_input' and '\n' not in caught.value.msg
    return caught.value


# -- the element type option -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value', [None, '', '   ', 5, ['realmConfig']])
def test_an_element_type_that_is_not_set(value):
    with pytest.raises(OracleError) as caught:
        sdm_element_type({'element_type': value})
    assert caught.value.reason == 'bad_input' and caught.value.msg.startswith('element_type is not set')


def test_an_element_type_is_stripped_and_a_sub_element_path_refused_naming_its_top():
    assert sdm_element_type({'element_type': ' realmConfig '}) == 'realmConfig'
    with pytest.raises(OracleError) as caught:
        sdm_element_type({'element_type': 'realmConfig/networkInterfaceId'})
    assert caught.value.reason == 'bad_input'
    assert "element_type 'realmConfig/networkInterfaceId' is a sub-element path; give its top-level element type ('realmConfig')" in (
        caught.value.msg)


# -- deciding and staging ------------------------------------------------------------------------------------------------

def test_a_missing_element_is_added_after_the_provisioning_session_begins():
    config = Config([realm('access')])
    work_lease = lease()
    task = Task(config, work_lease, diff=True)
    result = stage(task, attributes={'id': 'core', 'addrPrefix': '10.0.0.0/8', 'maxBandwidth': 5})
    assert config.staged() == [('add', 'realmConfig', {'id': 'core', 'addrPrefix': '10.0.0.0/8', 'maxBandwidth': '5'})]
    # the metadata, a read, then (loadConfig done) a read again
    assert config.calls[:3] == [('metadata', 'realmConfig'), ('elements', 'realmConfig'), ('elements', 'realmConfig')]
    assert task.begun == 1 and task.saved == 1
    assert work_lease.sdm_work['staged'] == [['realmConfig', {'id': 'core'}]]
    assert result == dict(changed=True, element_type='realmConfig', key={'id': 'core'}, state='present', action='add', device_id='ID1',
                          element={'id': 'core', 'addrPrefix': '10.0.0.0/8', 'maxBandwidth': '5', 'extra': 'default'},
                          diff={'before': {}, 'after': {'id': 'core', 'addrPrefix': '10.0.0.0/8', 'maxBandwidth': '5', 'extra': 'default'}})


def test_an_element_as_asked_is_left_alone_values_compared_as_typed():
    config = Config([realm('core')])
    task = Task(config, lease())
    result = stage(task, attributes={'id': 'core', 'trust': 'LOW', 'mmInRealm': 'Enabled', 'maxBandwidth': '00'})
    assert result['changed'] is False and result['action'] is None and config.staged() == [] and task.begun == 0
    assert result['element'] == realm('core').attributes and 'diff' not in result


def test_an_update_sends_the_key_what_differs_and_the_children_as_they_are():
    config = Config([realm('core'), realm('access')], answer=False)
    work_lease = lease(new_work('flat', []))
    task = Task(config, work_lease, diff=True)
    result = stage(task, attributes={'id': 'core', 'addrPrefix': '10.1.0.0/16', 'trust': 'low'})
    assert config.staged() == [('update', 'realmConfig', {'id': 'core', 'addrPrefix': '10.1.0.0/16'}, [INTERFACE])]
    assert task.begun == 1 and task.saved == 1  # the session had begun already: no second read
    assert [call for call in config.calls if call[0] == 'elements'] == [('elements', 'realmConfig')]
    assert result['action'] == 'update' and result['element'] == dict(realm('core').attributes, addrPrefix='10.1.0.0/16')
    assert result['diff']['before'] == realm('core').attributes


def test_a_delete_sends_the_key_and_an_absent_element_needs_nothing():
    config = Config([realm('core')])
    task = Task(config, lease(new_work('flat', [])))
    result = stage(task, state='absent', attributes={'id': 'core'})
    assert config.staged() == [('delete', 'realmConfig', {'id': 'core'})] and result['element'] == {} and result['changed'] is True
    config = Config([realm('core')])
    result = stage(Task(config, lease()), state='absent', attributes={'id': 'gone'})
    assert result['changed'] is False and config.staged() == []


def test_the_same_element_staged_twice_is_recorded_once():
    work_lease = lease(new_work('flat', []))
    config = Config([realm('core')])
    stage(Task(config, work_lease), attributes={'id': 'core', 'addrPrefix': 'a'})
    config.elements_now = [realm('core', addrPrefix='a')]
    task = Task(config, work_lease)
    stage(task, attributes={'id': 'core', 'addrPrefix': 'b'})
    assert work_lease.sdm_work['staged'] == [['realmConfig', {'id': 'core'}]] and task.saved == 0


def test_what_loadconfig_brings_in_is_decided_on_again():
    # before loadConfig the SDM's copy lacks the element; the device has it as asked
    config = Config([])
    task = Task(config, lease(), load=[realm('core', addrPrefix='10.0.0.0/8')])
    result = stage(task, attributes={'id': 'core', 'addrPrefix': '10.0.0.0/8'})
    assert task.begun == 1 and config.staged() == [] and result['changed'] is False and result['action'] is None
    assert task.saved == 0 and task.lease.sdm_work['staged'] == []


def test_check_mode_stages_nothing_and_begins_nothing():
    config = Config([])
    task = Task(config, None, check_mode=True)
    result = stage(task, attributes={'id': 'core'})
    assert result['changed'] is True and result['action'] == 'add' and config.staged() == [] and task.begun == 0


def test_a_singleton_is_named_by_its_type():
    config = Config([SdmElement('systemConfig', {'hostname': 'a', 'description': ''})], meta=SYSTEM_META)
    task = Task(config, lease(new_work('flat', [])))
    result = stage(task, element_type='systemConfig', attributes={'hostname': 'b'})
    assert result['key'] == {} and config.staged() == [('update', 'systemConfig', {'hostname': 'b'}, [])]
    assert task.lease.sdm_work['staged'] == [['systemConfig', {}]]


def test_given_key_attributes_need_no_metadata():
    config = Config([realm('core')])
    result = stage(Task(config, lease(new_work('flat', []))), attributes={'id': 'core', 'addrPrefix': 'x', 'unknownName': 'y'},
                   key_attributes=[' id ', ''])
    assert ('metadata', 'realmConfig') not in config.calls and result['key'] == {'id': 'core'}
    assert config.staged()[0][2] == {'id': 'core', 'addrPrefix': 'x', 'unknownName': 'y'}


def test_values_that_differ_only_in_spelling_are_settled_by_the_metadata():
    config = Config([realm('core')])
    result = stage(Task(config, lease(new_work('flat', []))), attributes={'id': 'core', 'trust': 'LOW'}, key_attributes=['id'])
    assert ('metadata', 'realmConfig') in config.calls and result['changed'] is False and config.staged() == []
    # a string is not folded: the metadata is read, and the update goes out
    config = Config([realm('core', addrPrefix='abc')])
    result = stage(Task(config, lease(new_work('flat', []))), attributes={'id': 'core', 'addrPrefix': 'ABC'}, key_attributes=['id'])
    assert ('metadata', 'realmConfig') in config.calls and result['action'] == 'update'
    assert config.staged() == [('update', 'realmConfig', {'id': 'core', 'addrPrefix': 'ABC'}, [INTERFACE])]


def test_an_unknown_attribute_is_refused_listing_the_types_own():
    error = refused(Task(Config([]), lease()), attributes={'id': 'core', 'addr-prefix': 'x'})
    assert error.msg.startswith('realmConfig has no attribute addr-prefix according to device ID1 on SDM sdm.test:8443')
    assert error.msg.endswith('attributes of realmConfig: id, addrPrefix, trust, mmInRealm, maxBandwidth')


def test_present_without_attributes_and_a_missing_key_are_refused():
    assert 'attributes is empty' in refused(Task(Config([]), lease()), attributes={}).msg
    assert 'key attribute id of realmConfig' in refused(Task(Config([]), lease()), attributes={'trust': 'low'}).msg


def test_two_elements_matching_the_key_are_refused():
    config = Config([realm('core'), realm('core', trust='none')])
    error = refused(Task(config, lease()), attributes={'id': 'core', 'trust': 'low'})
    assert error.msg == ('2 realmConfig elements on device ID1 on SDM sdm.test:8443 match id=core; give key_attributes that identify one '
                         'element')


def test_an_add_whose_answer_was_lost_is_found_by_a_read():
    config = Config([], add_error=OracleError('no answer', 'network'))
    work_lease = lease(new_work('flat', []))
    original = config.add

    def add(element_type, attributes):
        try:
            return original(element_type, attributes)
        finally:
            config.elements_now = [realm('core')]
    config.add = add
    result = stage(Task(config, work_lease), attributes={'id': 'core'})
    assert result['action'] == 'add' and result['element'] == realm('core').attributes
    assert work_lease.sdm_work['staged'] == [['realmConfig', {'id': 'core'}]]


@pytest.mark.parametrize('error', [OracleError('no answer', 'network'), OracleError('refused', 'bad_input')])
def test_an_add_that_failed_raises_when_nothing_was_added_or_it_cannot_be_retried(error):
    config = Config([], add_error=error)
    work_lease = lease(new_work('flat', []))
    with pytest.raises(OracleError) as caught:
        stage(Task(config, work_lease), attributes={'id': 'core'})
    assert caught.value is error and work_lease.sdm_work['staged'] == []


# -- reading ------------------------------------------------------------------------------------------------------------

def test_read_elements_keeps_those_matching_the_filters():
    config = Config([realm('core'), realm('access', trust='none'), realm('edge', trust='none')])
    task = Task(config, None)
    result = _read_elements(task, {'element_type': 'realmConfig', 'filters': {'trust': 'none'}})
    assert result == dict(changed=False, element_type='realmConfig', device_id='ID1',
                          elements=[realm('access', trust='none').attributes, realm('edge', trust='none').attributes])
    assert [one['id'] for one in _read_elements(task, {'element_type': 'realmConfig', 'filters': None})['elements']] == ['core', 'access', 'edge']
    assert len(_read_elements(task, {'element_type': 'realmConfig', 'filters': {'maxBandwidth': 0}})['elements']) == 3


def test_an_update_whose_answer_was_lost_stays_recorded_as_this_runs():
    config = Config([realm('core')])

    def update(element_type, attributes, children):
        config.calls.append(('update', element_type, attributes, children))
        raise OracleError('no answer', 'network')
    config.update = update
    work_lease = lease(new_work('flat', []))
    with pytest.raises(OracleError):
        stage(Task(config, work_lease), attributes={'id': 'core', 'addrPrefix': '10.0.0.0/8'})
    # the SDM may have staged it: the push of this run must take it for this run's
    assert work_lease.sdm_work['staged'] == [['realmConfig', {'id': 'core'}]]
