# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The bodies of ``device_config_element`` (one element staged on the SDM: add, update, delete) and ``device_config_element_info``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import (
    ADD,
    DELETE,
    UPDATE,
    diff_of,
    differing,
    key_of,
    loose_names,
    normalized,
    plan,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config import task_with
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import forget_staged, names_element, record_staged
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_BAD_RESPONSE, OracleError


def sdm_element_type(params):
    """The ``element_type`` option: a top-level type path of the SDM (camelCase, e.g. realmConfig)."""
    element_type = params.get('element_type')
    if not isinstance(element_type, str) or not element_type.strip():
        raise OracleError('element_type is not set: name the SDM element type, e.g. realmConfig', REASON_BAD_INPUT)
    element_type = element_type.strip()
    if '/' in element_type:
        raise OracleError('element_type %s is a sub-element path; give its top-level element type (%s) instead: its sub-elements '
                          'are kept as they are' % (shown(element_type, 80), shown(element_type.split('/')[0], 60)), REASON_BAD_INPUT)
    return element_type


def one_value_each(attributes):
    """OracleError(bad_input) for a list value: an SDM attribute holds one text (several values go into it as the SDM shows them)."""
    listed = sorted(name for name, value in attributes.items() if isinstance(value, list))
    if listed:
        raise OracleError('attribute%s %s: give one text each, as the SDM shows the value (several values in one text, e.g. '
                          '"a b"), not a list' % ('s' if len(listed) > 1 else '', ', '.join(listed)), REASON_BAD_INPUT)


def check_known_sdm(meta, attributes, where):
    unknown = [name for name in attributes if name not in meta.attributes]
    if unknown:
        raise OracleError('%s has no attribute %s according to %s (the SDM names attributes in camelCase); attributes of %s: %s'
                          % (meta.element_type, ', '.join(unknown), where, meta.element_type, ', '.join(meta.attributes)), REASON_BAD_INPUT)


def _current(config, element_type, key, meta):
    """The element ``key`` names, as the SDM shows it (SdmElement), or None."""
    found = [element for element in config.elements(element_type) if not differing(element.attributes, key, meta)]
    if len(found) > 1:
        raise OracleError('%d %s elements on %s match %s; give key_attributes that identify one element'
                          % (len(found), element_type, config.where, ', '.join('%s=%s' % item for item in sorted(key.items()))),
                          REASON_BAD_INPUT)
    return found[0] if found else None


def _decide(config, element_type, key, desired, state, meta):
    """``(current, action, body, after, meta)``: what to stage; the metadata is read here when only it can tell whether a
    value the SDM spells otherwise (case, digits) is the same value."""
    current = _current(config, element_type, key, meta)
    action, body, after = plan(current.attributes if current else None, desired, key, state, meta)
    if action == UPDATE and meta is None and loose_names(current.attributes, desired):
        meta = config.metadata(element_type)
        action, body, after = plan(current.attributes, desired, key, state, meta)
    return current, action, body, after, meta


def stage_change(config, element_type, key, action, body, current, staged_before):
    """Send the staged change; the element as the SDM answers it, or None.

    ``staged_before``: this run staged a change of this element already. An SDM whose reads leave out staged changes
    shows such an element as absent; its add is refused, and the element is updated instead. It also shows an element
    this run staged for deletion as present; deleting it again is refused as not found (404, or 400 as some SDMs
    answer a missing element), and it stays staged for deletion.
    """
    if action == ADD:
        try:
            return config.add(element_type, body)
        except OracleError as exc:
            if staged_before and exc.status in (400, 409):
                return config.update(element_type, body, ())
            if not exc.retryable:
                raise
            # the answer was lost: under this run's device lock nobody else stages, so the element found now is this add
            found = _current(config, element_type, key, None)
            if found is None:
                raise
            return found
    if action == UPDATE:
        return config.update(element_type, body, current.children)
    try:
        config.delete(element_type, key)
    except OracleError as exc:
        if not (staged_before and exc.status in (400, 404)):
            raise
    return None


def stage_recorded(task, lease, config, element_type, key, action, body, current):
    """Stage one change and keep the lease's record of this run's changes true: the element is recorded before the request
    (a change the SDM may stage, its answer lost, is this run's for the push), and forgotten again when the SDM refuses it
    (nothing was staged). The element as the SDM answers it, or None."""
    staged_before = [element_type, key] in lease.sdm_work['staged']
    recorded = record_staged(lease.sdm_work, element_type, key)
    if recorded:
        task.save(lease)
    try:
        answered = stage_change(config, element_type, key, action, body, current, staged_before)
    except OracleError as exc:
        # refused, or an add whose lost answer a read showed never staged: nothing is; an update or delete whose answer
        # was lost may have been staged, and stays recorded
        if recorded and (not exc.retryable or action == ADD):
            forget_staged(lease.sdm_work, element_type, key)
            task.save(lease)
        raise
    if answered is None:
        confirm_staged(config, element_type, key, action, staged_before)
    return answered


def confirm_staged(config, element_type, key, action, staged_before):
    """An SDM that answers a staging call with no element must list the change among the staged ones; else nothing may
    have been staged (a delete of what this run added before leaves no change at all)."""
    if any(names_element(change, element_type, key) for change in config.changes()):
        return
    if action == DELETE and staged_before:
        return
    raise OracleError('the SDM answered the %s of the %s element %s on %s with no element, and its staged changes do not list '
                      'it: it may have staged nothing; run the task again, or look at the staged changes (device_config_push in '
                      'check mode)' % (action, element_type, ', '.join('%s=%s' % item for item in sorted(key.items())) or '(one)',
                                       config.where), REASON_BAD_RESPONSE)


def _stage_element(task, params):
    host = task.host
    element_type = sdm_element_type(params)
    desired = normalized(params.get('attributes') or {})
    one_value_each(desired)
    state = params.get('state') or 'present'
    given_keys = [name.strip() for name in (params.get('key_attributes') or []) if name and name.strip()]
    if state == 'present' and not desired:
        raise OracleError('attributes is empty: give at least the key attributes of the %s element' % element_type, REASON_BAD_INPUT)
    with task.held() as (lease, config):
        meta = None
        if not given_keys:
            meta = config.metadata(element_type)
            check_known_sdm(meta, desired, config.where)
        singleton = bool(meta and meta.singleton and not given_keys)
        key = key_of(element_type, [] if singleton else (given_keys or list(meta.keys)), desired, singleton=singleton)
        current, action, body, after, meta = _decide(config, element_type, key, desired, state, meta)
        if action is not None and not host.check_mode:
            if task.begin_work(lease, config):
                # the SDM's copy was just brought in line with the device: decide on what it holds now
                current, action, body, after, meta = _decide(config, element_type, key, desired, state, meta)
            if action is not None:
                answered = stage_recorded(task, lease, config, element_type, key, action, body, current)
                if action != DELETE and answered is not None and answered.attributes:
                    after = answered.attributes
    result = dict(changed=action is not None, element_type=element_type, key=key, state=state, action=action,
                  element=after if after is not None else {}, device_id=task.device_id)
    if host.diff:
        result['diff'] = diff_of(current.attributes if current else None, after)
    return result


def stage_element(params, host, redactor):
    """What ``device_config_element`` does with validated ``params``: its result.

    The element is compared with what the SDM shows for the device (the values as the metadata types them) and
    staged only when it differs; nothing reaches the device until ``device_config_push``. The first change of the
    run on a device starts the SDM's provisioning session (``loadConfig``) and notes what was staged before.
    """
    return task_with(_stage_element, params, host, redactor)


def _read_elements(task, params):
    element_type = sdm_element_type(params)
    filters = normalized(params.get('filters') or {})
    config = task.config()
    elements = [element.attributes for element in config.elements(element_type) if not differing(element.attributes, filters)]
    return dict(changed=False, element_type=element_type, elements=elements, device_id=task.device_id)


def read_elements(params, host, redactor):
    """What ``device_config_element_info`` does with validated ``params``: the elements of a type the SDM shows for the
    device (staged changes of this user as the SDM applies them to its reads), those matching ``filters``."""
    return task_with(_read_elements, params, host, redactor)
