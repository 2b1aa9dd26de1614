"""Attacks on oracle_comms.provisioning.config_elements from its promise (issue text, module docs), as real plays
against the emulator (tests/integration/playbooks/attack_config_elements/). Tests marked ``# FINDING:`` fail against
the current code; the others are regression tests of promises kept."""

import json

import pytest

from tests.integration.ansible_runner_util import assert_no_secret

pytestmark = pytest.mark.integration

ELEMENTS = 'configuration/configElements'
CHANGING = tuple('%s /rest/{v}/%s' % (method, ELEMENTS) for method in ('POST', 'PUT', 'DELETE'))
SEEDED = ['core', 'access']


def run(ansible, tmp_path, steps, lock=True, commit=False, name='r.json', **kwargs):
    result_file = tmp_path / name
    play = ansible.run('attack_config_elements/steps.yml',
                       extra_vars={'steps': steps, 'result_file': str(result_file), 'lock': lock, 'commit': commit}, **kwargs)
    assert result_file.exists(), play
    return json.loads(result_file.read_text()), play


def changing(emulator):
    routes = emulator.stats('sbc1')['by_route']
    return dict((route, routes[route]) for route in CHANGING if routes.get(route))


def ids(elements):
    return [element['identifier'] for element in elements]


def realms(count, prefix='h'):
    return [{'identifier': '%s-%03d' % (prefix, n), 'addr-prefix': '203.0.113.%d/32' % (n % 256)} for n in range(count)]


# ---------------------------------------------------------------- findings

def test_a_value_the_sbc_keeps_otherwise_is_sent_again_with_changed_false_and_a_warning(ansible, emulator, tmp_path):
    # FINDING (answered, docs/decisions.md "Values the SBC keeps otherwise"): a list given for an attribute the SBC keeps
    # one value of (description: [a, b]; the emulator keeps "a") was sent again on every re-run. A list is how an
    # attribute of several values is given, and nothing says which attributes take several, so it cannot be refused;
    # nothing remembers the SBC's answer between runs. What is kept: the first run reports the change, every re-run
    # reports changed false (the SBC's answer shows the element as it was) and warns which values the SBC holds.
    config = [{'identifier': 'c', 'description': ['a', 'b']}]
    out, play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}])
    first = out['results'][0]
    assert first['changed'] and not first.get('failed'), first
    emulator.reset_stats()
    out, play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}], name='again.json')
    again = out['results'][0]
    assert not again['changed'] and again['commands'] == ['update realm-config identifier=c: description=[a, b]'], again
    assert 'holds the realm-config element with other values than asked for description' in play.output, play
    assert changing(emulator) == {'PUT /rest/{v}/configuration/configElements': 1}, changing(emulator)


def test_check_mode_after_and_diff_predict_what_the_real_run_gives(ansible, emulator, tmp_path):
    # FINDING (fixed): promised "after: ... (predicted in check mode)" and diff "before and after". For an element the task
    # adds, check mode predicts {'identifier': 'n1'} where the real run's after (and diff) shows the element with
    # the SBC's defaults; the check-mode diff thus differs from the real diff for the same task.
    step = {'state': 'overridden', 'config': [{'identifier': 'n1'}, {'identifier': 'core', 'description': 'd'}], 'diff': True}
    out, _play = run(ansible, tmp_path, [dict(step, check=True)], name='check.json')
    predicted = out['results'][0]
    assert not changing(emulator), 'check mode sent a change: %r' % changing(emulator)
    out, _play = run(ansible, tmp_path, [step], name='real.json')
    real = out['results'][0]
    assert predicted['commands'] == real['commands']
    assert predicted['after'] == real['after'], (predicted['after'], real['after'])
    assert predicted['diff'] == real['diff']


def test_conflict_message_is_actionable_for_this_module(ansible, emulator, tmp_path):
    # FINDING (fixed): promised "bad input gets a one-line actionable error". With key_attributes that differ from the metadata
    # (identifier + addr-prefix), an item naming an existing identifier with another prefix gets 409, and the message
    # tells the user to "update it (state=present with the same keys)": config_elements has no state=present.
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'key_attributes': ['identifier', 'addr-prefix'],
                                          'config': [{'identifier': 'core', 'addr-prefix': '10.0.0.0/8'}]}])
    result = out['results'][0]
    assert result['failed'] and result['reason'] == 'conflict', result
    assert result['not_applied'] and result['commands'] == []
    assert 'state=present' not in result['msg'], result['msg']
    assert '\n' not in result['msg']


# ---------------------------------------------------------------- promises kept (regression)

def test_odd_inputs_are_refused_before_anything_is_sent(ansible, emulator, tmp_path):
    steps = [
        {'state': 'merged', 'config': [{'identifier': 'a'}, {'identifier': 'a', 'description': 'x'}]},
        {'state': 'merged', 'config': [{'description': 'nokey'}]},
        {'state': 'merged', 'config': [{'identifier': 'b', 'bogus': 'x'}]},
        {'state': 'merged', 'config': [{'identifier': 'e', 'mm-in-realm': True}]},
        {'state': 'merged', 'config': [{'identifier': 'g', 'description': None}]},
        {'state': 'merged', 'config': [{'identifier': 'h', 'description': {'x': 1}}]},
        {'state': 'replaced', 'config': [{'identifier': 'a'}, {'identifier': 'a'}]},
        {'state': 'merged', 'key_attributes': ['nokey'], 'config': [{'identifier': 'zz'}]},
        {'state': 'rendered'},
    ]
    out, play = run(ansible, tmp_path, steps)
    for result in out['results']:
        assert result['failed'] and result.get('reason') == 'bad_input', result
        assert '\n' not in result['msg'] and 'Traceback' not in result['msg'], result['msg']
    assert 'Traceback' not in play.output
    assert not changing(emulator)
    assert out['lock']['held'] and not emulator.sbc_lock_state()['held']


def test_empty_config_and_missing_elements_are_no_change(ansible, emulator, tmp_path):
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': []}, {'state': 'replaced', 'config': []},
                                         {'state': 'deleted', 'config': [{'identifier': 'nonexistent'}]}])
    assert [(r['changed'], r['commands']) for r in out['results']] == [(False, [])] * 3, out['results']
    assert not changing(emulator)


def test_numbers_and_unicode_are_idempotent(ansible, emulator, tmp_path):
    config = [{'identifier': 5}, {'identifier': 'x', 'max-bandwidth': 10}, {'identifier': 'f', 'description': 'ünï☃ ✓ <&>"x'}]
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}])
    assert out['results'][0]['changed'] and len(out['results'][0]['commands']) == 3
    emulator.reset_stats()
    out, _play = run(ansible, tmp_path, [{'state': s, 'config': config} for s in ('merged', 'replaced')]
                     + [{'state': 'merged', 'config': [{'identifier': 'x', 'max-bandwidth': '0010'}]}], name='again.json')
    assert [(r['changed'], r['commands']) for r in out['results']] == [(False, [])] * 3, out['results']
    assert not changing(emulator)
    stored = dict((e['identifier'], e) for e in emulator.sbc_elements('realm-config'))
    assert stored['f']['description'] == 'ünï☃ ✓ <&>"x' and '5' in stored


def test_partial_failure_mid_list_reports_applied_and_not_applied_and_keeps_the_lock(ansible, emulator, tmp_path):
    config = [{'identifier': 'a1'}, {'identifier': 'a2'}, {'identifier': 'a3', 'access-control-trust-level': 'bogus'}, {'identifier': 'a4'}]
    out, play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}])
    result = out['results'][0]
    assert result['failed'] and result['changed'] and result['reason'] == 'bad_input', result
    assert result['commands'] == ['add realm-config identifier=a1', 'add realm-config identifier=a2']
    assert result['failed_command'] == result['not_applied'][0] and len(result['not_applied']) == 2
    assert out['lock']['held'], 'the lock must stay held after a partial failure'
    assert ids(emulator.sbc_elements('realm-config')) == SEEDED + ['a1', 'a2']
    assert not emulator.sbc_lock_state()['held'] and not out['unlock']['failed']


@pytest.mark.parametrize('fault', [{'kind': 'status', 'status': 500}, {'kind': 'status', 'status': 400}, {'kind': 'drop'}],
                         ids=['500', '400', 'connection-reset'])
def test_fault_on_first_add_after_deletions_of_overridden(ansible, emulator, tmp_path, fault):
    emulator.arm_fault(instance='sbc1', method='POST', path='*/' + ELEMENTS, count=1, **fault)
    out, _play = run(ansible, tmp_path, [{'state': 'overridden', 'config': [{'identifier': 'core'}, {'identifier': 'b1'}, {'identifier': 'b2'}]}],
                     commit=True)
    result = out['results'][0]
    assert result['failed'] and result['changed'], result
    assert result['commands'][0] == 'delete realm-config identifier=access'
    assert result['failed_command'] == 'add realm-config identifier=b1'
    assert result['not_applied'] == ['add realm-config identifier=b1', 'add realm-config identifier=b2']
    assert out['lock']['held']
    assert not out['unlock']['failed'] and not emulator.sbc_lock_state()['held']
    assert ids(emulator.sbc_elements('realm-config')) == ['core']


def test_singletons_refuse_destructive_states_before_sending(ansible, emulator, tmp_path):
    steps = [{'element_type': 'system-config', 'state': 'deleted'},
             {'element_type': 'system-config', 'state': 'deleted', 'config': []},
             {'element_type': 'system-config', 'state': 'deleted', 'config': [{'hostname': 'x'}]},
             {'element_type': 'system-config', 'state': 'overridden', 'config': []},
             {'element_type': 'system-config', 'state': 'overridden', 'check': True, 'diff': True}]
    out, _play = run(ansible, tmp_path, steps)
    for result in out['results']:
        assert result['failed'] and result['reason'] == 'bad_input' and 'singleton' in result['msg'], result
    assert not changing(emulator)
    assert len(emulator.sbc_elements('system-config')) == 1


@pytest.mark.parametrize('switches', [{}, {'sbc.singleton_post': 'attributes'}, {'sbc.change_answer': 'empty'}, {'sbc.keyed_missing': '404'}])
def test_singleton_merged_replaced_then_rerun(ansible, emulator, tmp_path, switches):
    emulator.set_switches(switches)
    steps = [{'element_type': 'system-config', 'state': 'merged', 'config': [{'description': 'new'}]},
             {'element_type': 'system-config', 'state': 'merged', 'config': [{'description': 'new'}]},
             {'element_type': 'system-config', 'state': 'replaced', 'config': [{'description': 'rep'}]},
             {'element_type': 'system-config', 'state': 'replaced', 'config': [{'description': 'rep'}]},
             {'element_type': 'system-config', 'state': 'gathered'}]
    out, _play = run(ansible, tmp_path, steps)
    merged, remerged, replaced, rereplaced, gathered = out['results']
    assert not [r for r in out['results'] if r.get('failed')], out['results']
    assert merged['changed'] and replaced['changed'] and not remerged['changed'] and not rereplaced['changed']
    assert remerged['commands'] == [] and rereplaced['commands'] == []
    assert gathered['gathered'][0]['description'] == 'rep' and gathered['gathered'][0]['hostname'] == ''


def test_destructive_states_say_what_they_delete_in_check_and_diff(ansible, emulator, tmp_path):
    out, _play = run(ansible, tmp_path, [{'state': 'deleted', 'check': True, 'diff': True},
                                         {'state': 'overridden', 'config': [{'identifier': 'n1'}], 'check': True, 'diff': True}])
    deleted, overridden = out['results']
    assert deleted['commands'] == ['delete realm-config identifier=core', 'delete realm-config identifier=access']
    assert sorted(deleted['diff']['before']) == ['identifier=access', 'identifier=core'] and deleted['diff']['after'] == {}
    assert overridden['commands'][:2] == deleted['commands']
    assert not changing(emulator) and ids(emulator.sbc_elements('realm-config')) == SEEDED


@pytest.mark.parametrize('page_size', ['0', '1', '7', '100'])
def test_300_elements_with_pages(ansible, emulator, tmp_path, page_size):
    emulator.set_switches({'sbc.page_size': page_size})
    config = realms(300)
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}, {'state': 'merged', 'config': config},
                                         {'state': 'overridden', 'config': config[::2]}, {'state': 'overridden', 'config': config[::2]},
                                         {'state': 'gathered'}], timeout=600)
    merged, remerged, overridden, reoverridden, gathered = out['results']
    assert not [r for r in out['results'] if r.get('failed')]
    assert len(merged['commands']) == 300 and remerged['commands'] == [] and reoverridden['commands'] == []
    assert len(overridden['commands']) == 152 and all(c.startswith('delete') for c in overridden['commands'])
    assert ids(gathered['gathered']) == ids(config[::2])
    assert emulator.stats('sbc1')['by_route']['GET /rest/{v}/configuration/elementTypes/metadata'] <= 4


def test_no_lock_of_this_run_is_not_locked_and_gathered_and_check_still_read(ansible, emulator, tmp_path):
    out, play = run(ansible, tmp_path, [{'state': 'merged', 'config': [{'identifier': 'n'}]},
                                        {'state': 'deleted'},
                                        {'state': 'gathered'},
                                        {'state': 'overridden', 'config': [{'identifier': 'n'}], 'check': True}], lock=False)
    merged, deleted, gathered, checked = out['results']
    for result in (merged, deleted):
        assert result['failed'] and result['reason'] == 'not_locked', result
    assert ids(gathered['gathered']) == SEEDED and not gathered.get('failed')
    assert not checked.get('failed') and checked['commands'][:2] == ['delete realm-config identifier=core', 'delete realm-config identifier=access'], checked
    assert not changing(emulator) and not emulator.sbc_lock_state()['held']


def test_another_run_holding_the_lock(emulator, tmp_path):
    from tests.integration.ansible_runner_util import PlaybookRunner
    holder = PlaybookRunner(emulator, tmp_path, release_on_exit=False)
    held = holder.run('attack_config_elements/hold.yml')
    assert held.returncode == 0, held
    assert emulator.sbc_lock_state()['held']
    out, _play = run(holder, tmp_path, [{'state': 'merged', 'config': [{'identifier': 'n'}]}], lock=False)
    result = out['results'][0]
    assert result['failed'] and result['reason'] in ('not_locked', 'lock_held'), result
    assert not changing(emulator)


def test_offline_rendered_and_parsed_without_any_sbc(ansible, emulator, tmp_path):
    result_file = tmp_path / 'offline.json'
    xml = ('<response><data><configElements><configElement><elementType>realm-config</elementType>'
           '<attribute><name>identifier</name><value>core</value></attribute>'
           '<attribute><name>addr-prefix</name><value>192.0.2.0/24</value></attribute></configElement>'
           '<configElement><elementType>sip-interface</elementType><attribute><name>realm-id</name><value>core</value></attribute>'
           '</configElement></configElements></data></response>')
    steps = [{'state': 'rendered', 'config': [{'identifier': 'lab', 'addr-prefix': '192.0.2.0/28', 'description': 'a<b&c'}]},
             {'state': 'parsed', 'running_config': xml}]
    play = ansible.run('attack_config_elements/offline.yml', extra_vars={'steps': steps, 'result_file': str(result_file)},
                       env={'SBC_HOST': None, 'SBC_USERNAME': None, 'SBC_PASSWORD': None})
    assert play.returncode == 0, play
    rendered, parsed = json.loads(result_file.read_text())
    assert not rendered.get('failed') and not parsed.get('failed'), (rendered, parsed)
    assert len(rendered['rendered']) == 1 and 'a&lt;b&amp;c' in rendered['rendered'][0]
    assert parsed['parsed'] == [{'identifier': 'core', 'addr-prefix': '192.0.2.0/24'}]
    assert emulator.stats('sbc1')['total'] == 0


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + ''.join('<!ENTITY lol%d "%s">' % (n, ('&lol%s;' % (n - 1 if n > 1 else '')) * 10) for n in range(1, 10))
          + ']><configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>&lol9;</value>'
          '</attribute></configElement>')
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><configElement><elementType>realm-config'
       '</elementType><attribute><name>identifier</name><value>&xxe;</value></attribute></configElement>')
HUGE = '<configElements>' + ''.join('<configElement><elementType>realm-config</elementType><attribute><name>identifier</name>'
                                    '<value>r%d</value></attribute></configElement>' % n for n in range(20000)) + '</configElements>'


# FINDING (deep, fixed): promised "bad input gets a one-line actionable error and a reason, never a traceback". A
# running_config nested 5000 elements deep failed with "internal error: RecursionError" (the list of elements is now
# collected without recursion).
@pytest.mark.parametrize('xml', [LAUGHS, XXE, '<configElement><unclosed>', '', 'not xml at all', '<a>' * 5000 + '</a>' * 5000],
                         ids=['billion-laughs', 'xxe', 'unclosed', 'empty', 'text', 'deep'])
def test_parsed_hostile_xml_is_a_one_line_bad_input(ansible, emulator, tmp_path, xml):
    result_file = tmp_path / 'offline.json'
    extra_vars = {'steps': [{'state': 'parsed', 'running_config': xml}], 'result_file': str(result_file)}
    play = ansible.run('attack_config_elements/offline.yml', extra_vars=extra_vars, env={'SBC_HOST': None}, timeout=120)
    assert play.returncode == 0, play
    result = json.loads(result_file.read_text())[0]
    assert 'root:' not in json.dumps(result) and 'lollollol' not in json.dumps(result), str(result)[:500]
    if xml == '':
        return
    if xml.startswith('<a>'):
        # well-formed XML with no configElement at any depth: nothing to parse, and no internal error
        assert not result.get('failed') and result['parsed'] == [], str(result)[:500]
        return
    assert result['failed'] and result['reason'] == 'bad_input', str(result)[:500]
    assert '\n' not in result['msg'] and 'Traceback' not in play.output


def test_parsed_huge_answer(ansible, emulator, tmp_path):
    result_file = tmp_path / 'offline.json'
    extra = tmp_path / 'huge.json'
    extra.write_text(json.dumps({'steps': [{'state': 'parsed', 'running_config': HUGE}], 'result_file': str(result_file)}))
    play = ansible.run('attack_config_elements/offline.yml', args=['-e', '@%s' % extra], env={'SBC_HOST': None}, timeout=300)
    assert play.returncode == 0, str(play)[:3000]
    result = json.loads(result_file.read_text())[0]
    assert not result.get('failed') and len(result['parsed']) == 20000, str(result)[:500]


def test_no_secret_at_vvv_in_any_state_nor_in_a_failure(ansible, emulator, tmp_path):
    steps = [{'state': 'merged', 'config': [{'identifier': 'n'}]}, {'state': 'replaced', 'config': [{'identifier': 'n', 'description': 'x'}]},
             {'state': 'overridden', 'config': [{'identifier': 'n'}], 'check': True, 'diff': True}, {'state': 'gathered'},
             {'state': 'deleted', 'config': [{'identifier': 'n'}], 'diff': True},
             {'state': 'merged', 'config': [{'identifier': 'q', 'access-control-trust-level': 'bogus'}]}]
    out, play = run(ansible, tmp_path, steps, verbosity=3, commit=True)
    assert len(out['results']) == 6
    secrets = emulator.secrets()
    secrets['passwords'] = ['admin-secret-1']
    assert_no_secret(play.output, secrets)
    assert_no_secret(json.dumps(out), secrets)


def test_under_the_lock_session_role(ansible, emulator, tmp_path):
    result_file = tmp_path / 'role.json'
    extra_vars = {'config': realms(3, 'role'), 'state': 'overridden', 'result_file': str(result_file)}
    play = ansible.run('attack_config_elements/role.yml', extra_vars=extra_vars, diff=True)
    assert play.returncode == 0, play
    result = json.loads(result_file.read_text())
    assert result['changed'] and sorted(result['commands'][:2]) == ['delete realm-config identifier=access', 'delete realm-config identifier=core']
    assert ids(emulator.sbc_elements('realm-config')) == ids(realms(3, 'role'))
    assert not emulator.sbc_lock_state()['held']


def test_delegate_to_localhost(ansible, emulator, tmp_path):
    result_file = tmp_path / 'delegate.json'
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('sbc-a ansible_connection=local ansible_python_interpreter=%s\n' % __import__('sys').executable)
    play = ansible.run('attack_config_elements/delegate.yml', extra_vars={'config': realms(2, 'dl'), 'result_file': str(result_file)},
                       inventory=str(inventory))
    assert play.returncode == 0, play
    result = json.loads(result_file.read_text())
    assert result['changed'] and len(result['commands']) == 2
    assert not emulator.sbc_lock_state()['held']


@pytest.mark.parametrize('switches', [{'sbc.values': 'canonical'}, {'sbc.change_answer': 'empty'}, {'sbc.keyed_missing': '404'},
                                      {'sbc.metadata_shape': 'attribute'}, {'sbc.post_status': '201'},
                                      {'sbc.values': 'canonical', 'sbc.change_answer': 'empty', 'sbc.page_size': '1'}],
                         ids=['canonical', 'empty-answer', 'keyed-404', 'old-metadata', 'post-201', 'combined'])
def test_case_and_padding_variants_are_one_value_under_switches(ansible, emulator, tmp_path, switches):
    emulator.set_switches(switches)
    config = [{'identifier': 'v', 'mm-in-realm': 'Enabled', 'access-control-trust-level': 'HIGH', 'max-bandwidth': '0100'}]
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}])
    assert out['results'][0]['changed'] and not out['results'][0].get('failed'), out['results'][0]
    emulator.reset_stats()
    out, _play = run(ansible, tmp_path, [{'state': s, 'config': config, 'check': c} for s in ('merged', 'replaced') for c in (True, False)],
                     name='again.json')
    assert [(r.get('failed', False), r['changed'], r['commands']) for r in out['results']] == [(False, False, [])] * 4, out['results']
    assert not changing(emulator)


def test_metadata_none_without_key_attributes_is_bad_response_and_with_them_works(ansible, emulator, tmp_path):
    emulator.set_switches({'sbc.metadata_shape': 'none'})
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': [{'identifier': 'm'}]},
                                         {'state': 'merged', 'key_attributes': ['identifier'], 'config': [{'identifier': 'm'}]},
                                         {'state': 'merged', 'key_attributes': ['identifier'], 'config': [{'identifier': 'm'}]}])
    bare, keyed, again = out['results']
    assert bare['failed'] and bare['reason'] == 'bad_response', bare
    assert keyed['changed'] and not keyed.get('failed'), keyed
    assert not again['changed'] and again['commands'] == []


def test_module_defaults_with_loop_register_and_commit_after_rerun(ansible, emulator, tmp_path):
    config = realms(3, 'cm')
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}], commit=True)
    assert out['commit']['changed'] and not out['commit'].get('failed')
    out, _play = run(ansible, tmp_path, [{'state': 'merged', 'config': config}], commit=True, name='again.json')
    assert not out['results'][0]['changed']
    assert not out['commit']['changed'], 'a re-run with no change must not commit again: %r' % out['commit']


def test_rendered_refuses_two_items_naming_one_element(ansible, emulator, tmp_path):
    # Kept: rendered with key_attributes refuses duplicates and items without the key (bad_input), with no SBC.
    result_file = tmp_path / 'offline.json'
    steps = [{'state': 'rendered', 'key_attributes': ['identifier'], 'config': [{'identifier': 'a'}, {'identifier': 'a', 'description': 'x'}]},
             {'state': 'rendered', 'key_attributes': ['identifier'], 'config': [{'description': 'nokey'}]}]
    play = ansible.run('attack_config_elements/offline.yml', extra_vars={'steps': steps, 'result_file': str(result_file)},
                       env={'SBC_HOST': None})
    assert play.returncode == 0, play
    duplicate, nokey = json.loads(result_file.read_text())
    assert nokey['failed'] and nokey['reason'] == 'bad_input', nokey
    assert duplicate.get('failed') and duplicate.get('reason') == 'bad_input', duplicate
