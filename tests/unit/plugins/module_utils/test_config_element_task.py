"""The body of config_element with a stand-in lock and SBC: what it sends, what it answers, when it warns."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element_task import change_element
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from tests.unit.plugins.module_utils.config_task_fakes import Config, Host, Lease, Task

CORE = {'identifier': 'core', 'description': 'edge', 'trust': 'low'}


def run(config, params, host=None, lease=None):
    task = Task(config, Lease() if lease is None else lease)
    return change_element(dict(params), host or Host(), None, task), task


def test_input_is_checked_before_the_lock_is_looked_for():
    task = Task(Config())
    for params in ({'attributes': {'identifier': 'x'}}, {'element_type': 'realm-config', 'attributes': {}}):
        with pytest.raises(OracleError) as caught:
            change_element(params, Host(), None, task)
        assert caught.value.reason == 'bad_input'
    assert task.made is None


def test_an_absent_element_is_added_and_the_change_remembered():
    config = Config()
    result, task = run(config, {'element_type': 'realm-config', 'attributes': {'identifier': 'core', 'description': 'edge'}}, Host(diff=True))
    assert (result['changed'], result['action'], result['key']) == (True, 'add', {'identifier': 'core'})
    assert result['diff'] == {'before': {}, 'after': {'identifier': 'core', 'description': 'edge'}}
    assert ('add', {'identifier': 'core', 'description': 'edge'}) in config.calls and task.changes and task.closed
    assert task.made == 'config_element'


def test_check_mode_changes_nothing_and_says_what_it_would_do():
    config = Config([CORE])
    result, task = run(config, {'element_type': 'realm-config', 'attributes': {'identifier': 'core', 'description': 'new'}},
                       Host(check_mode=True))
    assert (result['changed'], result['action']) == (True, 'update') and not task.changes
    assert [call[0] for call in config.calls] == ['metadata', 'find']


def test_an_update_the_sbc_answers_unchanged_changed_nothing():
    config = Config([CORE], update_answer=dict(CORE))
    result, task = run(config, {'element_type': 'realm-config', 'key_attributes': ['identifier'],
                                'attributes': {'identifier': 'core', 'description': 'new'}})
    assert result['changed'] is False and result['action'] is None and not task.changes
    assert ('update', {'identifier': 'core', 'description': 'new'}) in config.calls and 'metadata' not in [c[0] for c in config.calls]


def test_a_value_the_sbc_spells_its_own_way_is_no_change_once_the_metadata_says_so():
    result, task = run(Config([CORE]), {'element_type': 'realm-config', 'key_attributes': ['identifier'],
                                        'attributes': {'identifier': 'core', 'trust': 'LOW'}})
    assert result['changed'] is False and result['element'] == CORE


def test_the_sbc_holding_other_values_than_asked_is_a_warning():
    host = Host()
    config = Config([CORE], update_answer=dict(CORE, description='rewritten'))
    result, task = run(config, {'element_type': 'realm-config', 'attributes': {'identifier': 'core', 'description': 'new'}}, host)
    assert result['changed'] is True and host.warnings == [
        "the SBC holds the realm-config element with other values than asked for description: description='rewritten'"]


def test_two_matching_elements_are_bad_input_and_the_task_is_closed_anyway():
    with pytest.raises(OracleError) as caught:
        run(Config([CORE, CORE]), {'element_type': 'realm-config', 'state': 'absent', 'attributes': {'identifier': 'core'}})
    assert caught.value.reason == 'bad_input' and '2 realm-config elements match identifier=core' in caught.value.msg
