# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The body of ``device_config_elements``: a list of elements of one type staged on the SDM in one task, under this run's
device lock, with the resource-module states of ``config_elements``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import ADD, DELETE, UPDATE, matching
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_list import (
    DELETED,
    GATHERED,
    OVERRIDDEN,
    PARSED,
    RENDERED,
    REPLACED,
    by_key,
    given_keys,
    listed,
    predict_added,
    refuse_destructive,
    send_in_order,
    steps_for,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config import task_with
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_element_task import (
    check_known_sdm,
    one_value_each,
    sdm_element_type,
    stage_recorded,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config_xml import FLAT, element_body, parse_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml


def _items(params, element_type, keys, singleton, state):
    items = listed(params.get('config'), element_type, keys, singleton, state)
    for _key, attributes in items:
        one_value_each(attributes)
    return items


def _offline(params, state, element_type):
    """``rendered`` (the bodies that staging the listed elements as additions would send) or ``parsed`` (``running_config``,
    a configElements answer of the SDM in either list shape, as ``config``); no SDM is reached."""
    if state == RENDERED:
        items = _items(params, element_type, given_keys(params) or None, False, RENDERED)
        return dict(changed=False, element_type=element_type, rendered=[element_body(element_type, attributes, FLAT) for _key, attributes in items])
    text = params.get('running_config')
    if not isinstance(text, str) or not text.strip():
        raise OracleError('state=parsed needs running_config: the XML of a configElements answer of the SDM', REASON_BAD_INPUT)
    root = parse_xml(text)
    if root is None:
        raise OracleError('running_config is not XML; give the configElements answer as the SDM sent it', REASON_BAD_INPUT)
    try:
        parsed = [element.attributes for element in parse_elements(root) if element.element_type in ('', element_type)]
    except OracleError as exc:  # sub-elements nested deeper than any element type has
        raise OracleError('running_config: %s' % exc.msg, REASON_BAD_INPUT) from None
    return dict(changed=False, element_type=element_type, parsed=parsed)


def _metadata(config, element_type, keys_given, state):
    """The type's metadata: always without key_attributes; with them only to know a singleton before deleting (unreadable:
    None, and the SDM refuses such a delete itself)."""
    if not keys_given:
        return config.metadata(element_type)
    if state not in (OVERRIDDEN, DELETED):
        return None
    try:
        return config.metadata(element_type)
    except OracleError:
        return None


def _defaults(config, element_type, quiet=False):
    """The type's attributes at their defaults (``configElements/create``); ``quiet``: {} when they cannot be read."""
    try:
        return config.create(element_type).attributes
    except OracleError:
        if not quiet:
            raise
        return {}


def _plan(config, element_type, items, state, meta, keys, check_mode=False):
    """The SDM's elements of the type (SdmElements), and the steps and list ``state`` asks for."""
    elements = config.elements(element_type)
    current = [element.attributes for element in elements]
    defaults = {}
    if state in (REPLACED, OVERRIDDEN) and any(matching(current, key, meta) for key, _attributes in items):
        defaults = _defaults(config, element_type)
    steps, after = steps_for(state, element_type, current, items, meta, defaults,
                             lambda element: dict((name, element.get(name) or '') for name in keys))
    if check_mode and any(step.action == ADD for step in steps):
        predict_added(steps, defaults or _defaults(config, element_type, quiet=True))
    return elements, steps, after


def _stage_all(task, lease, config, element_type, steps, elements):
    """Stage ``steps`` in order, each recorded in the lease as this run's before it is sent (see ``stage_recorded`` and
    ``send_in_order``)."""
    children = dict((id(element.attributes), element) for element in elements)

    def send(step):
        current = children.get(id(step.before)) if step.action == UPDATE else None
        answered = stage_recorded(task, lease, config, element_type, step.key, step.action, step.body, current)
        if answered is not None and step.action != DELETE and answered.attributes:
            step.after.clear()
            step.after.update(answered.attributes)
        return True

    return send_in_order(steps, element_type, send)


def _stage_elements(task, params):
    state = params.get('state') or 'merged'
    element_type = sdm_element_type(params)
    keys_given = given_keys(params)
    if state == GATHERED:
        elements = task.config().elements(element_type)
        return dict(changed=False, element_type=element_type, gathered=[element.attributes for element in elements],
                    device_id=task.device_id)
    with task.held() as (lease, config):
        meta = _metadata(config, element_type, keys_given, state)
        singleton = bool(meta and meta.singleton and not keys_given)
        keys = [] if singleton else (keys_given or list(meta.keys))
        items = _items(params, element_type, keys, singleton, state)
        if not keys_given:
            for _key, attributes in items:
                check_known_sdm(meta, attributes, config.where)
        refuse_destructive(state, element_type, items, meta, 'device')
        elements, steps, after = _plan(config, element_type, items, state, meta, keys, task.host.check_mode)
        before = [element.attributes for element in elements]
        if steps and not task.host.check_mode and task.begin_work(lease, config):
            # the SDM's copy was just brought in line with the device: decide on what it holds now
            elements, steps, after = _plan(config, element_type, items, state, meta, keys)
            before = [element.attributes for element in elements]
        result = dict(element_type=element_type, state=state, key_attributes=keys, before=before, device_id=task.device_id,
                      commands=[step.command(element_type) for step in steps], changed=bool(steps))
        if steps and not task.host.check_mode:
            _stage_all(task, lease, config, element_type, steps, elements)
    result['after'] = after
    if task.host.diff:
        result['diff'] = {'before': by_key(before, keys), 'after': by_key(after, keys)}
    return result


def stage_elements(params, host, redactor):
    """What ``device_config_elements`` does with validated ``params``: its result.

    One metadata read, one read of the type's elements as the SDM shows them, the type's defaults
    (``configElements/create``) only when ``replaced`` or ``overridden`` resets an element that exists, then one
    staged change per difference, each recorded in the lease as this run's. Nothing reaches the device until
    ``device_config_push``. A refusal stops the list (see ``send_in_order``); ``rendered`` and ``parsed`` reach no SDM.
    """
    state = params.get('state') or 'merged'
    if state in (RENDERED, PARSED):
        return _offline(params, state, sdm_element_type(params))
    return task_with(_stage_elements, params, host, redactor)
