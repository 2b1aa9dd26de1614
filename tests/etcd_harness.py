"""A real single-node etcd for the tests: loopback only, random ports, data in a temporary directory.

``start_etcd(tmp)`` is a context manager yielding an :class:`Etcd` (its client URL); etcd is stopped (SIGTERM, then
SIGKILL) when the context ends. Without the ``etcd`` binary the tests that need it fail with a message saying how
to get it (tools/bootstrap.sh installs the Debian package etcd-server when run as root).

``start_etcd(tmp, tls=True)`` serves https instead, with a certificate of a CA made for it in ``tmp/tls``
(:class:`EtcdTLS`, by trustme, as the emulator makes its own); ``client_cert_auth=True`` also refuses clients
without a certificate of that CA. :meth:`Etcd.enable_auth` turns on etcd's users and passwords.
"""

import base64
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

# A deadline, not a duration: etcd usually answers within a second; on a 2-core machine at a load average of 20 or
# more (other test runs beside this one) its start has taken over 20 s.
START_TIMEOUT = 120.0


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
MAX_LIFE = 3 * 3600.0  # longer than CI's 90 minutes


def _b64(data):
    return base64.b64encode(data.encode('utf-8') if isinstance(data, str) else data).decode('ascii')


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class EtcdTLS:
    """The certificates of one TLS etcd, made in ``directory`` (0700): ``ca`` (the CA's PEM), ``server_cert`` /
    ``server_key`` (for 127.0.0.1 and localhost) and ``client_cert`` / ``client_key`` (a client of that CA named
    ``client_name`` in its subjectAltName). Keys are files of mode 0600; nothing is made outside ``directory``.

    The client certificate has no Common Name unless ``client_common_name`` is given: with ``--client-cert-auth`` and
    authentication on, etcd's JSON gateway refuses (400) a client whose certificate has one.
    """

    def __init__(self, directory, client_name='oracle-comms-tests', client_common_name=None):
        import trustme  # pylint: disable=import-outside-toplevel

        os.makedirs(str(directory), mode=0o700, exist_ok=True)
        ca = trustme.CA(organization_name='oracle_comms.provisioning tests etcd')
        server = ca.issue_cert('127.0.0.1', 'localhost', common_name='etcd')
        client = ca.issue_cert(client_name, common_name=client_common_name)
        self.ca = os.path.join(str(directory), 'ca.pem')
        self.server_cert = os.path.join(str(directory), 'server.pem')
        self.server_key = os.path.join(str(directory), 'server-key.pem')
        self.client_cert = os.path.join(str(directory), 'client.pem')
        self.client_key = os.path.join(str(directory), 'client-key.pem')
        for path, blob, mode in ((self.ca, ca.cert_pem, 0o644), (self.server_cert, server.cert_chain_pems[0], 0o644),
                                 (self.server_key, server.private_key_pem, 0o600), (self.client_cert, client.cert_chain_pems[0], 0o644),
                                 (self.client_key, client.private_key_pem, 0o600)):
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(handle, 'wb') as out:
                out.write(blob.bytes())


class Etcd:
    """One running etcd: ``url`` (http://127.0.0.1:port, or https:// with ``tls``), ``process``, and stop/start to
    simulate an outage. ``tls``: an :class:`EtcdTLS` to serve https with; ``client_cert_auth``: take only clients with a
    certificate of its CA."""

    def __init__(self, binary, data_dir, log_path, tls=None, client_cert_auth=False):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.client_port = _free_port()
        self.peer_port = _free_port()
        self.tls = tls
        self.client_cert_auth = bool(client_cert_auth)
        self.url = '%s://127.0.0.1:%d' % ('https' if tls else 'http', self.client_port)
        self.process = None

    def requests_options(self):
        """``verify`` and ``cert`` for ``requests`` to talk to this etcd (empty for plain http)."""
        if not self.tls:
            return {}
        return {'verify': self.tls.ca, 'cert': (self.tls.client_cert, self.tls.client_key)}

    def gateway(self, path, body, token=None):
        """POST ``body`` to etcd's v3 JSON gateway (``path`` such as ``kv/range``) and return its JSON answer."""
        headers = {'Authorization': token} if token else {}
        answer = requests.post('%s/v3/%s' % (self.url, path), json=body, headers=headers, timeout=10, **self.requests_options())
        answer.raise_for_status()
        return answer.json()

    def token(self, name, password):
        """An auth token of user ``name`` (etcd's ``auth/authenticate``)."""
        return self.gateway('auth/authenticate', {'name': name, 'password': password})['token']

    def enable_auth(self, root_password):
        """Turn on etcd's authentication with a ``root`` user (role ``root``) of ``root_password`` and return a token of
        root: calls of :meth:`gateway` need a token from then on."""
        self.gateway('auth/user/add', {'name': 'root', 'password': root_password})
        self.gateway('auth/user/grant', {'user': 'root', 'role': 'root'})
        self.gateway('auth/enable', {})
        return self.token('root', root_password)

    def add_user(self, name, password, prefix, token):
        """A user ``name`` whose role (of the same name) may read and write only the keys under ``prefix``."""
        end = bytearray(prefix.encode('utf-8'))
        end[-1] += 1
        self.gateway('auth/role/add', {'name': name}, token)
        self.gateway('auth/role/grant', {'name': name, 'perm': {'permType': 'READWRITE', 'key': _b64(prefix), 'range_end': _b64(bytes(end))}},
                     token)
        self.gateway('auth/user/add', {'name': name, 'password': password}, token)
        self.gateway('auth/user/grant', {'user': name, 'role': name}, token)

    def read_prefix(self, prefix, token=None):
        """{key: value} of the keys under ``prefix``, decoded as text."""
        end = bytearray(prefix.encode('utf-8'))
        end[-1] += 1
        answer = self.gateway('kv/range', {'key': _b64(prefix), 'range_end': _b64(bytes(end))}, token)
        return dict((base64.b64decode(item['key']).decode('utf-8'), base64.b64decode(item.get('value', '')).decode('utf-8'))
                    for item in answer.get('kvs', []))

    def _answers(self):
        """True once etcd's /health says so."""
        try:
            answer = requests.get(self.url + '/health', timeout=1, **self.requests_options())
        except requests.RequestException:
            return False
        try:
            return answer.json().get('health') == 'true'
        except ValueError:
            return False

    def start(self):
        """Start etcd (on the same ports and data) and return once it answers; fail the test after START_TIMEOUT."""
        args = [self.binary, '--name', 'test', '--data-dir', self.data_dir,
                '--listen-client-urls', self.url, '--advertise-client-urls', self.url,
                '--listen-peer-urls', 'http://127.0.0.1:%d' % self.peer_port,
                '--initial-advertise-peer-urls', 'http://127.0.0.1:%d' % self.peer_port,
                '--initial-cluster', 'test=http://127.0.0.1:%d' % self.peer_port]
        if self.tls:
            args += ['--cert-file', self.tls.server_cert, '--key-file', self.tls.server_key]
            if self.client_cert_auth:
                args += ['--client-cert-auth', '--trusted-ca-file', self.tls.ca]
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen([sys.executable, '-c', _WATCHDOG, str(os.getpid()), str(MAX_LIFE)] + args,
                                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail('etcd exited with %s; see %s' % (self.process.returncode, self.log_path))
            if self._answers():
                return self
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
def start_etcd(tmp_dir, tls=False, client_cert_auth=False):
    """A running etcd with its data in ``tmp_dir``, stopped at the end. ``tls``: https, with the certificates of an
    :class:`EtcdTLS` made in ``tmp_dir/tls`` (``etcd.tls``); ``client_cert_auth`` (with ``tls``): clients need a
    certificate of that CA."""
    os.makedirs(str(tmp_dir), exist_ok=True)
    certificates = EtcdTLS(os.path.join(str(tmp_dir), 'tls')) if tls or client_cert_auth else None
    etcd = Etcd(etcd_binary(), os.path.join(str(tmp_dir), 'data'), os.path.join(str(tmp_dir), 'etcd.log'), tls=certificates,
                client_cert_auth=client_cert_auth)
    etcd.start()
    try:
        yield etcd
    finally:
        etcd.stop()
