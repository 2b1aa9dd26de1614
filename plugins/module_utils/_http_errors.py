# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What a failed request says: exceptions (by their types) and unexpected answers mapped to one-line OracleErrors.

Each function takes the ``client`` the request went through (an HttpClient: its ``endpoint``, ``product`` and
``redact``), so that every message names the device and the product and carries no secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client as http_client
import re
import socket
import ssl

try:
    import requests.exceptions
    import urllib3.exceptions
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - HttpClient reports it as a clear error
    HAS_REQUESTS = False

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_AUTH,
    REASON_API_VERSION,
    REASON_BAD_RESPONSE,
    REASON_FORBIDDEN,
    REASON_NETWORK,
    REASON_NOT_FOUND,
    REASON_SERVER_ERROR,
    REASON_TLS,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import describe_body, one_line

#: OpenSSL's verify code for a certificate that does not name the host connected to
_X509_V_ERR_HOSTNAME_MISMATCH = 62

if HAS_REQUESTS:
    #: a request that ran out of time (NewConnectionError is a ConnectTimeoutError to urllib3, but not a timeout)
    _TIMEOUTS = (urllib3.exceptions.TimeoutError, requests.exceptions.Timeout, socket.timeout)
    _TLS_ERRORS = (urllib3.exceptions.SSLError, requests.exceptions.SSLError, ssl.SSLError, ssl.CertificateError)
    #: the device ended the connection before its answer was complete
    _CLOSED = (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError, http_client.HTTPException,
               ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


def transport_error(client, exc, timeout, answered):
    """OracleError for a request that got no usable answer, by the types of the exceptions ``exc`` wraps.

    ``answered``: whether any byte of an answer came back before the time ran out (a slow answer, not none).
    """
    causes = _causes(exc)
    if _first(causes, (urllib3.exceptions.DecodeError, requests.exceptions.ContentDecodingError)):
        return OracleError(client.redact('%s sent an answer that could not be decoded (%s); is this the %s REST API?'
                                         % (client.endpoint, one_line(str(exc), 120), client.product)), REASON_BAD_RESPONSE)
    if _first(causes, (urllib3.exceptions.ProxyError, requests.exceptions.ProxyError)):
        msg = ('cannot reach %s through the proxy named by HTTPS_PROXY (%s); check the proxy, or exclude the device with NO_PROXY'
               % (client.endpoint, one_line(_innermost(causes), 160)))
    elif any(isinstance(c, _TIMEOUTS) and not isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes):
        if answered:
            msg = ('no complete answer from %s within %g s; it answered too slowly: check the device and the network, or raise timeout'
                   % (client.endpoint, timeout))
        else:
            msg = 'no answer from %s within %g s; check that it is reachable, or raise timeout' % (client.endpoint, timeout)
    elif _first(causes, _TLS_ERRORS):
        return tls_error(client, causes)
    elif _first(causes, socket.gaierror):  # under urllib3's NameResolutionError (2.x) or NewConnectionError (1.26)
        msg = 'cannot resolve host %s; check the host option' % client.endpoint.host
    elif _first(causes, ConnectionRefusedError):
        msg = ('connection to %s refused; check host and port, and that the %s REST API is enabled on HTTPS'
               % (client.endpoint, client.product))
    elif _first(causes, urllib3.exceptions.NewConnectionError):
        msg = 'cannot reach %s: %s' % (client.endpoint, one_line(_innermost(causes), 200))
    elif _first(causes, _CLOSED):
        msg = '%s closed the connection without an answer; retry later, or check the device' % client.endpoint
    else:
        msg = 'cannot reach %s: %s' % (client.endpoint, one_line(str(exc), 200))
    return OracleError(client.redact(msg), REASON_NETWORK)


def tls_error(client, causes):
    """OracleError(tls) for a failed TLS handshake (``causes`` as ``_causes`` lists them), with a hint by OpenSSL's verify code or reason."""
    verify = _first(causes, ssl.SSLCertVerificationError)
    failure = verify or _first(causes, ssl.SSLError)
    reason = getattr(failure, 'reason', None)
    if verify is not None and verify.verify_code == _X509_V_ERR_HOSTNAME_MISMATCH:
        hint = ('the TLS certificate of %s does not name that host (%s); connect by a name the certificate carries'
                % (client.endpoint, one_line(verify.verify_message, 120)))
    elif verify is not None:
        hint = ('the TLS certificate of %s is not trusted (certificate verify failed: %s); set ca_path to the CA certificate '
                'that signed it, or validate_certs: false for a lab device' % (client.endpoint, one_line(verify.verify_message, 120)))
    elif reason in ('WRONG_VERSION_NUMBER', 'RECORD_LAYER_FAILURE'):
        hint = ('%s answered TLS with something else: the port seems to speak plain HTTP; use the HTTPS port of the %s REST API'
                % (client.endpoint, client.product))
    else:
        text = str(failure if failure is not None else causes[0])
        hint = 'TLS with %s failed (%s); check the port and the certificate settings' % (client.endpoint, _ssl_reason(text))
    return OracleError(client.redact(hint), REASON_TLS)


def answer_error(client, response, action, not_found=None):
    """OracleError for an unexpected answer to ``action``, by its status, saying what to do."""
    status = response.status_code
    text = one_line(client.redact(describe_body(response)), 200)
    said = (': %s' % text) if text else ''
    where = '%s %s' % (client.product, client.endpoint)
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


def body_error(client, response, action, expected):
    """OracleError(bad_response) for a 2xx answer whose body is not ``expected``, what the API documents."""
    text = one_line(client.redact(describe_body(response)), 120) or 'an empty body'
    return OracleError('%s on %s: the answer (%d) did not carry %s but %s; is this the %s REST API?'
                       % (action, client.endpoint, response.status_code, expected, text, client.product),
                       REASON_BAD_RESPONSE, response.status_code)


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
    """OpenSSL's reason in the text of an SSL error (``[SSL: X] reason (...)``), or the text itself, in one line."""
    match = re.search(r'\[SSL[^\]]*\]\s*([^(\]]+)', text) or re.search(r'(certificate verify failed[^)\'"]*)', text)
    return one_line(match.group(1) if match else text, 120).rstrip(' (')
