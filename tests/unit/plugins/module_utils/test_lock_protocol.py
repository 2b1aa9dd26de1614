"""The lock protocol both products follow: wiring, holders joining and leaving, adoption, new leases, wording."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_HELD
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, Run, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import proof_matches
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_protocol import LockProtocol, other_run_words

from .lock_task import RecordingHost

ME = Run('ctl', 1000, 111)
GONE = Run('ctl', 3000, 333)


class Endpoint:
    netloc = 'dev.test:443'

    def __str__(self):
        return self.netloc


class Options:
    connection = type('Connection', (), {'endpoint': Endpoint()})()
    lease = None
    lease_dir = None

    def __init__(self, wait_timeout=0):
        self.wait_timeout = wait_timeout


class Client:
    username = 'admin'
    password = 'pw-secret'

    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


class Dialect(LockProtocol):
    product = 'sbc'

    def new_client(self, conn, redactor):
        return Client()


def make(tmp_path, member='web1', check_mode=False, wait_timeout=0):
    host = RecordingHost(check_mode=check_mode, member=member)
    return Dialect(Options(wait_timeout), host, None, store=LeaseStore(str(tmp_path / 'leases')), run=ME), host


def lease(holders=('web1',), run=ME):
    return Lease('sbc', 'dev.test:443', 'configuration', 'admin', run, proof=make_proof('admin', 'pw-secret'), holders=list(holders))


def test_the_dialect_makes_the_client_and_close_closes_it_and_the_record(tmp_path):
    task, _host = make(tmp_path)
    assert isinstance(task.client, Client) and task.member == 'web1' and task.run is ME and task.proof is None
    task.close()
    assert task.client.closed


def test_a_host_joins_once_and_the_keeper_never(tmp_path):
    task, _host = make(tmp_path, member='web2')
    held = lease()
    assert task.joins(held) and task.join(held) and held.holders == ['web1', 'web2']
    assert not task.join(held)
    keeper, _host = make(tmp_path, member=None)
    assert keeper.first_holders() == [] and not keeper.join(held) and keeper.others_holding(held) == []


def test_a_host_leaves_a_lease_to_the_others_except_in_check_mode(tmp_path):
    task, _host = make(tmp_path, member='web1')
    held = lease(holders=('web1', 'web2'))
    assert task.others_holding(held) == ['web2']
    written = []
    task.store.write = written.append
    task.leave(held, ['web2'])
    assert held.holders == ['web2'] and written == [held]
    check, _host = make(tmp_path, member='web2', check_mode=True)
    check.leave(held, [])
    assert held.holders == ['web2']


def test_adoption_confirmed_says_so_and_takes_the_lease_over(tmp_path):
    task, host = make(tmp_path)
    orphan = lease(holders=('old',), run=GONE)
    assert task.adopt_if_held(lambda: True, pytest.fail, 'the lock', 'run X', 'its token', 'client', 'confirmed') is True
    assert host._warnings == ['adopted the lock left by run X, which is no longer running (confirmed)']
    task.take_over(orphan)
    assert orphan.run is ME and orphan.taken_at is not None and orphan.holders == ['web1']


def test_adoption_refused_forgets_and_asks_anew(tmp_path):
    task, host = make(tmp_path)
    forgotten = []
    assert task.adopt_if_held(lambda: False, lambda: forgotten.append(True), 'the lock', 'run X', 'user u', 'user', '') is False
    assert forgotten == [True]
    assert host._warnings == ['the lock left by run X, which is no longer running, was no longer held by user u (forced free, '
                              'or taken by another user); asking for it anew']


def test_a_lease_still_held_by_its_run_keeps_its_run_when_taken_over(tmp_path):
    task, _host = make(tmp_path)
    held = lease(holders=('old',))
    taken_at = held.taken_at
    task.take_over(held, orphan=False)
    assert held.run is ME and held.taken_at == taken_at and held.holders == ['web1']


def test_new_leases_carry_this_runs_proof_and_this_host(tmp_path):
    task, _host = make(tmp_path)
    task.begin_proof()
    first = task.proof
    task.begin_proof()
    assert task.proof is first
    written = task.new_lease('configuration', task.lease_proof(), token='tok')
    assert (written.product, written.endpoint, written.user, written.holders, written.token) == ('sbc', 'dev.test:443', 'admin', ['web1'], 'tok')
    assert proof_matches(written.proof, 'admin', 'pw-secret', ME)


def test_wording(tmp_path):
    task, _host = make(tmp_path)
    assert other_run_words(GONE) == 'another run sharing this lease record (%s)' % GONE.describe()
    assert task.waiting_words('config_lock', 'the lock', 'x') == 'config_lock: waiting for the lock, held by x'
    assert task.held_words('lock', 'x') == 'lock is held by x; waited 0 s'
    assert task.wait_hint() == '; set wait_timeout to wait for it'
    assert make(tmp_path, wait_timeout=5)[0].wait_hint() == ''
    error = task.theirs_to_release('lock', GONE, {'locked': False})
    assert error.reason == REASON_LOCK_HELD and error.msg.endswith('it is theirs to release, so it was left untouched')
