# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """What the SBC configuration modules share: the token life of the lock they work under, and how they run."""

    DOCUMENTATION = r'''
options:
  token_lifetime:
    description:
      - Seconds an SBC token lives, as for P(oracle_comms.provisioning.config_lock#module); used when the token of the
        lock is re-authenticated past half its life.
      - If not set, the environment variable E(SBC_TOKEN_LIFETIME) is used.
    type: float
    default: 600
attributes:
  action:
    support: full
    description: Runs in-process on the controller through its action plugin.
  action_group:
    support: full
    description: Use C(group/oracle_comms.provisioning.GROUP) in C(module_defaults) to set options for the whole group.
    membership:
      - oracle_comms.provisioning.sbc
'''
