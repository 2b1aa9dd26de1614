# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes every lock module shares: desired state, waiting, the lease record."""

    DOCUMENTATION = r'''
options:
  state:
    description:
      - V(locked) takes the lock, or keeps it when this run already holds it with the same credentials.
        Another user, even in the same run, is another client, which waits like anyone else. The same user with
        a password that is not the one that took the lock fails with V(auth_failed).
      - Several inventory hosts of one run that lock the same device share the lock (RV(holders)).
      - V(unlocked) gives back a lock this run holds; while other hosts of the run still hold it, this host
        only lets go of it, and the last one gives it back on the device. A release never asks for the lock,
        not even to find out who holds it. What the device refuses to give back is not this run's, and the
        task reports it unchanged (RV(holder) says who holds it where the device's answer names them, else
        V(unknown)). A lock another run on this controller holds is left alone, and the task fails.
      - The lease record forgets a lock only once the device has said it is gone; a release that fails on the
        network or with a server error keeps it (RV(lease_kept)), for the keeper or a later release.
    type: str
    choices: [locked, unlocked]
    default: locked
  wait_timeout:
    description:
      - Seconds to wait while someone else holds the lock. V(0) fails at once.
      - Waiting backs off from 0.1 s to about one request a second against the device, and watches the
        lease record when the holder is another run on this controller, so a release there is seen at once.
    type: float
    default: 0
  release_on_exit:
    description:
      - Give the lock back when the run ends still holding it because it was interrupted (SIGINT, SIGTERM),
        cancelled (ansible-runner, AWX) or killed, or because the play never released it.
      - The first lock a run takes on a device starts a small keeper process on the controller, in a session
        of its own, that watches the C(ansible-playbook) process and releases what the run still holds when it
        is gone. For an SBC lock, while the run lives, the keeper also re-authenticates its token before it expires.
        It exits once the run holds nothing on that device.
      - Set V(false) to keep a lock after the run for a later run to adopt from the lease record
        (SBC locks last until their token expires). An SBC lock still gets its keeper, which renews the token while
        the run lives and leaves the lock in place when the run ends.
      - Only where the module runs in-process on the controller; a task delegated to another host has no keeper.
      - If not set, the environment variable E(ORACLE_COMMS_RELEASE_ON_EXIT) is used.
    type: bool
    default: true
notes:
  - The module runs in-process on the controller through its action plugin, and does not connect to the inventory host.
    When the task is delegated to another host, the module runs there, with its lease record on that host.
  - Neither Oracle lock can be read back, so the lease record is what tells this run's locks from others'.
    See the operator guide in the collection's docs for the guarantees per failure case.
  - On failure the result carries RV(reason), a machine-readable word (for example V(lock_held),
    V(auth_failed), V(forbidden), V(tls), V(not_found), V(api_version), V(network), V(bad_response), V(server_error),
    V(lock_lost), V(bad_input), V(lease_error)), and RV(retryable), true when trying again later may succeed
    (V(network), V(server_error), V(bad_response); the answer was lost or the device was not well).
requirements:
  - requests
  - defusedxml
  - etcd3gw (only with O(lease_backend=etcd))
attributes:
  check_mode:
    support: full
    description: Predicts from the lease record; changes nothing on the device (a sign-in may prove the credentials).
  diff_mode:
    support: full
    description: Shows the holder before and after.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller, or on the host the task is delegated to.
'''
