"""Fixtures of the integration tests: a playbook runner bound to the session's emulator."""

import signal

import pytest

from tests.integration.ansible_runner_util import PlaybookRunner

# A suite started in the background of a shell without job control (`make test &` in a script) inherits
# SIGINT ignored, and so would every ansible-playbook it starts: Python then installs no handler, and the
# tests that press Ctrl-C would see a run that cannot be interrupted. Python's own handler here; plays started
# from here get the default disposition (exec resets a handler), so they install theirs.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def ansible(emulator, tmp_path):
    """Runs plays as a user would, with SBC_*/SDM_* pointing at the (freshly reset) emulator."""
    return PlaybookRunner(emulator, tmp_path)
