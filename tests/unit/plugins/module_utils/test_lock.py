"""What both locks share below the protocol: the host interface, backoff, waiting, a lost answer undone, standing, lapse."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_AUTH, REASON_LOCK_LOST, REASON_SERVER_ERROR, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import FREE, ORPHAN, OTHER_RUN, OURS, Lease, Run, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import (
    FOREIGN,
    LockHost,
    Waiter,
    backoff_delays,
    refuse_if_lapsed,
    standing_for,
    undo_if_answer_lost,
)

ME = Run('ctl', 1000, 111)


class FakeRecord:
    """A lease record that classifies as told and remembers what was written."""

    def __init__(self, standing, lapsed=False):
        self.standing = standing
        self.lapsed = lapsed
        self.written = []

    def classify(self, lease, run):
        return self.standing

    def write(self, lease):
        self.written.append(lease)

    def liveness_lapsed(self, lease):
        return self.lapsed


def lease(user='admin', password='pw'):
    return Lease('sbc', 'sbc.test:443', 'configuration', user, ME, proof=make_proof(user, password))


def test_a_host_without_callbacks_is_silent_and_a_check_run_watches_nothing():
    LockHost().warn('nothing')
    LockHost().progress('nothing')
    held = []
    LockHost(check_mode=True, on_lock=lambda *args: held.append(args)).lock_held('store', 'options', ME)
    LockHost(on_lock=lambda *args: held.append(args)).lock_held('store', 'options', ME)
    assert held == [('store', 'options', ME)]


def test_backoff_settles_at_its_cap():
    delays = backoff_delays(first=0.1, cap=1.0, jitter=0.0)
    assert [round(next(delays), 2) for _round in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_a_waiter_reports_and_stops_at_its_deadline():
    now = [0.0]
    said = []
    waiter = Waiter(10, clock=lambda: now[0], sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
                    delays=iter([6.0, 6.0, 6.0]), progress=said.append)
    assert waiter.pause(about=lambda: 'waiting') is True
    assert waiter.pause(about=lambda: 'waiting') is True
    assert waiter.pause(about=lambda: 'waiting') is False
    assert said == ['waiting; waited 6 s of 10 s'] and waiter.waited == 10.0


def test_a_lost_answer_is_undone_and_a_refusal_is_not():
    undone = []

    def lost():
        raise OracleError('timed out', REASON_SERVER_ERROR)

    with pytest.raises(OracleError):
        undo_if_answer_lost(lost, lambda: undone.append(True))
    assert undone == [True]
    assert undo_if_answer_lost(lambda: 'busy', lambda: undone.append('never')) == 'busy'
    assert 'never' not in undone


@pytest.mark.parametrize('standing', [FREE, OTHER_RUN])
def test_standing_of_a_lease_not_ours_is_the_records_word(standing):
    assert standing_for(FakeRecord(standing), lease(), ME, 'admin', 'pw', sign_in=pytest.fail) == standing


def test_a_lease_of_another_user_is_foreign():
    assert standing_for(FakeRecord(OURS), lease(user='other'), ME, 'admin', 'pw', sign_in=pytest.fail) == FOREIGN


def test_a_changed_password_is_proven_by_signing_in_and_the_proof_renewed():
    record = FakeRecord(ORPHAN)
    signed = []
    assert standing_for(record, lease(password='old'), ME, 'admin', 'new', sign_in=lambda: signed.append(True)) == ORPHAN
    assert signed == [True] and record.written and record.written[0].taken_with('admin', 'new')


def test_a_refused_sign_in_fails_as_auth_and_says_nothing_is_locked():
    def refuse():
        raise OracleError('no', REASON_AUTH, 401)

    with pytest.raises(OracleError) as caught:
        standing_for(FakeRecord(OURS), lease(password='old'), ME, 'admin', 'new', sign_in=refuse)
    assert caught.value.reason == REASON_AUTH and caught.value.detail['locked'] is False


def test_a_lapsed_liveness_refuses_the_lock_and_a_live_one_does_not():
    refuse_if_lapsed(FakeRecord(OURS), lease(), 'the lock')
    with pytest.raises(OracleError) as caught:
        refuse_if_lapsed(FakeRecord(OURS, lapsed=True), lease(), 'the lock')
    assert caught.value.reason == REASON_LOCK_LOST and 'while it held the lock' in caught.value.msg
