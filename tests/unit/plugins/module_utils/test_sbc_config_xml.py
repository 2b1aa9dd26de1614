"""The XML shapes of the SBC configuration API: element bodies and lists, the next page, where to poll, an operation's state."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import (
    ElementMeta,
    element_body,
    next_page_path,
    operation_state,
    parse_elements,
    status_path,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml


def test_an_attribute_of_several_values_is_sent_and_read_as_one_value_each():
    body = element_body('steering-pool', {'ip-address': '192.0.2.1', 'ports': ['1', '2']})
    assert body == ('<configElement><elementType>steering-pool</elementType><attribute><name>ip-address</name><value>192.0.2.1</value>'
                    '</attribute><attribute><name>ports</name><value>1</value><value>2</value></attribute></configElement>')
    assert parse_elements(parse_xml(body)) == [{'ip-address': '192.0.2.1', 'ports': ['1', '2']}]


def test_no_answer_is_no_element_and_an_attribute_without_a_value_is_empty():
    assert parse_elements(None) == []
    assert parse_elements(parse_xml('<configElement><attribute><name>x</name></attribute></configElement>')) == [{'x': ''}]


def test_the_next_page_is_a_configelements_link_of_this_api_only():
    page = ('<response><data/><links><link>https://other/rest/v1.2/admin/asyncstatus</link>'
            '<link>https://other/rest/v1.2/configuration/configElements?elementType=realm-config&amp;offset=100</link></links></response>')
    assert next_page_path(parse_xml(page)) == 'rest/v1.2/configuration/configElements?elementType=realm-config&offset=100'
    assert next_page_path(parse_xml('<response><data/><links/></response>')) is None
    assert next_page_path(parse_xml('<configElement/>')) is None  # not an envelope: no links


@pytest.mark.parametrize('body, path', [
    ('<response><links><link>/rest/v1.2/admin/asyncstatus</link></links></response>', 'rest/v1.2/admin/asyncstatus'),
    ('<links><link>/rest/v1.2/jobs/7</link></links>', 'rest/v1.2/jobs/7'),
    ('<response><links><link>/rest/v1.2/configuration/unlock</link></links></response>', None),
    ('', None),
])
def test_a_202_is_polled_where_it_links_a_status_or_job(body, path):
    assert status_path(parse_xml(body)) == path


def test_the_operation_state_is_read_in_lower_case_and_empty_where_not_said():
    done = parse_xml('<response><data><operationState><operation>Save</operation><status>SUCCESS</status></operationState></data></response>')
    assert operation_state(done) == ('save', 'success')
    assert operation_state(parse_xml('<response><data/></response>')) == ('', '')


def test_metadata_names_a_value_type_or_none():
    meta = ElementMeta('realm-config', ['identifier', 'trust'], ['identifier'], types={'trust': 'enum'})
    assert meta.value_type('trust') == 'enum' and meta.value_type('identifier') == '' and not meta.singleton
