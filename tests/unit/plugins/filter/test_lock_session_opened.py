"""The lock_session_opened filter: the open sessions of a host with the one a lock task just opened."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle_comms.provisioning.plugins.filter.lock_session_opened import FilterModule

FILTER = FilterModule().filters()['lock_session_opened']


def test_the_new_session_is_last_with_an_id_of_its_own():
    outer = {'id': 1, 'target': 'sdm', 'endpoint': 'sdm1:443', 'file': '', 'device_ids': ['ID1'], 'taken_ids': ['ID1']}
    take = {'locked': True, 'endpoint': 'sbc1:443', 'lease_file': '/l/sbc_a.json', 'taken': False}
    assert FILTER([outer], take, 'sbc', '/play/t.yml') == [outer, {
        'id': 2, 'target': 'sbc', 'endpoint': 'sbc1:443', 'file': '/play/t.yml', 'lease_file': '/l/sbc_a.json', 'taken': False}]


def test_a_take_that_took_nothing_fails_as_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        FILTER([], {}, 'sbc')
