"""The SDM provisioning XML: every reader in both list shapes Oracle documents, the bodies written in each, metadata rows
wrapped, repeated or bare, staged changes of 9.0.1 and 8.1, and the push's saveActivateResult wherever it sits."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config_xml import (
    FLAT,
    WRAPPED,
    SdmElement,
    element_body,
    element_of,
    element_types,
    list_shape,
    parse_changes,
    parse_elements,
    parse_metadata,
    parse_result,
    type_request,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml

DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def pairs(shape, *items):
    """The attribute list of an element in ``shape``: (name, value) items."""
    inner = ['<name>%s</name><value>%s</value>' % item for item in items]
    if shape == WRAPPED:
        return '<attributes>%s</attributes>' % ''.join('<attribute>%s</attribute>' % one for one in inner)
    return ''.join('<attributes>%s</attributes>' % one for one in inner)


def children(shape, *kids):
    if shape == WRAPPED:
        return '<childrenElements>%s</childrenElements>' % ''.join('<childrenElement>%s</childrenElement>' % kid for kid in kids)
    return ''.join('<childrenElements>%s</childrenElements>' % kid for kid in kids)


def realm(shape, realm_id, prefix):
    """One realmConfig element (inner XML, the SDM's field order: attributes, children, type) with two interfaces."""
    interfaces = [pairs(shape, ('name', port), ('subPortId', '0')) + '<elementTypePath>realmConfig/networkInterfaceId</elementTypePath>'
                  for port in ('M00', 'M01')]
    return (pairs(shape, ('id', realm_id), ('addrPrefix', prefix), ('description', 'a &amp; b'))
            + children(shape, *interfaces) + '<elementTypePath>realmConfig</elementTypePath>')


def element_list(shape, *inners):
    item = 'configElement' if shape == WRAPPED else 'configElements'
    return DECLARATION + '<configElements>%s</configElements>' % ''.join('<%s>%s</%s>' % (item, inner, item) for inner in inners)


# -- elements -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('shape', [FLAT, WRAPPED])
def test_an_element_list_is_read_in_either_shape_with_its_children(shape):
    root = parse_xml(element_list(shape, realm(shape, 'core', '10.0.0.0/8'), realm(shape, 'access', '0.0.0.0')))
    found = parse_elements(root)
    assert [one.element_type for one in found] == ['realmConfig', 'realmConfig']
    assert found[0].attributes == {'id': 'core', 'addrPrefix': '10.0.0.0/8', 'description': 'a & b'}
    assert found[1].attributes['id'] == 'access'
    kids = found[0].children
    assert [kid.element_type for kid in kids] == ['realmConfig/networkInterfaceId'] * 2
    assert [kid.attributes for kid in kids] == [{'name': 'M00', 'subPortId': '0'}, {'name': 'M01', 'subPortId': '0'}]
    assert all(kid.children == [] for kid in kids)
    assert list_shape(root) == shape


@pytest.mark.parametrize('shape', [FLAT, WRAPPED])
def test_a_single_element_answer_and_a_list_of_one(shape):
    one = parse_elements(parse_xml('<configElement>%s</configElement>' % realm(shape, 'core', '10.0.0.0/8')))
    assert len(one) == 1 and one[0].attributes['id'] == 'core' and len(one[0].children) == 2
    listed = parse_elements(parse_xml(element_list(shape, realm(shape, 'core', '10.0.0.0/8'))))
    assert [element.attributes for element in listed] == [one[0].attributes]


def test_a_wrapped_list_may_sit_in_an_outer_element():
    inner = element_list(WRAPPED, realm(WRAPPED, 'core', 'p'), realm(WRAPPED, 'access', 'q')).replace(DECLARATION, '')
    found = parse_elements(parse_xml('<response>%s</response>' % inner))
    assert [element.attributes['id'] for element in found] == ['core', 'access']


def test_items_without_a_type_or_attributes_are_no_elements_and_none_is_nothing():
    root = parse_xml('<configElements><configElement><elementTypePath>realmConfig</elementTypePath></configElement>'
                     '<link>next</link><configElement><attributes><attribute><name>id</name><value>x</value></attribute>'
                     '</attributes></configElement></configElements>')
    found = parse_elements(root)
    assert [(one.element_type, one.attributes) for one in found] == [('realmConfig', {}), ('', {'id': 'x'})]
    assert parse_elements(None) == []
    assert parse_elements(parse_xml('<configElements/>')) == []


@pytest.mark.parametrize('shape', [FLAT, WRAPPED])
def test_a_repeated_attribute_name_is_a_list_and_a_missing_value_is_empty(shape):
    node = parse_xml('<configElement>%s<attributes><name>bare</name></attributes><elementTypePath>sipInterface</elementTypePath>'
                     '</configElement>' % pairs(shape, ('realmId', 'core'), ('sipPorts', '5060'), ('sipPorts', '5061'), ('sipPorts', '5062')))
    element = element_of(node)
    assert element.attributes == {'realmId': 'core', 'sipPorts': ['5060', '5061', '5062'], 'bare': ''}


def test_namespaced_tags_are_read_by_their_local_name():
    root = parse_xml('<ns:configElements xmlns:ns="urn:x"><ns:configElements><ns:attributes><ns:name>id</ns:name><ns:value>core</ns:value>'
                     '</ns:attributes><ns:elementTypePath>realmConfig</ns:elementTypePath></ns:configElements></ns:configElements>')
    found = parse_elements(root)
    assert [(one.element_type, one.attributes) for one in found] == [('realmConfig', {'id': 'core'})]
    assert list_shape(root) == FLAT


@pytest.mark.parametrize('body, shape', [
    ('<configElements><configElements><elementTypePath>x</elementTypePath></configElements></configElements>', FLAT),
    ('<configElements><configElement><elementTypePath>x</elementTypePath></configElement></configElements>', WRAPPED),
    ('<configElement><attributes><name>id</name><value>a</value></attributes></configElement>', FLAT),
    ('<configElement><attributes><attribute><name>id</name><value>a</value></attribute></attributes></configElement>', WRAPPED),
    ('<elementTypes><elementTypes>realmConfig</elementTypes></elementTypes>', FLAT),
    ('<elementTypes><elementType>realmConfig</elementType></elementTypes>', WRAPPED),
    ('<elementMetadata><attributeMetadatas><name>id</name></attributeMetadatas></elementMetadata>', FLAT),
    ('<elementMetadata><attributeMetadatas><attributeMetadata><name>id</name></attributeMetadata></attributeMetadatas></elementMetadata>',
     WRAPPED),
    ('<configElements/>', None),
    ('<configElement><elementTypePath>systemConfig</elementTypePath></configElement>', None),
])
def test_the_list_shape_is_told_by_the_first_list_with_items(body, shape):
    assert list_shape(parse_xml(body)) == shape


@pytest.mark.parametrize('shape', [FLAT, WRAPPED])
def test_a_body_written_in_a_shape_reads_back_the_same(shape):
    kids = [SdmElement('realmConfig/networkInterfaceId', {'name': 'M00', 'subPortId': '0'}),
            SdmElement('realmConfig/networkInterfaceId', {'name': 'M01', 'subPortId': '0'})]
    attributes = {'id': 'core', 'description': '<a & "b">', 'sipPorts': ['5060', '5061']}
    body = element_body('realmConfig', attributes, shape, kids)
    root = parse_xml(body)
    assert list_shape(root) == shape
    element = parse_elements(root)[0]
    assert element.element_type == 'realmConfig' and element.attributes == attributes
    assert [(kid.element_type, kid.attributes) for kid in element.children] == [(kid.element_type, kid.attributes) for kid in kids]


def test_the_bodies_of_each_shape_are_oracles_markup():
    assert element_body('systemConfig', {'hostname': 'h'}) == (
        '<configElement><elementTypePath>systemConfig</elementTypePath>'
        '<attributes><name>hostname</name><value>h</value></attributes></configElement>')
    assert element_body('systemConfig', {'a': '1', 'b': '2'}, WRAPPED) == (
        '<configElement><elementTypePath>systemConfig</elementTypePath><attributes>'
        '<attribute><name>a</name><value>1</value></attribute><attribute><name>b</name><value>2</value></attribute>'
        '</attributes></configElement>')
    # a delete of a singleton names no attribute: no empty list either way
    assert element_body('systemConfig', {}, WRAPPED) == element_body('systemConfig', {}) == (
        '<configElement><elementTypePath>systemConfig</elementTypePath></configElement>')


def test_a_flat_body_repeats_the_children_and_a_wrapped_one_wraps_them():
    kid = SdmElement('realmConfig/networkInterfaceId', {'name': 'M00'})
    flat = element_body('realmConfig', {'id': 'core'}, FLAT, [kid, kid])
    wrapped = element_body('realmConfig', {'id': 'core'}, WRAPPED, [kid, kid])
    assert flat.count('<childrenElements>') == 2 and '<childrenElement>' not in flat
    assert wrapped.count('<childrenElements>') == 1 and wrapped.count('<childrenElement>') == 2


def test_a_type_request_escapes_the_type():
    assert type_request('realmConfig') == '<elementTypeRequest><elementTypePath>realmConfig</elementTypePath></elementTypeRequest>'
    assert parse_xml(type_request('a<b&c')).find('elementTypePath').text == 'a<b&c'


@pytest.mark.parametrize('body', [
    '<elementTypes><elementTypes>realmConfig</elementTypes><elementTypes>systemConfig</elementTypes></elementTypes>',
    '<elementTypes><elementType>realmConfig</elementType><elementType>systemConfig</elementType></elementTypes>',
    '<response><elementTypes><elementType>realmConfig</elementType><elementType>systemConfig</elementType></elementTypes></response>',
    '<elementTypes><elementTypes><elementTypePath>realmConfig</elementTypePath></elementTypes>'
    '<elementTypes><name>systemConfig</name></elementTypes><elementTypes>  </elementTypes></elementTypes>',
    '<elementTypes><elementType><elementTypePath>realmConfig</elementTypePath></elementType>'
    '<elementType><name>systemConfig</name></elementType></elementTypes>',
])
def test_element_types_in_every_shape(body):
    assert element_types(parse_xml(body)) == ['realmConfig', 'systemConfig']


# -- metadata -------------------------------------------------------------------------------------------------

def row(name, key=False, value_type='STRING', values=(), nested=''):
    return ('<cliName>%s</cliName><defaultValue></defaultValue><key>%s</key><name>%s</name><required>%s</required>'
            '<valueType>%s</valueType>%s%s' % (name.lower(), 'true' if key else 'false', name, 'true' if key else 'false', value_type,
                                               ''.join('<enumeratedValue>%s</enumeratedValue>' % value for value in values), nested))


ROWS = [row('name', key=True), row('subPortId', key=True, value_type='INTEGER'), row('trust', value_type='ENUM', values=('none', 'low')),
        row('enabled', value_type='BOOLEAN')]
#: a sub-element's own metadata, nested where the answer names its sub-elements
SUB = ('<subElements><elementTypePath>sessionAgent/x</elementTypePath><attributeMetadatas><attributeMetadata>%s</attributeMetadata>'
       '</attributeMetadatas><attributeMetadatas>%s</attributeMetadatas><attributeMetadata>%s</attributeMetadata></subElements>'
       '<subElement>%s</subElement>' % (row('inner', key=True), row('inner2'), row('inner3'), row('inner4', key=True)))


def metadata(shape, rows=None, tail=''):
    rows = ROWS if rows is None else rows
    if shape == 'wrapped':
        body = '<attributeMetadatas>%s</attributeMetadatas>' % ''.join('<attributeMetadata>%s</attributeMetadata>' % one for one in rows)
    elif shape == 'flat':
        body = ''.join('<attributeMetadatas>%s</attributeMetadatas>' % one for one in rows)
    else:
        body = ''.join('<attributeMetadata>%s</attributeMetadata>' % one for one in rows)
    return DECLARATION + '<elementMetadata>%s<elementTypePath>sessionAgent</elementTypePath>%s</elementMetadata>' % (body, tail)


@pytest.mark.parametrize('shape', ['wrapped', 'flat', 'bare'])
def test_metadata_rows_in_every_shape_without_a_sub_elements_rows(shape):
    meta = parse_metadata(parse_xml(metadata(shape, tail=SUB)), 'sessionAgent')
    assert meta.element_type == 'sessionAgent'
    assert meta.attributes == ('name', 'subPortId', 'trust', 'enabled') and meta.keys == ('name', 'subPortId')
    assert meta.types == {'name': 'string', 'subPortId': 'integer', 'trust': 'enum', 'enabled': 'boolean'}
    assert meta.enums == {'trust': ['none', 'low']} and not meta.singleton


@pytest.mark.parametrize('shape', ['flat', 'bare'])
def test_a_sub_elements_rows_inside_a_row_are_not_the_types(shape):
    # the sub-element's rows in its own list inside the row that names it
    nested = row('networkInterfaces', nested='<attributeMetadatas><attributeMetadata>%s</attributeMetadata></attributeMetadatas>'
                 % row('inner', key=True))
    if shape == 'flat':
        nested = row('networkInterfaces', nested='<attributeMetadatas>%s</attributeMetadatas>' % row('inner', key=True))
    meta = parse_metadata(parse_xml(metadata(shape, rows=[row('id', key=True), nested])), 'realmConfig')
    assert meta.attributes == ('id', 'networkInterfaces') and meta.keys == ('id',)


def test_a_sub_elements_bare_row_nested_in_a_row_is_not_the_types():
    nested = row('networkInterfaces', nested='<attributeMetadata>%s</attributeMetadata>' % row('inner', key=True))
    meta = parse_metadata(parse_xml(metadata('bare', rows=[row('id', key=True), nested])), 'realmConfig')
    assert meta.attributes == ('id', 'networkInterfaces') and meta.keys == ('id',)


@pytest.mark.parametrize('shape', ['wrapped', 'flat', 'bare'])
def test_a_type_without_a_key_is_a_singleton(shape):
    meta = parse_metadata(parse_xml(metadata(shape, rows=[row('hostname'), row('description')])), 'systemConfig')
    assert meta.singleton and meta.keys == () and meta.attributes == ('hostname', 'description')


@pytest.mark.parametrize('field', ['isSingleInstance', 'singleInstance', 'singleton'])
def test_a_type_the_answer_calls_single_is_a_singleton_even_with_a_key(field):
    meta = parse_metadata(parse_xml(metadata('wrapped', tail='<%s>true</%s>' % (field, field))), 'sessionAgent')
    assert meta.singleton and meta.keys == ('name', 'subPortId')
    meta = parse_metadata(parse_xml(metadata('wrapped', tail='<%s>false</%s>' % (field, field))), 'sessionAgent')
    assert not meta.singleton


def test_allowed_values_under_each_name_and_key_flags_in_any_case():
    rows = ['<name>a</name><key>TRUE</key><enumeratedValues>x</enumeratedValues><enumerated_values>y</enumerated_values>'
            '<enumeratedValue> </enumeratedValue>', '<name>b</name><key>yes</key>', '<name>c</name><key>1</key><valueType>Enum</valueType>',
            '<name>d</name><key>no</key>']
    meta = parse_metadata(parse_xml(metadata('bare', rows=rows)), 't')
    assert meta.keys == ('a', 'b', 'c') and meta.enums == {'a': ['x', 'y']} and meta.types == {'a': '', 'b': '', 'c': 'enum', 'd': ''}


@pytest.mark.parametrize('body', [
    None, '', 'not xml', '<elementMetadata><elementTypePath>x</elementTypePath></elementMetadata>',
    '<elementMetadata><attributeMetadatas><attributeMetadata><help>no name</help></attributeMetadata></attributeMetadatas></elementMetadata>',
    '<elementMetadata><subElements><attributeMetadata><name>only-a-sub</name></attributeMetadata></subElements></elementMetadata>',
    '<elementMetadata><subElement><attributeMetadatas><name>only-a-sub</name></attributeMetadatas></subElement></elementMetadata>',
])
def test_metadata_without_a_row_of_its_own_is_none(body):
    assert parse_metadata(parse_xml(body) if body is not None else None, 'x') is None


# -- staged changes ---------------------------------------------------------------------------------------------

CHANGE_901 = ('<changedConfigElements><elementTypePath>realmConfig</elementTypePath><name>core</name><operation>modified</operation>'
              '<timestamp>2022-10-06 17:05:31</timestamp></changedConfigElements>')
CHANGE_81 = ('<configurationChange><name>systemConfig</name><operation>created</operation><timestamp>t</timestamp>'
             '<extra><deep>x</deep></extra></configurationChange>')


def test_changes_of_9_0_1_and_of_8_1():
    assert parse_changes(parse_xml(DECLARATION + '<configurationChanges>%s%s</configurationChanges>' % (CHANGE_901, CHANGE_81))) == [
        {'elementTypePath': 'realmConfig', 'name': 'core', 'operation': 'modified', 'timestamp': '2022-10-06 17:05:31'},
        {'name': 'systemConfig', 'operation': 'created', 'timestamp': 't'}]


def test_changes_wrapped_once_more_or_in_an_outer_element_are_found():
    body = '<response><configurationChanges><configurationChanges>%s</configurationChanges></configurationChanges></response>' % CHANGE_81
    assert [change['name'] for change in parse_changes(parse_xml(body))] == ['systemConfig']


@pytest.mark.parametrize('body', [None, '<configurationChanges/>', '<configurationChanges><name>x</name><operation>y</operation></configurationChanges>',
                                  '<configurationChanges><configurationChange><name>x</name></configurationChange></configurationChanges>'])
def test_no_changes(body):
    # the root itself is never a change, and an item needs both a name and an operation
    assert parse_changes(parse_xml(body) if body else None) == []


# -- the push's result --------------------------------------------------------------------------------------------

RESULT = ('<saveActivateResult><errorMessage></errorMessage><isActivateConfigSuccess>SUCCESS</isActivateConfigSuccess>'
          '<isLockSuccess>SUCCESS</isLockSuccess><isCreateSuccess>Not Applicable</isCreateSuccess><status>SUCCESS</status>'
          '<taskId>42</taskId><nested><x>1</x></nested></saveActivateResult>')
FIELDS = {'errorMessage': '', 'isActivateConfigSuccess': 'SUCCESS', 'isLockSuccess': 'SUCCESS', 'isCreateSuccess': 'Not Applicable',
          'status': 'SUCCESS', 'taskId': '42'}


@pytest.mark.parametrize('body', [DECLARATION + RESULT, '<response><data>%s</data><messages/></response>' % RESULT,
                                  '<x:saveActivateResult xmlns:x="urn:y">%s</x:saveActivateResult>' % RESULT[len('<saveActivateResult>'):-len(
                                      '</saveActivateResult>')]])
def test_the_result_as_root_nested_or_namespaced(body):
    assert parse_result(parse_xml(body)) == FIELDS


def test_no_result_is_empty():
    assert parse_result(None) == {}
    assert parse_result(parse_xml('<saveActivateResult/>')) == {}
