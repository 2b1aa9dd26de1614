"""A run's liveness in etcd (_lease_etcd_liveness.EtcdLiveness), on a fake gateway: the keys it puts, keeps and marks."""

import os
import socket

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_gateway import b64
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_liveness import LAPSED_SUFFIX, START_GRACE, EtcdLiveness
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._local_files import LocalFiles


class FakeGateway:
    def __init__(self, alive=True):
        self.sent = []
        self.alive = alive

    def grant(self, ttl):
        self.sent.append(('grant', ttl))
        return 'L%d' % len(self.sent)

    def refresh(self, lease_id):
        self.sent.append(('refresh', lease_id))
        return self.alive

    def revoke(self, lease_id):
        self.sent.append(('revoke', lease_id))

    def call(self, path, body):
        self.sent.append((path, body))
        return {'count': '1'}


def lease_of(run):
    return Lease('sdm', 'sdm.test:8443', 'device:ID1', 'prov1', run)


def test_a_tasks_first_write_puts_its_runs_liveness_on_a_grace_lease_once(tmp_path):
    gateway = FakeGateway()
    liveness = EtcdLiveness(gateway, '/p/alive/', 3, LocalFiles(str(tmp_path)))
    run = Run(socket.gethostname(), os.getpid(), 1)
    scope, put = liveness.put_for_write(lease_of(run))
    assert scope == scope_key(run.ident, 'sdm', 'sdm.test:8443', 'prov1') and gateway.sent == [('grant', START_GRACE)]
    assert put == {'request_put': {'key': b64('/p/alive/%s/%s' % (run.ident, scope)), 'value': b64('1'), 'lease': 'L1'}}
    liveness.written(scope)
    assert liveness.put_for_write(lease_of(run)) is None  # once per task
    assert liveness.put_for_write(lease_of(Run('controller-b', 1, 2))) is None  # another host's run: its own keeper's


def test_a_keeper_keeps_the_key_on_its_own_lease_and_marks_a_lapse(tmp_path):
    local = LocalFiles(str(tmp_path))
    gateway = FakeGateway()
    liveness = EtcdLiveness(gateway, '/p/alive/', 3, local)
    run = Run(socket.gethostname(), os.getpid(), 1)
    scope = scope_key(run.ident, 'sdm', 'sdm.test:8443', 'prov1')
    before = lease_of(run)
    assert liveness.keep(run, scope) is False and liveness.keeper_lease[scope] == 'L1'
    txn = gateway.sent[-1]
    assert txn[0] == 'kv/txn' and txn[1]['compare'][0]['target'] == 'LEASE' and txn[1]['compare'][0]['lease'] == 'L1'
    gateway.alive = False  # etcd let the keeper's lease run out
    before.taken_at -= 5
    assert liveness.keep(run, scope) is True and local.exists(scope + LAPSED_SUFFIX)
    assert liveness.lapsed(before) and not liveness.lapsed(lease_of(Run('controller-b', 1, 2)))
    liveness.end(scope)
    assert ('revoke', liveness.keeper_lease.get(scope, gateway.sent[-1][1])) in gateway.sent
    assert not local.exists(scope + LAPSED_SUFFIX) and not liveness.lapsed(before)


def test_another_hosts_run_lives_while_a_key_of_it_is_counted(tmp_path):
    gateway = FakeGateway()
    liveness = EtcdLiveness(gateway, '/p/alive/', 3, LocalFiles(str(tmp_path)))
    assert liveness.counts_alive(Run('controller-b', 1, 2)) is True
    path, body = gateway.sent[-1]
    assert path == 'kv/range' and body['key'] == b64('/p/alive/controller-b:1:2/') and body['count_only'] is True
    assert liveness.count_request('controller-b:1:2') == {'request_range': body}
