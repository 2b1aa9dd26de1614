"""Starting a keeper (_keeper_start): one per scope, its password on a pipe, its log bounded."""

import json
import os
import socket

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SBC_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SbcLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._proc import start_time
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils import _keeper_start

from ..module_utils.lock_task import validated

PARAMS = validated(SBC_SPEC, {'host': 'sbc.test:443', 'username': 'admin', 'password': 'pw-secret', 'api_version': 'v1.2'})


def this_process():
    return Run(socket.gethostname(), os.getpid(), start_time(os.getpid()))


class FakeProcess:
    def __init__(self, argv, **kwargs):
        self.argv, self.kwargs = argv, kwargs
        self.stdin = self
        self.written = b''

    def write(self, data):
        self.written += data

    def close(self):
        pass


def test_the_keeper_is_started_detached_with_its_password_only_on_stdin(tmp_path, monkeypatch):
    store = LeaseStore(str(tmp_path / 'leases'))
    started = []
    monkeypatch.setenv('SBC_PASSWORD', 'from-the-environment')
    monkeypatch.setattr(_keeper_start.subprocess, 'Popen', lambda argv, **kwargs: started.append(FakeProcess(argv, **kwargs)) or started[-1])
    _keeper_start.ensure_keeper(store, SbcLockOptions(PARAMS, Redactor('pw-secret')), this_process(), pytest.fail)
    (process,) = started
    key = scope_key(this_process().ident, 'sbc', 'sbc.test:443', 'admin')
    assert process.argv[1:4] == ['-m', _keeper_start.MODULE, store.local.directory] and process.argv[4] == key
    assert process.kwargs['start_new_session'] and 'SBC_PASSWORD' not in process.kwargs['env']
    assert 'pw-secret' not in ' '.join(process.argv) and json.loads(process.written)['params']['password'] == 'pw-secret'
    assert store.local.exists(key + '.pid') and store.local.exists(_keeper_start.LOG)
    assert _keeper_start.MODULE.endswith('.plugin_utils._keeper')


def test_a_keeper_that_cannot_start_is_a_warning(tmp_path, monkeypatch):
    store = LeaseStore(str(tmp_path / 'leases'))
    os.symlink(str(tmp_path / 'elsewhere'), store.local.path('keepers.flock'))
    warnings = []
    _keeper_start.ensure_keeper(store, SbcLockOptions(PARAMS, Redactor('pw-secret')), this_process(), warnings.append)
    assert len(warnings) == 1 and 'could not start the keeper' in warnings[0]


def test_the_log_is_rotated_past_its_limit_only(tmp_path):
    local = LeaseStore(str(tmp_path / 'leases')).local
    with open(local.path(_keeper_start.LOG), 'w') as handle:
        handle.write('x' * 10)
    _keeper_start._rotate_log(local)
    assert not local.exists(_keeper_start.LOG + '.1')
    with open(local.path(_keeper_start.LOG), 'w') as handle:
        handle.write('x' * (_keeper_start.LOG_LIMIT + 1))
    _keeper_start._rotate_log(local)
    assert local.exists(_keeper_start.LOG + '.1') and not local.exists(_keeper_start.LOG)
