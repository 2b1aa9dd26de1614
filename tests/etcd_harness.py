"""A real single-node etcd for the tests: loopback only, random ports, data in a temporary directory.

``start_etcd(tmp)`` is a context manager yielding an :class:`Etcd` (its client URL); etcd is stopped (SIGTERM, then
SIGKILL) when the context ends. Without the ``etcd`` binary the tests that need it fail with a message saying how
to get it (tools/bootstrap.sh installs the Debian package etcd-server when run as root).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

START_TIMEOUT = 20.0


#: Runs etcd and ends it when the process that asked for it is gone (a pytest worker that ended without its
#: teardown, or killed), or after MAX_LIFE seconds: no etcd of the tests outlives them.
_WATCHDOG = r"""
import os, signal, subprocess, sys, time
parent, life = int(sys.argv[1]), float(sys.argv[2])
child = subprocess.Popen(sys.argv[3:])
signal.signal(signal.SIGTERM, lambda *_: child.terminate())
ends = time.monotonic() + life
while child.poll() is None:
    try:
        os.kill(parent, 0)
    except OSError:
        child.terminate()
        break
    if time.monotonic() > ends:
        child.terminate()
        break
    time.sleep(0.5)
try:
    sys.exit(child.wait(10))
except subprocess.TimeoutExpired:
    child.kill()
    sys.exit(child.wait())
"""
MAX_LIFE = 3600.0


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Etcd:
    """One running etcd: ``url`` (http://127.0.0.1:port), ``process``, and stop/start to simulate an outage."""

    def __init__(self, binary, data_dir, log_path):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.client_port = _free_port()
        self.peer_port = _free_port()
        self.url = 'http://127.0.0.1:%d' % self.client_port
        self.process = None

    def start(self):
        """Start etcd (on the same ports and data) and return once it answers; fail the test after START_TIMEOUT."""
        args = [self.binary, '--name', 'test', '--data-dir', self.data_dir,
                '--listen-client-urls', self.url, '--advertise-client-urls', self.url,
                '--listen-peer-urls', 'http://127.0.0.1:%d' % self.peer_port,
                '--initial-advertise-peer-urls', 'http://127.0.0.1:%d' % self.peer_port,
                '--initial-cluster', 'test=http://127.0.0.1:%d' % self.peer_port]
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen([sys.executable, '-c', _WATCHDOG, str(os.getpid()), str(MAX_LIFE)] + args,
                                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail('etcd exited with %s; see %s' % (self.process.returncode, self.log_path))
            try:
                if requests.get(self.url + '/health', timeout=1).json().get('health') == 'true':
                    return self
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail('etcd did not answer within %d s; see %s' % (START_TIMEOUT, self.log_path))

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def etcd_binary():
    """The etcd binary, or a test failure that says how to install it (never a silent skip)."""
    binary = shutil.which('etcd') or ('/usr/bin/etcd' if os.access('/usr/bin/etcd', os.X_OK) else None)
    if binary is None:
        pytest.fail('etcd is not installed: run tools/bootstrap.sh as root (installs the Debian package etcd-server), '
                    'or put an etcd 3.4+ binary on PATH')
    return binary


@contextlib.contextmanager
def start_etcd(tmp_dir):
    """A running etcd with its data in ``tmp_dir``, stopped at the end."""
    os.makedirs(str(tmp_dir), exist_ok=True)
    etcd = Etcd(etcd_binary(), os.path.join(str(tmp_dir), 'data'), os.path.join(str(tmp_dir), 'etcd.log'))
    etcd.start()
    try:
        yield etcd
    finally:
        etcd.stop()
