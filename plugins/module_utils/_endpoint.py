# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What a task addresses: the device (``host``) and the SDM ids in its URLs, checked before any traffic.

Each is reduced to one canonical spelling, so that one device or one id has one name in lease keys,
messages and URLs, and nothing a user types can move a request to another host, port or path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from urllib.parse import quote

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError

#: At most this much of a refused value is shown back, so that a huge or hostile value keeps the message one short line.
SHOWN = 80
#: What Ansible templates and file lookups leave around a value; dropped, everything else inside it is checked.
_SURROUNDING = ' \t\r\n'

_SCHEME_RE = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*)://', re.ASCII)
_LABEL_RE = re.compile(r'[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z', re.ASCII)
#: Forms the C resolver (inet_aton) reads as an address, not a name: 2130706433, 0x7f000001, 127.1.
_NUMERIC_LABEL_RE = re.compile(r'(?:[0-9]+|0x[0-9a-f]*)\Z', re.ASCII)
_PORT_RE = re.compile(r'[0-9]{1,5}\Z', re.ASCII)
_ID_RE = re.compile(r'[A-Za-z0-9_.-]{1,64}\Z', re.ASCII)
_HOST_CHARS_RE = re.compile(r'[A-Za-z0-9._:\[\]-]*\Z', re.ASCII)

#: Characters with a meaning in a URL, and what to tell the user instead.
_URL_MEANING = (
    ('?', 'a query (?)'),
    ('#', 'a fragment (#)'),
    ('/', 'a path (/)'),
    ('\\', 'a backslash'),
    ('%', 'a percent sign (percent-encoding or an IPv6 zone index)'),
)


def shown(value, limit=SHOWN):
    """``value`` as a quoted, escaped, one-line excerpt of at most ``limit`` characters, for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _bad(msg):
    return OracleError(msg, REASON_BAD_INPUT)


def _text(value, option):
    """``value`` as text without the whitespace around it; a number is taken as its digits, anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _bad('%s must be text, not %s; give it as a string' % (option, type(value).__name__))
    return str(value).strip(_SURROUNDING)


class Endpoint:
    """A device to talk to: a canonical host and a port, equal to any other spelling of the same name.

    ``host`` is a DNS name in lower case without a trailing dot, an IPv4 address as written, or an IPv6
    address in brackets in compressed lower-case form. Raises OracleError(bad_input) for anything else.
    """

    def __init__(self, host, port, option='host'):
        self.host = canonical_host(host, option)
        self.port = _port(port, option)

    @property
    def netloc(self):
        """``host:port``: the device's one name in lease keys, messages and URLs."""
        return '%s:%d' % (self.host, self.port)

    @property
    def base_url(self):
        return 'https://%s' % self.netloc

    def __str__(self):
        return self.netloc

    def __repr__(self):
        return 'Endpoint(%r, %d)' % (self.host, self.port)

    def __eq__(self, other):
        return isinstance(other, Endpoint) and self.netloc == other.netloc

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.netloc)


def _port(value, option):
    text = str(value)
    if isinstance(value, bool) or not _PORT_RE.match(text) or not 0 < int(text) < 65536:
        raise _bad('%s has port %s; a port is a number from 1 to 65535 (ASCII digits), e.g. 8443' % (option, shown(text, 20)))
    return int(text)


def canonical_host(value, option='host'):
    """The canonical spelling of a host name or address (no port), or OracleError(bad_input) saying what is wrong.

    Accepts a DNS name (letters, digits, ``-`` and ``_``, labels of 1-63 characters, at most 253 in all,
    one trailing dot), a dotted-quad IPv4 address, or an IPv6 address with or without brackets.
    """
    text = _text(value, option)
    if not text:
        raise _bad('%s is empty: set %s to the device name or address' % (option, option))
    _refuse_characters(text, option)
    if text.startswith('['):
        if not text.endswith(']'):
            raise _bad('%s %s opens a bracket it does not close; write an IPv6 address as [2001:db8::1]' % (option, shown(text)))
        return '[%s]' % _ipv6(text[1:-1], option)
    if ':' in text:
        return '[%s]' % _ipv6(text, option)
    return _name_or_ipv4(text, option)


def _refuse_characters(text, option):
    """Refuse what makes a host more than a host: URL syntax, user information, spaces, control and non-ASCII characters."""
    if '@' in text:
        # the part before '@' may be a password: it is not shown back
        raise _bad('%s contains "@" (user information): give only the name or address, and the user in username and password'
                   % option)
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        raise _bad('%s %s contains whitespace or control characters; give the name or address alone' % (option, shown(text)))
    if not text.isascii():
        raise _bad('%s %s contains non-ASCII characters; give the IDNA (punycode) form of the name%s'
                   % (option, shown(text), _punycode_hint(text)))
    for char, what in _URL_MEANING:
        if char in text:
            raise _bad('%s %s contains %s; give only name, name:port, [IPv6]:port or https://name:port' % (option, shown(text), what))
    if not _HOST_CHARS_RE.match(text):
        bad = [char for char in text if not _HOST_CHARS_RE.match(char)][0]
        raise _bad('%s %s contains %s, which no host name has; use letters, digits, "-" and "." (or an address)'
                   % (option, shown(text), shown(bad)))


def _punycode_hint(text):
    """``, e.g. xn--...`` for a name Python's IDNA codec can encode, else nothing (the hint must never fail)."""
    try:
        encoded = text.split(':')[0].encode('idna').decode('ascii')
    except (UnicodeError, ValueError):
        return ''
    return ', e.g. %s' % encoded if 'xn--' in encoded and len(encoded) <= SHOWN else ''


def _ipv6(text, option):
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        pass
    if text.count(':') == 1:
        raise _bad('%s %s has a ":" where no port can be; give name:port once, e.g. sdm1.example.net:8443' % (option, shown(text)))
    raise _bad('%s %s is not an IPv6 address; write one as [2001:db8::1], with a port as [2001:db8::1]:8443' % (option, shown(text)))


def _name_or_ipv4(text, option):
    if '[' in text or ']' in text:
        raise _bad('%s %s has a bracket where none belongs; brackets go around an IPv6 address only, e.g. [2001:db8::1]'
                   % (option, shown(text)))
    name = text.lower()
    if name.endswith('.'):
        name = name[:-1]
    labels = name.split('.')
    if _NUMERIC_LABEL_RE.match(labels[-1]):
        # a resolver reads 127.1 or 0x7f.1 as an address: only the dotted-quad form is one spelling of one address
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise _bad('%s %s is neither a host name nor an IPv4 address; write an address as four numbers 0-255 without leading '
                       'zeros, e.g. 192.0.2.10' % (option, shown(text)))
    if len(name) > 253:
        raise _bad('%s is %d characters long; a host name has at most 253' % (option, len(name)))
    for label in labels:
        if not label:
            raise _bad('%s %s has an empty label (".." or a leading "."); check the name' % (option, shown(text)))
        if len(label) > 63:
            raise _bad('%s %s has a label of %d characters; a label has at most 63' % (option, shown(text), len(label)))
        if not _LABEL_RE.match(label):
            raise _bad('%s %s has a label starting or ending with "-"; check the name' % (option, shown(text)))
    return name


def parse_host(value, default_port, option='host'):
    """An Endpoint for ``name``, ``name:port``, ``[v6]``, ``[v6]:port`` or ``https://name[:port][/]``.

    Anything else is OracleError(bad_input) with a one-line message that names ``option``, says what is
    wrong and what to give instead, and shows at most ~80 characters of the value: URL syntax (``?``, ``#``,
    a path, ``@``), whitespace, control or non-ASCII characters, malformed names or addresses, ports
    outside 1-65535, and any scheme but ``https://`` (``http://`` would send credentials in clear text).
    """
    text = _text(value, option)
    if not text:
        raise _bad('%s is empty: set %s to the device name or address (optionally name:port)' % (option, option))
    if '@' in text:
        _refuse_characters(text, option)
    scheme = _SCHEME_RE.match(text)
    if scheme:
        name = scheme.group(1).lower()
        if name != 'https':
            raise _bad('%s uses %s://, but Oracle devices speak HTTPS only and credentials must not travel in clear text; '
                       'give the host without a scheme or with https://' % (option, name[:20]))
        text = text[scheme.end():]
        if text.endswith('/'):
            text = text[:-1]
    elif '://' in text:
        raise _bad('%s %s has a malformed scheme; give the host without one, or with https://' % (option, shown(text)))
    if not text:
        raise _bad('%s names no host after https://; give e.g. https://sdm1.example.net:8443' % option)
    _refuse_characters(text, option)
    if text.startswith('['):
        close = text.find(']')
        host, rest = (text, '') if close < 0 else (text[:close + 1], text[close + 1:])
        if rest and not rest.startswith(':'):
            raise _bad('%s %s has text after the IPv6 address; give [2001:db8::1]:8443' % (option, shown(text)))
        port = rest[1:] if rest else None
    elif text.count(':') > 1:
        raise _bad('%s %s looks like an IPv6 address; put it in brackets, e.g. [2001:db8::1] or [2001:db8::1]:8443'
                   % (option, shown(text)))
    else:
        host, _colon, port = text.partition(':')
        port = port if _colon else None
    if not host:
        raise _bad('%s %s names no host before the port; give e.g. sdm1.example.net:8443' % (option, shown(text)))
    return Endpoint(host, default_port if port is None else port, option)


def canonical_id(value, option='device_id'):
    """The canonical (stripped) form of an SDM id such as ``ID18``, or OracleError(bad_input) naming ``option``.

    An id is 1-64 ASCII letters, digits, ``_``, ``-`` and ``.``, and neither ``.`` nor ``..``: so it is one
    URL path segment as it stands, and one lease key.
    """
    text = _text(value, option)
    if not text:
        raise _bad('%s is empty: give an SDM id such as ID18' % option)
    if text in ('.', '..') or not _ID_RE.match(text):
        raise _bad('%s %s is not an SDM id; an id is 1-64 letters, digits, "_", "-" or ".", such as ID18 (see the SDM inventory)'
                   % (option, shown(text)))
    return text


def path_segment(value, what='id'):
    """``value`` percent-encoded as exactly one URL path segment; OracleError(bad_input) where it would be none or a dot segment.

    Checked ids never change here: this is the second line of defence, for ids that reach a URL unchecked.
    """
    try:
        segment = quote(str(value), safe='')
    except UnicodeError:  # a lone surrogate, as a JSON escape can carry: no URL can hold it
        segment = ''
    if segment in ('', '.', '..'):
        raise _bad('%s %s cannot be a URL path segment; give an SDM id such as ID18' % (what, shown(value)))
    return segment


def device_id_segment(value, option='device_id'):
    """A user-given SDM id as the URL path segment it becomes: canonical_id, then path_segment."""
    return path_segment(canonical_id(value, option), option)
