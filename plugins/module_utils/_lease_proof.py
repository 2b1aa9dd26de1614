# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The credential proof of a lease: a salted, slow hash of who took a lock, and a MAC under the run's key.

Neither Oracle lock says who holds it, so a lease records proof of the credentials that took it: a later task
tells its own credentials apart from others' without the lease ever holding a password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import json
import os
import threading

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import is_int, is_text, optional
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import run_key

#: scrypt at N=2**10, r=8 (1 MiB of memory) costs about 1.7 ms here: paid once when a lock is taken and once
#: when a task of another run (or the keeper) uses a lease, and it makes guessing the password from a lease slow
#: (docs/decisions.md).
_SCRYPT = {'n': 2 ** 10, 'r': 8, 'p': 1}
_PBKDF2_ROUNDS = 20000
_proof_cache = {}


def _run_mac(run_ident, salt, username, password):
    key = run_key(run_ident)
    if key is None:
        return None
    message = '\0'.join((run_ident, username, password)).encode('utf-8') + b'\0' + salt
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode('ascii')


def _digest(alg, salt, username, password, params):
    secret = ('%s\0%s' % (username, password)).encode('utf-8')
    if alg == 'scrypt':
        return hashlib.scrypt(secret, salt=salt, n=params['n'], r=params['r'], p=params['p'], maxmem=64 * 1024 * 1024, dklen=32)
    return hashlib.pbkdf2_hmac('sha256', secret, salt, params['rounds'])


def make_proof(username, password, run=None):
    """A salted, slow hash of the credentials that took a lock, to tell them apart from others later.

    With the ``run`` that takes the lock, and where this process has that run's key, the proof also carries a
    MAC of the credentials under that key (``run_mac``), which only tasks of that run can check.
    """
    salt = os.urandom(16)
    if hasattr(hashlib, 'scrypt'):
        alg, params = 'scrypt', dict(_SCRYPT)
    else:  # pragma: no cover - an OpenSSL without scrypt
        alg, params = 'pbkdf2-sha256', {'rounds': _PBKDF2_ROUNDS}
    digest = _digest(alg, salt, username, password, params)
    proof = dict(params, alg=alg, salt=base64.b64encode(salt).decode('ascii'), hash=base64.b64encode(digest).decode('ascii'))
    mac = _run_mac(run.ident, salt, username, password) if run is not None else None
    if mac is not None:
        proof['run_mac'] = mac
    _proof_cache[(_proof_id(proof), username, password)] = True
    return proof


class ProofInAdvance:
    """:func:`make_proof` of these credentials, begun on a thread at once; :meth:`result` waits for it.

    hashlib's scrypt lets other threads run while it works: a task that begins the proof as it starts to ask the
    device for a lock has it by the time the lock is granted, instead of paying for it after every grant.
    """

    def __init__(self, username, password, run=None):
        self._outcome = []
        self._thread = threading.Thread(target=self._make, args=(username, password, run), name='lease-proof')
        self._thread.daemon = True
        self._thread.start()

    def _make(self, username, password, run):
        try:
            self._outcome.append((make_proof(username, password, run), None))
        except Exception as exc:  # pylint: disable=broad-except
            self._outcome.append((None, exc))

    def result(self):
        """The proof (the same one on every call); what making it raised, if it failed."""
        self._thread.join()
        proof, error = self._outcome[0]
        if error is not None:
            raise error
        return proof


def _proof_id(proof):
    return json.dumps(proof, sort_keys=True)


def proof_matches(proof, username, password, run=None):
    """True when ``username``/``password`` are the credentials ``proof`` was made of.

    A task of the ``run`` that made the proof checks its MAC; a MAC that does not match proves nothing either
    way (another process, another key), so the slow hash decides, as it does for everyone else (cached per process).
    """
    salt = base64.b64decode(proof['salt'])
    if run is not None and proof.get('run_mac'):
        mac = _run_mac(run.ident, salt, username, password)
        if mac is not None and hmac.compare_digest(mac.encode('utf-8'), proof['run_mac'].encode('utf-8')):
            return True
    cache_key = (_proof_id(proof), username, password)
    if cache_key not in _proof_cache:
        digest = _digest(proof['alg'], salt, username, password, proof)
        _proof_cache[cache_key] = hmac.compare_digest(digest, base64.b64decode(proof['hash']))
    return _proof_cache[cache_key]


def valid_proof(proof):
    """True when ``proof`` (read from a lease) is of the shape and cost :func:`make_proof` gives, and no other."""
    if not isinstance(proof, dict) or not is_text(proof.get('salt'), 64) or not is_text(proof.get('hash'), 128):
        return False
    if not optional(proof.get('run_mac'), lambda value: is_text(value, 64)):
        return False
    try:
        base64.b64decode(proof['salt'], validate=True)
        base64.b64decode(proof['hash'], validate=True)
    except (ValueError, TypeError):
        return False
    if proof.get('alg') == 'scrypt':
        return all(is_int(proof.get(name)) for name in ('n', 'r', 'p')) and proof == dict(proof, **_SCRYPT)
    if proof.get('alg') == 'pbkdf2-sha256':
        return proof.get('rounds') == _PBKDF2_ROUNDS
    return False
