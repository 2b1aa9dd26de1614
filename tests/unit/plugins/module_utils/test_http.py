"""HttpClient: the TLS context (what it trusts, when it is built again, what it says about a bad CA file), and how long it has been idle."""

import os
import ssl

import pytest
import trustme

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _http
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import REASON_BAD_INPUT, Endpoint, HttpClient, OracleError


@pytest.fixture(autouse=True)
def fresh_contexts(monkeypatch):
    monkeypatch.setattr(_http, '_CONTEXTS', {})


def ca_file(tmp_path, name='ca.pem'):
    path = tmp_path / name
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def test_a_context_is_built_once_per_ca_file_version(tmp_path):
    path = ca_file(tmp_path)
    first = _http.tls_context(True, path)
    assert _http.tls_context(True, path) is first
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert len(first.get_ca_certs()) == 1  # that file only: no system store, no certifi
    trustme.CA().cert_pem.write_to_path(path + '.new')
    os.replace(path + '.new', path)  # a new CA certificate at the same path
    assert _http.tls_context(True, path) is not first


def test_validate_certs_false_checks_nothing():
    context = _http.tls_context(False, None)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_the_client_trusts_its_context_only_and_ignores_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', ca_file(tmp_path, 'other.pem'))
    path = ca_file(tmp_path)
    client = HttpClient(Endpoint('sbc.test', 443), 'SBC', True, path)
    assert client.session.trust_env is False
    assert client.session.get_adapter('https://sbc.test/')._context is _http.tls_context(True, path)


def test_proxies_from_the_environment_are_still_honoured(monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.test:3128')
    monkeypatch.setenv('NO_PROXY', 'sdm.test')
    assert HttpClient(Endpoint('sbc.test', 443), 'SBC').session.proxies.get('https') == 'http://proxy.test:3128'
    assert not HttpClient(Endpoint('sdm.test', 443), 'SDM').session.proxies


def test_a_ca_file_that_is_not_pem_is_bad_input_with_what_to_do(tmp_path):
    path = tmp_path / 'notes.txt'
    path.write_text('not a certificate')
    with pytest.raises(OracleError) as caught:
        HttpClient(Endpoint('sbc.test', 443), 'SBC', True, str(path))
    assert caught.value.reason == REASON_BAD_INPUT
    assert 'point it at the PEM file of the CA that signed the SBC certificate' in caught.value.msg


def test_preparing_never_fails_and_builds_what_the_environment_names(tmp_path):
    path = ca_file(tmp_path)
    _http.prepare_tls({'SBC_CA_PATH': path, 'SDM_CA_PATH': str(tmp_path / 'missing.pem')})
    assert any(key[1:2] == (os.path.abspath(path),) for key in _http._CONTEXTS)


class _Session:
    def __init__(self, *answers):
        self.answers = list(answers)

    def request(self, method, url, **kwargs):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_idle_for_counts_from_the_end_of_the_last_request_answered_or_not(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(_http.time, 'monotonic', lambda: clock[0])
    answer = _http.requests.Response()
    answer.status_code = 200
    client = HttpClient(Endpoint('sdm.test', 8443), 'SDM', retries=0, sleep=lambda _seconds: None,
                        session_factory=lambda: _Session(answer, _http.requests.exceptions.ConnectionError('reset by peer')))
    assert client.idle_for() == 0.0  # no connection yet: nothing to go stale
    client.request('GET', 'rest/v1.3/admin/serverInfo', idempotent=True)
    clock[0] = 112.5
    assert client.idle_for() == 12.5
    with pytest.raises(OracleError):
        client.request('GET', 'rest/v1.3/admin/serverInfo', idempotent=True)
    assert client.idle_for() == 0.0
