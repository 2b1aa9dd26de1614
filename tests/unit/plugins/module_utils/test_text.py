"""Text that leaves a task: redaction, one-line messages, safe XML, and the description of an error answer."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import REDACTED, Redactor, describe_body, one_line, parse_xml, xml_text
from tests.unit.plugins.module_utils.test_sbc import envelope, response


def test_every_secret_is_redacted_the_longest_first_and_short_ones_are_not_taken():
    redact = Redactor('secret-pw', None, 'ab')
    redact.add('secret-pw-long')
    assert redact('a secret-pw-long and a secret-pw, ab') == 'a %s and a %s, ab' % (REDACTED, REDACTED)
    assert redact(None) is None and redact(42) == '42' and redact.secrets == frozenset(('secret-pw', 'secret-pw-long'))


def test_one_line_folds_whitespace_and_cuts():
    assert one_line(' a\n  b\tc ') == 'a b c' and one_line(None) == ''
    assert one_line('x' * 20, limit=10) == 'xxxxxxx...'


def test_xml_is_parsed_safely_or_not_at_all():
    assert parse_xml('<a><b> t </b></a>').tag == 'a' and parse_xml('') is None and parse_xml('not xml') is None
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    assert parse_xml(bomb) is None  # entities are refused, not expanded


def test_xml_text_searches_descendants_too():
    root = parse_xml('<r><data><token> abc </token></data></r>')
    assert xml_text(root, 'token') == 'abc' and xml_text(root, 'missing') is None and xml_text(None, 'token') is None


@pytest.mark.parametrize('answer, text', [
    (response(401, envelope(messages='<message>Invalid</message><message>credentials</message>')), 'Invalid credentials'),
    (response(500, '{"message": "boom"}', 'application/json'), 'boom'),
    (response(502, '<html><head><title>Bad Gateway</title></head></html>', 'text/html'), 'HTML page: Bad Gateway'),
    (response(503, '<html><body><h1>Down <b>now</b></h1></body></html>', 'text/html'), 'HTML page: Down now'),
    (response(500, ' plain words '), 'plain words'),
    (response(204), ''),
    (None, ''),
])
def test_an_error_answer_is_described_in_its_own_words(answer, text):
    assert describe_body(answer) == text


def test_xml_escape_reads_back_exactly_carriage_returns_included():
    from xml.etree import ElementTree
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import xml_escape
    for text in ('a\r\nb', 'a\rb', 'line\r\n', '<&>]]>', '\t x \n'):
        assert ElementTree.fromstring('<v>%s</v>' % xml_escape(text)).text == text
