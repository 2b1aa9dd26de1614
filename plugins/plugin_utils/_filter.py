# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""Jinja filters made from plain functions: an error of ours becomes the filter error Ansible reports on the task."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError


def ansible_filter(function, errors):
    """``function`` as a filter: the same arguments and answer, and ``errors`` (an exception class or a tuple of
    them) raised as ``AnsibleFilterError`` with the same one-line message. Other exceptions pass unchanged."""

    @functools.wraps(function)
    def apply(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except errors as exc:
            raise AnsibleFilterError(str(exc)) from exc

    return apply
