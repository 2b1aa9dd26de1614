"""The shape of plugins/: files of one concern, small enough to read, each saying first what it owns.

Limits (docs/architecture.md): a file at most 400 lines, a class at most 250, a function or method at most
60; every Python file under plugins/ opens with a docstring (modules, lookups and doc fragments: their
DOCUMENTATION) whose first line says what it owns. Fast: no subprocess, no checks marker.
"""

import ast
import pathlib

import pytest

PLUGINS = pathlib.Path(__file__).resolve().parents[2] / 'plugins'
MAX_FILE = 400
MAX_CLASS = 250
MAX_FUNCTION = 60
# Files whose DOCUMENTATION string is their first word (ansible-test wants it there, not a docstring).
DOCUMENTED = ('modules', 'lookup', 'doc_fragments', 'filter', 'inventory', 'callback')

FILES = sorted(PLUGINS.rglob('*.py'))


def _rel(path):
    return str(path.relative_to(PLUGINS.parent))


def _span(node):
    return node.end_lineno - node.lineno + 1


@pytest.mark.parametrize('path', FILES, ids=_rel)
def test_file_is_small_and_says_what_it_owns(path):
    text = path.read_text(encoding='utf-8')
    lines = text.count('\n') + (0 if text.endswith('\n') else 1)
    assert lines <= MAX_FILE, '%s has %d lines (at most %d)' % (_rel(path), lines, MAX_FILE)
    if path.name == '__init__.py':
        return
    tree = ast.parse(text)
    if path.parent.name in DOCUMENTED:
        names = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)]
        assert 'DOCUMENTATION' in names or path.parent.name == 'doc_fragments', '%s has no DOCUMENTATION' % _rel(path)
        return
    doc = ast.get_docstring(tree)
    assert doc and doc.splitlines()[0].strip(), '%s does not open with a docstring saying what it owns' % _rel(path)


@pytest.mark.parametrize('path', FILES, ids=_rel)
def test_classes_and_functions_are_small(path):
    tree = ast.parse(path.read_text(encoding='utf-8'))
    too_long = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _span(node) > MAX_CLASS:
            too_long.append('class %s: %d lines (at most %d)' % (node.name, _span(node), MAX_CLASS))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _span(node) > MAX_FUNCTION:
            too_long.append('def %s (line %d): %d lines (at most %d)' % (node.name, node.lineno, _span(node), MAX_FUNCTION))
    assert not too_long, '%s: %s' % (_rel(path), '; '.join(too_long))


# The floors of docs/architecture.md, bottom up: a file imports only files of its own floor or below. A new file
# must be placed here (and in docs/architecture.md's table) before this test passes.
FLOORS = {
    'foundations': ('_errors', '_text', '_http', '_http_deadline', '_http_errors', '_http_pool', '_tls', '_endpoint', '_options',
                    '_argspec', '_proc'),
    'lease record': ('_lease', '_lease_checks', '_lease_run', '_lease_proof', '_lease_format', '_lease_key', '_lease_record',
                     '_local_files', '_lease_file', '_lease_etcd', '_lease_etcd_gateway', '_lease_etcd_guard',
                     '_lease_etcd_liveness', '_lease_open'),
    'device APIs': ('_token', '_lock_words', '_sbc', '_sdm', '_sbc_config', '_sbc_config_xml', '_sdm_config', '_sdm_config_xml'),
    'lock core': ('_lock', '_lock_protocol', '_lock_results', '_sdm_targets', '_same_user_warning', '_config_lock',
                  '_config_release', '_device_lock', '_device_release'),
    'configuration modules': ('_config_element', '_config_diff', '_config_element_task', '_config_commit_task', '_config_info_task',
                              '_config_list', '_config_elements_task', '_device_config', '_device_config_elements_task',
                              '_device_config_work', '_device_config_element_task', '_device_config_push_task'),
}
ORDER = list(FLOORS) + ['adapters']
UTILS = sorted(list((PLUGINS / 'module_utils').glob('_*.py')) + list((PLUGINS / 'plugin_utils').glob('_*.py')))


def _floor(path):
    if path.parent.name == 'plugin_utils' or path.stem == '_run_task':
        return 'adapters'
    for floor, names in FLOORS.items():
        if path.stem in names:
            return floor
    return None


def _imported(path):
    tree = ast.parse(path.read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and '.provisioning.plugins.' in node.module:
            kind, name = (node.module.rpartition('.plugins.')[2].split('.', 1) + [''])[:2]
            # "from ...module_utils import _proc" names the files in its list
            for name in [name] if name else [alias.name for alias in node.names]:
                yield PLUGINS / kind / (name + '.py')


@pytest.mark.parametrize('path', UTILS, ids=_rel)
def test_a_file_imports_only_its_floor_and_those_below(path):
    floor = _floor(path)
    assert floor is not None, '%s has no floor: place it in FLOORS here and in docs/architecture.md' % _rel(path)
    upward = ['%s (%s)' % (_rel(other), _floor(other)) for other in _imported(path)
              if _floor(other) is None or ORDER.index(_floor(other)) > ORDER.index(floor)]
    assert not upward, '%s (%s) imports from above: %s' % (_rel(path), floor, ', '.join(upward))
