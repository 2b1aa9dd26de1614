# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""HttpClient, the transport both Oracle products share: a session per device, one deadline per request, safe retries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl
import time

try:
    import requests
    import urllib3
    import urllib3.exceptions
    import urllib3.util
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the caller as a clear error
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc


from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
    REASON_MISSING_LIBRARY,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import ACTIVE
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_errors import answer_error, body_error, transport_error
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_pool import NoTimeLeft, TlsAdapter
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import HAS_DEFUSEDXML, Redactor, one_line
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._tls import tls_context

#: The largest answer read from a device; its REST APIs answer lock calls in a few kB.
MAX_ANSWER = 1024 * 1024


if HAS_REQUESTS:
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
            if isinstance(error, NoTimeLeft):
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
        self._adapter = TlsAdapter(context)
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
        ACTIVE.deadline, ACTIVE.answered = deadline, False
        try:
            response = self.session.request(method, self.url(path), **kwargs)
            self._read_answer(response, method, path)
            return response
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._transport_error(exc, timeout)
        finally:
            ACTIVE.deadline = None
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
        return transport_error(self, exc, timeout, getattr(ACTIVE, 'answered', False))

    def error_for(self, response, action, not_found=None):
        """Turn an unexpected response into an OracleError naming ``action`` and saying what to do."""
        return answer_error(self, response, action, not_found)

    def bad_body(self, response, action, expected):
        """OracleError for a 2xx answer whose body is not what the API documents."""
        return body_error(self, response, action, expected)


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
