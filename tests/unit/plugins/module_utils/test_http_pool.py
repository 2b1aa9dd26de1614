"""The connection, pool and adapter classes under HttpClient: no connection once the time is up, our context and pools only."""

import ssl
import time

import pytest
import urllib3
import urllib3.connection

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import ACTIVE
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_pool import (
    POOL_CLASSES,
    HttpsConnection,
    HttpsPool,
    NoTimeLeft,
    TlsAdapter,
)


@pytest.fixture
def deadline():
    def set_in(seconds):
        ACTIVE.deadline = time.monotonic() + seconds
    yield set_in
    ACTIVE.deadline = None


def test_no_connection_is_opened_once_the_time_is_up(deadline, monkeypatch):
    opened = []
    monkeypatch.setattr(urllib3.connection.HTTPSConnection, '_new_conn', lambda conn: opened.append(conn.timeout))
    deadline(-0.1)
    with pytest.raises(NoTimeLeft):
        HttpsConnection('127.0.0.1', 9, timeout=30)._new_conn()
    assert opened == []


def test_a_connection_waits_no_longer_than_the_time_left(deadline, monkeypatch):
    opened = []
    monkeypatch.setattr(urllib3.connection.HTTPSConnection, '_new_conn', lambda conn: opened.append(conn.timeout))
    deadline(2)
    HttpsConnection('127.0.0.1', 9, timeout=30)._new_conn()
    HttpsConnection('127.0.0.1', 9, timeout=0.5)._new_conn()
    assert 1 < opened[0] <= 2 and opened[1] == 0.5
    ACTIVE.deadline = None
    HttpsConnection('127.0.0.1', 9, timeout=30)._new_conn()
    assert opened[2] == 30  # outside a request: the timeout given


def test_the_adapter_uses_our_context_and_pools_and_no_ca_bundle():
    context = ssl.create_default_context()
    adapter = TlsAdapter(context)
    assert adapter.poolmanager.pool_classes_by_scheme is POOL_CLASSES and POOL_CLASSES['https'] is HttpsPool
    assert adapter.poolmanager.connection_pool_kw['ssl_context'] is context
    proxied = adapter.proxy_manager_for('http://proxy.test:3128')
    assert proxied.pool_classes_by_scheme is POOL_CLASSES and proxied.connection_pool_kw['ssl_context'] is context
    conn = HttpsPool('sbc.test', 443)
    adapter.cert_verify(conn, 'https://sbc.test/', True, None)
    assert (conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir) == ('CERT_REQUIRED', None, None)
    adapter.cert_verify(conn, 'https://sbc.test/', False, None)
    assert conn.cert_reqs == 'CERT_NONE'
    assert HttpsPool.ConnectionCls is HttpsConnection
