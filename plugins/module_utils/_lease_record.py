# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The ``LeaseRecord`` interface: everything the lock core, the keeper and the lookup ask of a lease backend.

A backend is written from this class and tests/unit/plugins/module_utils/test_lease_record.py alone: the file
backend (_lease_file.LeaseStore) and the etcd backend (_lease_etcd.EtcdLeaseRecord) pass the same suite.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

OURS = 'ours'
OTHER_RUN = 'other run'
ORPHAN = 'orphan'
FREE = 'free'

#: How often a waiter looks for a change of a lease it waits behind when the record offers no watch (a stat, no request).
POLL_FOR_CHANGE = 0.02


class LeaseRecord:
    """Where the leases of the runs sharing a record are kept, and what a backend must promise about them.

    ``guard(key)`` serialises decisions about one lock among every run that shares the record; inside it,
    ``read``/``write``/``delete`` are atomic. ``signature(key)`` changes whenever the lease is written or removed,
    and ``wait_for_change`` returns as soon as it has (or at the timeout). ``run_alive(lease)`` says whether the
    run that holds a lease is still there (None: it cannot be told); a keeper keeps its run alive where that is
    needed (``keep_run_alive``). ``path(key)`` names the lease for people.

    Every backend also has ``local``: the _local_files.LocalFiles of this controller's lease directory, which holds
    what belongs to this controller only (keeper pid files and ``keeper.log``, refresh requests, markers), whatever
    the backend keeps its leases in.
    """

    #: True where every controller that names the record shares it (etcd); False for one controller's directory
    shared_between_controllers = False
    #: this controller's own files (_local_files.LocalFiles); set by every backend
    local = None

    def guard(self, key):
        """A context manager holding the exclusive right to decide about ``key`` (a lease key) among every run that
        shares the record; a holder that dies lets go (it must never wedge the lock). OracleError(lease_error) when the
        record cannot be reached."""
        raise NotImplementedError

    def read(self, key):
        """The Lease for ``key``, or None when there is none. Something stored under ``key`` that is not a lease of that
        key is never returned: it is set aside with a warning (None) or an OracleError(lease_error)."""
        raise NotImplementedError

    def write(self, lease):
        """Store ``lease`` under its key, replacing what was there, atomically: a reader sees the old lease or the new."""
        raise NotImplementedError

    def delete(self, key):
        """Remove the lease for ``key`` (nothing happens when there is none)."""
        raise NotImplementedError

    def keys(self):
        """The keys of every lease in the record now (in no order; a keeper's one look at what its run holds)."""
        raise NotImplementedError

    def signature(self, key):
        """A value that changes whenever the lease for ``key`` is written or removed (None while there is none)."""
        raise NotImplementedError

    def path(self, key):
        """Where the lease for ``key`` is kept, for messages and results: a file of ``local`` that the ``lease`` lookup
        reads (the file backend's lease itself, or a backend's local copy of it)."""
        raise NotImplementedError

    def run_alive(self, lease):
        """True/False when it can be told whether the run that holds ``lease`` is still there, else None.

        This default asks the run's process, which only its own host can see."""
        return lease.run.alive()

    def keep_run_alive(self, run, scope):
        """Called by the keeper ``scope`` of ``run`` every heartbeat: keep the run counting as alive to other controllers
        (where the record is shared). True when the run counted as gone since the last call (its liveness lapsed, so
        ``liveness_lapsed`` is true of the leases it took before); OracleError(lease_error) when the record cannot be
        reached. Here nothing is needed: False."""
        return False

    def end_run_alive(self, scope):
        """The keeper ``scope`` is done: what ``keep_run_alive`` kept goes now. Here there is nothing to end."""

    def close(self):
        """Let go of what the record holds open (``local`` with it)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def liveness_lapsed(self, lease):
        """True when ``lease`` (one of this run's) was taken before this run counted as gone for a while in a shared
        record, so another run may have taken the lock over meanwhile. Here a run is alive while its process is: never."""
        return False

    def wait_for_change(self, key, signature, timeout, clock=time.monotonic, sleep=time.sleep):
        """Return when ``signature(key)`` differs from ``signature`` or after ``timeout`` seconds; True if it changed.

        This default looks every POLL_FOR_CHANGE seconds; a backend that can watch overrides it.
        """
        until = clock() + timeout
        while clock() < until:
            sleep(POLL_FOR_CHANGE)
            if self.signature(key) != signature:
                return True
        return False

    def classify(self, lease, run):
        """How ``lease`` stands for ``run``: FREE (no lease), OURS, OTHER_RUN (alive or unknown) or ORPHAN (its run is gone).

        Whose credentials took the lock is the lock logic's question (:meth:`Lease.taken_with`).
        """
        if lease is None:
            return FREE
        if run.same(lease.run):
            return OURS
        return ORPHAN if self.run_alive(lease) is False else OTHER_RUN
