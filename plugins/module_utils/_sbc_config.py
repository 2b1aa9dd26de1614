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

from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
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
#: Pages of one element list read at most: far more than any SBC holds (Oracle pages by 100), and an end to a link loop.
MAX_PAGES = 1000

#: The rows of a metadata answer: Oracle's ``attributeMetadata``, and the ``attribute`` rows of our emulator's first shape.
_METADATA_ROWS = ('attributeMetadata', 'attribute')
#: Where a row names its value type (Oracle: ``valueType``; ours: ``type``) and its allowed values (the SDM's twin: ``enumeratedValues``).
_TYPE_FIELDS = ('valueType', 'type')
_ENUM_FIELDS = ('enumeratedValues', 'enumValues', 'validValues')
#: Parts of an async status that never carry a failure's words.
_STATE_FIELDS = ('operation', 'status')


class ElementMeta:
    """What the SBC says about an element type: its attribute names, which are keys, whether there is only one,
    each attribute's value type (lower case, '' when not said) and allowed values (empty when not said)."""

    def __init__(self, element_type, attributes, keys, singleton=False, types=None, enums=None):
        self.element_type = element_type
        self.attributes = tuple(attributes)
        self.keys = tuple(keys)
        self.singleton = bool(singleton)
        self.types = dict(types or {})
        self.enums = dict(enums or {})

    def value_type(self, name):
        """The value type the SBC names for attribute ``name``, lower case; '' when it names none."""
        return self.types.get(name, '')


def _top_rows(node):
    """The metadata rows of the type itself: those at the shallowest depth under ``node`` where rows appear at all.

    A sub-element's rows sit deeper, inside a row or inside a wrapper of their own (whatever Oracle names it), so
    they are never taken for the type's.
    """
    level = list(node)
    while level:
        rows = [child for child in level if child.tag in _METADATA_ROWS]
        if rows:
            return rows
        level = [grandchild for child in level for grandchild in child]
    return []


def _field(row, names):
    """The stripped text of the first direct child of ``row`` named one of ``names``; None when there is none."""
    for name in names:
        text = row.findtext(name)
        if text is not None:
            return text.strip()
    return None


def parse_metadata(root, element_type):
    """The ElementMeta in a metadata answer, Oracle's documented shape or our emulator's first one; None when neither is there.

    Oracle: ``<data>`` holds ``<elementType>``, ``<singleInstance>`` and one ``<attributeMetadata>`` per attribute
    (``name``, ``key``, ``valueType``, ``enumeratedValues``, ...). Ours: ``<elementTypeMetadata>`` with ``<singleton>``
    and ``<attribute>`` rows (``name``, ``key``, ``type``).
    """
    if root is None:
        return None
    data = root.find('data') if root.tag == 'response' else root
    rows = _top_rows(data if data is not None else root)
    names, keys, types, enums = [], [], {}, {}
    for row in rows:
        name = _field(row, ('name',))
        if not name:
            continue
        names.append(name)
        if (_field(row, ('key',)) or '').lower() == 'true':
            keys.append(name)
        types[name] = (_field(row, _TYPE_FIELDS) or '').lower()
        # a list may come as repeated elements (JAXB's way) or as one element with a child per value
        allowed = []
        for node in row:
            if node.tag in _ENUM_FIELDS:
                children = [c.text.strip() for c in node if c.text and c.text.strip()]
                allowed.extend(children or ([node.text.strip()] if node.text and node.text.strip() else []))
        if allowed:
            enums[name] = tuple(allowed)
    if not names:
        return None
    single = data.find('.//singleInstance') if data is not None else None
    if single is None and data is not None:
        single = data.find('.//singleton')
    singleton = single is not None and (single.text or '').strip().lower() == 'true'
    return ElementMeta(element_type, names, keys, singleton, types, enums)


def failure_words(root):
    """The SBC's own words on a failed async request, from anywhere Oracle leaves room for them; '' when it gave none.

    Oracle documents only that the failure's text is inside ``<data>`` and that ``<additionalInfo>`` carries
    request-specific detail: so every text of ``<data>`` but the operation's name and status, then ``<messages>``.
    """
    words = []
    data = root.find('data') if root.tag == 'response' else root
    for scope in (data, root.find('messages') if root.tag == 'response' else None):
        if scope is None:
            continue
        state = scope.find('operationState')
        skip = set(state.findall('operation') + state.findall('status')) if state is not None else set()
        for node in scope.iter():
            if node in skip:
                continue
            text = (node.text or '').strip()
            if text and text not in words:
                words.append(text)
    return '; '.join(words)


def own_path(link):
    """The path and query of ``link`` (absolute, or a bare path) when it names a REST resource; None otherwise.

    Only the path is taken: the request goes to the host this task connected to, whatever host the link names
    (an SBC behind NAT or a proxy knows itself by another name), so the token never goes anywhere else.
    """
    if not link:
        return None
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if parts.scheme not in ('', 'https', 'http') or not parts.path.startswith('/rest/') or '..' in parts.path.split('/'):
        return None
    return parts.path.lstrip('/') + ('?' + parts.query if parts.query else '')


def element_body(element_type, attributes):
    """``<configElement>`` XML for ``element_type`` with ``attributes`` (name -> text, or a list of texts for an attribute
    of several values, one ``<value>`` each), in the order given."""
    rows = ''.join('<attribute><name>%s</name>%s</attribute>' % (
        escape(name), ''.join('<value>%s</value>' % escape(one) for one in (value if isinstance(value, list) else [value])))
        for name, value in attributes.items())
    return '<configElement><elementType>%s</elementType>%s</configElement>' % (escape(element_type), rows)


def _top_elements(node, found):
    """Collect the ``<configElement>`` under ``node`` that are not inside another (a sub-element is part of its element)."""
    for child in node:
        if child.tag == 'configElement':
            found.append(child)
        else:
            _top_elements(child, found)
    return found


def parse_elements(root):
    """Every top-level ``<configElement>`` under ``root`` (``root`` itself if it is one) as an ordered mapping of attribute
    name -> text (a list of texts for an attribute answered with several values)."""
    found = []
    if root is None:
        return found
    for element in ([root] if root.tag == 'configElement' else _top_elements(root, [])):
        values = {}
        for attribute in element.findall('attribute'):
            name = xml_text(attribute, 'name')
            if name:
                texts = [(value.text or '').strip() for value in attribute.findall('value')]
                # an attribute of several values answers one <value> each: all of them, as a list
                values[name] = texts if len(texts) > 1 else (texts[0] if texts else '')
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
            path, params = self._next_page(root), None
            if path is None or path in seen or not page:
                return found  # the last page, a link seen before, or a page that brings nothing: no further
            seen.add(path)
        raise OracleError('%s on %s: the SBC linked more than %d pages; read with filters that name every key attribute'
                          % (action, self.where, MAX_PAGES), REASON_BAD_RESPONSE)

    @staticmethod
    def _next_page(root):
        """The path of the next page a list answer links (a configElements link in ``<links>``), or None."""
        links = root.find('links') if root.tag == 'response' else None
        for node in (links.iter('link') if links is not None else ()):
            path = own_path(node.text)
            if path and path.split('?', 1)[0].endswith('/configuration/configElements') and 'elementType=' in path:
                return path
        return None

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
        """Where to poll: the path of the REST resource the 202 links (asked of this SBC, whatever host the link names),
        else ``admin/asyncstatus``."""
        root = parse_xml(response.text)
        links = root.find('links') if root is not None and root.tag == 'response' else root
        for node in (links.iter('link') if links is not None else ()):
            path = own_path(node.text)
            # a status or job resource only: never poll (GET) whatever else a link may name
            where = path.split('?', 1)[0].lower() if path else ''
            if 'status' in where or '/job' in where:
                return path
        return self._path('admin/asyncstatus')

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
            state = root.find('.//operationState')
            status = (xml_text(state, 'status') or '').lower() if state is not None else ''
            operation = (xml_text(state, 'operation') or '').lower() if state is not None else ''
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
