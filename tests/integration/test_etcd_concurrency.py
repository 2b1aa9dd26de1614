"""Many plays at once on four controllers (own host names, own lease directories), one SDM account, one etcd.

Twenty real plays started together, spread over the controllers: on overlapping sets of devices taken in
different orders (cycles included), and on the configuration lock of one SBC. Every play must finish (no
deadlock, nobody gives up), no two of them may ever work on one device together (a shared journal and a
read-then-write counter per device, which loses a count if they do), and the emulator's audit log must never
show two holders. Wall time, hand-overs and waits are reported, not asserted. And the case those crowds found: a
take of several devices that holds the first and waits for the last longer than a lock task's own liveness lasts.
"""

import collections
import json
import statistics
import time

import pytest

from tests.collection_path import ensure_collections_root
from tests.emulator_harness import assert_never_two_holders
from tests.integration.ansible_runner_util import Background
from tests.integration.test_etcd import TTL, controllers, etcd, etcd_leases, report, wait_for_file, wait_until  # noqa: F401 pylint: disable=unused-import

ensure_collections_root()
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd import START_GRACE  # noqa: E402 pylint: disable=wrong-import-position

PLAYS = 20
NAMES = ('ctl-a', 'ctl-b', 'ctl-c', 'ctl-d')
# Every pair of ID1..ID3 in both orders (so the pairs form cycles both ways), all three in several orders, and
# singles: any lock order but a canonical one would deadlock here.
DEVICE_SETS = [
    ['ID1', 'ID2'], ['ID2', 'ID3'], ['ID3', 'ID1'],
    ['ID2', 'ID1'], ['ID3', 'ID2'], ['ID1', 'ID3'],
    ['ID1', 'ID2', 'ID3'], ['ID3', 'ID2', 'ID1'], ['ID2', 'ID3', 'ID1'], ['ID1', 'ID3', 'ID2'],
    ['ID1'], ['ID2'], ['ID3'],
    ['ID1', 'ID2'], ['ID2', 'ID3'], ['ID3', 'ID1'],
    ['ID3', 'ID1', 'ID2'], ['ID2', 'ID1', 'ID3'],
    ['ID2'], ['ID1', 'ID3'],
]
# Twenty ansible-playbook processes on two busy cores take minutes (a take waits up to five); a deadlock would end in
# a give-up after WAIT_SECONDS, and a play that hangs is killed at FINISH_WITHIN, well inside the test's timeout
WAIT_SECONDS = 600
FINISH_WITHIN = 900


def _crowd(emulator, tmp_path, etcd_server, playbook, per_play_vars):
    """Start one play per entry of ``per_play_vars`` at once, round robin over four controllers; collect them all.

    Returns (wall seconds, plays); keeps each play's output in ``tmp_path/plays/<player>.out`` and the audit log in
    ``tmp_path/audit.json``.
    """
    ctls = controllers(emulator, tmp_path, etcd_server, *NAMES)
    for ctl in ctls:
        # each ansible-playbook polls its workers every millisecond by default: forty of them waiting at once would
        # keep two cores busy doing that alone, and slow the one play that works
        ctl.lease_env['ANSIBLE_INTERNAL_POLL_INTERVAL'] = '0.05'
    shared = dict(journal=str(tmp_path / 'journal'), counters=str(tmp_path / 'counters'), waits=str(tmp_path / 'waits'),
                  wait_seconds=WAIT_SECONDS)
    began = time.monotonic()
    started = []
    try:
        for index, extra in enumerate(per_play_vars):
            started.append(Background(ctls[index % len(ctls)], playbook, verbosity=0,
                                      extra_vars=dict(shared, player='p%d' % index, **extra)))
    finally:
        deadline = time.monotonic() + FINISH_WITHIN
        plays = [play.finish(timeout=max(1.0, deadline - time.monotonic())) for play in started]
    wall = time.monotonic() - began
    (tmp_path / 'audit.json').write_text(json.dumps(emulator.audit(), indent=1))
    out = tmp_path / 'plays'
    out.mkdir()
    for index, play in enumerate(plays):
        (out / ('p%d.out' % index)).write_text('%s\n--- stdout\n%s\n--- stderr\n%s' % (play.args, play.stdout, play.stderr))
    return wall, plays


def _assert_all_finished(plays, tmp_path):
    failed = ['p%d (rc %s)' % (index, play.returncode) for index, play in enumerate(plays) if play.returncode != 0]
    assert not failed, 'plays that did not finish well (a deadlock, a give-up or an error; outputs in %s): %s\n%r' % (
        tmp_path / 'plays', failed, next(play for play in plays if play.returncode != 0))


def _assert_never_together(journal):
    """Replay the journal's ``+ device player`` / ``- device player`` lines; fail if two players ever overlap on one.

    Returns how many pieces of work each device saw.
    """
    working, done = {}, collections.Counter()
    for line in journal.read_text().splitlines():
        sign, device, player = line.split()
        if sign == '+':
            assert device not in working, '%s started on %s while %s worked on it' % (player, device, working[device])
            working[device] = player
        else:
            assert working.pop(device, None) == player, '%s ended work on %s it had not started' % (player, device)
            done[device] += 1
    assert not working, 'work never ended: %s' % working
    return done


def _counters(tmp_path, resources):
    counters = tmp_path / 'counters'
    counters.mkdir()
    for resource in resources:
        (counters / resource).write_text('0\n')
    return counters


def _grants_released_by_their_holder(events):
    """Assert that, per resource, each grant is followed by its release by the same holder; return the gaps (s)
    from each release to the next grant of that resource (a hand-over each)."""
    by_resource = collections.defaultdict(list)
    for event in events:
        by_resource[(event['instance'], event['resource'])].append(event)
    gaps = []
    for resource, seen in by_resource.items():
        assert [event['event'] for event in seen] == ['grant', 'release'] * (len(seen) // 2) and len(seen) % 2 == 0, (resource, seen)
        for grant, release in zip(seen[0::2], seen[1::2]):
            assert release['holder'] == grant['holder'], 'released by another holder than took it: %r, %r' % (grant, release)
        gaps += [later['ts'] - earlier['ts'] for earlier, later in zip(seen[1::2], seen[2::2])]
    return gaps


def _waits(tmp_path):
    """``{player: (seconds waited, attempts)}`` as each play noted them."""
    noted = {}
    for line in (tmp_path / 'waits').read_text().splitlines():
        player, waited, attempts = line.split()
        noted[player] = (float(waited), int(attempts))
    return noted


def _report(tmp_path, what, wall, gaps, waits):
    waited = [seconds for seconds, _attempts in waits.values() if seconds > 0]
    figures = [wall, len(gaps), len(waited), sum(waited), statistics.median(gaps) if gaps else 0.0, max(gaps) if gaps else 0.0]
    report(tmp_path, what + ': wall s, hand-overs, plays that waited, s waited in all, median and max release-to-grant s', figures)


@pytest.mark.timeout(1500)
def test_twenty_plays_on_four_controllers_on_overlapping_devices_never_work_on_one_device_together(emulator, tmp_path, etcd):
    assert len(DEVICE_SETS) == PLAYS
    counters = _counters(tmp_path, ('ID1', 'ID2', 'ID3'))
    wall, plays = _crowd(emulator, tmp_path, etcd, 'etcd/crowd_devices.yml', [dict(devices=devices) for devices in DEVICE_SETS])
    _assert_all_finished(plays, tmp_path)
    expected = collections.Counter(device for devices in DEVICE_SETS for device in devices)
    assert _assert_never_together(tmp_path / 'journal') == expected
    # a lost count would mean two players read the same value: they worked on the device together
    assert dict((device, int((counters / device).read_text())) for device in expected) == dict(expected)
    events = emulator.audit('sdm1')
    assert_never_two_holders(events)
    gaps = _grants_released_by_their_holder(events)
    assert collections.Counter(event['resource'] for event in events if event['event'] == 'grant') == \
        collections.Counter('device:%s' % device for device in expected.elements())
    waits = _waits(tmp_path)
    assert sorted(waits) == sorted('p%d' % index for index in range(PLAYS))
    assert wait_until(lambda: etcd_leases(etcd) == [], 30), etcd_leases(etcd)
    _report(tmp_path, '20 plays, overlapping devices', wall, gaps, waits)


@pytest.mark.timeout(1500)
def test_twenty_plays_on_four_controllers_on_one_sbc_take_turns(emulator, tmp_path, etcd):
    counters = _counters(tmp_path, ('sbc1',))
    wall, plays = _crowd(emulator, tmp_path, etcd, 'etcd/crowd_sbc.yml', [{} for _index in range(PLAYS)])
    _assert_all_finished(plays, tmp_path)
    assert _assert_never_together(tmp_path / 'journal') == {'sbc1': PLAYS}
    assert int((counters / 'sbc1').read_text()) == PLAYS
    events = emulator.audit('sbc1')
    assert_never_two_holders(events)
    # every grant followed by its release, by the token that took it: twenty turns, nothing left held
    gaps = _grants_released_by_their_holder(events)
    assert [event['event'] for event in events] == ['grant', 'release'] * PLAYS
    assert not emulator.sbc_lock_state()['held']
    waits = _waits(tmp_path)
    assert sorted(waits) == sorted('p%d' % index for index in range(PLAYS))
    assert wait_until(lambda: etcd_leases(etcd) == [], 30), etcd_leases(etcd)
    _report(tmp_path, '20 plays, one SBC', wall, gaps, waits)


@pytest.mark.timeout(600)
def test_a_take_that_waits_past_its_start_grace_for_its_last_device_keeps_the_first(emulator, tmp_path, etcd):
    """ctl-b takes [ID1, ID2] (canonical order) while ctl-a holds ID2: ctl-b holds ID1 and waits. Until the task ends
    no keeper watches ctl-b's run, so its liveness rests on the task; past START_GRACE + TTL s ID1 must still be
    ctl-b's, not an orphan that ctl-c recovers (the twenty-play crowds found it recovered and worked on twice)."""
    ctl_a, ctl_b, ctl_c = controllers(emulator, tmp_path, etcd, 'ctl-a', 'ctl-b', 'ctl-c')
    taken, release = tmp_path / 'taken', tmp_path / 'release'
    holder = Background(ctl_a, 'device_lock/hold.yml', extra_vars=dict(devices=['ID2'], taken_file=str(taken), release_file=str(release)))
    taker = None
    try:
        wait_for_file(taken, holder.process)
        taker = Background(ctl_b, 'device_lock/hold.yml', extra_vars=dict(devices=['ID2', 'ID1'], wait_seconds=300))
        assert wait_until(lambda: [event for event in emulator.audit('sdm1') if event['resource'] == 'device:ID1'], 90), taker.finish(1)
        since = time.monotonic()
        # what a run's liveness lasts from a lock task until a keeper keeps it, and the TTL after, with room to spare
        assert not wait_until(lambda: taker.process.poll() is not None, START_GRACE + TTL + 5), taker.finish(1)
        assert time.monotonic() - since > START_GRACE + TTL
        probe = ctl_c.run('device_lock/task.yml', extra_vars=dict(device_ids=['ID1'], wait_seconds=0))
        assert probe.returncode != 0, 'ctl-c took ID1 while ctl-b held it and waited for ID2:\n%s' % probe.output
        assert 'lock_held' in probe.output and 'ctl-b' in probe.output, probe.output
    finally:
        release.touch()
        held = holder.finish()
        took = taker.finish(timeout=300) if taker is not None else None
    assert held.returncode == 0, held.output
    assert took.returncode == 0, took.output
    assert_never_two_holders(emulator.audit())
