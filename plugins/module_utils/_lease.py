# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The lease record's names that the lock core and the adapters import, each defined in the file of its concern.

Run identity and the run's key: _lease_run. Credential proofs: _lease_proof. The lease format: _lease_format. Key
names: _lease_key. The interface every backend offers and the standings of a lease: _lease_record.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Re-exported for the files that import them from here (the lock core, the configuration modules, the action
# plugin, the module's main(), the lease lookup); new code imports from the file of the concern.
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import is_lease_key, lease_key, scope_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import ProofInAdvance, make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_record import FREE, ORPHAN, OTHER_RUN, OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import MEMBER_ENV, RUN_ID_ENV, Run, prepare_run_key

__all__ = ['FREE', 'MEMBER_ENV', 'ORPHAN', 'OTHER_RUN', 'OURS', 'RUN_ID_ENV', 'Lease', 'ProofInAdvance', 'Run', 'is_lease_key',
           'lease_key', 'make_proof', 'prepare_run_key', 'scope_key']
