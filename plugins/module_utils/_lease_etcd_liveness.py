# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""A run's liveness in etcd (``EtcdLiveness``): the keys that say, to every controller, that a run is still there.

``alive/<run>/<scope>`` is on an etcd lease with a TTL: a task of the run puts it on a lease of its own
(START_GRACE seconds) when it first writes a lease, the run's keeper moves it to the keeper's own lease and keeps
that alive every heartbeat, and when nobody does, etcd lets it go within the TTL and the run's leases become
orphans. A keeper that finds its etcd lease ran out leaves a local marker (``<scope>.lapsed``) whose mtime says
from when the run's earlier leases are no longer relied on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd_gateway import b64, range_end
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import scope_key

#: How long a run's liveness lasts from a lock task until its keeper keeps it (a keeper starting on a loaded controller
#: takes seconds); also how long a run without a keeper (release_on_exit: false) counts as alive after its last lock task.
START_GRACE = 60
#: A keeper's local marker (``<scope>.lapsed``): the run's liveness lapsed in etcd at the file's mtime.
LAPSED_SUFFIX = '.lapsed'


class EtcdLiveness:
    """The liveness keys of runs under ``root`` (``<prefix>alive/``) on ``gateway``; ``local`` (LocalFiles) keeps the
    lapse markers of this controller's keepers; ``ttl``: seconds a keeper's liveness outlives the keeper."""

    def __init__(self, gateway, root, ttl, local):
        self.gateway = gateway
        self.root = root
        self.ttl = ttl
        self.local = local
        #: the scopes whose liveness this task has put on a lease of its own (once per task is enough)
        self._marked = set()
        #: [etcd lease id, when last kept alive] of the liveness this task put on a lease of its own (START_GRACE)
        self._grace = None
        #: {scope: etcd lease id} of the keeper's own liveness
        self.keeper_lease = {}

    def prefix_of(self, run_ident):
        """The key prefix of every liveness key of the run ``run_ident``."""
        return '%s%s/' % (self.root, run_ident)

    def count_request(self, run_ident):
        """The range request (for a transaction) that counts the liveness keys of the run ``run_ident``."""
        prefix = self.prefix_of(run_ident)
        return {'request_range': {'key': b64(prefix), 'range_end': range_end(prefix), 'count_only': True}}

    def counts_alive(self, run):
        """True while a liveness key of ``run`` exists in etcd (one request)."""
        prefix = self.prefix_of(run.ident)
        answer = self.gateway.call('kv/range', {'key': b64(prefix), 'range_end': range_end(prefix), 'count_only': True})
        return int(answer.get('count', 0) or 0) > 0

    def put_for_write(self, lease):
        """For the first write of ``lease`` by this task, where its run is of this host: the liveness key's put (for the
        write's transaction) on a new etcd lease of START_GRACE seconds, and its scope (pass it to :meth:`written` once
        the write succeeded); else None."""
        scope = scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user)
        if lease.run.host != socket.gethostname() or scope in self._marked:
            return None
        grace = self.gateway.grant(max(self.ttl, START_GRACE))
        self._grace = [grace, time.monotonic()]
        return scope, {'request_put': {'key': b64(self.prefix_of(lease.run.ident) + scope), 'value': b64('1'), 'lease': grace}}

    def written(self, scope):
        """The write that carried :meth:`put_for_write`'s put for ``scope`` succeeded."""
        self._marked.add(scope)

    def keep_grace(self):
        """Keep the liveness this task put on a lease of its own alive while the task goes on (a take that waits for
        its next devices comes back here each time it looks again), until the run's keeper has moved it to its own."""
        if self._grace is None or time.monotonic() - self._grace[1] < max(self.ttl, START_GRACE) / 3.0:
            return
        self._grace[1] = time.monotonic()
        try:
            self.gateway.refresh(self._grace[0])
        except OracleError:
            pass  # the decision this guard is for fails on its own request

    def keep(self, run, scope):
        """Keep ``run``'s liveness key of keeper ``scope`` alive on the keeper's own etcd lease of ``ttl`` seconds (called
        every keeper heartbeat): refresh it, and put the key back on it where a task of the run put it on a lease of its own.

        Returns True when the keeper's etcd lease had run out since the last call (etcd could not be reached for longer
        than the TTL): the run counted as gone meanwhile, so every lease the run took before now is marked lapsed
        (:meth:`lapsed`), and the key is put back on a new etcd lease.
        """
        lease_id = self.keeper_lease.get(scope)
        lapsed = False
        if lease_id is None or not self.gateway.refresh(lease_id):
            lapsed = lease_id is not None
            if lapsed:
                self._mark_lapsed(scope)
            lease_id = self.keeper_lease[scope] = self.gateway.grant(self.ttl)
        alive = b64(self.prefix_of(run.ident) + scope)
        self.gateway.call('kv/txn', {'compare': [{'key': alive, 'result': 'EQUAL', 'target': 'LEASE', 'lease': lease_id}],
                                     'failure': [{'request_put': {'key': alive, 'value': b64('1'), 'lease': lease_id}}]})
        return lapsed

    def end(self, scope):
        """The keeper is done: its liveness key goes at once."""
        lease_id = self.keeper_lease.pop(scope, None)
        if lease_id is not None:
            self.gateway.revoke(lease_id)
        self.local.unlink(scope + LAPSED_SUFFIX)

    def _mark_lapsed(self, scope):
        # the marker's mtime is when the lapse was seen: leases taken before then are no longer relied on
        self.local.unlink(scope + LAPSED_SUFFIX)
        self.local.touch(scope + LAPSED_SUFFIX)

    def lapsed(self, lease):
        """True when ``lease``, of a run of this controller, was taken before that run's liveness lapsed (a keeper found
        its etcd lease run out): another controller may have taken the lock over meanwhile."""
        if lease.run.host != socket.gethostname():
            return False
        marker = self.local.stat(scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user) + LAPSED_SUFFIX)
        return marker is not None and lease.taken_at <= marker.st_mtime
