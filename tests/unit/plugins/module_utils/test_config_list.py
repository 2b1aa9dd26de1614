"""The resource-module states as steps: what each state sends, in which order, and the list it leaves."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_list import Step, listed, named, steps_for
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError

CORE = {'identifier': 'core', 'description': 'edge', 'trust': 'low'}
ACCESS = {'identifier': 'access', 'description': '', 'trust': 'none'}
DEFAULTS = {'identifier': '', 'description': '', 'trust': 'none'}


def key_of(element):
    return {'identifier': element.get('identifier') or ''}


def plan(state, current, config, defaults=None):
    defaults = DEFAULTS if defaults is None else defaults
    items = listed(config, 'realm-config', ['identifier'], False, state)
    steps, after = steps_for(state, 'realm-config', current, items, None, defaults, key_of)
    return [step.command('realm-config') for step in steps], after


@pytest.mark.parametrize('config, words', [
    ('core', 'config must be a list'),
    (['core'], 'config item 1 must be a mapping'),
    ([{'description': 'x'}], 'must include the key attribute identifier'),
    ([{'identifier': 'a'}, {'identifier': 'b'}, {'identifier': 'a'}], 'config items 1 and 3 both name the realm-config element identifier=a'),
    ([{'identifier': 'a', 'trust': True}], "attribute 'trust' must be text or a number"),
])
def test_a_list_that_cannot_be_reconciled_is_refused_before_anything_is_read(config, words):
    with pytest.raises(OracleError) as caught:
        listed(config, 'realm-config', ['identifier'], False, 'merged')
    assert caught.value.reason == 'bad_input' and words in caught.value.msg


def test_keys_given_as_numbers_are_text_and_deleted_keeps_only_the_keys():
    assert listed([{'identifier': 7, 'trust': 'low'}], 'realm-config', ['identifier'], False, 'deleted') == [({'identifier': '7'}, {'identifier': '7'})]
    assert listed(None, 'realm-config', ['identifier'], False, 'deleted') == []


def test_a_singleton_takes_one_item_and_unknown_keys_check_nothing():
    with pytest.raises(OracleError):
        listed([{'a': 1}, {'a': 2}], 'system-config', [], True, 'merged')
    assert listed([{'a': 1}, {'a': 1}], 'realm-config', None, False, 'rendered') == [({}, {'a': '1'}), ({}, {'a': '1'})]


def test_merged_adds_what_is_missing_and_updates_only_what_differs():
    commands, after = plan('merged', [CORE, ACCESS], [{'identifier': 'core', 'description': 'edge'},
                                                      {'identifier': 'access', 'trust': 'high'},
                                                      {'identifier': 'new', 'trust': 'low'}])
    assert commands == ['update realm-config identifier=access: trust=high', 'add realm-config identifier=new: trust=low']
    assert after == [CORE, dict(ACCESS, trust='high'), {'identifier': 'new', 'trust': 'low'}]


def test_replaced_returns_the_attributes_not_given_to_their_defaults_but_never_the_key():
    commands, after = plan('replaced', [CORE], [{'identifier': 'core', 'trust': 'medium'}])
    assert commands == ['update realm-config identifier=core: description=, trust=medium']
    assert after == [{'identifier': 'core', 'description': '', 'trust': 'medium'}]
    assert plan('replaced', [CORE], [dict(CORE)])[0] == []


def test_overridden_deletes_what_is_not_listed_first_then_replaces():
    commands, after = plan('overridden', [CORE, ACCESS], [{'identifier': 'new'}, {'identifier': 'core', 'description': 'edge', 'trust': 'low'}])
    assert commands == ['delete realm-config identifier=access', 'add realm-config identifier=new']
    assert after == [CORE, {'identifier': 'new'}]
    assert plan('overridden', [CORE, ACCESS], [])[0] == ['delete realm-config identifier=core', 'delete realm-config identifier=access']


def test_deleted_deletes_the_listed_elements_that_exist_or_every_one():
    assert plan('deleted', [CORE, ACCESS], [{'identifier': 'access'}, {'identifier': 'gone'}]) == (
        ['delete realm-config identifier=access'], [CORE])
    assert plan('deleted', [CORE, ACCESS], None) == (['delete realm-config identifier=core', 'delete realm-config identifier=access'], [])
    assert plan('deleted', [], None) == ([], [])


def test_two_elements_of_one_key_are_refused():
    with pytest.raises(OracleError) as caught:
        plan('merged', [CORE, dict(CORE)], [{'identifier': 'core'}])
    assert '2 realm-config elements match identifier=core' in caught.value.msg


def test_a_command_names_the_key_and_what_is_sent_in_one_line():
    step = Step('update', {'identifier': 'core'}, {'identifier': 'core', 'hosts': ['a', 'b'], 'long': 'x' * 100}, CORE, CORE)
    line = step.command('realm-config')
    assert line.startswith('update realm-config identifier=core: hosts=[a, b], long=xxx') and line.endswith('...') and '\n' not in line
    assert named({}) == '(the one of its type)' and named({'b': '2', 'a': '1'}) == 'a=1, b=2'
