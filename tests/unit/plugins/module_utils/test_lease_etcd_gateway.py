"""etcd's JSON gateway (_lease_etcd_gateway.Gateway): failover, sign-in and what each call sends, on fake clients."""

import pytest
from etcd3gw import exceptions as etcd_exceptions

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_etcd_gateway
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_gateway import Gateway, b64, range_end, unb64


class FakeClient:
    """Stands for an etcd3gw client: answers from ``answers`` (a callable of path and body) and records the posts."""

    def __init__(self, answers):
        self.answers = answers
        self.posts = []
        self.session = type('S', (), {'headers': {}, 'close': lambda self: None})()

    def get_url(self, path):
        return 'http://etcd/v3/' + path

    def post(self, url, json=None):
        path = url.rsplit('/v3/', 1)[1]
        self.posts.append((path, json))
        return self.answers(path, json)


def gateway(monkeypatch, *answers, username=None):
    clients = [FakeClient(answer) for answer in answers]
    made = iter(clients)
    monkeypatch.setattr(_lease_etcd_gateway, 'Etcd3Client', lambda *args, **kwargs: next(made))
    urls = ['http://etcd%d:2379' % index for index in range(len(clients))]
    return Gateway(urls, None, None, None, username, 'pw' if username else None, 5.0), clients


def refused(_path, _body):
    raise etcd_exceptions.ConnectionFailedError('connection refused')


def test_base64_and_range_ends():
    assert unb64(b64('lease/x')) == b'lease/x' and unb64(None) == b''
    assert unb64(range_end('/p/lease/')) == b'/p/lease0'


def test_the_next_endpoint_serves_and_stays_current(monkeypatch):
    gate, (down, up) = gateway(monkeypatch, refused, lambda path, body: {'kvs': [{'key': b64('k')}]})
    assert gate.range('k', keys_only=True) == [{'key': b64('k')}]
    assert up.posts == [('kv/range', {'key': b64('k'), 'keys_only': True})] and len(down.posts) == 1
    gate.call('kv/range', {})
    assert len(down.posts) == 1  # the endpoint that answered is asked first


def test_no_endpoint_answers_is_one_lease_error(monkeypatch):
    gate, _clients = gateway(monkeypatch, refused, refused)
    with pytest.raises(OracleError) as caught:
        gate.call('kv/range', {})
    assert caught.value.reason == 'lease_error' and 'cannot be reached' in caught.value.msg and 'etcd1:2379' in caught.value.msg


def test_an_expired_auth_token_signs_in_again_once(monkeypatch):
    state = {'signed_in': 0, 'refused': 0}

    def answers(path, _body):
        if path == 'auth/authenticate':
            state['signed_in'] += 1
            return {'token': 'tok-%d' % state['signed_in']}
        if state['refused'] == 0:
            state['refused'] += 1
            detail = '{"error": "etcdserver: invalid auth token"}'  # etcd's answer, as the gateway sends it
            raise etcd_exceptions.Etcd3Exception(detail, 'invalid auth token')
        return {'ok': True}

    gate, (client,) = gateway(monkeypatch, answers, username='root')
    assert gate.call('kv/range', {}) == {'ok': True}
    assert state['signed_in'] == 2 and client.session.headers['Authorization'] == 'tok-2'


def test_lease_calls_send_what_etcd_expects(monkeypatch):
    sent = []

    def answers(path, body):
        sent.append((path, body))
        return {'ID': '7', 'result': {'TTL': '0'}}

    gate, _clients = gateway(monkeypatch, answers)
    assert gate.grant(15) == '7' and gate.refresh('7') is False
    gate.revoke('7')
    assert sent == [('lease/grant', {'TTL': 15}), ('lease/keepalive', {'ID': '7'}), ('kv/lease/revoke', {'ID': '7'})]


def test_without_etcd3gw_the_gateway_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_lease_etcd_gateway, 'HAS_ETCD3GW', False)
    with pytest.raises(OracleError) as caught:
        Gateway(['http://etcd:2379'], None, None, None, None, None, 5.0)
    assert caught.value.reason == 'missing_library' and 'etcd3gw' in caught.value.msg
