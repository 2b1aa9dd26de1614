"""What the lease lookup answers: the lease of this run and host, read-only, with an SBC token valid now."""

import os
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_LOCK_LOST, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run, lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils import _lease_view
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lease_view import check_mode_view, lease_view

RUN = Run('ctl', 1000, 111)
SBC = 'sbc1.test:443'


def sbc_lease(run=RUN, **changes):
    now = time.time()
    fields = dict(token='tok-1', issued_at=now - 10, expires_at=now + 590, api_version='v1.2', holders=['sbc1'])
    fields.update(changes)
    return Lease('sbc', SBC, 'configuration', 'admin', run, **fields)


def sdm_lease(**changes):
    fields = dict(api_version='v1.3', holders=['sdm1'])
    fields.update(changes)
    return Lease('sdm', 'sdm1.test:443', 'device:ID1', 'prov', RUN, **fields)


@pytest.fixture
def leases(tmp_path):
    """write(lease) -> the path of its lease file, in a lease directory of the user's own."""
    directory = tmp_path / 'leases'

    def write(lease):
        with LeaseStore(str(directory)) as store:
            store.write(lease)
        return str(directory / (lease.key + '.json'))

    return write


def test_an_sbc_lease_gives_a_token_valid_now_and_the_base_url(leases):
    view = lease_view(leases(sbc_lease()), RUN, member='sbc1')
    assert view['check_mode'] is False and view['product'] == 'sbc' and view['endpoint'] == SBC
    assert view['base_url'] == 'https://sbc1.test:443/rest/v1.2' and view['user'] == 'admin' and view['resource'] == 'configuration'
    assert view['token'] == 'tok-1' and 580 <= view['expires_in'] <= 590 and view['expires_at'].endswith('Z')


def test_an_sdm_lease_gives_no_token(leases):
    view = lease_view(leases(sdm_lease()), RUN, member='sdm1')
    assert view == {'check_mode': False, 'product': 'sdm', 'endpoint': 'sdm1.test:443', 'resource': 'device:ID1', 'user': 'prov',
                    'base_url': 'https://sdm1.test:443/rest/v1.3'}


def test_a_lease_without_holders_answers_any_host_and_no_member_is_not_checked(leases):
    path = leases(sbc_lease(holders=[]))
    assert lease_view(path, RUN, member='any')['token'] == 'tok-1'
    assert lease_view(leases(sbc_lease()), RUN)['token'] == 'tok-1'


def expect_failure(reason, *args, **kwargs):
    with pytest.raises(OracleError) as err:
        lease_view(*args, **kwargs)
    assert err.value.reason == reason and 'tok-1' not in err.value.msg
    return err.value.msg


def test_a_released_lock_fails_lock_lost(leases, tmp_path):
    assert 'no lock is held by this run' in expect_failure(REASON_LOCK_LOST, '', RUN)
    path = leases(sbc_lease())
    os.unlink(path)
    assert 'no lock is held under %s' % path in expect_failure(REASON_LOCK_LOST, path, RUN)


def test_another_runs_lease_or_another_hosts_fails_lock_lost(leases):
    path = leases(sbc_lease(run=Run('ctl', 2000, 222)))
    assert 'belongs to ansible run pid 2000 on ctl' in expect_failure(REASON_LOCK_LOST, path, RUN)
    path = leases(sbc_lease())
    assert 'held by host(s) sbc1 of this run, not by sbc2' in expect_failure(REASON_LOCK_LOST, path, RUN, member='sbc2')


@pytest.mark.parametrize('name', ['notes.json', 'sbc_x.txt', 'sbc_a-XYZ.json'])
def test_a_file_that_is_no_lease_of_ours_is_refused(tmp_path, name):
    assert 'is not a lease file of this collection' in expect_failure(REASON_BAD_INPUT, str(tmp_path / name), RUN)


def test_an_expired_token_fails_lock_lost(leases):
    now = time.time()
    path = leases(sbc_lease(issued_at=now - 700, expires_at=now - 100))
    assert 'expired at' in expect_failure(REASON_LOCK_LOST, path, RUN)


def test_a_token_past_half_its_life_is_renewed_by_the_keeper_first(leases, monkeypatch):
    now = time.time()
    path = leases(sbc_lease(issued_at=now - 500, expires_at=now + 100))
    monkeypatch.setattr(_lease_view, 'keeper_alive', lambda store, key: True)
    renewed = []

    def keeper_renews(_seconds):
        # the keeper sees the request, writes the lease with a new token and removes the request
        assert os.path.exists(path + '.refresh')
        leases(sbc_lease(token='tok-2', issued_at=time.time(), expires_at=time.time() + 600))
        os.unlink(path + '.refresh')
        renewed.append(True)

    view = lease_view(path, RUN, member='sbc1', sleep=keeper_renews)
    assert renewed == [True] and view['token'] == 'tok-2' and view['expires_in'] > 590


def test_without_a_keeper_the_token_past_half_its_life_is_given_as_it_is(leases):
    now = time.time()
    path = leases(sbc_lease(issued_at=now - 500, expires_at=now + 100))
    view = lease_view(path, RUN, member='sbc1', sleep=lambda seconds: pytest.fail('waited without a keeper'))
    assert view['token'] == 'tok-1' and not os.path.exists(path + '.refresh')


def test_a_keeper_that_does_not_answer_is_waited_for_no_longer_than_wait(leases, monkeypatch):
    now = time.time()
    path = leases(sbc_lease(issued_at=now - 500, expires_at=now + 100))
    monkeypatch.setattr(_lease_view, 'keeper_alive', lambda store, key: True)
    clock = iter([0.0, 0.5, 1.0, 1.5, 2.0, 2.5]).__next__
    view = lease_view(path, RUN, member='sbc1', wait=1.0, clock=clock, sleep=lambda seconds: None)
    assert view['token'] == 'tok-1'


def test_in_check_mode_a_lease_that_is_not_there_answers_empty():
    sbc = check_mode_view('/leases/%s.json' % lease_key('sbc', SBC, 'configuration'))
    assert sbc == {'check_mode': True, 'product': 'sbc', 'endpoint': '', 'resource': '', 'user': '', 'base_url': '',
                   'token': '', 'expires_at': '', 'expires_in': 0}
    sdm = lease_view('/nonexistent/%s.json' % lease_key('sdm', 'sdm1:443', 'device:ID1'), RUN, check_mode=True)
    assert sdm['product'] == 'sdm' and 'token' not in sdm
    assert lease_view('', RUN, check_mode=True)['product'] == ''


def test_in_check_mode_a_lease_that_is_there_is_read(leases):
    assert lease_view(leases(sbc_lease()), RUN, member='sbc1', check_mode=True)['token'] == 'tok-1'
