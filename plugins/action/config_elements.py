# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs ``config_element`` in-process on the controller (see plugins/modules/config_element.py for its documentation)."""

from __future__ import annotations

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import CONFIG_ELEMENTS_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element import elements_task
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._action import LockAction


class ActionModule(LockAction):
    MODULE = 'oracle_comms.provisioning.config_elements'
    SPEC = CONFIG_ELEMENTS_SPEC
    BODY = staticmethod(elements_task)
