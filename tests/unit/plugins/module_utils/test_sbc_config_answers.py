"""Reproducers from an adversarial pass over the SBC configuration client: answers Oracle leaves open, in shapes
the emulator does not serve (scripted HTTP answers)."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import differing, matching as _matching
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config import SbcConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import parse_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token
from tests.unit.plugins.module_utils.test_sbc import envelope, make_client, response

REALM = ('<configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>%s</value></attribute>'
         '%s</configElement>')


def config(*answers):
    client, http = make_client(*answers, api_version='v1.2')
    return SbcConfig(client, Token('tok-1234', 1e12), clock=lambda: 0.0, sleep=lambda _s: None), http


def test_a_sub_element_is_part_of_its_element_not_another_one():
    # a sub-element written as a nested configElement must not count as a second match
    nested = REALM % ('r1', '<subElement>' + REALM % ('inner', '') + '</subElement>')
    assert [e['identifier'] for e in parse_elements(parse_xml(envelope(data=nested)))] == ['r1']


def test_an_sbc_that_ignores_the_key_parameters_still_yields_the_one_element():
    everything = [{'identifier': 'core'}, {'identifier': 'r1', 'description': 'x'}]
    assert _matching(everything, {'identifier': 'r1'}, None) == [{'identifier': 'r1', 'description': 'x'}]


def test_a_page_that_brings_nothing_ends_the_list_even_with_a_new_link_each_time():
    pages = [response(200, envelope(data=REALM % ('r%d' % n, '') if n == 0 else '',
                                    links='<link>/rest/v1.2/configuration/configElements?elementType=realm-config&amp;offset=%d</link>' % (n + 1)))
             for n in range(5)]
    cfg, http = config(*pages)
    assert [e['identifier'] for e in cfg.every('realm-config')] == ['r0']
    assert len(http.sent) == 2


@pytest.mark.parametrize('link, polled', [
    ('https://other.host/rest/v1.2/admin/asyncstatus?job=7', 'rest/v1.2/admin/asyncstatus?job=7'),
    ('https://other.host/rest/v1.2/configuration/unlock', 'rest/v1.2/admin/asyncstatus'),
    ('https://other.host/rest/v1.2/configuration/configElements?elementType=x', 'rest/v1.2/admin/asyncstatus'),
    ('/rest/v1.2/jobs/7', 'rest/v1.2/jobs/7'),
])
def test_a_202_link_is_polled_only_when_it_names_a_status_or_job(link, polled):
    done = response(200, envelope(data='<operationState><operation>save</operation><status>success</status></operationState>'))
    cfg, http = config(response(202, envelope(links='<link>%s</link>' % link)), done)
    assert cfg.run_step('save', deadline=10.0) == 'success'
    assert http.sent[1]['path'] == polled and http.sent[1]['method'] == 'GET'


def test_an_attribute_the_sbc_leaves_out_of_its_answer_equals_an_empty_one():
    assert differing({'identifier': 'r1'}, {'identifier': 'r1', 'description': ''}) == {}
    assert differing({'identifier': 'r1'}, {'identifier': 'r1', 'description': 'x'}) == {'description': 'x'}
