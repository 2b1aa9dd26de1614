"""Fixtures of the AWX tests: the collection as an execution environment has it (built, then installed)."""

import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from tests.collection_path import REPO_ROOT

BIN = pathlib.Path(sys.executable).parent


def tool(name):
    """A development tool (ansible-builder, ansible-lint) of this Python, or else of .venv (e.g. in a run under another ansible-core)."""
    return BIN / name if (BIN / name).exists() else REPO_ROOT / '.venv' / 'bin' / name


PLAYS = pathlib.Path(__file__).resolve().parent / 'plays'
AWX_EXAMPLES = REPO_ROOT / 'examples' / 'awx'


def credential_type(product):
    """The credential type ``sbc``, ``sdm`` or ``lease_etcd`` as examples/awx/credential_types.yml sends it to AWX.

    Name, kind and description are that playbook's; inputs and injectors are credential_types/oracle_<product>/*.yml.
    """
    with open(AWX_EXAMPLES / 'credential_types.yml', encoding='utf-8') as handle:
        entries = yaml.safe_load(handle)[0]['vars']['credential_types']
    (entry,) = [entry for entry in entries if entry['directory'] == 'oracle_%s' % product]
    definition = dict((key, entry[key]) for key in ('name', 'description', 'kind'))
    for part in ('inputs', 'injectors'):
        with open(AWX_EXAMPLES / 'credential_types' / entry['directory'] / ('%s.yml' % part), encoding='utf-8') as handle:
            definition[part] = yaml.safe_load(handle)
    return definition


def run_tool(*command, cwd=None, timeout=120, env=None):
    """Run a command line tool of .venv; fail the test with its output if it exits non-zero."""
    done = subprocess.run([str(part) for part in command], cwd=str(cwd or REPO_ROOT), env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
    output = done.stdout.decode('utf-8', 'replace')
    assert done.returncode == 0, '%s exited %d:\n%s' % (' '.join(str(part) for part in command), done.returncode, output[-6000:])
    return output


@pytest.fixture(scope='session')
def collection_tarball(tmp_path_factory):
    """``ansible-galaxy collection build`` of this checkout: the artifact a release ships."""
    out = tmp_path_factory.mktemp('artifact')
    run_tool(BIN / 'ansible-galaxy', 'collection', 'build', '--force', '--output-path', out, REPO_ROOT)
    (tarball,) = sorted(out.glob('oracle_comms-provisioning-*.tar.gz'))
    return tarball


@pytest.fixture(scope='session')
def installed_collections(tmp_path_factory, collection_tarball):
    """A collections path with the artifact installed by ``ansible-galaxy collection install``, as in an EE."""
    root = tmp_path_factory.mktemp('ee-collections')
    env = dict(os.environ, ANSIBLE_HOME=str(root / '.ansible'), ANSIBLE_GALAXY_DISABLE_GPG_VERIFY='1')
    run_tool(BIN / 'ansible-galaxy', 'collection', 'install', '--offline', '--collections-path', root, collection_tarball, env=env)
    assert (root / 'ansible_collections' / 'oracle_comms' / 'provisioning' / 'MANIFEST.json').is_file()
    return root
