# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""What the tasks under a lock get from its lease: the ``lease`` lookup's answer, with an SBC token valid now."""

from __future__ import annotations

import os
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_LOCK_LOST, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import is_lease_key, scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import token_expired
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_pid import keeper_alive


#: The ``lease`` lookup asks the keeper for a new token when less than this fraction of its life is left.
ASK_REFRESH_AT = 0.5


def check_mode_view(path):
    """The answer for a check run whose lock task took nothing (``path`` is where its lease would be): empty token and
    base_url, so that tasks still template, and ``check_mode`` true, so that they can skip."""
    key = os.path.basename(path or '')[:-len('.json')]
    product = key.split('_', 1)[0] if is_lease_key(key) else ''
    view = {'check_mode': True, 'product': product, 'endpoint': '', 'resource': '', 'user': '', 'base_url': ''}
    if product != 'sdm':
        view.update(token='', expires_at='', expires_in=0)
    return view


def lease_view(path, run, member=None, wait=10.0, clock=time.monotonic, sleep=time.sleep, check_mode=False):
    """What the tasks under a lock need, read from the lease at ``path``: for the SBC a token valid now.

    Only a lease file of ours (its name of the form the modules write, in a lease directory that passes the
    same checks as theirs) is read, read-only: nothing is created but a refresh request, nothing is renamed.
    Fails (OracleError) when the lease is gone (released), belongs to another run, or is not held by
    ``member``, the inventory host asking (the lease lists the hosts that took or joined the lock with its
    credentials). A token past half its life is renewed by the run's keeper first, waiting up to ``wait`` s.
    In ``check_mode``, a lease that is not there (a check run takes nothing) gives :func:`check_mode_view` instead.
    """
    if check_mode and (not path or not os.path.exists(path)):
        return check_mode_view(path)

    if not path:
        # the role's registered lock result has no lease file once the release has run
        raise OracleError('no lock is held by this run: it was released, or never taken; use the lock_session_lock variable only '
                          'between acquire and release', REASON_LOCK_LOST)
    name = os.path.basename(path)
    key = name[:-len('.json')] if name.endswith('.json') else ''
    if not is_lease_key(key):
        raise OracleError('%s is not a lease file of this collection; give the lease_file result of a config_lock or device_lock '
                          'task' % path, REASON_BAD_INPUT)
    with LeaseStore(os.path.dirname(path), create=False) as store:
        lease = store.read(key, set_aside=False)
        if lease is None:
            raise OracleError('no lock is held under %s: it was released, or never taken; use the lock_session_lock variable only '
                              'between acquire and release' % path, REASON_LOCK_LOST)
        if not run.same(lease.run):
            raise OracleError('the lock recorded in %s belongs to %s, not to this run' % (path, lease.run.describe()), REASON_LOCK_LOST)
        if member is not None and lease.holders and member not in lease.holders:
            raise OracleError('the lock recorded in %s is held by host(s) %s of this run, not by %s; use it from a host that took it'
                              % (path, ', '.join(lease.holders), member), REASON_LOCK_LOST)
        view = {'check_mode': False, 'product': lease.product, 'endpoint': lease.endpoint, 'resource': lease.resource, 'user': lease.user,
                'base_url': 'https://%s/rest/%s' % (lease.endpoint, lease.api_version) if lease.api_version else None}
        if lease.product != 'sbc':
            return view
        token = Token(lease.token, lease.expires_at, lease.issued_at)
        keeper = scope_key(run.ident, lease.product, lease.endpoint, lease.user)
        if token.life_left_fraction() < ASK_REFRESH_AT and keeper_alive(store, keeper):
            request = key + '.json.refresh'
            store.local.touch(request)
            deadline = clock() + wait
            before = store.signature(key)
            while clock() < deadline and store.local.exists(request) and store.signature(key) == before:
                sleep(0.02)
            lease = store.read(key, set_aside=False) or lease
            token = Token(lease.token, lease.expires_at, lease.issued_at)
    if token.remaining() <= 0:
        raise token_expired(lease.endpoint, lease.expires_at)
    view.update(token=token.value, expires_at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(token.expires_at)),
                expires_in=int(token.remaining()))
    return view
