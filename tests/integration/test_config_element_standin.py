"""Attacks on config_element, config_commit and config_element_info: answers as a real Oracle SBC may give them.

Runs real ``ansible-playbook`` against ``tests/integration/sbc_standin`` (an independent stand-in written from
Oracle's REST pages, HTTPS on 127.0.0.1, stops by itself). Each test that fails names the promise it breaks.
"""

import json
import time

import pytest

from tests.integration.ansible_runner_util import PlaybookRunner
from tests.integration.sbc_standin import DROP, TYPES, StandinSbc, envelope

pytestmark = pytest.mark.integration

PLAYS = 'config_element_standin/'


class _Target:
    """What PlaybookRunner needs of an 'emulator': where the SBC is and its CA."""

    def __init__(self, sbc):
        self.sbc = sbc
        self.ca_cert = sbc.ca_path
        self.control_url = 'http://127.0.0.1:9'

    def sbc_host(self, inst='sbc1'):
        return self.sbc.host

    def sdm_host(self, inst='sdm1'):
        return '127.0.0.1:9'


@pytest.fixture
def sbc(tmp_path):
    stand_in = StandinSbc(lifetime=240).start(tmp_path / 'ca.pem')
    yield stand_in
    stand_in.stop()


@pytest.fixture
def play(sbc, tmp_path):
    runner = PlaybookRunner(_Target(sbc), tmp_path)

    def run(playbook, check=False, diff=False, env=None, **extra):
        result_file = tmp_path / ('result-%d.json' % len(sbc.log))
        extra['result_file'] = str(result_file)
        done = runner.run(PLAYS + playbook, extra_vars=extra, check=check, diff=diff, timeout=150, env=env)
        assert result_file.exists(), done
        return json.loads(result_file.read_text()), done

    return run


def changing(sbc):
    return [(m, t) for m, t, _q, _b in sbc.log if m in ('POST', 'PUT', 'DELETE') and t.startswith('configuration/')
            and t not in ('configuration/lock', 'configuration/unlock')]


# ------------------------------------------------------------------------------------------------ baseline


def test_baseline_add_then_rerun_commits_once(sbc, play):
    """The stand-in and the harness work: an add is committed, the re-run changes and commits nothing."""
    attrs = {'identifier': 'peer-1', 'description': 'x', 'mm-in-realm': 'Enabled', 'max-bandwidth': '0100'}
    result, done = play('element.yml', element_type='realm-config', attributes=attrs)
    assert result['element']['changed'] and result['commit']['changed'], done
    assert sbc.lock_holder is None
    del sbc.log[:]
    result, done = play('element.yml', element_type='realm-config', attributes=attrs)
    assert not result['element']['changed'] and not result['commit']['changed'], done
    assert changing(sbc) == [], sbc.log


# ------------------------------------------------------------------------------------------------ helpers


def once(method, tail, then):
    """A hook for the first ``method`` on ``tail``: ``then(sbc, request)`` answers it; later ones get the default."""
    state = {'done': False}

    def hook(sbc, request):
        if state['done'] or request.method != method or request.tail != tail:
            return None
        state['done'] = True
        return then(sbc, request)
    return hook


def handled_then_dropped(sbc, request):
    """The SBC does what was asked, and the answer never reaches the client (a reset, a NAT timeout, a proxy)."""
    sbc.default(request)
    return DROP


def realm(sbc, identifier):
    return [e for e in sbc.elements['realm-config'] if e['identifier'] == identifier]


def running_realm(sbc, identifier):
    return [e for e in (sbc.running or {}).get('realm-config', []) if e['identifier'] == identifier]


# ------------------------------------------------------------------------------------------------ faults


def test_delete_whose_answer_is_lost_is_still_reported_and_committed(sbc, play):
    """Promise: changed is true when the SBC changed, and only_if_changed commits what this run changed under the lock."""
    sbc.elements['realm-config'].append({'identifier': 'old-realm', 'description': ''})
    sbc.running = sbc.snapshot()
    sbc.hooks.append(once('DELETE', 'configuration/configElements', handled_then_dropped))
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'old-realm'}, state='absent')
    assert not realm(sbc, 'old-realm')  # the SBC deleted it (first DELETE)
    element, commit = result['element'], result['commit']
    # either the task says it deleted it (and the commit activates that), or it fails: never "ok, nothing to do"
    assert element.get('failed') or (element['changed'] and commit['changed']), (element, commit, done)
    assert element.get('failed') or not running_realm(sbc, 'old-realm'), 'the deletion was left unactivated: %r' % (commit,)


def test_add_whose_answer_is_lost_then_retried_is_committed(sbc, play):
    """Promise: the module says "retry later" on a lost answer; a retry must not leave this run's add uncommitted in silence."""
    sbc.running = sbc.snapshot()
    sbc.hooks.append(once('POST', 'configuration/configElements', handled_then_dropped))
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'new-realm', 'description': 'n'},
                        retry=True)
    first = result['element']
    # the lost answer: either a retryable failure, or (better) the task reads the element again and owns the add
    assert first.get('failed') or (first['changed'] and first['action'] == 'add'), first
    assert realm(sbc, 'new-realm')  # the SBC added it
    retry, commit = result['element_retry'], result['commit']
    assert retry.get('failed') or commit['changed'], ('the retry reported ok with nothing to do and the commit skipped: '
                                                      'the add made under this lock is never saved or activated', retry, commit)
    assert running_realm(sbc, 'new-realm'), 'add left in the edited configuration only'


# ------------------------------------------------------------------------------------------------ singletons


def test_absent_singleton_is_made_as_asked(sbc, play):
    """Oracle (configElements POST, 8.2-10.0): a singleton "must first be created using POST, supplying only the element type
    ... The instance can then be edited via a subsequent PUT". Promise: the element is made as asked, or the task fails."""
    attrs = {'state': 'disabled', 'registrar-domain': 'example.net'}
    result, done = play('element.yml', element_type='sip-config', attributes=attrs, commit=False)
    element = result['element']
    held = sbc.elements['sip-config'][0] if sbc.elements['sip-config'] else {}
    assert element.get('failed') or all(held.get(k) == v for k, v in attrs.items()), (
        'reported %s/changed=%s but the SBC holds %r' % (element.get('action'), element.get('changed'), held))


# ------------------------------------------------------------------------------------------------ metadata shapes


SUB_ELEMENT_METADATA = ('<subElementMetadata><name>auth-attribute</name><singleInstance>false</singleInstance>'
                        '<attributeMetadata><name>auth-realm</name><required>true</required><key>true</key><valueType>string</valueType>'
                        '</attributeMetadata><attributeMetadata><name>username</name><key>false</key><valueType>string</valueType>'
                        '</attributeMetadata></subElementMetadata>')


def test_sub_element_metadata_is_not_the_types(sbc, play):
    """Oracle: the metadata describes "each attribute/sub-element that comprises the element type" (wrapper name not shown).
    Promise (decisions.md): "rows inside a row (a sub-element's) are not the type's"."""
    sbc.metadata_extra['session-agent'] = SUB_ELEMENT_METADATA
    result, done = play('element.yml', element_type='session-agent', attributes={'hostname': 'peer.example.net', 'description': 'd'},
                        commit=False)
    element = result['element']
    assert not element.get('failed'), element.get('msg')
    assert element['key'] == {'hostname': 'peer.example.net'}


def test_sub_element_metadata_not_in_info_key_attributes(sbc, play):
    """Promise: config_element_info's key_attributes are "the key attributes of the type"."""
    sbc.metadata_extra['session-agent'] = SUB_ELEMENT_METADATA
    result, done = play('info.yml', element_type='session-agent')
    info = result['info']
    assert not info.get('failed'), info.get('msg')
    assert info['key_attributes'] == ['hostname'], info['key_attributes']


# ------------------------------------------------------------------------------------------------ element answers


def multi_valued(sbc, request):
    if request.method == 'GET' and request.tail == 'configuration/configElements' and request.param('elementType') == 'realm-config':
        rows = ('<attribute><name>identifier</name><value>core</value></attribute>'
                '<attribute><name>network-interfaces</name><value>M00:0</value><value>M01:0</value></attribute>')
        return 200, envelope('<configElement><elementType>realm-config</elementType>%s</configElement>' % rows)
    return None


def test_multi_valued_attribute_is_read_whole(sbc, play):
    """An attribute with several values (one <value> each). Promise: elements are "each its attributes by name", as the SBC answers."""
    sbc.hooks.append(multi_valued)
    result, done = play('info.yml', element_type='realm-config', filters={'identifier': 'core'})
    info = result['info']
    assert not info.get('failed'), info.get('msg')
    assert 'M01:0' in json.dumps(info['elements']), info['elements']


# ------------------------------------------------------------------------------------------------ async shapes


def status_sequence(statuses, extra=''):
    """asyncstatus answers: the given (status or None for an empty <data/>) per poll of the running step, the last one repeated."""
    state = {'polls': 0}

    def hook(sbc, request):
        if request.method == 'GET' and request.tail == 'admin/asyncstatus' and sbc.async_state is not None:
            operation = sbc.async_state[0]
            status = statuses[min(state['polls'], len(statuses) - 1)]
            state['polls'] += 1
            if status is None:
                return 200, envelope()
            return 200, envelope('<operationState><operation>%s</operation><status>%s</status></operationState>%s'
                                 % (operation, status, extra if status in ('fail', 'failed') else ''))
        if request.method in ('PUT', 'POST') and request.tail == 'configuration/management':
            state['polls'] = 0
        return None
    return hook


def management_answer(status, body):
    def hook(sbc, request):
        if request.method in ('PUT', 'POST') and request.tail == 'configuration/management':
            sbc.run_action(request.param('action'))
            return status, body
        return None
    return hook


ASYNC_OK = {
    'in-progress-then-success': [status_sequence(['inProgress', 'in-progress', 'pending', 'running', 'success'])],
    'empty-data-then-success': [status_sequence([None, None, 'success'])],
    'accepted-without-link': [management_answer(202, envelope())],
    'accepted-without-body': [management_answer(202, '')],
    'ok-instead-of-accepted': [management_answer(200, envelope())],
}


@pytest.mark.parametrize('shape', sorted(ASYNC_OK))
def test_commit_waits_through_async_shapes(sbc, play, shape):
    """Oracle (admin/asyncstatus, status-codes): 202 + link to poll; statuses besides success are open. Promise: each step waited for."""
    sbc.hooks.extend(ASYNC_OK[shape])
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'core', 'description': shape})
    commit = result['commit']
    assert not commit.get('failed'), commit.get('msg')
    assert commit['steps'] == ['save', 'verify', 'activate'] and running_realm(sbc, 'core')[0]['description'] == shape


FAILED_WORDS = {
    'errorMessage-inside-operationState': ('<operationState><operation>verify</operation><status>fail</status>'
                                           '<errorMessage>realm core: bad interface</errorMessage></operationState>'),
    'verifySummary-in-additionalInfo': ('<operationState><operation>verify</operation><status>failed</status></operationState>'
                                        '<additionalInfo><verifySummary><verify><field>realm core: bad interface</field>'
                                        '<object>realm-config</object></verify></verifySummary></additionalInfo>'),
}


@pytest.mark.parametrize('shape', sorted(FAILED_WORDS))
def test_failed_verify_words_are_surfaced(sbc, play, shape):
    """Oracle 8.2 asyncstatus schema: operationState {errorMessage, operation, status}; additionalInfo/verifySummary.
    Promise: the SBC's words."""
    def hook(sbc, request):
        if request.method == 'GET' and request.tail == 'admin/asyncstatus' and sbc.async_state and sbc.async_state[0] == 'verify':
            return 200, envelope(FAILED_WORDS[shape])
        return None
    sbc.hooks.append(hook)
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'core', 'description': 'v'})
    commit = result['commit']
    assert commit.get('reason') == 'config_failed' and 'realm core: bad interface' in commit['msg'], commit
    assert sbc.lock_holder is None


def test_several_messages_in_an_error_are_all_shown(sbc, play):
    """Oracle: error text under <messages> (element names open). Promise: the SBC's own text, naming what to fix."""
    def hook(sbc, request):
        if request.method == 'PUT' and request.tail == 'configuration/configElements':
            return 400, envelope(messages='<message>Invalid attribute value</message>'
                                          '<message>max-bandwidth: value 99999999999 out of range</message>')
        return None
    sbc.hooks.append(hook)
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'core', 'max-bandwidth': '99999999999'},
                        commit=False)
    element = result['element']
    assert element.get('reason') == 'bad_input' and 'max-bandwidth' in element['msg'], element


def test_html_error_page_on_activate_gives_lock_back(sbc, play):
    """A proxy's HTML 502 on activate. Promise: a clear failure; the lock is given back by the play's always."""
    def hook(sbc, request):
        if request.method == 'POST' and request.tail == 'configuration/management':
            return 502, '<html><head><title>502 Proxy Error</title></head><body>Bad gateway</body></html>', 'text/html'
        return None
    sbc.hooks.append(hook)
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'core', 'description': 'h'})
    commit = result['commit']
    assert commit.get('failed') and '502' in commit['msg'], commit
    assert sbc.lock_holder is None


# ------------------------------------------------------------------------------------------------ canonical values


def bare_metadata(sbc, request):
    """Metadata as the SBC pages show its fields: name, help, descriptions, required, key (no value type, no allowed values)."""
    if request.method == 'GET' and request.tail == 'configuration/elementTypes/metadata':
        rows = ''.join('<attributeMetadata><name>%s</name><help>%s</help><descriptions>%s</descriptions><required>false</required>'
                       '<key>%s</key></attributeMetadata>' % (n, n, n, 'true' if k else 'false')
                       for n, k, _t, _d, _e in TYPES['realm-config'][1])
        return 200, envelope('<elementType>realm-config</elementType><singleInstance>false</singleInstance>' + rows)
    return None


@pytest.mark.parametrize('keys', [[], ['identifier']], ids=['keys-from-metadata', 'key_attributes'])
def test_canonicalised_values_rerun_commits_nothing_with_bare_metadata(sbc, play, keys):
    """The SBC stores Enabled as enabled, 0100 as 100. Promise: a re-run reports no change and only_if_changed commits nothing."""
    sbc.hooks.append(bare_metadata)
    attrs = {'identifier': 'peer-2', 'mm-in-realm': 'Enabled', 'max-bandwidth': '0100'}
    result, done = play('element.yml', element_type='realm-config', attributes=attrs, key_attributes=keys)
    assert result['element']['changed'] and result['commit']['changed'], done
    del sbc.log[:]
    result, done = play('element.yml', element_type='realm-config', attributes=attrs, key_attributes=keys)
    assert not result['element']['changed'] and not result['commit']['changed'], (result, done)
    assert [c for c in changing(sbc) if c[1] == 'configuration/management'] == []


# ------------------------------------------------------------------------------------------------ token life


def test_commit_longer_than_the_token_keeps_the_lock(sbc, play):
    """Oracle (auth/token): tokens live ten minutes, the lock is tied to the token, re-authenticate before expiry "to keep holding
    the lock during long changes". config_commit allows async_timeout up to 86400 s (its EXAMPLES: 600 s). Promise: its token is
    "re-authenticated past half its life as the lock does". Scaled down: token life 6 s, an activate that runs until 7 s after it began."""
    sbc.token_ttl = 6.0
    ends = {}

    def slow_activate(sbc, request):
        if request.method == 'POST' and request.tail == 'configuration/management':
            ends['at'] = time.monotonic() + sbc.token_ttl + 1.0
            return None
        if request.method == 'GET' and request.tail == 'admin/asyncstatus' and sbc.async_state and sbc.async_state[0] == 'activate':
            if time.monotonic() < ends['at']:
                return 200, envelope('<operationState><operation>activate</operation><status>inProgress</status></operationState>')
        return None
    sbc.hooks.append(slow_activate)
    result, done = play('element.yml', element_type='realm-config', attributes={'identifier': 'core', 'description': 'long'},
                        env={'SBC_TOKEN_LIFETIME': '6'}, steps=['activate'])
    commit = result['commit']
    assert not commit.get('failed'), commit.get('msg')
    assert not result['unlock'].get('failed'), result['unlock']
