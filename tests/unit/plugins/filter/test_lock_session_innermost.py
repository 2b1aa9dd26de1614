"""The lock_session_innermost filter: the innermost open session of one target, the one its release closes."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle_comms.provisioning.plugins.filter.lock_session_innermost import FilterModule

FILTER = FilterModule().filters()['lock_session_innermost']
STACK = [{'id': 1, 'target': 'sbc', 'file': 'a'}, {'id': 2, 'target': 'sdm', 'file': 'b'}, {'id': 3, 'target': 'sbc', 'file': 'c'}]


def test_the_innermost_of_the_target_or_nothing():
    assert FILTER(STACK, 'sbc')['id'] == 3
    assert FILTER(STACK, 'sdm')['id'] == 2
    assert FILTER([], 'sdm') == {}


def test_an_unknown_target_fails_as_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        FILTER(STACK, 'both')
