"""benchmarks.latency_proxy: every byte arrives, in order, no sooner than the delay in each direction."""

import socket
import threading
import time

from benchmarks.latency_proxy import LatencyProxy

DELAY = 0.05


def echo_server():
    """A TCP echo server on 127.0.0.1 (daemon threads); returns its (host, port)."""
    server = socket.create_server(('127.0.0.1', 0))

    def serve(connection):
        with connection:
            while True:
                data = connection.recv(65536)
                if not data:
                    break
                connection.sendall(data)

    def accept():
        while True:
            connection, _address = server.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()


def receive(connection, size):
    data = b''
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_a_round_trip_costs_at_least_twice_the_delay_and_bytes_arrive_in_order():
    with LatencyProxy(echo_server(), DELAY) as proxy:
        with socket.create_connection(('127.0.0.1', proxy.port), timeout=60) as connection:
            payload = bytes(range(256)) * 1000  # more than one chunk
            started = time.monotonic()
            connection.sendall(payload)
            assert receive(connection, len(payload)) == payload
            # connect (one round trip the proxy adds) and the echo (one more): never sooner, however idle the machine
            assert time.monotonic() - started >= 2 * DELAY
            started = time.monotonic()
            connection.sendall(b'again')
            assert receive(connection, 5) == b'again'
            assert time.monotonic() - started >= 2 * DELAY
            connection.shutdown(socket.SHUT_WR)
            assert connection.recv(10) == b''  # the end of the stream crosses too
        assert proxy.connections == 1


def test_each_connection_is_counted_and_the_proxy_stops():
    proxy = LatencyProxy(echo_server(), 0.001)
    with proxy:
        for _unused in range(3):
            with socket.create_connection(('127.0.0.1', proxy.port), timeout=60) as connection:
                connection.sendall(b'x')
                assert receive(connection, 1) == b'x'
        assert proxy.connections == 3
    assert proxy.address == '127.0.0.1:%d' % proxy.port
