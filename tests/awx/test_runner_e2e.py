"""The example plays through ansible-runner, AWX's engine, at -vvv: they work, and no secret is left behind.

Each example play under examples/ runs as an AWX job would run it: a private data directory with the
project (a copy of examples/) and an inventory; the collection installed from the built artifact, as
in the execution environment; the connection settings injected by the "Oracle SBC" and "Oracle SDM"
credential types exactly as AWX injects them (tests/awx/awx_credentials.py: the CA certificate file
in env/, SBC_* / SDM_* in the job's environment, certificates verified); ``JOB_ID`` set as AWX sets it.
Two ways of handing the environment to ansible-runner are run:

- ``api``: ``ansible_runner.run(envvars=..., suppress_env_files=True)``, what AWX does (its setting
  AWX_RUNNER_OMIT_ENV_FILES defaults to true): nothing is written to env/ by ansible-runner;
- ``cli``: ``ansible-runner run`` with the environment in env/envvars, the classic layout.

Afterwards every file below the test's directory is read: the private data directory with everything
ansible-runner wrote (artifacts/<ident>/stdout, job_events/*.json, command, status, rc, fact_cache, ...),
the job's HOME and Ansible temporary directories, and the lease directory (after the keepers are gone).
None may hold a password, a ``user:password`` Basic credential, an SBC token or an SDM session id
(JSESSIONID) the emulator issued. What is fair to exempt, and only for the passwords:

- env/envvars in the ``cli`` run: the test writes it, as the job's input, like AWX's own env files;
- the ``env`` object in artifacts/<ident>/command: ansible-runner records there the environment it
  started ansible-playbook with, so the injected SBC_PASSWORD / SDM_PASSWORD values are in it by
  design (AWX removes the whole private data directory after the job). Only those two values are
  exempt; the rest of the file is scanned like any other.

Tokens and session ids are never exempt: nothing but the collection ever sees them. To show the scan
is not vacuous, the test checks that the secrets were used (audit log grants, issued tokens and
sessions) and that the scan finds the passwords where they are by design.
"""

import base64
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from tests.awx import awx_credentials
from tests.awx.conftest import BIN, credential_type
from tests.collection_path import REPO_ROOT

pytestmark = pytest.mark.integration

EXAMPLES = REPO_ROOT / 'examples'
SBC_USER, SDM_USER = ('admin', 'admin-secret-1'), ('prov1', 'prov1-secret')
IDENT = 'job-4242'


def is_play(path):
    """A playbook: a YAML list of plays (``hosts:`` or ``import_playbook:``)."""
    with open(path, encoding='utf-8') as handle:
        content = yaml.safe_load(handle)
    return isinstance(content, list) and content and all(isinstance(play, dict) and ('hosts' in play or 'import_playbook' in play)
                                                         for play in content)


# Every play directly under examples/ (examples/awx/ holds AWX administration, not device plays).
EXAMPLE_PLAYS = sorted(path.name for path in EXAMPLES.glob('*.yml') if is_play(path))


def test_the_example_plays_are_found():
    assert 'demo.yml' in EXAMPLE_PLAYS
    assert 'execution-environment.yml' not in EXAMPLE_PLAYS


def credential_env(emulator, private_data_dir):
    """SBC_* and SDM_* as AWX injects them from one credential of each type (CA file under env/)."""
    env = {}
    pem = pathlib.Path(emulator.ca_cert).read_text(encoding='utf-8')
    for product, (user, password), host in (('sbc', SBC_USER, emulator.sbc_host()), ('sdm', SDM_USER, emulator.sdm_host())):
        definition = credential_type(product)
        inputs = {'host': host, 'username': user, 'password': password, 'ca_cert': pem}
        env.update(awx_credentials.inject(definition, inputs, str(private_data_dir))[0])
    assert env['SBC_VALIDATE_CERTS'] == env['SDM_VALIDATE_CERTS'] == 'True'
    return env


def job_env(tmp_path, collections_root):
    """What else an AWX job's environment holds for these plays: Ansible settings, JOB_ID, the lease directory."""
    home = tmp_path / 'home'
    home.mkdir(exist_ok=True)
    return {
        'HOME': str(home),
        'LANG': 'C.UTF-8',
        'PATH': '%s:/usr/bin:/bin' % BIN,
        'JOB_ID': '4242',
        'ANSIBLE_COLLECTIONS_PATH': str(collections_root),
        'ANSIBLE_HOME': str(tmp_path / 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'),
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ORACLE_COMMS_LEASE_DIR': str(tmp_path / 'leases'),
    }


def private_data_dir(tmp_path):
    """AWX's layout: project/ (the checked-out project, here examples/) and inventory/hosts."""
    root = tmp_path / 'pdd'
    shutil.copytree(str(EXAMPLES), str(root / 'project'))
    (root / 'inventory').mkdir()
    (root / 'inventory' / 'hosts').write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable,
                                              encoding='utf-8')
    (root / 'env').mkdir()
    return root


# ansible_runner.run() in a process of its own: it forks ansible-playbook through a pty, which is unsafe in a
# multi-threaded process such as a pytest-xdist worker. The arguments are AWX's: envvars with suppress_env_files.
RUN_API = '''
import json, sys
import ansible_runner
args = json.load(sys.stdin)
runner = ansible_runner.run(private_data_dir=args['root'], playbook=args['playbook'], ident=args['ident'], envvars=args['env'],
                            verbosity=3, suppress_env_files=True, quiet=True, timeout=150)
print(json.dumps([runner.status, runner.rc]))
'''


def run_with_api(root, playbook, env):
    request = json.dumps({'root': str(root), 'playbook': playbook, 'ident': IDENT, 'env': env}).encode()
    done = subprocess.run([sys.executable, '-c', RUN_API], input=request, env={'HOME': env['HOME'], 'LANG': 'C.UTF-8', 'PATH': env['PATH']},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180, check=False)
    output = done.stdout.decode('utf-8', 'replace')
    assert done.returncode == 0, output
    status, rc = json.loads(output.strip().splitlines()[-1])
    return status, rc


def run_with_cli(root, playbook, env):
    with open(root / 'env' / 'envvars', 'w', encoding='utf-8') as handle:
        yaml.safe_dump(env, handle)
    process_env = dict((name, env[name]) for name in ('HOME', 'LANG', 'PATH'))
    done = subprocess.run([str(BIN / 'ansible-runner'), 'run', str(root), '-p', playbook, '--ident', IDENT, '-vvv'],
                          env=process_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=150, check=False)
    status = (root / 'artifacts' / IDENT / 'status').read_text(encoding='utf-8').strip()
    return status, done.returncode


def wait_for_keepers(lease_dir, timeout=20.0):
    """Wait until no keeper holds its pid file (a keeper is alive exactly while it holds that flock)."""
    deadline = time.monotonic() + timeout
    for pid_file in sorted(lease_dir.glob('*.pid')) if lease_dir.is_dir() else []:
        while True:
            try:
                with open(pid_file) as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except FileNotFoundError:  # a keeper that retires removes its pid file
                break
            except OSError:
                pass
            assert time.monotonic() < deadline, 'a keeper still runs after %.0f s: %s' % (timeout, pid_file)
            time.sleep(0.1)


def secret_forms(user, password):
    """The password, and the HTTP Basic credential that carries it."""
    return [password, base64.b64encode(('%s:%s' % (user, password)).encode()).decode()]


def scanned_text(path, exempt_env):
    """The text of ``path`` that must be free of secrets (see the module docstring for what is exempt)."""
    text = path.read_bytes().decode('utf-8', 'replace')
    if path.parent.name == IDENT and path.name == 'command':
        recorded = json.loads(text)
        for name, value in exempt_env.items():
            if recorded['env'].get(name) == value:
                recorded['env'][name] = '<injected by the credential>'
        text = json.dumps(recorded, ensure_ascii=False)
    return text


@pytest.mark.parametrize('way', ['api', 'cli'])
@pytest.mark.parametrize('playbook', EXAMPLE_PLAYS)
def test_example_play_through_ansible_runner_leaks_no_secret(emulator, installed_collections, tmp_path, playbook, way):
    root = private_data_dir(tmp_path)
    credentials = credential_env(emulator, root)
    env = dict(job_env(tmp_path, installed_collections), **credentials)
    issued_before = emulator.secrets()
    audit_before = emulator.audit()[-1]['seq'] if emulator.audit() else 0

    status, rc = (run_with_api if way == 'api' else run_with_cli)(root, playbook, env)
    stdout_file = root / 'artifacts' / IDENT / 'stdout'
    stdout = stdout_file.read_text(encoding='utf-8', errors='replace') if stdout_file.exists() else ''
    assert (status, rc) == ('successful', 0), stdout[-8000:]
    wait_for_keepers(tmp_path / 'leases')

    # The secrets were really used: the locks were granted to the credentials' users, and the emulator
    # issued tokens and sessions during the run.
    events = [event for event in emulator.audit() if event['seq'] > audit_before]

    def holders(kind, sdm_push=False):
        # the SDM's push takes the SBC's configuration lock itself (holder kind sdm), as the SDM user
        return set((event['instance'], event['holder']['user']) for event in events
                   if event['event'] == kind and (event['holder'].get('kind') == 'sdm') == sdm_push)

    grants, releases = holders('grant'), holders('release')
    if playbook == 'demo.yml':
        assert grants == releases == {('sbc1', 'admin'), ('sdm1', 'prov1')}, events
        assert holders('grant', sdm_push=True) == holders('release', sdm_push=True) == {('sbc1', 'prov1')}, events
    assert grants, 'the play took no lock: the scan below would prove nothing'
    issued = emulator.secrets()
    new_tokens = sorted(set(issued['tokens']) - set(issued_before['tokens']))
    new_sessions = sorted(set(issued['sessions']) - set(issued_before['sessions']))
    assert new_tokens or new_sessions
    if playbook == 'demo.yml':
        assert new_tokens and new_sessions
    assert '-vvv' in (root / 'artifacts' / IDENT / 'command').read_text(encoding='utf-8')

    passwords = secret_forms(*SBC_USER) + secret_forms(*SDM_USER)
    never = new_tokens + new_sessions  # every SBC token and SDM session id (JSESSIONID) issued while the play ran
    exempt_env = dict((name, credentials[name]) for name in ('SBC_PASSWORD', 'SDM_PASSWORD'))
    envvars_file = root / 'env' / 'envvars'
    scanned, found_by_design = [], []
    for path in sorted(tmp_path.rglob('*')):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(tmp_path)
        raw = path.read_bytes().decode('utf-8', 'replace')
        for secret in never:
            assert secret not in raw, 'an emulator-issued token or session id leaked into %s' % relative
        if path == envvars_file:
            found_by_design.append(relative)
            continue
        text = scanned_text(path, exempt_env)
        for secret in passwords:
            if secret in text:
                index = text.index(secret)
                raise AssertionError('a password leaked into %s near: %r' % (relative, text[max(0, index - 200):index]))
        if any(secret in raw for secret in passwords):
            found_by_design.append(relative)
        scanned.append(relative)

    artifacts = pathlib.Path('pdd') / 'artifacts' / IDENT
    assert artifacts / 'stdout' in scanned and artifacts / 'command' in scanned and artifacts / 'status' in scanned
    assert len([path for path in scanned if path.parent == artifacts / 'job_events']) > 10
    # the scan does see the passwords where they are by design, so it would see them anywhere else
    expected = [artifacts / 'command'] + ([pathlib.Path('pdd') / 'env' / 'envvars'] if way == 'cli' else [])
    assert sorted(found_by_design) == sorted(expected)
    if way == 'api':
        assert not envvars_file.exists(), 'suppress_env_files must keep ansible-runner from writing env/envvars'
    # nothing is left held, and the lease directory has no lease
    assert not emulator.sbc_lock_state()['held'] and emulator.sdm_locks() == {}
    assert not list((tmp_path / 'leases').glob('*.json'))
    assert os.path.isdir(str(tmp_path / 'leases'))
