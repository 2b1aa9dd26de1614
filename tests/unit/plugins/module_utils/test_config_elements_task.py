"""The body of config_elements with a stand-in lock and SBC: what it reads, sends and answers, and how it stops."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_elements_task import change_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import ElementMeta
from tests.unit.plugins.module_utils.config_task_fakes import Config, Host, Task

CORE = {'identifier': 'core', 'description': 'edge', 'trust': 'low'}
ACCESS = {'identifier': 'access', 'description': '', 'trust': 'none'}


def run(config, state, items=None, host=None, **params):
    task = Task(config)
    params = dict(params, element_type='realm-config', state=state, config=items)
    return change_elements(params, host or Host(), None, task), task


def sent(config):
    return [call for call in config.calls if call[0] in ('add', 'update', 'delete')]


def test_rendered_and_parsed_never_look_for_a_lock():
    task = Task(Config())
    result = change_elements({'element_type': 'realm-config', 'state': 'rendered', 'config': [{'identifier': 'a&b'}]}, Host(), None, task)
    assert result['rendered'] == ['<configElement><elementType>realm-config</elementType><attribute><name>identifier</name>'
                                  '<value>a&amp;b</value></attribute></configElement>']
    xml = ('<data><configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>x</value>'
           '</attribute></configElement><configElement><elementType>other</elementType></configElement></data>')
    result = change_elements({'element_type': 'realm-config', 'state': 'parsed', 'running_config': xml}, Host(), None, task)
    assert result == {'changed': False, 'element_type': 'realm-config', 'parsed': [{'identifier': 'x'}]}
    assert task.made is None


@pytest.mark.parametrize('text', ['', 'not xml <', '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'])
def test_parsed_without_usable_xml_is_bad_input(text):
    with pytest.raises(OracleError) as caught:
        change_elements({'element_type': 'realm-config', 'state': 'parsed', 'running_config': text}, Host(), None, Task(Config()))
    assert caught.value.reason == 'bad_input'


def test_gathered_reads_with_the_reader_and_changes_nothing():
    result, task = run(Config([CORE, ACCESS]), 'gathered')
    assert result['gathered'] == [CORE, ACCESS] and not result['changed'] and task.closed and not task.changes


def test_merged_reads_metadata_and_list_once_then_sends_only_changes():
    config = Config([CORE], update_answer=dict(CORE, trust='high'))
    result, task = run(config, 'merged', [{'identifier': 'core', 'trust': 'high'}, {'identifier': 'new'}, {'identifier': 'core2'}][:2])
    assert [call[0] for call in config.calls] == ['metadata', 'every', 'update', 'add']
    assert result['changed'] and task.changes and result['after'] == [dict(CORE, trust='high'), {'identifier': 'new'}]


def test_an_update_the_sbc_answers_unchanged_is_no_change():
    config = Config([CORE], update_answer=dict(CORE))
    result, task = run(config, 'merged', [{'identifier': 'core', 'trust': 'high'}])
    assert result['changed'] is False and not task.changes and result['commands'] == ['update realm-config identifier=core: trust=high']


def test_an_answer_without_the_element_is_settled_by_one_more_read():
    config = Config([CORE], update_answer=None)
    result, _task = run(config, 'merged', [{'identifier': 'core', 'trust': 'high'}])
    assert [call[0] for call in config.calls] == ['metadata', 'every', 'update', 'every'] and result['changed']


def test_check_mode_predicts_and_sends_nothing():
    config = Config([CORE, ACCESS])
    result, task = run(config, 'overridden', [{'identifier': 'core', 'description': 'edge', 'trust': 'low'}], Host(check_mode=True, diff=True))
    assert result['commands'] == ['delete realm-config identifier=access'] and result['changed'] and not sent(config)
    assert result['diff'] == {'before': {'identifier=core': CORE, 'identifier=access': ACCESS}, 'after': {'identifier=core': CORE}}
    assert not task.changes


def test_the_template_is_read_only_when_an_element_that_exists_is_replaced():
    config = Config([CORE], defaults={'identifier': '', 'description': 'd', 'trust': 'none', 'last-modified-by': ''})
    run(config, 'replaced', [{'identifier': 'new'}])
    assert 'template' not in [call[0] for call in config.calls]
    config = Config([dict(CORE, **{'last-modified-by': 'admin@ssh'})], update_answer=dict(CORE),
                    defaults={'identifier': '', 'description': 'd', 'trust': 'none', 'last-modified-by': ''})
    result, _task = run(config, 'replaced', [{'identifier': 'core', 'trust': 'low'}])
    # the SBC writes last-modified-by itself: never reset
    assert sent(config) == [('update', {'identifier': 'core', 'description': 'd'})], result


def test_a_refusal_stops_the_list_says_what_was_sent_and_remembers_the_change():
    refusal = OracleError('adding a realm-config element on SBC x was refused (400): bad', 'bad_input', 400)
    config = Config([], refuse=('add', 2, refusal))
    with pytest.raises(OracleError) as caught:
        run(config, 'merged', [{'identifier': 'a'}, {'identifier': 'b'}, {'identifier': 'c'}])
    error = caught.value
    assert error.reason == 'bad_input' and 'after 1 of 3 changes' in error.msg
    assert error.detail == {'commands': ['add realm-config identifier=a'], 'not_applied': ['add realm-config identifier=b', 'add realm-config identifier=c'],
                            'failed_command': 'add realm-config identifier=b', 'changed': True}


def test_a_refusal_of_the_first_change_changed_nothing():
    config = Config([CORE], refuse=('delete', 1, OracleError('no', 'lock_lost', 423)))
    with pytest.raises(OracleError) as caught:
        run(config, 'deleted', [{'identifier': 'core'}])
    assert 'changed' not in caught.value.detail and caught.value.detail['commands'] == []


@pytest.mark.parametrize('state, items', [('deleted', None), ('deleted', [{}]), ('overridden', None)])
def test_a_singleton_is_never_deleted_and_nothing_is_sent(state, items):
    config = Config([{'hostname': 'x'}], meta=ElementMeta('system-config', ['hostname'], [], singleton=True))
    with pytest.raises(OracleError) as caught:
        run(config, state, items)
    assert caught.value.reason == 'bad_input' and 'singleton' in caught.value.msg and not sent(config)


def test_attributes_the_sbc_does_not_know_are_refused_before_anything_is_sent():
    config = Config([CORE])
    with pytest.raises(OracleError) as caught:
        run(config, 'merged', [{'identifier': 'core', 'colour': 'red'}])
    assert 'has no attribute colour' in caught.value.msg and not sent(config)


def test_key_attributes_given_need_no_metadata_unless_something_may_be_deleted():
    config = Config([CORE])
    run(config, 'merged', [{'identifier': 'core', 'trust': 'low'}], key_attributes=['identifier'])
    assert [call[0] for call in config.calls] == ['every']
    config = Config([CORE])
    run(config, 'deleted', [{'identifier': 'core'}], key_attributes=['identifier'])
    assert [call[0] for call in config.calls] == ['metadata', 'every', 'delete']
