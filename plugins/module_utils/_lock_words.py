# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What the device APIs and the lock core say alike of a lock: who holds it, what a release learned, how it is asked.

Below both: the device APIs (``_sbc``, ``_sdm``) speak these words to the lock core without importing it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_LOST, OracleError

HOLDER_US = 'us'
HOLDER_OTHER_RUN = 'other run'
HOLDER_FOREIGN = 'another user or session'
HOLDER_UNKNOWN = 'unknown'
HOLDER_NOBODY = 'nobody'

#: What a release learns from the device: given back, or refused as not the caller's (free, or someone else's).
#: A release never takes a lock to tell those two apart: for that moment every other client would be refused.
RELEASED = 'released'
NOT_OURS = 'not_ours'


def iso_time(epoch):
    """``epoch`` as the UTC time every message and result shows (``2024-01-31T12:00:00Z``)."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def token_expired(endpoint, expires_at, then=''):
    """OracleError(lock_lost): the token that held the configuration lock on ``endpoint`` expired at ``expires_at``, so
    the lock may be gone; ``then`` (e.g. ``'; lock again'``) ends the sentence with what to do."""
    return OracleError('the token that held the configuration lock on %s expired at %s, so the lock may be gone%s'
                       % (endpoint, iso_time(expires_at), then), REASON_LOCK_LOST)


def confirm_held(take, give_back):
    """Make sure the lock is held by the credentials behind ``take`` and ``give_back``; True when it is, now.

    Neither Oracle lock can be read, so the lock itself is asked: ``take()`` succeeds when it was ours (a
    server that answers yes to a second take) or free. Where the server refuses a second take, a successful
    ``give_back()`` shows it was ours after all, and it is taken again at once. False: someone else holds it.
    Both callables return True for success and False for a refusal.
    """
    if take():
        return True
    if give_back():
        return take()
    return False
