# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The SDM provisioning API of one device: element reads and metadata, staged add / update / delete, the staging area, the push."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import path_segment
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
    REASON_LOCK_HELD,
    REASON_NOT_FOUND,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config_xml import (
    FLAT,
    element_body,
    element_types,
    list_shape,
    parse_changes,
    parse_elements,
    parse_metadata,
    parse_result,
    type_request,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import describe_body, one_line, parse_xml

#: A refusal that speaks of the device lock ("only the user that applied the lock", "device is locked by"); not "blockTime".
_LOCK_WORDS = re.compile(r'\block(?:ed|s)?\b', re.I)
#: A refusal that says the element is there already.
_EXISTS_WORDS = re.compile(r'\balready exists?\b|\bexists already\b|\bduplicate\b', re.I)
#: An add of an element that exists (staged or on the device).
REASON_CONFLICT = 'conflict'
#: The push types Oracle's SDM knows (its SOAP twin: saveAndActivateConfig, saveConfig, activateConfig).
PUSH_TYPES = {'save_activate': 'SaveActivateConfig', 'save': 'SaveConfig', 'activate': 'ActivateConfig'}


class SdmConfig:
    """Provisioning calls on one SDM device with the signed-in SdmClient ``client`` (its session, version and redaction).

    ``shape`` is how bodies write their lists (FLAT or WRAPPED): the shape this SDM answers in, once known.
    """

    def __init__(self, client, device_id, shape=None):
        self.client = client
        self.http = client.http
        self.device_id = device_id
        self.shape = shape
        self._configs = 'configuration/deviceConfigs/%s/' % path_segment(device_id, 'device id')

    @property
    def where(self):
        return 'device %s on SDM %s' % (self.device_id, self.http.endpoint)

    def _said(self, response):
        text = one_line(self.http.redact(describe_body(response)), 200)
        return (': %s' % text) if text else ''

    def _error(self, response, action, element_type=None):
        """One OracleError for a refused provisioning call: the SDM's own words, and what to do."""
        status = response.status_code
        said = self._said(response)
        if status in (403, 409, 423) or _LOCK_WORDS.search(said):
            return OracleError('%s on %s was refused (%d)%s; the device lock is held by another user, or the session lost it: '
                               'lock the device again' % (action, self.where, status, said), REASON_LOCK_HELD, status)
        if status in (400, 409) and _EXISTS_WORDS.search(said):
            return OracleError('%s on %s was refused (%d)%s; an element with the same key exists (on the device or staged): name it '
                               'by the SDM\'s own key attributes (leave key_attributes unset to read them from its metadata) to update '
                               'it, or choose another key' % (action, self.where, status, said), REASON_CONFLICT, status)
        if status == 400:
            hint = ('; is %s an element type of this device (the SDM\'s camelCase names, e.g. realmConfig), and are the '
                    'attributes its own?' % element_type) if element_type else ''
            return OracleError('%s on %s was refused (400)%s%s' % (action, self.where, said, hint), REASON_BAD_INPUT, status)
        if status == 404:
            return OracleError('%s on %s failed (404)%s; check the device id%s' % (
                action, self.where, said, ' and the element type %s' % element_type if element_type else ''), REASON_NOT_FOUND, status)
        return self.http.error_for(response, action)

    def _root(self, response, action, expected):
        root = parse_xml(response.text)
        if root is None:
            raise self.http.bad_body(response, action, expected)
        return root

    def _learn_shape(self, root):
        if self.shape is None and root is not None:
            self.shape = list_shape(root)

    # -- reads ----------------------------------------------------------------------------------------

    def element_types(self):
        """The top-level element types of the device; learns the SDM's list shape from the answer."""
        action = 'reading the element types'
        response = self.client.call('GET', self._configs + 'elementTypes', idempotent=True)
        if response.status_code != 200:
            raise self._error(response, action)
        root = self._root(response, action, 'an elementTypes list')
        self._learn_shape(root)
        return element_types(root)

    def metadata(self, element_type):
        """The ElementMeta of ``element_type`` (its keys, attribute names, value types and allowed values)."""
        action = 'reading the metadata of %s' % element_type
        response = self.client.call('POST', self._configs + 'elementTypes/elementMetadata', type_request(element_type), idempotent=True)
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        meta = parse_metadata(parse_xml(response.text), element_type)
        if meta is None:
            raise OracleError('%s on %s: the answer names no attribute (attributeMetadata rows with a name)%s; give key_attributes '
                              '(the attributes that identify one element) and the task needs no metadata'
                              % (action, self.where, self._said(response)), REASON_BAD_RESPONSE, response.status_code)
        return meta

    def create(self, element_type):
        """A new ``element_type`` element with every attribute at its default (``configElements/create``, which Oracle
        documents as never stored); OracleError(bad_response) when the answer holds no element."""
        action = 'reading the defaults of %s' % element_type
        response = self.client.call('POST', self._configs + 'configElements/create', type_request(element_type), idempotent=True)
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        found = parse_elements(parse_xml(response.text))
        if not found:
            raise OracleError('%s on %s: the answer holds no configElement%s; state=replaced and overridden need the defaults it '
                              'gives, so use state=merged and give every attribute' % (action, self.where, self._said(response)),
                              REASON_BAD_RESPONSE, response.status_code)
        return found[0]

    def elements(self, element_type):
        """Every element of ``element_type`` as the SDM shows it (SdmElements, sub-elements included)."""
        action = 'reading %s elements' % element_type
        response = self.client.call('GET', self._configs + 'configElements', idempotent=True, params={'elementTypePath': element_type})
        if response.status_code != 200:
            raise self._error(response, action, element_type)
        root = self._root(response, action, 'a configElements list')
        self._learn_shape(root)
        return [element for element in parse_elements(root) if element.element_type in ('', element_type)]

    # -- staging --------------------------------------------------------------------------------------

    def _stage(self, operation, element_type, attributes, children=()):
        verb = {'add': 'staging the addition of', 'update': 'staging an update of', 'delete': 'staging the deletion of'}[operation]
        action = '%s a %s element' % (verb, element_type)
        body = element_body(element_type, attributes, self.shape or FLAT, children)
        response = self.client.call('POST', self._configs + 'configElements/' + operation, body)
        if response.status_code not in (200, 201, 204):
            raise self._error(response, action, element_type)
        found = parse_elements(parse_xml(response.text)) if response.status_code != 204 else []
        return found[0] if found else None

    def add(self, element_type, attributes):
        """Stage the addition of an element; the element as the SDM answers it (None without one)."""
        return self._stage('add', element_type, attributes)

    def update(self, element_type, attributes, children):
        """Stage an update: the key and changed ``attributes``, and the element's ``children`` sent back as they are (an SDM
        may take the children of an update for all the element's children)."""
        return self._stage('update', element_type, attributes, children)

    def delete(self, element_type, key):
        """Stage the deletion of the element ``key`` (its key attributes; {} for a singleton) names."""
        return self._stage('delete', element_type, key)

    def changes(self):
        """The staged changes of this user on the device (dicts with ``name``, ``operation`` and what else the SDM gives)."""
        action = 'reading the staged changes'
        response = self.client.call('GET', self._configs + 'configurationChanges', idempotent=True)
        if response.status_code == 204:
            return []
        if response.status_code != 200:
            raise self._error(response, action)
        # an empty list is an empty configurationChanges element (or 204): a 200 with nothing in it says nothing
        return parse_changes(self._root(response, action, 'a configurationChanges list'))

    def discard(self):
        """Discard every staged change of this user on the device."""
        response = self.client.call('DELETE', self._configs + 'configurationChanges', idempotent=True)
        if response.status_code not in (200, 204):
            raise self._error(response, 'discarding the staged changes')

    def load(self):
        """``loadConfig``: start a provisioning session, the SDM's copy brought in line with the device."""
        response = self.client.call('GET', 'configuration/devices/%s/loadConfig' % path_segment(self.device_id, 'device id'), idempotent=True)
        if response.status_code not in (200, 204):
            raise self._error(response, 'loading the configuration of the device (loadConfig)')

    # -- the push -------------------------------------------------------------------------------------

    def push(self, push_type, timeout):
        """Send the push ``push_type`` (a PUSH_TYPES key) and return its ``saveActivateResult`` fields (Oracle's names).

        The push is synchronous and never repeated (a second one is not harmless): ``timeout`` bounds the wait. An answer
        other than 200 that carries a result is returned as well, with ``_status`` set; one without raises.
        """
        kind = PUSH_TYPES[push_type]
        response = self.client.call('POST', 'configuration/devices/%s/action' % path_segment(self.device_id, 'device id'),
                                    '<deviceAction><type>%s</type></deviceAction>' % kind, timeout=timeout)
        result = parse_result(parse_xml(response.text))
        if response.status_code in (200, 201) and result:
            return result
        if result and ('status' in result or any(name.startswith('is') for name in result)):
            result['_status'] = response.status_code
            return result
        if response.status_code in (200, 201, 204):
            raise self.http.bad_body(response, 'the %s push' % kind, 'a saveActivateResult')
        raise self._error(response, 'the %s push' % kind)
