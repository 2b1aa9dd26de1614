"""The decision of config_element: values as the SBC keeps them, keys, what differs, what to send, the diff."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import (
    ADD,
    DELETE,
    UPDATE,
    diff_of,
    differing,
    key_of,
    normalized,
    plan,
    same_value,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import element_body, parse_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml

CORE = {'identifier': 'core', 'addr-prefix': '192.0.2.0/24', 'max-bandwidth': '0', 'description': ''}
KEY = {'identifier': 'core'}


def test_values_become_the_sbc_text_and_text_stays_exactly_as_given():
    assert normalized({'max-bandwidth': 100, 'cost': 2.0, 'description': ' edge ', 'ratio': 1.5, ' name ': 'x\n'}) == {
        'max-bandwidth': '100', 'cost': '2', 'description': ' edge ', 'ratio': '1.5', 'name': 'x\n'}


@pytest.mark.parametrize('value', [True, None, {'a': 1}, [], [['x']], ['x', {'a': 1}]])
def test_values_that_are_no_text_are_refused_naming_the_attribute(value):
    with pytest.raises(OracleError) as caught:
        normalized({'state': value})
    assert caught.value.reason == REASON_BAD_INPUT and "attribute 'state'" in caught.value.msg


def test_an_attribute_of_several_values_is_a_list_of_texts_compared_in_order():
    assert normalized({'network-interfaces': ['M00:0', 1]}) == {'network-interfaces': ['M00:0', '1']}
    assert same_value(None, 'network-interfaces', ['M00:0', 'M01:0'], ['M00:0', 'M01:0'])
    assert not same_value(None, 'network-interfaces', ['M00:0', 'M01:0'], ['M01:0', 'M00:0'])
    assert not same_value(None, 'network-interfaces', ['M00:0', 'M01:0'], 'M00:0')
    assert same_value(None, 'network-interfaces', None, [])


def test_a_key_attribute_cannot_have_several_values():
    with pytest.raises(OracleError) as caught:
        key_of('realm-config', ['identifier'], {'identifier': ['a', 'b']})
    assert caught.value.reason == REASON_BAD_INPUT


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


# -- Oracle's answers, in each shape it documents or leaves open --------------------------------------

ORACLE_METADATA = (
    '<response><data><elementType>realm-config</elementType><singleInstance>false</singleInstance>'
    '<attributeMetadata><name>identifier</name><help>h</help><required>true</required><key>true</key>'
    '<valueType>string</valueType><defaultValue></defaultValue></attributeMetadata>'
    '<attributeMetadata><name>mm-in-realm</name><key>false</key><valueType>boolean</valueType></attributeMetadata>'
    '<attributeMetadata><name>trust</name><key>false</key><valueType>enum</valueType>'
    '<enumeratedValues>none</enumeratedValues><enumeratedValues>low</enumeratedValues></attributeMetadata>'
    '<attributeMetadata><name>max-bandwidth</name><key>false</key><valueType>integer</valueType></attributeMetadata>'
    '<attributeMetadata><name>sub</name><key>false</key><subElementMetadata><attributeMetadata><name>inner</name>'
    '<key>true</key></attributeMetadata></subElementMetadata></attributeMetadata>'
    '</data><messages/><links/></response>')
OUR_METADATA = (
    '<response><data><elementTypeMetadata><name>system-config</name><singleton>true</singleton>'
    '<attribute><name>hostname</name><type>string</type><key>false</key></attribute>'
    '<attribute><name>snmp-enabled</name><type>boolean</type><key>false</key></attribute>'
    '</elementTypeMetadata></data><messages/><links/></response>')


def test_metadata_is_read_in_oracles_shape_and_in_ours():
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import parse_metadata
    meta = parse_metadata(parse_xml(ORACLE_METADATA), 'realm-config')
    # a sub-element's rows are its own: 'inner' is no attribute (nor key) of realm-config
    assert meta.attributes == ('identifier', 'mm-in-realm', 'trust', 'max-bandwidth', 'sub') and meta.keys == ('identifier',)
    assert not meta.singleton and meta.value_type('mm-in-realm') == 'boolean' and meta.enums == {'trust': ('none', 'low')}
    ours = parse_metadata(parse_xml(OUR_METADATA), 'system-config')
    assert ours.singleton and ours.keys == () and ours.value_type('snmp-enabled') == 'boolean'


@pytest.mark.parametrize('body', ['', 'not xml', '<response><data><elementType>x</elementType></data></response>',
                                  '<response><data><attributeMetadata><help>no name</help></attributeMetadata></data></response>'])
def test_metadata_in_no_known_shape_is_none(body):
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import parse_metadata
    assert parse_metadata(parse_xml(body), 'realm-config') is None


def test_values_the_sbc_spells_its_own_way_are_the_same_only_where_the_metadata_says():
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import same_value
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import parse_metadata
    meta = parse_metadata(parse_xml(ORACLE_METADATA), 'realm-config')
    assert same_value(meta, 'mm-in-realm', 'enabled', 'Enabled') and same_value(meta, 'trust', 'low', 'LOW')
    assert same_value(meta, 'max-bandwidth', '100', '0100') and not same_value(meta, 'max-bandwidth', '100', '10')
    # a string is never folded, and without metadata only equal text is the same
    assert not same_value(meta, 'identifier', 'Core', 'core') and not same_value(None, 'mm-in-realm', 'enabled', 'Enabled')
    assert not same_value(meta, 'mm-in-realm', None, 'enabled')
    assert differing({'mm-in-realm': 'enabled', 'identifier': 'r'}, {'mm-in-realm': 'Enabled', 'identifier': 'r'}, meta) == {}


@pytest.mark.parametrize('data, words', [
    ('<operationState><operation>verify</operation><status>fail</status></operationState><errorMessage>bad realm</errorMessage>',
     'bad realm'),
    ('<operationState><operation>verify</operation><status>fail</status></operationState>'
     '<additionalInfo><verifyResult><error>e1</error><error>e2</error></verifyResult></additionalInfo>', 'e1; e2'),
    ('<operationState><operation>save</operation><status>fail</status><reason>disk full</reason></operationState>', 'disk full'),
    ('<operationState><operation>save</operation><status>fail</status></operationState>', ''),
])
def test_a_failed_requests_words_are_found_wherever_they_sit(data, words):
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import failure_words
    assert failure_words(parse_xml('<response><data>%s</data><messages/><links/></response>' % data)) == words


@pytest.mark.parametrize('link, path', [
    ('https://10.0.0.1/rest/v1.2/admin/asyncstatus', 'rest/v1.2/admin/asyncstatus'),
    ('https://sbc.example:8443/rest/v1.2/admin/asyncstatus?job=3', 'rest/v1.2/admin/asyncstatus?job=3'),
    ('/rest/v1.2/configuration/configElements?elementType=x&offset=1', 'rest/v1.2/configuration/configElements?elementType=x&offset=1'),
    ('https://evil.example/steal', None),
    ('ftp://sbc/rest/v1.2/admin/asyncstatus', None),
    ('/rest/../admin', None),
    ('', None),
    ('https://[bad', None),
])
def test_only_a_links_rest_path_is_taken(link, path):
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import own_path
    assert own_path(link) == path


def test_two_names_that_are_one_without_their_spaces_are_refused():
    with pytest.raises(OracleError) as caught:
        normalized({'identifier': 'x', ' identifier': 'y'})
    assert caught.value.reason == 'bad_input' and "attribute 'identifier' is given twice" in caught.value.msg
