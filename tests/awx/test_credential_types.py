"""The AWX credential types of examples/awx/: valid for AWX, and enough to run plays.

Each definition is checked against AWX's own rules for custom credential types, then injected the way
AWX injects it into a job (tests/awx/awx_credentials.py), and a real ``ansible-playbook`` runs
config_lock and device_lock against the emulator over verified HTTPS with nothing but that environment:
no connection setting in the play, in extra vars or in the test's own environment.
The example playbook that creates the types (examples/awx/credential_types.yml) runs against a small
stand-in for AWX's REST API, which records what it receives.
"""

import base64
import json
import pathlib
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from tests.awx import awx_credentials
from tests.awx.conftest import BIN, PLAYS, credential_type
from tests.collection_path import REPO_ROOT, ensure_collections_root

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


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
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
    assert writes == [('POST', '/api/v2/credential_types/')] * 2 and 'changed=1' in output, output
    # AWX received the definitions exactly as written, its injector templates untouched by Ansible
    for type_id, product in ((1, 'sbc'), (2, 'sdm')):
        stored = dict((key, store['types'][type_id][key]) for key in ('name', 'description', 'kind', 'inputs', 'injectors'))
        assert stored == definition(product)
    assert store['types'][1]['injectors']['env']['SBC_PASSWORD'] == '{{ password }}'

    output, writes = run()
    assert writes == [] and 'changed=0' in output, output

    store['types'][2]['description'] = 'edited in the UI'
    output, writes = run()
    assert writes == [('PATCH', '/api/v2/credential_types/2/')] and 'changed=1' in output, output
    assert store['types'][2]['description'] == definition('sdm')['description']
