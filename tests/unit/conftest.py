"""Unit tests import the collection from this checkout (under ansible-test units, from its own copy)."""

import pathlib
import sys

try:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
    from tests.collection_path import ensure_collections_root
except ImportError:  # ansible-test units: the collection is already importable where it runs
    pass
else:
    ensure_collections_root()
