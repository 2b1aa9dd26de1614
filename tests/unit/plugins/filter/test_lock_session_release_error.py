"""The lock_session_release_error filter: what to say when a lock could not be given back."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle_comms.provisioning.plugins.filter.lock_session_release_error import FilterModule

FILTER = FilterModule().filters()['lock_session_release_error']


def test_the_attempts_made_and_the_modules_words():
    assert FILTER({'msg': 'timed out', 'attempts': 1, 'retryable': True}, 'sdm', 3) == (
        'THE SDM LOCK WAS NOT GIVEN BACK after 1 attempt: timed out. ')
    assert 'lease_dir' in FILTER({'msg': 'x', 'attempts': 3, 'retryable': True, 'lease_kept': True}, 'sbc', 3)


def test_a_result_that_is_no_mapping_fails_as_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        FILTER(None, 'sbc', 3)
