# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The lease format: ``Lease``, what this controller holds for which run and credentials, and how it is stored.

Neither Oracle lock can be read back, so the client remembers what it took: product, endpoint, resource, the user
and proof of the credentials that took it, the run and which of its inventory hosts hold it, and for the SBC the
token. Stored as JSON (format 2; format 1, without proof or holders, is still read); anything else read back is
a LeaseFormatError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import (
    expect,
    is_number,
    is_text,
    optional,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import proof_matches, valid_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run

#: The lease format this code writes; format 1 (no credential proof, no holders) is still read.
FORMAT = 2
#: A lease is a few hundred bytes; anything much larger is not one of ours.
MAX_LEASE_BYTES = 64 * 1024
#: Most elements a device lock's record of staged changes names (``sdm_work``): no play stages this many on one device.
MAX_WORK_ENTRIES = 2000


def _short_text(value):
    return isinstance(value, str) and len(value) <= 4096


def valid_work(work):
    """Whether ``work`` is a record of staged changes as the SDM provisioning modules write it into a device lock's lease:
    ``staged`` ([element type, {key attribute: value}] pairs), ``before`` ({name, elementTypePath} of changes staged
    before the run's first), the SDM's list ``shape`` and whether a save awaits activation (``saved``)."""
    if not isinstance(work, dict) or set(work) != {'staged', 'before', 'shape', 'saved'}:
        return False
    staged, before = work['staged'], work['before']
    if not (isinstance(staged, list) and isinstance(before, list) and len(staged) + len(before) <= MAX_WORK_ENTRIES):
        return False
    for entry in staged:
        if not (isinstance(entry, list) and len(entry) == 2 and _short_text(entry[0]) and isinstance(entry[1], dict)
                and all(_short_text(name) and _short_text(value) for name, value in entry[1].items())):
            return False
    return (all(isinstance(mark, dict) and set(mark) == {'name', 'elementTypePath'} and all(_short_text(v) for v in mark.values())
                for mark in before)
            and work['shape'] in (None, 'flat', 'wrapped') and isinstance(work['saved'], bool))


class Lease:
    """What we hold: product, endpoint, resource, the user and proof of the credentials that took it, the run and
    which of its inventory hosts hold it, when, and for the SBC the token and its expiry."""

    FIELDS = ('product', 'endpoint', 'resource', 'user', 'taken_at', 'token', 'issued_at', 'expires_at', 'api_version',
              'proof', 'holders', 'changed_under_lock', 'sdm_work')

    def __init__(self, product, endpoint, resource, user, run, taken_at=None, token=None, issued_at=None, expires_at=None,
                 api_version=None, proof=None, holders=None, changed_under_lock=False, sdm_work=None):
        self.product = product
        self.endpoint = endpoint
        self.resource = resource
        self.user = user
        self.run = run
        self.taken_at = taken_at if taken_at is not None else time.time()
        self.token = token
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.api_version = api_version
        self.proof = proof
        self.holders = list(holders or [])
        #: a config_element task of this run changed the SBC configuration under this lock since the last commit
        self.changed_under_lock = bool(changed_under_lock)
        #: what device_config_* tasks of this run did on an SDM device under this lock (_device_config_work), None before
        self.sdm_work = sdm_work

    @property
    def key(self):
        return lease_key(self.product, self.endpoint, self.resource)

    def expired(self, now=None):
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at

    def taken_with(self, username, password):
        """True/False: were these the credentials that took the lock? None when the lease records no proof (format 1)."""
        if username != self.user:
            return False
        if self.proof is None:
            return None
        return proof_matches(self.proof, username, password, self.run)

    def to_dict(self):
        data = dict((name, getattr(self, name)) for name in self.FIELDS)
        data['run'] = self.run.to_dict()
        data['format'] = FORMAT
        return data

    @classmethod
    def from_dict(cls, data):
        """The lease ``data`` describes; LeaseFormatError for anything that is not exactly a lease."""
        expect(isinstance(data, dict), 'not a mapping')
        expect(data.get('format') in (1, FORMAT), 'unknown format %r' % (data.get('format'),))
        expect(data.get('product') in ('sbc', 'sdm'), 'unknown product')
        for name in ('endpoint', 'resource', 'user'):
            expect(is_text(data.get(name)), '%s is not text' % name)
        expect(is_number(data.get('taken_at')), 'taken_at is not a time')
        for name in ('issued_at', 'expires_at'):
            expect(optional(data.get(name), is_number), '%s is not a time' % name)
        expect(optional(data.get('token'), lambda value: is_text(value, 8192)), 'token is not text')
        expect(optional(data.get('api_version'), lambda value: is_text(value, 16)), 'api_version is not text')
        # an SBC lease names its token, except in a shared record that keeps it only on the controller that took it
        expect(data['product'] != 'sbc' or ((data.get('token') or data.get('token_withheld') is True) and data.get('expires_at') is not None),
               'an SBC lease without its token')
        expect(optional(data.get('proof'), valid_proof), 'proof is not one we make')
        holders = data.get('holders', [])
        # '' is the one host of a run whose inventory host name is not known (a module run outside a play)
        expect(isinstance(holders, list) and len(holders) <= 10000 and all(isinstance(name, str) and len(name) <= 255 for name in holders),
               'holders is not a list of host names')
        expect(optional(data.get('changed_under_lock'), lambda value: isinstance(value, bool)), 'changed_under_lock is not a boolean')
        expect(optional(data.get('sdm_work'), valid_work), 'sdm_work is not a record of staged changes')
        kwargs = dict((name, data.get(name)) for name in cls.FIELDS)
        return cls(run=Run.from_dict(data.get('run')), **kwargs)

    @classmethod
    def from_stored(cls, raw, key):
        """The lease stored as ``raw`` (JSON bytes) under ``key``.

        Raises a ValueError (LeaseFormatError, or what JSON or UTF-8 decoding raises), TypeError or RecursionError for
        anything that is not a lease of that key: larger than MAX_LEASE_BYTES, not of the shape, or another lock's.
        """
        expect(len(raw) <= MAX_LEASE_BYTES, 'larger than %d bytes' % MAX_LEASE_BYTES)
        lease = cls.from_dict(json.loads(raw.decode('utf-8')))
        expect(lease.key == key, 'it describes another lock (%s %s)' % (lease.endpoint, lease.resource))
        return lease
