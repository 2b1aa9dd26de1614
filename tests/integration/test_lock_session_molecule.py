"""Molecule's own sequence for the lock_session role (syntax, converge, idempotence, verify), with no container engine."""

import os
import subprocess
import sys

from tests.collection_path import REPO_ROOT
from tests.integration.ansible_runner_util import PlaybookRunner
from tests.integration.test_lock_session import assert_clean


def test_molecule_converge_idempotence_verify(emulator, tmp_path):
    runner = PlaybookRunner(emulator, tmp_path)
    env = runner.env(MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / 'molecule'), MOLECULE_NO_LOG='false',
                     ANSIBLE_STDOUT_CALLBACK='default')
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'molecule'), 'test', '-s', 'lock_session'],
                          cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, check=False)
    output = done.stdout.decode('utf-8', 'replace')
    assert done.returncode == 0, output[-6000:]
    for step in ('converge', 'idempotence', 'verify'):
        assert 'lock_session > %s: Executed: Successful' % step in output, output[-3000:]
    # converge then the idempotence run: each session takes and gives back both locks once
    events = [(event['instance'], event['event']) for event in emulator.audit()]
    assert events.count(('sbc1', 'grant')) == 2 and events.count(('sbc1', 'release')) == 2, events
    assert emulator.stats('sbc1')['by_route']['POST /rest/{v}/configuration/configElements'] == 1  # added once
    assert_clean(emulator, [runner])
