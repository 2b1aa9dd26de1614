# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""A keeper's pid file: its name, and the exclusive ``flock`` that says the keeper is alive."""

from __future__ import annotations

import errno
import fcntl
import os

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError


def pid_name(key):
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
    """True while a keeper holds ``key``."""
    try:
        fd = store.open_file(pid_name(key), os.O_RDONLY)
    except (OSError, OracleError):
        return False
    try:
        return not lock_nb(fd)
    finally:
        os.close(fd)  # closing drops the lock this probe may have taken
