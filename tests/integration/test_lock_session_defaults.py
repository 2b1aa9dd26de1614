"""Where lock_session's module options come from: module_defaults, its own variables, the environment.

The role passes the modules only the options its variables set, so that module_defaults for the groups
``group/oracle_comms.provisioning.sbc`` / ``.sdm`` and the SBC_* / SDM_* environment fill the rest, as for a
bare config_lock or device_lock task. Each play runs against an emulator of two SBCs and two SDMs, so that
the audit log shows which source won; none may draw a deprecation or an "unsafe args" warning from ansible-core.
"""

import json
import os
import re
import signal

import pytest

from emulator_harness import assert_never_two_holders, start_emulator
from tests.integration.ansible_runner_util import PlaybookRunner, assert_no_secret
from tests.integration.test_lock_session import assert_clean, keepers, wait_until

PLAY = 'lock_session/module_defaults.yml'
NO_SBC_ENV = {'SBC_HOST': None, 'SBC_USERNAME': None, 'SBC_PASSWORD': None, 'SBC_CA_PATH': None}
NO_SDM_ENV = {'SDM_HOST': None, 'SDM_USERNAME': None, 'SDM_PASSWORD': None, 'SDM_CA_PATH': None}
SBC_PASSWORDS = {'admin': 'admin-secret-1', 'admin2': 'admin-secret-2'}
SDM_PASSWORDS = {'prov1': 'prov1-secret', 'prov2': 'prov2-secret'}


@pytest.fixture(scope='module')
def pair(tmp_path_factory):
    """Two SBCs and two SDMs: a play that reaches the wrong one shows in the other's audit log."""
    with start_emulator(tmp_path_factory.mktemp('pair'), '--sbc-instances', '2', '--sdm-instances', '2') as emu:
        yield emu


@pytest.fixture
def emu(pair):
    pair.reset()
    return pair


def sbc_defaults(emu, instance='sbc1', user='admin', **more):
    return dict({'host': emu.sbc_host(instance), 'username': user, 'password': SBC_PASSWORDS[user], 'ca_path': emu.ca_cert}, **more)


def sdm_defaults(emu, instance='sdm1', user='prov2', **more):
    return dict({'host': emu.sdm_host(instance), 'username': user, 'password': SDM_PASSWORDS[user], 'ca_path': emu.ca_cert}, **more)


def run(runner, emu, env=None, **extra_vars):
    extra_vars.setdefault('emulator_ca', emu.ca_cert)
    for name in ('md_sbc', 'md_sdm', 'role_vars'):
        extra_vars.setdefault(name, {})
    play = runner.run(PLAY, extra_vars=extra_vars, env=env)
    # ansible-core has nothing to say about how the role passes the options (the modules' own warnings may stand)
    warnings = [line for line in play.output.splitlines() if 'WARNING' in line]
    assert not [line for line in warnings if re.search(r'DEPRECATION|unsafe|args|module_defaults|omit', line, re.I)], play
    return play


def holders(emu, instance):
    """[(event, resource, user)] of one instance's audit log."""
    return [(event['event'], event['resource'], event['holder']['user']) for event in emu.audit(instance)]


# --------------------------------------------------------------------------------------------- module_defaults only

def test_sbc_from_module_defaults_only(emu, tmp_path):
    """No SBC_* environment and no role variable: the group's module_defaults reach the role's lock tasks."""
    runner = PlaybookRunner(emu, tmp_path)
    play = run(runner, emu, env=NO_SBC_ENV, md_sbc=sbc_defaults(emu, 'sbc2', 'admin2'), bare_task=True)
    assert play.returncode == 0, play
    assert holders(emu, 'sbc2')[:2] == [('grant', 'configuration', 'admin2'), ('release', 'configuration', 'admin2')]
    assert emu.stats('sbc1')['total'] == 0
    # the bare task after the role found the same module_defaults (it ran, on sbc2, as admin2)
    assert re.search(r'TASK \[A bare config_lock task[^\n]*\n(?:[^\n]*\n)*?ok: \[localhost\]', play.stdout), play
    assert {user for _event, _resource, user in holders(emu, 'sbc2')} == {'admin2'}
    assert_no_secret(play.output, list(SBC_PASSWORDS.values()) + emu.secrets()['tokens'])
    assert_clean(emu, [runner], instances=('sbc1', 'sbc2'))


def test_sdm_from_module_defaults_only(emu, tmp_path):
    """No SDM_* environment: host, user and password of the SDM group's module_defaults; the devices from the role."""
    runner = PlaybookRunner(emu, tmp_path)
    play = run(runner, emu, env=NO_SDM_ENV, target='sdm', md_sdm=sdm_defaults(emu, 'sdm2'), role_vars={'device_ids': ['ID3']})
    assert play.returncode == 0, play
    assert holders(emu, 'sdm2') == [('grant', 'device:ID3', 'prov2'), ('release', 'device:ID3', 'prov2')]
    assert emu.audit('sdm1') == []
    assert emu.sdm_locks('sdm2') == {} and emu.sdm_sessions('sdm2') == []
    assert_no_secret(play.output, list(SDM_PASSWORDS.values()) + emu.secrets()['sessions'])


def test_sdm_devices_from_module_defaults(emu, tmp_path):
    """Even which devices to lock may come from module_defaults: the role passes no device option it was not given."""
    runner = PlaybookRunner(emu, tmp_path)
    play = run(runner, emu, env=NO_SDM_ENV, target='sdm', md_sdm=sdm_defaults(emu, device_id=['ID1', 'ID2']))
    assert play.returncode == 0, play
    assert sorted(holders(emu, 'sdm1')) == [('grant', 'device:ID1', 'prov2'), ('grant', 'device:ID2', 'prov2'),
                                            ('release', 'device:ID1', 'prov2'), ('release', 'device:ID2', 'prov2')]


def test_lock_options_from_module_defaults(emu, tmp_path):
    """wait_timeout and lease_dir of module_defaults reach the role too: it waits, and keeps its lease there."""
    runner = PlaybookRunner(emu, tmp_path)
    lease_dir = tmp_path / 'leases-from-module-defaults'
    emu.control('POST', '/sbc/sbc1/lock', json={'kind': 'acli', 'user': 'craft'})
    busy = run(runner, emu, env=NO_SBC_ENV, md_sbc=sbc_defaults(emu, wait_timeout=1.5, lease_dir=str(lease_dir)))
    assert busy.returncode != 0, busy
    waited = json.loads(re.search(r'"waited": ([0-9.]+)', busy.stdout).group(1))
    attempts = json.loads(re.search(r'"attempts": ([0-9]+)', busy.stdout).group(1))
    # it waited (without wait_timeout it asks once and waits nothing); how long it slept between tries is what the
    # 1.5 s left after talking to the SBC, which a loaded machine shortens, so it is not compared with a number
    assert waited > 0 and attempts >= 2, busy
    emu.control('POST', '/sbc/sbc1/release')
    play = run(runner, emu, env=NO_SBC_ENV, md_sbc=sbc_defaults(emu, lease_dir=str(lease_dir)), lease_check=str(lease_dir))
    assert play.returncode == 0, play
    assert not list(lease_dir.glob('*.json')) and not list(runner.lease_dir.glob('*.json'))
    assert [event['event'] for event in emu.audit('sbc1')] == ['grant', 'release', 'grant', 'release']


@pytest.mark.parametrize('source', ['module_defaults', 'environment'])
def test_release_on_exit_from_module_defaults_or_environment(emu, tmp_path, source):
    """release_on_exit=false from module_defaults or ORACLE_COMMS_RELEASE_ON_EXIT: a killed run leaves the lock. The keeper
    still watches the run (it renews the SBC token), and when the run is gone it leaves, giving nothing back."""
    runner = PlaybookRunner(emu, tmp_path)
    marker = tmp_path / 'started'
    env = dict(NO_SBC_ENV, ORACLE_COMMS_RELEASE_ON_EXIT='false' if source == 'environment' else None)
    md_sbc = sbc_defaults(emu, **({'release_on_exit': False} if source == 'module_defaults' else {}))
    process = runner.start(PLAY, env=env, extra_vars={'work': 'hold', 'marker': str(marker), 'hold_seconds': 120, 'md_sbc': md_sbc,
                                                      'md_sdm': {}, 'role_vars': {}, 'emulator_ca': emu.ca_cert})
    try:
        assert wait_until(marker.exists, 90), runner.finish(process, timeout=5)
        assert emu.sbc_lock_state()['held'] and len(keepers(runner.lease_dir)) == 1
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        runner.finish(process, timeout=30)
    assert wait_until(lambda: keepers(runner.lease_dir) == [], 60)
    # nobody gives it back: it stays held (until the token expires), as the option asks
    assert emu.sbc_lock_state()['held'] and [event['event'] for event in emu.audit('sbc1')] == ['grant']
    assert 'release_on_exit is off' in (runner.lease_dir / 'keeper.log').read_text()
    emu.control('POST', '/sbc/sbc1/release')


# --------------------------------------------------------------------------------------------- role variables

def test_role_variables_alone(emu, tmp_path):
    """No module_defaults and no environment: the lock_session_* variables are all it needs, as before."""
    runner = PlaybookRunner(emu, tmp_path)
    play = run(runner, emu, env=NO_SBC_ENV, role_vars=sbc_defaults(emu, 'sbc2', 'admin2'))
    assert play.returncode == 0, play
    assert holders(emu, 'sbc2') == [('grant', 'configuration', 'admin2'), ('release', 'configuration', 'admin2')]


def test_role_variables_win_over_module_defaults_option_by_option(emu, tmp_path):
    """Each option from the first source that sets it: role variable, then module_defaults, then the environment."""
    runner = PlaybookRunner(emu, tmp_path)
    # the environment names sbc1 and admin; module_defaults sbc2 (and the CA); the role admin2 and its password
    env = {'SBC_HOST': emu.sbc_host('sbc1'), 'SBC_CA_PATH': None}
    play = run(runner, emu, env=env, md_sbc={'host': emu.sbc_host('sbc2'), 'username': 'admin', 'ca_path': emu.ca_cert},
               role_vars={'username': 'admin2', 'password': SBC_PASSWORDS['admin2']})
    assert play.returncode == 0, play
    assert holders(emu, 'sbc2') == [('grant', 'configuration', 'admin2'), ('release', 'configuration', 'admin2')]
    assert emu.audit('sbc1') == []


def test_sdm_role_variables_win_over_module_defaults(emu, tmp_path):
    """For the SDM too: the role's host and user over the group's module_defaults, the password from module_defaults."""
    runner = PlaybookRunner(emu, tmp_path)
    play = run(runner, emu, env=NO_SDM_ENV, target='sdm', md_sdm=sdm_defaults(emu, 'sdm1', 'prov2'),
               role_vars={'host': emu.sdm_host('sdm2'), 'device_ids': ['ID4']})
    assert play.returncode == 0, play
    assert holders(emu, 'sdm2') == [('grant', 'device:ID4', 'prov2'), ('release', 'device:ID4', 'prov2')]
    assert emu.audit('sdm1') == []


# --------------------------------------------------------------------------------------------- environment only

@pytest.mark.parametrize('target', ['sbc', 'sdm'])
def test_environment_only(emu, tmp_path, target):
    """No module_defaults and no role variable: the SBC_* / SDM_* environment, as for a bare task."""
    runner = PlaybookRunner(emu, tmp_path)
    play = run(runner, emu, target=target, role_vars={'device_ids': ['ID3']} if target == 'sdm' else {})
    assert play.returncode == 0, play
    instance = target + '1'
    resource, user = ('configuration', 'admin') if target == 'sbc' else ('device:ID3', 'prov1')
    assert holders(emu, instance) == [('grant', resource, user), ('release', resource, user)]
    assert_never_two_holders(emu.audit())
