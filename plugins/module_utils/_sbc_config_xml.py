# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The shapes of the SBC configuration API's XML: element bodies and lists, element metadata, links, async status."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urlsplit

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import xml_escape, xml_text

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
        xml_escape(name), ''.join('<value>%s</value>' % xml_escape(one) for one in (value if isinstance(value, list) else [value])))
        for name, value in attributes.items())
    return '<configElement><elementType>%s</elementType>%s</configElement>' % (xml_escape(element_type), rows)


def _top_elements(node, found):
    """Collect the ``<configElement>`` under ``node`` that are not inside another (a sub-element is part of its element),
    in document order; iterative, so that no nesting depth an answer may have exhausts the stack."""
    stack = [iter(node)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child.tag == 'configElement':
            found.append(child)
        else:
            stack.append(iter(child))
    return found


def element_nodes(root):
    """The top-level ``<configElement>`` nodes under ``root`` (``root`` itself if it is one), in document order."""
    if root is None:
        return []
    return [root] if root.tag == 'configElement' else _top_elements(root, [])


def parse_elements(root):
    """Every top-level ``<configElement>`` under ``root`` (``root`` itself if it is one) as an ordered mapping of attribute
    name -> text (a list of texts for an attribute answered with several values)."""
    found = []
    if root is None:
        return found
    for element in element_nodes(root):
        values = {}
        for attribute in element.findall('attribute'):
            name = xml_text(attribute, 'name')
            if name:
                # a value as the SBC holds it: an XML string keeps its surrounding spaces
                texts = [value.text or '' for value in attribute.findall('value')]
                # an attribute of several values answers one <value> each: all of them, as a list
                values[name] = texts if len(texts) > 1 else (texts[0] if texts else '')
        found.append(values)
    return found


def next_page_path(root):
    """The path of the next page a list answer ``root`` links (a configElements link in ``<links>``), or None."""
    links = root.find('links') if root.tag == 'response' else None
    for node in (links.iter('link') if links is not None else ()):
        path = own_path(node.text)
        if path and path.split('?', 1)[0].endswith('/configuration/configElements') and 'elementType=' in path:
            return path
    return None


def status_path(root):
    """The path of the status or job resource a 202 answer ``root`` (None: no XML) links, or None.

    A status or job resource only: whatever else a link may name is never polled (GET).
    """
    links = root.find('links') if root is not None and root.tag == 'response' else root
    for node in (links.iter('link') if links is not None else ()):
        path = own_path(node.text)
        where = path.split('?', 1)[0].lower() if path else ''
        if 'status' in where or '/job' in where:
            return path
    return None


def operation_state(root):
    """``(operation, status)`` of the ``<operationState>`` in an async status answer, lower case; '' for what it does not say."""
    state = root.find('.//operationState')
    status = (xml_text(state, 'status') or '').lower() if state is not None else ''
    operation = (xml_text(state, 'operation') or '').lower() if state is not None else ''
    return operation, status
