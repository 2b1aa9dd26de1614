# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""One HTTP layer for both Oracle products: session, TLS, timeouts, safe retries, error mapping, redaction."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random
import re
import socket
import ssl
import time

try:
    import requests
    import requests.adapters
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the caller as a clear error
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    from defusedxml import ElementTree as SafeElementTree
    HAS_DEFUSEDXML = True
except ImportError:  # pragma: no cover
    HAS_DEFUSEDXML = False

REDACTED = '********'

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (  # noqa: F401 (re-exported)
    REASON_API_VERSION,
    REASON_AUTH,
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
    REASON_FORBIDDEN,
    REASON_LEASE,
    REASON_LOCK_HELD,
    REASON_LOCK_LOST,
    REASON_MISSING_LIBRARY,
    REASON_NETWORK,
    REASON_NOT_FOUND,
    REASON_SERVER_ERROR,
    REASON_TLS,
    RETRYABLE_REASONS,
    OracleError,
)

_HOST_RE = re.compile(r'^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::(?P<port>\d{1,5}))?/?$')


class Endpoint:
    """A parsed ``host`` option: where to connect, and how to name it in messages."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    @property
    def netloc(self):
        return '%s:%d' % (self.host, self.port)

    @property
    def base_url(self):
        return 'https://%s' % self.netloc

    def __str__(self):
        return self.netloc


def parse_host(value, default_port, option='host'):
    """Parse ``name``, ``name:port``, ``[v6]:port`` or ``https://name[:port]`` into an Endpoint.

    Raises OracleError(bad_input) for anything else, before any network traffic, so that a plain
    ``http://`` URL never sends credentials in clear text.
    """
    text = (value or '').strip()
    if not text:
        raise OracleError('%s is empty: set %s to the device name or address (optionally name:port)' % (option, option), REASON_BAD_INPUT)
    match = _HOST_RE.match(text)
    if not match:
        raise OracleError('%s %r is not a host name, address or host:port; give e.g. sbc1.example.net or 192.0.2.10:443' % (option, text),
                          REASON_BAD_INPUT)
    scheme = (match.group('scheme') or 'https').lower()
    if scheme != 'https':
        raise OracleError('%s %r uses %s://, but Oracle devices speak HTTPS only and credentials must not travel in clear text; '
                          'give the host without a scheme or with https://' % (option, text, scheme), REASON_BAD_INPUT)
    port = int(match.group('port') or default_port)
    if not 0 < port < 65536:
        raise OracleError('%s %r has port %d; ports are 1-65535' % (option, text, port), REASON_BAD_INPUT)
    return Endpoint(match.group('host'), port)


class Redactor:
    """Remembers every secret seen in a task and removes it from any text before it leaves the process."""

    def __init__(self, *secrets):
        self._secrets = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if secret and len(str(secret)) >= 3:
            self._secrets.add(str(secret))

    @property
    def secrets(self):
        return frozenset(self._secrets)

    def __call__(self, text):
        if text is None:
            return text
        text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text


def backoff_delays(first=0.1, factor=2.0, cap=1.0, jitter=0.2, rng=random.random):
    """Yield capped exponential delays with +/- ``jitter`` proportional noise, forever.

    With the defaults the mean delay settles at ``cap`` seconds, so a waiter sends at most about one
    request per second to the device once the first quick retries are spent.
    """
    delay = first
    while True:
        yield max(0.0, delay * (1.0 + jitter * (2.0 * rng() - 1.0)))
        delay = min(cap, delay * factor)


def one_line(text, limit=300):
    """Fold whitespace and cut ``text`` so it fits one readable line of an error message."""
    text = ' '.join(str(text or '').split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def parse_xml(body):
    """Parse untrusted XML safely; return the root element or None when the body is not XML."""
    if not body or not body.strip():
        return None
    try:
        return SafeElementTree.fromstring(body)
    except Exception:  # defusedxml raises ParseError and its own DefusedXmlException family
        return None


def xml_text(element, path):
    """Text of the first element matching ``path`` (searching descendants too), stripped, or None."""
    if element is None:
        return None
    found = element.find(path)
    if found is None and not path.startswith('.//'):
        found = element.find('.//' + path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def describe_body(response):
    """Best human-readable text of an error response: Oracle envelope messages, JSON message, text, or HTML title."""
    body = response.text if response is not None else ''
    if not body or not body.strip():
        return ''
    ctype = (response.headers.get('Content-Type') or '').lower()
    if 'html' in ctype or body.lstrip().lower().startswith(('<!doctype html', '<html')):
        title = re.search(r'<title>(.*?)</title>', body, re.I | re.S)
        heading = re.search(r'<h1[^>]*>(.*?)</h1>', body, re.I | re.S)
        text = (title or heading).group(1) if (title or heading) else 'an HTML page'
        return 'HTML page: ' + re.sub(r'<[^>]+>', '', text)
    if 'json' in ctype or body.lstrip().startswith('{'):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ('message', 'errorMessage', 'reasonPhrase', 'error', 'detail'):
                if data.get(key):
                    return str(data[key])
    root = parse_xml(body)
    if root is not None:
        messages = root.find('messages') if root.tag == 'response' else None
        scope = messages if messages is not None else root
        texts = [t.strip() for t in scope.itertext() if t and t.strip()]
        return ' '.join(texts)
    return body.strip()


#: SSL contexts built in this process, by what they trust (see tls_context). Forked workers inherit them.
_CONTEXTS = {}


def tls_context(validate_certs=True, ca_path=None):
    """The SSLContext for these options, built once per process and file version.

    It trusts exactly what the options say: with ``ca_path``, that file only; with ``validate_certs``
    false, nothing is checked; otherwise the trust store OpenSSL is configured with (the system's, or
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` where set). Neither ``certifi`` nor ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE`` take part. Loading a trust store costs a worker up to tens of milliseconds, so a
    context is kept and reused, and a change of the CA file (mtime, size, inode) builds a new one.
    Raises OSError or ssl.SSLError when ``ca_path`` cannot be loaded.
    """
    if not validate_certs:
        key = (False,)
    elif ca_path:
        stat = os.stat(ca_path)
        key = (True, os.path.abspath(ca_path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    else:
        key = (True,)
    context = _CONTEXTS.get(key)
    if context is None:
        if validate_certs:
            context = ssl.create_default_context(cafile=ca_path or None)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.hostname_checks_common_name = False
        _CONTEXTS[key] = context
    return context


def prepare_tls(environ=None):
    """Pay the one-time TLS and resolver set-up in this process, so that processes forked from it do not.

    Called where the action plugins are imported: in ``ansible-playbook``'s own process, before it forks a
    worker per task. A cold worker pays OpenSSL's initialisation, the system trust store and the
    resolver's first lookup on every task (measured: 2-3 ms, about 25 ms, 2-3 ms); a worker forked after
    this call finds them done. Builds the contexts for the system trust store and for the CA files named
    by ``SBC_CA_PATH`` / ``SDM_CA_PATH``. Never fails: what cannot be prepared here is built in the task.
    """
    environ = os.environ if environ is None else environ
    paths = [None] + [environ.get(name) for name in ('SBC_CA_PATH', 'SDM_CA_PATH') if environ.get(name)]
    for path in paths:
        try:
            tls_context(True, path)
        except (OSError, ValueError, ssl.SSLError):
            pass
    try:
        socket.getaddrinfo('localhost', 443, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        pass


if HAS_REQUESTS:
    class _TlsAdapter(requests.adapters.HTTPAdapter):
        """Connections that use our SSLContext as it is: no CA bundle of ``requests`` (certifi) is loaded into it."""

        def __init__(self, context, **kwargs):
            self._context = context
            super(_TlsAdapter, self).__init__(**kwargs)

        def init_poolmanager(self, *args, **kwargs):
            kwargs['ssl_context'] = self._context
            return super(_TlsAdapter, self).init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            proxy_kwargs['ssl_context'] = self._context
            return super(_TlsAdapter, self).proxy_manager_for(proxy, **proxy_kwargs)

        def cert_verify(self, conn, url, verify, cert):
            # requests would set ca_certs to its certifi bundle and urllib3 would load it into the context on
            # every connection: the context alone decides what is trusted.
            conn.cert_reqs = 'CERT_REQUIRED' if verify else 'CERT_NONE'
            conn.ca_certs = None
            conn.ca_cert_dir = None


class HttpClient:
    """A keep-alive ``requests`` session bound to one device, with TLS settings that mean what they say.

    The session trusts what ``tls_context`` builds for ``validate_certs`` and ``ca_path``, and ignores the
    environment (``trust_env`` off): ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` cannot replace those
    settings and ``~/.netrc`` cannot replace our credentials. Proxies from ``HTTPS_PROXY`` / ``NO_PROXY``
    are still honoured: they are read once, for this device, when the client is made.
    """

    #: statuses worth a retry of an idempotent call
    RETRY_STATUSES = (500, 502, 503, 504)

    def __init__(self, endpoint, product, validate_certs=True, ca_path=None, timeout=30, redactor=None,
                 retries=3, sleep=time.sleep, session_factory=None):
        if not HAS_REQUESTS:
            raise OracleError('the Python library requests is not installed where this task runs; install it with pip install requests',
                              REASON_MISSING_LIBRARY)
        if not HAS_DEFUSEDXML:
            raise OracleError('the Python library defusedxml is not installed where this task runs; install it with pip install defusedxml',
                              REASON_MISSING_LIBRARY)
        self.endpoint = endpoint
        self.product = product
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.redact = redactor or Redactor()
        self._sleep = sleep
        self.verify = bool(validate_certs)
        self._last_exchange = None
        if session_factory is not None:
            self.session = session_factory()
            return
        try:
            context = tls_context(validate_certs, ca_path)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise OracleError(self.redact('ca_path %s could not be loaded as PEM CA certificates (%s); point it at the PEM file of '
                                          'the CA that signed the %s certificate' % (ca_path, one_line(str(exc), 120), product)),
                              REASON_BAD_INPUT)
        session = requests.Session()
        session.trust_env = False
        session.proxies = requests.utils.get_environ_proxies(endpoint.base_url)
        adapter = _TlsAdapter(context)
        session.mount('https://', adapter)
        session.mount('http://', adapter)
        self.session = session

    def close(self):
        self.session.close()

    def idle_for(self):
        """Seconds since the last request ended (0 before the first): how stale the kept-alive connection is."""
        return 0.0 if self._last_exchange is None else time.monotonic() - self._last_exchange

    def url(self, path):
        return '%s/%s' % (self.endpoint.base_url, path.lstrip('/'))

    def request(self, method, path, idempotent=False, **kwargs):
        """Send one request and return the response, whatever its status.

        Connection failures that happen before the request reaches the device are always retried;
        resets, timeouts and 5xx answers only when ``idempotent`` (repeating the call cannot change
        the outcome). Transport failures that remain raise OracleError with reason ``tls`` or ``network``.
        """
        kwargs.setdefault('timeout', self.timeout)
        kwargs['verify'] = self.verify
        delays = backoff_delays(first=0.25, cap=2.0)
        attempt = 0
        while True:
            attempt += 1
            try:
                try:
                    response = self.session.request(method, self.url(path), **kwargs)
                finally:
                    self._last_exchange = time.monotonic()
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(exc)
            except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and not _is_connect_failure(exc)
                if attempt <= self.retries and (idempotent or not sent):
                    self._sleep(next(delays))
                    continue
                raise self._network_error(exc)
            if idempotent and response.status_code in self.RETRY_STATUSES and attempt <= self.retries:
                self._sleep(next(delays))
                continue
            return response

    def _tls_error(self, exc):
        text = str(exc)
        if 'WRONG_VERSION_NUMBER' in text or 'wrong version number' in text or 'record layer failure' in text:
            hint = ('%s answered TLS with something else: the port seems to speak plain HTTP; use the HTTPS port of the %s REST API'
                    % (self.endpoint, self.product))
        elif 'CERTIFICATE_VERIFY_FAILED' in text or 'certificate verify failed' in text:
            hint = ('the TLS certificate of %s is not trusted (%s); set ca_path to the CA certificate that signed it, '
                    'or validate_certs: false for a lab device' % (self.endpoint, _ssl_reason(text)))
        elif 'hostname' in text.lower() or "doesn't match" in text:
            hint = ('the TLS certificate of %s does not name that host (%s); connect by a name the certificate carries'
                    % (self.endpoint, _ssl_reason(text)))
        else:
            hint = 'TLS with %s failed (%s); check the port and the certificate settings' % (self.endpoint, _ssl_reason(text))
        return OracleError(self.redact(hint), REASON_TLS)

    def _network_error(self, exc):
        text = str(exc)
        if isinstance(exc, requests.exceptions.Timeout) or 'timed out' in text:
            msg = 'no answer from %s within %s s; check that it is reachable, or raise timeout' % (self.endpoint, self.timeout)
        elif 'Name or service not known' in text or 'nodename nor servname' in text or 'getaddrinfo failed' in text \
                or 'Temporary failure in name resolution' in text or 'NameResolutionError' in text:
            msg = 'cannot resolve host %s; check the host option' % self.endpoint.host
        elif 'Connection refused' in text or 'ECONNREFUSED' in text:
            msg = ('connection to %s refused; check host and port, and that the %s REST API is enabled on HTTPS'
                   % (self.endpoint, self.product))
        elif 'reset' in text.lower() or 'aborted' in text.lower() or 'RemoteDisconnected' in text:
            msg = '%s closed the connection without an answer; retry later, or check the device' % self.endpoint
        else:
            msg = 'cannot reach %s: %s' % (self.endpoint, one_line(text, 200))
        return OracleError(self.redact(msg), REASON_NETWORK)

    def error_for(self, response, action, not_found=None):
        """Turn an unexpected response into an OracleError naming ``action`` and saying what to do."""
        status = response.status_code
        text = one_line(self.redact(describe_body(response)), 200)
        said = (': %s' % text) if text else ''
        where = '%s %s' % (self.product, self.endpoint)
        if status == 401:
            return OracleError('%s on %s was refused: not authorized (401)%s; check username and password' % (action, where, said),
                               REASON_AUTH, status)
        if status == 403:
            return OracleError('%s on %s was refused: forbidden (403)%s; the user needs administrator rights' % (action, where, said),
                               REASON_FORBIDDEN, status)
        if status == 404 and 'version' in text.lower():
            return OracleError('%s on %s failed: the device does not support this API version (404)%s; set api_version to one it lists'
                               % (action, where, said), REASON_API_VERSION, status)
        if status == 404:
            return OracleError(not_found or ('%s on %s failed: not found (404)%s' % (action, where, said)), REASON_NOT_FOUND, status)
        if status == 426:
            return OracleError('%s on %s failed: the device requires HTTPS (426)%s; use the HTTPS port of its REST API' % (action, where, said),
                               REASON_TLS, status)
        if status >= 500:
            return OracleError('%s on %s failed: the device answered %d%s; retry later, or check the device' % (action, where, status, said),
                               REASON_SERVER_ERROR, status)
        return OracleError('%s on %s failed: unexpected answer %d%s' % (action, where, status, said or ' with no text'),
                           REASON_BAD_RESPONSE, status)

    def bad_body(self, response, action, expected):
        """OracleError for a 2xx answer whose body is not what the API documents."""
        text = one_line(self.redact(describe_body(response)), 120) or 'an empty body'
        return OracleError('%s on %s: the answer (%d) did not carry %s but %s; is this the %s REST API?'
                           % (action, self.endpoint, response.status_code, expected, text, self.product),
                           REASON_BAD_RESPONSE, response.status_code)


def _is_connect_failure(exc):
    """True when the request never left this host (DNS failure, refused, unreachable): always safe to retry."""
    text = str(exc)
    return any(marker in text for marker in ('NewConnectionError', 'Connection refused', 'NameResolutionError',
                                             'Name or service not known', 'Failed to establish a new connection'))


def _ssl_reason(text):
    match = re.search(r'\[SSL[^\]]*\]\s*([^(\]]+)', text) or re.search(r'(certificate verify failed[^)\'"]*)', text)
    return one_line(match.group(1) if match else text, 120).rstrip(' (')
