"""A keeper's pid file and its liveness lock (_keeper_pid)."""

import os

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_pid import GUARD, keeper_alive, lock_nb, pid_name


def test_a_keeper_is_alive_exactly_while_its_pid_file_is_locked(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    assert pid_name('keeper-0123') == 'keeper-0123.pid' and GUARD == 'keepers'
    assert not keeper_alive(store, 'keeper-0123')  # no pid file
    fd = store.local.open_file(pid_name('keeper-0123'), os.O_RDWR | os.O_CREAT)
    assert not keeper_alive(store, 'keeper-0123')  # a file nobody locks
    assert lock_nb(fd)
    try:
        assert keeper_alive(store, 'keeper-0123')
        other = store.local.open_file(pid_name('keeper-0123'), os.O_RDONLY)
        try:
            assert lock_nb(other) is False
        finally:
            os.close(other)
    finally:
        os.close(fd)
    assert not keeper_alive(store, 'keeper-0123')


def test_a_pid_file_that_is_a_link_is_no_keeper(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    os.symlink(str(tmp_path / 'elsewhere'), store.local.path(pid_name('keeper-0123')))
    assert not keeper_alive(store, 'keeper-0123')
