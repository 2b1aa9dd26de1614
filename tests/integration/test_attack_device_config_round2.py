"""Second round of attacks on the SDM provisioning modules (device_config_element, device_config_push,
device_config_element_info): etcd lease backend, nested sessions, handlers, many elements, odd values, faults of the
SDM mid-run, the device lock taken away mid-run, async pushes.

Real plays against the emulator (playbooks/attack_device_config2/). Tests whose docstring starts with ``FINDING`` found
a broken promise (named there); the others passed when written and stay as regressions.
"""

import json

import pytest
import requests

from tests.integration.ansible_runner_util import assert_no_secret  # noqa: F401  (kept for the -vvvv scans)

pytestmark = pytest.mark.integration

D = 'attack_device_config2/'
STEPS = D + 'steps.yml'
PUSH_ROUTE = 'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'


class Outcome:
    def __init__(self, play, data):
        self.play = play
        self.data = data or {}
        self.steps = dict((item['name'], item['r']) for item in self.data.get('outcomes', []))

    def __getitem__(self, name):
        assert name in self.steps, 'step %r never ran: %r' % (name, self)
        return self.steps[name]

    def __repr__(self):
        short = dict((name, dict((k, v) for k, v in result.items() if k not in ('invocation', 'exception', 'results')))
                     for name, result in self.steps.items() if isinstance(result, dict))
        return 'Outcome(rc=%s; %s)\n--- failures: %s\n--- stderr\n%s' % (
            self.play.returncode, json.dumps(short, sort_keys=True)[:5000], ' | '.join(self.play.failures())[:3000],
            self.play.stderr[-1500:])


def run_play(ansible, playbook, extra=None, host='localhost', **kwargs):
    out_dir = ansible.workdir / 'out'
    out_dir.mkdir(parents=True, exist_ok=True)
    extra_vars = {'out_dir': str(out_dir)}
    extra_vars.update(extra or {})
    play = ansible.run(playbook, extra_vars=extra_vars, **kwargs)
    path = out_dir / ('%s.json' % host)
    data = json.loads(path.read_text()) if path.exists() else None
    if path.exists():
        path.unlink()
    return Outcome(play, data)


def run_steps(ansible, steps, lock=('ID1',), unlock=True, extra=None, playbook=STEPS, **kwargs):
    extra_vars = {'lock': list(lock), 'unlock': unlock, 'steps': list(steps)}
    extra_vars.update(extra or {})
    return run_play(ansible, playbook, extra=extra_vars, **kwargs)


def realm(name, **attributes):
    return dict({'id': name}, **attributes)


def element(kind='realmConfig', **attributes):
    return {'elementTypePath': kind, 'attributes': [{'name': k, 'value': v} for k, v in attributes.items()]}


def device_elements(emulator, device='ID1', kind=None):
    elements = emulator.control('GET', '/sdm/sdm1/devices/%s/config' % device)['elements']
    return [e for e in elements if kind is None or e['elementTypePath'] == kind]


def attrs(item):
    return dict((a['name'], a['value']) for a in item['attributes'])


def device_element(emulator, kind, key_name, key_value, device='ID1'):
    for item in device_elements(emulator, device, kind):
        if attrs(item).get(key_name) == key_value:
            return item
    return None


def staged(emulator, device='ID1'):
    return emulator.control('GET', '/sdm/sdm1/devices/%s/changes' % device)


def events(emulator, event, device='ID1'):
    return [e for e in emulator.audit('sdm1') if e['event'] == event and e['resource'] == 'config:%s' % device]


def pushes(emulator, device='ID1'):
    return events(emulator, 'push', device)


def one_line_failure(result, reason=None):
    assert result.get('failed'), result
    if reason is not None:
        assert result.get('reason') == reason, result
    msg = result.get('msg', '')
    assert msg and '\n' not in msg.strip() and 'Traceback' not in msg, result
    assert result.get('reason'), 'no reason: %r' % result
    return msg


def assert_clean(emulator):
    assert emulator.sdm_locks() == {}, 'devices left locked: %r' % emulator.sdm_locks()
    assert not emulator.sbc_lock_state()['held'], emulator.sbc_lock_state()


def fault(**kw):
    return {'kind': 'control', 'name': kw.pop('name', 'fault'), 'path': '/faults', 'body': dict({'instance': 'sdm1'}, **kw)}


def control(path, body=None, name='control', method='POST'):
    return {'kind': 'control', 'name': name, 'path': path, 'body': body or {}, 'method': method}


# --------------------------------------------------------------------------------------------- handlers, nesting, loops

def test_a_push_as_a_handler_flushed_in_the_session(ansible, emulator):
    """Promise: a push notified by a staging task and flushed inside the session pushes under the lock, once."""
    out = run_play(ansible, D + 'handler.yml', extra={'flush': True})
    assert out.play.returncode == 0, out
    assert out['element'].get('changed') is True, out
    assert out['push'].get('changed') is True and len(out['push'].get('pushed', [])) == 1, out
    assert device_element(emulator, 'realmConfig', 'id', 'handler-1') is not None
    assert len(pushes(emulator)) == 1
    assert_clean(emulator)


def test_a_push_as_a_handler_left_to_the_end_of_the_play(ansible, emulator):
    """Promise: a push handler that runs after the session gave the lock back fails loudly (not_locked) and sends nothing."""
    out = run_play(ansible, D + 'handler.yml', extra={'flush': False})
    push = out['push']
    one_line_failure(push, 'not_locked')
    assert pushes(emulator) == []
    assert_clean(emulator)


def test_an_sdm_session_inside_an_sdm_session_then_push_in_the_outer(ansible, emulator):
    """Promise: the inner session on the same device reuses the lock and gives nothing back; what it staged is this
    run's, and the outer session's push pushes it (not foreign), then the outer session gives the lock back."""
    out = run_play(ansible, D + 'nested.yml', extra={
        'inner_steps': [{'kind': 'element', 'name': 'inner stage', 'attributes': realm('nest-1')}],
        'outer_steps': [{'kind': 'element', 'name': 'outer stage', 'attributes': realm('nest-2')},
                        {'kind': 'push', 'name': 'push'}]})
    assert out.play.returncode == 0, out
    assert out['inner stage'].get('changed') is True, out
    push = out['push']
    assert not push.get('failed') and push.get('changed') is True, out
    assert sorted(c['name'] for c in push['pushed']) == ['nest-1', 'nest-2'], out
    assert device_element(emulator, 'realmConfig', 'id', 'nest-1') is not None
    assert_clean(emulator)


def test_an_sdm_session_on_another_device_inside_an_sdm_session(ansible, emulator):
    """FINDING: promise "Inside a session of the role with one device they need no device_id" (operator-guide.md,
    provisioning section; "lock_session_lock always describes the innermost open session"). An SDM session of one
    device (ID2) nested in an SDM session of another (ID1): the inner session's element and push tasks, with no device,
    fail "give device_id or device: this run holds device locks on ID1, ID2" -- the innermost session is not used to
    pick the device outside check mode (decisions.md says only a check run looks at the innermost session), and the
    operator guide does not say a nested session needs the device named."""
    out = run_play(ansible, D + 'nested.yml', extra={
        'inner_ids': ['ID2'],
        'inner_steps': [{'kind': 'element', 'name': 'inner stage', 'attributes': realm('on-two')},
                        {'kind': 'push', 'name': 'inner push'}],
        'outer_steps': [{'kind': 'element', 'name': 'outer stage', 'attributes': realm('on-one')},
                        {'kind': 'push', 'name': 'outer push'}]})
    assert out.play.returncode == 0, out
    assert not out['inner stage'].get('failed'), out['inner stage'].get('msg')
    assert out['inner push'].get('device_id') == 'ID2' and out['inner push'].get('changed') is True, out
    assert out['outer stage'].get('device_id') == 'ID1', out
    assert out['outer push'].get('device_id') == 'ID1' and out['outer push'].get('changed') is True, out
    assert device_element(emulator, 'realmConfig', 'id', 'on-two', device='ID2') is not None
    assert device_element(emulator, 'realmConfig', 'id', 'on-one') is not None
    assert_clean(emulator)


def test_many_elements_in_a_loop_then_one_push(ansible, emulator):
    """Promise: a loop over many elements stages each once, the push pushes exactly them (none foreign), a re-run
    stages and pushes nothing."""
    steps = [{'kind': 'many', 'name': 'many', 'prefix': 'bulk', 'count': 60}, {'kind': 'push', 'name': 'push'}]
    out = run_steps(ansible, steps)
    assert out.play.returncode == 0, out
    assert out['many']['changed_count'] == 60, out
    assert not out['push'].get('failed') and len(out['push']['pushed']) == 60, out
    again = run_steps(ansible, steps)
    assert again['many']['changed_count'] == 0, again
    assert again['push'].get('changed') is False, again
    assert len(pushes(emulator)) == 1
    assert_clean(emulator)


# --------------------------------------------------------------------------------------------- values

ODD_VALUES = {
    'xml_special': '<a href="x">&amp; \'q\' ]]> </a>',
    'unicode': 'Zürich – 東京 ✓ \U0001F600',
    'entity_like': '&lt;not-a-tag&gt; &#x41;',
    'cdata_end': 'x]]>y',
}


@pytest.mark.parametrize('case', sorted(ODD_VALUES))
def test_odd_values_reach_the_device_exactly_and_a_rerun_stages_nothing(ansible, emulator, case):
    """Promise: a value is staged and pushed as given (XML-special characters, unicode) and a re-run stages nothing."""
    value = ODD_VALUES[case]
    steps = [{'kind': 'element', 'name': 'stage', 'attributes': realm('odd-1', description=value)},
             {'kind': 'push', 'name': 'push'}]
    out = run_steps(ansible, steps)
    assert out.play.returncode == 0, out
    assert out['stage'].get('changed') is True and not out['push'].get('failed'), out
    item = device_element(emulator, 'realmConfig', 'id', 'odd-1')
    assert item is not None and attrs(item).get('description') == value, (item, out)
    again = run_steps(ansible, steps)
    assert again['stage'].get('changed') is False, again
    assert again['push'].get('changed') is False, again
    assert len(pushes(emulator)) == 1
    assert_clean(emulator)


@pytest.mark.parametrize('key', ['a<b', 'a&b', 'x y', 'a/b', 'né'])
def test_odd_key_values_are_staged_pushed_and_idempotent(ansible, emulator, key):
    """Promise: an element whose key value holds XML-special characters, a space, a slash or non-ASCII is staged once,
    pushed as this run's, and a re-run finds it (stages nothing)."""
    steps = [{'kind': 'element', 'name': 'stage', 'attributes': realm(key, description='d')},
             {'kind': 'push', 'name': 'push'}]
    out = run_steps(ansible, steps)
    assert out.play.returncode == 0, out
    assert out['stage'].get('changed') is True, out
    assert not out['push'].get('failed') and out['push'].get('changed') is True, out
    assert device_element(emulator, 'realmConfig', 'id', key) is not None
    again = run_steps(ansible, steps)
    assert again['stage'].get('changed') is False, again
    assert again['push'].get('changed') is False, again
    assert_clean(emulator)


@pytest.mark.parametrize('name', ['a<b', 'a&b', 'x"y', 'has space', ''])
def test_odd_attribute_names_fail_in_one_line(ansible, emulator, name):
    """Promise: an attribute name the SDM does not know (with XML-special characters too) fails bad_input in one line,
    with or without key_attributes, and nothing is staged."""
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'meta', 'attributes': dict(realm('odd-attr'), **{name: 'v'})},
        {'kind': 'element', 'name': 'keys', 'attributes': dict(realm('odd-attr'), **{name: 'v'}), 'key_attributes': ['id']},
    ])
    for step in ('meta', 'keys'):
        one_line_failure(out[step], 'bad_input')
    assert staged(emulator).get('prov1', []) == [], staged(emulator)
    assert_clean(emulator)


def test_same_key_value_in_another_type_staged_by_another_job_during_the_run(ansible, emulator):
    """Promise: the push refuses a change this run did not stage even when it names an element with the same key value
    as one this run staged, in another type (the SDM lists both by name)."""
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('twin')},
        {'kind': 'hand', 'name': 'other job', 'op': 'add', 'element': element('mediaPolicy', name='twin')},
        {'kind': 'push', 'name': 'push'},
    ])
    assert out['other job']['status'] == 200, out
    push = out['push']
    assert push.get('failed') and push.get('reason') == 'foreign_changes', out
    assert pushes(emulator) == []
    assert_clean(emulator)


def test_same_key_value_in_two_types_both_this_runs(ansible, emulator):
    """Promise: this run's realmConfig and mediaPolicy of one name are both this run's: pushed together, none foreign."""
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'realm', 'attributes': realm('twin')},
        {'kind': 'element', 'name': 'policy', 'element_type': 'mediaPolicy', 'attributes': {'name': 'twin'}},
        {'kind': 'push', 'name': 'push'},
    ])
    assert not out['push'].get('failed') and len(out['push']['pushed']) == 2, out
    assert_clean(emulator)


def test_a_value_differing_only_in_surrounding_spaces_is_a_change(ansible, emulator):
    """Promise (module doc): values are compared as typed, "other text exactly". The device holds description '  p  '
    (put there by hand); the task asks 'p': an update must be staged (or the difference said)."""
    config = emulator.control('GET', '/sdm/sdm1/devices/ID1/config')
    elements = config['elements'] + [element(id='spaced', description='  p  ')]
    emulator.control('PUT', '/sdm/sdm1/devices/ID1/config', json={'elements': elements})
    assert attrs(device_element(emulator, 'realmConfig', 'id', 'spaced'))['description'] == '  p  '
    out = run_steps(ansible, [{'kind': 'element', 'name': 'stage', 'attributes': realm('spaced', description='p')},
                              {'kind': 'push', 'name': 'push'}])
    assert out.play.returncode == 0, out
    on_device = attrs(device_element(emulator, 'realmConfig', 'id', 'spaced'))['description']
    assert on_device == 'p' or out['stage'].get('changed') is True, 'task said %r, device holds %r: %r' % (
        out['stage'].get('changed'), on_device, out)
    assert_clean(emulator)


# --------------------------------------------------------------------------------------------- faults of the SDM mid-run

CHANGES = '*/configurationChanges'


@pytest.mark.parametrize('kind', ['empty200', 'html502', 'drop', 'status500'])
def test_a_bad_answer_to_the_changes_read_of_the_push_pushes_nothing_silently(ansible, emulator, kind):
    """Promise: the push pushes exactly what this run staged, truthful changed: when the SDM's list of staged changes
    comes back empty/broken, the push does not end green with this run's change still staged and not pushed."""
    f = {'method': 'GET', 'path': CHANGES, 'count': 1}
    f.update({'kind': 'status', 'status': 500} if kind == 'status500' else {'kind': kind})
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-f')},
        fault(**f),
        {'kind': 'push', 'name': 'push'},
    ])
    push = out['push']
    on_device = device_element(emulator, 'realmConfig', 'id', 'mine-f') is not None
    if push.get('failed'):
        one_line_failure(push)
    else:
        assert on_device and push.get('changed') is True, 'push green, device has it: %s; %r' % (on_device, out)
    assert_clean(emulator)


@pytest.mark.parametrize('kind', ['empty200', 'html502'])
def test_a_bad_answer_to_the_push_is_not_success(ansible, emulator, kind):
    """Promise: the push's answer decides; an empty 200 or an HTML 502 is not a success: fail in one line, never
    repeat the push."""
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-p')},
        fault(method='POST', path='*/deviceMgmt/devices/ID1/action', kind=kind, count=1, name='fault'),
        {'kind': 'push', 'name': 'push'},
    ], lock=())  # no device_lock task: its own action calls would take the fault
    push = out['push']
    assert push.get('failed'), out
    one_line_failure(push)
    assert_clean(emulator)


@pytest.mark.parametrize('where', ['GET:*/configElements', 'POST:*/elementMetadata', 'GET:*/loadConfig',
                                   'POST:*/configElements/add', 'GET:*/configurationChanges'])
@pytest.mark.parametrize('kind', ['html502', 'empty200', 'status401', 'drop'])
def test_a_bad_answer_while_staging_fails_in_one_line(ansible, emulator, where, kind):
    """Promise: bad input / a broken SDM answer gives a one-line error with a reason, never a traceback nor a false
    success; the lock is given back."""
    method, path = where.split(':')
    f = {'method': method, 'path': path, 'count': 1}
    f.update({'kind': 'status', 'status': 401} if kind == 'status401' else {'kind': kind})
    out = run_steps(ansible, [
        fault(**f),
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-s')},
        {'kind': 'push', 'name': 'push'},
    ])
    mine = out['mine']
    if mine.get('failed'):
        one_line_failure(mine)
    else:
        # went through: then it must really be staged and pushed
        assert mine.get('changed') is True, out
        assert not out['push'].get('failed') and out['push'].get('changed') is True, out
        assert device_element(emulator, 'realmConfig', 'id', 'mine-s') is not None, out
    stages = [e for e in events(emulator, 'stage') if e.get('name') == 'mine-s']
    assert len(stages) <= 1, stages
    assert_clean(emulator)


def test_a_push_slower_than_push_timeout_fails_and_is_not_repeated(ansible, emulator):
    """Promise: the push is bounded by push_timeout and never repeated; it fails in one line."""
    emulator.set_switches({'sdm.push_delay': '4'})
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-t')},
        {'kind': 'push', 'name': 'push', 'push_timeout': 1},
    ])
    one_line_failure(out['push'])
    import time
    time.sleep(4)
    assert len(pushes(emulator)) <= 1, pushes(emulator)
    assert_clean(emulator)


# --------------------------------------------------------------------------------------------- the lock taken away mid-run

def test_the_device_lock_forced_free_between_stage_and_push(ansible, emulator):
    """Promise: the push happens only under the device lock this run holds. An administrator forces the device free
    after the staging task: the push must not go through as if the lock were held."""
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-l')},
        control('/sdm/sdm1/devices/ID1/release', name='force free'),
        {'kind': 'push', 'name': 'push'},
    ])
    push = out['push']
    assert push.get('failed'), 'pushed without the device lock: %r' % out
    one_line_failure(push)
    assert pushes(emulator) == []
    assert_clean(emulator)


def test_another_user_takes_the_device_between_stage_and_push(ansible, emulator):
    """Promise: a push while another user holds the device fails lock_held (one line), nothing pushed, and that
    user's lock is left to that user; our run's release fails no other way."""
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-o')},
        control('/sdm/sdm1/devices/ID1/release', name='force free'),
        control('/sdm/sdm1/devices/ID1/lock', {'user': 'prov2'}, name='prov2 locks'),
        {'kind': 'push', 'name': 'push'},
        {'kind': 'element', 'name': 'again', 'attributes': realm('mine-o2')},
    ])
    one_line_failure(out['push'], 'lock_held')
    one_line_failure(out['again'], 'lock_held')
    assert pushes(emulator) == []
    assert emulator.sdm_locks() == {'ID1': 'prov2'}, emulator.sdm_locks()


def test_session_idle_expiry_releases_the_lock_between_stage_and_push(ansible, emulator):
    """Promise: with an SDM whose device locks end with the session's idle expiry (sdm.lock_lifetime=expiry), a push
    after the lock ended must not go through as if held."""
    emulator.set_switches({'sdm.lock_lifetime': 'expiry'})
    out = run_steps(ansible, [
        {'kind': 'element', 'name': 'mine', 'attributes': realm('mine-e')},
        control('/sdm/sdm1/expire-sessions', {'user': 'prov1'}, name='expire'),
        {'kind': 'push', 'name': 'push'},
    ])
    locks = emulator.sdm_locks()
    push = out['push']
    if locks.get('ID1') != 'prov1':
        assert push.get('failed'), 'pushed with the device lock gone (locks %r): %r' % (locks, out)
    assert_clean(emulator)
