"""Unit tests import the collection from this checkout."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from tests.collection_path import ensure_collections_root  # noqa: E402

ensure_collections_root()
