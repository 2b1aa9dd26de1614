"""device_config_elements (a list of SDM elements of one type staged in one task, resource-module states) in real plays
against the emulator's SDM, under its switches for what Oracle leaves open (tests/integration/playbooks/device_config_elements/)."""

import json

import pytest

from tests.integration.ansible_runner_util import assert_no_secret

pytestmark = pytest.mark.integration

CONFIGS = 'configuration/deviceConfigs/{id}/'
STAGING = tuple('POST /rest/{v}/%sconfigElements/%s' % (CONFIGS, op) for op in ('add', 'update', 'delete'))
LOAD = 'GET /rest/{v}/configuration/devices/{id}/loadConfig'
PUSH = 'POST /rest/{v}/configuration/devices/{id}/action'
CHANGING = STAGING + (LOAD, PUSH)
SEEDED = ['core', 'access']

#: The switches of the SDM's configuration API (list shapes, metadata, answers, children, loadConfig), in mixes.
SWITCHES = [
    {},
    {'sdm.config_list_shape': 'wrapped', 'sdm.metadata_shape': 'flat', 'sdm.delete_answer': '204', 'sdm.load_required': 'on',
     'sdm.type_match': 'insensitive'},
    {'sdm.config_list_shape': 'wrapped', 'sdm.config_input': 'both', 'sdm.metadata_shape': 'bare', 'sdm.update_children': 'merge',
     'sdm.load_config': 'discard', 'sdm.config_duplicate': '409', 'sdm.config_missing': '400'},
    {'sdm.update_children': 'replace_if_sent', 'sdm.limitation': 'ignored', 'sdm.push_scope': 'all'},
]
IDS = ['defaults', 'wrapped-strict+old-sdm', 'wrapped-both+merge', 'replace_if_sent']


def realms(count, prefix='list', **extra):
    return [dict({'id': '%s-%02d' % (prefix, number), 'addrPrefix': '203.0.113.%d/32' % number}, **extra) for number in range(count)]


def run_steps(ansible, tmp_path, steps, push=False, offline=False, **kwargs):
    result_file = tmp_path / 'results.json'
    extra_vars = {'steps': steps, 'result_file': str(result_file), 'push': push, 'offline': offline}
    play = ansible.run('device_config_elements/steps.yml', extra_vars=extra_vars, **kwargs)
    assert play.returncode == 0, play
    results = json.loads(result_file.read_text())
    return results['steps'], results['push'], play


def ids(elements):
    return [element['id'] for element in elements]


def changing(emulator):
    routes = emulator.stats('sdm1')['by_route']
    return dict((route, routes[route]) for route in CHANGING if routes.get(route))


def device_realms(emulator):
    """The realms the device holds (what pushes made of its configuration)."""
    answer = emulator.control('GET', '/sdm/sdm1/devices/ID1/config')
    found = []
    for element in answer['elements']:
        if element['elementTypePath'] == 'realmConfig':
            found.append(dict((pair['name'], pair['value']) for pair in element['attributes']))
    return found


@pytest.mark.parametrize('switches', SWITCHES, ids=IDS)
def test_every_changing_state_a_rerun_and_the_push_under_every_switch(ansible, emulator, tmp_path, switches):
    emulator.set_switches(switches)
    four = realms(4)
    steps = [
        {'state': 'merged', 'config': four},
        {'state': 'merged', 'config': four},
        {'state': 'merged', 'config': [{'id': 'list-01', 'description': 'merged'}]},
        {'state': 'replaced', 'config': [{'id': 'list-01', 'addrPrefix': '203.0.113.101/32'}]},
        {'state': 'replaced', 'config': [{'id': 'list-01', 'addrPrefix': '203.0.113.101/32'}]},
        {'state': 'overridden', 'config': four[1:] + [{'id': 'core'}]},
        {'state': 'deleted', 'config': [{'id': 'list-02'}]},
        {'state': 'deleted', 'config': [{'id': 'list-02'}]},
        {'state': 'gathered'},
    ]
    results, push, play = run_steps(ansible, tmp_path, steps, push=True)
    assert not [result for result in results if result.get('failed')], play
    merged, remerged, merged_one, replaced, rereplaced, overridden, deleted, redeleted, gathered = results
    assert merged['changed'] and [line.split(':')[0] for line in merged['commands']] == ['add realmConfig id=list-%02d' % n for n in range(4)]
    for again in (remerged, rereplaced, redeleted):
        assert not again['changed'] and again['commands'] == [], again
    assert merged_one['commands'] == ['update realmConfig id=list-01: description=merged']
    one = [element for element in replaced['after'] if element['id'] == 'list-01'][0]
    assert one['addrPrefix'] == '203.0.113.101/32' and one.get('description', '') == '', replaced
    # overridden: the realms not listed are deleted, first; core is kept (replaced: its attributes at their defaults)
    assert sorted(line for line in overridden['commands'] if line.startswith('delete')) == [
        'delete realmConfig id=access', 'delete realmConfig id=list-00']
    assert overridden['commands'][:2] == sorted(overridden['commands'][:2], key=['delete realmConfig id=access',
                                                                                 'delete realmConfig id=list-00'].index)
    assert deleted['commands'] == ['delete realmConfig id=list-02']
    assert sorted(ids(gathered['gathered'])) == ['core', 'list-01', 'list-03']
    assert push['changed'] and not push.get('failed'), push
    assert sorted(ids(device_realms(emulator))) == ['core', 'list-01', 'list-03']


def test_a_rerun_after_the_push_stages_nothing(ansible, emulator, tmp_path):
    config = realms(3)
    run_steps(ansible, tmp_path, [{'state': 'overridden', 'config': config}], push=True)
    emulator.reset_stats()
    results, push, _play = run_steps(ansible, tmp_path, [{'state': state, 'config': config} for state in ('merged', 'replaced', 'overridden')],
                                     push=True)
    assert [result['changed'] for result in results] == [False, False, False] and not push['changed'], results
    assert not changing(emulator)


def test_check_mode_predicts_and_stages_nothing(ansible, emulator, tmp_path):
    result_file = tmp_path / 'check.json'
    play = ansible.run('device_config_elements/check.yml', extra_vars={'state': 'overridden', 'config': realms(2), 'result_file': str(result_file)},
                       check=True)
    assert play.returncode == 0, play
    predicted = json.loads(result_file.read_text())
    assert predicted['commands'][:2] == ['delete realmConfig id=core', 'delete realmConfig id=access'] and len(predicted['commands']) == 4
    assert not changing(emulator) and not emulator.control('GET', '/sdm/sdm1/devices/ID1/changes').get('prov1')


def test_a_refused_element_in_the_middle_stops_the_list_and_the_push_sends_what_was_staged(ansible, emulator, tmp_path):
    config = realms(2) + [{'id': 'list-bad', 'maxBandwidth': 'lots'}] + realms(1, prefix='late')
    results, push, _play = run_steps(ansible, tmp_path, [{'state': 'merged', 'config': config}], push=True)
    failed = results[0]
    assert failed['failed'] and failed['reason'] == 'bad_input' and failed['changed'] and 'after 2 of 4 changes' in failed['msg'], failed
    assert [line.split(':')[0] for line in failed['commands']] == ['add realmConfig id=list-00', 'add realmConfig id=list-01']
    assert failed['failed_command'].startswith('add realmConfig id=list-bad') and len(failed['not_applied']) == 2
    # what was staged is this run's: the push of the same run sends it, and nothing else
    assert push['changed'] and not push.get('failed'), push
    assert sorted(ids(device_realms(emulator))) == sorted(SEEDED + ['list-00', 'list-01'])


@pytest.mark.parametrize('state, config', [('deleted', None), ('overridden', None)])
def test_a_singleton_is_never_deleted(ansible, emulator, tmp_path, state, config):
    step = {'element_type': 'systemConfig', 'state': state}
    results, _push, _play = run_steps(ansible, tmp_path, [step])
    assert results[0]['failed'] and results[0]['reason'] == 'bad_input' and 'singleton' in results[0]['msg'], results[0]
    assert not changing(emulator)


def test_rendered_and_parsed_reach_no_sdm(ansible, emulator, tmp_path):
    saved = ('<configElements><configElement><elementTypePath>realmConfig</elementTypePath><attributes><name>id</name>'
             '<value>saved</value></attributes></configElement><configElement><elementTypePath>mediaPolicy</elementTypePath>'
             '<attributes><name>name</name><value>other</value></attributes></configElement></configElements>')
    steps = [{'state': 'rendered', 'config': [{'id': 'lab', 'maxBandwidth': 10}]}, {'state': 'parsed', 'running_config': saved}]
    results, _push, _play = run_steps(ansible, tmp_path, steps, offline=True, env={'SDM_HOST': None, 'SDM_PASSWORD': None})
    rendered, parsed = results
    assert rendered['rendered'] == ['<configElement><elementTypePath>realmConfig</elementTypePath><attributes><name>id</name><value>lab'
                                    '</value></attributes><attributes><name>maxBandwidth</name><value>10</value></attributes>'
                                    '</configElement>'], rendered
    assert parsed['parsed'] == [{'id': 'saved'}], parsed
    assert not emulator.stats('sdm1')['total']


def test_the_role_stages_a_list_with_no_device_option_and_no_secret_at_vvv(ansible, emulator, tmp_path):
    play = ansible.run('device_config_elements/role.yml', extra_vars={'realms': realms(3)}, verbosity=3)
    assert play.returncode == 0, play
    assert sorted(ids(device_realms(emulator))) == sorted(SEEDED + ids(realms(3)))
    routes = emulator.stats('sdm1')['by_route']
    assert routes[STAGING[0]] == 3 and routes[PUSH] == 1 and not emulator.sdm_locks()
    assert_no_secret(play.output, ['prov1-secret'] + emulator.secrets()['sessions'])


@pytest.mark.parametrize('spaces', ['keep', 'strip'])
def test_values_are_staged_exactly_as_given_and_an_sdm_that_strips_them_is_told_apart(ansible, emulator, tmp_path, spaces):
    emulator.set_switches({'sdm.value_spaces': spaces})
    config = [{'id': 'spaced', 'description': '  two  spaces  '}]
    results, push, _play = run_steps(ansible, tmp_path, [{'state': 'merged', 'config': config}], push=True)
    assert results[0]['changed'] and push['changed'], results
    held = [realm for realm in device_realms(emulator) if realm['id'] == 'spaced'][0]['description']
    results, push, _play = run_steps(ansible, tmp_path, [{'state': 'merged', 'config': config}], push=True)
    if spaces == 'keep':
        assert held == '  two  spaces  ' and not results[0]['changed'] and not push['changed'], results
    else:
        # the SDM keeps another value than asked: every run stages the value again (docs/decisions.md)
        assert held == 'two  spaces' and results[0]['changed'], results
