"""Attacks on the emulator's connection counters (GET /stats: ``connections`` and ``tls_handshakes {full, resumed}``).

docs/emulator.md: ``connections`` counts the TCP connections that carried a request since the last reset (a connection
still open at a reset counts again with its next request); ``tls_handshakes`` how each of those on TLS began.
Each test opens its connections by hand (raw sockets) so that it knows exactly how many carried a request.
"""

import concurrent.futures
import socket
import ssl
from urllib.parse import urlsplit

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

SBC_GET = 'GET /rest/v1.2/configuration/elementTypes HTTP/1.1\r\nHost: localhost\r\n%s\r\n'
SDM_GET = 'GET /rest/v1.3/admin/version HTTP/1.1\r\nHost: localhost\r\n%s\r\n'


def stats(emu, instance):
    return cc.control(emu, 'GET', '/stats', instance=instance).json()[instance]


def reset_stats(emu):
    assert cc.control(emu, 'POST', '/stats/reset').status_code == 200


def address(url):
    parts = urlsplit(url)
    return parts.hostname, parts.port


def read_answers(sock, count):
    """Read ``count`` HTTP answers (Content-Length framed, or to the end of the stream); return their status codes."""
    data, statuses = b'', []
    while len(statuses) < count:
        while b'\r\n\r\n' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return statuses
            data += chunk
        head, data = data.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        statuses.append(int(lines[0].split()[1]))
        length = [int(line.split(':', 1)[1]) for line in lines[1:] if line.lower().startswith('content-length:')]
        need = length[0] if length else None
        while need is not None and len(data) < need:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        data = data[need:] if need is not None else b''
    return statuses


def tls_context(emu, maximum=None):
    context = ssl.create_default_context(cafile=emu.ca_cert)
    if maximum is not None:
        context.maximum_version = maximum
    return context


def tls_requests(emu, url, raw_requests, context=None, session=None):
    """Send ``raw_requests`` (bytes, all in one write: pipelined) on one new TLS connection; return (statuses, session, reused)."""
    context = context or tls_context(emu)
    with socket.create_connection(address(url), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname='localhost', session=session) as tls:
            tls.sendall(b''.join(raw_requests))
            statuses = read_answers(tls, len(raw_requests))
            return statuses, tls.session, tls.session_reused


# ---------------------------------------------------------------------------------------------- TLS listeners

@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_pipelined_requests_on_one_tls_connection_count_one_connection(emulator, product):
    url, line, instance = (emulator.sbc_url(), SBC_GET, 'sbc1') if product == 'sbc' else (emulator.sdm_url(), SDM_GET, 'sdm1')
    reset_stats(emulator)
    statuses, _session, _reused = tls_requests(emulator, url, [(line % '').encode()] * 4 + [(line % 'Connection: close\r\n').encode()])
    assert len(statuses) == 5, statuses
    counted = stats(emulator, instance)
    assert counted['total'] == 5 and counted['connections'] == 1, counted
    assert counted['tls_handshakes'] == {'full': 1, 'resumed': 0}, counted


def test_requests_to_unknown_paths_and_methods_count_their_connections(emulator):
    reset_stats(emulator)
    requests_ = [b'GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n',
                 b'DELETE /rest/v1.2/auth/token HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n']
    statuses, _session, _reused = tls_requests(emulator, emulator.sbc_url(), requests_)
    assert len(statuses) == 2 and all(status >= 400 for status in statuses), statuses
    counted = stats(emulator, 'sbc1')
    assert counted['total'] == 2 and counted['connections'] == 1 and counted['tls_handshakes']['full'] == 1, counted


def test_a_keep_alive_connection_open_at_a_reset_counts_again_with_its_next_request(emulator):
    context = tls_context(emulator)
    with socket.create_connection(address(emulator.sbc_url()), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname='localhost') as tls:
            tls.sendall((SBC_GET % '').encode())
            assert len(read_answers(tls, 1)) == 1
            reset_stats(emulator)
            assert stats(emulator, 'sbc1')['connections'] == 0
            tls.sendall((SBC_GET % '').encode())
            assert len(read_answers(tls, 1)) == 1
            tls.sendall((SBC_GET % '').encode())
            assert len(read_answers(tls, 1)) == 1
    counted = stats(emulator, 'sbc1')
    assert counted['total'] == 2 and counted['connections'] == 1 and counted['tls_handshakes'] == {'full': 1, 'resumed': 0}, counted


@pytest.mark.parametrize('maximum', [ssl.TLSVersion.TLSv1_2, None], ids=['tls1.2', 'tls1.3'])
def test_resumed_tls_sessions_count_as_resumed(emulator, maximum):
    context = tls_context(emulator, maximum)
    reset_stats(emulator)
    line = (SBC_GET % 'Connection: close\r\n').encode()
    _statuses, session, reused = tls_requests(emulator, emulator.sbc_url(), [line], context)
    assert not reused
    resumed = [tls_requests(emulator, emulator.sbc_url(), [line], context, session=session)[2] for _attempt in range(3)]
    counted = stats(emulator, 'sbc1')
    assert counted['connections'] == 4, counted
    assert counted['tls_handshakes'] == {'full': 4 - sum(resumed), 'resumed': sum(resumed)}, (counted, resumed)


def test_a_session_of_one_instance_resumed_on_the_other_product_counts_there(emulator):
    """Both products share the emulator's TLS context: the handshake is counted where the request went."""
    context = tls_context(emulator)
    reset_stats(emulator)
    _statuses, session, _reused = tls_requests(emulator, emulator.sbc_url(), [(SBC_GET % 'Connection: close\r\n').encode()], context)
    _statuses, _session, reused = tls_requests(emulator, emulator.sdm_url(), [(SDM_GET % 'Connection: close\r\n').encode()], context, session)
    sbc1, sdm1 = stats(emulator, 'sbc1'), stats(emulator, 'sdm1')
    assert sbc1['connections'] == 1 and sbc1['tls_handshakes'] == {'full': 1, 'resumed': 0}, sbc1
    assert sdm1['connections'] == 1 and sdm1['tls_handshakes'] == {'full': 0 if reused else 1, 'resumed': 1 if reused else 0}, sdm1


def test_many_concurrent_connections_each_count_once(emulator):
    reset_stats(emulator)
    pair = [(SBC_GET % '').encode(), (SBC_GET % 'Connection: close\r\n').encode()]

    def one(_index):
        return tls_requests(emulator, emulator.sbc_url(), pair)[0]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one, range(40)))
    assert all(len(statuses) == 2 for statuses in answers), answers
    counted = stats(emulator, 'sbc1')
    assert counted['total'] == 80 and counted['connections'] == 40 and counted['tls_handshakes']['full'] + counted['tls_handshakes']['resumed'] == 40, counted


@pytest.mark.parametrize('kind', ['drop', 'drip'])
def test_a_fault_that_ends_the_connection_counts_it_once_and_the_retry_again(emulator, kind):
    fault = {'instance': 'sbc1', 'method': 'GET', 'path': '*/configuration/elementTypes', 'kind': kind, 'count': 1}
    if kind == 'drip':
        fault.update(bytes=64, delay=0.01)
    assert cc.control(emulator, 'POST', '/faults', fault).status_code in (200, 201, 204)
    reset_stats(emulator)
    line = (SBC_GET % '').encode()
    first, _session, _reused = tls_requests(emulator, emulator.sbc_url(), [line, line])  # the second never gets an answer
    second, _session, _reused = tls_requests(emulator, emulator.sbc_url(), [(SBC_GET % 'Connection: close\r\n').encode()])
    assert len(second) == 1, (first, second)
    counted = stats(emulator, 'sbc1')
    assert counted['connections'] == 2 and counted['tls_handshakes']['full'] + counted['tls_handshakes']['resumed'] == 2, counted


# ---------------------------------------------------------------------------------------------- plain HTTP listeners

@pytest.fixture(scope='module')
def http_emulator(tmp_path_factory):
    with cc.start_emulator(tmp_path_factory.mktemp('counters-http'), '--sbc-http', '--sdm-http') as emu:
        yield emu


def plain(emu, product):
    value = emu.urls[product + '_http']
    return value[product + '1'] if isinstance(value, dict) else value


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_plain_http_connections_count_without_a_tls_handshake(http_emulator, product):
    line = SBC_GET if product == 'sbc' else SDM_GET
    http_emulator.reset()
    with socket.create_connection(address(plain(http_emulator, product)), timeout=30) as sock:
        sock.sendall((line % '').encode() * 2 + (line % 'Connection: close\r\n').encode())
        statuses = read_answers(sock, 3)
    assert len(statuses) == 3, statuses
    counted = stats(http_emulator, product + '1')
    assert counted['total'] == 3 and counted['connections'] == 1 and counted['tls_handshakes'] == {'full': 0, 'resumed': 0}, counted


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_a_request_whose_client_half_closes_counts_its_connection(http_emulator, product):
    """A client that sends its request and then shuts its side down (SHUT_WR, as ``curl`` with ``--http1.0`` or a
    one-shot script may) still gets its answer: the request is counted, so must the connection that carried it."""
    line = SBC_GET if product == 'sbc' else SDM_GET
    http_emulator.reset()
    with socket.create_connection(address(plain(http_emulator, product)), timeout=30) as sock:
        sock.sendall((line % '').encode())
        sock.shutdown(socket.SHUT_WR)
        statuses = read_answers(sock, 1)
    counted = stats(http_emulator, product + '1')
    assert counted['total'] == len(statuses) == 1, (statuses, counted)
    assert counted['connections'] == 1, counted


def test_the_control_api_and_one_product_do_not_count_on_another(http_emulator):
    http_emulator.reset()
    with socket.create_connection(address(plain(http_emulator, 'sbc')), timeout=30) as sock:
        sock.sendall((SBC_GET % 'Connection: close\r\n').encode())
        read_answers(sock, 1)
    every = cc.control(http_emulator, 'GET', '/stats').json()
    assert every['sbc1']['connections'] == 1 and every['sdm1']['connections'] == 0, every
