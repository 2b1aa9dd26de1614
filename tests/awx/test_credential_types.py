"""The AWX credential types of examples/awx/: valid for AWX, and enough to run plays.

Each definition is checked against AWX's own rules for custom credential types, then injected the way
AWX injects it into a job (tests/awx/awx_credentials.py), and a real ``ansible-playbook`` runs
config_lock and device_lock against the emulator over verified HTTPS with nothing but that environment:
no connection setting in the play, in extra vars or in the test's own environment. The lease store
credential ("Oracle lease store (etcd)") does the same with a real etcd that speaks only TLS, takes only
clients with a certificate of its CA, and has authentication on (tests/etcd_harness.py).
The example playbook that creates the types (examples/awx/credential_types.yml) runs against a small
stand-in for AWX's REST API, which records what it receives.
"""

import base64
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from tests.awx import awx_credentials
from tests.awx.conftest import BIN, PLAYS, credential_type
from tests.collection_path import REPO_ROOT, ensure_collections_root
from tests.etcd_harness import start_etcd

pytestmark = pytest.mark.integration

# The option -> environment variable names the modules read (plugins/module_utils/_argspec.py) that a credential sets.
CREDENTIAL_OPTIONS = ('host', 'username', 'password', 'validate_certs', 'ca_path')


def definition(product):
    return credential_type(product)


def module_env_names(product):
    """{option: environment variable} of the connection options, from the collection's own argument spec."""
    ensure_collections_root()
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _argspec  # pylint: disable=import-outside-toplevel
    spec = _argspec.connection_spec(product.upper()).argument_spec
    return dict((option, spec[option]['fallback'][1][0]) for option in CREDENTIAL_OPTIONS)


def base_env(tmp_path, collections_root):
    """A job's environment before credentials: Ansible settings only, nothing of this test process."""
    env = {
        'PATH': '%s:/usr/bin:/bin' % BIN,
        'HOME': str(tmp_path / 'home'),
        'LANG': 'C.UTF-8',
        'ANSIBLE_COLLECTIONS_PATH': str(collections_root),
        'ANSIBLE_HOME': str(tmp_path / 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'),
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ORACLE_COMMS_LEASE_DIR': str(tmp_path / 'leases'),
    }
    (tmp_path / 'home').mkdir(exist_ok=True)
    return env


def run_play(play, env, tags=None, timeout=120):
    command = [str(BIN / 'ansible-playbook'), str(PLAYS / play), '-i', 'localhost,', '-c', 'local']
    if tags:
        command += ['--tags', tags]
    done = subprocess.run(command, cwd=str(REPO_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout, check=False)
    return done.returncode, done.stdout.decode('utf-8', 'replace')


def credential_inputs(emulator, product, user, password, **more):
    host = emulator.sbc_host() if product == 'sbc' else emulator.sdm_host()
    inputs = {'host': host, 'username': user, 'password': password}
    inputs.update(more)
    return inputs


@pytest.mark.parametrize('product', ['sbc', 'sdm', 'lease_etcd'])
def test_awx_accepts_the_definition(product):
    awx_credentials.validate(definition(product))


def test_awx_refuses_what_it_should():
    """The validator is no rubber stamp: each of these is a definition AWX refuses."""
    good = definition('sbc')
    broken = []
    for change in (lambda d: d.update(kind='ssh'),
                   lambda d: d['injectors']['env'].update(ANSIBLE_HOST='{{ host }}'),
                   lambda d: d['injectors']['env'].update(PATH='/x'),
                   lambda d: d['injectors']['env'].update(SBC_HOST='{{ hostname }}'),
                   lambda d: d['injectors']['env'].update(SBC_CA_PATH='{{ tower.filename.cert }}'),
                   lambda d: d['inputs']['fields'][4].update(secret=True),
                   lambda d: d['injectors']['file'].update(ca='{{ ca_cert }}')):
        candidate = json.loads(json.dumps(good))
        change(candidate)
        with pytest.raises(AssertionError):
            awx_credentials.validate(candidate)
        broken.append(candidate)
    assert len(broken) == 7


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_it_sets_exactly_the_variables_the_modules_read(product):
    names = module_env_names(product)
    assert names == dict((option, '%s_%s' % (product.upper(), option.upper())) for option in CREDENTIAL_OPTIONS)
    assert sorted(definition(product)['injectors']['env']) == sorted(names.values())


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_injection_values_and_what_awx_stores_for_the_job(product, tmp_path):
    prefix = product.upper()
    pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    env, safe_env = awx_credentials.inject(definition(product), {'host': 'dev.example.net:9443', 'username': 'ops',
                                                                 'password': 's3cret pass', 'ca_cert': pem}, str(tmp_path))
    assert env[prefix + '_HOST'] == 'dev.example.net:9443' and env[prefix + '_USERNAME'] == 'ops'
    assert env[prefix + '_PASSWORD'] == 's3cret pass'
    # an unticked box is false in AWX, so certificates are checked unless someone asks otherwise
    assert env[prefix + '_VALIDATE_CERTS'] == 'True'
    ca_file = pathlib.Path(env[prefix + '_CA_PATH'])
    assert ca_file.parent == tmp_path / 'env' and ca_file.read_text(encoding='utf-8') == pem
    assert oct(ca_file.stat().st_mode & 0o777) == '0o600'
    # the job environment AWX keeps in its database shows the password hidden
    assert safe_env[prefix + '_PASSWORD'] == '**********' and 's3cret' not in json.dumps(safe_env)
    assert safe_env[prefix + '_HOST'] == 'dev.example.net:9443'

    lab = {'host': 'h', 'username': 'u', 'password': 'p', 'skip_cert_validation': True}
    skipped = awx_credentials.inject(definition(product), lab, str(tmp_path))[0]
    assert skipped[prefix + '_VALIDATE_CERTS'] == 'False' and skipped[prefix + '_CA_PATH'] == ''


def test_a_play_runs_on_nothing_but_the_injected_environment(emulator, installed_collections, tmp_path):
    """AWX's injection of both credentials, then config_lock and device_lock over verified TLS."""
    pem = pathlib.Path(emulator.ca_cert).read_text(encoding='utf-8')
    private_data_dir = tmp_path / 'job'
    env = base_env(tmp_path, installed_collections)
    assert not [name for name in env if name.startswith(('SBC_', 'SDM_'))]
    for product, user, password in (('sbc', 'admin2', 'admin-secret-2'), ('sdm', 'prov2', 'prov2-secret')):
        injected = awx_credentials.inject(definition(product), credential_inputs(emulator, product, user, password, ca_cert=pem),
                                          str(private_data_dir))[0]
        assert injected['%s_VALIDATE_CERTS' % product.upper()] == 'True'
        env.update(injected)
    status, output = run_play('lock_cycle.yml', env)
    assert status == 0, output
    assert 'changed=4' in output and 'failed=0' in output, output
    sbc = [(event['event'], event['holder']['user']) for event in emulator.audit('sbc1')]
    sdm = [(event['resource'], event['event'], event['holder']['user']) for event in emulator.audit('sdm1')]
    assert sbc == [('grant', 'admin2'), ('release', 'admin2')]
    assert sdm == [('device:ID3', 'grant', 'prov2'), ('device:ID3', 'release', 'prov2')]
    for secret in ['admin-secret-2', 'prov2-secret'] + emulator.secrets()['tokens'] + emulator.secrets()['sessions']:
        assert secret not in output


@pytest.mark.parametrize('inputs, works', [
    ({}, False),                                  # no CA: the system trust store does not know the emulator's CA
    ({'skip_cert_validation': True}, True),       # the lab switch: no verification at all
    ({'skip_cert_validation': False}, False),     # ticked off explicitly: the same as not ticked
], ids=['no-ca', 'skip-validation', 'validation-on-without-ca'])
def test_certificate_settings_reach_the_module(emulator, installed_collections, tmp_path, inputs, works):
    env = base_env(tmp_path, installed_collections)
    env.update(awx_credentials.inject(definition('sbc'), credential_inputs(emulator, 'sbc', 'admin', 'admin-secret-1', **inputs),
                                      str(tmp_path / 'job'))[0])
    status, output = run_play('lock_cycle.yml', env, tags='sbc')
    if works:
        assert status == 0, output
        assert [event['event'] for event in emulator.audit('sbc1')] == ['grant', 'release']
    else:
        assert status != 0 and '"reason": "tls"' in output, output
        assert 'not trusted' in output and emulator.audit('sbc1') == []


# -------------------------------------------------------------- the lease store credential and a real etcd

#: The lease options the "Oracle lease store (etcd)" credential sets.
LEASE_CREDENTIAL_OPTIONS = ('lease_backend', 'lease_ttl', 'lease_etcd_endpoints', 'lease_etcd_ca_path', 'lease_etcd_client_cert',
                            'lease_etcd_client_key', 'lease_etcd_username', 'lease_etcd_password', 'lease_etcd_store_token')
#: The lease options it leaves to the job's environment: the local directory (one per execution node) and the switch that
#: lets plain http through to another host.
LEASE_OPTIONS_NOT_IN_THE_CREDENTIAL = frozenset(('lease_dir', 'lease_etcd_allow_http'))
ETCD_PREFIX = '/oracle_comms/provisioning/'
ETCD_USER, ETCD_PASSWORD, ETCD_ROOT_PASSWORD = 'awx-lease', 'etcd-lease-secret-7', 'etcd-root-secret-3'


def lease_spec():
    """The lease options of the modules (plugins/module_utils/_argspec.py LEASE_SPEC)."""
    ensure_collections_root()
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _argspec  # pylint: disable=import-outside-toplevel
    return _argspec.LEASE_SPEC.argument_spec


def pem_body(path):
    """The base64 lines of a PEM file: what must never show, whatever wraps or escapes the whole."""
    lines = pathlib.Path(path).read_text(encoding='utf-8').splitlines()
    return [line for line in lines if line and not line.startswith('-----')]


def test_the_lease_store_sets_exactly_the_variables_the_modules_read(tmp_path):
    spec = lease_spec()
    # a new lease option fails this until someone decides whether the credential sets it
    assert set(LEASE_CREDENTIAL_OPTIONS) <= set(spec) and 'lease_dir' in spec
    assert set(spec) - set(LEASE_CREDENTIAL_OPTIONS) <= LEASE_OPTIONS_NOT_IN_THE_CREDENTIAL, sorted(spec)
    names = dict((option, spec[option]['fallback'][1][0]) for option in LEASE_CREDENTIAL_OPTIONS)
    assert sorted(definition('lease_etcd')['injectors']['env']) == sorted(names.values())
    # Left empty, the optional fields give what the modules do without the variable: AWX sets every variable of
    # the injector, and the modules refuse an empty number.
    env = awx_credentials.inject(definition('lease_etcd'), {'endpoints': 'https://etcd.example.net:2379'}, str(tmp_path))[0]
    assert env[names['lease_backend']] == 'etcd' and 'etcd' in spec['lease_backend']['choices']
    assert float(env[names['lease_ttl']]) == spec['lease_ttl']['default']
    for option in ('lease_etcd_ca_path', 'lease_etcd_client_cert', 'lease_etcd_client_key', 'lease_etcd_username', 'lease_etcd_password'):
        assert env[names[option]] == '', option
    # an unticked box: SBC tokens stay off etcd, as without the variable
    assert env[names['lease_etcd_store_token']] == 'False' and spec['lease_etcd_store_token']['default'] is False
    ticked = awx_credentials.inject(definition('lease_etcd'), {'endpoints': 'https://etcd.example.net:2379', 'store_sbc_token': True},
                                    str(tmp_path / 'ticked'))[0]
    assert ticked[names['lease_etcd_store_token']] == 'True'


def test_the_three_types_can_go_on_one_job_template():
    """AWX takes one credential of each credential type on a job template. The three are distinct types of kind
    cloud and set no variable twice: in a job, a later credential's value would silently win."""
    types = [definition(product) for product in ('sbc', 'sdm', 'lease_etcd')]
    assert len(set(item['name'] for item in types)) == 3 and set(item['kind'] for item in types) == {'cloud'}
    names = [name for item in types for name in item['injectors']['env']]
    assert len(names) == len(set(names)) == 19, names


def test_lease_store_injection_values_and_what_awx_stores_for_the_job(tmp_path):
    pems = dict((field, '-----BEGIN %s-----\nMIIB%s\n-----END %s-----\n' % (kind, field.upper(), kind)) for field, kind in (
        ('ca_cert', 'CERTIFICATE'), ('client_cert', 'CERTIFICATE'), ('client_key', 'PRIVATE KEY')))
    inputs = dict(pems, endpoints='https://etcd1.example.net:2379,https://etcd2.example.net:2379', username='awx', password='etcd pass',
                  lease_ttl='30')
    env, safe_env = awx_credentials.inject(definition('lease_etcd'), inputs, str(tmp_path))
    assert env['ORACLE_COMMS_LEASE_BACKEND'] == 'etcd' and env['ORACLE_COMMS_LEASE_TTL'] == '30'
    assert env['ORACLE_COMMS_ETCD_ENDPOINTS'] == 'https://etcd1.example.net:2379,https://etcd2.example.net:2379'
    assert env['ORACLE_COMMS_ETCD_USERNAME'] == 'awx' and env['ORACLE_COMMS_ETCD_PASSWORD'] == 'etcd pass'
    files = []
    for variable, field in (('ORACLE_COMMS_ETCD_CA_PATH', 'ca_cert'), ('ORACLE_COMMS_ETCD_CLIENT_CERT', 'client_cert'),
                            ('ORACLE_COMMS_ETCD_CLIENT_KEY', 'client_key')):
        path = pathlib.Path(env[variable])
        assert path.parent == tmp_path / 'env' and path.read_text(encoding='utf-8') == pems[field], variable
        assert oct(path.stat().st_mode & 0o777) == '0o600'
        files.append(path)
    assert len(set(files)) == 3
    # the job environment AWX keeps in its database: the password hidden, the key only as a path
    assert safe_env['ORACLE_COMMS_ETCD_PASSWORD'] == '**********' and safe_env['ORACLE_COMMS_ETCD_USERNAME'] == 'awx'
    assert 'etcd pass' not in json.dumps(safe_env) and 'MIIBCLIENT_KEY' not in json.dumps(safe_env) + json.dumps(env)
    assert safe_env['ORACLE_COMMS_ETCD_CLIENT_KEY'] == env['ORACLE_COMMS_ETCD_CLIENT_KEY']


def _live_keepers(lease_dir):
    """Pids of the keepers whose pid files are in ``lease_dir`` and which still run."""
    live = []
    for path in pathlib.Path(lease_dir).glob('keeper-*.pid'):
        try:
            pid = int(path.read_text(encoding='utf-8').strip() or 0)
            with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                running = pid and b'plugin_utils._keeper' in handle.read()
        except (OSError, ValueError):
            continue
        if running:
            live.append(pid)
    return live


@pytest.fixture
def secured_etcd(tmp_path):
    """An etcd on https only, refusing clients without a certificate of its CA, with authentication on; a user
    ETCD_USER whose role reaches ETCD_PREFIX only. Yields (etcd, root token). Stopped once the keepers of the
    jobs (lease directory ``tmp_path/leases``) are gone: a keeper outliving its run would ask a stopped etcd."""
    with start_etcd(tmp_path / 'etcd', tls=True, client_cert_auth=True) as etcd:
        root = etcd.enable_auth(ETCD_ROOT_PASSWORD)
        etcd.add_user(ETCD_USER, ETCD_PASSWORD, ETCD_PREFIX, root)
        yield etcd, root
        deadline = time.monotonic() + 60
        while _live_keepers(tmp_path / 'leases') and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _live_keepers(tmp_path / 'leases')
        for pid in left:
            os.kill(pid, 9)
        assert not left, 'keepers still running 60 s after the test: %s' % left


def lease_store_inputs(etcd, **changes):
    """The inputs of an "Oracle lease store (etcd)" credential for ``etcd``: its CA, the client certificate, ETCD_USER."""
    inputs = {'endpoints': etcd.url, 'ca_cert': pathlib.Path(etcd.tls.ca).read_text(encoding='utf-8'),
              'client_cert': pathlib.Path(etcd.tls.client_cert).read_text(encoding='utf-8'),
              'client_key': pathlib.Path(etcd.tls.client_key).read_text(encoding='utf-8'),
              'username': ETCD_USER, 'password': ETCD_PASSWORD, 'lease_ttl': '5'}
    inputs.update(changes)
    return inputs


def job_env(tmp_path, collections_root, emulator, etcd, **lease_changes):
    """A job's environment with an "Oracle SDM" credential (prov2) and an "Oracle lease store (etcd)" one, as AWX injects them."""
    env = base_env(tmp_path, collections_root)
    env['JOB_ID'] = '4242'  # AWX sets it in every job; the lease record names the job with it
    assert not [name for name in env if name.startswith(('SDM_', 'ORACLE_COMMS_ETCD_', 'ORACLE_COMMS_LEASE_BACKEND'))]
    pem = pathlib.Path(emulator.ca_cert).read_text(encoding='utf-8')
    env.update(awx_credentials.inject(definition('sdm'), credential_inputs(emulator, 'sdm', 'prov2', 'prov2-secret', ca_cert=pem),
                                      str(tmp_path / 'job'))[0])
    env.update(awx_credentials.inject(definition('lease_etcd'), lease_store_inputs(etcd, **lease_changes), str(tmp_path / 'job'))[0])
    return env


def wait_until(condition, process, what, timeout=90):
    """Wait until ``condition()`` holds; fail if ``process`` ends first or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, 'the play ended before %s' % what
        assert time.monotonic() < deadline, 'no %s within %d s' % (what, timeout)
        time.sleep(0.05)


def etcd_leases(etcd, token):
    """{key: lease} of the lease records in etcd, read through its JSON gateway."""
    return dict((key, json.loads(value)) for key, value in etcd.read_prefix(ETCD_PREFIX + 'lease/', token).items())


def liveness_ttls(etcd, token):
    """The granted TTLs of the etcd leases that the runs' liveness keys (``alive/...``) are attached to."""
    prefix = ETCD_PREFIX + 'alive/'
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    kvs = etcd.gateway('kv/range', {'key': base64.b64encode(prefix.encode()).decode(),
                                    'range_end': base64.b64encode(end.encode()).decode()}, token).get('kvs', [])
    return [int(etcd.gateway('lease/timetolive', {'ID': item['lease']}, token).get('grantedTTL', 0)) for item in kvs if item.get('lease')]


def test_a_job_keeps_its_lease_in_a_tls_etcd_with_nothing_but_the_injected_environment(emulator, installed_collections, secured_etcd,
                                                                                       tmp_path):
    """Both credentials injected as AWX does; the play holds an SDM device while the test reads etcd; the job's keeper
    (a process of its own) keeps the run's liveness on etcd with the same settings; nothing of the etcd password or the
    client key shows in the job's output (at -vvv), the local lease directory or etcd."""
    etcd, root = secured_etcd
    env = job_env(tmp_path, installed_collections, emulator, etcd)
    taken, release, log = tmp_path / 'taken', tmp_path / 'release', tmp_path / 'play.log'
    command = [str(BIN / 'ansible-playbook'), str(PLAYS / 'etcd_hold.yml'), '-i', 'localhost,', '-c', 'local', '-vvv',
               '-e', json.dumps({'taken_file': str(taken), 'release_file': str(release)})]
    with open(log, 'wb') as out:
        process = subprocess.Popen(command, cwd=str(REPO_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(taken.exists, process, 'lock of device ID3')
        held = etcd_leases(etcd, root)
        locks_while_held = emulator.sdm_locks()
        # The lock task puts the run's liveness on an etcd lease of 60 s; the keeper moves it onto one of lease_ttl (5 s).
        wait_until(lambda: liveness_ttls(etcd, root) == [5], process, "the keeper's liveness lease of 5 s")
    finally:
        release.touch()
        try:
            status = process.wait(120)
        finally:
            if process.poll() is None:
                process.kill()
    output = log.read_text(encoding='utf-8', errors='replace')
    assert status == 0, output
    (lease,) = held.values()
    assert (lease['product'], lease['resource'], lease['user'], lease['run']['job']) == ('sdm', 'device:ID3', 'prov2', '4242'), lease
    assert lease['endpoint'] == emulator.sdm_host(), lease
    assert locks_while_held.get('ID3') == 'prov2', locks_while_held
    # given back on the device and in etcd
    assert etcd_leases(etcd, root) == {}
    assert [(event['event'], event['holder']['user']) for event in emulator.audit('sdm1') if event['resource'] == 'device:ID3'] == [
        ('grant', 'prov2'), ('release', 'prov2')]
    # no secret in the job's output, in the files it left on this node, or in what it stored in etcd
    secrets = [ETCD_PASSWORD, ETCD_ROOT_PASSWORD, 'prov2-secret'] + pem_body(etcd.tls.client_key) + emulator.secrets()['sessions']
    left = [path.read_text(encoding='utf-8', errors='replace') for path in (tmp_path / 'leases').rglob('*') if path.is_file()]
    stored = json.dumps(held)
    assert left, 'the job left no keeper log or lease copy to search'
    for secret in secrets:
        assert secret not in output, 'a secret is in the output'
        assert not [text for text in left if secret in text], 'a secret is in the lease directory'
        assert secret not in stored, 'a secret is in etcd'


@pytest.mark.parametrize('changes, problem, etcd_log', [
    # etcd takes no client without a certificate of its CA
    ({'client_cert': '', 'client_key': ''}, 'TLS: ', "tls: client didn't provide a certificate"),
    # the system trust store does not know etcd's CA: the module ends the handshake, and says it was TLS
    ({'ca_cert': ''}, 'TLS: certificate not trusted', 'rejected connection'),
    # etcd's authentication, with no anonymous client
    ({'password': 'not-the-password'}, 'check lease_etcd_username and lease_etcd_password', None),
    ({'username': '', 'password': ''}, 'check lease_etcd_username/password', None),
], ids=['no-client-cert', 'no-ca', 'wrong-password', 'no-user'])
def test_each_lease_store_setting_reaches_the_module(emulator, installed_collections, secured_etcd, tmp_path, changes, problem, etcd_log):
    """Without any one of the credential's settings the job cannot use etcd, fails with lease_error, and leaves the device alone."""
    etcd, root = secured_etcd
    env = job_env(tmp_path, installed_collections, emulator, etcd, **changes)
    logged = len(pathlib.Path(etcd.log_path).read_text(encoding='utf-8', errors='replace'))
    status, output = run_play('lock_cycle.yml', env, tags='sdm')
    assert status != 0 and '"reason": "lease_error"' in output, output
    assert problem in output, output
    if etcd_log:
        log = pathlib.Path(etcd.log_path).read_text(encoding='utf-8', errors='replace')[logged:]
        assert etcd_log in log and 'rejected connection' in log, log[-3000:]
    assert [event for event in emulator.audit('sdm1') if event['event'] == 'grant'] == []
    assert etcd_leases(etcd, root) == {}
    for secret in [ETCD_PASSWORD, 'not-the-password', 'prov2-secret'] + pem_body(etcd.tls.client_key):
        assert secret not in output


# -------------------------------------------------------------- the example playbook against a stand-in AWX API

class FakeAwx(BaseHTTPRequestHandler):
    """Just enough of /api/v2/credential_types/ for examples/awx/credential_types.yml: list by name, POST, PATCH."""

    store = None  # set per server: {'types': {id: dict}, 'calls': [(method, path, body)]}

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self):
        expected = 'Basic ' + base64.b64encode(b'awx-admin:awx-password').decode()
        if self.headers.get('Authorization') != expected:
            self._reply(401, {'detail': 'Authentication credentials were not provided.'})
            return False
        return True

    def _body(self):
        body = json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))) or b'{}')
        self.store['calls'].append((self.command, self.path, body))
        return body

    def do_GET(self):  # pylint: disable=invalid-name
        url = urlparse(self.path)
        if not self._authorized():
            return
        self.store['calls'].append(('GET', self.path, None))
        name = parse_qs(url.query).get('name', [None])[0]
        found = [item for item in self.store['types'].values() if item['name'] == name]
        self._reply(200, {'count': len(found), 'results': found})

    def do_POST(self):  # pylint: disable=invalid-name
        if not self._authorized():
            return
        body = self._body()
        new_id = len(self.store['types']) + 1
        self.store['types'][new_id] = dict(body, id=new_id, managed=False, namespace=None)
        self._reply(201, self.store['types'][new_id])

    def do_PATCH(self):  # pylint: disable=invalid-name
        if not self._authorized():
            return
        body = self._body()
        type_id = int(self.path.rstrip('/').rsplit('/', 1)[1])
        self.store['types'][type_id].update(body)
        self._reply(200, self.store['types'][type_id])


@pytest.fixture
def fake_awx():
    handler = type('Handler', (FakeAwx,), {'store': {'types': {}, 'calls': []}})
    server = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % server.server_address[1], handler.store
    finally:
        server.shutdown()
        server.server_close()


def test_the_example_playbook_creates_then_keeps_then_updates_the_types(fake_awx, tmp_path):
    url, store = fake_awx
    env = base_env(tmp_path, ensure_collections_root())
    env.update(CONTROLLER_HOST=url + '/', CONTROLLER_USERNAME='awx-admin', CONTROLLER_PASSWORD='awx-password')
    playbook = REPO_ROOT / 'examples' / 'awx' / 'credential_types.yml'

    def run():
        del store['calls'][:]
        done = subprocess.run([str(BIN / 'ansible-playbook'), str(playbook), '-i', 'localhost,', '-c', 'local'], env=env,
                              cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=120, check=False)
        output = done.stdout.decode('utf-8', 'replace')
        assert done.returncode == 0, output
        assert 'awx-password' not in output
        return output, [(method, path) for method, path, unused in store['calls'] if method != 'GET']

    output, writes = run()
    assert writes == [('POST', '/api/v2/credential_types/')] * 3 and 'changed=1' in output, output
    # AWX received the definitions exactly as written, its injector templates untouched by Ansible
    for type_id, product in ((1, 'sbc'), (2, 'sdm'), (3, 'lease_etcd')):
        stored = dict((key, store['types'][type_id][key]) for key in ('name', 'description', 'kind', 'inputs', 'injectors'))
        assert stored == definition(product)
    assert store['types'][1]['injectors']['env']['SBC_PASSWORD'] == '{{ password }}'
    assert store['types'][3]['injectors']['env']['ORACLE_COMMS_LEASE_TTL'] == "{{ lease_ttl | default('15', true) }}"

    output, writes = run()
    assert writes == [] and 'changed=0' in output, output

    store['types'][2]['description'] = 'edited in the UI'
    output, writes = run()
    assert writes == [('PATCH', '/api/v2/credential_types/2/')] and 'changed=1' in output, output
    assert store['types'][2]['description'] == definition('sdm')['description']
