# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``LeaseStore``, the file backend of the lease record (_lease_record.LeaseRecord): one 0600 JSON file per held lock.

The leases live in the lease directory beside this controller's own files (``local``, a LocalFiles, through which
every file operation goes): a directory that must be the user's own and not writable by others, no symbolic link
followed, every file we create created exclusively, and a file that is not a lease of the right shape set aside.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import json
import os
import stat
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LEASE, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import MAX_LEASE_BYTES, Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import is_lease_key, scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_record import LeaseRecord
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._local_files import LocalFiles

#: A keeper of another host's run that has not touched its pid file for this long is gone (its container
#: was torn down): the run's leases are orphans. Keepers touch it every second.
HEARTBEAT_STALE = 15.0
_SUFFIX = '.json'


class LeaseStore(LeaseRecord):
    """The file backend of the lease record: the leases in the lease directory, read and written through ``local``."""

    def __init__(self, directory=None, warn=None, create=True):
        """Open the lease directory (_local_files.LocalFiles: ``directory``, else ``ORACLE_COMMS_LEASE_DIR``, else the
        default; with ``create`` a missing one is made); OracleError(lease_error) for one that cannot be trusted.
        ``warn`` receives one line per lease file set aside."""
        self._warn = warn or (lambda message: None)
        self._said_shared = False
        self.local = LocalFiles(directory, create=create)
        self.directory = self.local.directory

    def close(self):
        self.local.close()

    # -- leases ---------------------------------------------------------------------------------------

    def path(self, key):
        """Where the lease for ``key`` is kept."""
        return self.local.path(key + _SUFFIX)

    def guard(self, key):
        """Hold an exclusive file lock for ``key`` while deciding and acting on that lock."""
        return self.local.guard(key)

    def read(self, key, set_aside=True):
        """The lease for ``key``, or None.

        A file that is not a lease of this key (any content, a link, another owner, too large) is set aside as
        ``<name>.corrupt-<time>`` with a warning and treated as absent; without ``set_aside`` it is an
        OracleError(lease_error) instead and nothing is renamed.
        """
        name = key + _SUFFIX
        try:
            fd = self.local.open_file(name, os.O_RDONLY)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            if exc.errno != errno.ELOOP:
                raise OracleError('cannot read lease %s (%s)' % (self.path(key), exc.strerror or exc), REASON_LEASE)
            return self._set_aside(name, 'it is a symbolic link', set_aside)
        except OracleError:
            return self._set_aside(name, 'it is not a regular file of this user', set_aside)
        try:
            with os.fdopen(fd, 'rb') as handle:
                raw = handle.read(MAX_LEASE_BYTES + 1)
        except (IOError, OSError) as exc:
            raise OracleError('cannot read lease %s (%s)' % (self.path(key), exc.strerror or exc), REASON_LEASE)
        try:
            return Lease.from_stored(raw, key)
        except (ValueError, TypeError, RecursionError) as exc:  # LeaseFormatError and JSON/UTF-8 errors are ValueErrors
            return self._set_aside(name, str(exc)[:120] or type(exc).__name__, set_aside)

    def _set_aside(self, name, why, set_aside):
        if not set_aside:
            raise OracleError('lease %s is not a valid lease (%s); remove it' % (self.local.path(name), why), REASON_LEASE)
        target = '%s.corrupt-%d' % (name, int(time.time()))
        try:
            self.local.move(name, target)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise OracleError('lease %s is not valid (%s) and cannot be set aside (%s); remove it'
                              % (self.local.path(name), why, exc.strerror or exc), REASON_LEASE)
        self._warn('lease file %s was not a valid lease (%s); set aside as %s' % (self.local.path(name), why, target))
        return None

    def write(self, lease):
        """Write atomically: a new 0600 file, created exclusively, renamed over the lease."""
        name = lease.key + _SUFFIX
        tmp = '%s.tmp-%d-%s' % (name, os.getpid(), base64.b16encode(os.urandom(4)).decode('ascii').lower())
        try:
            fd = self.local.open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            try:
                with os.fdopen(fd, 'w') as handle:
                    json.dump(lease.to_dict(), handle, sort_keys=True)
                self.local.move(tmp, name)
            except BaseException:
                self.local.unlink(tmp)
                raise
        except (IOError, OSError) as exc:
            raise OracleError('cannot write lease %s (%s)' % (self.path(lease.key), exc.strerror or exc), REASON_LEASE)

    def delete(self, key):
        self.local.unlink(key + _SUFFIX)

    def keys(self):
        """The keys of the lease files in the directory."""
        return [name[:-len(_SUFFIX)] for name in self.local.names() if name.endswith(_SUFFIX) and is_lease_key(name[:-len(_SUFFIX)])]

    def signature(self, key):
        """Something that changes whenever the lease for ``key`` is written or removed (for cheap local waiting)."""
        st = self.local.stat(key + _SUFFIX)
        return None if st is None else (st.st_ino, st.st_mtime_ns)

    # -- runs of other hosts (a lease directory shared between controllers, deprecated) ----------------

    def keeper_alive(self, lease):
        """For a lease of another host's run: True/False when its keeper's heartbeat says, None when it has no keeper."""
        st = self.local.stat(scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user) + '.pid')
        if st is None or not stat.S_ISREG(st.st_mode):
            return None
        return self.local.now() - st.st_mtime < HEARTBEAT_STALE

    def run_alive(self, lease):
        """A run of this host is alive while its process is; a run of another host (another AWX container on a shared
        lease directory) while its keeper's heartbeat is fresh. Without either, None: it counts as alive.

        Sharing a lease directory between hosts is deprecated (file times and flock over a shared volume are not
        to be trusted): the first lease of another host a store sees says so, once.
        """
        alive = lease.run.alive()
        if alive is not None:
            return alive
        if not self._said_shared:
            self._said_shared = True
            self._warn('lease directory %s holds a lease of a run on another host (%s): sharing a lease directory between '
                       'controllers is deprecated; use lease_backend: etcd (see the AWX guide)' % (self.directory, lease.run.host))
        return self.keeper_alive(lease)
