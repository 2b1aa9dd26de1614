"""The lease directory against hostile and odd conditions, in real plays (the unit tests in
tests/unit/plugins/module_utils/test_lease.py cover each file operation, as root and as nobody)."""

import json
import os
import re
import stat

import pytest

from tests.integration.ansible_runner_util import PlaybookRunner, assert_no_secret

pytestmark = pytest.mark.integration


def lock_only(runner, lease_dir=None, state='locked'):
    env = {'ORACLE_COMMS_LEASE_DIR': str(lease_dir)} if lease_dir else None
    return runner.run('config_lock/lock_only.yml', extra_vars={'lock_state': state}, env=env, verbosity=1)


def reason_of(play):
    found = re.search(r'"reason": "([a-z_]+)"', play.stdout)
    return found.group(1) if found else None


def test_a_directory_others_can_write_is_refused_untouched_and_nothing_is_locked(emulator, tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    play = lock_only(PlaybookRunner(emulator, tmp_path), shared)
    assert play.returncode != 0 and reason_of(play) == 'lease_error', play
    assert 'others can write to it (mode 1777)' in play.stdout
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o1777 and os.listdir(str(shared)) == []
    assert emulator.stats('sbc1')['total'] == 0 and not emulator.sbc_lock_state()['held']


def test_a_symbolic_link_as_the_lease_directory_is_refused(emulator, tmp_path):
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    link = tmp_path / 'link'
    link.symlink_to(real)
    play = lock_only(PlaybookRunner(emulator, tmp_path), link)
    assert play.returncode != 0 and reason_of(play) == 'lease_error' and 'symbolic link' in play.stdout, play
    assert os.listdir(str(real)) == [] and emulator.stats('sbc1')['total'] == 0


def test_planted_links_are_not_followed_and_the_token_goes_nowhere_else(emulator, tmp_path):
    # no keeper: the test reads the lease a run left, which a keeper would give back as soon as the run ended
    runner = PlaybookRunner(emulator, tmp_path, release_on_exit=False)
    first = lock_only(runner)  # creates the directory and learns the lease's name
    assert first.returncode == 0, first
    lease = next(runner.lease_dir.glob('*.json'))
    release = lock_only(runner, state='unlocked')
    assert release.returncode == 0, release
    victim = tmp_path / 'victim'
    victim.write_text('untouched')
    for name in (lease.name, 'keeper.log', lease.name[:-len('.json')] + '.flock'):
        target = runner.lease_dir / name
        if target.exists() or target.is_symlink():
            target.unlink()
        target.symlink_to(victim)
    play = lock_only(runner)
    # the .flock link is refused before anything is taken: nothing is locked, and nothing is written through a link
    assert play.returncode != 0 and reason_of(play) == 'lease_error', play
    assert victim.read_text() == 'untouched'
    assert not emulator.sbc_lock_state()['held']
    assert_no_secret(play.output, ['admin-secret-1'] + emulator.secrets()['tokens'])


@pytest.mark.parametrize('content', ['null', '[]', '{"format": 2, "expires_at": "soon"}'])
def test_an_odd_lease_file_is_set_aside_and_the_play_goes_on(emulator, tmp_path, content):
    # no keeper: the test reads the lease a run left, which a keeper would give back as soon as the run ended
    runner = PlaybookRunner(emulator, tmp_path, release_on_exit=False)
    first = lock_only(runner)
    assert first.returncode == 0, first
    lease = next(runner.lease_dir.glob('*.json'))
    assert lock_only(runner, state='unlocked').returncode == 0
    lease.write_text(content)
    play = lock_only(runner)
    assert play.returncode == 0, play
    assert 'was not a valid lease' in play.output and 'set aside' in play.output
    assert json.loads(lease.read_text())['format'] == 2 and list(runner.lease_dir.glob('*.json.corrupt-*'))
    assert lock_only(runner, state='unlocked').returncode == 0
