# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The lease record: what this controller holds, for which run, with which token.

Neither Oracle lock can be read back, so the client remembers what it took. One JSON file per held
lock, 0600 in a 0700 directory, written atomically under a per-lock file lock so that forks and
concurrent runs on one controller see one truth.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import hashlib
import json
import os
import re
import socket
import stat
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - Windows controllers are not supported by Ansible anyway
    HAS_FCNTL = False

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import REASON_LEASE, OracleError

DEFAULT_LEASE_DIR = '~/.ansible/oracle_comms/leases'
LEASE_DIR_ENV = 'ORACLE_COMMS_LEASE_DIR'
#: Lets the action plugin tell a module executed on another host which run it belongs to.
RUN_ID_ENV = 'ORACLE_COMMS_RUN_ID'
_ANSIBLE_COMMANDS = ('ansible-playbook', 'ansible', 'ansible-console', 'ansible-pull')

#: A keeper of another host's run that has not touched its pid file for this long is gone (its container
#: was torn down): the run's leases are orphans. Keepers touch it every second.
HEARTBEAT_STALE = 15.0

OURS = 'ours'
OTHER_RUN = 'other run'
ORPHAN = 'orphan'
FREE = 'free'


def _proc_start_time(pid, living=False):
    """Start time of ``pid`` in clock ticks since boot (Linux), or None where /proc cannot tell.

    With ``living``, a zombie (dead, not yet reaped by its parent) counts as gone: None.
    """
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        if living and fields[0] in ('Z', 'X'):
            return None
        return int(fields[19])
    except (IOError, OSError, IndexError, ValueError):
        return None


def _proc_parent(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return int(handle.read().rsplit(')', 1)[1].split()[1])
    except (IOError, OSError, IndexError, ValueError):
        return None


def _is_ansible_command(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')[:3]
    except (IOError, OSError):
        return False
    names = [os.path.basename(arg.decode('utf-8', 'replace')) for arg in argv if arg]
    return any(name in _ANSIBLE_COMMANDS for name in names)


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
        """The run this process belongs to.

        Worker processes are forks of the ``ansible-playbook`` process, so the run is the topmost of our
        consecutive ancestors whose command is an Ansible CLI. A module executed on another host is
        told by the action plugin, through ``ORACLE_COMMS_RUN_ID``.
        """
        job = os.environ.get('JOB_ID') or os.environ.get('AWX_JOB_ID') or None
        explicit = os.environ.get(RUN_ID_ENV)
        if explicit:
            return cls.from_id(explicit, job=job)
        pid = os.getpid()
        top = pid if _is_ansible_command(pid) else None
        candidate = pid
        for _dummy in range(8):
            parent = _proc_parent(candidate)
            if not parent or parent <= 1 or not _is_ansible_command(parent):
                break
            top = candidate = parent
        if top is None:
            top = os.getppid() if _proc_parent(os.getpid()) is None else pid
        return cls(socket.gethostname(), top, _proc_start_time(top), job)

    @classmethod
    def from_id(cls, run_id, job=None):
        """Parse ``host:pid:start``, as :meth:`ident` writes it."""
        host, pid, start = run_id.rsplit(':', 2)
        return cls(host, int(pid), int(start) if start not in ('', 'None') else None, job, run_id)

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
            return _proc_start_time(self.pid, living=True) == self.start
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
        return cls(data['host'], data['pid'], data.get('start'), data.get('job'))


class Lease:
    """What we hold: product, endpoint, resource, user, run, when, and for the SBC the token and its expiry."""

    FIELDS = ('product', 'endpoint', 'resource', 'user', 'taken_at', 'token', 'issued_at', 'expires_at', 'api_version')

    def __init__(self, product, endpoint, resource, user, run, taken_at=None, token=None, issued_at=None, expires_at=None,
                 api_version=None):
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

    @property
    def key(self):
        return lease_key(self.product, self.endpoint, self.resource)

    def expired(self, now=None):
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at

    def to_dict(self):
        data = dict((name, getattr(self, name)) for name in self.FIELDS)
        data['run'] = self.run.to_dict()
        data['format'] = 1
        return data

    @classmethod
    def from_dict(cls, data):
        kwargs = dict((name, data.get(name)) for name in cls.FIELDS)
        return cls(run=Run.from_dict(data['run']), **kwargs)


def scope_key(run_ident, product, endpoint, user):
    """The name of the keeper of one run's locks on one endpoint as one user (its pid file is ``<key>.pid``)."""
    raw = '|'.join((run_ident, product, endpoint, user or ''))
    return 'keeper-%s' % hashlib.sha256(raw.encode('utf-8')).hexdigest()[:16]


def lease_key(product, endpoint, resource):
    """A file name that a person can read and that no two locks share."""
    raw = '%s|%s|%s' % (product, endpoint, resource)
    slug = re.sub(r'[^A-Za-z0-9._-]+', '_', '%s_%s_%s' % (product, endpoint, resource))[:80]
    return '%s-%s' % (slug, hashlib.sha256(raw.encode('utf-8')).hexdigest()[:10])


class LeaseStore:
    """The lease directory. Reads and writes are atomic; ``guard`` serialises decisions about one lock."""

    def __init__(self, directory=None):
        directory = directory or os.environ.get(LEASE_DIR_ENV) or DEFAULT_LEASE_DIR
        self.directory = os.path.abspath(os.path.expanduser(directory))
        try:
            try:
                os.makedirs(self.directory, 0o700)
            except OSError as exc:
                if exc.errno != errno.EEXIST:  # several forks may create it at once
                    raise
            mode = stat.S_IMODE(os.stat(self.directory).st_mode)
            if mode & 0o077:
                os.chmod(self.directory, 0o700)
            probe = os.path.join(self.directory, '.write-test-%d' % os.getpid())
            with open(probe, 'w'):
                pass
            os.unlink(probe)
        except (IOError, OSError) as exc:
            raise OracleError('cannot use lease directory %s (%s); set lease_dir (or %s) to a directory this user can write'
                              % (self.directory, exc.strerror or exc, LEASE_DIR_ENV), REASON_LEASE)

    def _path(self, key, suffix='.json'):
        return os.path.join(self.directory, key + suffix)

    def path(self, key):
        """Where the lease for ``key`` is kept."""
        return self._path(key)

    @contextlib.contextmanager
    def guard(self, key):
        """Hold an exclusive file lock for ``key`` while deciding and acting on that lock."""
        fd = os.open(self._path(key, '.flock'), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if HAS_FCNTL:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def read(self, key):
        """The lease for ``key``, or None. A file that cannot be parsed is set aside and treated as absent."""
        path = self._path(key)
        try:
            with open(path) as handle:
                return Lease.from_dict(json.load(handle))
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise OracleError('cannot read lease %s (%s)' % (path, exc.strerror or exc), REASON_LEASE)
        except (ValueError, KeyError, TypeError):
            os.rename(path, path + '.corrupt-%d' % int(time.time()))
            return None

    def write(self, lease):
        """Write atomically: a 0600 temporary file renamed over the lease."""
        path = self._path(lease.key)
        tmp = '%s.tmp-%d' % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, 'w') as handle:
                json.dump(lease.to_dict(), handle, sort_keys=True)
            os.rename(tmp, path)
        except (IOError, OSError) as exc:
            raise OracleError('cannot write lease %s (%s)' % (path, exc.strerror or exc), REASON_LEASE)

    def delete(self, key):
        try:
            os.unlink(self._path(key))
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise OracleError('cannot remove lease %s (%s)' % (self._path(key), exc.strerror or exc), REASON_LEASE)

    def signature(self, key):
        """Something that changes whenever the lease for ``key`` is written or removed (for cheap local waiting)."""
        try:
            st = os.stat(self._path(key))
            return (st.st_ino, st.st_mtime_ns if hasattr(st, 'st_mtime_ns') else st.st_mtime)
        except OSError:
            return None

    def now(self):
        """The time as the lease directory's file system sees it (a shared volume may keep another clock than this host)."""
        probe = self._path('.now-%d' % os.getpid(), '')
        try:
            with open(probe, 'w'):
                pass
            return os.stat(probe).st_mtime
        except (IOError, OSError):
            return time.time()
        finally:
            try:
                os.unlink(probe)
            except OSError:
                pass

    def keeper_alive(self, lease):
        """For a lease of another host's run: True/False when its keeper's heartbeat says, None when it has no keeper."""
        try:
            beat = os.stat(self._path(scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user), '.pid')).st_mtime
        except OSError:
            return None
        return self.now() - beat < HEARTBEAT_STALE

    def classify(self, lease, run):
        """How ``lease`` stands for ``run``: FREE (no lease), OURS, OTHER_RUN (alive or unknown) or ORPHAN (its run is gone).

        A run of this host is alive while its process is; a run of another host (another AWX container
        on a shared lease directory) while its keeper's heartbeat is fresh. Without either, it counts as alive.
        """
        if lease is None:
            return FREE
        if run.same(lease.run):
            return OURS
        alive = lease.run.alive()
        if alive is None:
            alive = self.keeper_alive(lease)
        if alive is False:
            return ORPHAN
        return OTHER_RUN
