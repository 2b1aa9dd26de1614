"""The lock_session_closed filter: the open sessions of a host, without one that ended."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle_comms.provisioning.plugins.filter.lock_session_closed import FilterModule

FILTER = FilterModule().filters()['lock_session_closed']
STACK = [{'id': 1, 'target': 'sbc'}, {'id': 2, 'target': 'sdm'}]


def test_the_session_is_taken_off_by_its_id_and_nothing_for_none():
    assert FILTER(STACK, {'id': 1, 'target': 'sbc'}) == [{'id': 2, 'target': 'sdm'}]
    assert FILTER(STACK, {}) == STACK


def test_a_stack_that_is_no_list_fails_as_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        FILTER('[]', {'id': 1})
