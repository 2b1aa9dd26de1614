"""device_config_elements against a fake SdmConfig under a fake task: what is read, staged and recorded, in which order,
and how a refusal stops the list."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_elements_task import _stage_elements, stage_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config_xml import SdmElement

from .test_device_config_element_task import INTERFACE, SYSTEM_META, Config, Task, lease, realm


class Defaults(Config):
    """A Config whose ``create`` answers the type's defaults."""

    def create(self, element_type):
        self.calls.append(('create', element_type))
        return SdmElement(element_type, {'id': '', 'addrPrefix': '0.0.0.0', 'trust': 'none', 'mmInRealm': 'disabled', 'maxBandwidth': '0'})


def run(config, state, items=None, check_mode=False, diff=False, work=None, **params):
    task = Task(config, lease(work), check_mode=check_mode, diff=diff)
    params = dict(params, element_type='realmConfig', state=state, config=items)
    return _stage_elements(task, params), task


def test_merged_stages_only_differences_and_records_each_as_this_runs():
    config = Defaults([realm('core')])
    result, task = run(config, 'merged', [{'id': 'core', 'trust': 'low'}, {'id': 'new'}, {'id': 'core2', 'maxBandwidth': 5}])
    # the run's first change on the device begins its work (loadConfig), and what the SDM holds then is read again
    assert [call[0] for call in config.calls] == ['metadata', 'elements', 'elements', 'add', 'add']
    assert task.lease.sdm_work['staged'] == [['realmConfig', {'id': 'new'}], ['realmConfig', {'id': 'core2'}]] and task.saved == 2
    assert result['changed'] and result['commands'] == ['add realmConfig id=new', 'add realmConfig id=core2: maxBandwidth=5']
    assert result['after'][1] == {'id': 'new', 'extra': 'default'}  # as the SDM answered the staging


def test_replaced_sends_the_children_back_and_resets_to_the_sdms_defaults():
    config = Defaults([realm('core', trust='low')])
    result, _task = run(config, 'replaced', [{'id': 'core', 'addrPrefix': '192.0.2.0/24'}])
    update = [call for call in config.calls if call[0] == 'update'][0]
    assert update[2] == {'id': 'core', 'addrPrefix': '192.0.2.0/24', 'trust': 'none', 'mmInRealm': 'disabled'} and update[3] == [INTERFACE]
    assert ('create', 'realmConfig') in config.calls and result['changed']


def test_check_mode_stages_nothing_and_begins_no_work():
    config = Defaults([realm('core'), realm('access')])
    result, task = run(config, 'overridden', [{'id': 'core'}], check_mode=True, diff=True)
    assert not config.staged() and task.begun == 0 and result['changed']
    assert result['commands'][0] == 'delete realmConfig id=access' and set(result['diff']['before']) == {'id=core', 'id=access'}


def test_a_refusal_stops_the_list_with_what_was_staged_and_keeps_the_record():
    config = Defaults([], add_error=None)
    calls = []

    def add(element_type, attributes):
        calls.append(attributes)
        config.calls.append(('add', element_type, attributes))
        if len(calls) == 2:
            raise OracleError('staging the addition of a realmConfig element was refused (400): bad', 'bad_input', 400)
        return SdmElement(element_type, dict(attributes))
    config.add = add
    with pytest.raises(OracleError) as caught:
        run(config, 'merged', [{'id': 'a'}, {'id': 'b'}, {'id': 'c'}])
    detail = caught.value.detail
    assert detail['commands'] == ['add realmConfig id=a'] and detail['not_applied'] == ['add realmConfig id=b', 'add realmConfig id=c']
    assert detail['changed'] is True and 'after 1 of 3 changes' in caught.value.msg


def test_a_singleton_is_never_deleted():
    config = Defaults([SdmElement('systemConfig', {'hostname': 'x'})], meta=SYSTEM_META)
    for state in ('deleted', 'overridden'):
        with pytest.raises(OracleError) as caught:
            run(config, state)
        assert caught.value.reason == 'bad_input' and 'singleton' in caught.value.msg
    assert not config.staged()


def test_a_list_value_is_refused_before_anything_is_staged():
    config = Defaults([])
    with pytest.raises(OracleError) as caught:
        run(config, 'merged', [{'id': 'a', 'addrPrefix': ['x', 'y']}])
    assert 'give one text each' in caught.value.msg and not config.staged()


def test_offline_states_reach_no_sdm():
    result = stage_elements({'element_type': 'realmConfig', 'state': 'rendered', 'config': [{'id': 'x'}]}, None, None)
    assert result['rendered'] == ['<configElement><elementTypePath>realmConfig</elementTypePath><attributes><name>id</name>'
                                  '<value>x</value></attributes></configElement>']
    wrapped = ('<configElements><configElement><elementTypePath>realmConfig</elementTypePath><attributes><attribute><name>id</name>'
               '<value>w</value></attribute></attributes></configElement></configElements>')
    assert stage_elements({'element_type': 'realmConfig', 'state': 'parsed', 'running_config': wrapped}, None, None)['parsed'] == [{'id': 'w'}]
    with pytest.raises(OracleError):
        stage_elements({'element_type': 'realmConfig', 'state': 'parsed', 'running_config': '<<'}, None, None)


def test_parsed_sub_elements_nested_deeper_than_any_type_are_refused():
    inner = '<configElement><elementTypePath>realmConfig</elementTypePath><attributes><name>id</name><value>x</value></attributes>'
    deep = inner + '<childrenElements><elementTypePath>realmConfig/networkInterfaceId</elementTypePath>' * 40 + \
        '</childrenElements>' * 40 + '</configElement>'
    with pytest.raises(OracleError) as caught:
        stage_elements({'element_type': 'realmConfig', 'state': 'parsed', 'running_config': deep}, None, None)
    assert caught.value.reason == 'bad_input' and 'more than 32 levels' in caught.value.msg
