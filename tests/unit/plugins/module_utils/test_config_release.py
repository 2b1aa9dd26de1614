"""The release half of config_lock: leave what other hosts of the run hold, give back through the lease, else an unlock."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _sbc
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_HELD, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Run

from .test_config_lock import KEY, ME, OTHER_ALIVE, FakeSbc, make_task, put_lease


@pytest.fixture(autouse=True)
def other_run_is_alive(monkeypatch):
    monkeypatch.setattr(Run, 'alive', lambda self: self.pid != 3000)


def test_a_host_leaves_the_lock_to_the_other_hosts_of_the_run(tmp_path):
    sbc = FakeSbc()
    task, _host, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, ME)
    lease = store.read(KEY)
    lease.holders = ['', 'web2']
    store.write(lease)
    result = task.release()
    assert result['changed'] is False and result['locked'] is True and result['holders'] == ['web2']
    assert sbc.calls == [] and store.read(KEY).holders == ['web2']


def test_another_runs_lock_is_left_untouched(tmp_path):
    sbc = FakeSbc()
    task, _host, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, OTHER_ALIVE)
    with pytest.raises(OracleError) as caught:
        task.release()
    assert caught.value.reason == REASON_LOCK_HELD and 'theirs to release' in caught.value.msg
    assert sbc.calls == [] and store.read(KEY) is not None


def test_our_lease_is_given_back_with_its_token_and_forgotten(tmp_path):
    sbc = FakeSbc(unlock_answers=[_sbc.RELEASED])
    task, _host, store = make_task(tmp_path, sbc, state='unlocked')
    put_lease(store, ME)
    result = task.release()
    assert result['changed'] is True and result['holder'] == 'nobody'
    assert sbc.calls == [('unlock', 'held-token')] and store.read(KEY) is None
