"""The etcd lease backend beyond the shared interface suite: its options, liveness of other controllers' runs,
guards that a dead holder cannot wedge, and failing closed when etcd cannot be reached. A real etcd on loopback."""

import multiprocessing
import os
import signal
import socket
import threading
import time

import pytest
import requests

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_etcd_gateway, _lease_etcd_liveness
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SDM_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_record import FREE, ORPHAN, OTHER_RUN
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd import EtcdLeaseRecord
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_open import open_lease_record
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import LeaseOptions, SdmLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._proc import start_time
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from tests.etcd_harness import start_etcd

from .lock_task import validated

ENDPOINT = 'sdm.test:8443'


@pytest.fixture(scope='module')
def etcd_server(tmp_path_factory):
    with start_etcd(tmp_path_factory.mktemp('etcd')) as etcd:
        yield etcd


@pytest.fixture
def record(etcd_server, tmp_path):
    opened = []

    def factory(ttl=2):
        opened.append(EtcdLeaseRecord([etcd_server.url], LeaseStore(str(tmp_path / 'local')), ttl=ttl, prefix='/t/%s/' % tmp_path.name))
        return opened[-1]

    yield factory
    for each in opened:
        each.close()


def wait_until(condition, timeout, step=0.02):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(step)
    return condition()


def lease_of(run, device_id='ID1'):
    return Lease('sdm', ENDPOINT, 'device:%s' % device_id, 'prov1', run, proof=make_proof('prov1', 'pw'), holders=['h1'])


def this_run():
    return Run(socket.gethostname(), os.getpid(), start_time(os.getpid()))


# -- options ----------------------------------------------------------------------------------------------


def sdm_options(**lease):
    return SdmLockOptions(validated(SDM_SPEC, dict(host='sdm.test', username='u', password='p', device_id=['ID1'], **lease)), Redactor())


def test_the_file_backend_stays_the_default():
    options = sdm_options()
    assert options.lease.backend == 'file' and options.lease.ttl == 15.0 and options.lease.endpoints == []


@pytest.mark.parametrize('endpoints, allow, fixed', [
    (['https://etcd1.example:2379/'], False, ['https://etcd1.example:2379']),
    (['http://127.0.0.1:2379', 'http://[::1]:2379', 'http://localhost:2379'], False, None),
    (['http://etcd1.example:2379'], True, None),
])
def test_endpoints_accepted(endpoints, allow, fixed):
    options = sdm_options(lease_backend='etcd', lease_etcd_endpoints=endpoints, lease_etcd_allow_http=allow)
    assert options.lease.endpoints == (fixed or endpoints)


@pytest.mark.parametrize('lease, words', [
    (dict(lease_backend='etcd'), 'lease_etcd_endpoints is not set'),
    (dict(lease_backend='etcd', lease_etcd_endpoints=['http://etcd1.example:2379']), 'lease_etcd_allow_http'),
    (dict(lease_backend='etcd', lease_etcd_endpoints=['etcd1:2379']), 'not a URL'),
    (dict(lease_backend='etcd', lease_etcd_endpoints=['https://etcd1:99999']), 'not a URL'),
    (dict(lease_backend='etcd', lease_etcd_endpoints=['https://etcd1:2379'], lease_etcd_ca_path='/nonexistent.pem'), 'lease_etcd_ca_path'),
    (dict(lease_backend='etcd', lease_etcd_endpoints=['https://etcd1:2379'], lease_ttl=1), 'lease_ttl'),
    (dict(lease_ttl=float('nan')), 'lease_ttl'),
])
def test_bad_lease_options_fail_before_any_traffic(lease, words):
    with pytest.raises(OracleError) as caught:
        sdm_options(**lease)
    assert caught.value.reason == 'bad_input' and words in caught.value.msg


def test_endpoints_come_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv('ORACLE_COMMS_LEASE_BACKEND', 'etcd')
    monkeypatch.setenv('ORACLE_COMMS_ETCD_ENDPOINTS', 'https://etcd1:2379,https://etcd2:2379')
    monkeypatch.setenv('ORACLE_COMMS_LEASE_TTL', '7')
    options = sdm_options()
    assert options.lease.endpoints == ['https://etcd1:2379', 'https://etcd2:2379'] and options.lease.ttl == 7.0


def test_the_etcd_password_is_redacted():
    redactor = Redactor()
    LeaseOptions(dict(lease_backend='etcd', lease_etcd_endpoints=['https://e:2379'], lease_etcd_username='u',
                      lease_etcd_password='s3cret-etcd'), redactor)
    assert 's3cret-etcd' not in redactor('failed with s3cret-etcd')


def test_without_the_library_the_backend_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(_lease_etcd_gateway, 'HAS_ETCD3GW', False)
    with pytest.raises(OracleError) as caught:
        open_lease_record(LeaseOptions(dict(lease_backend='etcd', lease_etcd_endpoints=['http://127.0.0.1:1'])), str(tmp_path / 'l'))
    assert caught.value.reason == 'missing_library' and 'etcd3gw' in caught.value.msg


# -- failing closed -----------------------------------------------------------------------------------------


def test_an_unreachable_etcd_is_a_lease_error_at_once(tmp_path):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        record = EtcdLeaseRecord(['http://127.0.0.1:%d' % port], LeaseStore(str(tmp_path / 'l')), timeout=2)
        began = time.monotonic()
        with pytest.raises(OracleError) as caught:
            with record.guard(lease_of(this_run()).key):
                pass
    assert caught.value.reason == 'lease_error' and 'cannot be reached' in caught.value.msg
    assert time.monotonic() - began < 10  # at once: no retrying until some longer deadline
    record.close()


def test_the_next_endpoint_serves_when_the_first_is_down(etcd_server, tmp_path):
    record = EtcdLeaseRecord(['http://127.0.0.1:1', etcd_server.url], LeaseStore(str(tmp_path / 'l')), prefix='/t/%s/' % tmp_path.name)
    lease = lease_of(this_run())
    record.write(lease)
    assert record.read(lease.key).to_dict() == lease.to_dict()
    record.close()


# -- another controller's run ------------------------------------------------------------------------------


def test_another_hosts_run_lives_while_its_keeper_keeps_it_alive(record):
    keeper_side, other_side = record(), record()
    run = Run('controller-b', 4242, 77)
    lease = lease_of(run)
    other_side.write(lease)
    assert other_side.run_alive(lease) is False  # never kept alive: nothing says it lives
    scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
    keeper_side.keep_run_alive(run, scope)
    assert other_side.classify(lease, this_run()) == OTHER_RUN
    keeper_side.end_run_alive(scope)
    assert other_side.classify(lease, this_run()) == ORPHAN


def test_a_run_whose_keeper_died_is_an_orphan_within_the_ttl(record):
    keeper_side, other_side = record(ttl=2), record(ttl=2)
    run = Run('controller-b', 4242, 77)
    lease = lease_of(run)
    keeper_side.keep_run_alive(run, scope_key(run.ident, 'sdm', ENDPOINT, 'prov1'))
    began = time.monotonic()
    assert other_side.run_alive(lease) is True
    # nobody refreshes it any more: the keeper was killed
    assert wait_until(lambda: other_side.run_alive(lease) is False, 30)
    assert time.monotonic() - began <= 2 + 4  # the TTL, and etcd's and a loaded machine's delays; not a longer timer of ours


def _alive_lease(record, run, scope):
    kvs = record.gateway.range(record.liveness.prefix_of(run.ident) + scope)
    return kvs[0].get('lease') if kvs else None


def _ttl_of(record, lease_id):
    return int(record.gateway.call('kv/lease/timetolive', {'ID': lease_id})['TTL'])


def test_a_lease_written_for_this_run_is_alive_until_its_keeper_takes_over(record):
    writer, keeper_side = record(ttl=2), record(ttl=2)
    run = this_run()
    lease = lease_of(run)
    writer.write(lease)
    scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
    first = _alive_lease(writer, run, scope)
    # a keeper may take seconds to start on a loaded controller: the task's own liveness lasts START_GRACE
    assert first and _ttl_of(writer, first) > 2 + 10
    keeper_side.keep_run_alive(run, scope)
    kept = _alive_lease(writer, run, scope)
    assert kept == keeper_side.liveness.keeper_lease[scope] and _ttl_of(writer, kept) <= 2  # now on the keeper's own lease
    # a later task of the run (the keeper still running) puts it on a lease of its own; the keeper's next beat takes it back
    record(ttl=2).write(lease)
    assert _alive_lease(writer, run, scope) != kept
    keeper_side.keep_run_alive(run, scope)
    assert _alive_lease(writer, run, scope) == kept
    assert keeper_side.keys().count(lease.key) == 1


def test_a_waiter_behind_another_hosts_run_wakes_when_that_run_dies(record):
    keeper_side, waiter = record(), record()
    run = Run('controller-b', 4242, 77)
    lease = lease_of(run)
    waiter.write(lease)
    scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
    keeper_side.keep_run_alive(run, scope)
    threading.Timer(0.3, lambda: keeper_side.end_run_alive(scope)).start()
    began = time.monotonic()
    assert waiter.wait_for_change(lease.key, waiter.signature(lease.key), 30) is True
    assert 0.25 <= time.monotonic() - began < 15  # woken by the change, not by the 30 s deadline
    assert waiter.classify(waiter.read(lease.key), this_run()) == ORPHAN


def test_free_is_free(record):
    assert record().classify(None, this_run()) == FREE


# -- the guard -------------------------------------------------------------------------------------------------


def _hold_and_wait(factory, key, entered):
    record = factory()
    with record.guard(key):
        entered.set()
        time.sleep(3600)


def test_a_guard_whose_holder_was_killed_is_free_within_the_ttl(record):
    key = lease_of(this_run()).key
    context = multiprocessing.get_context('fork')
    entered = context.Event()
    holder = context.Process(target=_hold_and_wait, args=(lambda: record(ttl=2), key, entered))
    holder.start()
    try:
        assert entered.wait(30)
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)
        began = time.monotonic()
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (record(ttl=2).guard(key).__enter__(), got.set()))
        waiter.daemon = True
        waiter.start()
        assert got.wait(30)
        assert time.monotonic() - began <= 2 + 4  # the TTL, and etcd's and a loaded machine's delays; not a longer timer of ours
    finally:
        if holder.is_alive():
            os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)


def test_a_guard_held_longer_than_the_ttl_is_kept(record):
    key = lease_of(this_run()).key
    first, second = record(ttl=2), record(ttl=2)
    with first.guard(key):
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (second.guard(key).__enter__(), got.set()))
        waiter.daemon = True
        waiter.start()
        assert not got.wait(3.5)  # the holder's keep-alive outlasts the TTL
    assert got.wait(5)


# -- sign-in ---------------------------------------------------------------------------------------------------


def test_an_etcd_with_authentication(tmp_path):
    with start_etcd(tmp_path / 'auth') as etcd:
        for path, body in (('auth/user/add', {'name': 'root', 'password': 'rootpw'}),
                           ('auth/user/grant', {'user': 'root', 'role': 'root'}),
                           ('auth/enable', {})):
            assert requests.post('%s/v3/%s' % (etcd.url, path), json=body, timeout=5).status_code == 200
        lease = lease_of(this_run())
        anonymous = EtcdLeaseRecord([etcd.url], LeaseStore(str(tmp_path / 'a')))
        with pytest.raises(OracleError) as caught:
            anonymous.read(lease.key)
        assert caught.value.reason == 'lease_error'
        wrong = EtcdLeaseRecord([etcd.url], LeaseStore(str(tmp_path / 'c')), username='root', password='not-rootpw')
        with pytest.raises(OracleError) as caught:
            wrong.read(lease.key)
        assert caught.value.reason == 'lease_error'
        assert caught.value.msg.startswith('etcd at %s did not accept user root (' % etcd.url), caught.value.msg
        assert 'check lease_etcd_username and lease_etcd_password' in caught.value.msg and 'not-rootpw' not in caught.value.msg
        wrong.close()
        signed_in = EtcdLeaseRecord([etcd.url], LeaseStore(str(tmp_path / 'b')), username='root', password='rootpw')
        signed_in.write(lease)
        assert signed_in.read(lease.key).to_dict() == lease.to_dict()
        for each in (anonymous, signed_in):
            each.close()


# -- etcd restarted ----------------------------------------------------------------------------------------------


def test_an_etcd_restarted_within_the_ttl_changes_nothing(tmp_path):
    with start_etcd(tmp_path / 'restart') as etcd:
        keeper_side = EtcdLeaseRecord([etcd.url], LeaseStore(str(tmp_path / 'a')), ttl=5, timeout=2)
        other_side = EtcdLeaseRecord([etcd.url], LeaseStore(str(tmp_path / 'b')), ttl=5, timeout=2)
        run = Run('controller-b', 4242, 77)
        lease = lease_of(run)
        scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
        keeper_side.write(lease)
        keeper_side.keep_run_alive(run, scope)
        etcd.stop()
        with pytest.raises(OracleError) as caught:
            keeper_side.keep_run_alive(run, scope)  # the keeper logs this and goes on
        assert caught.value.reason == 'lease_error'
        etcd.start()
        keeper_side.keep_run_alive(run, scope)
        assert other_side.read(lease.key).to_dict() == lease.to_dict()
        assert other_side.classify(lease, this_run()) == OTHER_RUN
        for each in (keeper_side, other_side):
            each.close()


# -- the lease lookup --------------------------------------------------------------------------------------------


def test_the_lease_lookup_reads_the_local_copy_of_an_etcd_lease(record):
    from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lease_view import lease_view
    writer = record()
    run = this_run()
    lease = Lease('sbc', 'sbc.test:443', 'configuration', 'admin', run, token='tok-1', issued_at=time.time(),
                  expires_at=time.time() + 600, api_version='v1.2', proof=make_proof('admin', 'pw'), holders=['h1'])
    writer.write(lease)
    view = lease_view(writer.path(lease.key), run, member='h1')
    assert view['token'] == 'tok-1' and view['endpoint'] == 'sbc.test:443'
    assert writer.keys().count(lease.key) == 1  # the local copy is not listed twice
    writer.delete(lease.key)
    with pytest.raises(OracleError) as caught:
        lease_view(writer.path(lease.key), run, member='h1')
    assert caught.value.reason == 'lock_lost'


def test_a_guard_taken_although_its_answer_was_lost_is_ours(etcd_server, tmp_path):
    from etcd3gw import exceptions as etcd_exceptions
    port = etcd_server.url.rsplit(':', 1)[1]
    record = EtcdLeaseRecord([etcd_server.url, 'http://localhost:%s' % port], LeaseStore(str(tmp_path / 'l')), ttl=10,
                             prefix='/t/%s/' % tmp_path.name)
    first = record.gateway._clients[0]
    real_post = first.post
    lost = []

    def post_then_lose_the_answer(url, *args, **kwargs):
        answer = real_post(url, *args, **kwargs)
        if url.endswith('kv/txn') and not lost:
            lost.append(url)
            raise etcd_exceptions.ConnectionTimeoutError('read timed out')
        return answer

    first.post = post_then_lose_the_answer
    lease = lease_of(this_run())
    record.write(lease)  # (its own answer is lost too, and the second endpoint serves from then on)
    lost.clear()
    record.gateway._current = 0
    began = time.monotonic()
    with record.guard(lease.key):
        assert lost and record.read(lease.key).to_dict() == lease.to_dict()
    assert time.monotonic() - began < 7  # not waiting for its own guard to expire (10 s), with room for a loaded machine
    record.close()


def test_a_keeper_whose_etcd_lease_ran_out_marks_the_runs_earlier_leases_lapsed(record):
    keeper_side = record(ttl=2)
    run = this_run()
    before = lease_of(run)
    before.taken_at = time.time() - 1
    scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
    assert keeper_side.keep_run_alive(run, scope) is False  # the first beat: nothing could have lapsed yet
    assert keeper_side.keep_run_alive(run, scope) is False
    assert not keeper_side.liveness_lapsed(before)
    # no keep-alive for longer than the TTL (etcd out of reach, or the keeper stopped): etcd lets the lease run out
    lease_id = keeper_side.liveness.keeper_lease[scope]
    # an expired lease is answered with TTL -1 (one with under a second left, TTL 0, is answered without a TTL)
    assert wait_until(lambda: int(keeper_side.gateway.call('kv/lease/timetolive', {'ID': lease_id}).get('TTL', 0)) < 0, 2 + 3)
    assert keeper_side.keep_run_alive(run, scope) is True
    assert keeper_side.liveness_lapsed(before)
    after = lease_of(run)
    after.taken_at = time.time() + 1
    assert not keeper_side.liveness_lapsed(after)  # taken again after the lapse: relied on
    other = lease_of(Run('controller-b', 4242, 77))
    other.taken_at = before.taken_at
    assert not keeper_side.liveness_lapsed(other)  # another controller's run: its own keeper knows
    assert _alive_lease(keeper_side, run, scope) == keeper_side.liveness.keeper_lease[scope]  # alive again, on a new lease
    keeper_side.end_run_alive(scope)
    assert not keeper_side.liveness_lapsed(before)  # the keeper is done: its marker goes with it


def test_the_file_backend_never_lapses(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    try:
        assert store.liveness_lapsed(lease_of(this_run())) is False
    finally:
        store.close()


def _sbc_lease(run):
    return Lease('sbc', 'sbc.test:443', 'configuration', 'admin', run, token='tok-secret', issued_at=time.time(),
                 expires_at=time.time() + 600, api_version='v1.2', proof=make_proof('admin', 'pw'), holders=['h1'])


def _stored(record, key):
    import base64
    import json
    (kv,) = record.gateway.range(record._k('lease/' + key))
    return json.loads(base64.b64decode(kv['value']))


@pytest.mark.parametrize('store_token', [False, True])
def test_the_sbc_token_goes_into_etcd_only_where_the_operator_asks(etcd_server, tmp_path, store_token):
    prefix = '/t/%s/' % tmp_path.name
    here = EtcdLeaseRecord([etcd_server.url], LeaseStore(str(tmp_path / 'here')), prefix=prefix, store_token=store_token)
    there = EtcdLeaseRecord([etcd_server.url], LeaseStore(str(tmp_path / 'there')), prefix=prefix, store_token=store_token)
    try:
        lease = _sbc_lease(Run('controller-b', 4242, 77))  # taken on a controller of its own, whose local copy is "here"
        here.write(lease)
        stored = _stored(here, lease.key)
        assert (stored['token'] == 'tok-secret') is store_token and stored.get('token_withheld', False) is not store_token
        assert here.read(lease.key).token == 'tok-secret'  # this controller's copy has it
        # another controller reads the rest of the lease, and the token only where it was stored
        assert there.read(lease.key).token == ('tok-secret' if store_token else None)
        assert there.read(lease.key).run.same(lease.run)
    finally:
        here.close()
        there.close()


def test_a_withheld_token_whose_local_copy_is_gone_is_a_lease_error_for_the_live_run(record):
    writer = record()
    lease = _sbc_lease(this_run())
    writer.write(lease)
    writer.copies.delete(lease.key)
    with pytest.raises(OracleError) as caught:
        writer.read(lease.key)
    assert caught.value.reason == 'lease_error' and 'kept only in lease directory' in caught.value.msg
    gone = _sbc_lease(Run(socket.gethostname(), 4242, 1))  # a run of this host that is gone: an orphan without its token
    writer.write(gone)
    writer.copies.delete(gone.key)
    assert writer.read(gone.key).token is None


def test_a_task_that_goes_on_deciding_keeps_its_own_liveness_until_a_keeper_takes_it(record, monkeypatch):
    monkeypatch.setattr(_lease_etcd_liveness, 'START_GRACE', 3)
    task_side = record(ttl=2)
    run = this_run()
    lease = lease_of(run, 'ID1')
    task_side.write(lease)
    scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
    grace = _alive_lease(task_side, run, scope)
    assert grace
    began = time.monotonic()
    # a take that holds ID1 and keeps looking at ID2 (no keeper: release_on_exit false, or one still starting)
    while time.monotonic() - began < 3 * 2:
        with task_side.guard(lease_of(run, 'ID2').key):
            pass
        assert _alive_lease(task_side, run, scope) == grace, 'the liveness of a task still deciding ran out'
        time.sleep(0.2)
    # once it stops, its liveness runs out with its lease
    assert wait_until(lambda: _alive_lease(task_side, run, scope) is None, 30)
