"""The request deadline: none outside a request, the time left within one, and per thread."""

import threading
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import ACTIVE, time_left


def test_outside_a_request_there_is_no_deadline():
    ACTIVE.deadline = None
    assert time_left() is None


def test_within_a_request_the_time_left_counts_down_and_may_be_past():
    try:
        ACTIVE.deadline = time.monotonic() + 30
        assert 29 < time_left() <= 30
        ACTIVE.deadline = time.monotonic() - 1
        assert time_left() < 0
    finally:
        ACTIVE.deadline = None


def test_a_deadline_belongs_to_the_thread_that_set_it():
    seen = []
    try:
        ACTIVE.deadline = time.monotonic() + 30
        other = threading.Thread(target=lambda: seen.append(time_left()))
        other.start()
        other.join(10)
    finally:
        ACTIVE.deadline = None
    assert seen == [None]
