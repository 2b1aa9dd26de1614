"""The controller's own files in the lease directory (_local_files.LocalFiles): trusted only if ours, no link followed."""

import os
import stat

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._local_files import LEASE_DIR_ENV, LocalFiles


def test_a_missing_directory_is_made_private_and_the_environment_names_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv(LEASE_DIR_ENV, str(tmp_path / 'from-env'))
    with LocalFiles() as local:
        assert local.directory == str(tmp_path / 'from-env') and stat.S_IMODE(os.stat(local.directory).st_mode) == 0o700
    with pytest.raises(OracleError) as caught:
        LocalFiles(str(tmp_path / 'absent'), create=False)
    assert caught.value.reason == 'lease_error' and 'cannot open it' in caught.value.msg


def test_a_directory_others_can_write_is_refused(tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    with pytest.raises(OracleError) as caught:
        LocalFiles(str(shared))
    assert 'others can write to it (mode 0777)' in caught.value.msg and stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o777


def test_files_by_name_never_through_a_link(tmp_path):
    local = LocalFiles(str(tmp_path / 'leases'))
    victim = tmp_path / 'victim'
    victim.write_text('untouched')
    os.symlink(str(victim), local.path('keeper.log'))
    with pytest.raises(OSError):
        local.open_file('keeper.log', os.O_WRONLY | os.O_APPEND)
    assert local.touch('keeper.log') is False and victim.read_text() == 'untouched'
    assert local.exists('keeper.log')  # the link itself is there
    assert local.unlink('keeper.log') is True and victim.exists()
    os.mkdir(local.path('a-directory'))
    with pytest.raises(OracleError) as caught:
        local.open_file('a-directory', os.O_RDONLY)
    assert 'not a regular file of this user' in caught.value.msg


def test_rename_move_and_their_failures(tmp_path):
    local = LocalFiles(str(tmp_path / 'leases'))
    assert local.touch('a') and local.names() == ['a']
    local.rename('a', 'b')
    assert local.names() == ['b']
    with pytest.raises(OracleError) as caught:
        local.rename('a', 'c')
    assert caught.value.reason == 'lease_error' and 'cannot rename a' in caught.value.msg
    with pytest.raises(FileNotFoundError):
        local.move('a', 'c')


def test_the_file_systems_clock_and_a_directory_that_went(tmp_path):
    local = LocalFiles(str(tmp_path / 'leases'))
    assert abs(local.now() - os.stat(local.directory).st_mtime) < 60 and local.names() == []  # the probe is removed
    with local.guard('keepers'):
        assert local.exists('keepers.flock')
    for name in os.listdir(local.directory):
        os.unlink(local.path(name))
    os.rmdir(local.directory)
    assert local.gone() and local.names() == [] and local.now() > 0
    local.close()
    local.close()  # closing twice is no error
