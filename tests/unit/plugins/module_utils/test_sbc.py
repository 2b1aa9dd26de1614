"""The SBC client: token, API version discovery, re-authentication, lock and unlock answers, moving the lock (scripted HTTP answers)."""

import pytest
import requests

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import Endpoint
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import HOLDER_FOREIGN, HOLDER_NOBODY, HOLDER_UNKNOWN, NOT_OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import RELEASED as RELEASE_DONE
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc import BUSY, KNOWN_VERSIONS, LOCKED, REFUSED, RELEASED, SbcClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token

PASSWORD = 'admin-secret-pw'
OLD = 'old-token-6f1c2a9e'
NEW = 'new-token-0b7d44e1'
NOW = 1000.0
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def envelope(data='', messages='', links=''):
    return '%s<response><data>%s</data><messages>%s</messages><links>%s</links></response>' % (XML_DECLARATION, data, messages, links)


def response(status, body='', content_type='application/xml'):
    answer = requests.Response()
    answer.status_code = status
    answer._content = body.encode('utf-8')
    answer.encoding = 'utf-8'
    if body:
        answer.headers['Content-Type'] = content_type
    return answer


def token_answer(value):
    return response(200, envelope(data='<accessToken>%s</accessToken>' % value))


def refusal(status, text):
    return response(status, envelope(messages='<message>%s</message>' % text))


UNSUPPORTED = refusal(404, 'Unsupported versionId in URI')


class ScriptedHttp(HttpClient):
    """An HttpClient whose ``request`` answers from a script (an exception is raised) and records every call.

    Everything else (``redact``, ``endpoint``, ``error_for``, ``bad_body``) is the real HttpClient's.
    """

    def __init__(self, answers):
        super(ScriptedHttp, self).__init__(Endpoint('sbc.test', 443), 'SBC', redactor=Redactor(), sleep=lambda _seconds: None,
                                           session_factory=lambda: None)
        self.answers = list(answers)
        self.sent = []
        self.closed = False

    def request(self, method, path, idempotent=False, **kwargs):
        self.sent.append(dict(kwargs, method=method, path=path, idempotent=idempotent))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        self.closed = True

    def calls(self):
        """(last path segment, the token of the Bearer header or None) of every request so far."""
        return [(sent['path'].rsplit('/', 1)[1], sent.get('headers', {}).get('Authorization', ' ').split(' ', 1)[1] or None)
                for sent in self.sent]


def make_client(*answers, api_version=None, token_lifetime=600.0):
    http = ScriptedHttp(answers)
    client = SbcClient(http, 'admin', PASSWORD, api_version, token_lifetime=token_lifetime, clock=lambda: NOW)
    return client, http


def token(value=OLD):
    return Token(value, NOW + 600.0, NOW)


def failure(call, *args):
    with pytest.raises(OracleError) as err:
        call(*args)
    assert '\n' not in err.value.msg
    return err.value


# --------------------------------------------------------------------------------------------- authenticate

def test_authenticate_takes_the_token_from_the_envelope():
    client, http = make_client(token_answer(OLD), token_lifetime=300.0)
    got = client.authenticate()
    assert got.value == OLD and got.issued_at == NOW and got.expires_at == NOW + 300.0
    assert client.api_version == 'v1.2'
    sent = http.sent[0]
    assert sent['method'] == 'POST' and sent['path'] == 'rest/v1.2/auth/token'
    assert sent['auth'] == ('admin', PASSWORD) and sent['idempotent'] and 'data' not in sent and 'headers' not in sent
    assert http.redact('x %s y' % OLD) == 'x ******** y'


def test_authenticate_strips_the_token_text():
    client, http = make_client(response(200, envelope(data='<accessToken>\n  %s  \n</accessToken>' % OLD)))
    assert client.authenticate().value == OLD


def test_authenticate_finds_the_version_the_device_speaks():
    client, http = make_client(UNSUPPORTED, token_answer(OLD), response(204))
    assert client.authenticate().value == OLD and client.api_version == 'v1.1'
    assert client.lock(token()) == LOCKED
    assert [sent['path'] for sent in http.sent] == ['rest/v1.2/auth/token', 'rest/v1.1/auth/token', 'rest/v1.1/configuration/lock']


def test_authenticate_when_no_version_is_supported_says_to_set_api_version():
    client, http = make_client(*[UNSUPPORTED] * len(KNOWN_VERSIONS))
    err = failure(client.authenticate)
    assert err.reason == 'api_version' and err.status == 404
    assert 'sbc.test:443' in err.msg and 'v1.2, v1.1, v1.0' in err.msg and 'set api_version' in err.msg
    assert [sent['path'] for sent in http.sent] == ['rest/%s/auth/token' % version for version in KNOWN_VERSIONS]


def test_a_pinned_version_is_not_discovered():
    client, http = make_client(UNSUPPORTED, api_version='v1.1')
    err = failure(client.authenticate)
    assert err.reason == 'api_version' and len(http.sent) == 1 and http.sent[0]['path'] == 'rest/v1.1/auth/token'
    assert client.api_version == 'v1.1'


def test_a_404_that_is_not_about_the_version_ends_the_discovery():
    client, http = make_client(response(404, '<html><head><title>404 Not Found</title></head></html>', 'text/html'))
    err = failure(client.authenticate)
    assert err.reason == 'not_found' and len(http.sent) == 1


def test_authenticate_401_is_auth_failed_in_one_line():
    client, http = make_client(refusal(401, 'Client not authorized'))
    err = failure(client.authenticate)
    assert err.reason == 'auth_failed' and err.status == 401
    assert err.msg == 'authentication on SBC sbc.test:443 failed: username or password not accepted (401); check username and password'
    assert len(http.sent) == 1  # a refused password is not tried on older versions


@pytest.mark.parametrize('answer', [
    response(200, envelope(data='<token>%s</token>' % OLD)),
    response(200, envelope(data='<accessToken></accessToken>')),
    response(200, ''),
    response(200, '<html><head><title>Login</title></head><body></body></html>', 'text/html'),
    response(200, '{"accessToken": "%s"}' % OLD, 'application/json'),
])
def test_authenticate_without_an_access_token_is_bad_response(answer):
    client, http = make_client(answer)
    err = failure(client.authenticate)
    assert err.reason == 'bad_response' and err.status == 200 and 'an accessToken' in err.msg and 'authentication' in err.msg


def test_authenticate_5xx_is_server_error():
    client, http = make_client(refusal(503, 'Service Unavailable'))
    assert failure(client.authenticate).reason == 'server_error'


# --------------------------------------------------------------------------------------------- refresh

def test_refresh_sends_the_live_token_in_a_form_body():
    client, http = make_client(token_answer(NEW), api_version='v1.1')
    got = client.refresh(token(OLD))
    assert got.value == NEW and got.issued_at == NOW and got.expires_at == NOW + 600.0
    sent = http.sent[0]
    assert sent['method'] == 'POST' and sent['path'] == 'rest/v1.1/auth/token' and sent['idempotent']
    assert sent['auth'] == ('admin', PASSWORD) and sent['data'] == {'token': OLD, 'accessToken': OLD}
    assert http.redact(NEW) == '********'


def test_refresh_401_is_lock_lost():
    client, http = make_client(refusal(401, 'Client not authorized'))
    err = failure(client.refresh, token(OLD))
    assert err.reason == 'lock_lost' and err.status == 401 and 'lock again' in err.msg and 're-authentication' in err.msg


def test_refresh_without_an_access_token_is_bad_response():
    client, http = make_client(response(200, envelope()))
    err = failure(client.refresh, token(OLD))
    assert err.reason == 'bad_response' and 're-authentication' in err.msg


# --------------------------------------------------------------------------------------------- lock and unlock

@pytest.mark.parametrize('status', [200, 204])
def test_lock_granted(status):
    client, http = make_client(response(status))
    assert client.lock(token(OLD)) == LOCKED
    sent = http.sent[0]
    assert sent['method'] == 'POST' and sent['path'] == 'rest/v1.2/configuration/lock'
    assert sent['headers'] == {'Authorization': 'Bearer %s' % OLD}
    assert not sent['idempotent']  # a granted lock whose answer was lost would look busy on a blind retry


def test_lock_423_is_busy():
    client, http = make_client(refusal(423, 'Resource locked by another user'))
    assert client.lock(token(OLD)) == BUSY


def test_lock_401_is_lock_lost():
    client, http = make_client(refusal(401, 'Client not authorized'))
    err = failure(client.lock, token(OLD))
    assert err.reason == 'lock_lost' and err.status == 401 and 'taking the configuration lock' in err.msg


@pytest.mark.parametrize('status, reason', [(403, 'forbidden'), (400, 'bad_response'), (500, 'server_error'),
                                            (404, 'api_version')])
def test_lock_other_answers_raise_by_status(status, reason):
    client, http = make_client(refusal(status, 'Unsupported versionId in URI' if status == 404 else 'no'))
    err = failure(client.lock, token(OLD))
    assert err.reason == reason and err.status == status


@pytest.mark.parametrize('status', [200, 204])
def test_unlock_released(status):
    client, http = make_client(response(status))
    assert client.unlock(token(OLD)) == RELEASED
    sent = http.sent[0]
    assert sent['path'] == 'rest/v1.2/configuration/unlock' and sent['headers'] == {'Authorization': 'Bearer %s' % OLD}
    assert sent['idempotent']


@pytest.mark.parametrize('answer', [
    refusal(423, 'Resource locked by another user'),
    refusal(423, 'User does not have the lock'),
    refusal(423, 'Ressource verrouill\u00e9e'),
    response(423, ''),
    response(423, 'locked', 'text/plain'),
])
def test_unlock_423_is_refused_whatever_the_text(answer):
    client, http = make_client(answer)
    assert client.unlock(token(OLD)) == REFUSED


def test_unlock_401_is_lock_lost():
    client, http = make_client(refusal(401, 'Client not authorized'))
    err = failure(client.unlock, token(OLD))
    assert err.reason == 'lock_lost' and 'releasing the configuration lock' in err.msg


# --------------------------------------------------------------------------------------------- release and holds

def test_release_given_back():
    client, http = make_client(response(204))
    assert client.release(token(OLD)) == (RELEASE_DONE, None) and http.calls() == [('unlock', OLD)]


@pytest.mark.parametrize('text, holder', [
    ('User does not have the lock', HOLDER_NOBODY),
    ('Resource locked by another user', HOLDER_FOREIGN),
    ('RESOURCE LOCKED BY ANOTHER   USER.', HOLDER_FOREIGN),
    ('Ressource verrouillee par un autre utilisateur', HOLDER_UNKNOWN),
    ('', HOLDER_UNKNOWN),
])
def test_a_refused_release_never_takes_the_lock(text, holder):
    """A 423 to unlock is "not the caller's": one request, no lock probe; the holder only where the text says it."""
    client, http = make_client(refusal(423, text), response(204))
    assert client.release(token(OLD)) == (NOT_OURS, holder)
    assert http.calls() == [('unlock', OLD)]


def test_holds_when_the_lock_is_taken_again():
    client, http = make_client(response(204))
    assert client.holds(token(OLD)) is True and http.calls() == [('lock', OLD)]


def test_holds_on_a_device_that_refuses_a_second_lock():
    client, http = make_client(refusal(423, 'busy'), response(204), response(204))
    assert client.holds(token(OLD)) is True
    assert http.calls() == [('lock', OLD), ('unlock', OLD), ('lock', OLD)]


def test_holds_not_when_another_holds_it():
    client, http = make_client(refusal(423, 'busy'), refusal(423, 'Resource locked by another user'))
    assert client.holds(token(OLD)) is False


def test_holds_with_an_unknown_token_is_lock_lost():
    client, http = make_client(refusal(401, 'Client not authorized'))
    assert failure(client.holds, token(OLD)).reason == 'lock_lost'


# --------------------------------------------------------------------------------------------- refresh_holding

def test_refresh_holding_same_token_costs_one_request():
    client, http = make_client(token_answer(OLD))
    new, how = client.refresh_holding(token(OLD))
    assert new.value == OLD and how is None and http.calls() == [('token', None)]


def test_refresh_holding_new_token_the_lock_followed():
    client, http = make_client(token_answer(NEW), response(204))
    new, how = client.refresh_holding(token(OLD))
    assert new.value == NEW and how is None and http.calls() == [('token', None), ('lock', NEW)]


def test_refresh_holding_moves_a_lock_left_on_the_old_token():
    client, http = make_client(token_answer(NEW), refusal(423, 'busy'), response(204), response(204))
    new, how = client.refresh_holding(token(OLD))
    assert new.value == NEW and 'moved to the new token' in how
    assert http.calls() == [('token', None), ('lock', NEW), ('unlock', OLD), ('lock', NEW)]


def test_refresh_holding_lock_taken_by_another_during_the_move():
    client, http = make_client(token_answer(NEW), refusal(423, 'busy'), response(204), refusal(423, 'busy'))
    err = failure(client.refresh_holding, token(OLD))
    assert err.reason == 'lock_lost' and 'while it was moved' in err.msg


def test_refresh_holding_old_token_revoked_new_one_holds():
    client, http = make_client(token_answer(NEW), refusal(423, 'busy'), refusal(401, 'Client not authorized'),
                               response(204), response(204))
    new, how = client.refresh_holding(token(OLD))
    assert new.value == NEW and how is None
    assert http.calls() == [('token', None), ('lock', NEW), ('unlock', OLD), ('unlock', NEW), ('lock', NEW)]


def test_refresh_holding_new_token_holds_on_a_device_that_refuses_a_second_lock():
    client, http = make_client(token_answer(NEW), refusal(423, 'busy'), refusal(423, 'User does not have the lock'),
                               response(204), response(204))
    new, how = client.refresh_holding(token(OLD))
    assert new.value == NEW and how is None


@pytest.mark.parametrize('old_unlock', [refusal(423, 'User does not have the lock'), refusal(401, 'Client not authorized')])
def test_refresh_holding_lost_lock_is_lock_lost(old_unlock):
    client, http = make_client(token_answer(NEW), refusal(423, 'busy'), old_unlock, refusal(423, 'Resource locked by another user'))
    err = failure(client.refresh_holding, token(OLD))
    assert err.reason == 'lock_lost' and 'neither the old nor the new token' in err.msg and 'lock again' in err.msg
    assert http.calls() == [('token', None), ('lock', NEW), ('unlock', OLD), ('unlock', NEW)]


def test_refresh_holding_refused_reauthentication_is_lock_lost():
    client, http = make_client(refusal(401, 'Client not authorized'))
    assert failure(client.refresh_holding, token(OLD)).reason == 'lock_lost' and len(http.sent) == 1


def test_refresh_holding_passes_other_failures_of_the_old_unlock_on():
    client, http = make_client(token_answer(NEW), refusal(423, 'busy'), refusal(500, 'Internal Server Error'))
    assert failure(client.refresh_holding, token(OLD)).reason == 'server_error' and len(http.sent) == 3


# --------------------------------------------------------------------------------------------- version, secrets, close

def test_follow_version_unless_pinned():
    client, http = make_client()
    client.follow_version('v1.1')
    assert client.api_version == 'v1.1'
    client.follow_version(None)
    client.follow_version('')
    assert client.api_version == 'v1.1'
    pinned, http = make_client(api_version='v1.2')
    pinned.follow_version('v1.0')
    assert pinned.api_version == 'v1.2'


def test_follow_version_is_spoken_on_the_next_call():
    client, http = make_client(response(204))
    client.follow_version('v1.0')
    client.unlock(token(OLD))
    assert http.sent[0]['path'] == 'rest/v1.0/configuration/unlock'


def test_keep_secret_redacts_a_token_handed_over():
    client, http = make_client(refusal(400, 'bad token %s' % OLD))
    assert OLD in http.redact(OLD)
    client.keep_secret(OLD)
    assert http.redact('x %s y' % OLD) == 'x ******** y'
    err = failure(client.lock, token(OLD))
    assert OLD not in err.msg and '********' in err.msg


def test_the_password_is_known_to_the_redactor_from_the_start():
    client, http = make_client()
    assert http.redact('x %s y' % PASSWORD) == 'x ******** y'


def test_close_closes_the_connection():
    client, http = make_client()
    client.close()
    assert http.closed


#: a device that quotes what it was sent; the new token only where the client has been given it
ECHO = 'echo %s %s' % (PASSWORD, OLD)
ECHO_NEW = '%s %s' % (ECHO, NEW)


@pytest.mark.parametrize('answers, call', [
    ([refusal(500, ECHO)], lambda client: client.authenticate()),
    ([refusal(403, ECHO)], lambda client: client.authenticate()),
    ([refusal(401, ECHO)], lambda client: client.authenticate()),
    ([response(200, envelope(messages=ECHO))], lambda client: client.authenticate()),
    ([response(200, ECHO, 'text/plain')], lambda client: client.authenticate()),
    ([refusal(404, 'Unsupported versionId ' + ECHO)] * 3, lambda client: client.authenticate()),
    ([refusal(401, ECHO)], lambda client: client.refresh(token(OLD))),
    ([refusal(502, ECHO)], lambda client: client.refresh(token(OLD))),
    ([response(200, envelope(messages=ECHO))], lambda client: client.refresh(token(OLD))),
    ([refusal(400, ECHO)], lambda client: client.lock(token(OLD))),
    ([refusal(401, ECHO)], lambda client: client.lock(token(OLD))),
    ([refusal(403, ECHO)], lambda client: client.unlock(token(OLD))),
    ([refusal(404, ECHO)], lambda client: client.unlock(token(OLD))),
    ([refusal(500, ECHO)], lambda client: client.release(token(OLD))),
    ([token_answer(NEW), refusal(423, ECHO_NEW), response(204), refusal(423, ECHO_NEW)], lambda client: client.refresh_holding(token(OLD))),
    ([token_answer(NEW), refusal(423, ECHO_NEW), refusal(423, ECHO_NEW), refusal(423, ECHO_NEW)],
     lambda client: client.refresh_holding(token(OLD))),
    ([token_answer(NEW), refusal(423, ECHO_NEW), refusal(500, ECHO_NEW)], lambda client: client.refresh_holding(token(OLD))),
    ([token_answer(NEW), response(403, ECHO_NEW, 'text/plain')], lambda client: client.refresh_holding(token(OLD))),
])
def test_no_secret_in_any_error_message(answers, call):
    client, http = make_client(*answers)
    client.keep_secret(OLD)  # a token of a lease, handed to the client before use
    err = failure(call, client)
    for secret in (PASSWORD, OLD, NEW):
        assert secret not in err.msg


# --------------------------------------------------------------------------------------------- a given token's API version

def versions_answer(latest, *others):
    other = ''.join('<version>%s</version>' % version for version in others)
    return response(200, envelope(data='<supportedVersions><latestVersion>%s</latestVersion><otherVersions>%s</otherVersions>'
                                       '</supportedVersions>' % (latest, other)))


@pytest.mark.parametrize('answer, expected', [
    (versions_answer('v1.2', 'v1.1', 'v1.0'), 'v1.2'),
    (versions_answer('v1.1', 'v1.0'), 'v1.1'),
    (versions_answer('v2.0', 'v1.0'), 'v1.0'),  # a newer SBC: the newest version this collection speaks
])
def test_a_given_token_learns_the_api_version_from_supportedversions(answer, expected):
    client, http = make_client(answer)
    client.discover_version(token(OLD))
    assert client.api_version == expected
    assert http.sent[0]['path'] == 'rest/api/supportedversions' and http.calls() == [('supportedversions', OLD)]


def test_a_pinned_or_known_version_is_not_looked_up():
    client, http = make_client(api_version='v1.1')
    client.discover_version(token(OLD))
    assert client.api_version == 'v1.1' and http.sent == []


def test_an_sbc_listing_no_known_version_says_set_api_version():
    client, http = make_client(versions_answer('v3.0'))
    err = failure(client.discover_version, token(OLD))
    assert err.reason == 'api_version' and 'set api_version' in err.msg and 'v3.0' in err.msg


def test_a_rejected_token_while_learning_the_version_is_a_401():
    client, http = make_client(refusal(401, 'Client not authorized'))
    err = failure(client.discover_version, token(OLD))
    assert err.status == 401
