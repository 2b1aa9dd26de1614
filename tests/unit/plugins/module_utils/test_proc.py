"""_proc: what /proc says about processes, on real processes; None, False or empty where it cannot tell, never an exception."""

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _proc

pytestmark = pytest.mark.skipif(not os.path.isdir('/proc/self/task'), reason='Linux /proc only')

#: a pid no process has: above the kernel's pid_max
NO_PID = 4194304 + 1


@pytest.fixture
def child():
    """A sleeping child process of this one (named ``ansible-playbook`` in its argv[0]), killed after the test."""
    process = subprocess.Popen(['ansible-playbook', '-c', 'import time; time.sleep(60)', 'play.yml'],
                               executable=sys.executable, stdin=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def wait_for(condition, timeout=30.0):
    """True once ``condition()`` is, False after ``timeout`` seconds (a loaded machine starts a child slowly)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_start_time_is_the_kernels_and_a_later_process_starts_no_earlier(child):
    mine = _proc.start_time(os.getpid())
    assert isinstance(mine, int) and mine > 0
    assert _proc.start_time(os.getpid(), living=True) == mine
    assert _proc.start_time(child.pid) >= mine


def test_start_time_of_a_zombie_is_gone_only_when_living_is_asked():
    process = subprocess.Popen([sys.executable, '-c', 'pass'], stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: _proc.start_time(process.pid, living=True) is None)  # exited, not yet reaped
        assert isinstance(_proc.start_time(process.pid), int)
    finally:
        process.wait()
    assert _proc.start_time(process.pid) is None  # reaped: gone


def test_a_process_that_does_not_exist_is_none_false_or_empty():
    assert _proc.start_time(NO_PID) is None and _proc.start_time(NO_PID, living=True) is None
    assert _proc.parent(NO_PID) is None
    assert _proc.is_ansible_command(NO_PID) is False
    assert _proc.cmdline(NO_PID) is None
    assert _proc.fd_targets(NO_PID) == set()
    assert _proc.children(NO_PID) == set()


def test_parent_and_children(child):
    assert _proc.parent(child.pid) == os.getpid()
    assert _proc.parent(os.getpid()) == os.getppid()
    assert child.pid in _proc.children(os.getpid())
    assert _proc.children(child.pid) == set()


def test_children_falls_back_to_a_scan_of_proc_when_the_task_files_cannot_be_read(child, monkeypatch):
    real_open = open

    def no_children_file(path, *args, **kwargs):
        if str(path).endswith('/children'):
            raise IOError('no such file')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr('builtins.open', no_children_file)
    assert child.pid in _proc.children(os.getpid())


def test_an_ansible_command_is_named_by_one_of_its_first_three_arguments(child):
    assert wait_for(lambda: b'ansible-playbook' in (_proc.cmdline(child.pid) or b''))
    assert _proc.is_ansible_command(child.pid) is True
    assert _proc.cmdline(child.pid).split(b'\0')[0] == b'ansible-playbook'
    assert _proc.is_ansible_command(os.getpid()) is False  # pytest


def test_cmdline_is_the_raw_nul_separated_command_line():
    with open('/proc/self/cmdline', 'rb') as handle:
        assert _proc.cmdline(os.getpid()) == handle.read()


def test_fd_targets_name_pipes_and_files(tmp_path):
    read_end, write_end = os.pipe()
    path = tmp_path / 'open-file'
    try:
        with open(str(path), 'w'):
            targets = _proc.fd_targets(os.getpid())
            assert str(path) in targets
            pipe = os.readlink('/proc/self/fd/%d' % read_end)
            assert pipe.startswith('pipe:[') and pipe in targets
    finally:
        os.close(read_end)
        os.close(write_end)


def test_fd_targets_can_skip_the_standard_three():
    process = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stdin = os.readlink('/proc/self/fd/%d' % process.stdin.fileno())  # our end; the child's is the same pipe
        assert stdin.startswith('pipe:[')
        assert wait_for(lambda: stdin in _proc.fd_targets(process.pid))
        assert '/dev/null' in _proc.fd_targets(process.pid)
        assert not {stdin, '/dev/null'} & _proc.fd_targets(process.pid, skip_std=True)
    finally:
        process.stdin.close()
        process.wait()
