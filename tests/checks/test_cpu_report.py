"""tests/cpu_report.py: the table of where the suite's CPU goes, from what each worker wrote."""

import json
import os
import subprocess
import sys

from tests.collection_path import REPO_ROOT
from tests.cpu_report import report


def test_the_table_sums_the_workers_by_part_and_by_file(tmp_path):
    (tmp_path / 'gw0.json').write_text(json.dumps({'rows': [
        ['tests/integration/test_a.py::test_one', 3.0, 5.0],
        ['tests/unit/test_b.py::test_two[x]', 1.0, 1.0]], 'total': 4.0}))
    (tmp_path / 'gw1.json').write_text(json.dumps({'rows': [
        ['tests/integration/test_a.py::test_three', 4.0, 9.0],
        ['tests/checks/test_oldest_core.py::test_all', 2.0, 2.0]], 'total': 6.0}))
    table = report(str(tmp_path))
    assert table.startswith('4 tests, 10 CPU s')
    assert '| `tests/integration` | 7 | 70 % | 2 |' in table
    assert '| `tests/checks/test_oldest_core.py` | 2 | 20 % | 1 |' in table  # the 2.18 run is a part of its own
    assert '| `tests/integration/test_a.py` | 7 | 70 % | 2 |' in table
    assert table.index('`tests/integration`') < table.index('`tests/checks/test_oldest_core.py`') < table.index('`tests/unit`')


def test_the_plugin_writes_one_file_per_process_with_each_test(tmp_path):
    (tmp_path / 'test_sample.py').write_text('def test_spin():\n    sum(range(10 ** 6))\n')
    env = dict(os.environ, CPU_REPORT=str(tmp_path / 'out'), PYTHONPATH=str(REPO_ROOT))
    env.pop('PYTEST_XDIST_WORKER', None)
    done = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-p', 'tests.cpu_report',
                           '-p', 'no:xdist', str(tmp_path / 'test_sample.py')],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    written = json.loads((tmp_path / 'out' / 'main.json').read_text())
    [(nodeid, cpu, wall)] = written['rows']
    assert nodeid.endswith('test_sample.py::test_spin') and cpu > 0 and wall > 0
