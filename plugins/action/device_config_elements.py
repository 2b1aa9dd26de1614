# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs ``device_config_element`` in-process on the controller (see plugins/modules/device_config_element.py for its documentation)."""

from __future__ import annotations

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import DEVICE_CONFIG_ELEMENTS_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_elements_task import stage_elements
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._action import DeviceConfigAction


class ActionModule(DeviceConfigAction):
    MODULE = 'oracle_comms.provisioning.device_config_elements'
    SPEC = DEVICE_CONFIG_ELEMENTS_SPEC
    BODY = staticmethod(stage_elements)
