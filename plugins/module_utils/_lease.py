# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The lease record: what this controller holds, for which run and credentials, with which token.

Neither Oracle lock can be read back, so the client remembers what it took. One JSON file per held
lock, 0600, in a directory that belongs to the user running the task and that nobody else can write,
written atomically under a per-lock file lock so that forks and concurrent runs on one controller see
one truth. Nothing in that directory is trusted blindly: no symbolic link is followed, every file we
create is created exclusively, and a file that is not a lease of the right shape is set aside.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import hashlib
import hmac
import json
import math
import os
import re
import socket
import threading
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _proc
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LEASE, OracleError

#: Lets the action plugin tell a module executed on another host which run it belongs to.
RUN_ID_ENV = 'ORACLE_COMMS_RUN_ID'
#: ... and which inventory host of that run the task is for.
MEMBER_ENV = 'ORACLE_COMMS_INVENTORY_HOST'

#: A keeper of another host's run that has not touched its pid file for this long is gone (its container
#: was torn down): the run's leases are orphans. Keepers touch it every second.
HEARTBEAT_STALE = 15.0

#: The lease format this code writes; format 1 (no credential proof, no holders) is still read.
FORMAT = 2
#: Names of the files we keep: ``<product>_<readable slug>-<10 hex digits>`` plus a suffix.
_KEY_RE = re.compile(r'\A(?:sbc|sdm)_[A-Za-z0-9._-]{1,76}-[0-9a-f]{10}\Z')

OURS = 'ours'
OTHER_RUN = 'other run'
ORPHAN = 'orphan'
FREE = 'free'


class LeaseFormatError(ValueError):
    """A lease file whose content is not a lease of the shape this code writes."""


def _expect(condition, what):
    if not condition:
        raise LeaseFormatError(what)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional(value, check):
    return value is None or check(value)


def _is_text(value, limit=1024):
    return isinstance(value, str) and 0 < len(value) <= limit


class Run:
    """One Ansible run: the ``ansible-playbook`` (or ``ansible``) process, told apart from a later one by its start time."""

    def __init__(self, host, pid, start=None, job=None, run_id=None):
        self.host = host
        self.pid = int(pid)
        self.start = start
        self.job = job
        self.run_id = run_id

    @classmethod
    def current(cls):
        """The run this process belongs to, from the processes themselves (never from the environment).

        Worker processes are forks of the ``ansible-playbook`` process, so the run is the topmost of our
        consecutive ancestors whose command is an Ansible CLI. In the process that called :func:`prepare_run_key`
        and in the processes it forked (same memory, same command line, so the same ancestors) that answer is kept.
        """
        made = _run_of_process.get('made')
        if made is not None and made[0] in (os.getpid(), os.getppid()):
            return made[1]
        job = os.environ.get('JOB_ID') or os.environ.get('AWX_JOB_ID') or None
        pid = os.getpid()
        top = pid if _proc.is_ansible_command(pid) else None
        candidate = pid
        for _dummy in range(8):
            parent = _proc.parent(candidate)
            if not parent or parent <= 1 or not _proc.is_ansible_command(parent):
                break
            top = candidate = parent
        if top is None:
            top = os.getppid() if _proc.parent(os.getpid()) is None else pid
        return cls(socket.gethostname(), top, _proc.start_time(top), job)

    @classmethod
    def of_delegated_module(cls):
        """The run a module executed on another host belongs to: the action plugin says so in ``ORACLE_COMMS_RUN_ID``.

        Only the module's ``main()`` asks this; a task that runs in-process never trusts the environment, which a
        task's ``environment:`` could set.
        """
        explicit = os.environ.get(RUN_ID_ENV)
        if not explicit:
            return cls.current()
        return cls.from_id(explicit, job=os.environ.get('JOB_ID') or os.environ.get('AWX_JOB_ID') or None)

    @classmethod
    def from_id(cls, run_id, job=None):
        """Parse ``host:pid:start``, as :meth:`ident` writes it; OracleError(lease_error) for anything else."""
        try:
            host, pid, start = run_id.rsplit(':', 2)
            return cls(host, int(pid), int(start) if start not in ('', 'None') else None, job, run_id)
        except (ValueError, AttributeError):
            raise OracleError('%s is not of the form host:pid:start; unset it' % RUN_ID_ENV, REASON_LEASE)

    @property
    def ident(self):
        return '%s:%d:%s' % (self.host, self.pid, self.start)

    def same(self, other):
        return other is not None and self.ident == other.ident

    def alive(self):
        """True while the run's process exists; None when that cannot be checked from here (another host)."""
        if self.host != socket.gethostname():
            return None
        if self.start is not None and os.path.isdir('/proc'):
            return _proc.start_time(self.pid, living=True) == self.start
        try:
            os.kill(self.pid, 0)
        except OSError as exc:
            return exc.errno == errno.EPERM
        return True

    def describe(self):
        text = 'ansible run pid %d on %s' % (self.pid, self.host)
        return text + (' (AWX job %s)' % self.job if self.job else '')

    def to_dict(self):
        return {'host': self.host, 'pid': self.pid, 'start': self.start, 'job': self.job}

    @classmethod
    def from_dict(cls, data):
        _expect(isinstance(data, dict), 'run is not a mapping')
        _expect(_is_text(data.get('host'), 255), 'run host is not a name')
        _expect(_is_int(data.get('pid')) and data['pid'] > 0, 'run pid is not a positive integer')
        _expect(_optional(data.get('start'), _is_int), 'run start is not an integer')
        _expect(_optional(data.get('job'), lambda value: _is_int(value) or _is_text(value, 128)), 'run job is not an id')
        return cls(data['host'], data['pid'], data.get('start'), data.get('job'))


# -- who took a lock ------------------------------------------------------------------------------------

#: scrypt at N=2**10, r=8 (1 MiB of memory) costs about 1.7 ms here: paid once when a lock is taken and once
#: when a task of another run (or the keeper) uses a lease, and it makes guessing the password from a lease slow
#: (docs/decisions.md).
_SCRYPT = {'n': 2 ** 10, 'r': 8, 'p': 1}
_PBKDF2_ROUNDS = 20000
_proof_cache = {}
#: A random key of this run, made in ansible-playbook's own process before it forks the workers of its tasks
#: (prepare_run_key), so every task of the run has it and no other process does. A proof carries a MAC of the
#: credentials under it: a later task of the same run checks that in microseconds instead of paying scrypt.
_run_key = {}


#: {'made': (pid, Run)}: the run as the process ``pid`` found it in prepare_run_key, for it and the workers it forks
_run_of_process = {}


def prepare_run_key(run):
    """In the run's own process (``ansible-playbook``, before it forks its workers): make the key of ``run`` and keep
    ``run`` as this process's run. Elsewhere nothing happens; idempotent."""
    if run.pid != os.getpid():
        return
    if run.ident not in _run_key:
        _run_key.clear()
        _run_key[run.ident] = os.urandom(32)
    _run_of_process['made'] = (os.getpid(), run)


def _run_mac(run_ident, salt, username, password):
    key = _run_key.get(run_ident)
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


def _valid_proof(proof):
    if not isinstance(proof, dict) or not _is_text(proof.get('salt'), 64) or not _is_text(proof.get('hash'), 128):
        return False
    if not _optional(proof.get('run_mac'), lambda value: _is_text(value, 64)):
        return False
    try:
        base64.b64decode(proof['salt'], validate=True)
        base64.b64decode(proof['hash'], validate=True)
    except (ValueError, TypeError):
        return False
    if proof.get('alg') == 'scrypt':
        return all(_is_int(proof.get(name)) for name in ('n', 'r', 'p')) and proof == dict(proof, **_SCRYPT)
    if proof.get('alg') == 'pbkdf2-sha256':
        return proof.get('rounds') == _PBKDF2_ROUNDS
    return False


class Lease:
    """What we hold: product, endpoint, resource, the user and proof of the credentials that took it, the run and
    which of its inventory hosts hold it, when, and for the SBC the token and its expiry."""

    FIELDS = ('product', 'endpoint', 'resource', 'user', 'taken_at', 'token', 'issued_at', 'expires_at', 'api_version',
              'proof', 'holders', 'changed_under_lock')

    def __init__(self, product, endpoint, resource, user, run, taken_at=None, token=None, issued_at=None, expires_at=None,
                 api_version=None, proof=None, holders=None, changed_under_lock=False):
        self.product = product
        self.endpoint = endpoint
        self.resource = resource
        self.user = user
        self.run = run
        self.taken_at = taken_at if taken_at is not None else time.time()
        self.token = token
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.api_version = api_version
        self.proof = proof
        self.holders = list(holders or [])
        #: a config_element task of this run changed the SBC configuration under this lock since the last commit
        self.changed_under_lock = bool(changed_under_lock)

    @property
    def key(self):
        return lease_key(self.product, self.endpoint, self.resource)

    def expired(self, now=None):
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at

    def taken_with(self, username, password):
        """True/False: were these the credentials that took the lock? None when the lease records no proof (format 1)."""
        if username != self.user:
            return False
        if self.proof is None:
            return None
        return proof_matches(self.proof, username, password, self.run)

    def to_dict(self):
        data = dict((name, getattr(self, name)) for name in self.FIELDS)
        data['run'] = self.run.to_dict()
        data['format'] = FORMAT
        return data

    @classmethod
    def from_dict(cls, data):
        """The lease ``data`` describes; LeaseFormatError for anything that is not exactly a lease."""
        _expect(isinstance(data, dict), 'not a mapping')
        _expect(data.get('format') in (1, FORMAT), 'unknown format %r' % (data.get('format'),))
        _expect(data.get('product') in ('sbc', 'sdm'), 'unknown product')
        for name in ('endpoint', 'resource', 'user'):
            _expect(_is_text(data.get(name)), '%s is not text' % name)
        _expect(_is_number(data.get('taken_at')), 'taken_at is not a time')
        for name in ('issued_at', 'expires_at'):
            _expect(_optional(data.get(name), _is_number), '%s is not a time' % name)
        _expect(_optional(data.get('token'), lambda value: _is_text(value, 8192)), 'token is not text')
        _expect(_optional(data.get('api_version'), lambda value: _is_text(value, 16)), 'api_version is not text')
        # an SBC lease names its token, except in a shared record that keeps it only on the controller that took it
        _expect(data['product'] != 'sbc' or ((data.get('token') or data.get('token_withheld') is True) and data.get('expires_at') is not None),
                'an SBC lease without its token')
        _expect(_optional(data.get('proof'), _valid_proof), 'proof is not one we make')
        holders = data.get('holders', [])
        # '' is the one host of a run whose inventory host name is not known (a module run outside a play)
        _expect(isinstance(holders, list) and len(holders) <= 10000 and all(isinstance(name, str) and len(name) <= 255 for name in holders),
                'holders is not a list of host names')
        _expect(_optional(data.get('changed_under_lock'), lambda value: isinstance(value, bool)), 'changed_under_lock is not a boolean')
        kwargs = dict((name, data.get(name)) for name in cls.FIELDS)
        return cls(run=Run.from_dict(data.get('run')), **kwargs)


def scope_key(run_ident, product, endpoint, user):
    """The name of the keeper of one run's locks on one endpoint as one user (its pid file is ``<key>.pid``)."""
    raw = '|'.join((run_ident, product, endpoint, user or ''))
    return 'keeper-%s' % hashlib.sha256(raw.encode('utf-8')).hexdigest()[:16]


def lease_key(product, endpoint, resource):
    """A file name that a person can read and that no two locks share (``endpoint`` is the canonical host:port)."""
    raw = '%s|%s|%s' % (product, endpoint, resource)
    slug = re.sub(r'[^A-Za-z0-9._-]+', '_', '%s_%s' % (endpoint, resource))[:76]
    return '%s_%s-%s' % (product, slug, hashlib.sha256(raw.encode('utf-8')).hexdigest()[:10])


def is_lease_key(name):
    """True when ``name`` is of the form :func:`lease_key` gives (and so can name nothing outside the directory)."""
    return bool(_KEY_RE.match(name or ''))


#: How often a waiter looks for a change of a lease it waits behind when the record offers no watch (a stat, no request).
POLL_FOR_CHANGE = 0.02


class LeaseRecord:
    """The interface every lease backend offers: where the leases of the runs sharing it are kept.

    ``guard(key)`` serialises decisions about one lock among every run that shares the record; inside it,
    ``read``/``write``/``delete`` are atomic. ``signature(key)`` changes whenever the lease is written or removed,
    and ``wait_for_change`` returns as soon as it has (or at the timeout). ``run_alive(lease)`` says whether the
    run that holds a lease is still there (None: it cannot be told). ``path(key)`` names the lease for people.
    The file backend is :class:`LeaseStore`; the tests in tests/unit/plugins/module_utils/test_lease_record.py
    are written against this interface so that every backend passes the same suite.
    """

    #: True where every controller that names the record shares it (etcd); False for one controller's directory
    shared_between_controllers = False

    def guard(self, key):
        """A context manager holding the exclusive right to decide about ``key``."""
        raise NotImplementedError

    def read(self, key):
        """The Lease for ``key``, or None."""
        raise NotImplementedError

    def write(self, lease):
        """Store ``lease`` under its key, replacing what was there, atomically."""
        raise NotImplementedError

    def delete(self, key):
        """Remove the lease for ``key`` (nothing happens when there is none)."""
        raise NotImplementedError

    def signature(self, key):
        """A value that changes whenever the lease for ``key`` is written or removed (None while there is none)."""
        raise NotImplementedError

    def path(self, key):
        """Where the lease for ``key`` is kept, for messages and results."""
        raise NotImplementedError

    def run_alive(self, lease):
        """True/False when it can be told whether the run that holds ``lease`` is still there, else None."""
        return lease.run.alive()

    def close(self):
        """Let go of what the record holds open."""

    def liveness_lapsed(self, lease):
        """True when ``lease`` (one of this run's) was taken before this run counted as gone for a while in a shared
        record, so another run may have taken the lock over meanwhile. Here a run is alive while its process is: never."""
        return False

    def wait_for_change(self, key, signature, timeout, clock=time.monotonic, sleep=time.sleep):
        """Return when ``signature(key)`` differs from ``signature`` or after ``timeout`` seconds; True if it changed.

        This default looks every POLL_FOR_CHANGE seconds; a backend that can watch overrides it.
        """
        until = clock() + timeout
        while clock() < until:
            sleep(POLL_FOR_CHANGE)
            if self.signature(key) != signature:
                return True
        return False

    def classify(self, lease, run):
        """How ``lease`` stands for ``run``: FREE (no lease), OURS, OTHER_RUN (alive or unknown) or ORPHAN (its run is gone).

        Whose credentials took the lock is the lock logic's question (:meth:`Lease.taken_with`).
        """
        if lease is None:
            return FREE
        if run.same(lease.run):
            return OURS
        return ORPHAN if self.run_alive(lease) is False else OTHER_RUN
