"""Small XML helpers: hostile-input-safe parsing (defusedxml) and fast string building for answers."""

from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


class BadXml(ValueError):
    """The request body is not well-formed, safe XML."""


def parse(body):
    """Parse request bytes into an Element; raise BadXml for malformed input, DTDs, entities and the like."""
    if not body or not body.strip():
        raise BadXml("empty XML body")
    try:
        return SafeET.fromstring(body, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadXml("malformed XML: %s" % exc) from None


def raw_text(element, tag):
    """Return the text of ``element``'s first ``tag`` child exactly as sent (surrounding spaces kept), or None when absent."""
    child = element.find(tag)
    if child is None:
        return None
    return child.text or ""


def child_text(element, tag):
    """Return the stripped text of ``element``'s first ``tag`` child, or None when it is absent."""
    child = element.find(tag)
    if child is None:
        return None
    return (child.text or "").strip()


def tag(name, content=""):
    """Return ``<name>content</name>``; ``content`` must already be XML (use ``text`` for values)."""
    return "<%s>%s</%s>" % (name, content, name)


def text(name, value):
    """Return ``<name>value</name>`` with ``value`` escaped; None becomes an empty element."""
    # a carriage return as a character reference: a parser turns a literal one into a line feed
    return "<%s>%s</%s>" % (name, "" if value is None else escape(str(value), {"\r": "&#13;"}), name)


def fields(mapping):
    """Return one escaped ``<key>value</key>`` per item, in the mapping's order."""
    return "".join(text(key, value) for key, value in mapping.items())
