# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""An SBC access token and its expiry: what the lease keeps, the lock logic renews and the lookup hands out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

#: Oracle documents a fixed ten-minute token lifetime; nothing in the token answer says so.
TOKEN_LIFETIME = 600.0


class Token:
    """An SBC access token and when we expect it to expire (issue time + lifetime)."""

    def __init__(self, value, expires_at, issued_at=None):
        self.value = value
        self.expires_at = float(expires_at)
        self.issued_at = float(issued_at if issued_at is not None else expires_at - TOKEN_LIFETIME)

    def remaining(self, now=None):
        return self.expires_at - (time.time() if now is None else now)

    def life_left_fraction(self, now=None):
        life = max(1.0, self.expires_at - self.issued_at)
        return self.remaining(now) / life
