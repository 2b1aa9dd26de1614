"""The decision of config_element: values as the SBC keeps them, keys, what differs, what to send, the diff."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element import (
    ADD,
    DELETE,
    UPDATE,
    diff_of,
    differing,
    key_of,
    normalized,
    plan,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config import element_body, parse_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml

CORE = {'identifier': 'core', 'addr-prefix': '192.0.2.0/24', 'max-bandwidth': '0', 'description': ''}
KEY = {'identifier': 'core'}


def test_values_become_the_sbc_text():
    assert normalized({'max-bandwidth': 100, 'cost': 2.0, 'description': ' edge ', 'ratio': 1.5}) == {
        'max-bandwidth': '100', 'cost': '2', 'description': 'edge', 'ratio': '1.5'}


@pytest.mark.parametrize('value', [True, None, {'a': 1}, ['x']])
def test_values_that_are_no_text_are_refused_naming_the_attribute(value):
    with pytest.raises(OracleError) as caught:
        normalized({'state': value})
    assert caught.value.reason == REASON_BAD_INPUT and "attribute 'state'" in caught.value.msg


def test_the_key_comes_from_the_attributes_and_a_missing_one_is_named():
    assert key_of('local-policy', ['from-address', 'to-address'], {'from-address': '*', 'to-address': '+49*', 'cost': '1'}) == {
        'from-address': '*', 'to-address': '+49*'}
    with pytest.raises(OracleError) as caught:
        key_of('local-policy', ['from-address', 'to-address'], {'from-address': '*'})
    assert 'key attribute to-address of local-policy' in caught.value.msg


def test_a_singleton_has_an_empty_key_and_a_keyless_type_needs_key_attributes():
    assert key_of('system-config', [], {'hostname': 'x'}, singleton=True) == {}
    with pytest.raises(OracleError) as caught:
        key_of('odd-type', [], {'hostname': 'x'})
    assert 'key_attributes' in caught.value.msg


def test_only_what_differs_is_sent_with_the_key():
    assert differing(CORE, {'identifier': 'core', 'addr-prefix': '192.0.2.0/24'}) == {}
    assert differing(CORE, {'identifier': 'core', 'description': 'x', 'new': 'y'}) == {'description': 'x', 'new': 'y'}
    action, body, after = plan(CORE, {'identifier': 'core', 'description': 'edge', 'max-bandwidth': '0'}, KEY, 'present')
    assert action == UPDATE and body == {'identifier': 'core', 'description': 'edge'}
    assert after == dict(CORE, description='edge')


def test_add_delete_and_nothing():
    desired = {'identifier': 'new', 'addr-prefix': '203.0.113.0/24'}
    assert plan(None, desired, {'identifier': 'new'}, 'present') == (ADD, desired, desired)
    assert plan(CORE, {'identifier': 'core'}, KEY, 'absent') == (DELETE, KEY, None)
    assert plan(None, {'identifier': 'core'}, KEY, 'absent') == (None, None, None)
    assert plan(CORE, {'identifier': 'core', 'max-bandwidth': '0'}, KEY, 'present') == (None, None, CORE)


def test_the_diff_is_the_element_before_and_after():
    assert diff_of(None, {'identifier': 'n'}) == {'before': {}, 'after': {'identifier': 'n'}}
    assert diff_of(CORE, None) == {'before': CORE, 'after': {}}


NAMES = st.sampled_from(['identifier', 'addr-prefix', 'description', 'max-bandwidth', 'network-interfaces'])
VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=0x2ff, exclude_characters='\x7f'), max_size=8)


@settings(max_examples=200, deadline=None)
@given(current=st.one_of(st.none(), st.dictionaries(NAMES, VALUES)), desired=st.dictionaries(NAMES, VALUES),
       state=st.sampled_from(['present', 'absent']))
def test_applying_the_plan_leaves_nothing_to_do(current, desired, state):
    if current is not None:
        current['identifier'] = 'k'
    desired['identifier'] = 'k'
    key = {'identifier': 'k'}
    action, body, after = plan(current, desired, key, state)
    # what the device holds after the change the plan sends
    if action == ADD:
        device = dict(body)
    elif action == UPDATE:
        device = dict(current, **body)
        assert set(body) - set(key) and all(current.get(name) != body[name] for name in set(body) - set(key))
    elif action == DELETE:
        device = None
    else:
        device = current
    assert device == after
    assert plan(device, desired, key, state)[0] is None


@given(attributes=st.dictionaries(st.text('abcdefghijklmnopqrstuvwxyz-', min_size=1, max_size=12),
                                  st.text(st.characters(min_codepoint=32, max_codepoint=0x2ff), max_size=12).map(str.strip)))
def test_element_xml_round_trips_with_markup_in_values(attributes):
    attributes['description'] = '<a & "b">'
    root = parse_xml('<response><data>%s</data></response>' % element_body('realm-config', attributes))
    assert parse_elements(root) == [attributes]


def test_the_lease_keeps_whether_the_configuration_changed_under_it():
    lease = Lease('sbc', 'sbc1:443', 'configuration', 'admin', Run('ctl', 42, 1), token='t' * 20, expires_at=2e9)
    assert Lease.from_dict(lease.to_dict()).changed_under_lock is False
    lease.changed_under_lock = True
    assert Lease.from_dict(lease.to_dict()).changed_under_lock is True
    older = lease.to_dict()
    del older['changed_under_lock']
    assert Lease.from_dict(older).changed_under_lock is False
