"""Shared pytest fixtures; the emulator logic lives in tests/emulator_harness.py."""

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from emulator_harness import start_emulator  # noqa: E402  (needs the path above)


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
