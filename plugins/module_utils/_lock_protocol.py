# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The lock protocol both products follow around the lease record: wiring, holders, adoption, new leases, wording.

:class:`LockProtocol` is written once; ``_config_lock`` (SBC) and ``_device_lock`` (SDM) are its dialects: they
say how their device is asked, and in which words, and this class does what is the same for both.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LOCK_HELD, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import Lease, ProofInAdvance, Run, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_open import open_lease_record
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import Waiter


def other_run_words(run):
    """How messages name ``run`` when it is another run whose lease stands in the way."""
    return 'another run sharing this lease record (%s)' % run.describe()


class LockProtocol:
    """One lock task of either product: its options, host, lease record, run, device client and waiter.

    A dialect sets ``product`` (the lease's product word) and makes its client in :meth:`new_client`.
    """

    product = None

    def __init__(self, options, host, redactor, client=None, store=None, run=None):
        """``options``: the product's lock options; ``host``: the LockHost running the task; the rest for tests and the keeper."""
        self.options = options
        self.host = host
        self.endpoint = options.connection.endpoint
        self.store = store or open_lease_record(options.lease, options.lease_dir, warn=host.warn)
        self.run = run or host.run or Run.current()
        #: the inventory host the task is for, or None for the keeper, which acts for the whole run
        self.member = host.member
        self.client = client or self.new_client(options.connection, redactor)
        self.redactor = redactor
        self.waiter = Waiter(options.wait_timeout, progress=host.progress)
        #: the proof of these credentials for the leases this task writes (ProofInAdvance), begun as it asks the device
        self.proof = None

    def new_client(self, conn, redactor):
        """The product's API client for the connection options ``conn`` (no request is sent)."""
        raise NotImplementedError

    def close(self):
        """Close the connection and the lease record (the task is over)."""
        self.client.close()
        self.store.close()

    # -- holders: the inventory hosts of this run that hold a lease -------------------------------

    def first_holders(self):
        """The holders of a lease this task writes afresh: this host (none for the keeper)."""
        return [] if self.member is None else [self.member]

    def joins(self, lease):
        """Whether this host is not yet among the holders of ``lease`` (and would join it)."""
        return self.member is not None and self.member not in lease.holders

    def join(self, lease):
        """Count this host among the holders of ``lease``; True when that changed it (to be written)."""
        if self.joins(lease):
            lease.holders.append(self.member)
            return True
        return False

    def others_holding(self, lease):
        """The other hosts of this run that hold ``lease`` (none where the keeper asks: it acts for them all)."""
        return [] if self.member is None else [member for member in lease.holders if member != self.member]

    def leave(self, lease, others):
        """This host lets go of ``lease``, which stays with ``others`` (nothing written in check mode)."""
        if self.member in lease.holders and not self.host.check_mode:
            lease.holders = others
            self.store.write(lease)

    # -- adoption: the lock of a run that is gone ------------------------------------------------

    def adopt_if_held(self, confirm, forget, what, left_by, held_by, other, confirmed):
        """Ask ``confirm()`` whether the lock ``what`` left by ``left_by`` (a run that is gone) is still held by ``held_by``.

        Yes: say it is adopted (``confirmed`` says how that is known) and return True. No: ``forget()`` its leases, say
        so (``other``: who else may have taken it), and return False; the task then asks for the lock like any client.
        """
        if not confirm():
            forget()
            self.host.warn('%s left by %s, which is no longer running, was no longer held by %s (forced free, or taken by '
                           'another %s); asking for it anew' % (what, left_by, held_by, other))
            return False
        self.host.warn('adopted %s left by %s, which is no longer running (%s)' % (what, left_by, confirmed))
        return True

    def take_over(self, lease, orphan=True):
        """Make an adopted ``lease`` this run's (``orphan``: it was the gone run's), held by this host alone."""
        if orphan:
            lease.run, lease.taken_at = self.run, time.time()  # taken by this run now (what a lapse of its liveness is compared with)
            # what the gone run staged on an SDM is not this run's: its next change finds it staged before (someone else's)
            lease.sdm_work = None
        lease.holders = self.first_holders()

    # -- new leases ------------------------------------------------------------------------------

    def begin_proof(self):
        """Begin the proof of these credentials for the leases to write, while the device is asked for the lock."""
        self.proof = self.proof or ProofInAdvance(self.client.username, self.client.password, self.run)

    def lease_proof(self):
        """The proof that goes into a lease this task writes (waits for the one begun)."""
        return self.proof.result() if self.proof is not None else make_proof(self.client.username, self.client.password, self.run)

    def new_lease(self, resource, proof, **fields):
        """A lease of this run and these credentials for ``resource``, held by this host."""
        return Lease(self.product, self.endpoint.netloc, resource, self.client.username, self.run, proof=proof,
                     holders=self.first_holders(), **fields)

    # -- waiting and its words -------------------------------------------------------------------

    def wait_for_turn(self, watched, about):
        """Wait before the next attempt: on the lease ``watched`` (a key, when another run's lease is in the way), else
        with backoff; ``about()`` says what is waited for. False once the deadline has passed."""
        return self.waiter.pause(self.store if watched else None, watched, about)

    def waiting_words(self, module, what, who):
        """The progress line of a waiting task."""
        return '%s: waiting for %s, held by %s' % (module, what, who)

    def held_words(self, what, who):
        """The start of the error of a task that could not get ``what``, held by ``who``."""
        return '%s is held by %s; waited %s s' % (what, who, int(round(self.waiter.waited)))

    def wait_hint(self):
        """What the error of a task that did not wait adds."""
        return '' if self.options.wait_timeout else '; set wait_timeout to wait for it'

    def theirs_to_release(self, what, other_run, detail):
        """The error of a release that found ``what`` held by ``other_run`` of this lease record: left untouched."""
        return OracleError('%s is held by %s; it is theirs to release, so it was left untouched' % (what, other_run_words(other_run)),
                           REASON_LOCK_HELD, detail=detail)
