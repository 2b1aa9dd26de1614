"""The transport in real plays against the emulator: the timeout bounds a task against a device that drips its answer,
and validate_certs: false prints no Python warning (tests/integration/playbooks/transport/)."""

import json
import re

import pytest

pytestmark = pytest.mark.integration


def reported(play):
    """The TRANSPORT line of playbooks/transport/timed_lock.yml: reason, msg and seconds of the failed lock task."""
    lines = [line for line in play.stdout.splitlines() if '"msg": "TRANSPORT ' in line]
    assert len(lines) == 1, play
    return json.loads(json.loads('{%s}' % lines[0].strip())['msg'].split(' ', 1)[1])


def test_timeout_bounds_a_task_against_an_sbc_that_drips_its_answers(ansible, emulator):
    # a byte every 0.25 s: each read is quick, but an answer of a few hundred bytes takes minutes
    emulator.arm_fault(instance='sbc1', path='*', kind='drip', bytes=1, delay=0.25, count=0)
    play = ansible.run('transport/timed_lock.yml', extra_vars={'sbc_timeout': 3})
    emulator.clear_faults()
    assert play.returncode == 0, play  # the rescue ran
    failure = reported(play)
    assert failure['reason'] == 'network', failure
    assert failure['msg'].startswith('no complete answer from %s within 3 s; ' % emulator.sbc_host()), failure
    assert failure['seconds'] < 3 * 3 + 5, failure  # an upper bound with room for a loaded machine, not a benchmark
    assert emulator.stats('sbc1')['total'] == 1  # no retry once the time was up
    assert not emulator.sbc_lock_state()['held']


@pytest.mark.parametrize('verbosity', [1, 3])
def test_validate_certs_false_prints_no_python_warning_at_any_verbosity(ansible, emulator, verbosity):
    play = ansible.run('transport/lock_and_release.yml', extra_vars={'sbc_validate_certs': False}, env={'SBC_CA_PATH': None},
                       verbosity=verbosity)
    assert play.returncode == 0, play
    assert [event['event'] for event in emulator.audit('sbc1')] == ['grant', 'release']
    assert 'InsecureRequestWarning' not in play.output and 'Unverified HTTPS request' not in play.output, play
    assert not re.search(r'\b\w*Warning\b', play.output), play  # nor any other warning of Python
