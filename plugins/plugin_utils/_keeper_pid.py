# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""A keeper's pid file: its name, the exclusive ``flock`` that says the keeper is alive, and the guard around both.

The pid file is one of the controller's own files (``record.local``) whatever the lease backend.
"""

from __future__ import annotations

import errno
import fcntl
import os

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError

#: The guard (``record.local.guard``) that starters and retiring keepers share.
GUARD = 'keepers'


def pid_name(key):
    """The name of the pid file of keeper ``key`` in the lease directory."""
    return key + '.pid'


def lock_nb(fd):
    """Try to take the keeper lock on ``fd``; False if another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (IOError, OSError) as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def keeper_alive(store, key):
    """True while a keeper holds ``key`` (``store``: the lease record whose ``local`` files hold its pid file)."""
    try:
        fd = store.local.open_file(pid_name(key), os.O_RDONLY)
    except (OSError, OracleError):
        return False
    try:
        return not lock_nb(fd)
    finally:
        os.close(fd)  # closing drops the lock this probe may have taken
