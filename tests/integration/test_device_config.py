"""device_config_element, device_config_push and device_config_element_info in real plays against the emulator's SDM,
under every switch for what Oracle documents in more than one way or leaves open (tests/integration/playbooks/device_config/).

The counts asserted are the emulator's request counters, so they say exactly which requests the modules sent; the
device configuration is read back through the emulator's control API.
"""

import pytest

from tests.emulator import sdm_config_client as sc
from tests.emulator.conformance_client import sdm_login
from tests.emulator_harness import start_emulator
from tests.integration.ansible_runner_util import PlaybookRunner

pytestmark = pytest.mark.integration

CONFIGS = 'configuration/deviceConfigs/{id}/'
STAGING = tuple('POST /rest/{v}/%sconfigElements/%s' % (CONFIGS, op) for op in ('add', 'update', 'delete'))
DISCARD = 'DELETE /rest/{v}/%sconfigurationChanges' % CONFIGS
LOAD = 'GET /rest/{v}/configuration/devices/{id}/loadConfig'
PUSH = 'POST /rest/{v}/configuration/devices/{id}/action'
ADD, UPDATE, DELETE = STAGING
CHANGING = STAGING + (DISCARD, LOAD, PUSH)

#: Every value of each switch for what the modules parse or depend on, grouped so that no two values of one switch
#: share a run (each run costs six plays): the defaults, three mixes, and every non-default value at once.
SWITCHES = [
    {},
    {'sdm.config_list_shape': 'wrapped', 'sdm.metadata_shape': 'flat', 'sdm.delete_answer': '204', 'sdm.load_required': 'on',
     'sdm.push_types': 'save_activate', 'sdm.type_match': 'insensitive', 'sdm.push_empty': '400'},
    {'sdm.config_list_shape': 'wrapped', 'sdm.config_input': 'both', 'sdm.metadata_shape': 'bare', 'sdm.read_staged': 'device',
     'sdm.update_children': 'merge', 'sdm.load_config': 'discard', 'sdm.push_scope': 'all', 'sdm.limitation': 'depth'},
    {'sdm.update_children': 'replace_if_sent', 'sdm.push_empty': 'noop', 'sdm.limitation': 'ignored'},
    {'sdm.config_list_shape': 'wrapped', 'sdm.metadata_shape': 'bare', 'sdm.read_staged': 'device', 'sdm.update_children': 'merge',
     'sdm.delete_answer': '204', 'sdm.load_required': 'on', 'sdm.load_config': 'discard', 'sdm.push_types': 'save_activate',
     'sdm.push_empty': '400', 'sdm.push_scope': 'all', 'sdm.limitation': 'ignored'},
]
IDS = ['defaults', 'wrapped-strict+old-sdm', 'wrapped-both+device-reads', 'replace_if_sent+noop', 'all-at-once']


def routes(emulator):
    return emulator.stats('sdm1')['by_route']


def changing(emulator):
    """The changing requests the SDM received since the counters were zeroed, by route."""
    return dict((route, count) for route, count in routes(emulator).items() if route in CHANGING)


def device_config(emulator, device='ID1'):
    """The device configuration the SDM holds (what pushes made of it): {(type, key value): element JSON}."""
    answer = emulator.control('GET', '/sdm/sdm1/devices/%s/config' % device)
    elements = {}
    for element in answer['elements']:
        attributes = dict((pair['name'], pair['value']) for pair in element['attributes'])
        elements[(element['elementTypePath'], attributes.get('id') or attributes.get('name') or '')] = dict(element, values=attributes)
    return elements


def staged_by(emulator, user='prov1', device='ID1'):
    return emulator.control('GET', '/sdm/sdm1/devices/%s/changes' % device).get(user, [])


def run(ansible, playbook, **kwargs):
    play = ansible.run('device_config/%s' % playbook, **kwargs)
    assert play.returncode == 0, play
    return play


def add_interface(emulator, realm):
    """Give ``realm`` on the device a network interface (a sub-element), as if pushed earlier."""
    config = emulator.control('GET', '/sdm/sdm1/devices/ID1/config')['elements']
    for element in config:
        names = dict((pair['name'], pair['value']) for pair in element['attributes'])
        if element['elementTypePath'] == 'realmConfig' and names.get('id') == realm:
            element['childrenElements'] = [{'elementTypePath': 'realmConfig/networkInterfaceId',
                                            'attributes': [{'name': 'name', 'value': 'M01'}, {'name': 'subPortId', 'value': '0'}]}]
    emulator.control('PUT', '/sdm/sdm1/devices/ID1/config', json={'elements': config})


@pytest.mark.parametrize('keys', [[], ['id']], ids=['keys-from-metadata', 'key_attributes'])
@pytest.mark.parametrize('switches', SWITCHES, ids=IDS)
def test_add_rerun_check_update_delete_under_every_switch(ansible, emulator, switches, keys):
    emulator.set_switches(switches)
    given = {'key_attributes': keys}

    # add: one staged add, loadConfig once (the run's first change), one push
    run(ansible, 'apply.yml', extra_vars=dict(given, description='first'))
    assert changing(emulator) == {LOAD: 1, ADD: 1, PUSH: 1}
    assert device_config(emulator)[('realmConfig', 'sdm-realm-1')]['values']['description'] == 'first'
    assert staged_by(emulator) == []

    # the same again, the boolean in another case: nothing staged, nothing pushed, no provisioning session started
    emulator.reset_stats()
    run(ansible, 'apply.yml', extra_vars=dict(given, description='first', mm='enabled', expect_changed=False, expect_push=False))
    assert changing(emulator) == {}

    # check mode predicts the update and sends nothing that changes (the check run holds no lock: nothing to push)
    emulator.reset_stats()
    run(ansible, 'apply.yml', check=True, diff=True, extra_vars=dict(given, description='second', expect_push=False))
    assert changing(emulator) == {}

    # update: only what differs is staged; the realm's network interface (a sub-element) survives it
    add_interface(emulator, 'sdm-realm-1')
    emulator.reset_stats()
    run(ansible, 'apply.yml', extra_vars=dict(given, description='second'))
    assert changing(emulator) == {LOAD: 1, UPDATE: 1, PUSH: 1}
    realm = device_config(emulator)[('realmConfig', 'sdm-realm-1')]
    assert realm['values']['description'] == 'second'
    assert [child['elementTypePath'] for child in realm.get('childrenElements', [])] == ['realmConfig/networkInterfaceId']

    # delete, then a delete of what is gone changes nothing
    emulator.reset_stats()
    run(ansible, 'apply.yml', extra_vars=dict(given, element_state='absent'))
    assert changing(emulator) == {LOAD: 1, DELETE: 1, PUSH: 1}
    assert ('realmConfig', 'sdm-realm-1') not in device_config(emulator)
    emulator.reset_stats()
    run(ansible, 'apply.yml', extra_vars=dict(given, element_state='absent', expect_changed=False, expect_push=False))
    assert changing(emulator) == {}


def _stage_by_hand(emulator, name, operation='add', element_type='mediaPolicy'):
    """What a dead run or another job of the same SDM user left in its staging area."""
    cookie = sdm_login(emulator, 'prov1')
    sc.staged_ok(emulator, cookie, operation, element_type, {'name': name} if element_type == 'mediaPolicy' else {'id': name})


@pytest.mark.parametrize('foreign', ['another-element', 'same-element'])
def test_a_change_this_run_did_not_stage_is_refused_then_pushed_only_when_included(ansible, emulator, foreign):
    if foreign == 'same-element':
        _stage_by_hand(emulator, 'sdm-realm-1', element_type='realmConfig')
    else:
        _stage_by_hand(emulator, 'left-behind')
    emulator.reset_stats()

    play = ansible.run('device_config/apply.yml', extra_vars={'description': 'first', 'expect_changed': foreign == 'another-element'})
    assert play.returncode != 0
    assert 'foreign_changes' in play.stdout and 'this run did not stage' in play.stdout, play
    assert PUSH not in routes(emulator)
    assert ('realmConfig', 'sdm-realm-1') not in device_config(emulator)
    # a released lock, and the changes still staged, the foreign one among them
    assert emulator.sdm_locks() in ({}, [])
    assert len(staged_by(emulator)) == (1 if foreign == 'same-element' else 2)

    # told to include them, the push sends both (the same element: one change)
    run(ansible, 'apply.yml', extra_vars={'description': 'first', 'include_foreign': True, 'expect_changed': False,
                                          'expect_pushed': 1 if foreign == 'same-element' else 2})
    assert staged_by(emulator) == []
    assert ('realmConfig', 'sdm-realm-1') in device_config(emulator)


def test_a_discard_clears_what_another_job_left_and_the_next_push_sends_only_this_runs(ansible, emulator):
    _stage_by_hand(emulator, 'left-behind')
    run(ansible, 'discard.yml', extra_vars={'expect_discarded': 1})
    assert staged_by(emulator) == []
    run(ansible, 'discard.yml', extra_vars={'expect_discarded': 0})
    run(ansible, 'apply.yml')
    assert ('mediaPolicy', 'left-behind') not in device_config(emulator)
    assert ('realmConfig', 'sdm-realm-1') in device_config(emulator)


@pytest.mark.parametrize('status,word,after', [('200', 'FAILURE', 'keep'), ('400', 'UNKNOWN', 'keep'), ('500', 'FAILURE', 'clear')],
                         ids=['200-FAILURE-keep', '400-UNKNOWN-keep', '500-FAILURE-clear'])
@pytest.mark.parametrize('step', ['validation', 'activate'])
def test_a_failed_push_fails_with_the_sdms_words_and_the_rerun_pushes(ansible, emulator, step, status, word, after):
    emulator.set_switches({'sdm.push_failure_status': status, 'sdm.push_fail_word': word, 'sdm.push_failed_staging': after})
    words = 'realmConfig sdm-realm-1: addrPrefix overlaps realm core' if step == 'validation' else 'activation rejected by the SBC'
    emulator.control('POST', '/sdm/sdm1/devices/ID1/push-failure', json={'step': step, 'message': words, 'count': 1})

    play = ansible.run('device_config/apply.yml')
    assert play.returncode != 0
    assert 'config_failed' in play.stdout and words in play.stdout, play
    assert emulator.sdm_locks() in ({}, [])

    if step == 'activate':
        # saved, not activated: nothing is staged any more, and the message says how to activate
        assert staged_by(emulator) == [] and 'push_type=activate' in play.stdout, play
        versions = emulator.control('GET', '/sdm/sdm1/devices/ID1/config')
        assert versions['version'] != versions['active_version']
        run(ansible, 'apply.yml', extra_vars={'push_type': 'activate', 'only_if_changed': False, 'expect_changed': False, 'expect_pushed': 0})
        versions = emulator.control('GET', '/sdm/sdm1/devices/ID1/config')
        assert versions['version'] == versions['active_version']
        return
    if after == 'keep':
        # what the failed run staged is still there, and to the next run it is someone else's: refused until discarded
        assert len(staged_by(emulator)) == 1
        play = ansible.run('device_config/apply.yml', extra_vars={'expect_changed': False})
        assert play.returncode != 0 and 'foreign_changes' in play.stdout, play
        run(ansible, 'discard.yml', extra_vars={'expect_discarded': 1})
    else:
        assert staged_by(emulator) == []
    # staged anew and pushed
    run(ansible, 'apply.yml')
    assert ('realmConfig', 'sdm-realm-1') in device_config(emulator)


@pytest.fixture(scope='module')
def sdm_at_sbc_address(tmp_path_factory):
    """An emulator whose SDM manages device ID1 at the address of the emulated SBC sbc1 (127.0.0.1)."""
    workdir = tmp_path_factory.mktemp('sdm-at-sbc')
    config = workdir / 'config.json'
    config.write_text('{"sdm": {"devices": [{"id": "ID1", "name": "sbc-local", "ip": "127.0.0.1", "nfId": "ID101", '
                      '"nfName": "nf-local", "groupId": "ID201", "sbc": "sbc1"}]}}')
    with start_emulator(workdir, '--config', str(config)) as emulator:
        yield emulator


@pytest.mark.parametrize('holder', ['this run', 'unknown'])
def test_a_push_refused_by_the_sbc_lock_says_who_holds_it(sdm_at_sbc_address, tmp_path, holder):
    emulator = sdm_at_sbc_address
    emulator.reset()
    if holder == 'unknown':
        emulator.control('POST', '/sbc/sbc1/lock', json={'kind': 'acli', 'user': 'admin'})
    ansible = PlaybookRunner(emulator, tmp_path)
    play = ansible.run('device_config/sbc_lock_held.yml', extra_vars={'hold_sbc': holder == 'this run', 'expect_holder': holder.replace(' ', '_')})
    assert play.returncode == 0, play
    assert ('mediaPolicy', 'under-sbc-lock') not in device_config(emulator)


def test_without_the_device_lock_nothing_is_staged_or_pushed(ansible, emulator):
    run(ansible, 'no_lock.yml')
    assert changing(emulator) == {}


def test_the_role_with_an_sdm_target_provisions_with_no_extra_variables(ansible, emulator):
    run(ansible, 'role.yml', extra_vars={'expect_push': True})
    assert ('realmConfig', 'role-realm') in device_config(emulator, 'ID2')
    emulator.reset_stats()
    run(ansible, 'role.yml', extra_vars={'expect_push': False})
    run(ansible, 'role.yml', check=True, extra_vars={'expect_push': False})
    assert changing(emulator) == {}
    assert emulator.sdm_locks() in ({}, [])

    # a change this run did not stage: the push fails, the role gives the device back, nothing is pushed
    cookie = sdm_login(emulator, 'prov1')
    sc.staged_ok(emulator, cookie, 'add', 'mediaPolicy', {'name': 'left-behind'}, dev='ID2')
    play = ansible.run('device_config/role.yml', extra_vars={'expect_push': False, 'sdm_realm': 'role-realm-2'})
    assert play.returncode != 0 and 'foreign_changes' in play.stdout, play
    assert emulator.sdm_locks() in ({}, [])
    assert ('realmConfig', 'role-realm-2') not in device_config(emulator, 'ID2')


def test_a_staged_add_whose_answer_is_lost_is_this_tasks_and_a_lost_push_is_never_repeated(ansible, emulator):
    # the SDM stages the add, then its answer comes too slowly for the task's timeout: the element found is this add
    emulator.arm_fault(instance='sdm1', method='POST', path='*/configElements/add', kind='drip', delay=5, count=1)
    run(ansible, 'apply.yml', env={'SDM_TIMEOUT': 3})
    assert routes(emulator)[ADD] == 1
    assert ('realmConfig', 'sdm-realm-1') in device_config(emulator)

    # a push whose answer is lost: sent once, the task says it may have happened and how to see
    emulator.reset_stats()
    emulator.arm_fault(instance='sdm1', method='POST', path='*/configuration/devices/*/action', kind='drip', delay=5, count=1)
    play = ansible.run('device_config/apply.yml', env={'SDM_TIMEOUT': 3}, extra_vars={'description': 'second', 'push_timeout': 3})
    assert play.returncode != 0 and 'may or may not be on the device' in play.stdout, play
    assert routes(emulator)[PUSH] == 1
    assert emulator.sdm_locks() in ({}, [])


@pytest.mark.parametrize('strategy', ['linear', 'free'])
def test_two_hosts_of_one_run_on_one_device_push_what_both_staged_once(ansible, emulator, tmp_path, strategy):
    inventory = tmp_path / 'two-hosts.ini'
    inventory.write_text('h1 ansible_connection=local\nh2 ansible_connection=local\n')
    play = run(ansible, 'two_hosts.yml', inventory=str(inventory), extra_vars={'play_strategy': strategy}, args=['--forks', '2'])
    # the first push sends both hosts' changes (one lock, one record); the second finds nothing of the run's left
    pushed = sorted(line.split('PUSHED ', 1)[1].strip(' "') for line in play.stdout.splitlines() if 'PUSHED' in line)
    assert sorted(entry.split(' ', 1)[-1] if ' ' in entry else '' for entry in pushed) == ['', 'realm-h1,realm-h2'], play
    assert ('realmConfig', 'realm-h1') in device_config(emulator) and ('realmConfig', 'realm-h2') in device_config(emulator)
    assert staged_by(emulator) == [] and emulator.sdm_locks() in ({}, [])
    assert routes(emulator)[PUSH] == 1


def test_a_release_with_changes_staged_and_not_pushed_says_so(ansible, emulator):
    play = run(ansible, 'stage_only.yml')
    assert 'this run staged were not pushed (mediaPolicy name=unpushed)' in play.stdout + play.stderr, play
    assert [change['name'] for change in staged_by(emulator)] == ['unpushed']
    assert emulator.sdm_locks() in ({}, [])
