"""config_lock in real plays against the emulator over HTTPS (tests/integration/playbooks/config_lock/)."""

import json
import os
import stat
import time

import pytest

from tests.emulator_harness import assert_never_two_holders, start_emulator
from tests.integration.ansible_runner_util import HandOver, PlaybookRunner, assert_no_secret

pytestmark = pytest.mark.integration

LOCK = 'POST /rest/{v}/configuration/lock'
UNLOCK = 'POST /rest/{v}/configuration/unlock'
TOKEN = 'POST /rest/{v}/auth/token'


def grants(emulator, instance='sbc1'):
    return [event for event in emulator.audit(instance) if event['event'] == 'grant']


def leases(runner):
    return sorted(runner.lease_dir.glob('*.json')) if runner.lease_dir.exists() else []


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_lock_relock_unlock_unlock_is_idempotent(ansible, emulator):
    play = ansible.run('config_lock/idempotency.yml')
    assert play.returncode == 0, play
    events = emulator.audit('sbc1')
    # the release of nothing never takes the lock, not even to learn that it is free
    assert [event['event'] for event in events] == ['grant', 'release']
    assert_never_two_holders(events)
    assert not emulator.sbc_lock_state()['held'] and not leases(ansible)
    routes = emulator.stats('sbc1')['by_route']
    # acquire = token + lock; re-lock = nothing; release = unlock; release of nothing = token + unlock
    assert routes == {TOKEN: 2, LOCK: 1, UNLOCK: 2}


@pytest.mark.parametrize('versions', [['v1.0', 'v1.1', 'v1.2'], ['v1.0', 'v1.1'], ['v1.0']], ids=['v1.2', 'v1.1', 'v1.0'])
def test_a_given_token_speaks_the_sbcs_version_and_a_rejected_one_is_auth_failed(tmp_path, versions):
    """A token of the caller's (no api_version) takes the lock on the version the SBC speaks: the result, the lease and the
    lookup name it (before: /rest/None). A token the SBC never issued is auth_failed on lock and on release, never lock_lost."""
    config = tmp_path / 'sbc.json'
    config.write_text(json.dumps({'sbc': {'versions': versions}}))
    with start_emulator(tmp_path / 'emu', '--config', str(config)) as emu:
        runner = PlaybookRunner(emu, tmp_path / 'controller')
        play = runner.run('config_lock/given_token.yml', verbosity=1)
        assert play.returncode == 0, play
        assert ('/rest/%s' % versions[-1]) in play.stdout and '/rest/None' not in play.output, play
        assert [event['event'] for event in emu.audit('sbc1')] == ['grant', 'release', 'grant', 'release']
        # once per task given a token with no lease to say the version: the lock, and the two bogus ones
        assert emu.stats('sbc1')['by_route'].get('GET /rest/api/supportedversions') == 3
        assert not emu.sbc_lock_state()['held'] and not leases(runner)
        assert_no_secret(play.output, emu.secrets()['tokens'])


def test_check_mode_changes_nothing_on_the_device(ansible, emulator):
    play = ansible.run('config_lock/check_mode.yml')
    assert play.returncode == 0, play
    assert [event['event'] for event in emulator.audit('sbc1')] == ['grant', 'release']
    assert emulator.stats('sbc1')['by_route'] == {TOKEN: 1, LOCK: 1, UNLOCK: 1}


def test_check_mode_run_sends_no_request(ansible, emulator):
    play = ansible.run('config_lock/idempotency.yml', check=True)
    # the asserts on real outcomes cannot hold in check mode; what matters is that nothing reached the SBC
    assert emulator.audit('sbc1') == [] and emulator.stats('sbc1')['total'] == 0, play


def test_diff_shows_the_holder_before_and_after(ansible, emulator):
    play = ansible.run('config_lock/diff.yml', diff=True)
    assert play.returncode == 0, play
    assert '-    "holder": "nobody"\n+    "holder": "us"' in play.stdout
    assert '-    "holder": "us"\n+    "holder": "nobody"' in play.stdout


@pytest.mark.parametrize('second_user, shared_controller', [
    (('admin', 'admin-secret-1'), True),     # two jobs of one account on one controller: the lease record keeps them apart
    (('admin2', 'admin-secret-2'), True),    # two accounts, one controller
    (('admin2', 'admin-secret-2'), False),   # two controllers: only the SBC's 423 keeps them apart
], ids=['same-account', 'two-accounts', 'two-controllers'])
def test_a_second_play_waits_and_gets_the_lock_after_the_release(emulator, tmp_path, second_user, shared_controller):
    first = PlaybookRunner(emulator, tmp_path / 'one')
    second = PlaybookRunner(emulator, tmp_path / ('one' if shared_controller else 'two'), sbc_user=second_user)
    # the holder lets go only once the waiter is seen waiting, however slowly either ansible-playbook starts
    with HandOver(first, second, 'config_lock/hold.yml', tmp_path, waiter_vars={'wait_seconds': 60, 'expect_wait': True}) as handover:
        if shared_controller:
            # it waits behind the first play's lease without asking the SBC: nothing to see on the wire
            handover.waiter.settle_in('Take the configuration lock')
        else:
            assert wait_until(lambda: emulator.stats('sbc1')['by_status'].get('423', 0) >= 1, 90), 'the SBC never refused the second play'
        assert emulator.sbc_lock_state()['holder']['user'] == 'admin'
    events = emulator.audit('sbc1')
    assert_never_two_holders(events)
    assert [event['event'] for event in events] == ['grant', 'release', 'grant', 'release']
    assert events[0]['holder']['user'] == 'admin' and events[2]['holder']['user'] == second_user[0]
    if shared_controller:
        # behind a local lease the waiter never asks the SBC: one token and one lock for each play
        assert emulator.stats('sbc1')['by_route'][LOCK] == 2


def test_wait_timeout_fails_with_the_holder_and_the_time_waited(ansible, emulator):
    emulator.control('POST', '/sbc/sbc1/lock', json={'kind': 'acli', 'user': 'craft'})
    play = ansible.run('config_lock/lock_only.yml', extra_vars={'wait_seconds': 2})
    assert play.returncode != 0
    assert ('configuration lock on %s is held by another user or session; waited 2 s' % emulator.sbc_host()) in play.stdout, play
    assert '"reason": "lock_held"' in play.stdout and 'Traceback' not in play.output
    assert emulator.sbc_lock_state()['holder']['kind'] == 'acli' and not leases(ansible)
    lock_requests = emulator.stats('sbc1')['by_route'][LOCK]
    assert 3 <= lock_requests <= 8, 'backoff should poll a few times in 2 s, not hammer the SBC: %d' % lock_requests


def test_delegated_task_runs_the_module_on_that_host(ansible, emulator, tmp_path):
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('localhost ansible_connection=local\nremote_double ansible_connection=local_remote\n')
    play = ansible.run('config_lock/delegated.yml', inventory=str(inventory), extra_vars={'lease_dir': str(tmp_path / 'remote-leases')},
                       verbosity=3)
    assert play.returncode == 0, play
    assert [event['event'] for event in emulator.audit('sbc1')] == ['grant', 'release']
    # the module ran on the delegated host, whose result ansible-core strips of _ansible_no_log: the action plugin
    # censors it again, so the token the play registered is shown nowhere, at -vvv
    assert 'the output has been hidden' in play.stdout
    assert_no_secret(play.output, ['admin-secret-1'] + emulator.secrets()['tokens'])


@pytest.fixture(scope='module')
def switched(tmp_path_factory):
    """An emulator with one SBC per switch value Oracle leaves open, a short token life, and its plain-HTTP port."""
    with start_emulator(tmp_path_factory.mktemp('switched'), '--sbc-instances', '10', '--token-ttl', '4', '--sbc-http') as emu:
        yield emu


REAUTH_SWITCHES = [
    {'sbc.refresh_mode': 'move', 'sbc.refresh_field': 'any'},
    {'sbc.refresh_mode': 'revoke', 'sbc.refresh_field': 'any'},
    {'sbc.refresh_mode': 'extend', 'sbc.refresh_field': 'any'},
    {'sbc.refresh_mode': 'move', 'sbc.refresh_field': 'token'},
    {'sbc.refresh_mode': 'move', 'sbc.refresh_field': 'accessToken'},
    {'sbc.refresh_mode': 'revoke', 'sbc.refresh_field': 'accessToken'},
    {'sbc.refresh_mode': 'stay', 'sbc.refresh_field': 'any'},
]


def test_the_lock_survives_token_expiry_under_every_reauthentication_switch(switched, tmp_path):
    switched.reset()
    inventory = tmp_path / 'inventory.ini'
    lines = []
    for number, switches in enumerate(REAUTH_SWITCHES, start=1):
        instance = 'sbc%d' % number
        switched.set_switches(switches, instance=instance)
        lines.append('%s sbc_host=%s ansible_connection=local' % (instance, switched.sbc_host(instance)))
    inventory.write_text('\n'.join(lines) + '\n')
    runner = PlaybookRunner(switched, tmp_path)
    play = runner.run('config_lock/reauth.yml', inventory=str(inventory), args=['--forks', str(len(REAUTH_SWITCHES))])
    assert play.returncode == 0, play
    for number, switches in enumerate(REAUTH_SWITCHES, start=1):
        events = switched.audit('sbc%d' % number)
        assert_never_two_holders(events)
        kinds = [event['event'] for event in events]
        assert kinds[0] == 'grant' and kinds[-1] == 'release', (switches, events)
        assert 'expire' not in kinds, (switches, events)
        if switches['sbc.refresh_mode'] in ('move', 'revoke'):
            assert 'move' in kinds, (switches, events)
        if switches['sbc.refresh_mode'] == 'stay':
            # the SBC left the lock on the old token: the client gave it back with that token and took it with the new
            # one, at each re-authentication (the task's, and the keeper's when a token runs low)
            assert len(kinds) >= 4 and kinds == ['grant', 'release'] * (len(kinds) // 2), (switches, events)
            moves = [(events[index]['holder']['id'], events[index + 1]['holder']['id'], events[index + 1]['ts'] - events[index]['ts'])
                     for index in range(1, len(events) - 1, 2)]
            assert all(old != new and gap < 1.0 for old, new, gap in moves), (switches, events)


@pytest.mark.parametrize('shape', ['message', 'errorMessage', 'reasonPhrase'])
@pytest.mark.parametrize('foreign_text', ['default', 'alt'])
def test_every_423_shape_and_text_is_understood(switched, tmp_path, shape, foreign_text):
    switched.reset()
    switched.set_switches({'sbc.message_shape': shape, 'sbc.lock_foreign_text': foreign_text}, instance='sbc1')
    runner = PlaybookRunner(switched, tmp_path)
    env = {'SBC_HOST': switched.sbc_host('sbc1')}
    free = runner.run('config_lock/lock_only.yml', extra_vars={'lock_state': 'unlocked'}, env=env)
    assert free.returncode == 0 and 'changed=0' in free.stdout, free
    switched.control('POST', '/sbc/sbc1/lock', json={'kind': 'gui', 'user': 'webuser'})
    foreign_unlock = runner.run('config_lock/lock_only.yml', extra_vars={'lock_state': 'unlocked'}, env=env)
    # not ours, nothing changed; and never a lock request to find that out (one lock in the whole test: the last play's)
    assert foreign_unlock.returncode == 0 and 'changed=0' in foreign_unlock.stdout, foreign_unlock
    foreign_lock = runner.run('config_lock/lock_only.yml', env=env)
    assert foreign_lock.returncode != 0 and 'held by another user or session' in foreign_lock.stdout, foreign_lock
    assert switched.sbc_lock_state('sbc1')['holder']['kind'] == 'gui'
    assert switched.stats('sbc1')['by_route'].get(LOCK) == 1


@pytest.mark.parametrize('relock', ['204', '423'])
def test_relock_answer_does_not_matter_to_a_run_that_holds_the_lock(switched, tmp_path, relock):
    switched.reset()
    switched.set_switches({'sbc.relock_same_token': relock}, instance='sbc2')
    runner = PlaybookRunner(switched, tmp_path)
    play = runner.run('config_lock/idempotency.yml', env={'SBC_HOST': switched.sbc_host('sbc2')})
    assert play.returncode == 0, play
    # the release of nothing sends no lock to learn that the lock is free
    assert [event['event'] for event in switched.audit('sbc2')] == ['grant', 'release']


BAD_INPUTS = {
    # name: (extra vars, environment overrides, fault to arm, reason, words the message must carry)
    'empty host': ({}, {'SBC_HOST': ''}, None, 'bad_input', 'host is not set'),
    'plain http scheme': ({'sbc_host': 'http://127.0.0.1:80'}, {}, None, 'bad_input', 'HTTPS only'),
    'unresolvable host': ({'sbc_host': 'sbc.does-not-exist.invalid'}, {}, None, 'network', 'cannot resolve host'),
    'refused connection': ({'sbc_host': '127.0.0.1:1'}, {}, None, 'network', 'refused'),
    'wrong password': ({'sbc_password': 'not-the-password'}, {}, None, 'auth_failed', 'check username and password'),
    'not an administrator': ({'sbc_username': 'operator', 'sbc_password': 'operator-secret'}, {}, None, 'forbidden',
                             'administrator rights'),
    'unknown api version': ({'sbc_api_version': 'v9.9'}, {}, None, 'api_version', 'api_version'),
    'untrusted certificate': ({}, {'SBC_CA_PATH': None}, None, 'tls', 'not trusted'),
    'wrong CA file': ({'sbc_ca_path': '/etc/ssl/certs/ca-certificates.crt'}, {}, None, 'tls', 'not trusted'),
    'missing CA file': ({'sbc_ca_path': '/nonexistent/ca.pem'}, {}, None, 'bad_input', 'ca_path'),
    'html 502 page': ({}, {}, {'path': '*/auth/token', 'kind': 'html502', 'count': 0}, 'server_error', 'HTML page'),
    'empty body': ({}, {}, {'path': '*/auth/token', 'kind': 'empty200', 'count': 0}, 'bad_response', 'empty body'),
    'timeout': ({'sbc_timeout': 1}, {}, {'path': '*/auth/token', 'kind': 'latency', 'delay': 2.5, 'count': 0}, 'network',
                'no answer'),
    'connection dropped on lock': ({}, {}, {'path': '*/configuration/lock', 'kind': 'drop', 'count': 0}, 'network',
                                   'closed the connection'),
}


@pytest.mark.parametrize('case', sorted(BAD_INPUTS))
def test_bad_input_gives_one_actionable_line_and_leaves_nothing_locked(ansible, emulator, case):
    extra_vars, env, fault, reason, words = BAD_INPUTS[case]
    if fault:
        emulator.arm_fault(instance='sbc1', method='POST', **fault)
    play = ansible.run('config_lock/lock_only.yml', extra_vars=extra_vars, env=env, timeout=120)
    emulator.clear_faults()
    assert play.returncode != 0, play
    failure = [line for line in play.stdout.splitlines() if line.startswith('fatal: [localhost]: FAILED! => ')]
    assert len(failure) == 1, play
    result = json.loads(failure[0].split('=> ', 1)[1])
    assert result['reason'] == reason, result
    assert words in result['msg'] and '\n' not in result['msg'], result
    assert 'Traceback' not in play.output and 'admin-secret-1' not in play.output
    assert not emulator.sbc_lock_state()['held'] and not leases(ansible)


def test_plain_http_port_is_named_as_such(ansible, switched):
    plain = switched.urls['sbc_http']['sbc1'].split('://', 1)[1]
    play = ansible.run('config_lock/lock_only.yml', extra_vars={'sbc_host': plain})
    assert play.returncode != 0 and '"reason": "tls"' in play.stdout and 'plain HTTP' in play.stdout, play


def test_validate_certs_false_means_it_even_with_requests_ca_bundle_set(ansible, emulator):
    env = {'SBC_CA_PATH': None, 'REQUESTS_CA_BUNDLE': '/etc/ssl/certs/ca-certificates.crt', 'CURL_CA_BUNDLE': '/etc/ssl/certs/ca-certificates.crt'}
    taken = ansible.run('config_lock/lock_only.yml', extra_vars={'sbc_validate_certs': False}, env=env)
    assert taken.returncode == 0, taken
    given = ansible.run('config_lock/lock_only.yml', extra_vars={'sbc_validate_certs': False, 'lock_state': 'unlocked'}, env=env)
    assert given.returncode == 0, given
    events = emulator.audit('sbc1')
    assert_never_two_holders(events)
    # the first run's keeper may have given the lock back before the second run asked; that one then learns
    # that the lock is free by taking it for an instant
    assert [event['event'] for event in events] in (['grant', 'release'], ['grant', 'release', 'grant', 'release'])


def test_ca_path_means_it_even_with_requests_ca_bundle_set(ansible, emulator):
    play = ansible.run('config_lock/idempotency.yml', env={'REQUESTS_CA_BUNDLE': '/etc/ssl/certs/ca-certificates.crt'})
    assert play.returncode == 0, play


def test_without_ca_path_the_trust_store_is_openssls_not_certifi_nor_requests_ca_bundle(ansible, emulator, tmp_path):
    """validate_certs without ca_path trusts what OpenSSL trusts (SSL_CERT_FILE here): REQUESTS_CA_BUNDLE takes no part."""
    bundle = '/etc/ssl/certs/ca-certificates.crt'
    trusted = {'SBC_CA_PATH': None, 'SSL_CERT_FILE': emulator.ca_cert, 'SSL_CERT_DIR': str(tmp_path), 'REQUESTS_CA_BUNDLE': bundle}
    play = ansible.run('config_lock/idempotency.yml', env=trusted)
    assert play.returncode == 0, play
    # the other way round: the CA in REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE only, the system trust store without it
    untrusted = {'SBC_CA_PATH': None, 'SSL_CERT_FILE': bundle, 'REQUESTS_CA_BUNDLE': emulator.ca_cert, 'CURL_CA_BUNDLE': emulator.ca_cert}
    events = len(emulator.audit('sbc1'))
    play = ansible.run('config_lock/lock_only.yml', env=untrusted)
    assert play.returncode != 0 and '"reason": "tls"' in play.stdout and 'not trusted' in play.stdout, play
    assert len(emulator.audit('sbc1')) == events and not emulator.sbc_lock_state()['held']


def test_no_secret_in_the_output_at_vvv(ansible, emulator):
    runs = [ansible.run('config_lock/idempotency.yml', verbosity=3, diff=True),
            ansible.run('config_lock/check_mode.yml', verbosity=4),
            ansible.run('config_lock/lock_only.yml', verbosity=3, extra_vars={'sbc_password': 'wrong-password-xyz'})]
    assert runs[0].returncode == 0 and runs[1].returncode == 0 and runs[2].returncode != 0
    secrets = ['admin-secret-1', 'wrong-password-xyz'] + emulator.secrets()['tokens']
    assert len(secrets) > 4
    for play in runs:
        assert_no_secret(play.output, secrets)


def test_leases_are_private_while_held(ansible, emulator):
    ansible.release_on_exit = False  # the lock outlives the run, for the next run to adopt
    play = ansible.run('config_lock/lock_only.yml')
    assert play.returncode == 0, play
    [lease] = leases(ansible)
    assert stat.S_IMODE(os.stat(lease).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ansible.lease_dir).st_mode) == 0o700
    # the run that took it is gone: the next run adopts it and can give it back
    given = ansible.run('config_lock/lock_only.yml', extra_vars={'lock_state': 'unlocked'})
    assert given.returncode == 0 and 'changed=1' in given.stdout, given
    assert not leases(ansible) and not emulator.sbc_lock_state()['held']
