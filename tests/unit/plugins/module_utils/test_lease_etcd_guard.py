"""The guard of one lock in etcd (_lease_etcd_guard.held_guard), on a fake gateway: what it sends and when it lets go."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_etcd_guard
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_gateway import b64
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_guard import held_guard


class FakeGateway:
    def __init__(self, txn_answers):
        self.txn_answers = list(txn_answers)
        self.sent = []
        self.revoked = []

    def grant(self, ttl):
        self.sent.append(('grant', ttl))
        return 'L%d' % len(self.sent)

    def refresh(self, lease_id):
        return True

    def revoke(self, lease_id):
        self.revoked.append(lease_id)

    def range(self, name):
        self.sent.append(('range', name))
        return [{'value': b64('lost-answer-read')}]

    def call(self, path, body):
        self.sent.append((path, body))
        answer = self.txn_answers.pop(0)
        return answer(body) if callable(answer) else answer


def test_a_free_guard_is_one_transaction_that_reads_the_lease_too():
    kvs = [{'value': b64('{}'), 'mod_revision': '4'}]
    gateway = FakeGateway([{'succeeded': True, 'responses': [{}, {'response_range': {'kvs': kvs}}]}])
    with held_guard(gateway, 6, '/p/guard/k', '/p/lease/k') as read:
        assert read == kvs and not gateway.revoked
    (_grant, (path, txn)) = gateway.sent
    assert path == 'kv/txn' and txn['compare'] == [{'key': b64('/p/guard/k'), 'result': 'EQUAL', 'target': 'CREATE', 'create_revision': '0'}]
    assert txn['success'][0]['request_put']['lease'] == 'L1' and txn['success'][1] == {'request_range': {'key': b64('/p/lease/k')}}
    assert gateway.revoked == ['L1']  # the guard key goes with its etcd lease


def test_a_held_guard_is_waited_for_and_a_take_whose_answer_was_lost_is_ours(monkeypatch):
    monkeypatch.setattr(_lease_etcd_guard.time, 'sleep', lambda _s: None)

    def ours(body):
        me = body['success'][0]['request_put']['value']
        return {'succeeded': False, 'responses': [{'response_range': {'kvs': [{'value': me}]}}]}

    other = {'succeeded': False, 'responses': [{'response_range': {'kvs': [{'value': b64('someone else')}]}}]}
    gateway = FakeGateway([other, other, ours])
    with held_guard(gateway, 6, '/p/guard/k', '/p/lease/k') as read:
        assert read == [{'value': b64('lost-answer-read')}]
    assert [sent[0] for sent in gateway.sent] == ['grant', 'kv/txn', 'kv/txn', 'kv/txn', 'range']


def test_a_failure_while_taking_lets_the_etcd_lease_go():
    gateway = FakeGateway([])  # the transaction fails (no answer)
    with pytest.raises(IndexError):
        with held_guard(gateway, 6, '/p/guard/k', '/p/lease/k'):
            pass
    assert gateway.revoked == ['L1']
