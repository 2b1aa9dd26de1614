# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The Oracle SDM REST API, as far as locking needs it: session, device lookup, device and group actions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import path_segment
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_AUTH, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import describe_body, one_line, parse_xml

DONE = 'done'
REFUSED = 'refused'

_JSON = {'Content-Type': 'application/json', 'Accept': 'application/json'}
#: The provisioning calls speak XML, the form of Oracle's examples in every release.
_XML = {'Content-Type': 'application/xml', 'Accept': 'application/xml'}
_DEVICE_FIELDS = ('id', 'name', 'ip', 'key', 'nfId', 'nfName', 'parentGroupId', 'groupId')
#: "locked by user prov2", "held by 'prov2'": the SDM does not document naming the holder; some texts may.
_HOLDER_RE = re.compile(r"(?:locked|held|owned)\s+by\s+(?:the\s+)?(?:user\s+)?['\"]?([\w.@-]+)", re.I)
#: "Device ID1 is not locked", "already unlocked", the cloud SDM's "already in same state": an Unlock refused for a free device.
_NOT_LOCKED_RE = re.compile(r"\b(?:not|isn't|is\s+not)\s+locked\b|\balready\s+unlocked\b|\bsame\s+state\b", re.I)
_NOT_NAMES = frozenset(('another', 'other', 'someone', 'a', 'an', 'different', 'you'))


class Answer:
    """What the SDM said to a Lock or Unlock: DONE, or REFUSED with its status, text and (when named) the holder."""

    def __init__(self, outcome, status, text='', holder=None):
        self.outcome = outcome
        self.status = status
        self.text = text
        self.holder = holder

    @property
    def done(self):
        return self.outcome == DONE


def holder_named_in(text):
    """The user an error text says holds the lock, or None where it names nobody."""
    match = _HOLDER_RE.search(text or '')
    name = match.group(1).rstrip('.') if match else ''
    if name and name.lower() not in _NOT_NAMES:
        return name
    return None


def says_not_locked(text):
    """True when a refusal's text says the device or group was not locked at all (the SDM documents no wording)."""
    return bool(_NOT_LOCKED_RE.search(text or ''))


def _devices_from_json(data):
    if isinstance(data, dict):
        for key in ('devices', 'device', 'items'):
            if key in data:
                return _devices_from_json(data[key])
        return [data] if 'id' in data else []
    if isinstance(data, list):
        found = []
        for item in data:
            found.extend(_devices_from_json(item) if isinstance(item, (list, dict)) and 'id' not in item else [item])
        return [item for item in found if isinstance(item, dict) and item.get('id')]
    return []


def _devices_from_xml(root):
    """Any element with an ``id`` child is a device: the list shapes of 9.0.0 and 9.0.1 differ only in nesting."""
    found = []
    for element in root.iter():
        if element.find('id') is not None and element.find('id').text:
            found.append(dict((child.tag, (child.text or '').strip()) for child in element if len(child) == 0))
    return found


class SdmClient:
    """Speaks to one SDM with one login session, sent as an explicit JSESSIONID cookie."""

    product = 'SDM'

    def __init__(self, http, username, password, api_version='v1.3'):
        self.http = http
        self.username = username
        self.password = password
        self.api_version = api_version or 'v1.3'
        self._cookie = None
        http.redact.add(password)

    def close(self):
        """Close the connection (call :meth:`logout` first)."""
        self.http.close()

    def idle_for(self):
        """Seconds since the last request ended: how stale the session and its kept-alive connection are."""
        return self.http.idle_for()

    def _path(self, tail):
        return 'rest/%s/%s' % (self.api_version, tail)

    def _headers(self):
        headers = dict(_JSON)
        if self._cookie:
            headers['Cookie'] = 'JSESSIONID=%s' % self._cookie
        return headers

    @property
    def logged_in(self):
        return self._cookie is not None

    def login(self):
        """Open a session. Raises OracleError(auth_failed) on 401 with a message naming the user."""
        body = json.dumps({'userName': self.username, 'password': self.password})
        response = self.http.request('POST', self._path('admin/login'), idempotent=True, data=body, headers=_JSON)
        if response.status_code == 401:
            raise OracleError('login of %s on SDM %s failed: user ID or password not accepted (401); check username and password'
                              % (self.username, self.http.endpoint), REASON_AUTH, 401)
        if response.status_code != 200:
            raise self.http.error_for(response, 'login')
        cookie = response.cookies.get('JSESSIONID')
        if not cookie:
            raise self.http.bad_body(response, 'login', 'a JSESSIONID session cookie')
        self.http.redact.add(cookie)
        self.http.redact.add(cookie.split('.')[0])
        self.http.forget_cookies()  # the explicit header is the one session we send
        self._cookie = cookie

    def logout(self):
        """Close the session (sessions are a limited server resource). Never raises: it runs on every way out."""
        if not self._cookie:
            return
        try:
            self.http.request('POST', self._path('admin/logout'), headers=self._headers(), timeout=min(self.http.timeout, 10))
        except OracleError:
            pass
        finally:
            self._cookie = None

    def _sign_in_again(self):
        """Replace a session that ended under us (idled out while a waiter stood by, closed by an administrator, SDM restarted)."""
        self._cookie = None
        self.login()

    def keep_alive(self):
        """Touch the session (``admin/serverInfo``) so that neither it nor the connection idles out; log in again if it has."""
        # one short try: a waiter stuck in retries would see the hand-over late, and the Lock finds out anyway
        response = self.http.request('GET', self._path('admin/serverInfo'), headers=self._headers(), timeout=min(self.http.timeout, 5))
        if response.status_code == 401:
            self._sign_in_again()
        elif response.status_code != 200:
            raise self.http.error_for(response, 'keeping the session alive')

    def call(self, method, tail, body=None, idempotent=False, **kwargs):
        """One XML request on ``rest/{version}/tail`` with the session (signed in first when needed); a 401 means the
        session ended and nothing was done, so the user signs in again once and it is asked again."""
        if not self.logged_in:
            self.login()
        data = body.encode('utf-8') if body is not None else None
        for attempt in (1, 2):
            headers = dict(_XML, Cookie='JSESSIONID=%s' % self._cookie)
            response = self.http.request(method, self._path(tail), idempotent=idempotent, data=data, headers=headers, **kwargs)
            if response.status_code != 401 or attempt == 2:
                return response
            self._sign_in_again()
        return response

    def devices(self):
        """Every device the user may see, as dicts with at least ``id`` (and ``name``, ``ip``, ``key`` where given)."""
        response = self.http.request('GET', self._path('inventory/deviceMgmt/devices'), idempotent=True, headers=self._headers())
        if response.status_code != 200:
            raise self.http.error_for(response, 'listing devices')
        try:
            devices = _devices_from_json(response.json())
        except ValueError:
            root = parse_xml(response.text)
            if root is None:
                raise self.http.bad_body(response, 'listing devices', 'a device list')
            devices = _devices_from_xml(root)
        return [dict((field, str(device[field])) for field in _DEVICE_FIELDS if device.get(field) is not None) for device in devices]

    def device_action(self, device_id, action):
        """Send ``Lock`` or ``Unlock`` for one device; DONE on 200/204, else REFUSED with the SDM's words."""
        # ids are checked where the user gives them; encoding here keeps one the SDM's inventory gave in its segment too
        return self._action('inventory/deviceMgmt/devices/%s/action' % path_segment(device_id, 'device id'), action,
                            'device %s' % device_id)

    def group_action(self, nf_id, group_id, action):
        """Send ``Lock`` or ``Unlock`` for a device group of a network function."""
        path = 'inventory/nfMgmt/nfs/%s/groups/%s/action' % (path_segment(nf_id, 'nf_id'), path_segment(group_id, 'group_id'))
        return self._action(path, action, 'device group %s of NF %s' % (group_id, nf_id))

    def _send_action(self, path, action):
        # Unlock is safe to repeat; a Lock whose answer got lost is repeated by the caller's wait loop.
        return self.http.request('POST', self._path(path), idempotent=(action == 'Unlock'),
                                 data=json.dumps({'type': action}), headers=self._headers())

    def _action(self, path, action, what):
        response = self._send_action(path, action)
        if response.status_code == 401 and self._cookie:
            # A 401 means nothing was done: sign in again and ask once more.
            self._sign_in_again()
            response = self._send_action(path, action)
        status = response.status_code
        if status in (200, 204):
            return Answer(DONE, status)
        if status == 401:
            raise OracleError('%s of %s on SDM %s was refused (401): the session is no longer valid; check the user and retry'
                              % (action, what, self.http.endpoint), REASON_AUTH, 401)
        if status == 404:
            raise self.http.error_for(response, action, not_found='%s not found on SDM %s (404); check the id' % (what, self.http.endpoint))
        text = one_line(self.http.redact(describe_body(response)), 200)
        return Answer(REFUSED, status, text, holder_named_in(text))
