"""Where the suite's CPU goes: a pytest plugin, and the table it makes (docs/development.md, Timings).

``CPU_REPORT=DIR tools/test.sh`` loads this plugin (``-p tests.cpu_report``): each process (every xdist worker)
writes ``DIR/<worker>.json`` with, per test, the CPU seconds of the process and of the processes it started and
waited for (``getrusage``), and the wall-clock seconds. ``python -m tests.cpu_report DIR`` prints the totals by part
of the suite and the costliest files. Processes nobody waits for (keepers, which detach) are not counted.
"""

import collections
import glob
import json
import os
import resource
import sys
import time

import pytest

_ROWS = []


def _cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # pylint: disable=unused-argument
    cpu, wall = _cpu_seconds(), time.monotonic()
    yield
    _ROWS.append((item.nodeid, _cpu_seconds() - cpu, time.monotonic() - wall))


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
    folder = os.environ.get('CPU_REPORT')
    if folder:
        os.makedirs(folder, exist_ok=True)
        name = os.environ.get('PYTEST_XDIST_WORKER', 'main')
        with open(os.path.join(folder, name + '.json'), 'w', encoding='utf-8') as handle:
            json.dump({'rows': _ROWS, 'total': _cpu_seconds()}, handle)


def _part(nodeid):
    path = nodeid.split('::')[0]
    if path == 'tests/checks/test_oldest_core.py':
        return path
    return '/'.join(path.split('/')[:2])


def report(folder, files=15):
    """The table of ``folder``'s measurements: CPU seconds by part of the suite, then the ``files`` costliest files."""
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, '*.json'))):
        with open(path, encoding='utf-8') as handle:
            rows.extend(json.load(handle)['rows'])
    total = sum(cpu for _nodeid, cpu, _wall in rows) or 1.0
    lines = ['%d tests, %.0f CPU s' % (len(rows), total), '', '| part | CPU s | share | tests |', '|---|---:|---:|---:|']
    for title, key in (('part', _part), ('file', lambda nodeid: nodeid.split('::')[0])):
        cost, count = collections.Counter(), collections.Counter()
        for nodeid, cpu, _wall in rows:
            cost[key(nodeid)] += cpu
            count[key(nodeid)] += 1
        ranked = cost.most_common(None if title == 'part' else files)
        if title == 'file':
            lines += ['', '| file | CPU s | share | tests |', '|---|---:|---:|---:|']
        lines += ['| `%s` | %.0f | %.0f %% | %d |' % (name, cpu, 100 * cpu / total, count[name]) for name, cpu in ranked]
    return '\n'.join(lines)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: python -m tests.cpu_report DIR   (DIR: where CPU_REPORT=DIR tools/test.sh wrote its files)')
    print(report(sys.argv[1]))
