"""TLS contexts: what each setting trusts, that one is built once per setting, and the socket bound to a request's deadline."""

import socket
import ssl
import time

import pytest
import trustme

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _tls
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import ACTIVE


@pytest.fixture(autouse=True)
def fresh_contexts(monkeypatch):
    monkeypatch.setattr(_tls, '_CONTEXTS', {})


def test_every_context_asks_for_tls_1_2_names_by_san_only_and_bounds_its_sockets(tmp_path):
    path = str(tmp_path / 'ca.pem')
    trustme.CA().cert_pem.write_to_path(path)
    for context in (_tls.tls_context(True, path), _tls.tls_context(False, None)):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        assert context.hostname_checks_common_name is False
        assert context.sslsocket_class is _tls._DeadlineSocket


def test_validate_certs_false_is_one_context_however_often_asked():
    assert _tls.tls_context(False, '/ignored.pem') is _tls.tls_context(False, None)


def test_a_missing_ca_file_raises_for_the_caller_to_explain(tmp_path):
    with pytest.raises(OSError):
        _tls.tls_context(True, str(tmp_path / 'missing.pem'))


def test_preparing_never_fails_even_on_files_that_are_no_certificates(tmp_path):
    junk = tmp_path / 'junk.pem'
    junk.write_text('not a certificate')
    _tls.prepare_tls({'SBC_CA_PATH': str(junk), 'SDM_CA_PATH': str(tmp_path / 'missing.pem')})
    assert _tls._CONTEXTS == {}  # both products name a file, so no system store; and neither file could be loaded


class _Stub:
    def __init__(self):
        self.timeouts = []

    def settimeout(self, seconds):
        self.timeouts.append(seconds)


def test_the_socket_waits_no_longer_than_the_time_left_and_not_at_all_once_it_is_up():
    stub = _Stub()
    try:
        ACTIVE.deadline = None
        _tls._DeadlineSocket._bound(stub)
        assert stub.timeouts == []  # outside a request: a plain socket
        ACTIVE.deadline = time.monotonic() + 5
        _tls._DeadlineSocket._bound(stub)
        assert len(stub.timeouts) == 1 and 4 < stub.timeouts[0] <= 5
        ACTIVE.deadline = time.monotonic() - 0.1
        with pytest.raises(socket.timeout):
            _tls._DeadlineSocket._bound(stub)
    finally:
        ACTIVE.deadline = None
