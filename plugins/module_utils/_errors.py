# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The one error type of the collection and its machine-readable reasons."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Reasons are part of the public interface: playbooks branch on them.
REASON_BAD_INPUT = 'bad_input'
REASON_AUTH = 'auth_failed'
REASON_FORBIDDEN = 'forbidden'
REASON_TLS = 'tls'
REASON_NOT_FOUND = 'not_found'
REASON_API_VERSION = 'api_version'
REASON_NETWORK = 'network'
REASON_BAD_RESPONSE = 'bad_response'
REASON_SERVER_ERROR = 'server_error'
REASON_LOCK_HELD = 'lock_held'
REASON_LOCK_LOST = 'lock_lost'
REASON_LEASE = 'lease_error'
REASON_MISSING_LIBRARY = 'missing_library'
REASON_INTERNAL = 'internal_error'

#: Failures worth trying again later: the answer was lost or the device was not well. A lock request that
#: failed so may still have been granted (so it is undone), and a release that failed so is retried by the role.
RETRYABLE_REASONS = (REASON_NETWORK, REASON_SERVER_ERROR, REASON_BAD_RESPONSE)


class OracleError(Exception):
    """A failure with a one-line, actionable message and a machine-readable reason.

    ``detail`` holds result keys to return with the failure (for example ``holder`` and ``locked``).
    """

    def __init__(self, msg, reason, status=None, detail=None):
        super(OracleError, self).__init__(msg)
        self.msg = msg
        self.reason = reason
        self.status = status
        self.detail = detail

    @property
    def retryable(self):
        """True when trying again later may succeed (see RETRYABLE_REASONS)."""
        return self.reason in RETRYABLE_REASONS
