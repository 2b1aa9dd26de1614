"""The execution environment: meta/execution-environment.yml and examples/execution-environment.yml.

``ansible-builder create`` writes the build context without a container engine. The container build
itself then installs the collection (galaxy stage) and runs the context's own ``introspect.py`` on
/usr/share/ansible/collections to collect the Python requirements (builder stage). These tests create
the context from the example exactly as docs/awx.md says, then run those two steps of the build here,
with the context's own files and scripts, on a temporary collections path instead of the image's.
"""

import importlib.util
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion
from packaging.requirements import Requirement

from tests.awx.conftest import BIN, run_tool, tool
from tests.collection_path import REPO_ROOT

EXAMPLE = REPO_ROOT / 'examples' / 'execution-environment.yml'
META = REPO_ROOT / 'meta' / 'execution-environment.yml'


def load_yaml(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def requirement_lines(path):
    """The requirement lines of a pip requirements file, with the files it includes (``-r``) read in their place."""
    requirements = []
    for line in path.read_text(encoding='utf-8').splitlines():
        line = line.split('#', 1)[0].strip()
        if line.startswith('-r '):
            requirements += requirement_lines(path.parent / line.split(None, 1)[1])
        elif line:
            requirements.append(Requirement(line))
    return requirements


def collection_requirements():
    """The names in requirements.txt, e.g. {'requests': Requirement('requests>=2.28.0'), ...}."""
    return dict((requirement.name.lower(), requirement) for requirement in requirement_lines(REPO_ROOT / 'requirements.txt'))


def ee_requirements():
    """The names in the file meta/execution-environment.yml gives ansible-builder: requirements.txt and the EE's extras."""
    return dict((requirement.name.lower(), requirement)
                for requirement in requirement_lines(REPO_ROOT / load_yaml(META)['dependencies']['python']))


@pytest.fixture(scope='module')
def context(tmp_path_factory, collection_tarball):
    """docs/awx.md's steps: the example and the built tarball in one directory, then ``ansible-builder create``."""
    build_dir = tmp_path_factory.mktemp('ee')
    shutil.copy(EXAMPLE, build_dir / 'execution-environment.yml')
    shutil.copy(collection_tarball, build_dir / collection_tarball.name)
    output = run_tool(tool('ansible-builder'), 'create', '--file', build_dir / 'execution-environment.yml',
                      '--context', build_dir / 'context', '--output-filename', 'Containerfile', cwd=build_dir)
    assert 'Complete! The build context can be found at' in output, output
    return build_dir / 'context'


@pytest.fixture(scope='module')
def image_collections(tmp_path_factory, context):
    """The galaxy stage: ``ansible-galaxy collection install -r requirements.yml`` in the context's _build/."""
    root = tmp_path_factory.mktemp('usr-share-ansible') / 'collections'
    env = {'PATH': str(BIN) + ':/usr/bin:/bin', 'HOME': str(root.parent), 'ANSIBLE_GALAXY_DISABLE_GPG_VERIFY': '1', 'LANG': 'C.UTF-8'}
    run_tool(BIN / 'ansible-galaxy', 'collection', 'install', '--offline', '-r', 'requirements.yml', '--collections-path', root,
             cwd=context / '_build', env=env)
    return root


def stage(containerfile, name):
    """The instructions of one build stage (``FROM ... AS name`` up to the next FROM)."""
    match = re.search(r'^FROM \S+ AS %s\n(.*?)(?=^FROM |\Z)' % name, containerfile, re.M | re.S)
    assert match, 'no %s stage in the Containerfile:\n%s' % (name, containerfile)
    return match.group(1)


def test_collection_metadata_names_the_runtime_requirements():
    meta = load_yaml(META)
    assert meta == {'version': 1, 'dependencies': {'python': 'meta/ee-requirements.txt'}}
    assert (REPO_ROOT / meta['dependencies']['python']).is_file()
    # The EE gets everything a controller needs, and etcd3gw: AWX with several execution nodes needs the etcd lease
    # backend, and a job without the library fails with missing_library. A controller outside an EE installs it only
    # for that backend, so requirements.txt does not list it.
    wanted = ee_requirements()
    assert sorted(wanted) == sorted(list(collection_requirements()) + ['etcd3gw'])
    assert 'etcd3gw' not in collection_requirements()
    assert wanted['etcd3gw'].specifier.contains('2.7.0'), wanted['etcd3gw']
    # No system packages are needed, so there is no bindep.txt for ansible-builder to find either.
    assert not (REPO_ROOT / 'bindep.txt').exists()


def test_the_artifact_ships_what_ansible_builder_reads(installed_collections):
    installed = installed_collections / 'ansible_collections' / 'oracle_comms' / 'provisioning'
    assert load_yaml(installed / 'meta' / 'execution-environment.yml') == load_yaml(META)
    for name in ('requirements.txt', load_yaml(META)['dependencies']['python']):
        assert (installed / name).read_text(encoding='utf-8') == (REPO_ROOT / name).read_text(encoding='utf-8'), name


def test_the_example_matches_this_release():
    example = load_yaml(EXAMPLE)
    galaxy = load_yaml(REPO_ROOT / 'galaxy.yml')
    tarball = '%s-%s-%s.tar.gz' % (galaxy['namespace'], galaxy['name'], galaxy['version'])
    assert example['version'] == 3
    assert example['additional_build_files'] == [{'src': tarball, 'dest': 'collections'}]
    assert example['dependencies']['galaxy'] == {'collections': [{'name': 'collections/' + tarball, 'type': 'file'}]}
    # the ansible-core it installs must satisfy meta/runtime.yml
    core = Requirement(example['dependencies']['ansible_core']['package_pip'])
    pinned = [spec.version for spec in core.specifier if spec.operator == '==']
    minimum = load_yaml(REPO_ROOT / 'meta' / 'runtime.yml')['requires_ansible'].lstrip('>=')
    assert core.name == 'ansible-core' and pinned and LooseVersion(pinned[0]) >= LooseVersion(minimum), core
    assert Requirement(example['dependencies']['ansible_runner']['package_pip']).name == 'ansible-runner'


def test_ansible_builder_creates_the_context(context, collection_tarball):
    containerfile = (context / 'Containerfile').read_text(encoding='utf-8')
    example = load_yaml(EXAMPLE)
    assert 'ARG EE_BASE_IMAGE="%s"' % example['images']['base_image']['name'] in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.12"' in containerfile
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M).group(1).split()
    assert refs == [example['dependencies']['ansible_core']['package_pip'], example['dependencies']['ansible_runner']['package_pip']]
    galaxy = stage(containerfile, 'galaxy')
    assert 'COPY _build /build\nWORKDIR /build' in galaxy
    assert re.search(r'ansible-galaxy collection install .*-r requirements\.yml --collections-path "/usr/share/ansible/collections"', galaxy)
    assert 'introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt' in stage(containerfile, 'builder')
    final = stage(containerfile, 'final')
    assert 'COPY --from=galaxy /usr/share/ansible /usr/share/ansible' in final and 'check_ansible' in final
    # the tarball travels in the context, byte for byte
    copied = context / '_build' / 'collections' / collection_tarball.name
    assert copied.read_bytes() == collection_tarball.read_bytes()
    assert load_yaml(context / '_build' / 'requirements.yml') == example['dependencies']['galaxy']


def test_the_image_gets_the_collection_and_its_python_requirements(context, image_collections, tmp_path):
    installed = image_collections / 'ansible_collections' / 'oracle_comms' / 'provisioning'
    assert (installed / 'MANIFEST.json').is_file() and (installed / 'plugins' / 'modules' / 'config_lock.py').is_file()
    # The builder stage's own command, with the context's script, on our stand-in for /usr/share/ansible/collections.
    pip_out, bindep_out = tmp_path / 'requirements.txt', tmp_path / 'bindep.txt'
    output = run_tool(sys.executable, context / '_build' / 'scripts' / 'introspect.py', 'introspect',
                      '--write-bindep=%s' % bindep_out, '--write-pip=%s' % pip_out, image_collections)
    written = [line for line in pip_out.read_text(encoding='utf-8').splitlines() if line.strip()]
    wanted = ee_requirements()
    assert sorted(wanted) == ['defusedxml', 'etcd3gw', 'requests', 'urllib3']
    for name, requirement in wanted.items():
        assert '%s  # from collection oracle_comms.provisioning' % requirement in written, (written, output)
    assert len(written) == len(wanted), written
    assert not bindep_out.exists() or not bindep_out.read_text(encoding='utf-8').strip()


def test_introspect_reads_the_collection_metadata_file(context, image_collections):
    """The requirements come from meta/execution-environment.yml, not from ansible-builder's fallback guess."""
    spec = importlib.util.spec_from_file_location('ee_introspect', str(context / '_build' / 'scripts' / 'introspect.py'))
    introspect = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(introspect)
    installed = str(image_collections / 'ansible_collections' / 'oracle_comms' / 'provisioning')
    definition = introspect.CollectionDefinition(installed)
    assert definition.raw == load_yaml(META)
    python, system = introspect.process_collection(installed)
    assert sorted(python) == sorted(str(requirement) for requirement in ee_requirements().values())
    assert system == []


def lint(directory, *files):
    command = [str(tool('ansible-lint')), '--nocolor'] + list(files)
    done = subprocess.run(command, cwd=str(directory), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300, check=False)
    return done.returncode, done.stdout.decode('utf-8', 'replace')


def test_ansible_lint_checks_both_files_against_its_execution_environment_schema(tmp_path):
    """ansible-lint (run on the repository by the ecosystem checks) validates execution-environment.yml files."""
    (tmp_path / '.ansible-lint').write_text('profile: production\noffline: true\n', encoding='utf-8')
    names = []
    for path in (META, EXAMPLE):
        name = str(path.relative_to(REPO_ROOT))
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, tmp_path / name)
        names.append(name)
    status, output = lint(tmp_path, *names)
    assert status == 0 and 'Passed' in output, output
    # The same files with one unknown key each fail the schema rule: the schema really is applied to them.
    for name in names:
        with open(tmp_path / name, 'a', encoding='utf-8') as handle:
            handle.write('unknown_key: 1\n')
    status, output = lint(tmp_path, *names)
    assert status != 0 and output.count('schema[execution-environment]') >= 2, output
