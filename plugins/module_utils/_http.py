# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The transport both Oracle products share: a session per device, TLS, one deadline per request, safe retries, errors by type."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client as http_client
import os
import re
import socket
import ssl
import threading
import time
import warnings

try:
    import requests
    import requests.adapters
    import urllib3
    import urllib3.connection
    import urllib3.exceptions
    import urllib3.util
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the caller as a clear error
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc


from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_AUTH,
    REASON_API_VERSION,
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
    REASON_FORBIDDEN,
    REASON_MISSING_LIBRARY,
    REASON_NETWORK,
    REASON_NOT_FOUND,
    REASON_SERVER_ERROR,
    REASON_TLS,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import HAS_DEFUSEDXML, Redactor, describe_body, one_line

MAX_ANSWER = 1024 * 1024

#: The deadline (time.monotonic) of the request this thread is making, set by HttpClient.request only.
_ACTIVE = threading.local()


def _time_left():
    """Seconds left to the deadline of the request this thread is making; None outside a request."""
    deadline = getattr(_ACTIVE, 'deadline', None)
    return None if deadline is None else deadline - time.monotonic()


class _DeadlineSocket(ssl.SSLSocket):
    """A TLS socket on which no handshake, read or write waits past the deadline of the request being made.

    CPython bounds one TLS read or write by the socket timeout as a whole, so setting the time left before
    each one holds against a device that sends its answer a byte at a time. Outside a request it is a
    plain SSLSocket.
    """

    def _bound(self):
        left = _time_left()
        if left is not None:
            if left <= 0:
                raise socket.timeout('the time for this request is up')
            self.settimeout(left)

    def do_handshake(self, block=False):
        self._bound()
        return super(_DeadlineSocket, self).do_handshake(block)

    def read(self, len=1024, buffer=None):  # pylint: disable=redefined-builtin  # SSLSocket's own signature
        self._bound()
        got = super(_DeadlineSocket, self).read(len, buffer)
        if got:
            _ACTIVE.answered = True
        return got

    def send(self, data, flags=0):
        self._bound()
        return super(_DeadlineSocket, self).send(data, flags)


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
        context.sslsocket_class = _DeadlineSocket  # every request's deadline holds on its connections
        _CONTEXTS[key] = context
    return context


def prepare_tls(environ=None):
    """Pay the one-time TLS and resolver set-up in this process, so that processes forked from it do not.

    Called where the action plugins are imported: in ``ansible-playbook``'s own process, before it forks a
    worker per task. A cold worker pays OpenSSL's initialisation, the system trust store and the
    resolver's first lookup on every task (measured: 2-3 ms, about 25 ms, 2-3 ms); a worker forked after
    this call finds them done. Builds the contexts for the CA files named by ``SBC_CA_PATH`` /
    ``SDM_CA_PATH``, and for the system trust store unless both are set (then a task only needs the system
    store if it says so itself, and loading it here would cost every run 25-50 ms for nothing).
    Never fails: what cannot be prepared here is built in the task.
    """
    environ = os.environ if environ is None else environ
    named = [environ.get(name) for name in ('SBC_CA_PATH', 'SDM_CA_PATH')]
    paths = ([] if all(named) else [None]) + [path for path in named if path]
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
    class _NoTimeLeft(urllib3.exceptions.ConnectTimeoutError):
        """The request's time was up before a connection to try it (again) was opened."""

    class _HttpsConnection(urllib3.connection.HTTPSConnection):
        """Opens no connection once the request's time is up, and waits for one no longer than the time left."""

        def _new_conn(self):
            left = _time_left()
            if left is not None:
                if left <= 0:
                    raise _NoTimeLeft(self, 'the time for this request was up before connecting')
                if self.timeout is None or self.timeout > left:
                    self.timeout = left
            return super(_HttpsConnection, self)._new_conn()

    class _HttpsPool(urllib3.HTTPSConnectionPool):
        """Our connections; without urllib3's InsecureRequestWarning where ``validate_certs: false`` asked for no checks."""

        ConnectionCls = _HttpsConnection

        def _validate_conn(self, conn):
            context = self.conn_kw.get('ssl_context')
            if context is None or context.verify_mode != ssl.CERT_NONE:
                return super(_HttpsPool, self)._validate_conn(conn)
            # the user turned checks off on purpose; the warning would only clutter the task output
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', urllib3.exceptions.InsecureRequestWarning)
                return super(_HttpsPool, self)._validate_conn(conn)

    _POOL_CLASSES = {'http': urllib3.HTTPConnectionPool, 'https': _HttpsPool}

    #: waits before the retries of one call: 0, 0.5, 1 s (at most 2 s), each plus up to 0.1 s of jitter
    _BACKOFF_MAX = 2.0
    _BACKOFF = dict(backoff_factor=0.25, backoff_max=_BACKOFF_MAX, backoff_jitter=0.1)
    if urllib3.__version__.startswith('1.'):
        _BACKOFF = dict(backoff_factor=0.25)  # urllib3 1.26 knows neither option: _Retry caps the wait itself

    class _Retry(urllib3.util.Retry):
        """urllib3's Retry bound to one request's deadline: it waits no longer than the time left, and gives up when none is.

        An answer it retries is read (at most MAX_ANSWER bytes) and dropped; the last answer or failure is
        what the caller gets.
        """

        def __init__(self, *args, **kwargs):
            self.deadline = kwargs.pop('deadline', None)
            self.sleeper = kwargs.pop('sleeper', time.sleep)
            super(_Retry, self).__init__(*args, **kwargs)

        def new(self, **kw):
            retry = super(_Retry, self).new(**kw)
            retry.deadline, retry.sleeper = self.deadline, self.sleeper
            return retry

        def get_backoff_time(self):
            delay = min(super(_Retry, self).get_backoff_time(), _BACKOFF_MAX)
            if self.deadline is not None:
                delay = min(delay, max(0.0, self.deadline - time.monotonic()))
            return delay

        def sleep(self, response=None):
            # Retry-After is not honoured (respect_retry_after_header off): the deadline decides
            delay = self.get_backoff_time()
            if delay > 0:
                self.sleeper(delay)

        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            if isinstance(error, _NoTimeLeft):
                # the time ran out between two tries: what failed the last try is the news
                earlier = self.history[-1].error if self.history else None
                raise urllib3.exceptions.MaxRetryError(_pool, url, earlier or error) from (earlier or error)
            retry = super(_Retry, self).increment(method, url, response, error, _pool, _stacktrace)
            if self.deadline is not None and self.deadline - time.monotonic() <= urllib3.util.Retry.get_backoff_time(retry):
                # no time for another try: the caller gets this answer or failure, as when the retries are spent
                raise urllib3.exceptions.MaxRetryError(_pool, url, error or urllib3.exceptions.ResponseError('no time left to retry'))
            if response is not None:
                _discard(response)
            return retry

    def _discard(response):
        """Read and drop the body of an answer that will be retried, at most MAX_ANSWER bytes; close the connection if more is left."""
        left = MAX_ANSWER + 1
        try:
            while left > 0:
                chunk = response.read(min(left, 65536), decode_content=False)
                if not chunk:
                    return
                left -= len(chunk)
            response.close()
        except (urllib3.exceptions.HTTPError, OSError):
            pass  # the retry opens a new connection; why this one broke does not matter

    class _TlsAdapter(requests.adapters.HTTPAdapter):
        """Connections that use our SSLContext as it is (no CA bundle of ``requests`` or certifi) and our pool classes."""

        def __init__(self, context, **kwargs):
            self._context = context
            super(_TlsAdapter, self).__init__(**kwargs)

        def init_poolmanager(self, *args, **kwargs):
            kwargs['ssl_context'] = self._context
            super(_TlsAdapter, self).init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            proxy_kwargs['ssl_context'] = self._context
            manager = super(_TlsAdapter, self).proxy_manager_for(proxy, **proxy_kwargs)
            manager.pool_classes_by_scheme = _POOL_CLASSES
            return manager

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

    ``timeout`` is the time one call of ``request`` may take in all: connecting (TCP and TLS), sending,
    receiving the whole answer, and any retries with the waits between them. Looking up the host name
    is not counted (the system resolver's own limits apply).
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
        self._adapter = None
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
        self._adapter = _TlsAdapter(context)
        self._retries = {True: self._retry(True), False: self._retry(False)}
        session.mount('https://', self._adapter)
        session.mount('http://', self._adapter)
        self.session = session

    def forget_cookies(self):
        """Drop every cookie the device set: the caller sends the one session it means explicitly."""
        self.session.cookies.clear()

    def close(self):
        self.session.close()

    def idle_for(self):
        """Seconds since the last request ended (0 before the first): how stale the kept-alive connection is."""
        return 0.0 if self._last_exchange is None else time.monotonic() - self._last_exchange

    def url(self, path):
        return '%s/%s' % (self.endpoint.base_url, path.lstrip('/'))

    def request(self, method, path, idempotent=False, **kwargs):
        """Send one request and return the response, whatever its status, with its body read.

        The whole call, retries included, ends within ``timeout`` seconds (the client's, or the
        ``timeout`` keyword). Failures to connect are retried whatever the call; resets, timeouts and
        answers 500/502/503/504 only when ``idempotent`` (repeating the call cannot change the outcome).
        Transport failures that remain raise OracleError with reason ``tls`` or ``network``; an answer
        larger than MAX_ANSWER raises OracleError(bad_response). Redirects are not followed.
        """
        timeout = kwargs.pop('timeout', self.timeout)
        kwargs.update(timeout=timeout, verify=self.verify, stream=True)
        kwargs.setdefault('allow_redirects', False)
        deadline = time.monotonic() + timeout
        if self._adapter is not None:
            # urllib3 reads the Retry from the adapter on each call and never changes one (it makes new ones),
            # and a client serves one call at a time: the deadline of the call is set on a kept Retry
            retry = self._retries[bool(idempotent)]
            retry.deadline = deadline
            self._adapter.max_retries = retry
        _ACTIVE.deadline, _ACTIVE.answered = deadline, False
        try:
            response = self.session.request(method, self.url(path), **kwargs)
            self._read_answer(response, method, path)
            return response
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._transport_error(exc, timeout)
        finally:
            _ACTIVE.deadline = None
            self._last_exchange = time.monotonic()

    def _retry(self, idempotent):
        """urllib3's Retry for calls that are ``idempotent`` or not: connection failures always, reads and 5xx answers only when they are."""
        return _Retry(total=self.retries, connect=self.retries, read=self.retries if idempotent else False,
                      status=self.retries if idempotent else 0, other=0, redirect=0, allowed_methods=None,
                      status_forcelist=self.RETRY_STATUSES if idempotent else None, raise_on_status=False,
                      respect_retry_after_header=False, sleeper=self._sleep, **_BACKOFF)

    def _read_answer(self, response, method, path):
        """Read the body of ``response`` into it; one larger than MAX_ANSWER raises OracleError(bad_response), read no further."""
        if response.raw is None or response._content is not False:
            too_large = len(response.content or b'') > MAX_ANSWER  # a stand-in session's answer, already in memory
        else:
            declared = (response.headers.get('Content-Length') or '').strip()
            body = None if declared.isdigit() and int(declared) > MAX_ANSWER else _read_capped(response.raw)
            if body is not None and len(body) <= MAX_ANSWER:
                response._content, response._content_consumed = body, True
                return
            response.close()  # the rest is never read, so this connection cannot carry another request
            too_large = True
        if too_large:
            raise OracleError(self.redact('%s sent more than %d MiB in answer to %s %s, far more than the %s REST API sends; '
                                          'check that host and port point at that API'
                                          % (self.endpoint, MAX_ANSWER >> 20, method, path.split('?', 1)[0], self.product)),
                              REASON_BAD_RESPONSE, response.status_code)

    def _transport_error(self, exc, timeout):
        """OracleError for a request that got no usable answer, by the types of the exceptions ``exc`` wraps."""
        causes = _causes(exc)
        if _first(causes, (urllib3.exceptions.DecodeError, requests.exceptions.ContentDecodingError)):
            return OracleError(self.redact('%s sent an answer that could not be decoded (%s); is this the %s REST API?'
                                           % (self.endpoint, one_line(str(exc), 120), self.product)), REASON_BAD_RESPONSE)
        if _first(causes, (urllib3.exceptions.ProxyError, requests.exceptions.ProxyError)):
            msg = ('cannot reach %s through the proxy named by HTTPS_PROXY (%s); check the proxy, or exclude the device with NO_PROXY'
                   % (self.endpoint, one_line(_innermost(causes), 160)))
        elif any(isinstance(c, _TIMEOUTS) and not isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes):
            if getattr(_ACTIVE, 'answered', False):
                msg = ('no complete answer from %s within %g s; it answered too slowly: check the device and the network, or raise timeout'
                       % (self.endpoint, timeout))
            else:
                msg = 'no answer from %s within %g s; check that it is reachable, or raise timeout' % (self.endpoint, timeout)
        elif _first(causes, _TLS_ERRORS):
            return self._tls_error(causes)
        elif _first(causes, socket.gaierror):  # under urllib3's NameResolutionError (2.x) or NewConnectionError (1.26)
            msg = 'cannot resolve host %s; check the host option' % self.endpoint.host
        elif _first(causes, ConnectionRefusedError):
            msg = ('connection to %s refused; check host and port, and that the %s REST API is enabled on HTTPS'
                   % (self.endpoint, self.product))
        elif _first(causes, urllib3.exceptions.NewConnectionError):
            msg = 'cannot reach %s: %s' % (self.endpoint, one_line(_innermost(causes), 200))
        elif _first(causes, _CLOSED):
            msg = '%s closed the connection without an answer; retry later, or check the device' % self.endpoint
        else:
            msg = 'cannot reach %s: %s' % (self.endpoint, one_line(str(exc), 200))
        return OracleError(self.redact(msg), REASON_NETWORK)

    def _tls_error(self, causes):
        """OracleError(tls) for a failed TLS handshake, with a hint by OpenSSL's verify code or reason."""
        verify = _first(causes, ssl.SSLCertVerificationError)
        failure = verify or _first(causes, ssl.SSLError)
        reason = getattr(failure, 'reason', None)
        if verify is not None and verify.verify_code == _X509_V_ERR_HOSTNAME_MISMATCH:
            hint = ('the TLS certificate of %s does not name that host (%s); connect by a name the certificate carries'
                    % (self.endpoint, one_line(verify.verify_message, 120)))
        elif verify is not None:
            hint = ('the TLS certificate of %s is not trusted (certificate verify failed: %s); set ca_path to the CA certificate '
                    'that signed it, or validate_certs: false for a lab device' % (self.endpoint, one_line(verify.verify_message, 120)))
        elif reason in ('WRONG_VERSION_NUMBER', 'RECORD_LAYER_FAILURE'):
            hint = ('%s answered TLS with something else: the port seems to speak plain HTTP; use the HTTPS port of the %s REST API'
                    % (self.endpoint, self.product))
        else:
            text = str(failure if failure is not None else causes[0])
            hint = 'TLS with %s failed (%s); check the port and the certificate settings' % (self.endpoint, _ssl_reason(text))
        return OracleError(self.redact(hint), REASON_TLS)

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


#: OpenSSL's verify code for a certificate that does not name the host connected to
_X509_V_ERR_HOSTNAME_MISMATCH = 62

if HAS_REQUESTS:
    #: a request that ran out of time (NewConnectionError is a ConnectTimeoutError to urllib3, but not a timeout)
    _TIMEOUTS = (urllib3.exceptions.TimeoutError, requests.exceptions.Timeout, socket.timeout)
    _TLS_ERRORS = (urllib3.exceptions.SSLError, requests.exceptions.SSLError, ssl.SSLError, ssl.CertificateError)
    #: the device ended the connection before its answer was complete
    _CLOSED = (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError, http_client.HTTPException,
               ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


def _read_capped(raw):
    """The decoded body from urllib3's ``raw`` response, of which at most MAX_ANSWER + 1 bytes are read."""
    chunks, size = [], 0
    while size <= MAX_ANSWER:
        chunk = raw.read(MAX_ANSWER + 1 - size, decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if raw.length_remaining == 0 and not raw.headers.get('Content-Encoding'):
            break  # all that Content-Length announced, and no decoder to flush: no need to ask again for the end
    return b''.join(chunks)


def _causes(exc, limit=16):
    """``exc`` and the exceptions it wraps (requests, urllib3, then ssl or socket), outermost first."""
    found, queue = [], [exc]
    while queue and len(found) < limit:
        item = queue.pop(0)
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        queue.extend(item.args)
        queue.extend((getattr(item, 'reason', None), item.__cause__, None if item.__suppress_context__ else item.__context__))
    return found


def _first(causes, types):
    """The first of ``causes`` that is one of ``types``, or None."""
    for cause in causes:
        if isinstance(cause, types):
            return cause
    return None


def _innermost(causes):
    """What the innermost OSError says (e.g. ``[Errno 113] No route to host``), else the outermost exception."""
    for cause in reversed(causes):
        if isinstance(cause, OSError) and cause.strerror:
            return str(cause)
    return str(causes[0])


def _ssl_reason(text):
    match = re.search(r'\[SSL[^\]]*\]\s*([^(\]]+)', text) or re.search(r'(certificate verify failed[^)\'"]*)', text)
    return one_line(match.group(1) if match else text, 120).rstrip(' (')
