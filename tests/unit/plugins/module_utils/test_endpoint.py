"""The host option and SDM ids: what is accepted, its one canonical name, and that nothing else passes (examples and properties)."""

import ipaddress
import re
import string
from urllib.parse import unquote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import (
    SHOWN,
    Endpoint,
    canonical_id,
    device_id_segment,
    parse_host,
    path_segment,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm import SdmClient
from tests.collection_path import REPO_ROOT

# Hypothesis keeps its caches under tests/output (ignored by git and by the collection build), not in the checkout's root.
set_hypothesis_home_dir(REPO_ROOT / 'tests' / 'output' / 'hypothesis')

#: Each property test tries this many inputs; the total is in docs/hostile-inputs.md. Quick: about a second each.
EXAMPLES = 600
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def refused(call, *args, **kwargs):
    """The OracleError ``call`` raises; fails unless it is bad_input with a one-line message."""
    with pytest.raises(OracleError) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert error.reason == REASON_BAD_INPUT, error.msg
    assert error.msg and '\n' not in error.msg and '\r' not in error.msg, error.msg
    return error.msg


def shows_at_most(msg, value, limit=SHOWN):
    """No run of more than ``limit`` characters of ``value`` appears in ``msg``."""
    text = str(value)
    return all(text[start:start + limit + 1] not in msg for start in range(0, len(text) - limit))


# --------------------------------------------------------------------------------------------- accepted, canonical

@pytest.mark.parametrize('value, netloc', [
    ('sdm1.example.net', 'sdm1.example.net:8443'),
    ('SDM1.Example.NET', 'sdm1.example.net:8443'),
    ('sdm1.example.net.', 'sdm1.example.net:8443'),
    ('sdm1.example.net:9443', 'sdm1.example.net:9443'),
    ('sdm1.example.net:09443', 'sdm1.example.net:9443'),
    ('https://sdm1.example.net', 'sdm1.example.net:8443'),
    ('HTTPS://SDM1.example.net:9443/', 'sdm1.example.net:9443'),
    ('localhost', 'localhost:8443'),
    ('LOCALHOST:1', 'localhost:1'),
    ('sdm_1', 'sdm_1:8443'),
    ('192.0.2.10', '192.0.2.10:8443'),
    ('192.0.2.10:65535', '192.0.2.10:65535'),
    ('[::1]', '[::1]:8443'),
    ('[0:0::1]:443', '[::1]:443'),
    ('[2001:DB8:0:0::1]:8443', '[2001:db8::1]:8443'),
    ('https://[2001:db8::1]:8443/', '[2001:db8::1]:8443'),
    ('  sdm1.example.net\n', 'sdm1.example.net:8443'),  # what a template or file lookup leaves around a value
    ('a' * 63 + '.example.net', 'a' * 63 + '.example.net:8443'),
])
def test_accepted_hosts_have_one_canonical_name(value, netloc):
    endpoint = parse_host(value, 8443)
    assert endpoint.netloc == netloc == str(endpoint)
    assert endpoint.base_url == 'https://' + netloc
    assert parse_host(endpoint.netloc, 1) == endpoint  # the canonical name parses to itself


def test_spellings_of_one_device_are_one_endpoint_and_one_lease_key():
    spellings = ['localhost:8443', 'LOCALHOST:8443', 'LocalHost.:8443', 'https://localhost:8443/', 'localhost']
    endpoints = set(parse_host(value, 8443) for value in spellings)
    assert len(endpoints) == 1
    assert len(set(lease_key('sdm', endpoint.netloc, 'device:ID1') for endpoint in (parse_host(v, 8443) for v in spellings))) == 1
    assert parse_host('localhost:1', 8443) != parse_host('localhost:2', 8443)
    assert Endpoint('[2001:DB8::1]', 8443) == Endpoint('2001:db8:0::1', '8443') == parse_host('[2001:db8::1]', 8443)


# --------------------------------------------------------------------------------------------- refused, one line

HOSTILE_HOSTS = {
    # value: words the message must carry
    '127.0.0.1?:8443': 'query',
    '127.0.0.1#:8443': 'fragment',
    'sdm.example.net/rest': 'path',
    'https://sdm.example.net/rest/v1.3': 'path',
    'https://sdm.example.net//': 'path',
    'sdm.example.net\\evil': 'backslash',
    'sdm%2eexample.net': 'percent',
    '[fe80::1%eth0]:8443': 'zone',
    'admin:secret@sdm.example.net': 'user information',
    'https://admin:secret@sdm.example.net': 'user information',
    'sdm example.net': 'whitespace',
    'sdm.example.net\n:443': 'control',
    'sdm\x00.example.net': 'control',
    'sdm\x7f.example.net': 'control',
    'sdm\u200b.example.net': 'non-ASCII',
    'sdm.example.net\u202e': 'non-ASCII',
    'bücher.example': 'xn--bcher-kva.example',
    'sdm.example.net:\u0664\u0664\u0663': 'non-ASCII',
    'sdm.example.net:\uff18\uff14\uff14\uff13': 'non-ASCII',
    'a..b': 'empty label',
    '.sdm.example.net': 'empty label',
    'sdm.example.net..': 'empty label',
    'x' * 5000: 'at most 253',
    ('a' * 63 + '.') * 4 + 'net': 'at most 253',
    'a' * 64 + '.example.net': 'at most 63',
    '-sdm.example.net': 'starting or ending with "-"',
    'sdm-.example.net': 'starting or ending with "-"',
    'sdm.example.net:0': '1 to 65535',
    'sdm.example.net:65536': '1 to 65535',
    'sdm.example.net:99999999': '1 to 65535',
    'sdm.example.net:-1': '1 to 65535',
    'sdm.example.net:': '1 to 65535',
    'sdm.example.net:84a3': '1 to 65535',
    ':8443': 'names no host',
    'http://sdm.example.net': 'clear text',
    'HTTP://sdm.example.net:8443': 'clear text',
    'ftp://sdm.example.net': 'HTTPS only',
    'https://': 'names no host',
    '1https://sdm': 'scheme',
    '127.1': 'IPv4',
    '2130706433': 'IPv4',
    '0x7f000001': 'IPv4',
    '0x7f.0.0.1': 'IPv4',
    '127.000.000.001': 'IPv4',
    '256.0.0.1': 'IPv4',
    '1.2.3.4.5': 'IPv4',
    '2001:db8::1': 'brackets',
    '::1': 'brackets',
    '[2001:db8::1': 'close',
    '[2001:db8::1]8443': 'after the IPv6',
    '[not:an:address]': 'not an IPv6',
    '[192.0.2.1]': 'not an IPv6',
    'sdm]example': 'bracket',
    '': 'empty',
    '   ': 'empty',
}


@pytest.mark.parametrize('value', sorted(HOSTILE_HOSTS), ids=lambda value: repr(value[:40]))
def test_hostile_hosts_are_bad_input_with_one_line_that_says_what_to_do(value):
    msg = refused(parse_host, value, 8443)
    assert HOSTILE_HOSTS[value] in msg, msg
    assert msg.startswith('host ') and len(msg) < 300, msg
    assert shows_at_most(msg, value)


def test_credentials_in_a_host_are_never_shown_back():
    for value in ('admin:s3cret-pass@sdm.example.net', 'https://admin:s3cret-pass@sdm', 's3cret-pass@sdm?x', 'http://u:s3cret-pass@h'):
        assert 's3cret-pass' not in refused(parse_host, value, 8443)


def test_the_option_named_is_the_one_given():
    assert refused(parse_host, 'a..b', 443, option='SDM_HOST').startswith('SDM_HOST ')


@pytest.mark.parametrize('value', [None, 12.5, True, b'sdm.example.net', ['sdm']])
def test_a_host_that_is_not_text_is_bad_input(value):
    refused(parse_host, value, 8443)


@pytest.mark.parametrize('host, port', [('sdm', 0), ('sdm', 65536), ('sdm', True), ('', 443), ('a..b', 443), ('sdm/x', 443)])
def test_an_endpoint_cannot_be_made_of_bad_parts(host, port):
    refused(Endpoint, host, port)


# --------------------------------------------------------------------------------------------- ids

@pytest.mark.parametrize('value, canonical', [
    ('ID18', 'ID18'), (' ID18 ', 'ID18'), ('id18', 'id18'), ('nf-1.a_b', 'nf-1.a_b'), ('...', '...'), ('X' * 64, 'X' * 64), (18, '18'),
])
def test_accepted_ids(value, canonical):
    assert canonical_id(value) == canonical
    assert device_id_segment(value) == canonical  # a checked id is its own path segment


HOSTILE_IDS = [
    'ID1/../ID2', './ID2', '../ID2', 'ID%32', '../../../../admin/logout', 'ID1?x=1', 'ID1#', 'ID1 ID2', 'ID1\nID2', 'ID1\x00',
    '.', '..', '', '   ', 'X' * 65, 'ID\u0661\u0668', 'ID\uff11', 'IDé', 'ID1;jsessionid=x', 'ID1\\..\\ID2', 'ID1@x', 'ID1:2', '%2e%2e',
]


@pytest.mark.parametrize('value', HOSTILE_IDS, ids=repr)
def test_hostile_ids_are_bad_input_naming_the_option(value):
    msg = refused(canonical_id, value, 'group.nf_id')
    assert msg.startswith('group.nf_id ') and len(msg) < 250, msg
    assert shows_at_most(msg, value)


@pytest.mark.parametrize('value', [None, 1.5, True, ['ID1'], {'id': 'ID1'}])
def test_an_id_that_is_not_text_is_bad_input(value):
    refused(canonical_id, value)


@pytest.mark.parametrize('value, segment', [
    ('ID1/../ID2', 'ID1%2F..%2FID2'), ('ID1?x=1', 'ID1%3Fx%3D1'), ('ID1#', 'ID1%23'), ('ID%32', 'ID%2532'), ('a b', 'a%20b'), ('ID2', 'ID2'),
])
def test_path_segment_keeps_anything_in_one_segment(value, segment):
    assert path_segment(value) == segment


@pytest.mark.parametrize('value', ['', '.', '..'])
def test_path_segment_refuses_what_is_no_segment_or_a_dot_segment(value):
    refused(path_segment, value)


# --------------------------------------------------------------------------------------------- the URL an SDM action goes to

class RecordingHttp:
    """What SdmClient needs of the HTTP layer; records each path and answers 204."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.redact = Redactor()
        self.timeout = 5
        self.paths = []

    def request(self, method, path, **_kwargs):
        self.paths.append(path)
        answer = requests.Response()
        answer.status_code = 204
        answer._content = b''
        return answer


def wire_url(endpoint, path):
    """The URL as requests puts it on the wire (it normalises dot segments): base URL plus path, as the HTTP layer joins them."""
    return requests.Request('POST', '%s/%s' % (endpoint.base_url, path.lstrip('/'))).prepare().url


def assert_device_action_stays(endpoint, device_id, version='v1.3'):
    http = RecordingHttp(endpoint)
    SdmClient(http, 'prov1', 'prov1-secret', version).device_action(device_id, 'Lock')
    url = wire_url(endpoint, http.paths[-1])
    assert url.startswith('https://%s/rest/%s/' % (endpoint.netloc, version)), url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ('https', endpoint.netloc, '', ''), url
    assert parts.port == endpoint.port
    segments = parts.path.split('/')
    assert segments[:6] == ['', 'rest', version, 'inventory', 'deviceMgmt', 'devices'] and segments[7:] == ['action'], url
    assert unquote(segments[6]) == str(device_id), url


def test_hostile_ids_that_reach_the_client_unchecked_stay_in_their_segment():
    endpoint = parse_host('sdm.example.net', 8443)
    for device_id in [value for value in HOSTILE_IDS if value.strip(' \t\r\n') not in ('', '.', '..')]:
        assert_device_action_stays(endpoint, device_id)


def test_group_action_encodes_both_ids():
    http = RecordingHttp(parse_host('sdm', 8443))
    SdmClient(http, 'prov1', 'prov1-secret').group_action('ID101/..', 'ID201?x', 'Lock')
    assert http.paths == ['rest/v1.3/inventory/nfMgmt/nfs/ID101%2F../groups/ID201%3Fx/action']


# --------------------------------------------------------------------------------------------- properties

#: Characters that mean something to a URL, a resolver, a terminal or a parser: the interesting part of any alphabet.
HOSTILE_CHARS = (string.ascii_letters + string.digits + '.-_:[]/?#@%\\ \t\r\n\x00\x7f;,=+~!$&\'()*'
                 + '\u0661\uff11\u00e9\u200b\u202e\u2028\u0130\u212a')


#: Any code point, lone surrogates included (a JSON escape can carry one into an id the SDM lists).
ANY_CHAR = st.characters(exclude_categories=())


def host_like():
    """Text near a host: a scheme or not, labels of hostile characters, a port or not; and plain arbitrary text."""
    label = st.text(alphabet=HOSTILE_CHARS, min_size=0, max_size=12)
    name = st.lists(label, min_size=1, max_size=5).map('.'.join)
    port = st.one_of(st.just(''), st.integers(-5, 70000).map(lambda n: ':%d' % n), st.text(alphabet=HOSTILE_CHARS, max_size=6).map(':'.join))
    scheme = st.sampled_from(['', 'https://', 'HTTPS://', 'http://', 'ftp://', '//', 'https:/'])
    tail = st.sampled_from(['', '/', '//', '/rest', '?', '#'])
    return st.one_of(st.text(ANY_CHAR), st.builds(lambda *parts: ''.join(parts), scheme, name, port, tail), near_misses())


@st.composite
def near_misses(draw):
    """A valid host with one hostile character put in, or one of its characters replaced, anywhere."""
    value = draw(valid_hosts())
    at = draw(st.integers(0, len(value)))
    char = draw(st.one_of(st.sampled_from(HOSTILE_CHARS), ANY_CHAR))
    return value[:at] + char + value[at + draw(st.integers(0, 1)):]


def dns_names():
    edge = st.sampled_from(string.ascii_letters + string.digits + '_')
    label = st.builds(lambda first, middle, last: first + (middle + last if middle else ''), edge,
                      st.text(string.ascii_letters + string.digits + '_-', max_size=20), edge)
    # a last label a resolver reads as a number (127.1, 0x7f) makes an address, refused unless dotted-quad
    last = label.filter(lambda text: not re.match(r'(?:[0-9]+|0x[0-9a-f]*)\Z', text, re.I))
    return st.builds(lambda labels, tail: '.'.join(labels + [tail]), st.lists(label, max_size=3), last)


def valid_hosts():
    """Every form the host option accepts, in random case, with or without port, scheme and trailing dot or slash."""
    ipv4 = st.ip_addresses(v=4).map(str)
    ipv6 = st.ip_addresses(v=6).map(lambda address: '[%s]' % address.exploded.upper())
    name = st.tuples(dns_names(), st.booleans()).map(lambda pair: pair[0] + ('.' if pair[1] else ''))
    port = st.one_of(st.just(''), st.integers(1, 65535).map(lambda n: ':%d' % n))
    return st.builds(lambda scheme, host, port, slash: scheme + host + port + (slash if scheme else ''),
                     st.sampled_from(['', 'https://', 'HttpS://']), st.one_of(ipv4, ipv6, name), port, st.sampled_from(['', '/']))


def id_like():
    return st.one_of(st.text(ANY_CHAR), st.text(alphabet=HOSTILE_CHARS, max_size=70),
                     st.text(alphabet=string.ascii_letters + string.digits + '_.-', min_size=1, max_size=64))


@PROPERTY
@given(host_like())
def test_property_parse_host_refuses_with_bad_input_or_yields_a_canonical_endpoint(value):
    try:
        endpoint = parse_host(value, 8443)
    except OracleError as exc:
        event('refused')
        assert exc.reason == REASON_BAD_INPUT and '\n' not in exc.msg and len(exc.msg) < 400, exc.msg
        assert shows_at_most(exc.msg, value)
        return
    event('accepted')
    assert parse_host(endpoint.netloc, 1) == endpoint
    assert endpoint.host == endpoint.host.lower() and endpoint.host.isascii() and not endpoint.host.endswith('.')
    assert 0 < endpoint.port < 65536
    assert_device_action_stays(endpoint, 'ID18')


@PROPERTY
@given(valid_hosts(), st.sampled_from(['v1.3', 'v1.2', 'v10.0']))
def test_property_every_form_of_a_valid_host_is_accepted_and_its_urls_stay_on_it(value, version):
    endpoint = parse_host(value, 8443)
    assert parse_host(value.upper(), 8443) == endpoint == parse_host(endpoint.netloc, 1)
    if endpoint.host.startswith('['):
        assert ipaddress.IPv6Address(endpoint.host[1:-1]).compressed == endpoint.host[1:-1]
    assert_device_action_stays(endpoint, 'ID18', version)


@PROPERTY
@given(id_like())
def test_property_an_id_is_refused_with_bad_input_or_is_one_path_segment(value):
    try:
        device_id = canonical_id(value, 'device_id')
    except OracleError as exc:
        event('refused')
        assert exc.reason == REASON_BAD_INPUT and exc.msg.startswith('device_id') and '\n' not in exc.msg, exc.msg
        assert shows_at_most(exc.msg, value)
        return
    event('accepted')
    assert device_id == value.strip(' \t\r\n') and path_segment(device_id) == device_id
    assert_device_action_stays(parse_host('sdm.example.net', 8443), device_id)


@PROPERTY
@given(st.text(ANY_CHAR))
def test_property_any_text_the_client_is_handed_stays_in_one_segment_or_is_refused(value):
    try:
        assert_device_action_stays(parse_host('[2001:db8::1]', 8443), value)
    except OracleError as exc:
        assert exc.reason == REASON_BAD_INPUT
        assert value in ('', '.', '..') or any(0xd800 <= ord(char) <= 0xdfff for char in value), value
