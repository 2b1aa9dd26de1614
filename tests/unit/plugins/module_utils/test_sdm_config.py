"""SdmConfig, the provisioning calls on one SDM device: what each sends through SdmClient.call, what each answer becomes, and
what each refusal says (a real SdmClient and HttpClient over test_sdm's scripted session)."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config import PUSH_TYPES, SdmConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config_xml import FLAT, WRAPPED, SdmElement
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml
from tests.unit.plugins.module_utils.test_sdm import SESSION_ID, idempotence_of, make_client, response

BASE = 'https://sdm.test:8443/rest/v1.3/configuration/'
CONFIGS = BASE + 'deviceConfigs/ID1/'
XML = 'application/xml'
PASSWORD = 'prov1-secret'
FLAT_LIST = ('<configElements><configElements><attributes><name>id</name><value>core</value></attributes>'
             '<childrenElements><attributes><name>name</name><value>M00</value></attributes>'
             '<elementTypePath>realmConfig/networkInterfaceId</elementTypePath></childrenElements>'
             '<elementTypePath>realmConfig</elementTypePath></configElements>'
             '<configElements><attributes><name>id</name><value>other</value></attributes>'
             '<elementTypePath>sessionAgent</elementTypePath></configElements></configElements>')
WRAPPED_LIST = ('<configElements><configElement><attributes><attribute><name>id</name><value>core</value></attribute></attributes>'
                '<elementTypePath>realmConfig</elementTypePath></configElement></configElements>')
METADATA = ('<elementMetadata><attributeMetadatas><attributeMetadata><key>true</key><name>id</name><valueType>STRING</valueType>'
            '</attributeMetadata><attributeMetadata><key>false</key><name>trust</name><valueType>ENUM</valueType>'
            '<enumeratedValue>low</enumeratedValue></attributeMetadata></attributeMetadatas>'
            '<elementTypePath>realmConfig</elementTypePath></elementMetadata>')
RESULT = ('<saveActivateResult><errorMessage></errorMessage><isLockSuccess>SUCCESS</isLockSuccess>'
          '<isValidationSuccess>SUCCESS</isValidationSuccess><status>SUCCESS</status><taskId>7</taskId></saveActivateResult>')


def make(*answers, shape=None, device_id='ID1'):
    client, session = make_client(*answers)
    return SdmConfig(client, device_id, shape), session


def xml(status, body=''):
    return response(status, body, XML if body else None)


def failure(call):
    with pytest.raises(OracleError) as caught:
        call()
    assert SESSION_ID not in caught.value.msg and PASSWORD not in caught.value.msg and '\n' not in caught.value.msg
    return caught.value


def sent(session, index=0):
    one = session.sent[index]
    return one['method'], one['url']


def test_every_call_speaks_xml_with_the_session_cookie():
    config, session = make(xml(200, '<elementTypes><elementTypes>realmConfig</elementTypes></elementTypes>'))
    assert config.element_types() == ['realmConfig']
    headers = session.sent[0]['headers']
    assert headers['Cookie'] == 'JSESSIONID=%s' % SESSION_ID
    assert headers['Content-Type'] == headers['Accept'] == XML
    assert sent(session) == ('GET', CONFIGS + 'elementTypes') and session.sent[0]['data'] is None


def test_the_device_id_is_one_encoded_path_segment_and_where_names_it():
    config, session = make(xml(204), device_id='ID 1/x')
    config.load()
    assert sent(session) == ('GET', BASE + 'devices/ID%201%2Fx/loadConfig')
    assert config.where == 'device ID 1/x on SDM sdm.test:8443'
    with pytest.raises(OracleError) as caught:
        make(device_id='..')
    assert caught.value.reason == 'bad_input'


@pytest.mark.parametrize('body, shape', [
    ('<elementTypes><elementTypes>realmConfig</elementTypes><elementTypes>systemConfig</elementTypes></elementTypes>', FLAT),
    ('<elementTypes><elementType>realmConfig</elementType><elementType>systemConfig</elementType></elementTypes>', WRAPPED),
])
def test_element_types_learn_the_list_shape(body, shape):
    config, _session = make(xml(200, body))
    told = idempotence_of(config.client)
    assert config.element_types() == ['realmConfig', 'systemConfig'] and config.shape == shape
    assert told == [('elementTypes', True)]


def test_a_known_shape_is_kept_whatever_a_later_answer_shows():
    config, _session = make(xml(200, WRAPPED_LIST), shape=FLAT)
    config.elements('realmConfig')
    assert config.shape == FLAT


def test_elements_ask_by_type_path_and_keep_that_types_only():
    config, session = make(xml(200, FLAT_LIST))
    told = idempotence_of(config.client)
    found = config.elements('realmConfig')
    assert [(one.element_type, one.attributes) for one in found] == [('realmConfig', {'id': 'core'})]
    assert found[0].children[0].attributes == {'name': 'M00'}
    assert sent(session) == ('GET', CONFIGS + 'configElements') and session.sent[0]['params'] == {'elementTypePath': 'realmConfig'}
    assert told == [('configElements', True)] and config.shape == FLAT


def test_elements_without_a_type_path_are_taken_for_the_type_asked():
    config, _session = make(xml(200, '<configElements><configElement><attributes><attribute><name>id</name><value>x</value></attribute>'
                                     '</attributes></configElement></configElements>'))
    assert [one.attributes for one in config.elements('realmConfig')] == [{'id': 'x'}]
    assert config.shape == WRAPPED


@pytest.mark.parametrize('body', ['', 'no xml at all', '<configElements><configElement>'])
def test_reads_that_are_no_xml_are_bad_response(body):
    config, _session = make(response(200, body))
    error = failure(lambda: config.elements('realmConfig'))
    assert error.reason == 'bad_response' and 'a configElements list' in error.msg
    config, _session = make(response(200, body))
    assert failure(config.element_types).reason == 'bad_response'


def test_metadata_asks_with_the_type_and_reads_its_rows():
    config, session = make(xml(200, METADATA))
    told = idempotence_of(config.client)
    meta = config.metadata('realmConfig')
    assert meta.keys == ('id',) and meta.attributes == ('id', 'trust') and meta.enums == {'trust': ['low']} and not meta.singleton
    assert sent(session) == ('POST', CONFIGS + 'elementTypes/elementMetadata')
    assert parse_xml(session.sent[0]['data']).find('elementTypePath').text == 'realmConfig'
    assert told == [('elementMetadata', True)]


@pytest.mark.parametrize('body', ['', '<elementMetadata><elementTypePath>realmConfig</elementTypePath></elementMetadata>', 'garbage'])
def test_metadata_without_rows_says_to_give_key_attributes(body):
    config, _session = make(xml(200, body))
    error = failure(lambda: config.metadata('realmConfig'))
    assert error.reason == 'bad_response' and error.status == 200
    assert error.msg.startswith('reading the metadata of realmConfig on device ID1 on SDM sdm.test:8443: the answer names no attribute')
    assert 'give key_attributes' in error.msg


# -- refusals --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('status, text, reason, words', [
    (423, 'refused', 'lock_held', 'was refused (423): refused; the device lock is held by another user'),
    (409, '', 'lock_held', 'was refused (409); the device lock is held by another user, or the session lost it: lock the device again'),
    (403, 'Forbidden', 'lock_held', 'was refused (403)'),
    (400, 'only the user that applied the lock can run operations on the device', 'lock_held', 'lock the device again'),
    (400, 'Invalid attribute fooBar', 'bad_input', 'was refused (400): Invalid attribute fooBar; is realmConfig an element type of '
                                                   'this device'),
    (404, 'Not Found', 'not_found', 'failed (404): Not Found; check the device id and the element type realmConfig'),
    (500, 'Internal', 'server_error', 'the device answered 500'),
])
def test_a_refused_staging_call_says_why_and_what_to_do(status, text, reason, words):
    body = '<error><message>%s</message></error>' % text if text else ''
    config, _session = make(xml(status, body))
    told = idempotence_of(config.client)
    error = failure(lambda: config.add('realmConfig', {'id': 'core'}))
    assert error.reason == reason and words in error.msg and error.status == status
    assert told == [('add', False)]


def test_a_refusal_without_an_element_type_gives_no_type_hint():
    config, _session = make(xml(400, '<error><message>bad</message></error>'), xml(404, ''))
    error = failure(config.discard)
    assert error.reason == 'bad_input' and error.msg == 'discarding the staged changes on device ID1 on SDM sdm.test:8443 was refused (400): bad'
    error = failure(config.load)
    assert error.reason == 'not_found' and error.msg.endswith('failed (404); check the device id')


def test_the_sdms_words_are_redacted_and_one_line():
    config, _session = make(xml(400, '<error><message>bad password %s\nfor prov1</message></error>' % PASSWORD))
    error = failure(lambda: config.add('realmConfig', {'id': 'core'}))
    assert '********' in error.msg


def test_a_400_naming_an_attribute_with_lock_in_its_name_is_bad_input():
    config, _session = make(xml(400, '<error><message>Invalid value for attribute blockTime</message></error>'))
    assert failure(lambda: config.update('sipConfig', {'blockTime': 'x'}, [])).reason == 'bad_input'


# -- staging ---------------------------------------------------------------------------------------------------

def test_add_sends_a_flat_body_until_the_shape_is_known_and_returns_the_answered_element():
    answer = '<configElement><attributes><name>id</name><value>core</value></attributes><attributes><name>trust</name>' \
             '<value>low</value></attributes><elementTypePath>realmConfig</elementTypePath></configElement>'
    config, session = make(xml(200, answer))
    element = config.add('realmConfig', {'id': 'core'})
    assert (element.element_type, element.attributes) == ('realmConfig', {'id': 'core', 'trust': 'low'})
    assert sent(session) == ('POST', CONFIGS + 'configElements/add')
    assert session.sent[0]['data'] == (b'<configElement><elementTypePath>realmConfig</elementTypePath>'
                                       b'<attributes><name>id</name><value>core</value></attributes></configElement>')
    assert config.shape is None  # a staging answer teaches nothing: the reads do


def test_a_wrapped_sdm_gets_wrapped_bodies_after_a_read():
    config, session = make(xml(200, WRAPPED_LIST), xml(200, ''))
    current = config.elements('realmConfig')[0]
    current.children = [SdmElement('realmConfig/networkInterfaceId', {'name': 'M00'})]
    assert config.update('realmConfig', {'id': 'core', 'trust': 'low'}, current.children) is None
    body = session.sent[1]['data'].decode('utf-8')
    assert sent(session, 1) == ('POST', CONFIGS + 'configElements/update')
    assert '<attributes><attribute><name>id</name>' in body and '<childrenElements><childrenElement>' in body
    assert 'M00' in body


@pytest.mark.parametrize('status', [200, 201, 204])
def test_delete_sends_the_key_and_accepts_any_success(status):
    config, session = make(xml(status, ''))
    assert config.delete('systemConfig', {}) is None
    assert sent(session) == ('POST', CONFIGS + 'configElements/delete')
    assert session.sent[0]['data'] == b'<configElement><elementTypePath>systemConfig</elementTypePath></configElement>'


def test_a_204_ignores_any_body():
    config, _session = make(xml(204, WRAPPED_LIST))
    assert config.add('realmConfig', {'id': 'core'}) is None


# -- the staging area ------------------------------------------------------------------------------------------

def test_changes_are_read_and_none_is_empty():
    body = ('<configurationChanges><changedConfigElements><elementTypePath>realmConfig</elementTypePath><name>core</name>'
            '<operation>created</operation></changedConfigElements></configurationChanges>')
    config, session = make(xml(200, body), xml(204), xml(200, '<configurationChanges/>'))
    told = idempotence_of(config.client)
    assert config.changes() == [{'elementTypePath': 'realmConfig', 'name': 'core', 'operation': 'created'}]
    assert config.changes() == [] and config.changes() == []
    assert sent(session) == ('GET', CONFIGS + 'configurationChanges') and set(told) == {('configurationChanges', True)}


def test_a_200_with_no_body_to_the_changes_read_says_nothing_and_fails():
    # an empty list is an empty element or a 204: a push must not take an empty 200 for "nothing pending"
    config, _session = make(xml(200, ''))
    assert failure(config.changes).reason == 'bad_response'


def test_changes_that_are_no_xml_or_refused_raise():
    config, _session = make(response(200, 'not xml'), xml(500, ''))
    assert failure(config.changes).reason == 'bad_response'
    assert failure(config.changes).reason == 'server_error'


@pytest.mark.parametrize('status', [200, 204])
def test_discard_deletes_the_staging_area(status):
    config, session = make(xml(status))
    told = idempotence_of(config.client)
    config.discard()
    assert sent(session) == ('DELETE', CONFIGS + 'configurationChanges') and told == [('configurationChanges', True)]


def test_a_refused_discard_is_lock_held():
    config, _session = make(xml(423, '<error><message>only the user that applied the lock</message></error>'))
    assert failure(config.discard).reason == 'lock_held'


@pytest.mark.parametrize('status', [200, 204])
def test_load_config(status):
    config, session = make(xml(status, '<device><id>ID1</id></device>' if status == 200 else ''))
    told = idempotence_of(config.client)
    config.load()
    assert sent(session) == ('GET', BASE + 'devices/ID1/loadConfig') and told == [('loadConfig', True)]


# -- the push --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('push_type', sorted(PUSH_TYPES))
def test_the_push_sends_its_type_once_with_its_timeout(push_type):
    config, session = make(xml(200, RESULT))
    told = idempotence_of(config.client)
    result = config.push(push_type, 321.0)
    assert result == {'errorMessage': '', 'isLockSuccess': 'SUCCESS', 'isValidationSuccess': 'SUCCESS', 'status': 'SUCCESS', 'taskId': '7'}
    assert sent(session) == ('POST', BASE + 'devices/ID1/action') and told == [('action', False)]
    assert session.sent[0]['data'] == ('<deviceAction><type>%s</type></deviceAction>' % PUSH_TYPES[push_type]).encode('utf-8')
    assert session.sent[0]['timeout'] == 321.0


def test_a_refused_push_with_a_result_returns_it_with_the_status():
    failed = RESULT.replace('<isValidationSuccess>SUCCESS', '<isValidationSuccess>FAILURE').replace('<status>SUCCESS', '<status>FAILURE')
    config, _session = make(xml(400, failed))
    result = config.push('save', 10.0)
    assert result['_status'] == 400 and result['isValidationSuccess'] == 'FAILURE'
    # flags alone count as a result too
    config, _session = make(xml(500, '<saveActivateResult><isLockSuccess>FAILURE</isLockSuccess></saveActivateResult>'))
    assert config.push('save', 10.0) == {'isLockSuccess': 'FAILURE', '_status': 500}


@pytest.mark.parametrize('status, body, reason', [
    (200, '', 'bad_response'),
    (204, '', 'bad_response'),
    (200, '<saveActivateResult/>', 'bad_response'),
    (500, '<error><message>boom</message></error>', 'server_error'),
    (423, '', 'lock_held'),
    (404, '', 'not_found'),
])
def test_a_push_answer_without_a_result_raises(status, body, reason):
    config, _session = make(xml(status, body))
    error = failure(lambda: config.push('save_activate', 10.0))
    assert error.reason == reason
    assert 'SaveActivateConfig push' in error.msg


def test_a_200_push_answer_that_is_no_save_activate_result_is_bad_response():
    config, _session = make(xml(200, '<errorResponse><errorMessage>device busy</errorMessage></errorResponse>'))
    assert failure(lambda: config.push('save_activate', 10.0)).reason == 'bad_response'


# -- SdmClient.call: the session under every provisioning call -----------------------------------------------------

def test_a_call_signs_in_first_and_again_once_after_a_401():
    client, session = make_client(response(200, '', cookie='AAA.tomcat1'), response(401), response(200, '', cookie='BBB.tomcat1'),
                                  response(204), logged_in=False)
    config = SdmConfig(client, 'ID1')
    config.load()
    assert [one['url'].rsplit('/', 1)[1] for one in session.sent] == ['login', 'loadConfig', 'login', 'loadConfig']
    assert session.sent[1]['headers']['Cookie'] == 'JSESSIONID=AAA.tomcat1' and session.sent[3]['headers']['Cookie'] == 'JSESSIONID=BBB.tomcat1'


def test_a_second_401_is_the_answer():
    client, session = make_client(response(401), response(200, '', cookie='BBB.tomcat1'), response(401))
    answer = client.call('GET', 'configuration/deviceConfigs/ID1/configurationChanges', idempotent=True)
    assert answer.status_code == 401 and len(session.sent) == 3
