"""Make ``ansible_collections.oracle_comms.provisioning`` importable from this checkout, for tests and plays."""

import os
import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS_ROOT = REPO_ROOT / 'tests' / 'output' / 'collections'


def ensure_collections_root():
    """Create ``tests/output/collections/ansible_collections/oracle_comms/provisioning`` -> the checkout; return the root."""
    link = COLLECTIONS_ROOT / 'ansible_collections' / 'oracle_comms' / 'provisioning'
    if not link.is_symlink() or link.resolve() != REPO_ROOT:
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name('provisioning.tmp-%d' % os.getpid())
        tmp.symlink_to(REPO_ROOT, target_is_directory=True)
        os.replace(tmp, link)
    if str(COLLECTIONS_ROOT) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_ROOT))
    return COLLECTIONS_ROOT
