# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""etcd's v3 JSON gateway for the etcd lease backend: ``Gateway`` (endpoint failover, sign-in, the calls it makes).

The client is etcd3gw (etcd's JSON gateway over ``requests``), one per endpoint; it has no authentication, no
endpoint failover and no bounded watch, so those are done here on its ``post``. Every failure is one
OracleError(lease_error) that says what to check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_LEASE,
    REASON_MISSING_LIBRARY,
    OracleError,
)

try:
    from etcd3gw.client import Etcd3Client
    from etcd3gw import exceptions as etcd_exceptions
    HAS_ETCD3GW = True
except ImportError:  # pragma: no cover - only the etcd backend needs it
    HAS_ETCD3GW = False


def b64(text):
    """``text`` (str or bytes) as etcd's gateway wants keys and values: base64 text."""
    return base64.b64encode(text.encode('utf-8') if isinstance(text, str) else text).decode('ascii')


def unb64(text):
    """The bytes of a base64 key or value from the gateway (b'' for none)."""
    return base64.b64decode(text or '')


def range_end(prefix):
    """The ``range_end`` (base64) that makes a range request cover every key under ``prefix``."""
    raw = bytearray(prefix.encode('utf-8'))
    raw[-1] += 1
    return base64.b64encode(bytes(raw)).decode('ascii')


class Gateway:
    """etcd's v3 JSON gateway on one or more endpoints: the first that answers serves, the next takes over."""

    def __init__(self, endpoints, ca_path, client_cert, client_key, username, password, timeout):
        if not HAS_ETCD3GW:
            raise OracleError('the etcd lease backend needs the Python library etcd3gw on the controller; install it '
                              '(pip install etcd3gw) or set lease_backend to file', REASON_MISSING_LIBRARY)
        self.endpoints = list(endpoints)
        self._clients = []
        for url in self.endpoints:
            scheme, rest = url.split('://', 1)
            netloc = rest.split('/', 1)[0]
            host, _sep, port = netloc.rpartition(':')
            client = Etcd3Client(host.strip('[]'), int(port), scheme, ca_cert=ca_path, cert_key=client_key,
                                 cert_cert=client_cert, timeout=timeout, api_path='/v3/')
            self._clients.append(client)
        self._username = username
        self._password = password
        self._current = 0
        self.timeout = timeout

    def close(self):
        for client in self._clients:
            client.session.close()

    def _authenticate(self, client, endpoint):
        try:
            answer = client.post(client.get_url('auth/authenticate'), json={'name': self._username, 'password': self._password})
        except (etcd_exceptions.ConnectionFailedError, etcd_exceptions.ConnectionTimeoutError):
            raise  # the next endpoint may answer
        except etcd_exceptions.Etcd3Exception as exc:
            # said as what it is, not as a refusal of the request it was made for
            raise OracleError('etcd at %s did not accept user %s (%s); check lease_etcd_username and lease_etcd_password '
                              '(ORACLE_COMMS_ETCD_USERNAME, ORACLE_COMMS_ETCD_PASSWORD)' % (endpoint, self._username, _etcd_says(exc)),
                              REASON_LEASE)
        client.session.headers['Authorization'] = answer['token']

    def _post(self, client, index, path, body):
        """One POST to ``client``, signed in first where etcd wants a user, and once again on an expired auth token."""
        for again in (True, False):
            if self._username and 'Authorization' not in client.session.headers:
                self._authenticate(client, self.endpoints[index])
            try:
                return client.post(client.get_url(path), json=body)
            except etcd_exceptions.Etcd3Exception as exc:
                # an expired auth token: sign in again once
                if again and self._username and 'token' in str(exc).lower() and not isinstance(
                        exc, (etcd_exceptions.ConnectionFailedError, etcd_exceptions.ConnectionTimeoutError)):
                    client.session.headers.pop('Authorization', None)
                    continue
                raise
        raise AssertionError('unreachable')  # pragma: no cover - the second pass returns or raises

    def call(self, path, body):
        """POST ``body`` to ``path`` of the first endpoint that answers; OracleError(lease_error) when none does."""
        problems = []
        for attempt in range(len(self._clients)):
            index = (self._current + attempt) % len(self._clients)
            try:
                answer = self._post(self._clients[index], index, path, body)
                self._current = index
                return answer
            except (etcd_exceptions.ConnectionFailedError, etcd_exceptions.ConnectionTimeoutError) as exc:
                problems.append('%s: %s' % (self.endpoints[index], _short(exc)))
            except etcd_exceptions.Etcd3Exception as exc:
                raise OracleError('etcd at %s refused %s (%s); check lease_etcd_username/password and the user\'s role'
                                  % (self.endpoints[index], path, _etcd_says(exc)), REASON_LEASE)
            except ValueError as exc:
                raise OracleError('etcd at %s answered %s with something that is not JSON (%s)'
                                  % (self.endpoints[index], path, _short(exc)), REASON_LEASE)
        raise OracleError('etcd cannot be reached (%s); check lease_etcd_endpoints and that etcd runs'
                          % '; '.join(problems), REASON_LEASE)

    def range(self, name, **extra):
        """The key-values of a range request for the key ``name`` (text), with ``extra`` fields of the request."""
        body = dict({'key': b64(name)}, **extra)
        return self.call('kv/range', body).get('kvs', [])

    def grant(self, ttl):
        """A new etcd lease of ``ttl`` seconds; its id."""
        answer = self.call('lease/grant', {'TTL': ttl})
        return answer['ID']

    def refresh(self, lease_id):
        """Keep an etcd lease alive; False once it has expired (its keys are gone)."""
        answer = self.call('lease/keepalive', {'ID': lease_id})
        return int(answer.get('result', {}).get('TTL', 0) or 0) > 0

    def revoke(self, lease_id):
        """End an etcd lease (and the keys on it) now; when that fails, it expires by itself."""
        try:
            self.call('kv/lease/revoke', {'ID': lease_id})
        except OracleError:
            pass  # it expires by itself


def _etcd_says(exc):
    """What etcd's gateway said of a refusal (the ``error`` of its JSON answer), else :func:`_short` of ``exc``."""
    try:
        said = json.loads(getattr(exc, 'detail_text', None) or '')
        text = said.get('error') or said.get('message') if isinstance(said, dict) else None
    except ValueError:
        text = None
    if isinstance(text, str) and text.strip():
        return ' '.join(text.split())[:160]
    return _short(exc)


def _short(exc):
    # etcd3gw raises its own error from the requests error: what went wrong is in the chain
    cause, seen = exc, 0
    while cause is not None and seen < 5:
        if type(cause).__name__ in ('SSLError', 'SSLCertVerificationError'):
            return ('TLS: certificate not trusted or not matching (lease_etcd_ca_path), or a client certificate etcd asks for '
                    'missing or refused (lease_etcd_client_cert)')
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    text = ' '.join(str(exc).split())
    if 'SSLError' in text or 'CERTIFICATE' in text.upper():
        return 'TLS: certificate not trusted or not matching (lease_etcd_ca_path)'
    return (text or type(exc).__name__)[:160]
