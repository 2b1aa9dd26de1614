"""Make ``ansible_collections.oracle_comms.provisioning`` importable from this checkout, for tests and plays.

The same root holds ``oracle_comms_tests.harness`` (tests/integration/harness): the integration plays' own
tooling, such as the action that writes a play's results for its test.
"""

import os
import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS_ROOT = REPO_ROOT / 'tests' / 'output' / 'collections'
HARNESS = REPO_ROOT / 'tests' / 'integration' / 'harness'


def _link(link, target):
    if not link.is_symlink() or link.resolve() != target:
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name('%s.tmp-%d' % (link.name, os.getpid()))
        tmp.symlink_to(target, target_is_directory=True)
        os.replace(tmp, link)


def ensure_collections_root():
    """Link ``oracle_comms/provisioning`` -> the checkout and ``oracle_comms_tests/harness`` under
    ``tests/output/collections/ansible_collections``; return the root."""
    _link(COLLECTIONS_ROOT / 'ansible_collections' / 'oracle_comms' / 'provisioning', REPO_ROOT)
    _link(COLLECTIONS_ROOT / 'ansible_collections' / 'oracle_comms_tests' / 'harness', HARNESS)
    if str(COLLECTIONS_ROOT) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_ROOT))
    return COLLECTIONS_ROOT
