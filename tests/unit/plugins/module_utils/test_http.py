"""The TLS context of HttpClient: what it trusts, when it is built again, and what it says about a bad CA file."""

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
