"""Unit tests import the collection from this checkout."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from tests.collection_path import ensure_collections_root  # noqa: E402

ensure_collections_root()


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_keeper_process(monkeypatch):
    """The decision logic runs without starting keeper processes; test_keeper.py and the integration tests cover those."""
    from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._action import ModuleShim
    monkeypatch.setattr(ModuleShim, 'start_keeper', lambda *args: None)
