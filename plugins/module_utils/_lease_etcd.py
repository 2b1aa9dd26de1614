# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``EtcdLeaseRecord``, the etcd backend of the lease record (_lease_record.LeaseRecord): leases shared by every controller.

Keys, under one prefix: ``lease/<key>`` the lease (JSON), ``guard/<key>`` the guard of one lock (an etcd lease
with a TTL, so a dead holder cannot wedge it: _lease_etcd_guard), ``alive/<run>/<scope>`` a run's liveness
(_lease_etcd_liveness). What was taken outlives the liveness key, so the next run can recover an orphan exactly
as with the file backend. This controller keeps a copy of each lease it writes in its lease directory (a
LeaseStore; ``path`` names it), read by the ``lease`` lookup, and its own files there (``local``). etcd is the
truth for decisions. The gateway client is _lease_etcd_gateway.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import math
import socket
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LEASE, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_gateway import Gateway, b64, range_end, unb64
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_guard import held_guard
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_liveness import START_GRACE, EtcdLiveness
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import is_lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_record import LeaseRecord
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run

# START_GRACE is re-exported: the concurrency tests size their waits by it
__all__ = ['DEFAULT_PREFIX', 'START_GRACE', 'EtcdLeaseRecord']

DEFAULT_PREFIX = '/oracle_comms/provisioning/'
#: How often a waiter asks etcd whether a lease changed (one small range request on a kept-alive connection): every
#: POLL_FOR_CHANGE seconds at first, slowing to POLL_FOR_CHANGE_CAP the longer nothing changes, so that many waiters
#: (twenty plays behind one lock) do not keep the controller's cores and etcd busy with their questions.
POLL_FOR_CHANGE = 0.05
POLL_FOR_CHANGE_CAP = 0.25
#: How long the revisions a listing (``keys``) saw stand for ``signature`` (a keeper's one look at its leases).
LISTING_FRESH = 0.05


class EtcdLeaseRecord(LeaseRecord):
    """The lease record on etcd (v3 API, etcd 3.4+), shared by every controller that names the same etcd."""

    shared_between_controllers = True

    def __init__(self, endpoints, copies, ttl=15, ca_path=None, client_cert=None, client_key=None, username=None,
                 password=None, timeout=5.0, prefix=DEFAULT_PREFIX, warn=None, store_token=False):
        """``endpoints``: checked URLs (_options); ``copies``: the LeaseStore of this controller's lease directory, for the
        local copy of each lease and (as ``local``) this controller's own files; ``ttl``: seconds a guard or a run's
        liveness outlives its holder; ``store_token``: an SBC lease's token goes into etcd too (else only into the local
        copy). Nothing is sent until first used."""
        self.copies = copies
        self.local = copies.local
        self.store_token = store_token
        self.ttl = max(2, int(math.ceil(ttl)))
        self.prefix = prefix if prefix.endswith('/') else prefix + '/'
        self.gateway = Gateway(endpoints, ca_path, client_cert, client_key, username, password, timeout)
        self.liveness = EtcdLiveness(self.gateway, self._k('alive/'), self.ttl, self.local)
        self._warn = warn or (lambda message: None)
        #: {key: seconds}: how often a waiter of this task asks next whether that lease changed
        self._poll_every = {}
        self._listed = (None, {})
        #: what the guard's own transaction read, for the first read inside that guard (saves a request per decision)
        self._read_with_guard = {}

    def close(self):
        self.gateway.close()
        self.copies.close()

    # -- keys -----------------------------------------------------------------------------------------

    def _k(self, name):
        return self.prefix + name

    def path(self, key):
        """The local copy of the lease (what the ``lease`` lookup reads)."""
        return self.copies.path(key)

    def etcd_name(self, key):
        return '%s%s' % (self.gateway.endpoints[0].rstrip('/'), self._k('lease/' + key))

    def keys(self):
        """Every lease key in etcd (one request; ``signature`` answers from it for LISTING_FRESH seconds)."""
        answer = self.gateway.call('kv/range', {'key': b64(self._k('lease/')), 'range_end': range_end(self._k('lease/')),
                                                'keys_only': True})
        start = len(self._k('lease/'))
        listed = dict((unb64(kv['key']).decode('utf-8')[start:], int(kv['mod_revision'])) for kv in answer.get('kvs', []))
        # a keeper asks the signature of each right after: one request for all of them
        self._listed = (time.monotonic(), listed)
        return list(listed)

    # -- leases ---------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self, key):
        """The exclusive right to decide about ``key`` among every controller of this etcd (_lease_etcd_guard).

        A key that names no lease is a guard of this controller's (``local``).
        """
        if not is_lease_key(key):
            with self.local.guard(key):
                yield
            return
        self.liveness.keep_grace()
        with held_guard(self.gateway, self.ttl, self._k('guard/' + key), self._k('lease/' + key)) as kvs:
            self._read_with_guard[key] = kvs
            try:
                yield
            finally:
                self._read_with_guard.pop(key, None)

    def read(self, key, set_aside=True):
        """The lease for ``key``, or None; a value that is not a lease of this key is OracleError(lease_error)."""
        kvs = self._read_with_guard.pop(key, None)
        if kvs is None:
            kvs = self.gateway.range(self._k('lease/' + key))
        if not kvs:
            return None
        raw = unb64(kvs[0].get('value'))
        try:
            lease = Lease.from_stored(raw, key)
        except (ValueError, TypeError, RecursionError) as exc:
            raise OracleError('lease %s in etcd is not a valid lease (%s); remove it (etcdctl del %s)'
                              % (self.etcd_name(key), str(exc)[:120], self._k('lease/' + key)), REASON_LEASE)
        if lease.product == 'sbc' and lease.token is None:
            lease.token = self._local_token(lease)
        return lease

    def _local_token(self, lease):
        """The token of an SBC lease whose token etcd does not hold: this controller's copy has it when this controller
        took the lock; None for a lease another controller took (it cannot be adopted or given back from here)."""
        try:
            local = self.copies.read(lease.key, set_aside=False)
        except OracleError:
            local = None
        if local is not None and local.run.same(lease.run) and local.taken_at == lease.taken_at and local.token:
            return local.token
        if lease.run.host == socket.gethostname() and lease.run.alive() is not False:
            raise OracleError('the token of the configuration lock on %s is kept only in lease directory %s, and its copy there is '
                              'missing or stale; release the lock from the run that holds it, or let the token expire'
                              % (lease.endpoint, self.local.directory), REASON_LEASE)
        return None

    def write(self, lease):
        """Store ``lease`` (one put). For a run of this host, the first write of a task also (re)creates the run's
        liveness key on an etcd lease of START_GRACE seconds, until the run's keeper takes it over (it may be starting)."""
        self._read_with_guard.pop(lease.key, None)
        name = b64(self._k('lease/' + lease.key))
        data = lease.to_dict()
        withheld = lease.product == 'sbc' and not self.store_token
        if withheld:
            # the token is a secret that holds the lock: only this controller's copy has it, which must be written first
            data['token'], data['token_withheld'] = None, True
            self.copies.write(lease)
        ops = [{'request_put': {'key': name, 'value': b64(json.dumps(data, sort_keys=True))}}]
        alive = self.liveness.put_for_write(lease)
        if alive is not None:
            ops.append(alive[1])
        try:
            self.gateway.call('kv/txn', {'success': ops})
        except OracleError:
            if withheld:
                self._copy(self.copies.delete, lease.key)  # the copy names a lock etcd does not know of: not for the lookup
            raise
        if alive is not None:
            self.liveness.written(alive[0])
        if not withheld:
            self._copy(self.copies.write, lease)

    def delete(self, key):
        self._read_with_guard.pop(key, None)
        self.gateway.call('kv/deleterange', {'key': b64(self._k('lease/' + key))})
        self._copy(self.copies.delete, key)

    def _copy(self, action, what):
        # the local copy follows etcd; a copy that cannot be written costs the lookup, not the lock
        try:
            action(what)
        except OracleError as exc:
            self._warn('the local copy of the lease could not be updated (%s); the lease lookup may not find it' % exc.msg)

    def signature(self, key):
        """The lease key's mod_revision (None while there is none)."""
        taken, listed = self._listed
        if taken is not None and time.monotonic() - taken < LISTING_FRESH and key in listed:
            return listed[key]
        kvs = self.gateway.range(self._k('lease/' + key), keys_only=True)
        return int(kvs[0]['mod_revision']) if kvs else None

    def wait_for_change(self, key, signature, timeout, clock=time.monotonic, sleep=time.sleep):
        """A bounded poll, every POLL_FOR_CHANGE seconds at first and every POLL_FOR_CHANGE_CAP seconds once the key has
        not changed for a while (across calls of this task); True once the key's revision changed, or once the liveness
        of the holder (a run of another host) is gone, so that a waiter recovers an orphan at once.

        One transaction per look; a gateway watch would need one stream per key, and this waits on two.
        """
        until = clock() + timeout
        ops = [{'request_range': {'key': b64(self._k('lease/' + key)), 'keys_only': True}}]
        kvs = self.gateway.range(self._k('lease/' + key))
        if kvs:
            try:
                run = Run.from_dict(json.loads(unb64(kvs[0].get('value')).decode('utf-8')).get('run'))
            except (ValueError, TypeError, AttributeError):
                run = None  # not a lease: the caller's read says so
            if run is not None and run.host != socket.gethostname():
                ops.append(self.liveness.count_request(run.ident))
        while True:
            answers = self.gateway.call('kv/txn', {'success': ops}).get('responses', [])
            ranges = [answer.get('response_range', {}) for answer in answers]
            found = ranges[0].get('kvs', []) if ranges else []
            now = int(found[0]['mod_revision']) if found else None
            if now != signature or (len(ranges) > 1 and int(ranges[1].get('count', 0) or 0) == 0):
                self._poll_every.pop(key, None)
                return True
            if clock() >= until:
                return False
            every = self._poll_every.get(key, POLL_FOR_CHANGE)
            self._poll_every[key] = min(POLL_FOR_CHANGE_CAP, every * 1.25)
            sleep(min(every, max(0.0, until - clock())))

    # -- runs and their liveness ------------------------------------------------------------------------

    def run_alive(self, lease):
        """A run of this host: its process. A run of another host: while a liveness key of it exists in etcd."""
        alive = lease.run.alive()
        if alive is not None:
            return alive
        return self.liveness.counts_alive(lease.run)

    def keep_run_alive(self, run, scope):
        """The liveness key of keeper ``scope`` kept on the keeper's own etcd lease (EtcdLiveness.keep)."""
        return self.liveness.keep(run, scope)

    def end_run_alive(self, scope):
        """The keeper's liveness key goes at once (EtcdLiveness.end)."""
        self.liveness.end(scope)

    def liveness_lapsed(self, lease):
        """Whether this controller's keeper saw the run's liveness lapse after ``lease`` was taken (EtcdLiveness.lapsed)."""
        return self.liveness.lapsed(lease)
