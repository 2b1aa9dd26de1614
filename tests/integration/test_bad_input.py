"""Hostile input in real plays (tests/integration/playbooks/bad_input/): refused as bad_input before a single request.

Each case is one host of one play (its options as host vars, so that values arrive as they are, control
characters and all); the emulator's request counters show what reached a device. docs/hostile-inputs.md
lists every case and what the collection does with it.
"""

import itertools
import json

import pytest

from tests.integration.ansible_runner_util import PlaybookRunner, assert_no_secret, results

pytestmark = pytest.mark.integration

_COUNTER = itertools.count()
FORKS = 8


# --------------------------------------------------------------------------------------------- helpers

def run_cases(runner, playbook, cases):
    """Run ``playbook`` once, one inventory host per case (``{name: host vars}``); return the Play and ``{task: {host: result}}``."""
    path = runner.workdir / ('inventory-%d.json' % next(_COUNTER))
    runner.workdir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({'all': {'hosts': dict((name, dict(host_vars, ansible_connection='local'))
                                                      for name, host_vars in cases.items())}}))
    play = runner.run('bad_input/%s' % playbook, inventory=str(path), verbosity=1, args=['--forks', str(FORKS)], timeout=300)
    return play, results(play)


def assert_refused(play, results, cases, words_of):
    """Every case failed with reason bad_input and a one-line message carrying its words; nothing leaked or crashed."""
    assert set(results) == set(cases), play
    for host, result in results.items():
        assert result['_status'] == 'fatal', (host, result)
        assert result['reason'] == 'bad_input', (host, result)
        msg = result['msg']
        assert msg and '\n' not in msg and len(msg) < 400, (host, msg)
        assert words_of(host) in msg, (host, msg)
    assert 'Traceback' not in play.output and 'internal error' not in play.output
    assert_no_secret(play.output, ['admin-secret-1', 'prov1-secret'])


def assert_no_request(emulator):
    """No device saw a request, nothing was granted, no lease was written."""
    totals = dict((instance, stats['total']) for instance, stats in emulator.stats().items())
    assert not any(totals.values()), totals
    assert emulator.audit() == []


def lease_files(runner):
    return sorted(path.name for path in runner.lease_dir.glob('*.json')) if runner.lease_dir.exists() else []


@pytest.fixture
def runner(emulator, tmp_path):
    """A controller whose lease directory exists (forks do not race to make it) and whose locks outlive a run."""
    runner = PlaybookRunner(emulator, tmp_path, release_on_exit=False)
    runner.lease_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return runner


def hostile_hosts(address, credentials):
    """Host values that must never reach ``address`` (``127.0.0.1:PORT``) or anywhere else: {case: (value, words)}.

    ``credentials`` (``user:password``) go into a URL's user information, as a user might paste them.
    """
    ip, port = address.rsplit(':', 1)
    return {
        'query_before_port': ('%s?:%s' % (ip, port), 'query'),
        'fragment_before_port': ('%s#:%s' % (ip, port), 'fragment'),
        'path': ('%s/rest' % address, 'path'),
        'user_info': ('%s@%s' % (credentials, address), 'user information'),
        'plain_http': ('http://%s' % address, 'HTTPS only'),
        'empty_label': ('a..b', 'empty label'),
        'huge': ('x' * 5000, 'at most 253'),
        'newline_inside': ('%s\n:%s' % (ip, port), 'control'),
        'non_ascii': ('b\u00fccher.example:%s' % port, 'xn--bcher-kva.example'),
        'arabic_digits_port': ('%s:%s' % (ip, ''.join(chr(0x660 + int(d)) for d in port)), 'non-ASCII'),
        'port_0': ('%s:0' % ip, '1 to 65535'),
        'port_too_big': ('%s:65536' % ip, '1 to 65535'),
        'inet_aton_short': ('127.1:%s' % port, 'IPv4'),
        'unclosed_bracket': ('[::1:%s' % port, 'close'),
    }


HOSTILE_API_VERSIONS = {
    'trailing_newline': 'v1.2\n',
    'arabic_digits': 'v\u0661.\u0662',
    'fullwidth_digit': 'v\uff11.2',
    'dot_segments': 'v1.2/../..',
    'query': 'v1.2?x=1',
}

HOSTILE_SECONDS = {
    # case: (option var, value, option named in the message)
    'timeout_nan': ('timeout', 'nan', 'timeout'),
    'timeout_inf': ('timeout', 'inf', 'timeout'),
    'timeout_0': ('timeout', 0, 'timeout'),
    'timeout_negative': ('timeout', -1, 'timeout'),
    'timeout_3601': ('timeout', 3601, 'timeout'),
    'wait_nan': ('wait_seconds', 'nan', 'wait_timeout'),
    'wait_inf': ('wait_seconds', 'inf', 'wait_timeout'),
    'wait_negative': ('wait_seconds', -1, 'wait_timeout'),
    'wait_86401': ('wait_seconds', 86401, 'wait_timeout'),
}

HOSTILE_TOKEN_LIFETIMES = {'lifetime_0': 0, 'lifetime_negative': -5, 'lifetime_half_second': 0.5, 'lifetime_nan': 'nan', 'lifetime_1e300': 1e300}

HOSTILE_DEVICE_IDS = {
    'dot_dot_to_other': 'ID1/../ID2',
    'dot_to_other': './ID2',
    'percent_encoded_other': 'ID%32',
    'to_admin_logout': '../../../../admin/logout',
    'query': 'ID1?x=1',
    'fragment': 'ID1#',
    'dot_dot': '..',
    'space_inside': 'ID1 ID2',
}

HOSTILE_GROUPS = {
    'nf_dot_dot': ({'nf_id': 'ID101/..', 'group_id': 'ID201'}, 'group.nf_id'),
    'group_query': ({'nf_id': 'ID101', 'group_id': 'ID201?x=1'}, 'group.group_id'),
    'group_fragment': ({'nf_id': 'ID101', 'group_id': 'ID201#'}, 'group.group_id'),
}


# --------------------------------------------------------------------------------------------- hosts, versions, numbers

def test_hostile_hosts_are_refused_before_any_request(runner, emulator):
    for playbook, task, var, address, credentials in (
            ('config_lock.yml', 'Configuration lock', 'sbc_host', emulator.sbc_host(), 'admin:admin-secret-1'),
            ('device_lock.yml', 'Device lock', 'sdm_host', emulator.sdm_host(), 'prov1:prov1-secret')):
        cases = hostile_hosts(address, credentials)
        host_vars = dict((name, {var: value, 'device_ids': ['ID1']}) for name, (value, _words) in cases.items())
        play, found = run_cases(runner, playbook, host_vars)
        assert play.returncode != 0, play
        assert_refused(play, found[task], cases, lambda host: cases[host][1])
    assert_no_request(emulator)
    assert lease_files(runner) == []


def test_hostile_api_versions_are_refused_before_any_request(runner, emulator):
    for playbook, var, task in (('config_lock.yml', 'sbc_api_version', 'Configuration lock'),
                                ('device_lock.yml', 'sdm_api_version', 'Device lock')):
        cases = dict((name, {var: value, 'device_ids': ['ID1']}) for name, value in HOSTILE_API_VERSIONS.items())
        play, found = run_cases(runner, playbook, cases)
        assert_refused(play, found[task], cases, lambda host: 'api_version')
    assert_no_request(emulator)


def test_numbers_that_are_not_finite_or_out_of_range_are_refused_before_any_request(runner, emulator):
    for playbook, prefix, task in (('config_lock.yml', 'sbc', 'Configuration lock'), ('device_lock.yml', 'sdm', 'Device lock')):
        cases = dict((name, {(prefix + '_timeout' if var == 'timeout' else var): value, 'device_ids': ['ID1']})
                     for name, (var, value, _option) in HOSTILE_SECONDS.items())
        play, found = run_cases(runner, playbook, cases)
        assert_refused(play, found[task], cases, lambda host: HOSTILE_SECONDS[host][2] + ' must be')
    assert_no_request(emulator)


def test_a_token_lifetime_outside_1_to_86400_seconds_never_takes_the_lock(runner, emulator):
    cases = dict((name, {'token_lifetime': value}) for name, value in HOSTILE_TOKEN_LIFETIMES.items())
    play, found = run_cases(runner, 'config_lock.yml', cases)
    assert_refused(play, found['Configuration lock'], cases, lambda host: 'token_lifetime must be at least 1 and at most 86400')
    assert_no_request(emulator)
    assert not emulator.sbc_lock_state()['held'] and lease_files(runner) == []


# --------------------------------------------------------------------------------------------- SDM ids

def test_hostile_device_and_group_ids_are_refused_before_any_request(runner, emulator):
    """Waits on device_lock calling _options.device_ids_from_params / group_from_params before it signs in."""
    cases = dict(('id_%s' % name, {'device_ids': ['ID1', value]}) for name, value in HOSTILE_DEVICE_IDS.items())
    cases.update(('%s' % name, {'device_group': group}) for name, (group, _option) in HOSTILE_GROUPS.items())
    play, found = run_cases(runner, 'device_lock.yml', cases)
    assert_refused(play, found['Device lock'], cases,
                   lambda host: 'device_id item 2' if host.startswith('id_') else HOSTILE_GROUPS[host][1])
    assert_no_request(emulator)
    assert lease_files(runner) == []


def test_an_id_that_reaches_the_sdm_stays_in_its_path_segment_and_touches_no_other_device(runner, emulator):
    """Whatever else happens to a hostile id, no device but the one it names is locked, and no other URL is called."""
    cases = dict((name, {'device_ids': [value]}) for name, value in HOSTILE_DEVICE_IDS.items())
    cases.update((name, {'device_group': group}) for name, (group, _option) in HOSTILE_GROUPS.items())
    play, found = run_cases(runner, 'device_lock.yml', cases)
    assert play.returncode != 0, play
    for host, result in found['Device lock'].items():
        assert result['_status'] == 'fatal' and result['reason'] in ('bad_input', 'not_found'), (host, result)
    assert 'Traceback' not in play.output
    assert emulator.audit() == [] and emulator.sdm_locks() == {}
    routes = set(emulator.stats('sdm1')['by_route'])
    allowed = {'POST /rest/{v}/admin/login', 'POST /rest/{v}/admin/logout', 'GET /rest/{v}/inventory/deviceMgmt/devices',
               'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'}
    assert routes <= allowed, routes  # never /rest/admin/logout/action, never an unmatched route
    assert lease_files(runner) == []


# --------------------------------------------------------------------------------------------- one device, one name

def test_two_spellings_of_one_device_are_one_lease(runner, emulator):
    sbc_port, sdm_port = emulator.sbc_host().rsplit(':', 1)[1], emulator.sdm_host().rsplit(':', 1)[1]

    def run(state, spelling):
        host_vars = {'lock_state': state, 'sbc_host': '%s:%s' % (spelling, sbc_port), 'sdm_host': '%s:%s' % (spelling, sdm_port)}
        play, found = run_cases(runner, 'both.yml', {'controller': host_vars})
        assert play.returncode == 0, play
        return found

    first = run('locked', 'LOCALHOST')
    leases = lease_files(runner)
    assert len(leases) == 2 and all('localhost' in name for name in leases), leases
    assert first['Configuration lock']['controller']['lease_file'].endswith(tuple(leases))
    # the next run spells the devices another way: the same leases, found and kept, nothing sent for them
    second = run('locked', 'localhost')
    assert lease_files(runner) == leases
    assert second['Configuration lock']['controller']['lease_file'] == first['Configuration lock']['controller']['lease_file']
    assert [event['event'] for event in emulator.audit()] == ['grant', 'grant']
    run('unlocked', 'LocalHost.')
    assert lease_files(runner) == []
    assert [event['event'] for event in emulator.audit()] == ['grant', 'grant', 'release', 'release']
    assert not emulator.sbc_lock_state()['held'] and emulator.sdm_locks() == {}
