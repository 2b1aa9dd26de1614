# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``LocalFiles``: this controller's own files in the lease directory (keeper pid files and log, refresh requests, markers).

Whatever backend keeps the leases, these stay on the controller: every backend reaches them as ``record.local``.
Nothing in the directory is trusted blindly: it must be the user's own and not writable by others, every file
operation goes through the directory's descriptor and never follows a symbolic link, and a file that is not a
regular file of this user is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import contextlib
import errno
import fcntl
import os
import stat
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LEASE, OracleError

DEFAULT_LEASE_DIR = '~/.ansible/oracle_comms/leases'
LEASE_DIR_ENV = 'ORACLE_COMMS_LEASE_DIR'

_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_DIRECTORY = getattr(os, 'O_DIRECTORY', 0)


class LocalFiles:
    """The lease directory, opened once and trusted only if it is ours; its files by name, never through a link.

    Neither a swapped directory nor a planted link can make us read, write or create a file elsewhere.
    """

    def __init__(self, directory=None, create=True):
        """Open the lease directory: ``directory``, else ``ORACLE_COMMS_LEASE_DIR``, else the default.

        With ``create``, a missing directory is made (0700). An existing one is used only if it is a real
        directory (not a symbolic link) owned by the user running the task and not writable by group or
        others; its permissions are never changed. Anything else is OracleError(lease_error) saying what to do.
        """
        directory = directory or os.environ.get(LEASE_DIR_ENV) or DEFAULT_LEASE_DIR
        self.directory = os.path.abspath(os.path.expanduser(directory))
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
        problem = self._problem(os.fstat(self._fd))
        if problem:
            self.close()
            raise self._error(problem)

    @staticmethod
    def _problem(info):
        """Why the directory ``info`` describes cannot be trusted, or None."""
        if not stat.S_ISDIR(info.st_mode):
            return 'it is not a directory'
        if info.st_uid != os.geteuid():
            return 'it belongs to uid %d, not to the user running this task (uid %d)' % (info.st_uid, os.geteuid())
        if info.st_mode & 0o022:
            return ('others can write to it (mode %04o); use a directory of your own with mode 0700 (it is not changed for you)'
                    % stat.S_IMODE(info.st_mode))
        return None

    def _error(self, problem):
        return OracleError('lease directory %s cannot be used: %s; set lease_dir (or %s) to a directory of your own, '
                           'for example %s' % (self.directory, problem, LEASE_DIR_ENV, DEFAULT_LEASE_DIR), REASON_LEASE)

    def close(self):
        """Close the directory's descriptor (idempotent)."""
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

    def path(self, name):
        """The path of ``name`` in the directory, for messages and for the ``lease`` lookup."""
        return os.path.join(self.directory, name)

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
        """True when ``name`` is in the directory (a link counts, and is not followed)."""
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

    def move(self, name, new_name):
        """Rename ``name`` to ``new_name`` in the directory (links themselves), raising OSError as ``os.rename`` does."""
        os.rename(name, new_name, src_dir_fd=self._fd, dst_dir_fd=self._fd)

    def rename(self, name, new_name):
        """Rename ``name`` to ``new_name`` in the directory (links themselves, never what they point at);
        OracleError(lease_error) when it cannot be done."""
        try:
            self.move(name, new_name)
        except OSError as exc:
            raise OracleError('cannot rename %s in lease directory %s (%s)' % (name, self.directory, exc.strerror or exc), REASON_LEASE)

    def names(self):
        """The names in the directory (empty when it cannot be listed)."""
        try:
            return os.listdir(self._fd)
        except OSError:
            return []

    def gone(self):
        """True once the directory has been removed (this object keeps the directory it opened)."""
        try:
            return os.fstat(self._fd).st_nlink == 0
        except OSError:
            return True

    def now(self):
        """The time as the directory's file system sees it (a shared volume may keep another clock than this host)."""
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

    @contextlib.contextmanager
    def guard(self, name):
        """Hold an exclusive ``flock`` on ``<name>.flock`` among the processes of this controller (OracleError(lease_error)
        when it cannot be opened)."""
        try:
            fd = self.open_file(name + '.flock', os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise OracleError('cannot lock %s in lease directory %s (%s)' % (name, self.directory, exc.strerror or exc), REASON_LEASE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock
