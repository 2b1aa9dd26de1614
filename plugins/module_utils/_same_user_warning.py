# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The once-per-controller warning that SDM locks belong to a user, and the marker files that remember it was said.

The only place in the lock core that reaches the lease record's controller-local files (``store.local``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError

#: the per-run markers older versions left behind
_OLD_MARKER = re.compile(r'\.warned-[0-9a-f]{16}\Z')


def marker_name(netloc, username):
    """The marker file of one SDM (``netloc``) and user: one per user and SDM, not per run."""
    return '.warned-same-user-%s' % hashlib.sha256(('%s|%s' % (netloc, username)).encode()).hexdigest()[:16]


def warn_same_user_once(store, netloc, username, warn):
    """Say once per controller, user and SDM that the SDM cannot keep apart two jobs of one user on other controllers.

    A marker in the lease directory remembers it was said; the per-run markers older versions left are removed when
    it is first made. Nothing is said where the lease record is shared between controllers, nor where no marker can be made.
    """
    if store.shared_between_controllers:
        return  # the lease record keeps jobs of one user apart on every controller that shares it
    local = store.local  # the record's controller-local files (the lease directory)
    try:
        os.close(local.open_file(marker_name(netloc, username), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except (OSError, OracleError):
        return
    for name in local.names():
        if _OLD_MARKER.match(name):
            try:
                local.unlink(name)
            except OracleError:
                pass
    warn('SDM device locks belong to the user %s, not to a run: runs on this controller are kept apart by the lease '
         'record, but jobs of the same user on other controllers are not (said once per controller)' % username)
