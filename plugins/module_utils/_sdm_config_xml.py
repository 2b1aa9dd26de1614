# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The shapes of the SDM provisioning API's XML: elements and their lists, metadata, staged changes, the push's result.

Oracle's SDM wraps list items up to 8.2.5 and in 9.0.0 (``<attributes><attribute>``, ``<childrenElements><childrenElement>``)
and repeats the list element itself from 8.2.5p1 and 9.0.1 on (``<attributes>`` once per pair). Every reader here takes
both; a body is written in the shape the SDM was seen to answer in (``FLAT`` until it is known).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_RESPONSE, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import ElementMeta
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import xml_escape

FLAT = 'flat'
WRAPPED = 'wrapped'

#: List containers whose items an SDM up to 8.2.5 / 9.0.0 wraps, and the item's name there.
_ITEM_OF = {'attributes': 'attribute', 'childrenElements': 'childrenElement', 'configElements': 'configElement',
            'elementTypes': 'elementType', 'attributeMetadatas': 'attributeMetadata'}
#: Metadata rows: Oracle's ``attributeMetadata``, and the repeated ``attributeMetadatas`` of a flattened list.
_METADATA_ROWS = ('attributeMetadata', 'attributeMetadatas')
#: Where a metadata row may list its allowed values (Oracle's schema: ``enumeratedValue``; the SOAP twin: ``enumerated_values``).
_ENUM_FIELDS = ('enumeratedValue', 'enumeratedValues', 'enumerated_values')
#: A metadata answer may say the type has one instance (the SOAP twin names it ``isSingleInstance``).
_SINGLE_FIELDS = ('isSingleInstance', 'singleInstance', 'singleton')
_TRUE = ('true', 'yes', '1')


def _local(tag):
    """A tag without its XML namespace."""
    return tag.rsplit('}', 1)[-1] if isinstance(tag, str) else ''


def _children(node, name):
    return [child for child in node if _local(child.tag) == name]


def _text(node, name):
    for child in node:
        if _local(child.tag) == name:
            return (child.text or '').strip()
    return None


def _raw_text(node, name):
    """The text of the first child ``name`` as the SDM gives it (spaces are part of a value), '' when there is none."""
    for child in node:
        if _local(child.tag) == name:
            return child.text or ''
    return ''


def _items(node, container):
    """The items of list ``container`` under ``node`` in either shape: each wrapped item, or each repeated container."""
    found = []
    for holder in _children(node, container):
        wrapped = _children(holder, _ITEM_OF[container])
        found.extend(wrapped if wrapped else [holder])
    return found


# -- elements ---------------------------------------------------------------------------------------

class SdmElement:
    """One configuration element as the SDM answers it: its type path, its attributes (name -> text, or a list of texts
    when the SDM repeats a name) and its sub-elements (SdmElements), kept so that an update can send them back as they are."""

    def __init__(self, element_type, attributes, children=()):
        self.element_type = element_type
        self.attributes = attributes
        self.children = list(children)


def _attributes(node):
    values = {}
    for pair in _items(node, 'attributes'):
        name = _text(pair, 'name')
        if not name:
            continue
        value = _raw_text(pair, 'value')
        if name in values:
            values[name] = (values[name] if isinstance(values[name], list) else [values[name]]) + [value]
        else:
            values[name] = value
    return values


#: Sub-elements nest a few levels in Oracle's model; an answer nesting deeper than this is refused, never followed down.
MAX_DEPTH = 32


def element_of(node, depth=0):
    """The SdmElement a ``configElement`` node (or an item of a list of them) describes; OracleError(bad_response) for
    sub-elements nested deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise OracleError('the answer nests sub-elements more than %d levels deep, which no element type has' % MAX_DEPTH,
                          REASON_BAD_RESPONSE)
    return SdmElement(_text(node, 'elementTypePath') or '', _attributes(node),
                      [element_of(child, depth + 1) for child in _items(node, 'childrenElements')])


def parse_elements(root):
    """The top-level elements of an answer: a ``configElement``, or a ``configElements`` list in either shape."""
    if root is None:
        return []
    if _local(root.tag) == 'configElement':
        return [element_of(root)]
    nodes = _items(root, 'configElements') if _children(root, 'configElements') else list(root)
    return [element_of(node) for node in nodes
            if _text(node, 'elementTypePath') is not None or _children(node, 'attributes')]


def list_shape(root):
    """FLAT or WRAPPED: how the answer ``root`` writes its lists; None when it has no list to tell by."""
    for node in root.iter():
        name = _local(node.tag)
        if name in _ITEM_OF and len(node):
            inner = [_local(child.tag) for child in node]
            if _ITEM_OF[name] in inner:
                return WRAPPED
            if name in inner or 'name' in inner or 'elementTypePath' in inner:
                return FLAT
    return None


def _pairs_xml(attributes, shape):
    pairs = []
    for name, value in attributes.items():
        for one in (value if isinstance(value, list) else [value]):
            pairs.append('<name>%s</name><value>%s</value>' % (xml_escape(name), xml_escape(one)))
    if shape == WRAPPED:
        return '<attributes>%s</attributes>' % ''.join('<attribute>%s</attribute>' % pair for pair in pairs) if pairs else ''
    return ''.join('<attributes>%s</attributes>' % pair for pair in pairs)


def _inner_xml(element_type, attributes, children, shape):
    text = '<elementTypePath>%s</elementTypePath>%s' % (xml_escape(element_type), _pairs_xml(attributes, shape))
    kids = [_inner_xml(child.element_type, child.attributes, child.children, shape) for child in children]
    if kids and shape == WRAPPED:
        text += '<childrenElements>%s</childrenElements>' % ''.join('<childrenElement>%s</childrenElement>' % kid for kid in kids)
    else:
        text += ''.join('<childrenElements>%s</childrenElements>' % kid for kid in kids)
    return text


def element_body(element_type, attributes, shape=FLAT, children=()):
    """A ``<configElement>`` body: the type, ``attributes`` (name -> text or list of texts) and ``children`` (SdmElements)."""
    return '<configElement>%s</configElement>' % _inner_xml(element_type, attributes, children, shape)


def type_request(element_type):
    """The body of an ``elementMetadata`` request for ``element_type``."""
    return '<elementTypeRequest><elementTypePath>%s</elementTypePath></elementTypeRequest>' % xml_escape(element_type)


def element_types(root):
    """The element type paths an ``elementTypes`` answer names, in either list shape (each item its text, or its
    ``elementTypePath``/``name`` child)."""
    found = []
    for node in _items(root, 'elementTypes') if _children(root, 'elementTypes') else list(root):
        text = _text(node, 'elementTypePath') or _text(node, 'name') or (node.text or '').strip()
        if text:
            found.append(text)
    return found


# -- metadata ---------------------------------------------------------------------------------------

def parse_metadata(root, element_type):
    """The ElementMeta of an ``elementMetadata`` answer (rows wrapped, repeated or bare); None when it has no row with a name.

    Only the type's own rows count: a sub-element's metadata, wherever the SDM nests it, sits deeper. A type without a
    key attribute has one instance (Oracle names it by its type alone), as does one whose answer says so.
    """
    if root is None:
        return None
    rows = []
    level = [root]
    while level and not rows:
        rows = [child for node in level for child in node if _local(child.tag) in _METADATA_ROWS and _text(child, 'name')]
        level = [child for node in level for child in node if _local(child.tag) not in ('subElement', 'subElements')]
    if not rows:
        return None
    names, keys, types, enums = [], [], {}, {}
    for row in rows:
        name = _text(row, 'name')
        names.append(name)
        if (_text(row, 'key') or '').lower() in _TRUE:
            keys.append(name)
        types[name] = (_text(row, 'valueType') or '').lower()
        values = [(node.text or '').strip() for field in _ENUM_FIELDS for child in _children(row, field)
                  for node in (list(child) or [child]) if (node.text or '').strip()]
        if values:
            enums[name] = values
    single = any((_text(root, field) or '').lower() in _TRUE for field in _SINGLE_FIELDS)
    return ElementMeta(element_type, names, keys, singleton=single or not keys, types=types, enums=enums)


# -- staged changes and the push ---------------------------------------------------------------------

#: Fields of one staged change (9.0.1: ``name``, ``operation``, ``timestamp``; the path where the SDM gives it).
_CHANGE_FIELDS = ('name', 'operation', 'timestamp', 'elementTypePath')


def parse_changes(root):
    """The staged changes of a ``configurationChanges`` answer, whatever its items are called (9.0.1:
    ``changedConfigElements``; 8.1: ``configurationChange``): dicts of their plain fields, each with ``name``."""
    if root is None:
        return []
    found = []
    for node in root.iter():
        if node is root or _text(node, 'name') is None or _text(node, 'operation') is None:
            continue
        found.append(dict((_local(child.tag), (child.text or '').strip()) for child in node if len(child) == 0))
    return found


def parse_result(root):
    """Every plain field of a ``saveActivateResult`` (Oracle's names, as text), wherever the answer puts it; {} for none."""
    if root is None:
        return {}
    node = root if _local(root.tag) == 'saveActivateResult' else next(
        (child for child in root.iter() if _local(child.tag) == 'saveActivateResult'), None)
    if node is None:
        return {}
    return dict((_local(child.tag), (child.text or '').strip()) for child in node if len(child) == 0)
