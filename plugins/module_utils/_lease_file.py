# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The file backend of the lease record (``_lease.LeaseRecord``): one 0600 JSON file per held lock.

Nothing in the lease directory is trusted blindly: the directory must be the user's own and not writable by
others, no symbolic link is followed, every file we create is created exclusively, and a file that is not a
lease of the right shape is set aside.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import contextlib
import errno
import fcntl
import json
import os
import stat
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LEASE, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import (
    HEARTBEAT_STALE,
    Lease,
    LeaseRecord,
    _expect,
    scope_key,
)

DEFAULT_LEASE_DIR = '~/.ansible/oracle_comms/leases'
LEASE_DIR_ENV = 'ORACLE_COMMS_LEASE_DIR'
#: A lease is a few hundred bytes; anything much larger is not one of ours.
MAX_LEASE_BYTES = 64 * 1024

_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_DIRECTORY = getattr(os, 'O_DIRECTORY', 0)


class LeaseStore(LeaseRecord):
    """The file backend of the lease record: the lease directory, opened once and trusted only if it is ours.

    Every file operation goes through the directory's descriptor and never follows a symbolic link, so
    neither a swapped directory nor a planted link can make us read, write or create a file elsewhere.
    """

    def __init__(self, directory=None, warn=None, create=True):
        """Open the lease directory: ``directory``, else ``ORACLE_COMMS_LEASE_DIR``, else the default.

        With ``create``, a missing directory is made (0700). An existing one is used only if it is a real
        directory (not a symbolic link) owned by the user running the task and not writable by group or
        others; its permissions are never changed. Anything else is OracleError(lease_error) saying what to
        do. ``warn`` receives one line per lease file set aside.
        """
        directory = directory or os.environ.get(LEASE_DIR_ENV) or DEFAULT_LEASE_DIR
        self.directory = os.path.abspath(os.path.expanduser(directory))
        self._warn = warn or (lambda message: None)
        self._fd = None
        if create:
            try:
                os.makedirs(os.path.dirname(self.directory), 0o700, exist_ok=True)
                os.mkdir(self.directory, 0o700)
            except OSError as exc:
                if exc.errno != errno.EEXIST:  # several forks may create it at once
                    raise self._error('cannot create it (%s)' % (exc.strerror or exc))
        try:
            self._fd = os.open(self.directory, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and os.path.islink(self.directory)):
                raise self._error('it is a symbolic link; give the real directory instead')
            raise self._error('cannot open it (%s)' % (exc.strerror or exc))
        info = os.fstat(self._fd)
        problem = None
        if not stat.S_ISDIR(info.st_mode):
            problem = 'it is not a directory'
        elif info.st_uid != os.geteuid():
            problem = 'it belongs to uid %d, not to the user running this task (uid %d)' % (info.st_uid, os.geteuid())
        elif info.st_mode & 0o022:
            problem = ('others can write to it (mode %04o); use a directory of your own with mode 0700 (it is not changed for you)'
                       % stat.S_IMODE(info.st_mode))
        if problem:
            self.close()
            raise self._error(problem)

    def _error(self, problem):
        return OracleError('lease directory %s cannot be used: %s; set lease_dir (or %s) to a directory of your own, '
                           'for example %s' % (self.directory, problem, LEASE_DIR_ENV, DEFAULT_LEASE_DIR), REASON_LEASE)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    # -- files, never through a link ----------------------------------------------------------------

    def open_file(self, name, flags, mode=0o600):
        """A descriptor for ``name`` in the directory: no link followed, and only a regular file of ours.

        Raises OSError as ``os.open`` does (ENOENT, EEXIST with ``O_EXCL``, ELOOP for a link), and
        OracleError(lease_error) for a file that is not a regular file of this user.
        """
        fd = os.open(name, flags | _NOFOLLOW | _CLOEXEC, mode, dir_fd=self._fd)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            os.close(fd)
            raise OracleError('%s in lease directory %s is not a regular file of this user; remove it'
                              % (name, self.directory), REASON_LEASE)
        return fd

    def touch(self, name):
        """Create ``name`` if absent (never through a link); True when it exists afterwards."""
        try:
            os.close(self.open_file(name, os.O_WRONLY | os.O_CREAT))
            return True
        except (OSError, OracleError):
            return False

    def stat(self, name):
        """``lstat`` of ``name`` in the directory, or None."""
        try:
            return os.stat(name, dir_fd=self._fd, follow_symlinks=False)
        except OSError:
            return None

    def exists(self, name):
        return self.stat(name) is not None

    def unlink(self, name):
        """Remove ``name`` (a link itself, never what it points at); False when it was not there."""
        try:
            os.unlink(name, dir_fd=self._fd)
            return True
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return False
            raise OracleError('cannot remove %s from lease directory %s (%s)' % (name, self.directory, exc.strerror or exc), REASON_LEASE)

    def rename(self, name, new_name):
        """Rename ``name`` to ``new_name`` in the directory (links themselves, never what they point at)."""
        try:
            os.rename(name, new_name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except OSError as exc:
            raise OracleError('cannot rename %s in lease directory %s (%s)' % (name, self.directory, exc.strerror or exc), REASON_LEASE)

    def names(self):
        """The names in the directory (empty when it cannot be listed)."""
        try:
            return os.listdir(self._fd)
        except OSError:
            return []

    def gone(self):
        """True once the directory has been removed (a store keeps the directory it opened)."""
        try:
            return os.fstat(self._fd).st_nlink == 0
        except OSError:
            return True

    def _path(self, key, suffix='.json'):
        return os.path.join(self.directory, key + suffix)

    def path(self, key):
        """Where the lease for ``key`` is kept."""
        return self._path(key)

    # -- leases ---------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self, key):
        """Hold an exclusive file lock for ``key`` while deciding and acting on that lock."""
        try:
            fd = self.open_file(key + '.flock', os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise OracleError('cannot lock %s in lease directory %s (%s)' % (key, self.directory, exc.strerror or exc), REASON_LEASE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def read(self, key, set_aside=True):
        """The lease for ``key``, or None.

        A file that is not a lease of this key (any content, a link, another owner, too large) is set aside as
        ``<name>.corrupt-<time>`` with a warning and treated as absent; without ``set_aside`` it is an
        OracleError(lease_error) instead and nothing is renamed.
        """
        name = key + '.json'
        try:
            fd = self.open_file(name, os.O_RDONLY)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            if exc.errno != errno.ELOOP:
                raise OracleError('cannot read lease %s (%s)' % (self._path(key), exc.strerror or exc), REASON_LEASE)
            return self._set_aside(name, 'it is a symbolic link', set_aside)
        except OracleError:
            return self._set_aside(name, 'it is not a regular file of this user', set_aside)
        try:
            with os.fdopen(fd, 'rb') as handle:
                raw = handle.read(MAX_LEASE_BYTES + 1)
        except (IOError, OSError) as exc:
            raise OracleError('cannot read lease %s (%s)' % (self._path(key), exc.strerror or exc), REASON_LEASE)
        try:
            _expect(len(raw) <= MAX_LEASE_BYTES, 'larger than %d bytes' % MAX_LEASE_BYTES)
            lease = Lease.from_dict(json.loads(raw.decode('utf-8')))
            _expect(lease.key == key, 'it describes another lock (%s %s)' % (lease.endpoint, lease.resource))
        except (ValueError, TypeError, RecursionError) as exc:  # LeaseFormatError and JSON/UTF-8 errors are ValueErrors
            return self._set_aside(name, str(exc)[:120] or type(exc).__name__, set_aside)
        return lease

    def _set_aside(self, name, why, set_aside):
        if not set_aside:
            raise OracleError('lease %s is not a valid lease (%s); remove it' % (os.path.join(self.directory, name), why), REASON_LEASE)
        target = '%s.corrupt-%d' % (name, int(time.time()))
        try:
            os.rename(name, target, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise OracleError('lease %s is not valid (%s) and cannot be set aside (%s); remove it'
                              % (os.path.join(self.directory, name), why, exc.strerror or exc), REASON_LEASE)
        self._warn('lease file %s was not a valid lease (%s); set aside as %s' % (os.path.join(self.directory, name), why, target))
        return None

    def write(self, lease):
        """Write atomically: a new 0600 file, created exclusively, renamed over the lease."""
        name = lease.key + '.json'
        tmp = '%s.tmp-%d-%s' % (name, os.getpid(), base64.b16encode(os.urandom(4)).decode('ascii').lower())
        try:
            fd = self.open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            try:
                with os.fdopen(fd, 'w') as handle:
                    json.dump(lease.to_dict(), handle, sort_keys=True)
                os.rename(tmp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
            except BaseException:
                self.unlink(tmp)
                raise
        except (IOError, OSError) as exc:
            raise OracleError('cannot write lease %s (%s)' % (self._path(lease.key), exc.strerror or exc), REASON_LEASE)

    def delete(self, key):
        self.unlink(key + '.json')

    def signature(self, key):
        """Something that changes whenever the lease for ``key`` is written or removed (for cheap local waiting)."""
        st = self.stat(key + '.json')
        return None if st is None else (st.st_ino, st.st_mtime_ns)

    def now(self):
        """The time as the lease directory's file system sees it (a shared volume may keep another clock than this host)."""
        probe = '.now-%d-%s' % (os.getpid(), base64.b16encode(os.urandom(4)).decode('ascii').lower())
        try:
            fd = self.open_file(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except (OSError, OracleError):
            return time.time()
        try:
            return os.fstat(fd).st_mtime
        finally:
            os.close(fd)
            try:
                os.unlink(probe, dir_fd=self._fd)
            except OSError:
                pass

    def keeper_alive(self, lease):
        """For a lease of another host's run: True/False when its keeper's heartbeat says, None when it has no keeper."""
        st = self.stat(scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user) + '.pid')
        if st is None or not stat.S_ISREG(st.st_mode):
            return None
        return self.now() - st.st_mtime < HEARTBEAT_STALE

    def run_alive(self, lease):
        """A run of this host is alive while its process is; a run of another host (another AWX container on a shared
        lease directory) while its keeper's heartbeat is fresh. Without either, None: it counts as alive.

        Sharing a lease directory between hosts is deprecated (file times and flock over a shared volume are not
        to be trusted): the first lease of another host a store sees says so, once.
        """
        alive = lease.run.alive()
        if alive is not None:
            return alive
        if not getattr(self, '_said_shared', False):
            self._said_shared = True
            self._warn('lease directory %s holds a lease of a run on another host (%s): sharing a lease directory between '
                       'controllers is deprecated; use lease_backend: etcd (see the AWX guide)' % (self.directory, lease.run.host))
        return self.keeper_alive(lease)
