# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The deadline of the request this thread is making, which the client sets and its sockets and connections obey."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

#: The deadline (time.monotonic) of the request this thread is making, set by HttpClient.request only, and whether
#: any byte of an answer came back (``answered``), which tells "no answer" from "too slow an answer".
ACTIVE = threading.local()


def time_left():
    """Seconds left to the deadline of the request this thread is making; None outside a request."""
    deadline = getattr(ACTIVE, 'deadline', None)
    return None if deadline is None else deadline - time.monotonic()
