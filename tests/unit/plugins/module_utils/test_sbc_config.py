"""SbcConfig, the configuration calls with one token: what each sends, and what each refusal says (scripted HTTP answers)."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config import SbcConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token
from tests.unit.plugins.module_utils.test_sbc import UNSUPPORTED, envelope, make_client, refusal, response

TOKEN = 'tok-5e8a11c2'
REALM = ('<configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>%s</value></attribute>'
         '</configElement>')
METADATA = ('<attributeMetadata><name>identifier</name><key>true</key><valueType>string</valueType></attributeMetadata>')


def config(*answers, clock=None):
    client, http = make_client(*answers, api_version='v1.2')
    ticks = iter(clock or [0.0] * 100)
    return SbcConfig(client, Token(TOKEN, 1e12), clock=lambda: next(ticks), sleep=lambda _s: None), http


def failure(call):
    with pytest.raises(OracleError) as caught:
        call()
    assert TOKEN not in caught.value.msg and '\n' not in caught.value.msg
    return caught.value


def test_a_read_sends_the_token_and_the_key_as_query_parameters():
    cfg, http = config(response(200, envelope(data=REALM % 'core')))
    assert cfg.find('realm-config', {'identifier': 'core'}) == [{'identifier': 'core'}]
    sent = http.sent[0]
    assert (sent['method'], sent['path'], sent['idempotent']) == ('GET', 'rest/v1.2/configuration/configElements', True)
    assert sent['params'] == [('elementType', 'realm-config'), ('identifier', 'core')]
    assert sent['headers']['Authorization'] == 'Bearer %s' % TOKEN


def test_a_404_of_a_known_type_is_no_element_and_of_an_unknown_one_not_found():
    cfg, http = config(refusal(404, 'Not Found'), response(200, envelope(data=METADATA)))
    assert cfg.find('realm-config', {'identifier': 'gone'}) == [] and len(http.sent) == 2  # the metadata said the type is known
    cfg, http = config(refusal(404, 'Not Found'), refusal(404, 'Not Found'))
    error = failure(lambda: cfg.find('no-such-type', {'identifier': 'x'}))
    assert error.reason == 'not_found' and 'is no-such-type an element type this SBC knows?' in error.msg


def test_a_404_about_the_version_is_never_taken_for_a_missing_element():
    cfg, http = config(UNSUPPORTED)
    assert failure(lambda: cfg.find('realm-config', {'identifier': 'x'}, type_known=True)).reason == 'api_version'


@pytest.mark.parametrize('status, reason, words', [
    (401, 'lock_lost', 'no longer valid, so the lock may be gone; lock again'),
    (423, 'lock_lost', 'no longer holds the configuration lock'),
    (409, 'conflict', 'the SBC holds an element with the same key already'),
    (400, 'bad_input', 'fix the element type or attributes named there'),
])
def test_a_refused_change_says_why_and_what_to_do(status, reason, words):
    cfg, http = config(refusal(status, 'refused'))
    error = failure(lambda: cfg.add('realm-config', {'identifier': 'x'}))
    assert error.reason == reason and words in error.msg and error.msg.startswith('adding a realm-config element on SBC sbc.test:443')
    assert http.sent[0]['method'] == 'POST' and not http.sent[0]['idempotent']


def test_update_is_a_put_safe_to_repeat_and_delete_of_nothing_is_false():
    cfg, http = config(response(200, envelope(data=REALM % 'core')), refusal(404, 'Not Found'))
    assert cfg.update('realm-config', {'identifier': 'core'}) == {'identifier': 'core'}
    assert cfg.delete('realm-config', {'identifier': 'core'}) is False
    assert [(s['method'], s['idempotent']) for s in http.sent] == [('PUT', True), ('DELETE', True)]


def test_metadata_in_no_shape_read_is_bad_response_ending_with_the_hint():
    cfg, http = config(response(200, envelope(data='<elementType>x</elementType>')))
    error = failure(lambda: cfg.metadata('realm-config', 'give key_attributes'))
    assert error.reason == 'bad_response' and error.msg.endswith('; give key_attributes')


def test_a_step_answered_at_once_needs_no_wait():
    cfg, http = config(response(200))
    assert cfg.run_step('save', deadline=10.0) == 'success'
    assert (http.sent[0]['method'], http.sent[0]['params']) == ('PUT', {'action': 'save'})


def test_a_failed_step_carries_the_sbcs_words_and_a_step_past_its_deadline_timed_out():
    failed = envelope(data='<operationState><operation>verify</operation><status>failed</status></operationState>'
                           '<errorMessage>realm core has no interface</errorMessage>')
    cfg, http = config(response(202), response(200, failed))
    error = failure(lambda: cfg.run_step('verify', deadline=10.0))
    assert error.reason == 'config_failed' and 'the SBC says: realm core has no interface' in error.msg
    running = envelope(data='<operationState><operation>activate</operation><status>running</status></operationState>')
    cfg, http = config(response(202), response(200, running), clock=[0.0, 0.5, 2.0, 2.0])
    error = failure(lambda: cfg.run_step('activate', deadline=1.0))
    assert error.reason == 'timed_out' and 'raise async_timeout' in error.msg
    assert [s['method'] for s in http.sent] == ['POST', 'GET']


def test_a_new_token_is_used_and_kept_secret():
    cfg, http = config(response(200, envelope(data=REALM % 'core')))
    cfg.use_token(Token('tok-new-77e1', 1e12))
    cfg.find('realm-config', {'identifier': 'core'})
    assert http.sent[0]['headers']['Authorization'] == 'Bearer tok-new-77e1' and http.redact('x tok-new-77e1') == 'x ********'
