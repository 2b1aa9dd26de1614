"""HttpClient: the TLS context (what it trusts, when it is built again, what it says about a bad CA file), how long it has been idle,
and, against a loopback HTTPS device, the deadline of a request, which failures are retried, the size bound and warnings."""

import gzip
import os
import re
import socket
import ssl
import threading
import time
import warnings

import pytest
import trustme

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _http, _tls
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import Endpoint
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import time_left
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_pool import HttpsConnection


@pytest.fixture(autouse=True)
def fresh_contexts(monkeypatch):
    monkeypatch.setattr(_tls, '_CONTEXTS', {})


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
    _tls.prepare_tls({'SBC_CA_PATH': path, 'SDM_CA_PATH': str(tmp_path / 'missing.pem')})
    assert any(key[1:2] == (os.path.abspath(path),) for key in _tls._CONTEXTS)


def test_preparing_loads_the_system_trust_store_only_where_a_product_has_no_ca_file(tmp_path, monkeypatch):
    path = ca_file(tmp_path)
    monkeypatch.setattr(_tls, '_CONTEXTS', {})
    _tls.prepare_tls({'SBC_CA_PATH': path, 'SDM_CA_PATH': path})
    assert (True,) not in _tls._CONTEXTS and len(_tls._CONTEXTS) == 1
    _tls.prepare_tls({'SBC_CA_PATH': path})
    assert (True,) in _tls._CONTEXTS


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


# --------------------------------------------------------------------------------------------- against a loopback device

class Device:
    """A loopback HTTPS server in threads: each request, counted, is answered by ``answer(conn, n)`` (n from 1).

    ``close`` ends every connection and joins every thread, so that none outlives the test.
    """

    def __init__(self, tmp_path, answer):
        ca = trustme.CA()
        self.ca_path = str(tmp_path / 'device-ca.pem')
        ca.cert_pem.write_to_path(self.ca_path)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert('127.0.0.1').configure_cert(self.context)
        self.answer = answer
        self.requests = 0
        self.connections = 0
        self.stop = threading.Event()
        self.sockets = []
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def client(self, timeout=5, validate_certs=True, ca_path=None, **kwargs):
        kwargs.setdefault('sleep', lambda _seconds: None)
        return HttpClient(Endpoint('127.0.0.1', self.port), 'SBC', validate_certs, ca_path or (self.ca_path if validate_certs else None),
                          timeout, **kwargs)

    def close(self):
        self.stop.set()
        for sock in [self.listener] + self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept or recv on it
            except OSError:
                pass
        self.listener.close()
        for thread in self.threads:
            thread.join(10)

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self.sockets.append(conn)
            self.threads.append(threading.Thread(target=self._serve, args=(conn,), daemon=True))
            self.threads[-1].start()

    def _serve(self, conn):
        try:
            conn = self.context.wrap_socket(conn, server_side=True)
            self.sockets.append(conn)
            pending = b''
            while True:
                while b'\r\n\r\n' not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, pending = pending.split(b'\r\n\r\n', 1)
                length = int(re.search(rb'(?i)content-length:\s*(\d+)', head).group(1)) if b'ontent-' in head else 0
                while len(pending) < length:
                    pending += conn.recv(65536)
                pending = pending[length:]
                self.requests += 1
                if self.answer(conn, self.requests) is False:
                    return
        except OSError:
            return  # the client went away, or a TLS handshake it refused
        finally:
            conn.close()


@pytest.fixture
def device(tmp_path):
    """Make a Device with an answer function; all are stopped at the end of the test."""
    made = []

    def make(answer):
        made.append(Device(tmp_path, answer))
        return made[-1]
    yield make
    for each in made:
        each.close()


def answer(status=200, body=b'<response/>', extra=b''):
    return b'HTTP/1.1 %d X\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n%s\r\n%s' % (status, len(body), extra, body)


def replies(*raw):
    """An answer function sending ``raw[n - 1]`` to request n (the last one again after the end)."""
    def send(conn, n):
        conn.sendall(raw[min(n, len(raw)) - 1])
    return send


def drop(conn, n):
    return False  # close the connection without a word


def drip(data, interval):
    """An answer function sending ``data`` one byte every ``interval`` seconds, until the client hangs up or the Device closes."""
    def send(conn, n):
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(interval)  # the pace of the device under test, not a wait of the test
        return False
    return send


def failure(call):
    with pytest.raises(OracleError) as caught:
        call()
    assert '\n' not in caught.value.msg
    return caught.value


@pytest.mark.parametrize('idempotent', [True, False])
@pytest.mark.parametrize('slow', ['whole answer', 'body only'])
def test_timeout_bounds_the_whole_answer_of_a_device_that_drips_it(device, idempotent, slow):
    full = answer(body=b'<response><data>' + b'x' * 400 + b'</data></response>')
    head, body = full.split(b'\r\n\r\n', 1)
    if slow == 'whole answer':
        dripping = device(drip(full, 0.02))  # 500 bytes: 10 s at this pace, each byte well within any read timeout
    else:
        def dripping_body(conn, n):
            conn.sendall(head + b'\r\n\r\n')
            return drip(body, 0.02)(conn, n)
        dripping = device(dripping_body)
    client = dripping.client(timeout=1)
    started = time.monotonic()
    error = failure(lambda: client.request('POST', 'rest/v1.2/auth/token', idempotent=idempotent))
    elapsed = time.monotonic() - started
    assert error.reason == 'network'
    assert error.msg.startswith('no complete answer from 127.0.0.1:%d within 1 s; ' % dripping.port), error.msg
    assert 0.9 <= elapsed < 5.5, elapsed  # the deadline, plus room for a loaded machine; 10 s without it
    assert dripping.requests == 1  # no time was left for a retry


def test_a_device_that_never_answers_gives_no_answer_within_the_timeout(device):
    silent = device(lambda conn, n: silent.stop.wait(30))
    started = time.monotonic()
    error = failure(lambda: silent.client(timeout=0.5).request('POST', 'rest/v1.2/configuration/lock'))
    assert error.reason == 'network' and error.msg.startswith('no answer from 127.0.0.1:%d within 0.5 s; ' % silent.port), error.msg
    assert time.monotonic() - started < 10  # the deadline and room for a loaded machine; 30 s without it


def test_the_timeout_keyword_of_one_call_is_its_total(device):
    silent = device(lambda conn, n: silent.stop.wait(30))
    started = time.monotonic()
    error = failure(lambda: silent.client(timeout=30).request('POST', 'rest/v1.3/admin/logout', timeout=0.5))
    assert 'within 0.5 s' in error.msg and time.monotonic() - started < 10  # 30 s with the client's own timeout


def test_retries_of_an_idempotent_call_end_at_the_deadline_with_the_last_answer(device):
    busy = device(replies(answer(503, b'busy')))
    sleeps = []
    client = busy.client(timeout=1.5, retries=100, sleep=lambda seconds: (sleeps.append(seconds), time.sleep(seconds)))
    started = time.monotonic()
    response = client.request('POST', 'rest/v1.2/auth/token', idempotent=True)
    assert response.status_code == 503 and response.text == 'busy'  # the last answer, for the caller to explain
    assert time.monotonic() - started < 10  # the deadline and room for a loaded machine; minutes for 100 tries
    assert 2 < busy.requests < 100 and all(seconds <= 2.1 for seconds in sleeps)


@pytest.fixture
def refused_port():
    """A port that refuses connections for the whole test: bound, never listening, so no other test can take it."""
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    yield probe.getsockname()[1]
    probe.close()


def count_connection_attempts(monkeypatch):
    attempts = []
    opened = HttpsConnection._new_conn

    def counted(conn):
        attempts.append(conn.port)
        return opened(conn)
    monkeypatch.setattr(HttpsConnection, '_new_conn', counted)
    return attempts


@pytest.mark.parametrize('idempotent', [True, False])
def test_a_refused_connection_is_retried_whatever_the_call(monkeypatch, refused_port, idempotent):
    attempts = count_connection_attempts(monkeypatch)
    sleeps = []
    client = HttpClient(Endpoint('127.0.0.1', refused_port), 'SBC', timeout=5, retries=3, sleep=sleeps.append)
    error = failure(lambda: client.request('POST', 'rest/v1.2/configuration/lock', idempotent=idempotent))
    assert error.reason == 'network' and error.msg.startswith('connection to 127.0.0.1:') and 'refused' in error.msg, error.msg
    assert len(attempts) == 4  # the request never left: always safe to send again
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 0.6 and 1.0 <= sleeps[1] <= 1.1  # 0, 0.5, 1 s plus jitter


@pytest.mark.parametrize('idempotent, sent', [(True, 4), (False, 1)])
def test_a_dropped_connection_is_retried_only_for_an_idempotent_call(device, idempotent, sent):
    dropping = device(drop)
    error = failure(lambda: dropping.client(retries=3).request('POST', 'rest/v1.2/configuration/lock', idempotent=idempotent))
    assert error.reason == 'network' and 'closed the connection without an answer' in error.msg, error.msg
    assert dropping.requests == sent


@pytest.mark.parametrize('status', [500, 502, 503, 504])
@pytest.mark.parametrize('idempotent, sent', [(True, 4), (False, 1)])
def test_a_5xx_answer_is_retried_only_for_an_idempotent_call_and_the_last_one_returned(device, status, idempotent, sent):
    failing = device(replies(answer(status, b'failed')))
    response = failing.client(retries=3).request('POST', 'rest/v1.2/configuration/unlock', idempotent=idempotent)
    assert response.status_code == status and response.text == 'failed'
    assert failing.requests == sent


def test_an_idempotent_call_answered_after_a_503_returns_that_answer(device):
    recovering = device(replies(answer(503, b'busy'), answer(200, b'<ok/>')))
    response = recovering.client().request('POST', 'rest/v1.2/auth/token', idempotent=True)
    assert (response.status_code, response.text, recovering.requests) == (200, '<ok/>', 2)


def test_other_4xx_answers_are_never_retried(device):
    refusing = device(replies(answer(401, b'no')))
    assert refusing.client().request('POST', 'rest/v1.2/auth/token', idempotent=True).status_code == 401
    assert refusing.requests == 1


def test_an_untrusted_certificate_is_tls_and_not_retried(device, tmp_path, monkeypatch):
    attempts = count_connection_attempts(monkeypatch)
    untrusted = device(replies(answer()))
    error = failure(lambda: untrusted.client(ca_path=ca_file(tmp_path, 'other.pem')).request('POST', 'rest/v1.2/auth/token', idempotent=True))
    assert error.reason == 'tls' and 'is not trusted (certificate verify failed: ' in error.msg, error.msg
    assert len(attempts) == 1 and untrusted.requests == 0


def test_requests_share_one_kept_alive_connection(device):
    answering = device(replies(answer(200, b'<one/>'), answer(204, b'')))
    client = answering.client()
    assert client.request('POST', 'rest/v1.2/auth/token', idempotent=True).text == '<one/>'
    assert client.request('POST', 'rest/v1.2/configuration/lock').status_code == 204
    assert (answering.requests, answering.connections) == (2, 1)
    assert time_left() is None  # no deadline outlives its request


def test_an_answer_of_exactly_the_limit_is_read(device):
    body = b'x' * _http.MAX_ANSWER
    assert len(device(replies(answer(200, body))).client().request('GET', 'rest/api/supportedversions').content) == _http.MAX_ANSWER


def test_an_answer_declared_larger_than_the_limit_is_refused_unread(device):
    huge = device(replies(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n<response>' % (50 * _http.MAX_ANSWER)))
    error = failure(lambda: huge.client(timeout=2).request('GET', 'rest/api/supportedversions', idempotent=True))
    assert error.reason == 'bad_response' and error.msg.startswith('127.0.0.1:%d sent more than 1 MiB in answer to GET '
                                                                   'rest/api/supportedversions' % huge.port), error.msg


def test_an_endless_answer_is_refused_after_the_limit(device):
    def endless(conn, n):
        conn.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')
        chunk = b'%x\r\n%s\r\n' % (65536, b'y' * 65536)
        while not endless_device.stop.is_set():
            conn.sendall(chunk)
    endless_device = device(endless)
    started = time.monotonic()
    error = failure(lambda: endless_device.client(timeout=20).request('POST', 'rest/v1.2/auth/token', idempotent=True))
    assert error.reason == 'bad_response' and 'more than 1 MiB' in error.msg  # not a timeout: reading stopped at the limit
    assert time.monotonic() - started < 10


@pytest.mark.filterwarnings('error')
def test_validate_certs_false_prints_no_warning_and_leaves_other_code_its_warnings(device, recwarn):
    lab = device(replies(answer(200, b'<ok/>')))
    client = lab.client(validate_certs=False)
    for _call in range(2):
        assert client.request('POST', 'rest/v1.2/auth/token', idempotent=True).text == '<ok/>'
    assert not recwarn.list
    with pytest.warns(_http.urllib3.exceptions.InsecureRequestWarning):
        warnings.warn('from some other code', _http.urllib3.exceptions.InsecureRequestWarning)


def test_a_compressed_answer_is_read_decoded(device):
    body = b'<response>' + b'<data>ok</data>' * 2000 + b'</response>'
    packed = device(replies(answer(200, gzip.compress(body), b'Content-Encoding: gzip\r\n')))
    assert packed.client().request('POST', 'rest/v1.2/auth/token', idempotent=True).content == body


def test_a_compressed_answer_larger_than_the_limit_once_decoded_is_refused(device):
    bomb = device(replies(answer(200, gzip.compress(b'\0' * (20 * _http.MAX_ANSWER)), b'Content-Encoding: gzip\r\n')))
    error = failure(lambda: bomb.client().request('POST', 'rest/v1.2/auth/token', idempotent=True))
    assert error.reason == 'bad_response' and 'more than 1 MiB' in error.msg


def test_a_large_answer_that_is_retried_is_read_no_further_than_the_limit(device):
    recovering = device(replies(answer(503, b'z' * (3 * _http.MAX_ANSWER)), answer(200, b'<ok/>')))
    response = recovering.client().request('POST', 'rest/v1.2/auth/token', idempotent=True)
    assert (response.status_code, response.text, recovering.requests) == (200, '<ok/>', 2)
    assert recovering.connections == 2  # the first one was given up with most of its answer unread


class ConnectProxy:
    """A loopback HTTP proxy that tunnels CONNECT requests, in threads; ``tunnels`` counts them."""

    def __init__(self):
        self.tunnels = 0
        self.sockets = []
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.url = 'http://127.0.0.1:%d' % self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _start(self, target, *args):
        self.threads.append(threading.Thread(target=target, args=args, daemon=True))
        self.threads[-1].start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            self._start(self._tunnel, client)

    def _tunnel(self, client):
        head = b''
        while b'\r\n\r\n' not in head:
            head += client.recv(4096)
        host, port = head.split(b' ')[1].decode().rsplit(':', 1)
        upstream = socket.create_connection((host, int(port)))
        self.sockets.append(upstream)
        self.tunnels += 1
        client.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
        self._start(self._pipe, client, upstream)
        self._start(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source, sink):
        try:
            for data in iter(lambda: source.recv(65536), b''):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for each in (source, sink):
                try:
                    each.shutdown(socket.SHUT_RDWR)  # the other direction ends too
                except OSError:
                    pass

    def close(self):
        for sock in [self.listener] + self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self.threads:
            thread.join(10)
        for sock in [self.listener] + self.sockets:
            sock.close()


def test_through_a_proxy_the_pool_is_ours_and_the_deadline_holds(device, monkeypatch):
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv('HTTPS_PROXY', proxy.url)
        monkeypatch.delenv('NO_PROXY', raising=False)
        monkeypatch.delenv('no_proxy', raising=False)
        answering = device(replies(answer(200, b'<ok/>')))
        assert answering.client().request('POST', 'rest/v1.2/auth/token', idempotent=True).text == '<ok/>'
        dripping = device(drip(answer(body=b'x' * 400), 0.02))
        started = time.monotonic()
        error = failure(lambda: dripping.client(timeout=1).request('POST', 'rest/v1.2/auth/token', idempotent=True))
        assert error.msg.startswith('no complete answer from 127.0.0.1:%d within 1 s; ' % dripping.port), error.msg
        assert time.monotonic() - started < 5.5 and proxy.tunnels == 2  # 9 s without the deadline
    finally:
        proxy.close()
