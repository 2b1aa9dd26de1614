"""The SDM client: session, device lists in every shape, device and group actions, error texts (fake HTTP answers)."""

import json

import pytest
import requests

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _options
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import Endpoint
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm import DONE, REFUSED, SdmClient, holder_named_in

SESSION_ID = '40431A654CDEB2126FF21396C69DDA7F.tomcat1'
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

DEVICES = [
    {'id': 'ID1', 'ip': '192.0.2.11', 'key': 'sbc-east-1_192.0.2.11', 'name': 'sbc-east-1', 'nfId': 'ID101', 'nfName': 'nf-east',
     'parentGroupId': 'ID100', 'groupId': 'ID201', 'platformInfo': 'Acme Packet 6300', 'softwareInfo': 'SCZ9.1.0'},
    {'id': 'ID2', 'ip': '192.0.2.12', 'key': 'sbc-east-2_192.0.2.12', 'name': 'sbc-east-2', 'nfId': 'ID101', 'nfName': 'nf-east',
     'parentGroupId': 'ID100', 'groupId': 'ID201', 'platformInfo': 'Acme Packet 6300', 'softwareInfo': 'SCZ9.1.0'},
]
EXPECTED = [dict((field, device[field]) for field in ('id', 'name', 'ip', 'key', 'nfId', 'nfName', 'parentGroupId', 'groupId'))
            for device in DEVICES]


def fields(device, skip=()):
    return ''.join('<%s>%s</%s>' % (name, value, name) for name, value in device.items() if name not in skip)


def response(status, body='', content_type=None, cookie=None):
    answer = requests.Response()
    answer.status_code = status
    answer._content = body.encode('utf-8') if isinstance(body, str) else body
    answer.encoding = 'utf-8'
    if content_type:
        answer.headers['Content-Type'] = content_type
    if cookie:
        answer.cookies.set('JSESSIONID', cookie, path='/rest')
    return answer


class FakeSession:
    """Stands in for requests.Session: answers in order (an exception is raised), records every request."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = []
        self.cookies = requests.cookies.RequestsCookieJar()
        self.closed = False

    def request(self, method, url, **kwargs):
        self.sent.append(dict(kwargs, method=method, url=url))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        self.closed = True


def make_client(*answers, logged_in=True, password='prov1-secret'):
    session = FakeSession(answers)
    http = HttpClient(Endpoint('sdm.test', 8443), 'SDM', redactor=Redactor(), sleep=lambda _seconds: None,
                      session_factory=lambda: session)
    client = SdmClient(http, 'prov1', password, None)
    if logged_in:
        client._cookie = SESSION_ID
    return client, session


def idempotence_of(client):
    """Record, for each request, the last path segment and whether HttpClient was told the call may be repeated.

    HttpClient retries 5xx answers and resets of such calls only (tests/unit/plugins/module_utils/test_http.py), below
    the session a FakeSession stands in for; what this client decides is which calls those are.
    """
    told = []
    send = client.http.request

    def request(method, path, idempotent=False, **kwargs):
        told.append((path.rsplit('/', 1)[1], idempotent))
        return send(method, path, idempotent=idempotent, **kwargs)
    client.http.request = request
    return told


# --------------------------------------------------------------------------------------------- holder_named_in

@pytest.mark.parametrize('text, holder', [
    ('Device ID3 is locked by user prov2', 'prov2'),
    ('Device ID3 is locked by prov2', 'prov2'),
    ("device held by 'ops.team'", 'ops.team'),
    ('Owned by the user jane@example.net', 'jane@example.net'),
    ('Device ID3 is locked by user prov2.', 'prov2'),
    ('LOCKED BY USER Admin-2', 'Admin-2'),
    ('Device ID3 is locked by another user', None),
    ('Device ID3 is locked by a different user', None),
    ('locked by someone', None),
    ('Device ID3 is already locked', None),
    ('Device ID1 is not locked', None),
    ('HTML page: HTTP Status 400 \u2013 Bad Request', None),
    ('', None),
    (None, None),
])
def test_holder_named_in(text, holder):
    assert holder_named_in(text) == holder


# --------------------------------------------------------------------------------------------- device lists

def list_of(body, content_type):
    client, session = make_client(response(200, body, content_type))
    devices = client.devices()
    assert session.sent[0]['method'] == 'GET'
    assert session.sent[0]['url'] == 'https://sdm.test:8443/rest/v1.3/inventory/deviceMgmt/devices'
    assert session.sent[0]['headers']['Cookie'] == 'JSESSIONID=%s' % SESSION_ID
    return devices


def test_json_device_list():
    assert list_of(json.dumps({'devices': DEVICES}), 'application/json') == EXPECTED


def test_json_device_list_nested_bare_or_single():
    assert list_of(json.dumps({'devices': {'devices': DEVICES}}), 'application/json') == EXPECTED
    assert list_of(json.dumps(DEVICES), 'application/json') == EXPECTED
    assert list_of(json.dumps({'devices': {'device': DEVICES}}), 'application/json') == EXPECTED
    assert list_of(json.dumps({'devices': DEVICES[0]}), 'application/json') == EXPECTED[:1]
    assert list_of(json.dumps({'devices': []}), 'application/json') == []


def test_json_values_become_strings_and_unknown_fields_are_dropped():
    devices = list_of(json.dumps({'devices': [{'id': 7, 'name': 'x', 'nfId': None, 'extra': 'y'}]}), 'application/json')
    assert devices == [{'id': '7', 'name': 'x'}]


def test_xml_device_list_9_0_1_shape():
    body = XML_DECLARATION + '<devices>%s</devices>' % ''.join('<devices>%s</devices>' % fields(device) for device in DEVICES)
    assert list_of(body, 'application/xml') == EXPECTED


def test_xml_device_list_9_0_0_shape():
    body = XML_DECLARATION + '<deviceList><devices>%s</devices></deviceList>' % ''.join(
        '<device>%s</device>' % fields(device) for device in DEVICES)
    assert list_of(body, 'application/xml') == EXPECTED


def test_xml_device_list_with_nested_info_elements():
    body = '<devices>%s</devices>' % ''.join(
        '<devices>%s<platformInfo><model>6300</model></platformInfo></devices>' % fields(device, skip=('platformInfo',))
        for device in DEVICES)
    assert list_of(body, 'application/xml') == EXPECTED


def test_xml_device_list_with_one_device_and_without_optional_fields():
    assert list_of('<devices><devices><id>ID9</id><name> lab </name></devices></devices>', 'application/xml') == [
        {'id': 'ID9', 'name': 'lab'}]
    assert list_of('<devices/>', 'application/xml') == []


@pytest.mark.parametrize('body, content_type', [
    ('<!doctype html><html><head><title>Welcome</title></head><body>login</body></html>', 'text/html'),
    ('', 'application/json'),
    ('not a list', 'text/plain'),
])
def test_a_device_list_that_is_none_fails_as_bad_response(body, content_type):
    client, session = make_client(response(200, body, content_type))
    with pytest.raises(OracleError) as err:
        client.devices()
    assert err.value.reason == 'bad_response' and 'listing devices' in err.value.msg and '\n' not in err.value.msg


def test_device_list_401_is_auth_failed():
    client, session = make_client(response(401, 'Session is not valid or has expired', 'text/plain'))
    with pytest.raises(OracleError) as err:
        client.devices()
    assert err.value.reason == 'auth_failed'


def test_device_list_may_be_repeated():
    client, session = make_client(response(200, json.dumps({'devices': DEVICES}), 'application/json'))
    told = idempotence_of(client)
    assert client.devices() == EXPECTED and told == [('devices', True)]


# --------------------------------------------------------------------------------------------- actions and answers

@pytest.mark.parametrize('status', [200, 204])
def test_action_success_is_done(status):
    client, session = make_client(response(status))
    answer = client.device_action('ID3', 'Lock')
    assert answer.done and answer.outcome == DONE and answer.status == status
    sent = session.sent[0]
    assert sent['method'] == 'POST'
    assert sent['url'] == 'https://sdm.test:8443/rest/v1.3/inventory/deviceMgmt/devices/ID3/action'
    assert json.loads(sent['data']) == {'type': 'Lock'}
    assert sent['headers']['Content-Type'] == 'application/json' and sent['headers']['Cookie'] == 'JSESSIONID=%s' % SESSION_ID


def test_group_action_path_and_body():
    client, session = make_client(response(204))
    assert client.group_action('ID101', 'ID201', 'Unlock').done
    assert session.sent[0]['url'] == 'https://sdm.test:8443/rest/v1.3/inventory/nfMgmt/nfs/ID101/groups/ID201/action'
    assert json.loads(session.sent[0]['data']) == {'type': 'Unlock'}


@pytest.mark.parametrize('body, content_type, text', [
    ('Device ID3 is locked by user prov2', 'text/plain', 'Device ID3 is locked by user prov2'),
    ('{"message": "Device ID3 is locked by user prov2"}', 'application/json', 'Device ID3 is locked by user prov2'),
    ('<?xml version="1.0"?><error><message>Device ID3 is locked by user prov2</message></error>', 'application/xml',
     'Device ID3 is locked by user prov2'),
    ('', None, ''),
])
@pytest.mark.parametrize('status', [400, 403, 409, 423, 500])
def test_refusals_carry_status_text_and_holder(status, body, content_type, text):
    client, session = make_client(response(status, body, content_type))
    answer = client.device_action('ID3', 'Lock')
    assert answer.outcome == REFUSED and not answer.done and answer.status == status
    assert answer.text == text
    assert answer.holder == ('prov2' if text else None)
    assert len(session.sent) == 1  # a Lock is never repeated blindly, not even after a 5xx


def test_html_refusal_is_one_line_of_text():
    page = ('<!doctype html><html lang="en"><head><title>HTTP Status 400 \u2013 Bad Request</title></head><body>'
            '<h1>HTTP Status 400 \u2013 Bad Request</h1><p><b>Message</b> Device ID3 is locked by another user</p></body></html>')
    client, session = make_client(response(400, page, 'text/html'))
    answer = client.device_action('ID3', 'Lock')
    assert answer.outcome == REFUSED and answer.text == 'HTML page: HTTP Status 400 \u2013 Bad Request' and answer.holder is None


def test_unlock_may_be_repeated_and_lock_may_not():
    client, session = make_client(response(204), response(502, 'bad gateway', 'text/plain'))
    told = idempotence_of(client)
    assert client.device_action('ID3', 'Unlock').done and client.device_action('ID3', 'Lock').status == 502
    assert told == [('action', True), ('action', False)]


def test_action_401_signs_in_again_and_asks_once_more():
    client, session = make_client(response(401, 'Session is not valid or has expired', 'text/plain'),
                                  response(200, '{}', 'application/json', cookie='NEW.tomcat1'), response(204))
    assert client.device_action('ID3', 'Lock').done
    assert [sent['url'].rsplit('/', 1)[1] for sent in session.sent] == ['action', 'login', 'action']
    assert session.sent[2]['headers']['Cookie'] == 'JSESSIONID=NEW.tomcat1'


def test_action_401_again_after_a_new_login_raises_auth_failed():
    client, session = make_client(response(401, 'Session is not valid or has expired', 'text/plain'),
                                  response(200, '{}', 'application/json', cookie='NEW.tomcat1'),
                                  response(401, 'Session is not valid or has expired', 'text/plain'))
    with pytest.raises(OracleError) as err:
        client.device_action('ID3', 'Lock')
    assert err.value.reason == 'auth_failed' and 'device ID3' in err.value.msg and err.value.status == 401
    assert len(session.sent) == 3  # one new login, not a loop


def test_action_404_raises_not_found_naming_the_target():
    client, session = make_client(response(404, 'Device ID99 not found', 'text/plain'))
    with pytest.raises(OracleError) as err:
        client.device_action('ID99', 'Lock')
    assert err.value.reason == 'not_found' and 'device ID99 not found on SDM sdm.test:8443 (404)' in err.value.msg
    client, session = make_client(response(404, 'Device group ID299 of NF ID101 not found', 'text/plain'))
    with pytest.raises(OracleError) as err:
        client.group_action('ID101', 'ID299', 'Lock')
    assert err.value.reason == 'not_found' and 'device group ID299 of NF ID101' in err.value.msg


def test_action_404_for_an_unsupported_version_says_so():
    client, session = make_client(response(404, 'Unsupported version v1.3', 'text/plain'))
    with pytest.raises(OracleError) as err:
        client.device_action('ID3', 'Lock')
    assert err.value.reason == 'api_version'


def test_refusal_text_is_redacted():
    client, session = make_client(response(400, 'bad session %s for prov1-secret' % SESSION_ID, 'text/plain'))
    client.http.redact.add(SESSION_ID)
    answer = client.device_action('ID3', 'Lock')
    assert SESSION_ID not in answer.text and 'prov1-secret' not in answer.text


# --------------------------------------------------------------------------------------------- session

def test_login_sends_json_credentials_and_keeps_the_cookie_secret():
    body = json.dumps({'idleTimeout': 1800, 'sessionId': SESSION_ID, 'userGroup': 'provisioners'})
    client, session = make_client(response(200, body, 'application/json', cookie=SESSION_ID), logged_in=False)
    assert not client.logged_in
    client.login()
    assert client.logged_in
    sent = session.sent[0]
    assert sent['url'] == 'https://sdm.test:8443/rest/v1.3/admin/login' and sent['method'] == 'POST'
    assert json.loads(sent['data']) == {'userName': 'prov1', 'password': 'prov1-secret'}
    assert client._headers()['Cookie'] == 'JSESSIONID=%s' % SESSION_ID
    redacted = client.http.redact('%s %s %s' % (SESSION_ID, SESSION_ID.split('.', maxsplit=1)[0], 'prov1-secret'))
    assert SESSION_ID.split('.', maxsplit=1)[0] not in redacted and 'prov1-secret' not in redacted


def test_login_with_the_api_version_given():
    client, session = make_client(response(200, '{}', 'application/json', cookie=SESSION_ID), logged_in=False)
    client.api_version = 'v1.1'
    client.login()
    assert session.sent[0]['url'] == 'https://sdm.test:8443/rest/v1.1/admin/login'


def test_login_401_names_the_user_and_says_what_to_check():
    client, session = make_client(response(401, 'Invalid user ID or password', 'text/plain'), logged_in=False)
    with pytest.raises(OracleError) as err:
        client.login()
    assert err.value.reason == 'auth_failed'
    assert 'prov1' in err.value.msg and 'check username and password' in err.value.msg and 'prov1-secret' not in err.value.msg
    assert not client.logged_in


def test_login_without_a_cookie_is_bad_response():
    client, session = make_client(response(200, '', 'application/json'), logged_in=False)
    with pytest.raises(OracleError) as err:
        client.login()
    assert err.value.reason == 'bad_response' and 'JSESSIONID' in err.value.msg and not client.logged_in


def test_login_html_502_is_server_error_and_login_may_be_repeated():
    page = '<html><head><title>502 Bad Gateway</title></head><body></body></html>'
    client, session = make_client(response(502, page, 'text/html'), logged_in=False)
    told = idempotence_of(client)
    with pytest.raises(OracleError) as err:
        client.login()
    assert err.value.reason == 'server_error' and 'HTML page' in err.value.msg and told == [('login', True)]


def test_logout_sends_the_cookie_and_forgets_it():
    client, session = make_client(response(204))
    client.logout()
    assert session.sent[0]['url'] == 'https://sdm.test:8443/rest/v1.3/admin/logout'
    assert session.sent[0]['headers']['Cookie'] == 'JSESSIONID=%s' % SESSION_ID
    assert not client.logged_in
    client.logout()
    assert len(session.sent) == 1  # nothing to close twice


def test_logout_never_raises():
    client, session = make_client(requests.exceptions.ConnectionError('Connection refused'), *[
        requests.exceptions.ConnectionError('Connection refused')] * 3)
    client.logout()
    assert not client.logged_in


def test_logout_without_session_sends_nothing():
    client, session = make_client(logged_in=False)
    client.logout()
    assert session.sent == []


def test_keep_alive_touches_the_session_once():
    client, session = make_client(response(200, '{}', 'application/json'))
    client.keep_alive()
    assert [(sent['method'], sent['url']) for sent in session.sent] == [('GET', 'https://sdm.test:8443/rest/v1.3/admin/serverInfo')]
    assert session.sent[0]['headers']['Cookie'] == 'JSESSIONID=%s' % SESSION_ID and session.sent[0]['timeout'] <= 5
    assert client.logged_in


def test_keep_alive_of_a_session_that_idled_out_logs_in_again():
    client, session = make_client(response(401, '', 'text/plain'), response(200, '{}', 'application/json', cookie='NEW.tomcat1'))
    client.keep_alive()
    assert [sent['url'].rsplit('/', 1)[1] for sent in session.sent] == ['serverInfo', 'login']
    assert client._headers()['Cookie'] == 'JSESSIONID=NEW.tomcat1'


def test_keep_alive_is_one_short_try_and_raises_what_went_wrong():
    client, session = make_client(response(503, 'busy', 'text/plain'))
    with pytest.raises(OracleError) as err:
        client.keep_alive()
    assert err.value.reason == 'server_error' and len(session.sent) == 1 and client.logged_in


def test_the_password_is_known_to_the_redactor_from_the_start():
    client, session = make_client(logged_in=False, password='very-secret-pw')
    assert client.http.redact('x very-secret-pw y') == 'x ******** y'


def test_constants():
    assert _options.SDM_PORT == 8443 and _options.SBC_PORT == 443
