# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: lock_session_options
short_description: The module options a lock session's variables set, and only those
version_added: 0.2.0
description:
  - Given the options of M(oracle_comms.provisioning.config_lock) or M(oracle_comms.provisioning.device_lock) mapped to
    the values of the role's C(lock_session_*) variables, returns those that are set. A value that is null, or the play's
    C(omit), counts as not set and is left out.
  - The role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    passes the result as C(module_defaults) for the module itself, so that an option the play did not set
    is filled as for a bare task, from C(module_defaults) for the group, else from the environment.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
positional: omit
options:
  _input:
    description: Option names mapped to the values of the variables that set them.
    type: dict
    required: true
  omit:
    description: The play's C(omit); a value equal to it counts as not set.
    type: raw
'''

EXAMPLES = r'''
- name: Lock the configuration with the options the play set, the others from module_defaults
  oracle_comms.provisioning.config_lock:
    state: locked
  module_defaults:
    oracle_comms.provisioning.config_lock: >-
      {{ {'host': sbc_host | default(none), 'wait_timeout': wait | default(none)}
         | oracle_comms.provisioning.lock_session_options(omit) }}
'''

RETURN = r'''
_value:
  description: The options whose values are set, with those values.
  type: dict
'''

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._filter import ansible_filter
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import LockSessionError, module_options

lock_session_options = ansible_filter(module_options, LockSessionError)


class FilterModule(object):
    """``oracle_comms.provisioning.lock_session_options``."""

    def filters(self):
        return {'lock_session_options': lock_session_options}
