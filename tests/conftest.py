"""Shared pytest fixtures (the emulator logic lives in tests/emulator_harness.py) and the order of a run's longest tests.

pytest-xdist's ``--dist worksteal`` (tools/test.sh) hands each worker one contiguous part of the collected tests;
an idle worker then steals from the end of another's part. A long test is never stolen once its worker has begun,
so where the longest tests sit decides how long a run takes: all of them in the first part (``tests/checks/`` sorts
first) made one worker run them one after another, about as long as the whole run. ``LONGEST`` spreads them, longest
first, over the workers' parts, each at the head of its part; every other test keeps its order.
"""

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from emulator_harness import start_emulator  # noqa: E402  (needs the path above)

#: Tests (node id prefixes) that take minutes, with their seconds in a whole run on 2 cores at a load of 12-20
#: (docs/development.md, Timings). A prefix that names several tests keeps them together, in one worker's part:
#: they share a fixture of their module that each worker would otherwise make again.
LONGEST = (
    ('tests/checks/test_oldest_core.py', 1690),
    ('tests/checks/test_ecosystem.py::test_ansible_test_sanity', 1490),
    ('tests/checks/test_ecosystem.py::test_ansible_lint_production_profile', 550),
    ('tests/checks/test_ecosystem.py::test_galaxy_build_and_importer', 315),
    ('tests/checks/test_ecosystem.py::test_ansible_test_units', 279),
    ('tests/integration/test_etcd_concurrency.py::test_twenty_plays_on_four_controllers_on_overlapping_devices', 212),
    ('tests/integration/test_lock_session.py::test_concurrent_plays_on_one_sbc_never_hold_it_together[20-shared]', 210),
    ('tests/checks/test_release_changelog.py', 170),
    ('tests/checks/test_ecosystem.py::test_antsibull_docs_lint', 124),
    ('tests/benchmarks/test_bench_smoke.py', 122),
    ('tests/integration/test_etcd_concurrency.py::test_twenty_plays_on_four_controllers_on_one_sbc', 115),
    ('tests/checks/test_rendered_docs.py', 51),
)


def _lanes(items, workers):
    """``items`` reordered so that worksteal's contiguous parts each begin with a fair share of LONGEST."""
    groups, rest = {}, []
    for item in items:
        prefix = next((prefix for prefix, _seconds in LONGEST if item.nodeid.startswith(prefix)), None)
        if prefix is None:
            rest.append(item)
        else:
            groups.setdefault(prefix, []).append(item)
    if not groups:
        return items
    base, extra = divmod(len(items), workers)
    sizes = [base + (1 if index < extra else 0) for index in range(workers)]
    lanes = [[] for _lane in range(workers)]
    load = [0] * workers
    seconds = dict(LONGEST)
    for prefix in sorted(groups, key=lambda name: -seconds[name]):  # the longest first, each to the least loaded part
        group = groups[prefix]
        room = [index for index in range(workers) if len(lanes[index]) + len(group) <= sizes[index]]
        lane = min(room or range(workers), key=lambda index: (load[index], index))
        lanes[lane].extend(group)
        load[lane] += seconds[prefix]
    ordered = []
    for lane, size in zip(lanes, sizes):
        take = max(0, size - len(lane))
        ordered.extend(lane + rest[:take])
        rest = rest[take:]
    return ordered + rest


@pytest.hookimpl(trylast=True)  # after -m, -k and --deselect have chosen the tests
def pytest_collection_modifyitems(config, items):
    # Every xdist worker collects, and all must agree on the order: it depends only on the tests and the worker count.
    workers = getattr(config, 'workerinput', {}).get('workercount', 0)
    if workers > 1:
        items[:] = _lanes(items, workers)


@pytest.fixture(scope="session")
def emulator_session(tmp_path_factory):
    """One emulator (default data, default switches) for the whole test run."""
    with start_emulator(tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture
def emulator(emulator_session):
    """The session's emulator, reset to its startup state before the test."""
    emulator_session.reset()
    return emulator_session
