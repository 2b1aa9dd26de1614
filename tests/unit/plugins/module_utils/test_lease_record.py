"""The lease record's interface (_lease_record.LeaseRecord), tested the same way for every backend.

A backend is a fixture parameter: a factory that opens a fresh, empty record. Each test speaks only the
interface (guard, read, write, delete, keys, signature, wait_for_change, run_alive, classify, keep_run_alive,
end_run_alive, liveness_lapsed, path, close, and the controller's own files, ``local``).
"""

import multiprocessing
import os
import shutil
import stat
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_record import (
    FREE,
    ORPHAN,
    OTHER_RUN,
    OURS,
    LeaseRecord,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd import EtcdLeaseRecord
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._proc import start_time
from tests.etcd_harness import start_etcd

ENDPOINT = 'sdm.test:8443'


def this_run():
    return Run(os.uname()[1], os.getpid(), start_time(os.getpid()))


def gone_run():
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    start = start_time(process.pid)
    process.wait()
    return Run(os.uname()[1], process.pid, start)


def device_lease(run, device_id='ID1'):
    return Lease('sdm', ENDPOINT, 'device:%s' % device_id, 'prov1', run, proof=make_proof('prov1', 'pw'), holders=['h1'])


@pytest.fixture(scope='module')
def etcd_server(tmp_path_factory):
    """One real etcd on loopback for the module (each test uses a key prefix of its own)."""
    with start_etcd(tmp_path_factory.mktemp('etcd')) as etcd:
        yield etcd


def _file_backend(request, tmp_path):
    return LeaseStore(str(tmp_path / 'leases'))


def _etcd_backend(request, tmp_path):
    etcd = request.getfixturevalue('etcd_server')
    return EtcdLeaseRecord([etcd.url], LeaseStore(str(tmp_path / 'local')), ttl=3, prefix='/test/%s/' % tmp_path.name)


# children forked from a pytest-xdist worker only open, lock and read files (and, as nobody, drop privileges)
pytestmark = pytest.mark.filterwarnings('ignore:This process .* is multi-threaded, use of fork:DeprecationWarning')

BACKENDS = {'file': _file_backend, 'etcd': _etcd_backend}


@pytest.fixture(params=sorted(BACKENDS))
def open_record(request, tmp_path):
    """Opens the backend's record (as often as a test asks: several openers share it, as runs do)."""
    opened = []

    def factory():
        record = BACKENDS[request.param](request, tmp_path)
        opened.append(record)
        return record

    yield factory
    for record in opened:
        record.close()


def test_every_backend_is_a_lease_record(open_record):
    assert isinstance(open_record(), LeaseRecord)


def test_read_write_delete(open_record):
    record = open_record()
    lease = device_lease(this_run())
    assert record.read(lease.key) is None and record.signature(lease.key) is None
    record.write(lease)
    again = open_record().read(lease.key)
    assert again.to_dict() == lease.to_dict()
    record.delete(lease.key)
    record.delete(lease.key)  # deleting what is gone is no error
    assert record.read(lease.key) is None and lease.key in record.path(lease.key)


def test_the_signature_changes_on_every_write_and_delete(open_record):
    record = open_record()
    lease = device_lease(this_run())
    seen = [record.signature(lease.key)]
    for step in range(3):
        lease.holders.append('h%d' % (step + 2))
        record.write(lease)
        seen.append(record.signature(lease.key))
    record.delete(lease.key)
    seen.append(record.signature(lease.key))
    assert len(set(seen[:-1])) == 4 and seen[-1] is None


def test_a_waiter_is_woken_by_a_change_and_not_before(open_record):
    record = open_record()
    lease = device_lease(this_run())
    record.write(lease)
    began = time.monotonic()
    assert record.wait_for_change(lease.key, record.signature(lease.key), 0.2) is False
    assert time.monotonic() - began >= 0.2
    writer = threading.Timer(0.1, lambda: open_record().delete(lease.key))
    writer.start()
    try:
        assert record.wait_for_change(lease.key, record.signature(lease.key), 30) is True
    finally:
        writer.join()


def _hold_guard(factory, key, entered, release):
    record = factory()
    with record.guard(key):
        entered.set()
        release.wait(30)


def test_the_guard_excludes_other_processes(open_record, tmp_path):
    record = open_record()
    key = device_lease(this_run()).key
    context = multiprocessing.get_context('fork')
    entered, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_guard, args=(open_record, key, entered, release))
    holder.start()
    try:
        assert entered.wait(30)
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (record.guard(key).__enter__(), got.set()))
        waiter.daemon = True
        waiter.start()
        assert not got.wait(0.3)  # held by the other process
        release.set()
        assert got.wait(30)
    finally:
        release.set()
        holder.join(30)


def test_standings_for_a_run(open_record):
    record = open_record()
    me = this_run()
    assert record.classify(None, me) == FREE
    assert record.classify(device_lease(me), me) == OURS
    assert record.classify(device_lease(Run(me.host, 1, start_time(1))), me) == OTHER_RUN  # pid 1 lives
    assert record.classify(device_lease(gone_run()), me) == ORPHAN
    assert record.run_alive(device_lease(gone_run())) is False


def test_keys_name_every_lease_once_and_nothing_else(open_record):
    record = open_record()
    first, second = device_lease(this_run(), 'ID1'), device_lease(this_run(), 'ID2')
    for lease in (first, second, first):
        record.write(lease)
    os.close(record.local.open_file(scope_key(this_run().ident, 'sdm', ENDPOINT, 'prov1') + '.pid', os.O_WRONLY | os.O_CREAT))
    assert sorted(open_record().keys()) == sorted([first.key, second.key])
    record.delete(first.key)
    assert record.keys() == [second.key]


def test_the_path_names_a_local_file_the_lookup_can_read_while_the_lease_is_there(open_record):
    record = open_record()
    lease = device_lease(this_run())
    record.write(lease)
    assert os.path.dirname(record.path(lease.key)) == record.local.directory and os.path.isfile(record.path(lease.key))
    record.delete(lease.key)
    assert not os.path.exists(record.path(lease.key))


def test_a_keeper_keeps_its_run_alive_through_the_interface(open_record):
    record = open_record()
    run = this_run()
    lease = device_lease(run)
    record.write(lease)
    scope = scope_key(run.ident, 'sdm', ENDPOINT, 'prov1')
    assert record.keep_run_alive(run, scope) is False  # the first beat: nothing could have lapsed
    assert record.keep_run_alive(run, scope) is False
    assert record.liveness_lapsed(lease) is False and open_record().classify(lease, run) == OURS
    record.end_run_alive(scope)
    record.end_run_alive(scope)  # ending twice is no error
    assert isinstance(record.shared_between_controllers, bool)


def test_the_controllers_own_files(open_record):
    local = open_record().local
    fd = local.open_file('keeper-x.pid', os.O_RDWR | os.O_CREAT)
    try:
        assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
    finally:
        os.close(fd)
    assert 'keeper-x.pid' in local.names() and local.exists('keeper-x.pid') and local.stat('keeper-x.pid').st_size == 0
    local.rename('keeper-x.pid', 'keeper-x.pid.1')
    assert not local.exists('keeper-x.pid') and local.stat('keeper-x.pid') is None and local.exists('keeper-x.pid.1')
    assert local.unlink('keeper-x.pid.1') is True and local.unlink('keeper-x.pid.1') is False
    assert local.touch('x.json.refresh') and local.exists('x.json.refresh')
    with local.guard('keepers'):
        pass
    os.symlink('/etc/passwd', os.path.join(local.directory, 'linked'))
    with pytest.raises(OSError):
        local.open_file('linked', os.O_RDONLY)  # never through a link
    assert not local.gone()
    shutil.rmtree(local.directory)
    assert local.gone()
