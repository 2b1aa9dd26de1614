"""The session_lock lookup: what the tasks of the innermost open lock session get as lock_session_lock."""

import pytest
from ansible.errors import AnsibleError

from ansible_collections.oracle_comms.provisioning.plugins.lookup import session_lock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_LOST, OracleError

SBC = {'id': 1, 'target': 'sbc', 'endpoint': 'sbc1:443', 'file': '', 'lease_file': '/leases/sbc_a.json', 'taken': True}
SDM = {'id': 2, 'target': 'sdm', 'endpoint': 'sdm1:443', 'file': '', 'device_ids': ['ID1'], 'taken_ids': ['ID1']}


@pytest.fixture
def views(monkeypatch):
    """The lease views asked for: (path, member) each, answered with a token."""
    asked = []

    def lease_view(path, run, member=None):
        asked.append((path, member))
        return {'check_mode': False, 'product': 'sbc', 'token': 'tok', 'base_url': 'https://sbc1:443/rest/v1.2'}

    monkeypatch.setattr(session_lock, 'lease_view', lease_view)
    monkeypatch.setattr(session_lock.Run, 'current', classmethod(lambda cls: None))
    return asked


def test_an_sbc_session_answers_its_lease_for_the_inventory_host(lookup, views):
    answer = lookup(session_lock).run([], {'inventory_hostname': 'sbc1', 'ansible_check_mode': False}, stack=[SBC], target='sbc')
    assert answer == [{'check_mode': False, 'product': 'sbc', 'token': 'tok', 'base_url': 'https://sbc1:443/rest/v1.2', 'target': 'sbc'}]
    assert views == [('/leases/sbc_a.json', 'sbc1')]


def test_the_innermost_session_answers_whatever_the_target(lookup, views):
    assert lookup(session_lock).run([], {}, stack=[SBC, SDM], target='sbc') == [{'target': 'sdm', 'check_mode': False, 'device_ids': ['ID1']}]
    assert views == []


def test_in_check_mode_nothing_is_read(lookup, views):
    answer = lookup(session_lock).run([], {'ansible_check_mode': True}, target='sdm')
    assert answer == [{'target': 'sdm', 'check_mode': True, 'token': '', 'base_url': '', 'device_ids': []}]
    assert views == []


def test_a_released_lock_fails_with_its_reason_and_never_the_token(lookup, monkeypatch):
    def lease_view(path, run, member=None):
        raise OracleError('no lock is held by this run: it was released, or never taken', REASON_LOCK_LOST)

    monkeypatch.setattr(session_lock, 'lease_view', lease_view)
    monkeypatch.setattr(session_lock.Run, 'current', classmethod(lambda cls: None))
    with pytest.raises(AnsibleError) as err:
        lookup(session_lock).run([], {}, stack=[], target='sbc')
    assert 'no lock is held by this run' in str(err.value) and '(reason: lock_lost)' in str(err.value)


def test_a_stack_of_something_else_fails(lookup, views):
    with pytest.raises(AnsibleError):
        lookup(session_lock).run([], {}, stack=['x'], target='sbc')
