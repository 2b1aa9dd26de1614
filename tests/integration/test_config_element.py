"""config_element, config_commit and config_element_info in real plays against the emulator over HTTPS
(tests/integration/playbooks/config_element/)."""

import pathlib

import pytest

from tests.integration.ansible_runner_util import Background, assert_no_secret

pytestmark = pytest.mark.integration

ELEMENTS = 'configuration/configElements'
#: Every route that changes something on the SBC besides the lock itself.
CHANGING = ('POST /rest/{v}/%s' % ELEMENTS, 'PUT /rest/{v}/%s' % ELEMENTS, 'DELETE /rest/{v}/%s' % ELEMENTS,
            'PUT /rest/{v}/configuration/management', 'POST /rest/{v}/configuration/management')


def test_add_keep_update_read_commit_delete_and_no_secret_at_vvv(ansible, emulator):
    play = ansible.run('config_element/cycle.yml', verbosity=3)
    assert play.returncode == 0, play
    routes = emulator.stats('sbc1')['by_route']
    # one add, one update, one delete; the no-op and the second delete only read; one commit of three steps
    assert routes['POST /rest/{v}/%s' % ELEMENTS] == 1
    assert routes['PUT /rest/{v}/%s' % ELEMENTS] == 1
    assert routes['DELETE /rest/{v}/%s' % ELEMENTS] == 1
    assert routes['PUT /rest/{v}/configuration/management'] == 2 and routes['POST /rest/{v}/configuration/management'] == 1
    # the lock is taken once, with the play's only token: the configuration modules never authenticate under it
    assert routes['POST /rest/{v}/auth/token'] == 1 and routes['POST /rest/{v}/configuration/lock'] == 1
    assert not emulator.sbc_lock_state()['held']
    assert_no_secret(play.output, ['admin-secret-1'] + emulator.secrets()['tokens'])


def test_check_mode_under_the_lock_predicts_with_no_changing_request(ansible, emulator):
    play = ansible.run('config_element/check.yml', check=True)
    assert play.returncode == 0, play
    routes = emulator.stats('sbc1')['by_route']
    assert not [route for route in CHANGING if routes.get(route)], routes
    assert routes['GET /rest/{v}/%s' % ELEMENTS] == 4


def test_check_mode_without_a_lock_reads_with_a_token_of_its_own(ansible, emulator):
    play = ansible.run('config_element/check_unlocked.yml', check=True)
    assert play.returncode == 0, play
    routes = emulator.stats('sbc1')['by_route']
    assert not [route for route in CHANGING if routes.get(route)], routes
    assert 'POST /rest/{v}/configuration/lock' not in routes and not emulator.audit('sbc1')


def test_diff_shows_the_attributes_before_and_after(ansible, emulator):
    play = ansible.run('config_element/diff.yml', diff=True)
    assert play.returncode == 0, play
    assert '-    "addr-prefix": "192.0.2.0/24",\n+    "addr-prefix": "192.0.2.128/25",' in play.stdout, play


def test_refusals_and_no_lock_fail_with_a_reason_and_the_sbc_text(ansible, emulator):
    play = ansible.run('config_element/errors.yml')
    assert play.returncode == 0, play
    # the unknown attribute is caught from the element metadata, before anything is sent
    assert emulator.stats('sbc1')['by_route']['POST /rest/{v}/%s' % ELEMENTS] == 2


@pytest.mark.parametrize('switches, async_timeout, outcome', [
    ({}, 300, 'COMMIT ok'),
    ({'sbc.async_link': 'per_job'}, 300, 'COMMIT ok'),
    ({'sbc.async_result': 'fail'}, 300, 'COMMIT config_failed | the save of the configuration on SBC'),
    ({'sbc.async_delay': '30'}, 1, 'COMMIT timed_out | the save of the configuration on SBC'),
], ids=['success', 'link-per-job', 'async-failure', 'deadline'])
def test_commit_waits_for_each_step_and_fails_with_the_sbc_text(ansible, emulator, switches, async_timeout, outcome):
    if switches:
        emulator.set_switches(switches)
    play = ansible.run('config_element/commit.yml', extra_vars={'async_timeout': async_timeout})
    assert play.returncode == 0, play
    assert outcome in play.stdout, play
    routes = emulator.stats('sbc1')['by_route']
    if 'fail' in switches.values():
        assert 'save failed (emulated failure)' in play.stdout
    if outcome != 'COMMIT ok':
        # a failed or unfinished save stops the commit: verify and activate are never started
        assert routes['PUT /rest/{v}/configuration/management'] == 1
        assert 'POST /rest/{v}/configuration/management' not in routes
    else:
        assert routes['POST /rest/{v}/configuration/management'] == 1


def test_a_lock_of_another_run_is_named_and_left_alone(ansible, emulator, tmp_path):
    taken, release = tmp_path / 'taken', tmp_path / 'release'
    holder = Background(ansible, 'config_lock/hold.yml', extra_vars={'taken_file': str(taken), 'release_file': str(release)})
    try:
        holder.wait_for('TASK [Hold it until told to let go]')
        assert pathlib.Path(taken).exists()
        play = ansible.run('config_element/other_run.yml')
        assert play.returncode == 0, play
        assert not [route for route in CHANGING if emulator.stats('sbc1')['by_route'].get(route)]
    finally:
        release.touch()
        done = holder.finish()
    assert done.returncode == 0, done
