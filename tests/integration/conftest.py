"""Fixtures of the integration tests: a playbook runner bound to the session's emulator."""

import pytest

from tests.integration.ansible_runner_util import PlaybookRunner


@pytest.fixture
def ansible(emulator, tmp_path):
    """Runs plays as a user would, with SBC_*/SDM_* pointing at the (freshly reset) emulator."""
    return PlaybookRunner(emulator, tmp_path)
