"""The benchmark harness (benchmarks/, ``make bench``) in its quickest mode: it runs, and writes the table, JSON and plot.

No timing is asserted here, ever: wall-clock results depend on the machine and its load. What is
deterministic is asserted: the requests the emulator served per operation, per task and per device.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.collection_path import REPO_ROOT

pytestmark = pytest.mark.integration

LOGIN = 'POST /rest/{v}/admin/login'
LOGOUT = 'POST /rest/{v}/admin/logout'
ACTION = 'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'
CONFIGS = 'configuration/deviceConfigs/{id}/'
ELEMENTS = 'GET /rest/{v}/' + CONFIGS + 'configElements'
METADATA = 'POST /rest/{v}/' + CONFIGS + 'elementTypes/elementMetadata'
TYPES = 'GET /rest/{v}/' + CONFIGS + 'elementTypes'
ADD = 'POST /rest/{v}/' + CONFIGS + 'configElements/add'
CHANGES = 'GET /rest/{v}/' + CONFIGS + 'configurationChanges'
LOAD = 'GET /rest/{v}/configuration/devices/{id}/loadConfig'
PUSH = 'POST /rest/{v}/configuration/devices/{id}/action'
SBC_TOKEN = 'POST /rest/{v}/auth/token'
SBC_LOCK = 'POST /rest/{v}/configuration/lock'
SBC_UNLOCK = 'POST /rest/{v}/configuration/unlock'
SBC_METADATA = 'GET /rest/{v}/configuration/elementTypes/metadata'
SBC_LIST = 'GET /rest/{v}/configuration/configElements'
SBC_ADD = 'POST /rest/{v}/configuration/configElements'


@pytest.fixture(scope='module')
def smoke(tmp_path_factory):
    """One ``python -m benchmarks --smoke`` run with ``make bench``'s defaults: every benchmark, both products, every variant."""
    out = tmp_path_factory.mktemp('bench')
    env = dict(os.environ, MPLBACKEND='Agg')
    done = subprocess.run([sys.executable, '-m', 'benchmarks', '--smoke', '--out', str(out)],
                          cwd=str(REPO_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=900, check=False)
    output = done.stdout.decode('utf-8', 'replace')
    assert done.returncode == 0, output[-6000:]
    return out, output, json.loads((out / 'results.json').read_text(encoding='utf-8'))


def test_it_writes_the_table_and_the_plot(smoke):
    out, output, data = smoke
    table = (out / 'results.md').read_text(encoding='utf-8')
    assert '| benchmark | target | measured | verdict |' in table
    for heading in ('## 1. Per task', '## 2. Scale', '## 3. Many devices', '## 4. Hand-over', '## 5. Round trips', '## 6. etcd',
                    '## 7. Provisioning', '## 8. A role session across a WAN'):
        assert heading in table
        assert heading in output  # the table is also printed
    assert (out / 'results.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert sorted(data['results']) == ['etcd', 'fanout', 'handover', 'latency', 'pertask', 'provisioning', 'roundtrips', 'scale']
    assert data['meta']['mode'] == 'smoke'
    # the plays that ran are kept for reading
    assert list((out / 'work' / 'pertask' / 'plays').glob('uri-sdm.yml'))


def test_round_trips_are_login_action_logout_per_task(smoke):
    operations = smoke[2]['results']['roundtrips']['products']['sdm']
    assert operations['acquire']['requests'] == {LOGIN: 1, ACTION: 1, LOGOUT: 1}
    assert operations['re-acquire (held)']['requests'] == {}
    assert operations['release']['requests'] == {LOGIN: 1, ACTION: 1, LOGOUT: 1}
    assert all(row['pass'] for row in operations.values())


def test_sbc_round_trips_are_token_and_lock_then_unlock(smoke):
    operations = smoke[2]['results']['roundtrips']['products']['sbc']
    assert operations['acquire']['requests'] == {SBC_TOKEN: 1, SBC_LOCK: 1}
    assert operations['re-acquire (held)']['requests'] == {}
    assert operations['release']['requests'] == {SBC_UNLOCK: 1}
    assert all(row['pass'] for row in operations.values())


def test_per_task_plays_send_what_they_should(smoke):
    sdm = smoke[2]['results']['pertask']['products']['sdm']
    assert sdm['requests']['ours'] == {LOGIN: 2, ACTION: 2, LOGOUT: 2}
    assert sdm['requests']['uri'] == {LOGIN: 1, ACTION: 2, LOGOUT: 1}
    assert sdm['requests']['debug'] == {} and sdm['requests']['empty'] == {}


def test_sbc_per_task_plays_send_what_they_should(smoke):
    sbc = smoke[2]['results']['pertask']['products']['sbc']
    assert sbc['requests']['ours'] == {SBC_TOKEN: 1, SBC_LOCK: 1, SBC_UNLOCK: 1}
    assert sbc['requests']['uri'] == {SBC_TOKEN: 1, SBC_LOCK: 1, SBC_UNLOCK: 1}
    assert sbc['requests']['debug'] == {} and sbc['requests']['empty'] == {}


@pytest.mark.parametrize('variant', ['module', 'role'])
def test_scale_costs_six_requests_per_device_and_its_floor_none(smoke, variant):
    # the floor plays sending any request stops the run (benchmarks/scale.py), so a floor copy of the role that
    # kept a lock task fails the fixture
    scaled = smoke[2]['results']['scale']['variants'][variant]
    assert scaled['requests_per_device'] == 6
    assert scaled['requests'] == {LOGIN: 8, ACTION: 8, LOGOUT: 8}  # 4 devices


def test_many_devices_one_login_one_logout(smoke):
    fanned = smoke[2]['results']['fanout']
    for size, counts in fanned['requests_per_task'].items():
        assert counts == {'login': 1, 'action': int(size), 'logout': 1}
    assert fanned['pass_sessions']


def test_waiters_on_one_controller_send_nothing_while_waiting(smoke):
    row = smoke[2]['results']['handover']['products']['sdm']['1']
    assert row['local']['n'] == 1 and row['foreign']['n'] == 1
    assert row['local']['rate_while_waiting'] == 0


def test_the_etcd_backend_rows_exist_and_its_plays_send_what_the_file_backend_sends(smoke):
    out, _output, data = smoke
    table = (out / 'results.md').read_text(encoding='utf-8')
    rows = [line for line in table.splitlines() if line.startswith('| 6 etcd SDM |')]
    assert len(rows) == 3, rows  # hand-over, per task, recovery
    sdm = data['results']['etcd']['products']['sdm']
    # the lease backend changes nothing the device sees: one pair is login + action + logout twice, on either backend
    assert sdm['pertask']['requests'] == {'file': {LOGIN: 2, ACTION: 2, LOGOUT: 2}, 'etcd': {LOGIN: 2, ACTION: 2, LOGOUT: 2}, 'empty': {}}
    assert sdm['handover']['n'] == 1 and len(sdm['handover']['samples']) == 1
    assert sdm['recovery']['n'] == 1 and len(sdm['recovery']['samples']) == 1
    assert list((out / 'work' / 'etcd' / 'ctl-b' / 'logs').glob('*-waiter-sdm.log'))  # the waiter ran on the other controller


def test_provisioning_plays_send_what_they_should(smoke):
    out, _output, data = smoke
    provisioned = data['results']['provisioning']
    assert provisioned['tasks'] == 1 and provisioned['repeats'] == 1
    lock = {LOGIN: 2, ACTION: 2, LOGOUT: 2}  # device_lock lock + unlock, in every play
    session = {LOGIN: 3, ACTION: 2, LOGOUT: 3}  # ... and one task that signs in and out
    assert provisioned['requests'] == {
        'lock-only': lock,
        'debug': lock,
        # the run's first change: loadConfig, elementTypes (an empty list shows no list shape), the staged changes before it,
        # and the elements read again after loadConfig
        'element-add': {**session, METADATA: 1, ELEMENTS: 2, ADD: 1, LOAD: 1, TYPES: 1, CHANGES: 1},
        'element-noop': {**session, METADATA: 1, ELEMENTS: 1},
        'info': {**session, ELEMENTS: 1},
        'push': {**session, CHANGES: 1, PUSH: 1},
    }
    assert provisioned['requests_per_task'] == {'debug': 0, 'element-add': 9, 'element-noop': 4, 'info': 3, 'push': 4}
    assert set(provisioned['per_task_s']) == {'debug', 'element-add', 'element-noop', 'info', 'push'}
    rows = [line for line in (out / 'results.md').read_text(encoding='utf-8').splitlines() if line.startswith('| 7 provisioning |')]
    assert len(rows) == 1 and rows[0].endswith('**pass** |'), rows
    assert list((out / 'work' / 'provisioning' / 'plays').glob('element-noop.yml'))


def test_one_config_elements_task_reads_once_and_posts_each_realm(smoke):
    out, _output, data = smoke
    listed = data['results']['provisioning']['list']
    count = listed['elements']
    assert count == 5 and listed['repeats'] == 1
    lock = {SBC_TOKEN: 1, SBC_LOCK: 1, SBC_UNLOCK: 1}  # config_lock lock + unlock; no task under the lock asks for a token
    assert listed['requests'] == {
        'lock-only': lock,
        # the metadata once, the realms once (one page: the SBC pages by 100 and holds two before), a POST per realm
        'elements': {**lock, SBC_METADATA: 1, SBC_LIST: 1, SBC_ADD: count},
        # per task: the metadata, the realm's own read, its POST
        'element': {**lock, SBC_METADATA: count, SBC_LIST: count, SBC_ADD: count},
        # the POSTs with the lock's token (the lease lookup reads a file, not the SBC)
        'uri': {**lock, SBC_ADD: count},
    }
    assert listed['requests_beyond_lock']['elements'] == {SBC_METADATA: 1, SBC_LIST: 1, SBC_ADD: count}
    assert set(listed['median']) == {'lock-only', 'elements', 'element', 'uri'}
    assert set(listed['beyond_lock']) == {'element_vs_elements', 'uri_vs_elements'}  # figures reported, never asserted
    table = (out / 'results.md').read_text(encoding='utf-8')
    assert '### 7b. %d realm-config elements in one task' % count in table
    rows = [line for line in table.splitlines() if line.startswith('| 7 provisioning, list |')]
    assert len(rows) == 1 and rows[0].endswith('**pass** |'), rows
    written = out / 'work' / 'provisioning' / 'plays'
    assert sorted(path.name for path in written.glob('list-*.yml')) == ['list-element.yml', 'list-elements.yml', 'list-lock-only.yml', 'list-uri.yml']


def test_the_latency_sessions_cost_what_the_wire_counts_say(smoke):
    """Benchmark 8's counts per play, from the emulator: connections, handshakes, sign-ins, requests (deterministic).

    Today every task that talks to a device opens its own connection with a full TLS handshake: the role session
    opens six (lock, three elements, the commit or push, unlock); the SBC token is the lock's, for every task; each
    SDM task signs in and out. uri opens one per task too."""
    out, _output, data = smoke
    rows = data['results']['latency']['products']
    assert set(rows) == {'sbc', 'sdm'} and set(rows['sbc']) == {'20'}
    sbc, sdm = rows['sbc']['20']['counts'], rows['sdm']['20']['counts']
    for counted in (sbc['debug'], sdm['debug']):
        assert (counted['connections'], counted['requests']) == (0, 0)
    assert (sbc['ours']['connections'], sbc['ours']['sign_ins'], sbc['ours']['requests']) == (6, 1, 18)
    assert (sbc['uri']['connections'], sbc['uri']['sign_ins'], sbc['uri']['requests']) == (12, 1, 12)
    assert (sdm['ours']['connections'], sdm['ours']['sign_ins'], sdm['ours']['requests']) == (6, 6, 28)
    for counted in (sbc['ours'], sbc['uri'], sdm['ours']):
        assert (counted['tls_full'], counted['tls_resumed']) == (counted['connections'], 0)
    # the minimum: the uri session's requests for the SBC; login, lock, three adds, push, unlock, logout for the SDM
    assert rows['sbc']['20']['minimum_requests'] == 12 and rows['sdm']['20']['minimum_requests'] == 8
    table = (out / 'results.md').read_text(encoding='utf-8')
    assert '## 8. A role session across a WAN' in table
    assert len([line for line in table.splitlines() if line.startswith('| 8 latency ')]) == 5
