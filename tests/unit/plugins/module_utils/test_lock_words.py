"""The words the device APIs and the lock core share: the expired-token sentence, the time format, asking a lock."""

import calendar

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lock_words
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_LOST
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import confirm_held, iso_time, token_expired

NOON = calendar.timegm((2024, 1, 31, 12, 0, 0))


def test_the_device_apis_need_not_import_the_lock_core_for_its_words():
    words = (_lock_words.HOLDER_US, _lock_words.HOLDER_OTHER_RUN, _lock_words.HOLDER_FOREIGN, _lock_words.HOLDER_UNKNOWN,
             _lock_words.HOLDER_NOBODY)
    assert words == ('us', 'other run', 'another user or session', 'unknown', 'nobody')
    assert (_lock_words.RELEASED, _lock_words.NOT_OURS) == ('released', 'not_ours')


def test_times_are_shown_in_utc():
    assert iso_time(NOON) == '2024-01-31T12:00:00Z'


def test_the_expired_token_sentence_is_lock_lost_and_ends_as_the_caller_says():
    error = token_expired('sbc.test:443', NOON)
    assert error.reason == REASON_LOCK_LOST
    assert error.msg == 'the token that held the configuration lock on sbc.test:443 expired at 2024-01-31T12:00:00Z, so the lock may be gone'
    assert token_expired('sbc.test:443', NOON, '; lock again').msg.endswith('so the lock may be gone; lock again')


def test_confirm_held_asks_the_lock_itself():
    calls = []

    def answers(*results):
        queue = list(results)
        return lambda: calls.append(len(queue)) or queue.pop(0)

    assert confirm_held(answers(True), answers()) is True  # a second take granted
    assert confirm_held(answers(False, True), answers(True)) is True  # refused, given back, taken again
    assert confirm_held(answers(False), answers(False)) is False  # someone else holds it
