"""Unit tests import the collection from this checkout (under ansible-test units, from its own copy)."""

import pathlib
import sys

try:
    # ansible-test units: the collection is importable already
    import ansible_collections.oracle_comms.provisioning.plugins  # noqa: F401 pylint: disable=unused-import
except ImportError:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
    from tests.collection_path import ensure_collections_root

    ensure_collections_root()
