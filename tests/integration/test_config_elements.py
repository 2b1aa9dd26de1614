"""config_elements (a list of elements of one type, resource-module states) in real plays against the emulator over HTTPS
(tests/integration/playbooks/config_elements/)."""

import json

import pytest

from tests.integration.ansible_runner_util import assert_no_secret

pytestmark = pytest.mark.integration

ELEMENTS = 'configuration/configElements'
CHANGING = ('POST /rest/{v}/%s' % ELEMENTS, 'PUT /rest/{v}/%s' % ELEMENTS, 'DELETE /rest/{v}/%s' % ELEMENTS)
#: The emulator's seed: two realms (core, access).
SEEDED = ['core', 'access']
#: The element API's open points, each a switch of the emulator.
SWITCHES = [
    {},
    {'sbc.values': 'canonical'},
    {'sbc.change_answer': 'empty'},
    {'sbc.keyed_missing': '404'},
    {'sbc.page_size': '2'},
    {'sbc.metadata_shape': 'attribute'},
    {'sbc.post_status': '201'},
]
SWITCH_IDS = ['defaults', 'canonical-values', 'empty-answers', 'keyed-missing-404', 'pages-of-2', 'our-old-metadata', 'post-201']


def realms(count, prefix='list', **extra):
    return [dict({'identifier': '%s-%02d' % (prefix, number), 'addr-prefix': '203.0.113.%d/32' % number}, **extra)
            for number in range(count)]


def run_steps(ansible, tmp_path, steps, offline=False, **kwargs):
    result_file = tmp_path / 'results.json'
    play = ansible.run('config_elements/steps.yml', extra_vars={'steps': steps, 'result_file': str(result_file), 'offline': offline},
                       **kwargs)
    assert play.returncode == 0, play
    return json.loads(result_file.read_text()), play


def run_check(ansible, tmp_path, state, config=None, **kwargs):
    result_file = tmp_path / 'check.json'
    extra = {'state': state, 'result_file': str(result_file)}
    if config is not None:
        extra['config'] = config
    play = ansible.run('config_elements/check.yml', extra_vars=extra, check=True, **kwargs)
    return json.loads(result_file.read_text()), play


def identifiers(elements):
    return [element['identifier'] for element in elements]


def changing(emulator):
    routes = emulator.stats('sbc1')['by_route']
    return dict((route, routes[route]) for route in CHANGING if routes.get(route))


@pytest.mark.parametrize('switches', SWITCHES, ids=SWITCH_IDS)
def test_every_changing_state_then_a_rerun_with_no_change_under_every_switch(ansible, emulator, tmp_path, switches):
    emulator.set_switches(switches)
    five = realms(5)
    steps = [
        {'state': 'merged', 'config': five},
        {'state': 'merged', 'config': five},
        {'state': 'merged', 'config': [{'identifier': 'list-01', 'description': 'merged'}]},
        {'state': 'replaced', 'config': [{'identifier': 'list-01', 'addr-prefix': '203.0.113.101/32'}]},
        {'state': 'replaced', 'config': [{'identifier': 'list-01', 'addr-prefix': '203.0.113.101/32'}]},
        {'state': 'overridden', 'config': five[2:] + [{'identifier': 'core', 'addr-prefix': '192.0.2.0/24', 'network-interfaces': 'M00:0'}]},
        {'state': 'overridden', 'config': five[2:] + [{'identifier': 'core', 'addr-prefix': '192.0.2.0/24', 'network-interfaces': 'M00:0'}]},
        {'state': 'deleted', 'config': [{'identifier': 'list-02'}, {'identifier': 'list-03'}]},
        {'state': 'deleted', 'config': [{'identifier': 'list-02'}, {'identifier': 'list-03'}]},
        {'state': 'gathered'},
    ]
    results, play = run_steps(ansible, tmp_path, steps)
    assert not [result for result in results if result.get('failed')], play
    merged, remerged, merged_one, replaced, rereplaced, overridden, reoverridden, deleted, redeleted, gathered = results
    assert merged['changed'] and len(merged['commands']) == 5 and all(line.startswith('add realm-config') for line in merged['commands'])
    assert identifiers(merged['after']) == SEEDED + identifiers(five)
    for again in (remerged, rereplaced, reoverridden, redeleted):
        assert not again['changed'] and again['commands'] == [], again
    assert merged_one['changed'] and merged_one['commands'] == ['update realm-config identifier=list-01: description=merged']
    # replaced: the description given by the merge returns to its default (empty), the prefix is as given
    one = [element for element in replaced['after'] if element['identifier'] == 'list-01'][0]
    assert one['addr-prefix'] == '203.0.113.101/32' and one.get('description', '') == '', replaced
    assert replaced['commands'][0].startswith('update realm-config identifier=list-01: ')
    # overridden: exactly the elements not listed are deleted, first
    assert sorted(overridden['commands'][:3]) == ['delete realm-config identifier=access', 'delete realm-config identifier=list-00',
                                                 'delete realm-config identifier=list-01'], overridden['commands']
    assert sorted(identifiers(overridden['after'])) == ['core', 'list-02', 'list-03', 'list-04'], overridden
    assert deleted['commands'] == ['delete realm-config identifier=list-02', 'delete realm-config identifier=list-03']
    assert sorted(identifiers(gathered['gathered'])) == ['core', 'list-04']
    assert sorted(identifiers(emulator.sbc_elements('realm-config'))) == ['core', 'list-04']


def test_a_rerun_sends_no_changing_request(ansible, emulator, tmp_path):
    config = realms(4)
    run_steps(ansible, tmp_path, [{'state': 'merged', 'config': config}])
    emulator.reset_stats()
    results, _play = run_steps(ansible, tmp_path, [{'state': state, 'config': config} for state in ('merged', 'replaced')])
    assert [result['changed'] for result in results] == [False, False]
    assert not changing(emulator)
