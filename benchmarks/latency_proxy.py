"""A userspace TCP proxy that delays every byte by a fixed time in each direction: a WAN on loopback.

``tc netem`` is not available on these machines. Each chunk read from one side is written to the other ``delay``
seconds after it arrived, in order, so a request/answer exchange costs one round trip of ``2 * delay`` on top of
what it costs on loopback, and a TCP connect plus a TLS handshake cost theirs (the handshake's flights cross the
proxy like any data; the TCP connect to the proxy itself is local, so the proxy adds one round trip before it
accepts the client's first byte: it connects upstream only after waiting ``2 * delay``). Bandwidth is not limited.

A peer's reset reaches the other side as a reset, after the bytes that came before it (also delayed). The proxy
runs in a thread of the benchmark process (its own event loop) and stops with it or on ``close()``, which ends every
connection it carries.
"""

import asyncio
import socket
import struct
import threading
import time

_CHUNK = 65536
#: What a queue carries in place of data: the end of the stream, or a reset.
_EOF, _RESET = None, object()


class LatencyProxy:
    """Listens on 127.0.0.1 (an ephemeral port) and forwards every connection to ``upstream`` (host, port)."""

    def __init__(self, upstream, delay):
        self.upstream = upstream
        self.delay = float(delay)
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._writers = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name='latency-proxy', daemon=True)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(512)
        self.port = self._sock.getsockname()[1]

    @property
    def address(self):
        """``127.0.0.1:PORT``, as SBC_HOST/SDM_HOST take it."""
        return '127.0.0.1:%d' % self.port

    def __enter__(self):
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError('the latency proxy did not start')
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stop accepting and end every connection (the listening socket too, if the proxy never started)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        else:
            self._sock.close()

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, sock=self._sock))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _serve(self, client_reader, client_writer):
        self.connections += 1
        # the SYN / SYN-ACK round trip the proxy's local accept did not cost
        await asyncio.sleep(2 * self.delay)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        for writer in (client_writer, upstream_writer):
            writer.transport.get_extra_info('socket').setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._writers.add(writer)
        try:
            await asyncio.gather(self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer),
                                 return_exceptions=True)
        finally:
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                writer.close()

    async def _pump(self, reader, writer):
        """Copy ``reader`` to ``writer``, each chunk ``delay`` after it arrived; pass the end of the stream, or a reset,
        on the same way, after what came before it."""
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is _EOF:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                if data is _RESET:
                    # a reset, not a clean end: close with SO_LINGER 0, which sends RST
                    sock = writer.transport.get_extra_info('socket')
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                    writer.transport.abort()
                    return
                writer.write(data)
                await writer.drain()

        delivering = asyncio.ensure_future(deliver())
        try:
            while True:
                try:
                    data = await reader.read(_CHUNK)
                except (OSError, ConnectionError):
                    queue.put_nowait((time.monotonic() + self.delay, _RESET))
                    break
                queue.put_nowait((time.monotonic() + self.delay, data if data else _EOF))
                if not data:
                    break
            await delivering
        except (OSError, ConnectionError):
            writer.transport.abort()
        finally:
            if not delivering.done():
                delivering.cancel()
