"""What a failed request says: failures told apart by the types of the exceptions they wrap, answers by their status."""

import socket
import ssl

import pytest
import requests
import urllib3.exceptions

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import Endpoint
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_errors import (
    answer_error,
    body_error,
    tls_error,
    transport_error,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from tests.unit.plugins.module_utils.test_sbc import envelope, response

SECRET = 'pw-4711-secret'


class Client:
    endpoint = Endpoint('sbc.test', 443)
    product = 'SBC'
    redact = Redactor(SECRET)


def wrapped(cause):
    """``cause`` as requests raises it: a ConnectionError around urllib3's MaxRetryError around the cause."""
    try:
        try:
            raise cause
        except Exception as inner:
            raise urllib3.exceptions.MaxRetryError(None, '/rest', inner) from inner
    except urllib3.exceptions.MaxRetryError as retried:
        return requests.exceptions.ConnectionError(retried)


@pytest.mark.parametrize('cause, reason, start', [
    (ConnectionRefusedError(111, 'Connection refused'), 'network', 'connection to sbc.test:443 refused; '),
    (socket.gaierror(-2, 'Name or service not known'), 'network', 'cannot resolve host sbc.test; '),
    (ConnectionResetError(104, 'reset'), 'network', 'sbc.test:443 closed the connection without an answer; '),
    (urllib3.exceptions.ProxyError('no proxy', OSError(113, 'No route to host')), 'network', 'cannot reach sbc.test:443 through the proxy'),
    (urllib3.exceptions.DecodeError('bad gzip'), 'bad_response', 'sbc.test:443 sent an answer that could not be decoded'),
    (ValueError('odd %s' % SECRET), 'network', 'cannot reach sbc.test:443: '),
])
def test_a_failure_is_told_by_its_type(cause, reason, start):
    error = transport_error(Client(), wrapped(cause), 30, False)
    assert error.reason == reason and error.msg.startswith(start), error.msg
    assert SECRET not in error.msg and '\n' not in error.msg


def test_a_timeout_says_whether_the_device_answered_at_all():
    timeout = urllib3.exceptions.ReadTimeoutError(None, '/rest', 'read timed out')
    assert transport_error(Client(), wrapped(timeout), 2.5, False).msg.startswith('no answer from sbc.test:443 within 2.5 s; ')
    assert transport_error(Client(), wrapped(timeout), 2.5, True).msg.startswith('no complete answer from sbc.test:443 within 2.5 s; ')


def test_a_connection_that_could_not_be_made_is_no_timeout():
    failed = urllib3.exceptions.NewConnectionError(None, 'Failed to establish a new connection: [Errno 113] No route to host')
    failed.__cause__ = OSError(113, 'No route to host')
    error = transport_error(Client(), wrapped(failed), 30, False)
    assert error.msg == 'cannot reach sbc.test:443: [Errno 113] No route to host', error.msg


def verify_failure(code, message):
    failure = ssl.SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: %s' % message)
    failure.verify_code, failure.verify_message, failure.reason = code, message, 'CERTIFICATE_VERIFY_FAILED'
    return failure


@pytest.mark.parametrize('failure, words', [
    (verify_failure(62, "Hostname mismatch, certificate is not valid for 'sbc.test'."), 'does not name that host'),
    (verify_failure(20, 'unable to get local issuer certificate'), 'is not trusted (certificate verify failed: unable to get local'),
])
def test_a_certificate_failure_says_what_to_set(failure, words):
    error = transport_error(Client(), wrapped(failure), 30, False)
    assert error.reason == 'tls' and words in error.msg, error.msg


def test_a_port_that_speaks_plain_http_is_named_so():
    failure = ssl.SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)')
    failure.reason = 'WRONG_VERSION_NUMBER'
    assert 'the port seems to speak plain HTTP; use the HTTPS port of the SBC REST API' in tls_error(Client(), [failure]).msg


def test_another_tls_failure_gives_openssls_reason_in_one_line():
    failure = ssl.SSLError(1, '[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:1000)')
    error = tls_error(Client(), [failure])
    assert error.msg == 'TLS with sbc.test:443 failed (tlsv1 alert protocol version); check the port and the certificate settings'


@pytest.mark.parametrize('status, reason, words', [
    (401, 'auth_failed', 'was refused: not authorized (401): no; check username and password'),
    (403, 'forbidden', 'forbidden (403): no; the user needs administrator rights'),
    (404, 'not_found', 'failed: not found (404): no'),
    (426, 'tls', 'requires HTTPS (426): no'),
    (503, 'server_error', 'the device answered 503: no; retry later'),
    (418, 'bad_response', 'unexpected answer 418: no'),
])
def test_an_unexpected_answer_is_told_by_its_status(status, reason, words):
    error = answer_error(Client(), response(status, envelope(messages='<message>no</message>')), 'taking the lock')
    assert error.reason == reason and error.status == status and error.msg.startswith('taking the lock on SBC sbc.test:443 ')
    assert words in error.msg, error.msg


def test_a_404_about_the_version_is_api_version_and_another_may_be_worded_by_the_caller():
    unsupported = response(404, envelope(messages='<message>Unsupported versionId in URI</message>'))
    assert answer_error(Client(), unsupported, 'asking').reason == 'api_version'
    assert answer_error(Client(), response(404), 'asking', not_found='no such device').msg == 'no such device'


def test_an_answer_with_no_text_says_so_and_secrets_never_leave():
    assert answer_error(Client(), response(418), 'asking').msg.endswith('unexpected answer 418 with no text')
    error = answer_error(Client(), response(401, envelope(messages='<message>bad %s</message>' % SECRET)), 'asking')
    assert SECRET not in error.msg


def test_a_body_that_is_not_what_the_api_documents_is_bad_response():
    error = body_error(Client(), response(200, 'hello'), 'reading the token', 'an access token')
    assert error.reason == 'bad_response'
    assert error.msg == 'reading the token on sbc.test:443: the answer (200) did not carry an access token but hello; is this the SBC REST API?'
    assert 'but an empty body' in body_error(Client(), response(200), 'reading', 'a token').msg
