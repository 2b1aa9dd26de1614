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
