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

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
    REASON_LOCK_LOST,
    REASON_NOT_FOUND,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import (
    element_body,
    failure_words,
    next_page_path,
    operation_state,
    parse_elements,
    parse_metadata,
    status_path,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import describe_body, one_line, parse_xml

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
#: Pages of one element list read at most: far more than any SBC holds (Oracle pages by 100), and an end to a link loop.
MAX_PAGES = 1000


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
            return OracleError('%s on %s was refused (409)%s; the SBC holds an element with the same key already: name it by the '
                               'SBC\'s own key attributes (leave key_attributes unset to read them from its metadata) to update it, or '
                               'choose another key' % (action, self.where, said), REASON_CONFLICT, status)
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

    def _not_version(self, response):
        """True for a 404 that is not the SBC's "Unsupported versionId in URI" (so: no such element or type)."""
        return response.status_code == 404 and 'version' not in describe_body(response).lower()

    def metadata(self, element_type, hint):
        """The ElementMeta of ``element_type`` from ``configuration/elementTypes/metadata``.

        ``hint`` ends the message when the answer carries the attributes in neither shape this collection reads
        (say what the task can do without them); that failure is bad_response, an unknown type not_found (404).
        """
        action = 'reading the metadata of %s' % element_type
        response = self.http.request('GET', self._path('configuration/elementTypes/metadata'), idempotent=True,
                                     params={'elementType': element_type}, headers=self._headers())
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        meta = parse_metadata(parse_xml(response.text), element_type)
        if meta is None:
            raise OracleError('%s on %s: the answer names no attributes in a shape this collection reads (attributeMetadata or '
                              'attribute rows with a name)%s; %s' % (action, self.where, self._said(response), hint),
                              REASON_BAD_RESPONSE, response.status_code)
        return meta

    def template(self, element_type):
        """The attributes of a new ``element_type`` element at their defaults (``configuration/elementTypes/template``, which
        Oracle documents as the type's supported attributes with their default values); OracleError(bad_response) when the
        answer holds no element in the documented shape."""
        action = 'reading the template of %s' % element_type
        response = self.http.request('GET', self._path('configuration/elementTypes/template'), idempotent=True,
                                     params={'elementType': element_type}, headers=self._headers())
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        found = parse_elements(parse_xml(response.text))
        if not found:
            raise OracleError('%s on %s: the answer holds no configElement%s; state=replaced and overridden need the defaults it '
                              'gives, so use state=merged and give every attribute' % (action, self.where, self._said(response)),
                              REASON_BAD_RESPONSE, response.status_code)
        return found[0]

    def type_known(self, element_type):
        """Whether the SBC knows ``element_type``: its metadata answers 200 (404: it does not); the answer's shape is not read."""
        response = self.http.request('GET', self._path('configuration/elementTypes/metadata'), idempotent=True,
                                     params={'elementType': element_type}, headers=self._headers())
        if response.status_code == 200:
            return True
        if self._not_version(response):
            return False
        raise self._error(response, 'reading the metadata of %s' % element_type, element_type)

    def find(self, element_type, key, type_known=False):
        """The elements a read naming every key attribute in ``key`` (name -> text; {} for a singleton) answers.

        Oracle leaves open whether such a read of a missing element answers 200 with none or 404: a 404 is
        "none" once the type is known (``type_known``, else asked of the metadata); for an unknown type it is
        OracleError(not_found).
        """
        action = 'reading %s elements' % element_type
        params = [('elementType', element_type)] + sorted(key.items())
        response = self.http.request('GET', self._path('configuration/configElements'), idempotent=True, params=params,
                                     headers=self._headers())
        if self._not_version(response) and (type_known or self.type_known(element_type)):
            return []
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        return parse_elements(self._root(response, action, 'an Oracle response envelope'))

    def every(self, element_type):
        """Every element of ``element_type``, page after page (Oracle pages the list and links the next page)."""
        action = 'reading %s elements' % element_type
        path, params, seen, found = self._path('configuration/configElements'), [('elementType', element_type)], set(), []
        for _page in range(MAX_PAGES):
            response = self.http.request('GET', path, idempotent=True, params=params, headers=self._headers())
            if self._not_version(response) and self.type_known(element_type):
                return found  # an SBC that answers a list of none with 404
            if response.status_code != 200:
                raise self._error(response, action, element_type)
            root = self._root(response, action, 'an Oracle response envelope')
            page = parse_elements(root)
            found.extend(page)
            path, params = next_page_path(root), None
            if path is None or path in seen or not page:
                return found  # the last page, a link seen before, or a page that brings nothing: no further
            seen.add(path)
        raise OracleError('%s on %s: the SBC linked more than %d pages; read with filters that name every key attribute'
                          % (action, self.where, MAX_PAGES), REASON_BAD_RESPONSE)

    def add(self, element_type, attributes):
        """Add one element (POST); the element as the SBC answers it, None when the answer carries none."""
        action = 'adding a %s element' % element_type
        response = self.http.request('POST', self._path('configuration/configElements'), data=element_body(element_type, attributes).encode('utf-8'),
                                     headers=self._headers(body=True))
        if response.status_code not in (200, 201, 204):
            raise self._error(response, action, element_type)
        found = parse_elements(parse_xml(response.text))
        return found[0] if found else None

    def update(self, element_type, attributes):
        """Update the element the key attributes among ``attributes`` name (PUT); the whole element as the SBC answers it, or None."""
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
        if self._not_version(response):
            return False
        raise self._error(response, action, element_type)

    # -- save / verify / activate -------------------------------------------------------------------

    def use_token(self, token):
        """Go on with ``token`` (the lock's token after a re-authentication)."""
        self.token = token
        self.http.redact.add(token.value)

    def run_step(self, step, deadline, keep_fresh=None):
        """Start ``step`` (save, verify or activate) and wait until the SBC says it ended, at most until ``deadline``.

        ``deadline`` is a ``clock()`` value. ``keep_fresh()`` is called before each status read, so that a wait longer
        than half a token's life renews the token that holds the lock (see :meth:`use_token`). Raises
        OracleError(config_failed) with the SBC's own failure text, OracleError(timed_out) when the step is still
        running at the deadline.
        """
        action = '%s of the configuration' % step
        response = self.http.request(_MANAGEMENT_METHOD[step], self._path('configuration/management'), params={'action': step},
                                     headers=self._headers())
        if response.status_code not in (200, 202, 204):
            raise self._error(response, 'starting the %s' % action)
        if response.status_code != 202:
            return 'success'  # answered at once: nothing to wait for
        return self._wait(step, self._status_path(response), deadline, keep_fresh)

    def _status_path(self, response):
        """Where to poll: the path of the status or job resource the 202 links (asked of this SBC, whatever host the link
        names), else ``admin/asyncstatus``."""
        return status_path(parse_xml(response.text)) or self._path('admin/asyncstatus')

    def _wait(self, step, path, deadline, keep_fresh=None):
        delay = 0.1
        while True:
            if keep_fresh is not None:
                keep_fresh()
            left = deadline - self._clock()
            if left <= 0:
                raise OracleError('the %s of the configuration on %s was still running when the task\'s async_timeout ran out; it may '
                                  'still end on the SBC: check its status there, or raise async_timeout' % (step, self.where),
                                  REASON_TIMED_OUT)
            response = self.http.request('GET', path, idempotent=True, headers=self._headers(), timeout=max(0.1, min(self.http.timeout, left)))
            if response.status_code != 200:
                raise self._error(response, 'reading the status of the %s of the configuration' % step)
            root = self._root(response, 'reading the status of the %s' % step, 'an operation state')
            operation, status = operation_state(root)
            if status and (not operation or operation == step):
                if status in _DONE_OK:
                    return status
                if status in _DONE_FAILED:
                    words = failure_words(root)
                    said = ('the SBC says: %s' % one_line(self.http.redact(words), 300) if words
                            else 'the SBC\'s status is "%s" and carries no words of why' % status)
                    raise OracleError('the %s of the configuration on %s failed (%s); fix the configuration on the SBC, then commit again'
                                      % (step, self.where, said), REASON_CONFIG_FAILED)
            self._sleep(max(0.0, min(delay, deadline - self._clock())))
            delay = min(1.0, delay * 2)
