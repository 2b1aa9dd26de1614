# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The names of what the lease record keeps: a lease's key (``lease_key``, ``is_lease_key``) and a keeper's (``scope_key``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

#: Names of the files we keep: ``<product>_<readable slug>-<10 hex digits>`` plus a suffix.
_KEY_RE = re.compile(r'\A(?:sbc|sdm)_[A-Za-z0-9._-]{1,76}-[0-9a-f]{10}\Z')


def scope_key(run_ident, product, endpoint, user):
    """The name of the keeper of one run's locks on one endpoint as one user (its pid file is ``<key>.pid``)."""
    raw = '|'.join((run_ident, product, endpoint, user or ''))
    return 'keeper-%s' % hashlib.sha256(raw.encode('utf-8')).hexdigest()[:16]


def lease_key(product, endpoint, resource):
    """A file name that a person can read and that no two locks share (``endpoint`` is the canonical host:port)."""
    raw = '%s|%s|%s' % (product, endpoint, resource)
    slug = re.sub(r'[^A-Za-z0-9._-]+', '_', '%s_%s' % (endpoint, resource))[:76]
    return '%s_%s-%s' % (product, slug, hashlib.sha256(raw.encode('utf-8')).hexdigest()[:10])


def is_lease_key(name):
    """True when ``name`` is of the form :func:`lease_key` gives (and so can name nothing outside the directory)."""
    return bool(_KEY_RE.match(name or ''))
