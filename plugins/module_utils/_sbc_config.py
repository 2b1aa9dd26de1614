# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The Oracle SBC configuration API: elements (read, metadata, add, update, delete) and save / verify / activate."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from xml.sax.saxutils import escape

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_LOCK_LOST,
    REASON_NOT_FOUND,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import describe_body, one_line, parse_xml, xml_text

#: A 409: an element with the same key (or a second singleton) already exists.
REASON_CONFLICT = 'conflict'
#: save, verify or activate ended in failure on the SBC.
REASON_CONFIG_FAILED = 'config_failed'
#: save, verify or activate did not end before the task's deadline.
REASON_TIMED_OUT = 'timed_out'

#: The order Oracle documents for a change: save, then verify, then activate.
COMMIT_ORDER = ('save', 'verify', 'activate')
#: save and verify are PUTs, activate a POST (Oracle's management resource).
_MANAGEMENT_METHOD = {'save': 'PUT', 'verify': 'PUT', 'activate': 'POST'}
#: Async status values that end a job; anything else is polled again.
_DONE_OK = ('success', 'succeeded', 'completed', 'complete')
_DONE_FAILED = ('fail', 'failed', 'failure', 'error')


class ElementMeta:
    """What the SBC says about an element type: its attribute names, which are keys, whether there is only one."""

    def __init__(self, element_type, attributes, keys, singleton=False):
        self.element_type = element_type
        self.attributes = tuple(attributes)
        self.keys = tuple(keys)
        self.singleton = bool(singleton)


def element_body(element_type, attributes):
    """``<configElement>`` XML for ``element_type`` with ``attributes`` (name -> text), in the order given."""
    rows = ''.join('<attribute><name>%s</name><value>%s</value></attribute>' % (escape(name), escape(value))
                   for name, value in attributes.items())
    return '<configElement><elementType>%s</elementType>%s</configElement>' % (escape(element_type), rows)


def parse_elements(root):
    """Every ``<configElement>`` under ``root`` as an ordered mapping of attribute name -> text."""
    found = []
    if root is None:
        return found
    for element in root.iter('configElement'):
        values = {}
        for attribute in element.findall('attribute'):
            name = xml_text(attribute, 'name')
            if name:
                value = attribute.find('value')
                values[name] = (value.text or '').strip() if value is not None else ''
        found.append(values)
    return found


class SbcConfig:
    """Configuration calls on one SBC with one token (the token of the lock this run holds, or a reader's)."""

    def __init__(self, client, token, clock=time.monotonic, sleep=time.sleep):
        """``client``: an SbcClient (its HttpClient, API version and redaction); ``token``: a Token."""
        self.client = client
        self.http = client.http
        self.token = token
        self._clock = clock
        self._sleep = sleep
        self.http.redact.add(token.value)

    def _path(self, tail):
        return self.client._path(tail)

    def _headers(self, body=False):
        headers = {'Authorization': 'Bearer %s' % self.token.value, 'Accept': 'application/xml'}
        if body:
            headers['Content-Type'] = 'application/xml'
        return headers

    @property
    def where(self):
        return 'SBC %s' % self.http.endpoint

    def _said(self, response):
        text = one_line(self.http.redact(describe_body(response)), 200)
        return (': %s' % text) if text else ''

    def _error(self, response, action, element_type=None):
        """One OracleError for a refused configuration call: the SBC's own text, and what to do."""
        status = response.status_code
        said = self._said(response)
        if status == 401:
            return OracleError('%s on %s was refused (401): the token of this run\'s configuration lock is no longer valid, so the lock '
                               'may be gone; lock again' % (action, self.where), REASON_LOCK_LOST, status)
        if status == 423:
            return OracleError('%s on %s was refused (423)%s: the token of this run no longer holds the configuration lock (forced '
                               'free, or expired); lock again' % (action, self.where, said), REASON_LOCK_LOST, status)
        if status == 409:
            return OracleError('%s on %s was refused (409)%s; an element with these key attributes exists: update it (state=present '
                               'with the same keys) or choose other keys' % (action, self.where, said), REASON_CONFLICT, status)
        if status == 400:
            return OracleError('%s on %s was refused (400)%s; fix the element type or attributes named there'
                               % (action, self.where, said), REASON_BAD_INPUT, status)
        if status == 404 and element_type and 'version' not in said.lower():
            return OracleError('%s on %s failed (404)%s; is %s an element type this SBC knows?' % (action, self.where, said, element_type),
                               REASON_NOT_FOUND, status)
        return self.http.error_for(response, '%s' % action)

    def _root(self, response, action, expected):
        root = parse_xml(response.text)
        if root is None:
            raise self.http.bad_body(response, action, expected)
        return root

    # -- elements -----------------------------------------------------------------------------------

    def metadata(self, element_type):
        """The ElementMeta of ``element_type`` from ``configuration/elementTypes/metadata``."""
        action = 'reading the metadata of %s' % element_type
        response = self.http.request('GET', self._path('configuration/elementTypes/metadata'), idempotent=True,
                                     params={'elementType': element_type}, headers=self._headers())
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        root = self._root(response, action, 'element metadata')
        names, keys = [], []
        for attribute in root.iter('attribute'):
            name = xml_text(attribute, 'name')
            if not name:
                continue
            names.append(name)
            if (xml_text(attribute, 'key') or '').lower() == 'true':
                keys.append(name)
        if not names:
            raise self.http.bad_body(response, action, 'the attributes of %s' % element_type)
        return ElementMeta(element_type, names, keys, (xml_text(root, 'singleton') or '').lower() == 'true')

    def elements(self, element_type, criteria=None):
        """The elements of ``element_type`` whose attributes equal every ``criteria`` item (name -> text), as mappings."""
        action = 'reading %s elements' % element_type
        params = [('elementType', element_type)] + sorted((criteria or {}).items())
        response = self.http.request('GET', self._path('configuration/configElements'), idempotent=True, params=params,
                                     headers=self._headers())
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        return parse_elements(self._root(response, action, 'an Oracle response envelope'))

    def add(self, element_type, attributes):
        """Add one element (POST); the element as the SBC answers it (or as sent, where the answer carries none)."""
        action = 'adding a %s element' % element_type
        response = self.http.request('POST', self._path('configuration/configElements'), data=element_body(element_type, attributes).encode('utf-8'),
                                     headers=self._headers(body=True))
        if response.status_code not in (200, 201):
            raise self._error(response, action, element_type)
        found = parse_elements(parse_xml(response.text))
        return found[0] if found else dict(attributes)

    def update(self, element_type, attributes):
        """Update the element the key attributes among ``attributes`` name (PUT); the whole element as the SBC answers it."""
        action = 'updating a %s element' % element_type
        # the same PUT twice leaves the same element: safe to retry
        response = self.http.request('PUT', self._path('configuration/configElements'), idempotent=True,
                                     data=element_body(element_type, attributes).encode('utf-8'), headers=self._headers(body=True))
        if response.status_code not in (200, 204):
            raise self._error(response, action, element_type)
        found = parse_elements(parse_xml(response.text))
        return found[0] if found else None

    def delete(self, element_type, key):
        """Delete the element ``key`` (its key attributes, name -> text) names; False when the SBC had none (404)."""
        action = 'deleting a %s element' % element_type
        params = [('elementType', element_type)] + sorted(key.items())
        response = self.http.request('DELETE', self._path('configuration/configElements'), idempotent=True, params=params,
                                     headers=self._headers())
        if response.status_code in (200, 204):
            return True
        if response.status_code == 404 and 'version' not in describe_body(response).lower():
            return False
        raise self._error(response, action, element_type)

    # -- save / verify / activate -------------------------------------------------------------------

    def run_step(self, step, deadline):
        """Start ``step`` (save, verify or activate) and wait until the SBC says it ended, at most until ``deadline``.

        ``deadline`` is a ``clock()`` value. Raises OracleError(config_failed) with the SBC's own failure text,
        OracleError(timed_out) when the step is still running at the deadline.
        """
        action = '%s of the configuration' % step
        response = self.http.request(_MANAGEMENT_METHOD[step], self._path('configuration/management'), params={'action': step},
                                     headers=self._headers())
        if response.status_code not in (200, 202, 204):
            raise self._error(response, 'starting the %s' % action)
        if response.status_code != 202:
            return 'success'  # answered at once: nothing to wait for
        return self._wait(step, self._status_path(response), deadline)

    def _status_path(self, response):
        """Where to poll: the link the 202 names when it is on this SBC's REST API, else ``admin/asyncstatus``."""
        root = parse_xml(response.text)
        link = xml_text(root, 'link') if root is not None else None
        base = self.http.endpoint.base_url + '/'
        if link and link.startswith(base) and '/rest/' in link:
            return link[len(base):]
        return self._path('admin/asyncstatus')

    def _wait(self, step, path, deadline):
        delay = 0.1
        while True:
            left = deadline - self._clock()
            if left <= 0:
                raise OracleError('the %s of the configuration on %s was still running when the task\'s async_timeout ran out; it may '
                                  'still end on the SBC: check its status there, or raise async_timeout' % (step, self.where),
                                  REASON_TIMED_OUT)
            response = self.http.request('GET', path, idempotent=True, headers=self._headers(), timeout=max(0.1, min(self.http.timeout, left)))
            if response.status_code != 200:
                raise self._error(response, 'reading the status of the %s of the configuration' % step)
            root = self._root(response, 'reading the status of the %s' % step, 'an operation state')
            state = root.find('.//operationState')
            status = (xml_text(state, 'status') or '').lower() if state is not None else ''
            operation = (xml_text(state, 'operation') or '').lower() if state is not None else ''
            if status and (not operation or operation == step):
                if status in _DONE_OK:
                    return status
                if status in _DONE_FAILED:
                    text = xml_text(root, 'errorMessage') or xml_text(root, 'message') or 'no reason given'
                    raise OracleError('the %s of the configuration on %s failed: %s; fix the configuration on the SBC, then commit again'
                                      % (step, self.where, one_line(self.http.redact(text), 200)), REASON_CONFIG_FAILED)
            self._sleep(max(0.0, min(delay, deadline - self._clock())))
            delay = min(1.0, delay * 2)
