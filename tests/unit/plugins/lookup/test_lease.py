"""The lease lookup: what the tasks under a lock of this run need, as ansible-core calls it."""

import time

import pytest
from ansible.errors import AnsibleError

from ansible_collections.oracle_comms.provisioning.plugins.lookup import lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run, lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore

RUN = Run('ctl', 1000, 111)


@pytest.fixture
def this_run(monkeypatch):
    monkeypatch.setattr(lease.Run, 'current', classmethod(lambda cls: RUN))


@pytest.fixture
def lease_file(tmp_path):
    now = time.time()
    record = Lease('sbc', 'sbc1.test:443', 'configuration', 'admin', RUN, token='tok-1', issued_at=now, expires_at=now + 600,
                   api_version='v1.2', holders=['sbc1'])
    with LeaseStore(str(tmp_path / 'leases')) as store:
        store.write(record)
    return str(tmp_path / 'leases' / (record.key + '.json'))


def test_one_answer_per_lease_for_the_asking_inventory_host(lookup, this_run, lease_file):
    answers = lookup(lease).run([lease_file, lease_file], {'inventory_hostname': 'sbc1'})
    assert [answer['token'] for answer in answers] == ['tok-1', 'tok-1']
    assert answers[0]['base_url'] == 'https://sbc1.test:443/rest/v1.2' and answers[0]['check_mode'] is False


def test_another_host_fails_with_the_reason_and_never_the_token(lookup, this_run, lease_file):
    with pytest.raises(AnsibleError) as err:
        lookup(lease).run([lease_file], {'inventory_hostname': 'sbc2'})
    assert '(reason: lock_lost)' in str(err.value) and 'not by sbc2' in str(err.value) and 'tok-1' not in str(err.value)


def test_a_released_lock_fails(lookup, this_run):
    with pytest.raises(AnsibleError) as err:
        lookup(lease).run([''], {})
    assert 'no lock is held by this run' in str(err.value)


def test_in_check_mode_a_lease_that_was_never_written_answers_empty(lookup, this_run, tmp_path):
    path = str(tmp_path / (lease_key('sbc', 'sbc1.test:443', 'configuration') + '.json'))
    [answer] = lookup(lease).run([path], {'ansible_check_mode': True})
    assert answer['check_mode'] is True and answer['token'] == '' and answer['product'] == 'sbc'


def test_the_wait_option_is_passed_on(lookup, this_run, lease_file, monkeypatch):
    waits = []
    monkeypatch.setattr(lease, 'lease_view', lambda path, run, member=None, wait=None, check_mode=False: waits.append(wait) or {})
    lookup(lease).run([lease_file], {}, wait=2.5)
    lookup(lease).run([lease_file], {})
    assert waits == [2.5, 10]
