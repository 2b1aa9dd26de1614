"""The credential proof of a lease (_lease_proof): slow hash, MAC under the run's key, and its shape."""

import os

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_proof, _lease_run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import ProofInAdvance, make_proof, proof_matches, valid_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run, prepare_run_key


def test_a_proof_tells_its_credentials_from_others_and_holds_no_password():
    proof = make_proof('admin', 'correct-horse')
    assert valid_proof(proof) and 'correct-horse' not in repr(proof) and 'run_mac' not in proof
    assert proof_matches(proof, 'admin', 'correct-horse')
    assert not proof_matches(proof, 'admin', 'correct-hors') and not proof_matches(proof, 'admin2', 'correct-horse')


def test_a_proof_of_the_run_carries_a_mac_its_tasks_check_without_the_slow_hash(monkeypatch):
    monkeypatch.setattr(_lease_run, '_run_key', {})
    monkeypatch.setattr(_lease_run, '_run_of_process', {})
    run = Run('ctl', os.getpid(), 5)
    prepare_run_key(run)
    proof = make_proof('admin', 'pw', run)
    assert proof['run_mac'] and valid_proof(proof)
    monkeypatch.setattr(_lease_proof, '_proof_cache', {})
    monkeypatch.setattr(_lease_proof, '_digest', lambda *args: pytest.fail('the MAC proves it'))
    assert proof_matches(proof, 'admin', 'pw', run)


@pytest.mark.parametrize('change', [dict(n=2 ** 20), dict(alg='md5'), dict(salt='not base64!'), dict(run_mac=5), dict(hash='')])
def test_a_proof_of_another_shape_or_cost_is_not_valid(change):
    assert not valid_proof(dict(make_proof('admin', 'pw'), **change))
    assert not valid_proof(None) and not valid_proof([])


def test_a_proof_begun_in_advance_is_one_proof():
    pending = ProofInAdvance('admin', 'pw')
    assert pending.result() is pending.result() and proof_matches(pending.result(), 'admin', 'pw')
