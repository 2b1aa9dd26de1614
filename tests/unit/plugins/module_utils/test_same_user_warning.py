"""The same-user warning: said once per controller, user and SDM; old per-run markers removed; never where shared."""

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._same_user_warning import marker_name, warn_same_user_once


def test_said_once_and_old_markers_removed(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    (tmp_path / 'leases' / '.warned-0123456789abcdef').write_text('')
    said = []
    warn_same_user_once(store, 'sdm.test:443', 'prov1', said.append)
    warn_same_user_once(store, 'sdm.test:443', 'prov1', said.append)
    assert len(said) == 1 and 'belong to the user prov1' in said[0]
    names = store.local.names()
    assert marker_name('sdm.test:443', 'prov1') in names and '.warned-0123456789abcdef' not in names
    warn_same_user_once(store, 'sdm.test:443', 'prov2', said.append)
    assert len(said) == 2


class NoFiles:
    def open_file(self, *args):
        raise AssertionError('no marker where the record is shared')


class SharedRecord:
    shared_between_controllers = True
    local = NoFiles()


def test_nothing_said_where_the_record_is_shared_between_controllers():
    said = []
    warn_same_user_once(SharedRecord(), 'sdm.test:443', 'prov1', said.append)
    assert said == []
