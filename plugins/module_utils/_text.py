# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Text that leaves a task: secrets redacted, answers described in one line, untrusted XML parsed safely."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from xml.sax.saxutils import escape

try:
    from defusedxml import ElementTree as SafeElementTree
    HAS_DEFUSEDXML = True
except ImportError:  # pragma: no cover
    HAS_DEFUSEDXML = False

REDACTED = '********'


class Redactor:
    """Remembers every secret seen in a task and removes it from any text before it leaves the process."""

    def __init__(self, *secrets):
        self._secrets = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if secret and len(str(secret)) >= 3:
            self._secrets.add(str(secret))

    @property
    def secrets(self):
        return frozenset(self._secrets)

    def __call__(self, text):
        if text is None:
            return text
        text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text


def one_line(text, limit=300):
    """Fold whitespace and cut ``text`` so it fits one readable line of an error message."""
    text = ' '.join(str(text or '').split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def xml_escape(text):
    """``text`` as XML character data that reads back exactly: ``&``, ``<``, ``>`` escaped, and a carriage return as
    ``&#13;`` (a parser turns a literal CR or CR LF into LF)."""
    return escape(text, {'\r': '&#13;'})


def parse_xml(body):
    """Parse untrusted XML safely; return the root element or None when the body is not XML."""
    if not body or not body.strip():
        return None
    try:
        return SafeElementTree.fromstring(body)
    except Exception:  # defusedxml raises ParseError and its own DefusedXmlException family
        return None


def xml_text(element, path):
    """Text of the first element matching ``path`` (searching descendants too), stripped, or None."""
    if element is None:
        return None
    found = element.find(path)
    if found is None and not path.startswith('.//'):
        found = element.find('.//' + path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def describe_body(response):
    """Best human-readable text of an error response: Oracle envelope messages, JSON message, text, or HTML title."""
    body = response.text if response is not None else ''
    if not body or not body.strip():
        return ''
    ctype = (response.headers.get('Content-Type') or '').lower()
    if 'html' in ctype or body.lstrip().lower().startswith(('<!doctype html', '<html')):
        title = re.search(r'<title>(.*?)</title>', body, re.I | re.S)
        heading = re.search(r'<h1[^>]*>(.*?)</h1>', body, re.I | re.S)
        text = (title or heading).group(1) if (title or heading) else 'an HTML page'
        return 'HTML page: ' + re.sub(r'<[^>]+>', '', text)
    if 'json' in ctype or body.lstrip().startswith('{'):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ('message', 'errorMessage', 'reasonPhrase', 'error', 'detail'):
                if data.get(key):
                    return str(data[key])
    root = parse_xml(body)
    if root is not None:
        messages = root.find('messages') if root.tag == 'response' else None
        scope = messages if messages is not None else root
        texts = [t.strip() for t in scope.itertext() if t and t.strip()]
        return ' '.join(texts)
    return body.strip()
