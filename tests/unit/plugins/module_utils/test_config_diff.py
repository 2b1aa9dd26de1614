"""Reading and comparing elements: the element type option, attributes the type has, matching, spellings the SBC may change.

The decision itself (normalized, key_of, same_value, differing, plan, diff_of) is tested in test_config_element.py.
"""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import (
    check_known,
    element_type_of,
    loose_names,
    loosely_same,
    matching,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import ElementMeta

META = ElementMeta('realm-config', ['identifier', 'trust'], ['identifier'], types={'trust': 'enum'})


@pytest.mark.parametrize('value', [None, '', '   ', 7])
def test_an_element_type_must_be_named(value):
    with pytest.raises(OracleError) as caught:
        element_type_of({'element_type': value})
    assert caught.value.reason == 'bad_input' and 'e.g. realm-config' in caught.value.msg


def test_an_element_type_is_stripped():
    assert element_type_of({'element_type': ' realm-config '}) == 'realm-config'


def test_attributes_the_type_lacks_are_named_with_those_it_has():
    check_known(META, {'identifier': 'x', 'trust': 'low'})
    with pytest.raises(OracleError) as caught:
        check_known(META, {'identifier': 'x', 'colour': 'red', 'size': '1'})
    assert caught.value.msg == ('realm-config has no attribute colour, size according to the SBC; attributes of realm-config: '
                                'identifier, trust')


def test_matching_compares_as_the_metadata_says():
    elements = [{'identifier': 'a', 'trust': 'low'}, {'identifier': 'b', 'trust': 'none'}]
    assert matching(elements, {'trust': 'LOW'}, META) == [elements[0]]
    assert matching(elements, {'trust': 'LOW'}, None) == []
    assert matching(elements, {}, None) == elements


def test_values_that_only_the_metadata_can_settle_are_found():
    assert loosely_same('Enabled', 'enabled') and loosely_same('0100', '100') and not loosely_same('a', 'b')
    assert not loosely_same(None, 'x') and not loosely_same(['a'], 'a')
    assert loose_names({'trust': 'low', 'max': '10', 'name': 'x'}, {'trust': 'LOW', 'max': '010', 'name': 'y'}) == ['trust', 'max']
