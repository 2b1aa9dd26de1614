"""device_lock in real plays against the emulator's SDMs over HTTPS (tests/integration/playbooks/device_lock/).

One emulator with several SDM instances serves the whole module; each test resets it and sets the
switches it needs on the instances it uses, so that plays under different switch values run at once,
as the hosts of one play (``task.yml`` and friends take ``sdm_host`` and the task's options as host vars).
"""

import itertools
import json
import os
import stat
import threading
import time

import pytest

from tests.emulator_harness import assert_never_two_holders, start_emulator
from tests.integration.ansible_runner_util import Background, HandOver, PlaybookRunner, assert_no_secret, results

pytestmark = pytest.mark.integration

INSTANCES = 8
LOGIN = 'POST /rest/{v}/admin/login'
LOGOUT = 'POST /rest/{v}/admin/logout'
LIST = 'GET /rest/{v}/inventory/deviceMgmt/devices'
ACTION = 'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'
GROUP_ACTION = 'POST /rest/{v}/inventory/nfMgmt/nfs/{nfId}/groups/{gid}/action'
PROV2 = ('prov2', 'prov2-secret')

_COUNTER = itertools.count()


# --------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope='module')
def sdm_emulator(tmp_path_factory):
    """One emulator, SDMs sdm1..sdm8 with the default data (switches set per test)."""
    with start_emulator(tmp_path_factory.mktemp('sdm'), '--sdm-instances', str(INSTANCES)) as emu:
        yield emu


@pytest.fixture
def emu(sdm_emulator):
    sdm_emulator.reset()
    return sdm_emulator


def controller(emu, workdir, **kwargs):
    """A PlaybookRunner whose lease directory exists already, and whose locks outlive a run.

    Several forks creating a missing lease directory at once race in LeaseStore (see the unit test
    test_many_forks_can_create_the_lease_directory_at_once); the plays here test other things. Many
    tests here lock in one run and look or unlock in the next, so no keeper gives back what a run
    leaves (release_on_exit: false); the keeper has its own tests (test_lock_session.py).
    """
    kwargs.setdefault('release_on_exit', False)
    runner = PlaybookRunner(emu, workdir, **kwargs)
    runner.lease_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return runner


@pytest.fixture
def runner(emu, tmp_path):
    return controller(emu, tmp_path / 'controller')


# --------------------------------------------------------------------------------------------- helpers

def inventory(emu, directory, hosts):
    """An inventory file: ``hosts`` maps a name to its vars; ``instance`` becomes ``sdm_host`` of that SDM."""
    data = {}
    for name, host_vars in hosts.items():
        host_vars = dict(host_vars)
        instance = host_vars.pop('instance', None)
        if instance:
            host_vars.setdefault('sdm_host', emu.sdm_host(instance))
        data[name] = dict(host_vars, ansible_connection='local')
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ('inventory-%d.json' % next(_COUNTER))
    path.write_text(json.dumps({'all': {'hosts': data}}))
    return str(path)


def run_hosts(runner, hosts, playbook='device_lock/task.yml', **kwargs):
    """Run ``playbook`` on the hosts (one fork each) with -v; return the Play and its results per task and host."""
    play = runner.run(playbook, inventory=inventory(runner.emulator, runner.workdir, hosts), verbosity=kwargs.pop('verbosity', 1),
                      args=['--forks', str(len(hosts))], **kwargs)
    return play, results(play)


def sdm_state(emu):
    return emu.control('GET', '/state')['sdm']


def assert_no_session_left(emu):
    """Every task logs out, also on failure: no SDM has a live session."""
    left = dict((name, inst['sessions']) for name, inst in sdm_state(emu).items() if inst['sessions'])
    assert not left, 'SDM sessions left open: %r' % left


def assert_nothing_locked(emu):
    locked = dict((name, inst['locks']) for name, inst in sdm_state(emu).items() if inst['locks'])
    assert not locked, 'devices left locked: %r' % locked


def warned(play, text):
    """True when the play printed a warning containing ``text`` (the callback prints warnings apart from results)."""
    return text in ' '.join(play.stderr.split())


def leases(runner):
    return sorted(runner.lease_dir.glob('*.json')) if runner.lease_dir.exists() else []


def failure(result, reason):
    """Check a failed task result: the reason, a one-line message; return the message."""
    assert result['_status'] == 'fatal', result
    assert result['reason'] == reason, result
    assert result['msg'] and '\n' not in result['msg'] and 'Traceback' not in result['msg'], result
    return result['msg']


def kinds(events, resource=None):
    return [(event['resource'], event['event']) for event in events if resource in (None, event['resource'])]


def inject(emu, instance, device_id, user='prov2'):
    emu.control('POST', '/sdm/%s/devices/%s/lock' % (instance, device_id), json={'user': user})


def force_release(emu, instance, device_id):
    emu.control('POST', '/sdm/%s/devices/%s/release' % (instance, device_id))


def wait_until(predicate, timeout=30.0, what='a condition'):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError('timed out waiting for %s' % what)


# --------------------------------------------------------------------------------------------- the basics

def test_lock_relock_unlock_unlock_is_idempotent(runner, emu):
    play = runner.run('device_lock/idempotency.yml', extra_vars={'devices': ['ID1']})
    assert play.returncode == 0, play
    events = emu.audit('sdm1')
    assert_never_two_holders(events)
    # lock; re-lock = nothing sent; unlock; unlock of nothing = one Unlock, refused (never a Lock probe)
    assert kinds(events) == [('device:ID1', 'grant'), ('device:ID1', 'release')]
    assert set(event['holder']['user'] for event in events) == {'prov1'}
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 3, ACTION: 3, LOGOUT: 3}
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


IDEMPOTENCY_SWITCHES = {
    'sdm1': {},
    'sdm2': {'sdm.lock_status': '200'},
    'sdm3': {'sdm.relock_same_user': '400'},
    'sdm4': {'sdm.relock_same_user': '409'},
    'sdm5': {'sdm.unlock_free': '204'},
    'sdm6': {'sdm.unlock_free': '409'},
    'sdm7': {'sdm.lock_lifetime': 'expiry'},
    'sdm8': {'sdm.error_body': 'json', 'sdm.list_shape': '9.0.0', 'sdm.lock_status': '200', 'sdm.relock_same_user': '409'},
}


def test_idempotent_under_every_switch_value_it_meets(runner, emu):
    for instance, switches in IDEMPOTENCY_SWITCHES.items():
        if switches:
            emu.set_switches(switches, instance=instance)
    hosts = dict(('h_%s' % instance, {'instance': instance, 'devices': ['ID1', 'ID3'],
                                      'unlock_free_succeeds': switches.get('sdm.unlock_free') == '204'})
                 for instance, switches in IDEMPOTENCY_SWITCHES.items())
    play, _results = run_hosts(runner, hosts, 'device_lock/idempotency.yml')
    assert play.returncode == 0, play
    for instance, switches in IDEMPOTENCY_SWITCHES.items():
        events = emu.audit(instance)
        assert_never_two_holders(events)
        for device in ('device:ID1', 'device:ID3'):
            assert [kind for _resource, kind in kinds(events, device)] == ['grant', 'release'], (switches, events)
        assert emu.stats(instance)['by_route'] == {LOGIN: 3, ACTION: 6, LOGOUT: 3}, switches
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


def test_check_mode_tasks_predict_and_send_nothing(runner, emu):
    play = runner.run('device_lock/check_mode.yml')
    assert play.returncode == 0, play
    # only the two real tasks reached the SDM
    assert kinds(emu.audit('sdm1')) == [('device:ID1', 'grant'), ('device:ID2', 'grant'), ('device:ID1', 'release'),
                                        ('device:ID2', 'release')]
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 2, ACTION: 4, LOGOUT: 2}
    assert_no_session_left(emu)


def test_a_check_mode_play_only_reads(runner, emu):
    play = runner.run('device_lock/predict.yml', check=True)
    assert play.returncode == 0, play
    assert emu.audit() == []
    # the name and group lookups read the inventory; nothing else is sent
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 2, LIST: 2, LOGOUT: 2}
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


def test_diff_shows_the_holders_before_and_after(runner, emu):
    play = runner.run('device_lock/diff.yml', diff=True)
    assert play.returncode == 0, play
    lock_diff = ('-        "ID1": "nobody",\n-        "ID2": "nobody"\n'
                 '+        "ID1": "us",\n+        "ID2": "us"')
    unlock_diff = ('-        "ID1": "us",\n-        "ID2": "us"\n'
                   '+        "ID1": "nobody",\n+        "ID2": "nobody"')
    assert lock_diff in play.stdout and unlock_diff in play.stdout, play
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


def test_lookup_by_name_ip_and_key_under_both_list_shapes(runner, emu):
    """Name lookups work whatever list shape the SDM would send as XML (the module asks for JSON, which has one shape)."""
    emu.set_switches({'sdm.list_shape': '9.0.0'}, instance='sdm2')
    hosts = {'shape_901': {'instance': 'sdm1'}, 'shape_900': {'instance': 'sdm2'}}
    play, _results = run_hosts(runner, hosts, 'device_lock/lookup.yml')
    assert play.returncode == 0, play
    for instance in ('sdm1', 'sdm2'):
        assert_never_two_holders(emu.audit(instance))
        assert emu.stats(instance)['by_route'][LIST] == 5
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


def test_names_and_ids_that_do_not_resolve(runner, emu):
    hosts = {
        'ambiguous': {'instance': 'sdm1', 'devices': ['lab-sbc']},
        'unknown_name': {'instance': 'sdm2', 'devices': ['sbc-north-9']},
        'unknown_id': {'instance': 'sdm3', 'device_ids': ['ID99']},
        'unknown_group': {'instance': 'sdm4', 'device_group': {'nf_id': 'ID101', 'group_id': 'ID299'}},
        'known_then_unknown': {'instance': 'sdm5', 'device_ids': ['ID99', 'ID1']},
        'known_then_unknown_name': {'instance': 'sdm6', 'devices': ['sbc-east-1', 'sbc-north-9']},
    }
    play, found = run_hosts(runner, hosts)
    assert play.returncode != 0
    got = found['Device lock']
    msg = failure(got['ambiguous'], 'bad_input')
    assert 'lab-sbc' in msg and 'ID4' in msg and 'ID5' in msg and 'ambiguous' in msg, msg
    msg = failure(got['unknown_name'], 'not_found')
    assert 'sbc-north-9' in msg and all(name in msg for name in ('sbc-east-1', 'sbc-east-2', 'sbc-west-1', 'lab-sbc')), msg
    msg = failure(got['unknown_id'], 'not_found')
    assert 'ID99' in msg and '404' in msg, msg
    msg = failure(got['unknown_group'], 'not_found')
    assert 'ID299' in msg and 'ID101' in msg, msg
    msg = failure(got['known_then_unknown'], 'not_found')
    assert 'ID99' in msg, msg
    failure(got['known_then_unknown_name'], 'not_found')
    # all or nothing: ID1 was taken before ID99 turned out unknown, and given back
    assert kinds(emu.audit('sdm5')) == [('device:ID1', 'grant'), ('device:ID1', 'release')]
    assert emu.audit('sdm6') == []
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)
    assert 'Traceback' not in play.output


def test_a_list_of_devices_costs_one_login_one_action_each_and_one_logout(runner, emu):
    hosts = {'five': {'instance': 'sdm1', 'device_ids': ['ID5', 'ID3', 'ID1', 'ID4', 'ID2']}}
    play, found = run_hosts(runner, hosts)
    assert play.returncode == 0, play
    result = found['Device lock']['five']
    assert result['changed'] and result['locked'] and result['device_ids'] == ['ID1', 'ID2', 'ID3', 'ID4', 'ID5']
    assert result['holder'] == dict(('ID%d' % number, 'us') for number in range(1, 6))
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 1, ACTION: 5, LOGOUT: 1}
    assert emu.sdm_locks('sdm1') == dict(('ID%d' % number, 'prov1') for number in range(1, 6))
    emu.reset_stats()
    play, found = run_hosts(runner, dict(hosts, five=dict(hosts['five'], lock_state='unlocked')))
    assert play.returncode == 0 and found['Device lock']['five']['changed'], play
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 1, ACTION: 5, LOGOUT: 1}
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


@pytest.fixture(scope='module')
def big_inventory(tmp_path_factory):
    with start_emulator(tmp_path_factory.mktemp('sdm40'), '--devices', '40') as emu:
        yield emu


def test_twenty_devices_cost_one_login_twenty_actions_and_one_logout(big_inventory, tmp_path):
    big_inventory.reset()
    runner = controller(big_inventory, tmp_path)
    device_ids = ['ID%d' % number for number in range(20, 0, -1)]
    for state in ('locked', 'unlocked'):
        big_inventory.reset_stats()
        play, found = run_hosts(runner, {'twenty': {'instance': 'sdm1', 'device_ids': device_ids, 'lock_state': state}})
        assert play.returncode == 0, play
        result = found['Device lock']['twenty']
        assert result['changed'] and result['device_ids'] == ['ID%d' % number for number in range(1, 21)], result
        assert big_inventory.stats('sdm1')['by_route'] == {LOGIN: 1, ACTION: 20, LOGOUT: 1}, state
    assert big_inventory.sdm_locks() == {} and big_inventory.sdm_sessions() == []


# --------------------------------------------------------------------------------------------- device groups

def test_group_lock_locks_its_members(runner, emu):
    play, found = run_hosts(runner, {'nf_east': {'instance': 'sdm1'}}, 'device_lock/group.yml')
    assert play.returncode == 0, play
    assert emu.sdm_locks('sdm1') == {'ID1': 'prov1', 'ID2': 'prov1'}
    assert set(event['via'] for event in emu.audit('sdm1')) == {'group'}
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 1, LIST: 1, GROUP_ACTION: 1, LOGOUT: 1}
    assert len(leases(runner)) == 2
    play, found = run_hosts(runner, {'nf_east': {'instance': 'sdm1', 'group_state': 'unlocked'}}, 'device_lock/group.yml')
    assert play.returncode == 0, play
    assert kinds(emu.audit('sdm1')) == [('device:ID1', 'grant'), ('device:ID2', 'grant'), ('device:ID1', 'release'),
                                        ('device:ID2', 'release')]
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


@pytest.mark.parametrize('wait', [0, 1])
def test_group_with_a_foreign_member_leaves_no_member_locked_by_us(runner, emu, wait):
    emu.set_switches({'sdm.group_mode': 'partial'}, instance='sdm2')
    for instance in ('sdm1', 'sdm2'):
        inject(emu, instance, 'ID2')
    group = {'nf_id': 'ID101', 'group_id': 'ID201'}
    hosts = {'mode_all': {'instance': 'sdm1', 'device_group': group, 'wait_seconds': wait},
             'mode_partial': {'instance': 'sdm2', 'device_group': group, 'wait_seconds': wait}}
    play, found = run_hosts(runner, hosts)
    for host in hosts:
        msg = failure(found['Device lock'][host], 'lock_held')
        assert 'device group ID201 of NF ID101' in msg, msg
    for instance in ('sdm1', 'sdm2'):
        assert emu.sdm_locks(instance) == {'ID2': 'prov2'}, instance
        assert_never_two_holders(emu.audit(instance))
    # all: the SDM changed nothing; partial: it locked the free member, and the module gave it back
    assert kinds(emu.audit('sdm1'), 'device:ID1') == []
    partial = [kind for _resource, kind in kinds(emu.audit('sdm2'), 'device:ID1')]
    assert partial and partial == ['grant', 'release'] * (len(partial) // 2), partial
    assert_no_session_left(emu)
    assert not leases(runner)


# --------------------------------------------------------------------------------------------- other holders

def test_foreign_holder_wait_timeout_and_all_or_nothing(runner, emu):
    emu.set_switches({'sdm.error_names_holder': 'on'}, instance='sdm2')
    for instance in ('sdm1', 'sdm2', 'sdm3'):
        inject(emu, instance, 'ID3')
    hosts = {'anonymous': {'instance': 'sdm1', 'device_ids': ['ID3'], 'wait_seconds': 2},
             'named': {'instance': 'sdm2', 'device_ids': ['ID3'], 'wait_seconds': 1},
             'two_devices': {'instance': 'sdm3', 'device_ids': ['ID3', 'ID1']}}
    play, found = run_hosts(runner, hosts)
    assert play.returncode != 0
    got = found['Device lock']
    msg = failure(got['anonymous'], 'lock_held')
    assert msg.startswith('device ID3 on SDM %s is held by another user; waited 2 s' % emu.sdm_host('sdm1')), msg
    assert 'prov2' not in msg and got['anonymous']['locked'] is False
    msg = failure(got['named'], 'lock_held')
    assert msg.startswith('device ID3 on SDM %s is held by user prov2; waited 1 s' % emu.sdm_host('sdm2')), msg
    assert got['named']['holder'] == {'ID3': 'user prov2'}
    msg = failure(got['two_devices'], 'lock_held')
    assert 'device ID3' in msg and 'given back' in msg, msg
    # ID1 was taken first (canonical order) and given back when ID3 could not be had
    assert kinds(emu.audit('sdm3'), 'device:ID1') == [('device:ID1', 'grant'), ('device:ID1', 'release')]
    for instance in ('sdm1', 'sdm2', 'sdm3'):
        assert emu.sdm_locks(instance) == {'ID3': 'prov2'}, instance
        assert_never_two_holders(emu.audit(instance))
    lock_requests = emu.stats('sdm1')['by_route'][ACTION]
    assert 3 <= lock_requests <= 8, 'backoff should poll a few times in 2 s, not hammer the SDM: %d' % lock_requests
    assert_no_session_left(emu)
    assert not leases(runner)
    # what the failed task says about ID1 must be the truth after the give-back
    assert got['two_devices']['locked'] is False and got['two_devices']['holder']['ID1'] == 'nobody', got['two_devices']


@pytest.mark.parametrize('shared_controller', [False, True], ids=['two-controllers', 'one-controller'])
def test_two_users_contend_and_the_second_gets_the_device_after_the_release(emu, tmp_path, shared_controller):
    first = controller(emu, tmp_path / 'one')
    second = controller(emu, tmp_path / ('one' if shared_controller else 'two'), sdm_user=PROV2)
    with HandOver(first, second, 'device_lock/hold.yml', tmp_path, {'devices': ['ID1', 'ID2']},
                  {'devices': ['ID2', 'ID1'], 'wait_seconds': 60}) as handover:
        assert emu.sdm_locks('sdm1') == {'ID1': 'prov1', 'ID2': 'prov1'}
        if shared_controller:
            # behind prov1's lease it signs in and stands by, without asking for the devices
            wait_until(lambda: [session['user'] for session in emu.sdm_sessions('sdm1')] == ['prov2'], 60, 'prov2 to stand by')
        else:
            wait_until(lambda: emu.stats('sdm1')['by_status'].get('400', 0) >= 1, 60, 'prov2 to be refused')
        time.sleep(1.0)
        assert emu.sdm_locks('sdm1') == {'ID1': 'prov1', 'ID2': 'prov1'}
    second_play = handover.waiter_play
    assert results(second_play)['Take the devices']['localhost']['waited'] > 0
    events = emu.audit('sdm1')
    assert_never_two_holders(events)
    for device in ('device:ID1', 'device:ID2'):
        mine = [event for event in events if event['resource'] == device]
        assert [(event['event'], event['holder']['user']) for event in mine] == [
            ('grant', 'prov1'), ('release', 'prov1'), ('grant', 'prov2'), ('release', 'prov2')], mine
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


def test_two_plays_of_one_user_on_one_controller_never_share_a_device(emu, tmp_path):
    runner = controller(emu, tmp_path)
    with HandOver(runner, runner, 'device_lock/hold.yml', tmp_path, {'devices': ['ID1', 'ID2', 'ID3']},
                  {'devices': ['ID3', 'ID2'], 'wait_seconds': 60}) as handover:
        # behind the first play's lease it signs in, so that the hand-over is one request, and stands by
        wait_until(lambda: len(emu.sdm_sessions('sdm1')) == 1, 60, 'the second play to stand by')
        time.sleep(1.0)
        assert emu.sdm_locks('sdm1') == {'ID1': 'prov1', 'ID2': 'prov1', 'ID3': 'prov1'}
    second_play = handover.waiter_play
    taken_result = results(second_play)['Take the devices']['localhost']
    assert taken_result['waited'] > 0 and taken_result['device_ids'] == ['ID2', 'ID3'], taken_result
    events = emu.audit('sdm1')
    assert_never_two_holders(events)
    first_session = [event for event in events if event['resource'] == 'device:ID1'][0]['holder']['id']
    for device in ('device:ID2', 'device:ID3'):
        mine = [event for event in events if event['resource'] == device]
        # the hand-over shows in the audit: the second play's own grant, after the first play's release
        assert [event['event'] for event in mine] == ['grant', 'release', 'grant', 'release'], mine
        assert mine[0]['holder']['id'] == first_session and mine[2]['holder']['id'] != first_session, mine
    # behind the lease the waiter asked for nothing (it only signed in): 3 + 2 Locks, 3 + 2 Unlocks
    assert emu.stats('sdm1')['by_route'][ACTION] == 10
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


def test_a_waiter_whose_session_ended_while_it_stood_by_signs_in_again_at_the_hand_over(emu, tmp_path):
    runner = controller(emu, tmp_path)
    with HandOver(runner, runner, 'device_lock/hold.yml', tmp_path, {'devices': ['ID1']}, {'devices': ['ID1'], 'wait_seconds': 60}) as handover:
        wait_until(lambda: len(emu.sdm_sessions('sdm1')) == 1, 60, 'the second play to stand by')
        emu.control('POST', '/sdm/sdm1/expire-sessions', json={'user': 'prov1'})  # an administrator closed it, say
        assert emu.sdm_sessions('sdm1') == []
    second_play = handover.waiter_play
    assert results(second_play)['Take the devices']['localhost']['waited'] > 0
    mine = [(event['event'], event['holder']['user']) for event in emu.audit('sdm1') if event['resource'] == 'device:ID1']
    assert mine == [('grant', 'prov1'), ('release', 'prov1'), ('grant', 'prov1'), ('release', 'prov1')], mine
    # the Lock answered 401 once (the SDM did nothing), then a new login and the Lock again
    assert emu.stats('sdm1')['by_status'].get('401') == 1
    assert emu.stats('sdm1')['by_route'][LOGIN] == 5  # 2 per play, and the new one
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


def test_overlapping_sets_started_together_do_not_deadlock(emu, tmp_path):
    runner = controller(emu, tmp_path)
    sets = [['ID1', 'ID2', 'ID3'], ['ID3', 'ID2'], ['ID2', 'ID1']]
    plays = [Background(runner, 'device_lock/hold.yml', extra_vars={'devices': devices, 'wait_seconds': 60, 'hold_seconds': 1})
             for devices in sets]
    done = [play.finish(timeout=90) for play in plays]
    for play in done:
        assert play.returncode == 0, play
    events = emu.audit('sdm1')
    assert_never_two_holders(events)
    for device, users in (('device:ID1', 2), ('device:ID2', 3), ('device:ID3', 2)):
        grants = [event['holder']['id'] for event in events if event['resource'] == device and event['event'] == 'grant']
        assert len(grants) == users and len(set(grants)) == users, (device, events)
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


# --------------------------------------------------------------------------------------------- open points (switches)

LOCK_FOREIGN = {'sdm1': '400', 'sdm2': '409', 'sdm3': '423', 'sdm4': '403', 'sdm5': '500'}


def test_every_lock_foreign_status_is_waited_for_then_reported(runner, emu):
    hosts = {}
    for instance, status in LOCK_FOREIGN.items():
        emu.set_switches({'sdm.lock_foreign': status}, instance=instance)
        inject(emu, instance, 'ID3')
        hosts['foreign_%s' % status] = {'instance': instance, 'device_ids': ['ID3'], 'wait_seconds': 1}
    play, found = run_hosts(runner, hosts)
    for instance, status in LOCK_FOREIGN.items():
        msg = failure(found['Device lock']['foreign_%s' % status], 'server_error' if status == '500' else 'lock_held')
        assert 'device ID3' in msg and 'the SDM answered %s' % status in msg, msg
        assert emu.sdm_locks(instance) == {'ID3': 'prov2'}
    assert_no_session_left(emu)
    # with time to wait, the device is had once its holder lets go, whatever the status said meanwhile
    emu.reset_stats()
    waiting = dict((host, dict(host_vars, wait_seconds=60)) for host, host_vars in hosts.items())
    play_box = {}
    thread = threading.Thread(target=lambda: play_box.update(found=run_hosts(runner, waiting)))
    thread.start()
    try:
        for instance, status in LOCK_FOREIGN.items():
            wait_until(lambda inst=instance, code=status: emu.stats(inst)['by_status'].get(code, 0) >= 2, 60,
                       '%s to refuse twice' % instance)
            force_release(emu, instance, 'ID3')
    except BaseException:
        for instance in LOCK_FOREIGN:  # let the play end before the test does
            force_release(emu, instance, 'ID3')
        raise
    finally:
        thread.join(120)
    play, found = play_box['found']
    assert play.returncode == 0, play
    for instance, status in LOCK_FOREIGN.items():
        result = found['Device lock']['foreign_%s' % status]
        assert result['changed'] and result['waited'] > 0 and result['holder'] == {'ID3': 'us'}, result
        assert emu.sdm_locks(instance) == {'ID3': 'prov1'}
        assert_never_two_holders(emu.audit(instance))
    play, found = run_hosts(runner, dict((host, dict(host_vars, lock_state='unlocked')) for host, host_vars in hosts.items()))
    assert play.returncode == 0, play
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


RELOCK = {'sdm1': '204', 'sdm2': '400', 'sdm3': '409'}


def test_relock_same_user_from_another_controller(emu, tmp_path):
    """Same user, two controllers: the SDM cannot tell them apart; whatever it answers, nothing breaks or leaks."""
    here, there = controller(emu, tmp_path / 'here'), controller(emu, tmp_path / 'there')
    hosts = {}
    for instance, status in RELOCK.items():
        emu.set_switches({'sdm.relock_same_user': status}, instance=instance)
        hosts['relock_%s' % status] = {'instance': instance, 'device_ids': ['ID1']}
    play, found = run_hosts(here, hosts)
    assert play.returncode == 0, play
    play, found = run_hosts(there, hosts)
    got = found['Device lock']
    # 204: the SDM says "locked" (it is, by this user); 400/409: refused, as if another user held it
    assert got['relock_204']['changed'] and got['relock_204']['locked'], got['relock_204']
    for status in ('400', '409'):
        msg = failure(got['relock_%s' % status], 'lock_held')
        assert 'device ID1' in msg and 'the SDM answered %s' % status in msg, msg
    play, found = run_hosts(there, dict((host, dict(host_vars, lock_state='unlocked')) for host, host_vars in hosts.items()))
    assert play.returncode == 0, play
    got = found['Device lock']
    for instance, status in RELOCK.items():
        assert got['relock_%s' % status]['changed'], got
        if status != '204':  # released what this user held without a lease here, and said so
            assert warned(play, 'released device ID1 on SDM %s, which user prov1 held without a lease' % emu.sdm_host(instance)), play
    assert_nothing_locked(emu)
    play, found = run_hosts(here, dict((host, dict(host_vars, lock_state='unlocked')) for host, host_vars in hosts.items()))
    assert play.returncode == 0, play
    for host in hosts:
        assert not found['Device lock'][host]['changed'], found['Device lock'][host]
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(here) and not leases(there)


UNLOCK_FREE = {'sdm1': '400', 'sdm2': '204', 'sdm3': '409'}


def test_unlock_of_a_device_an_administrator_forced_free(runner, emu):
    hosts = {}
    for instance, status in UNLOCK_FREE.items():
        emu.set_switches({'sdm.unlock_free': status}, instance=instance)
        hosts['unlock_free_%s' % status] = {'instance': instance, 'device_ids': ['ID2']}
    play, found = run_hosts(runner, hosts)
    assert play.returncode == 0, play
    for instance in UNLOCK_FREE:
        force_release(emu, instance, 'ID2')
    play, found = run_hosts(runner, dict((host, dict(host_vars, lock_state='unlocked')) for host, host_vars in hosts.items()))
    assert play.returncode == 0, play
    got = found['Device lock']
    for instance, status in UNLOCK_FREE.items():
        if status == '204':
            continue
        result = got['unlock_free_%s' % status]
        assert not result['changed'] and result['holder'] == {'ID2': 'nobody'}, result
        assert warned(play, 'device ID2 on SDM %s was no longer locked' % emu.sdm_host(instance)), play
    assert got['unlock_free_204']['holder'] == {'ID2': 'nobody'}
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


UNLOCK_FOREIGN = {'sdm1': '400', 'sdm2': '403', 'sdm3': '409', 'sdm4': '423'}


def test_unlock_of_another_users_device_is_unchanged_and_leaves_it(runner, emu):
    taken_by_us = {}
    for instance, status in UNLOCK_FOREIGN.items():
        emu.set_switches({'sdm.unlock_foreign': status}, instance=instance)
        taken_by_us['taken_over_%s' % status] = {'instance': instance, 'device_ids': ['ID1']}
    play, found = run_hosts(runner, taken_by_us)
    assert play.returncode == 0, play
    hosts = {}
    for instance, status in UNLOCK_FOREIGN.items():
        force_release(emu, instance, 'ID1')  # an administrator frees it, and prov2 takes it
        inject(emu, instance, 'ID1')
        inject(emu, instance, 'ID3')
        hosts['taken_over_%s' % status] = dict(taken_by_us['taken_over_%s' % status], lock_state='unlocked')
        hosts['never_ours_%s' % status] = {'instance': instance, 'device_ids': ['ID3'], 'lock_state': 'unlocked'}
    emu.reset_stats()
    play, found = run_hosts(runner, hosts)
    assert play.returncode == 0, play
    for instance, status in UNLOCK_FOREIGN.items():
        for host in ('never_ours_%s' % status, 'taken_over_%s' % status):
            result = found['Device lock'][host]
            assert result['_status'] == 'ok' and not result['locked'] and not result['changed'], result
        assert emu.sdm_locks(instance) == {'ID1': 'prov2', 'ID3': 'prov2'}, status
        # one Unlock per task, never a Lock
        assert emu.stats(instance)['by_route'] == {LOGIN: 2, ACTION: 2, LOGOUT: 2}, status
    assert warned(play, 'was no longer locked by user prov1'), play
    assert_no_session_left(emu)
    assert not leases(runner)


ERROR_BODIES = {'sdm1': 'text', 'sdm2': 'empty', 'sdm3': 'html', 'sdm4': 'xml', 'sdm5': 'json'}


def test_every_error_body_shape_is_understood(runner, emu):
    hosts = {}
    for instance, shape in ERROR_BODIES.items():
        emu.set_switches({'sdm.error_body': shape, 'sdm.error_names_holder': 'on'}, instance=instance)
        inject(emu, instance, 'ID3')
        hosts['held_%s' % shape] = {'instance': instance, 'device_ids': ['ID3']}
        hosts['password_%s' % shape] = {'instance': instance, 'device_ids': ['ID1'], 'sdm_password': 'not-the-password'}
        hosts['unknown_%s' % shape] = {'instance': instance, 'device_ids': ['ID77']}
        hosts['foreign_unlock_%s' % shape] = {'instance': instance, 'device_ids': ['ID3'], 'lock_state': 'unlocked'}
    play, found = run_hosts(runner, hosts)
    got = found['Device lock']
    for shape in ERROR_BODIES.values():
        msg = failure(got['held_%s' % shape], 'lock_held')
        assert 'device ID3' in msg and 'the SDM answered 400' in msg, msg
        if shape in ('text', 'xml', 'json'):
            assert 'held by user prov2' in msg and got['held_%s' % shape]['holder'] == {'ID3': 'user prov2'}, msg
        if shape == 'html':
            assert 'HTML page' in msg and '<' not in msg, msg
        msg = failure(got['password_%s' % shape], 'auth_failed')
        assert 'prov1' in msg and 'check username and password' in msg and '<' not in msg, msg
        msg = failure(got['unknown_%s' % shape], 'not_found')
        assert 'ID77' in msg, msg
        foreign = got['foreign_unlock_%s' % shape]
        assert foreign['_status'] == 'ok' and not foreign['changed'], foreign
        if shape in ('text', 'xml', 'json'):
            assert foreign['holder'] == {'ID3': 'user prov2'}, foreign
    for instance in ERROR_BODIES:
        assert emu.sdm_locks(instance) == {'ID3': 'prov2'}
    assert_no_session_left(emu)
    assert 'not-the-password' not in play.output and 'Traceback' not in play.output


# `logout` (an SDM that drops a user's device locks when any session of it logs out) is left out on
# purpose: every task logs out, so no lock can outlive its task there; docs/decisions.md says so.
LIFETIMES = {'sdm1': 'survive', 'sdm3': 'expiry'}


def test_the_devices_stay_locked_between_the_tasks_under_every_lock_lifetime(runner, emu, tmp_path):
    hosts = {}
    for instance, lifetime in LIFETIMES.items():
        emu.set_switches({'sdm.lock_lifetime': lifetime}, instance=instance)
        hosts['lifetime_%s' % lifetime] = {'instance': instance, 'devices': ['ID1', 'ID2'],
                                           'taken_file': str(tmp_path / ('taken-%s' % lifetime))}
    release = tmp_path / 'release'
    play = Background(runner, 'device_lock/hold.yml', inventory=inventory(emu, tmp_path, hosts), extra_vars={'release_file': str(release)},
                      args=['--forks', str(len(hosts))])
    try:
        wait_until(lambda: all(os.path.exists(host_vars['taken_file']) for host_vars in hosts.values()), 60, 'every host to lock')
        held = dict((lifetime, emu.sdm_locks(instance)) for instance, lifetime in LIFETIMES.items())
    finally:
        release.touch()
        done = play.finish()
    # while the play holds the devices (its lock task over, its session logged out), the SDM must still have them locked
    assert held == dict((lifetime, {'ID1': 'prov1', 'ID2': 'prov1'}) for lifetime in LIFETIMES.values()), held
    assert done.returncode == 0, done
    for instance in LIFETIMES:
        events = emu.audit(instance)
        assert_never_two_holders(events)
        assert [event['cause'] for event in events if event['event'] != 'grant'] == ['unlock', 'unlock'], events
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


# --------------------------------------------------------------------------------------------- bad input, secrets

def test_bad_input_gives_one_actionable_line_and_leaves_nothing_behind(runner, emu):
    emu.arm_fault(instance='sdm2', method='POST', path='*/admin/login', kind='html502', count=0)
    emu.arm_fault(instance='sdm3', method='POST', path='*/admin/login', kind='empty200', count=0)
    emu.arm_fault(instance='sdm4', method='GET', path='*/inventory/deviceMgmt/devices', kind='latency', delay=2.5, count=0)
    emu.arm_fault(instance='sdm5', method='POST', path='*/devices/ID1/action', kind='drop', count=0)
    cases = {
        # host: (vars, reason, words the message must carry)
        'wrong_password': ({'instance': 'sdm1', 'sdm_password': 'not-the-password'}, 'auth_failed', 'check username and password'),
        'unknown_user': ({'instance': 'sdm1', 'sdm_username': 'nobody-here'}, 'auth_failed', 'nobody-here'),
        'html_error_page': ({'instance': 'sdm2'}, 'server_error', 'HTML page'),
        'empty_body': ({'instance': 'sdm3'}, 'bad_response', 'empty body'),
        'no_ca': ({'instance': 'sdm1', 'sdm_ca_path': ''}, 'tls', 'not trusted'),
        'wrong_ca': ({'instance': 'sdm1', 'sdm_ca_path': '/etc/ssl/certs/ca-certificates.crt'}, 'tls', 'not trusted'),
        'timeout': ({'instance': 'sdm4', 'devices': ['sbc-east-1'], 'sdm_timeout': 1}, 'network', 'no answer'),
        'dropped_lock': ({'instance': 'sdm5'}, 'network', 'closed the connection'),
        'missing_host': ({'sdm_host': ''}, 'bad_input', 'host is not set'),
        'http_host': ({'sdm_host': 'http://%s' % emu.sdm_host('sdm1')}, 'bad_input', 'HTTPS only'),
        'refused': ({'sdm_host': '127.0.0.1:1'}, 'network', 'refused'),
        'unknown_api_version': ({'instance': 'sdm1', 'sdm_api_version': 'v9.9'}, 'api_version', 'api_version'),
        'empty_device_id': ({'instance': 'sdm1', 'device_ids': [' ']}, 'bad_input', 'device_id'),
        'two_selectors': ({'instance': 'sdm1', 'device_ids': ['ID1'], 'device_group': {'nf_id': 'ID101', 'group_id': 'ID201'}},
                          'bad_input', 'mutually exclusive'),
        'negative_wait': ({'instance': 'sdm1', 'wait_seconds': -1}, 'bad_input', 'wait_timeout'),
    }
    hosts = dict((host, host_vars if 'devices' in host_vars or 'device_group' in host_vars else dict({'device_ids': ['ID1']}, **host_vars))
                 for host, (host_vars, _reason, _words) in cases.items())
    play, found = run_hosts(runner, hosts, timeout=120)
    emu.clear_faults()
    assert play.returncode != 0
    for host, (_vars, reason, words) in cases.items():
        msg = failure(found['Device lock'][host], reason)
        assert words in msg, (host, msg)
    assert 'Traceback' not in play.output
    assert_no_secret(play.output, ['prov1-secret', 'not-the-password'] + emu.secrets()['sessions'])
    assert_nothing_locked(emu)
    assert_no_session_left(emu)
    assert not leases(runner)


def test_no_secret_in_the_output_at_vvv(runner, emu):
    inject(emu, 'sdm2', 'ID3')
    emu.set_switches({'sdm.error_names_holder': 'on'}, instance='sdm2')
    hosts = {'lookup': {'instance': 'sdm1', 'devices': ['sbc-east-1', '192.0.2.21']},
             'group': {'instance': 'sdm3', 'device_group': {'nf_id': 'ID101', 'group_id': 'ID201'}},
             'held': {'instance': 'sdm2', 'device_ids': ['ID3'], 'wait_seconds': 0.5},
             'wrong_password': {'instance': 'sdm4', 'device_ids': ['ID1'], 'sdm_password': 'wrong-password-xyz'}}
    runs = [runner.run('device_lock/idempotency.yml', verbosity=3, diff=True),
            run_hosts(runner, hosts, verbosity=3, diff=True)[0],
            run_hosts(runner, dict((host, dict(host_vars, lock_state='unlocked')) for host, host_vars in hosts.items()),
                      verbosity=4)[0],
            runner.run('device_lock/check_mode.yml', verbosity=4, diff=True)]
    assert runs[0].returncode == 0 and runs[3].returncode == 0, runs
    sessions = emu.secrets()['sessions']
    secrets = ['prov1-secret', 'prov2-secret', 'wrong-password-xyz'] + sessions + [session.split('.', maxsplit=1)[0] for session in sessions]
    assert len(sessions) >= 8
    for play in runs:
        assert_no_secret(play.output, secrets)
    assert_no_session_left(emu)


def test_leases_are_private_and_a_later_run_gives_back_what_an_earlier_one_left(emu, tmp_path):
    # its lease directory is made by the module; release_on_exit off: locks outlive a run, for the next to adopt
    runner = PlaybookRunner(emu, tmp_path, release_on_exit=False)
    play, found = run_hosts(runner, {'left': {'instance': 'sdm1', 'device_ids': ['ID1', 'ID3']}})
    assert play.returncode == 0, play
    held = leases(runner)
    assert len(held) == 2
    assert all(stat.S_IMODE(os.stat(path).st_mode) == 0o600 for path in held)
    assert stat.S_IMODE(os.stat(runner.lease_dir).st_mode) == 0o700
    # the run that took them is gone: the next run adopts them (no traffic) and can give them back
    play, found = run_hosts(runner, {'left': {'instance': 'sdm1', 'device_ids': ['ID3', 'ID1']}})
    assert play.returncode == 0, play
    adopted = found['Device lock']['left']
    assert adopted['changed'] and adopted['holder'] == {'ID1': 'us', 'ID3': 'us'}, adopted
    for device_id in ('ID1', 'ID3'):
        assert warned(play, 'adopted the lock of device %s on SDM %s' % (device_id, emu.sdm_host('sdm1'))), play
    play, found = run_hosts(runner, {'left': {'instance': 'sdm1', 'device_ids': ['ID1', 'ID3'], 'lock_state': 'unlocked'}})
    assert play.returncode == 0 and found['Device lock']['left']['changed'], play
    assert kinds(emu.audit('sdm1')) == [('device:ID1', 'grant'), ('device:ID3', 'grant'), ('device:ID1', 'release'),
                                        ('device:ID3', 'release')]
    assert not leases(runner)
    assert_nothing_locked(emu)
    assert_no_session_left(emu)


# --------------------------------------------------------------------------------------------- a release never takes a lock

RELEASE_SWITCHES = [dict(zip(('sdm.relock_same_user', 'sdm.unlock_free', 'sdm.group_mode'), values))
                    for values in itertools.product(('204', '400', '409'), ('400', '204', '409'), ('all', 'partial'))]


def test_a_group_release_by_a_run_holding_one_member_gives_back_exactly_that_member(emu, tmp_path):
    """Under every way the SDM may answer a same-user re-lock, the Unlock of a free device and a group with a free member,
    the release unlocks ID1 alone (one device Unlock, never a Lock, never the group), reports it changed, says what it left,
    and leaves no lease and nothing locked: before, a 400 to the same-user re-lock deleted the lease and left ID1 locked."""
    hosts = {}
    for batch in range(0, len(RELEASE_SWITCHES), INSTANCES):
        emu.reset()
        hosts = {}
        for number, switches in enumerate(RELEASE_SWITCHES[batch:batch + INSTANCES], start=1):
            instance = 'sdm%d' % number
            emu.set_switches(switches, instance=instance)
            hosts['_'.join(switches.values())] = {'instance': instance}
        runner = controller(emu, tmp_path / ('controller-%d' % batch))
        play, found = run_hosts(runner, hosts, 'device_lock/group_release.yml')
        assert play.returncode == 0, play
        for name, host_vars in hosts.items():
            instance = host_vars['instance']
            released = found['Give back the group'][name]
            assert released['_status'] == 'changed' and released['holder'] == {'ID1': 'nobody', 'ID2': 'unknown'}, (name, released)
            assert kinds(emu.audit(instance)) == [('device:ID1', 'grant'), ('device:ID1', 'release')], (name, emu.audit(instance))
            by_route = emu.stats(instance)['by_route']
            assert by_route.get(ACTION) == 2 and GROUP_ACTION not in by_route, (name, by_route)
        assert warned(play, 'held only ID1, which was given back; ID2, not held by this run, was left untouched'), play
        assert_nothing_locked(emu)
        assert_no_session_left(emu)
        assert not leases(runner)


@pytest.mark.parametrize('switches', [{'sdm.unlock_free': '400'}, {'sdm.unlock_free': '409'},
                                      {'sdm.unlock_foreign': '423', 'sdm.error_names_holder': 'on'}, {'sdm.unlock_foreign': '403'}],
                         ids=['free-400', 'free-409', 'foreign-423-named', 'foreign-403'])
def test_a_release_of_what_this_run_does_not_hold_sends_only_unlock(runner, emu, switches):
    """No lease, the device free or another user's: one Unlock, refused, reported unchanged; another user's lock stays."""
    emu.set_switches(switches, instance='sdm1')
    if 'sdm.unlock_foreign' in switches:
        inject(emu, 'sdm1', 'ID3')
    play, found = run_hosts(runner, {'release': {'instance': 'sdm1', 'lock_state': 'unlocked', 'device_ids': ['ID3']}})
    assert play.returncode == 0, play
    result = found['Device lock']['release']
    assert result['_status'] == 'ok' and not result['locked'], result
    if 'sdm.unlock_foreign' in switches:
        assert emu.sdm_locks('sdm1') == {'ID3': 'prov2'}
        assert result['holder'] == {'ID3': 'user prov2' if switches.get('sdm.error_names_holder') == 'on' else 'unknown'}, result
    else:
        assert_nothing_locked(emu)
    assert emu.stats('sdm1')['by_route'] == {LOGIN: 1, ACTION: 1, LOGOUT: 1}
    assert [event for event in emu.audit('sdm1') if event['holder'].get('user') == 'prov1'] == []
