"""A task that waits for a held lock says so while it waits: on the console and in ansible-runner's events."""

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.integration.ansible_runner_util import BIN, PLAYBOOKS, PlaybookRunner, assert_no_secret

pytestmark = pytest.mark.integration


def waiting_lines(text):
    return [line for line in text.splitlines() if line.startswith('WAITING: [localhost]: config_lock: waiting for the configuration lock')]


def test_a_twelve_second_wait_shows_progress_on_stdout_and_in_runner_events(emulator, tmp_path):
    emulator.control('POST', '/sbc/sbc1/lock', json={'kind': 'gui', 'user': 'webuser'})
    runner = PlaybookRunner(emulator, tmp_path)

    play = runner.run('config_lock/lock_only.yml', extra_vars={'wait_seconds': 12})
    assert play.returncode != 0 and '"reason": "lock_held"' in play.stdout, play
    lines = waiting_lines(play.stdout)
    # after 5 s (the first pause that begins past 5 s: 5 to 7 s on a loaded machine), then every 20 s: one line in a
    # 12 s wait, saying who holds it and how long of how long
    assert len(lines) == 1 and re.search(r'held by another user or session; waited [5-7] s of 12 s\Z', lines[0]), play
    assert_no_secret(play.output, ['admin-secret-1'] + emulator.secrets()['tokens'])

    root = tmp_path / 'pdd'
    (root / 'project').mkdir(parents=True)
    shutil.copy(str(PLAYBOOKS / 'config_lock' / 'lock_only.yml'), str(root / 'project' / 'lock_only.yml'))
    (root / 'inventory').mkdir()
    (root / 'inventory' / 'hosts').write_text('localhost ansible_connection=local\n', encoding='utf-8')
    (root / 'env').mkdir()
    env = runner.env()
    (root / 'env' / 'envvars').write_text(yaml.safe_dump(dict((name, env[name]) for name in env
                                                              if name.startswith(('ANSIBLE_', 'SBC_', 'ORACLE_COMMS_')))))
    (root / 'env' / 'extravars').write_text(yaml.safe_dump({'wait_seconds': 12}))
    done = subprocess.run([str(BIN / 'ansible-runner'), 'run', str(root), '-p', 'lock_only.yml', '--ident', 'wait', '-v'],
                          env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120, check=False)
    events = [json.loads(path.read_text(encoding='utf-8')) for path in (root / 'artifacts' / 'wait' / 'job_events').glob('*.json')]
    shown = [event for event in events if waiting_lines(event.get('stdout', ''))]
    assert shown, done.stdout.decode('utf-8', 'replace')[-3000:]
    # what AWX shows and keeps: the events and the job's stdout (the env/ files are this test's own input)
    shown_text = json.dumps(events) + (root / 'artifacts' / 'wait' / 'stdout').read_text(encoding='utf-8', errors='replace')
    assert_no_secret(shown_text, ['admin-secret-1'] + emulator.secrets()['tokens'])
