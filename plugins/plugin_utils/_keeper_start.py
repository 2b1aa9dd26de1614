# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils): it starts a process of its own, which module code must not.

"""Starting a keeper: at most one per run, product, endpoint and user, detached, its password on a pipe.

The process that starts it takes the keeper's ``flock`` on its pid file first, under the guard the starters and
retiring keepers share, and hands the locked descriptor down: two forks of one run cannot start two keepers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_pid import GUARD, lock_nb, pid_name

LOG = 'keeper.log'
#: keeper.log is rotated once it is larger than this (checked when a keeper starts): at most twice this on disk.
LOG_LIMIT = 1024 * 1024
#: The keeper's own module, run as ``python -m`` (plugin_utils/_keeper.py).
MODULE = 'ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper'


def _collections_root():
    # .../ansible_collections/oracle_comms/provisioning/plugins/plugin_utils/_keeper_start.py
    path = os.path.abspath(__file__)
    for _dummy in range(6):
        path = os.path.dirname(path)
    return path


def ensure_keeper(store, options, run, warn):
    """Make sure a keeper watches ``run``'s locks on the device of ``options`` (LockOptions); start one if there is none.

    With ``release_on_exit``, or for the SBC, whose tokens the keeper renews while the run lives whether or not it
    gives the lock back at its end; the action plugin calls this once a lock is held, so only on the controller.
    Never fails the task: the lock is held either way, so a keeper that cannot start is a warning (``warn``)
    that says what is lost.
    """
    if not options.release_on_exit and options.product != 'sbc':
        return
    if run.alive() is not True:
        # Only a run of this host whose process can be watched (its start time known) gets a keeper.
        warn('no keeper watches this run (its ansible-playbook process cannot be watched from here); if the run is '
             'interrupted, the next run recovers the lock from the lease record')
        return
    endpoint = options.endpoint.netloc
    key = scope_key(run.ident, options.product, endpoint, options.username)
    try:
        with store.local.guard(GUARD):
            fd = store.local.open_file(pid_name(key), os.O_RDWR | os.O_CREAT)
            try:
                if lock_nb(fd):
                    # the task's own validated parameters: the keeper makes its options with the same code
                    _spawn(store, key, fd, {'product': options.product, 'endpoint': endpoint, 'user': options.username,
                                            'run': run.ident, 'params': options.params})
            finally:
                os.close(fd)  # the keeper holds its own copy, and with it the lock
    except (IOError, OSError, ValueError, OracleError) as exc:
        warn('could not start the keeper that gives this lock back if the run is interrupted (%s); if it is, the next '
             'run recovers the lock from the lease record' % exc)


def _rotate_log(local):
    """Keep keeper.log bounded: past LOG_LIMIT bytes it becomes keeper.log.1 (replacing the one before)."""
    info = local.stat(LOG)
    if info is not None and info.st_size > LOG_LIMIT:
        local.rename(LOG, LOG + '.1')


def _spawn(store, key, fd, config):
    # Credentials reach the keeper on its stdin only: none from the run's environment (SBC_PASSWORD, ...).
    env = dict((name, value) for name, value in os.environ.items()
               if not any(word in name.upper() for word in ('PASSWORD', 'TOKEN', 'SECRET', 'COOKIE')))
    env['PYTHONPATH'] = os.pathsep.join([_collections_root()] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    _rotate_log(store.local)
    log = store.local.open_file(LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        # A session of its own: signals to the run's process group (Ctrl-C, ansible-runner's cancel, a
        # SIGKILL of the group) do not reach it. No inherited terminal or pipes: nothing waits on it.
        process = subprocess.Popen([sys.executable, '-m', MODULE, store.local.directory, key, str(fd)], stdin=subprocess.PIPE,
                                   stdout=log, stderr=log, pass_fds=(fd,), close_fds=True, start_new_session=True,
                                   cwd='/', env=env)
    finally:
        os.close(log)
    # The password travels on a pipe, never in argv, the environment or a file.
    process.stdin.write(json.dumps(config).encode('utf-8'))
    process.stdin.close()
