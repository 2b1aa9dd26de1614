"""The lock_session_options filter: the options a lock session's variables set, and only those."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle_comms.provisioning.plugins.filter.lock_session_options import FilterModule

OMIT = '__omit_place_holder__0123'
FILTER = FilterModule().filters()['lock_session_options']


def test_null_and_omit_are_left_out():
    assert FILTER({'host': 'sbc1', 'username': None, 'password': OMIT, 'wait_timeout': 0.0}, OMIT) == {'host': 'sbc1', 'wait_timeout': 0.0}


def test_anything_but_a_mapping_fails_as_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        FILTER('host=sbc1', OMIT)
