# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The guard of one lock in etcd (``held_guard``): a key created only if absent, on an etcd lease kept alive while held.

A holder that dies stops keeping its etcd lease alive, so etcd deletes the guard key within the TTL: a dead holder
cannot wedge the lock. Taking the guard reads the lease in the same transaction.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import socket
import threading
import time
import uuid

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_gateway import b64

#: The guard's first retry delay and cap while another controller holds it.
GUARD_RETRY = (0.005, 0.1)


@contextlib.contextmanager
def held_guard(gateway, ttl, guard_name, lease_name):
    """Hold the guard key ``guard_name`` on ``gateway`` (waiting while another holds it), on an etcd lease of ``ttl``
    seconds kept alive until the block ends; yields the key-values of ``lease_name`` read when the guard was taken.
    The guard key is deleted (its etcd lease revoked) when the block ends."""
    lease_id, kvs = _take(gateway, ttl, guard_name, lease_name)
    stop = threading.Event()
    keeper = threading.Thread(target=_keep, args=(gateway, ttl, lease_id, stop))
    keeper.daemon = True
    keeper.start()
    try:
        yield kvs
    finally:
        stop.set()
        keeper.join()
        gateway.revoke(lease_id)  # deletes the guard key with it


def _take(gateway, ttl, guard_name, lease_name):
    """Create ``guard_name`` on a new etcd lease once nobody holds it (reading ``lease_name`` in the same transaction);
    the etcd lease's id and what was read."""
    name = b64(guard_name)
    lease_id = gateway.grant(ttl)
    me = b64('%s %s' % (socket.gethostname(), uuid.uuid4().hex))
    txn = {'compare': [{'key': name, 'result': 'EQUAL', 'target': 'CREATE', 'create_revision': '0'}],
           'success': [{'request_put': {'key': name, 'value': me, 'lease': lease_id}},
                       {'request_range': {'key': b64(lease_name)}}],
           'failure': [{'request_range': {'key': name}}]}
    delay = GUARD_RETRY[0]
    refreshed = time.monotonic()
    try:
        while True:
            answer = gateway.call('kv/txn', txn)
            if answer.get('succeeded'):
                return lease_id, (answer.get('responses') or [{}, {}])[-1].get('response_range', {}).get('kvs', [])
            holder = (answer.get('responses') or [{}])[0].get('response_range', {}).get('kvs', [])
            if holder and holder[0].get('value') == me:
                # our own take, applied although its answer was lost (then asked again, maybe of another endpoint)
                return lease_id, gateway.range(lease_name)
            time.sleep(delay)
            delay = min(GUARD_RETRY[1], delay * 2)
            if time.monotonic() - refreshed > ttl / 3.0:
                # our own etcd lease must outlive a long wait
                refreshed = time.monotonic()
                if not gateway.refresh(lease_id):
                    lease_id = gateway.grant(ttl)
                    txn['success'][0]['request_put']['lease'] = lease_id
    except BaseException:
        gateway.revoke(lease_id)
        raise


def _keep(gateway, ttl, lease_id, stop):
    while not stop.wait(ttl / 3.0):
        try:
            gateway.refresh(lease_id)
        except OracleError:
            pass  # the next decision fails on its own request
