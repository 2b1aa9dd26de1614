"""Which lease record a task opens, and what a run imports for it."""

import os
import subprocess
import sys

import pytest

import ansible_collections

PROBE = '''
import sys
from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_open
_lease_open.prepare_backend({"ORACLE_COMMS_LEASE_BACKEND": sys.argv[1]})
print(sorted(name.rsplit(".", 1)[-1] for name in sys.modules if name.endswith("._lease_etcd") or name == "etcd3gw"))
'''


@pytest.mark.parametrize('backend,imported', [
    ('file', []),
    # unset: a task may still select etcd by its own lease_backend option, and its worker must not import etcd3gw again
    ('', ['_lease_etcd', 'etcd3gw']),
    ('etcd', ['_lease_etcd', 'etcd3gw']),
])
def test_the_run_imports_the_etcd_backend_for_its_workers_unless_the_environment_selects_files(backend, imported):
    # a fresh interpreter: this one may have imported the etcd backend for other tests
    root = os.path.dirname(list(ansible_collections.__path__)[0])
    done = subprocess.run([sys.executable, '-c', PROBE, backend], env=dict(os.environ, PYTHONPATH=root), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(imported)


def test_a_run_without_etcd3gw_starts_and_a_task_selecting_etcd_says_what_is_missing(tmp_path):
    probe = '''
import sys
sys.modules["etcd3gw"] = sys.modules["etcd3gw.client"] = None  # as on a controller where it is not installed
from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_open, _options
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
_lease_open.prepare_backend({})
try:
    _lease_open.open_lease_record(_options.LeaseOptions({"lease_backend": "etcd", "lease_etcd_endpoints": ["http://127.0.0.1:1"]}), sys.argv[1])
except OracleError as exc:
    print(exc.reason)
'''
    root = os.path.dirname(list(ansible_collections.__path__)[0])
    done = subprocess.run([sys.executable, '-c', probe, str(tmp_path / 'leases')],
                          env=dict(os.environ, PYTHONPATH=root), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'missing_library'
