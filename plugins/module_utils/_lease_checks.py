# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What a well-formed field of a stored lease is: LeaseFormatError and the checks the readers share.

A lease is read from a file or a key anyone with access could have edited: every field is checked for its type
and size before it is used, and anything else is a LeaseFormatError (a ValueError), never another exception.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math


class LeaseFormatError(ValueError):
    """A lease file whose content is not a lease of the shape this code writes."""


def expect(condition, what):
    """Raise LeaseFormatError(``what``) unless ``condition`` holds."""
    if not condition:
        raise LeaseFormatError(what)


def is_int(value):
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    """True for a finite int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def optional(value, check):
    """True when ``value`` is None or passes ``check``."""
    return value is None or check(value)


def is_text(value, limit=1024):
    """True for a non-empty str of at most ``limit`` characters."""
    return isinstance(value, str) and 0 < len(value) <= limit
