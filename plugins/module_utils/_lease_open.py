# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Which lease record a task uses: the file backend, or etcd shared by many controllers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore

#: The environment variable that selects the lease backend for every task that does not set ``lease_backend``.
BACKEND_ENV = 'ORACLE_COMMS_LEASE_BACKEND'


def _etcd_record_class():
    # Imported here, not at the top: with ORACLE_COMMS_LEASE_BACKEND=file nothing loads etcd3gw (about 90 ms a run).
    # Without etcd3gw installed the import still succeeds; the record says what is missing when a task uses it.
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_etcd import EtcdLeaseRecord
    return EtcdLeaseRecord


def prepare_backend(environ=None):
    """In ansible-playbook's own process, before it forks the workers of its tasks: import the etcd backend (and etcd3gw,
    where it is installed) so that each task's worker inherits it, unless the environment selects the file backend.

    A task may select etcd by its own ``lease_backend`` option, which this process cannot see: a worker that had to
    import etcd3gw itself would pay 50 to 100 ms on every task. ``ORACLE_COMMS_LEASE_BACKEND=file`` spares a run that
    never uses etcd the import (about 90 ms at start, etcd3gw and what it pulls in).
    """
    if (environ if environ is not None else os.environ).get(BACKEND_ENV, '').strip() != 'file':
        _etcd_record_class()


def open_lease_record(lease_options, lease_dir, warn=None, create=True):
    """The lease record ``lease_options`` (_options.LeaseOptions) names.

    ``file``: the LeaseStore of ``lease_dir``. ``etcd``: an EtcdLeaseRecord, with that LeaseStore kept for the local
    copy of each lease; either way ``record.local`` is this controller's own files there (keeper pid files,
    keeper.log, refresh requests, markers). Nothing is sent to etcd here.
    """
    files = LeaseStore(lease_dir, warn=warn, create=create)
    if lease_options is None or lease_options.backend != 'etcd':
        return files
    try:
        record_class = _etcd_record_class()
        return record_class(lease_options.endpoints, files, ttl=lease_options.ttl, ca_path=lease_options.ca_path,
                            client_cert=lease_options.client_cert, client_key=lease_options.client_key,
                            username=lease_options.username, password=lease_options.password, warn=warn,
                            store_token=lease_options.store_token)
    except BaseException:
        files.close()
        raise
