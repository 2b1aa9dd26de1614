# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The Oracle SBC REST API, as far as locking needs it: token, re-authentication, lock, unlock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_API_VERSION,
    REASON_AUTH,
    REASON_LOCK_LOST,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import (
    HOLDER_FOREIGN,
    HOLDER_NOBODY,
    HOLDER_UNKNOWN,
    NOT_OURS,
    confirm_held,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import describe_body, parse_xml, xml_text
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import TOKEN_LIFETIME, Token  # noqa: F401 (part of this API)

#: The versions this collection speaks, newest first; an SBC answers 404 "Unsupported versionId" for others.
KNOWN_VERSIONS = ('v1.2', 'v1.1', 'v1.0')

LOCKED = 'locked'
BUSY = 'busy'
RELEASED = 'released'
REFUSED = 'refused'

#: What a 423 to ``unlock`` says of the lock, by the texts Oracle documents ("Resource locked by another user" when
#: someone else holds it, "User does not have the lock" when nobody does); any other wording says nothing.
_UNLOCK_REFUSALS = ((re.compile(r'locked\s+by\s+another', re.I), HOLDER_FOREIGN),
                    (re.compile(r'does\s+not\s+have\s+the\s+lock', re.I), HOLDER_NOBODY))


class SbcClient:
    """Speaks to one SBC. Every call is one HTTP request unless a documented retry applies."""

    product = 'SBC'

    def __init__(self, http, username, password, api_version=None, token_lifetime=TOKEN_LIFETIME, clock=time.time):
        self.http = http
        self.username = username
        self.password = password
        self.api_version = api_version
        self.version_pinned = api_version is not None
        self.token_lifetime = float(token_lifetime)
        self._clock = clock
        http.redact.add(password)

    def close(self):
        """Close the connection (the client is not used again)."""
        self.http.close()

    def follow_version(self, version):
        """Speak the API version a lock was taken with (a lease remembers it), unless the task pinned one."""
        if version and not self.version_pinned:
            self.api_version = version

    def keep_secret(self, value):
        """Have ``value`` (a token handed to us) redacted from every message of this client."""
        self.http.redact.add(value)

    # -- tokens -----------------------------------------------------------------------------------

    def _path(self, tail):
        return 'rest/%s/%s' % (self.api_version or KNOWN_VERSIONS[0], tail)

    def authenticate(self):
        """Get a new token with Basic auth. Finds the API version on the way when none was given."""
        candidates = [self.api_version] if self.version_pinned else list(KNOWN_VERSIONS)
        last = None
        for version in candidates:
            self.api_version = version
            issued = self._clock()
            response = self.http.request('POST', self._path('auth/token'), idempotent=True, auth=(self.username, self.password))
            if response.status_code == 404 and 'version' in describe_body(response).lower() and not self.version_pinned:
                last = response
                continue
            return self._token_from(response, issued, 'authentication')
        raise OracleError('authentication on SBC %s failed: the device supports none of the API versions %s; set api_version'
                          % (self.http.endpoint, ', '.join(KNOWN_VERSIONS)), REASON_API_VERSION, last.status_code if last is not None else None)

    def refresh(self, token):
        """Re-authenticate before expiry, the documented way: Basic auth plus the live token in a form body.

        Oracle does not name the form field, so both plausible names carry the token. The answer may be a
        new token or the same one; whether the lock followed it is :meth:`refresh_holding`'s business.
        """
        issued = self._clock()
        response = self.http.request('POST', self._path('auth/token'), idempotent=True, auth=(self.username, self.password),
                                     data={'token': token.value, 'accessToken': token.value})
        if response.status_code == 401:
            raise OracleError('re-authentication on SBC %s was refused (401): the token that holds the configuration lock has expired '
                              'or was revoked, so the lock may be gone; lock again' % self.http.endpoint, REASON_LOCK_LOST, 401)
        return self._token_from(response, issued, 're-authentication')

    def discover_version(self, token):
        """Learn the API version with a token the task was given (no sign-in found it): the newest this collection
        speaks among those ``GET /rest/api/supportedversions`` lists. Nothing to do when a version is known."""
        if self.api_version is not None:
            return
        response = self.http.request('GET', 'rest/api/supportedversions', idempotent=True, headers=self._bearer(token))
        if response.status_code != 200:
            raise self._lock_error(response, 'finding the API version (supportedversions)')
        root = parse_xml(response.text)
        offered = set((element.text or '').strip() for element in (root.iter() if root is not None else ())
                      if element.tag in ('latestVersion', 'version'))
        for version in KNOWN_VERSIONS:
            if version in offered:
                self.api_version = version
                return
        raise OracleError('SBC %s supports none of the API versions %s (it lists %s); set api_version'
                          % (self.http.endpoint, ', '.join(KNOWN_VERSIONS), ', '.join(sorted(offered)) or 'none'),
                          REASON_API_VERSION, response.status_code)

    def _token_from(self, response, issued, action):
        if response.status_code == 401:
            raise OracleError('%s on SBC %s failed: username or password not accepted (401); check username and password'
                              % (action, self.http.endpoint), REASON_AUTH, 401)
        if response.status_code != 200:
            raise self.http.error_for(response, action)
        value = xml_text(parse_xml(response.text), 'accessToken')
        if not value:
            raise self.http.bad_body(response, action, 'an accessToken')
        self.http.redact.add(value)
        return Token(value, issued + self.token_lifetime, issued)

    # -- the configuration lock ------------------------------------------------------------------

    def _bearer(self, token):
        return {'Authorization': 'Bearer %s' % token.value}

    def lock(self, token):
        """Ask for the configuration lock with ``token``: LOCKED on 204, BUSY on 423, OracleError otherwise.

        Not retried blindly: a lock granted whose answer was lost would look "busy" on the retry. The
        caller's wait loop asks again, and resolves that case with ``unlock`` first (see the lock logic).
        """
        response = self.http.request('POST', self._path('configuration/lock'), headers=self._bearer(token))
        if response.status_code in (200, 204):
            return LOCKED
        if response.status_code == 423:
            return BUSY
        raise self._lock_error(response, 'taking the configuration lock')

    def unlock_answer(self, token):
        """Give the lock back with ``token``: ``(RELEASED, '')`` on 204, ``(REFUSED, text)`` on 423 ("not yours": free, or
        held by another, in words that vary between firmware versions and languages). Safe to repeat, so transport
        failures and 5xx answers are retried."""
        response = self.http.request('POST', self._path('configuration/unlock'), idempotent=True, headers=self._bearer(token))
        if response.status_code in (200, 204):
            return RELEASED, ''
        if response.status_code == 423:
            return REFUSED, describe_body(response)
        raise self._lock_error(response, 'releasing the configuration lock')

    def unlock(self, token):
        """RELEASED or REFUSED: :meth:`unlock_answer` without the text."""
        return self.unlock_answer(token)[0]

    def release(self, token):
        """Give the lock back with ``token``, never taking it: ``(RELEASED, None)``, or ``(NOT_OURS, holder)`` on a 423.

        A 423 is Oracle's "the caller does not own the lock", which is all a release needs to know. ``holder``
        is read from the documented texts where the SBC uses one, else HOLDER_UNKNOWN: nothing else can tell
        without taking the lock, and a release never does.
        """
        outcome, text = self.unlock_answer(token)
        if outcome == RELEASED:
            return RELEASED, None
        for pattern, holder in _UNLOCK_REFUSALS:
            if pattern.search(text):
                return NOT_OURS, holder
        return NOT_OURS, HOLDER_UNKNOWN

    def holds(self, token):
        """True when ``token`` holds the lock now (taking it if it was free); False when someone else holds it.

        Raises OracleError(lock_lost) when the SBC no longer knows the token.
        """
        return confirm_held(lambda: self.lock(token) == LOCKED, lambda: self.unlock(token) == RELEASED)

    def refresh_holding(self, token):
        """Re-authenticate ``token`` and make sure the lock is held by the token that comes back.

        Where the SBC returns the same token, or a new one the lock followed, that costs one request more
        than the re-authentication (a lock with the new token, which a holder is granted again). Where the
        lock stayed on the old token, it is moved: given back with the old token and taken with the new one.
        Returns ``(new_token, how)``, ``how`` being None, or a sentence for the log when the lock was moved.
        Raises OracleError(lock_lost) when the lock is held by neither (lost meanwhile, or taken by another
        client in the moment of the move).
        """
        new = self.refresh(token)
        if new.value == token.value:
            return new, None
        if self.lock(new) == LOCKED:
            return new, None
        try:
            old_held = self.unlock(token) == RELEASED
        except OracleError as exc:
            if exc.reason != REASON_LOCK_LOST:
                raise
            old_held = False  # the old token was revoked with the re-authentication
        if old_held:
            if self.lock(new) == LOCKED:
                return new, 'the SBC left the lock on the old token at re-authentication; it was moved to the new token'
            raise OracleError('the configuration lock on SBC %s was taken by another client while it was moved to the '
                              're-authenticated token; lock again' % self.http.endpoint, REASON_LOCK_LOST)
        # The new token may hold it on an SBC that refuses a second lock by the same token.
        if self.unlock(new) == RELEASED and self.lock(new) == LOCKED:
            return new, None
        raise OracleError('after re-authentication on SBC %s, neither the old nor the new token holds the configuration lock: '
                          'it was lost (forced free, or expired) and another client holds it now; lock again'
                          % self.http.endpoint, REASON_LOCK_LOST)

    def _lock_error(self, response, action):
        if response.status_code == 401:
            return OracleError('%s on SBC %s was refused (401): the token is no longer valid, so a lock it held may be gone; '
                               'lock again' % (action, self.http.endpoint), REASON_LOCK_LOST, 401)
        return self.http.error_for(response, action)
