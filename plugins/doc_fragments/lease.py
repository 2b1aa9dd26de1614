# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Where the lease record is kept: the lock modules and the modules that work under their lock share these options."""

    DOCUMENTATION = r'''
options:
  lease_dir:
    description:
      - Directory of the lease record, where this controller remembers the locks it holds (created 0700, files 0600).
      - It must be a real directory owned by the user running the task and not writable by group or others;
        its permissions are never changed. Anything else fails with V(lease_error) before any traffic.
      - Use a persistent path in AWX execution environments so that a later job can recover a lock a cancelled one left.
      - If not set, the environment variable E(ORACLE_COMMS_LEASE_DIR) is used, else C(~/.ansible/oracle_comms/leases).
    type: path
  lease_backend:
    description:
      - Where the lease record is kept. V(file) is the O(lease_dir) of this controller. V(etcd) is an etcd cluster
        shared by every controller that names it, so that jobs of one account on several controllers (AWX execution
        nodes, container pods) never hold one lock at the same time.
      - With V(etcd), deciding about a lock is an etcd transaction, a run is alive while its keeper keeps an etcd lease
        of O(lease_ttl) seconds alive, and what a run took outlives it so that the next run can recover it.
        Keeper pid files and C(keeper.log) stay in O(lease_dir).
      - If not set, the environment variable E(ORACLE_COMMS_LEASE_BACKEND) is used.
    type: str
    choices: [file, etcd]
    default: file
  lease_ttl:
    description:
      - Seconds after which a controller that died (its run and keeper killed, its container torn down) counts as gone
        for the other controllers, which may then recover its locks. Only with O(lease_backend=etcd); whole seconds, at least 2.
      - If not set, the environment variable E(ORACLE_COMMS_LEASE_TTL) is used.
    type: float
    default: 15
  lease_etcd_endpoints:
    description:
      - Client URLs of the etcd cluster (etcd 3.4 or later), for example V(https://etcd1:2379); the first that answers is used.
      - C(https://) by default; C(http://) only on a loopback address or with O(lease_etcd_allow_http).
      - Required with O(lease_backend=etcd). If not set, the environment variable E(ORACLE_COMMS_ETCD_ENDPOINTS)
        (comma-separated) is used.
    type: list
    elements: str
  lease_etcd_ca_path:
    description:
      - PEM file of the CA certificate(s) to trust for etcd, instead of the system's trust store.
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_CA_PATH) is used.
    type: path
  lease_etcd_client_cert:
    description:
      - PEM file of the client certificate to present to etcd; needs O(lease_etcd_client_key).
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_CLIENT_CERT) is used.
    type: path
  lease_etcd_client_key:
    description:
      - PEM file of the private key of O(lease_etcd_client_cert).
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_CLIENT_KEY) is used.
    type: path
  lease_etcd_username:
    description:
      - etcd user to sign in as (etcd authentication); needs O(lease_etcd_password).
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_USERNAME) is used.
    type: str
  lease_etcd_password:
    description:
      - Password of O(lease_etcd_username).
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_PASSWORD) is used.
    type: str
  lease_etcd_allow_http:
    description:
      - Allow C(http://) etcd endpoints on other hosts than this one (the lease record, and for the SBC its token,
        then cross the network unencrypted). Only on a network you trust.
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_ALLOW_HTTP) is used.
    type: bool
    default: false
  lease_etcd_store_token:
    description:
      - Also keep the SBC token of a configuration lock in etcd. It is a secret that holds the lock, so by default it
        stays in this controller's lease directory only, and etcd holds the rest of the lease.
      - With V(true), another controller can adopt or give back the SBC lock of a controller that died, within
        O(lease_ttl). With V(false), it cannot; it asks the SBC like any other client, which frees that lock when the
        token expires (10 minutes after it was issued, unless the SBC is set otherwise).
      - Has no effect on M(oracle_comms.provisioning.device_lock), whose SDM lock needs no token.
      - If not set, the environment variable E(ORACLE_COMMS_ETCD_STORE_TOKEN) is used.
    type: bool
    default: false
'''
