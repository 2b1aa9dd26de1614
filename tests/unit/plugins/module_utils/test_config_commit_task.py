"""The body of config_commit with a stand-in lock and SBC: which steps, in which order, and when nothing is to be done."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_commit_task import commit_changes
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from tests.unit.plugins.module_utils.config_task_fakes import Config, Host, Lease, Task


def test_steps_are_checked_before_the_lock_is_looked_for():
    task = Task(Config())
    for steps in (['save', 'reboot'], []):
        with pytest.raises(OracleError) as caught:
            commit_changes({'steps': steps}, Host(), None, task)
        assert caught.value.reason == 'bad_input'
    assert task.made is None


def test_nothing_changed_under_the_lock_is_nothing_to_commit():
    config = Config()
    result = commit_changes({}, Host(), None, Task(config, Lease(changed_under_lock=False)))
    assert result['changed'] is False and result['skipped_steps'] == ['save', 'verify', 'activate'] and config.calls == []
    assert 'nothing to commit' in result['msg']


def test_steps_run_in_oracles_order_with_one_deadline_and_activate_settles_the_change():
    config = Config()
    task = Task(config, Lease(changed_under_lock=True))
    result = commit_changes({'steps': ['activate', 'save'], 'async_timeout': 60}, Host(), None, task)
    assert result == dict(changed=True, steps=['save', 'activate'], skipped_steps=[])
    assert config.calls == [('run_step', 'save', 160.0), ('run_step', 'activate', 160.0)] and task.fresh == 2
    assert task.lock.store.written == [False] and task.made == 'config_commit' and task.closed


def test_check_mode_sends_nothing_and_a_verify_alone_changes_nothing():
    config = Config()
    result = commit_changes({'steps': ['verify'], 'only_if_changed': False}, Host(check_mode=True), None, Task(config))
    assert result == dict(changed=False, steps=['verify'], skipped_steps=[]) and config.calls == []
