# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``config_element``, ``config_elements``, ``config_commit`` and ``config_element_info``: SBC configuration under the lock this run holds.

None of them takes a lock. The changing ones find the lease of the configuration lock this run holds on the
SBC with the task's credentials (the lock core's lease record), use its token (renewed past half its life, as
the lock does) and keep the lease's guard while they work, so the keeper never moves the lock to another token
in the middle of a change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_commit_task import commit_changes
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element_task import change_element
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_elements_task import change_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_info_task import read_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_lock import ConfigLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_LOCK_HELD,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import OTHER_RUN, OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import token_expired
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SbcLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config import SbcConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token

#: No configuration lock of this run on the SBC (none at all, one left by a run that is gone, or one of other credentials).
REASON_NOT_LOCKED = 'not_locked'
#: A reader's token (check mode, info) is used only when it has at least this many seconds left.
READ_TOKEN_MARGIN = 10.0


# -- the lease of the lock this run holds -------------------------------------------------------------

def _lock_params(params):
    """The options of the config_lock task whose lease this task looks for (never used to take a lock)."""
    return dict(params, state='locked', wait_timeout=0.0, token=None, return_token=False)


class UnderLock:
    """The lease of the configuration lock this run holds on the SBC with the task's credentials, and its token."""

    def __init__(self, params, host, redactor, module):
        self.module = module
        self.host = host
        self.redactor = redactor
        self.lock = ConfigLock(SbcLockOptions(_lock_params(params), redactor), host, redactor)
        self.endpoint = self.lock.endpoint
        self.client = self.lock.client

    def close(self):
        self.lock.close()

    def _not_locked(self, lease, standing):
        what = 'no configuration lock of this run on SBC %s' % self.endpoint
        if standing == OTHER_RUN:
            raise OracleError('%s: it is held by another run (%s); take it with oracle_comms.provisioning.config_lock or the '
                              'lock_session role once that run is done' % (what, lease.run.describe()), REASON_LOCK_HELD,
                              detail={'holder': 'other run'})
        raise OracleError('%s: take it first with oracle_comms.provisioning.config_lock or the lock_session role, with the same '
                          'host, username and lease options (lease_dir, lease_backend) as this task' % what, REASON_NOT_LOCKED)

    def _ours(self, lease, standing):
        """The lease when it is this run's, taken with these credentials and held by this host; else the error why not."""
        if standing != OURS:
            self._not_locked(lease, standing)
        member = self.host.member
        if member is not None and lease.holders and member not in lease.holders:
            raise OracleError('the configuration lock on SBC %s is held by host(s) %s of this run, not by %s; take it for this host '
                              'too (config_lock), or run the task for a host that took it'
                              % (self.endpoint, ', '.join(lease.holders), member), REASON_NOT_LOCKED)
        if lease.expired():
            self.lock.store.delete(self.lock.key)
            raise token_expired(self.endpoint, lease.expires_at, '; lock again')
        return lease

    def _token_of(self, lease):
        self.lock.use_version_of(lease)
        self.redactor.add(lease.token)
        self.client.keep_secret(lease.token)
        return Token(lease.token, lease.expires_at, lease.issued_at)

    @contextlib.contextmanager
    def held(self):
        """``(lease, SbcConfig)`` with the token of this run's lock, the lease's guard held; OracleError when there is none.

        In check mode, without such a lock, a new token (which can change nothing) reads instead, and the lease is None.
        """
        store = self.lock.store
        with store.guard(self.lock.key):
            lease = store.read(self.lock.key)
            standing = self.lock.standing(lease)
            if self.host.check_mode:
                usable = standing == OURS and not lease.expired() and Token(lease.token, lease.expires_at).remaining() > READ_TOKEN_MARGIN
                if usable and (self.host.member is None or not lease.holders or self.host.member in lease.holders):
                    yield lease, SbcConfig(self.client, self._token_of(lease))
                else:
                    if lease is not None and standing == OURS:
                        self.lock.use_version_of(lease)
                    yield None, SbcConfig(self.client, self.client.authenticate())
                return
            lease = self._ours(lease, standing)
            if self.lock.refresh_if_due(lease):
                store.write(lease)
            yield lease, SbcConfig(self.client, self._token_of(lease))

    def keep_fresh(self, lease, config):
        """While a task waits on the SBC with the guard held (a commit), renew the lock's token past half its life, as a
        lock task would: the keeper cannot meanwhile, and the lock goes with the token."""
        if self.lock.refresh_if_due(lease):
            self.lock.store.write(lease)
            config.use_token(self._token_of(lease))

    def remember_change(self, lease):
        """Note in the lease (guard held) that the configuration changed under this lock, for config_commit."""
        if lease is not None and not lease.changed_under_lock:
            lease.changed_under_lock = True
            self.lock.store.write(lease)

    @contextlib.contextmanager
    def reader(self):
        """An SbcConfig for reading: the token of this run's lock where there is one with these credentials, else a new token."""
        store = self.lock.store
        with store.guard(self.lock.key):
            lease = store.read(self.lock.key)
            standing = self.lock.standing(lease)
            if standing == OURS and Token(lease.token, lease.expires_at).remaining() > READ_TOKEN_MARGIN:
                token = self._token_of(lease)
            else:
                token = None
        yield SbcConfig(self.client, token or self.client.authenticate())


# -- the tasks: each body finds this run's lock through an UnderLock ---------------------------------

def element_task(params, host, redactor):
    """What ``config_element`` does with validated ``params``: its result (see ``change_element``)."""
    return change_element(params, host, redactor, UnderLock)


def elements_task(params, host, redactor):
    """What ``config_elements`` does with validated ``params``: its result (see ``change_elements``)."""
    return change_elements(params, host, redactor, UnderLock)


def commit_task(params, host, redactor):
    """What ``config_commit`` does with validated ``params``: its result (see ``commit_changes``)."""
    return commit_changes(params, host, redactor, UnderLock)


def info_task(params, host, redactor):
    """What ``config_element_info`` does with validated ``params``: the elements and the type's key attributes (see ``read_elements``)."""
    return read_elements(params, host, redactor, UnderLock)
