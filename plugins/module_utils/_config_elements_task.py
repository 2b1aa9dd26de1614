# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The body of ``config_elements``: a list of elements of one type, reconciled in one task under this run's lock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import (
    ADD,
    UPDATE,
    check_known,
    element_type_of,
    matching,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_element_task import added_element, warn_if_not_as_asked
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
    named,
    predict_added,
    refuse_destructive,
    send_in_order,
    steps_for,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import element_body, element_nodes, parse_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import parse_xml

#: Attributes the SBC writes itself on every change: never reset by ``replaced``, never compared.
SBC_WRITTEN = ('last-modified-by', 'last-modified-date')
_KEYS_HINT = 'give key_attributes (the attributes that identify one element of this type)'


def _offline(params, state, element_type):
    """``rendered`` (the bodies ``merged`` would POST to an SBC without these elements) or ``parsed`` (``running_config``,
    an SBC's answer or a saved configElement list, as ``config``); no device is reached."""
    if state == RENDERED:
        # no device to read the key attributes from: checked only when key_attributes names them
        bodies = [attributes for _key, attributes in listed(params.get('config'), element_type, given_keys(params) or None, False, RENDERED)]
        return dict(changed=False, element_type=element_type, rendered=[element_body(element_type, body) for body in bodies])
    text = params.get('running_config')
    if not isinstance(text, str) or not text.strip():
        raise OracleError('state=parsed needs running_config: the XML of a configElements answer or a saved list of configElement',
                          REASON_BAD_INPUT)
    root = parse_xml(text)
    if root is None:
        raise OracleError('running_config is not XML; give the configElements answer as the SBC sent it', REASON_BAD_INPUT)
    try:
        parsed = _of_type(root, element_type)
    except RecursionError:
        raise OracleError('running_config nests elements too deeply to be a configElements answer', REASON_BAD_INPUT) from None
    return dict(changed=False, element_type=element_type, parsed=parsed)


def _of_type(root, element_type):
    """The elements of ``element_type`` under ``root`` (an element that names another type is left out)."""
    found = []
    for node in element_nodes(root):
        named_type = (node.findtext('elementType') or '').strip()
        if not named_type or named_type == element_type:
            found.extend(parse_elements(node))
    return found


def _apply(config, host, element_type, steps, singleton, meta):
    """Send ``steps`` in order (see ``send_in_order``); the elements as answered (key name -> element, None when an answer
    carried none) and the number of steps that changed the SBC."""
    answered = {}

    def send(step):
        if step.action == ADD:
            answered[named(step.key)] = added_element(config, element_type, step.key, step.body, singleton)
        elif step.action == UPDATE:
            element = answered[named(step.key)] = config.update(element_type, step.body)
            if element is not None:
                warn_if_not_as_asked(host, element_type, element, step.body, meta)
            # an update the SBC answers with the element as it was changed nothing
            return element is None or any(element.get(name) != step.before.get(name) for name in step.body if name not in step.key)
        elif config.delete(element_type, step.key) is False:
            host.warn('the answer to deleting the %s element %s was lost on the way; it is gone, so this task deleted it'
                      % (element_type, named(step.key)))
        if step.action == ADD and answered[named(step.key)] is not None:
            warn_if_not_as_asked(host, element_type, answered[named(step.key)], step.body, meta)
        return True

    return answered, send_in_order(steps, element_type, send)


def _defaults(config, element_type, quiet=False):
    """The type's attributes at their defaults (the SBC's template), less those the SBC writes itself; ``quiet``: {} when
    the template cannot be read (a prediction then shows what is asked only)."""
    try:
        return dict((name, value) for name, value in config.template(element_type).items() if name not in SBC_WRITTEN)
    except OracleError:
        if not quiet:
            raise
        return {}


def _read(config, element_type, keys_given, state):
    """The type's metadata (None when key_attributes are given and the state needs none) and every element of the type."""
    meta = None
    if not keys_given or state in (OVERRIDDEN, DELETED):
        meta = config.metadata(element_type, _KEYS_HINT) if not keys_given else _readable_metadata(config, element_type)
    return meta, config.every(element_type)


def _readable_metadata(config, element_type):
    try:
        return config.metadata(element_type, _KEYS_HINT)
    except OracleError:
        return None  # only asked to know a singleton: the SBC refuses a delete of one anyway


def change_elements(params, host, redactor, under_lock):
    """What ``config_elements`` does with validated ``params``: its result.

    One metadata read, one read of the type's elements (all pages), the template only when ``replaced`` or
    ``overridden`` must reset an element that exists, then only the requests that change something, in order.
    ``changed`` is what the SBC answered. A refusal stops the task: OracleError with ``commands`` (what was sent)
    and ``not_applied`` (the rest); whatever was sent is noted in the lease for config_commit.
    """
    state = params.get('state') or 'merged'
    element_type = element_type_of(params)
    if state in (RENDERED, PARSED):
        return _offline(params, state, element_type)
    keys_given = given_keys(params)
    task = under_lock(params, host, redactor, 'config_elements')
    try:
        if state == GATHERED:
            with task.reader() as config:
                return dict(changed=False, element_type=element_type, gathered=config.every(element_type))
        with task.held() as (lease, config):
            meta, current = _read(config, element_type, keys_given, state)
            singleton = bool(meta and meta.singleton and not keys_given)
            keys = [] if singleton else (keys_given or list(meta.keys))
            items = listed(params.get('config'), element_type, keys, singleton, state)
            if not keys_given:
                for _key, attributes in items:
                    check_known(meta, attributes)
            refuse_destructive(state, element_type, items, meta, 'SBC')
            defaults = {}
            if state in (REPLACED, OVERRIDDEN) and any(matching(current, key, meta) for key, _attributes in items):
                defaults = _defaults(config, element_type)
            steps, after = steps_for(state, element_type, current, items, meta, defaults,
                                     lambda element: dict((name, element.get(name) or '') for name in keys))
            if host.check_mode and any(step.action == ADD for step in steps):
                predict_added(steps, defaults or _defaults(config, element_type, quiet=True))
            result = dict(element_type=element_type, state=state, key_attributes=keys, before=current,
                          commands=[step.command(element_type) for step in steps])
            changed = bool(steps)
            if steps and not host.check_mode:
                try:
                    answered, count = _apply(config, host, element_type, steps, singleton, meta)
                except OracleError as exc:
                    if (exc.detail or {}).get('changed'):
                        task.remember_change(lease)
                    raise
                changed = count > 0
                if changed:
                    task.remember_change(lease)
                if any(answer is None for answer in answered.values()):
                    after = config.every(element_type)  # an answer without the element: the SBC's list is the truth
                else:
                    after = _answered_after(after, steps, answered)
        result.update(changed=changed, after=after)
        if host.diff:
            result['diff'] = {'before': by_key(current, keys), 'after': by_key(after, keys)}
        return result
    finally:
        task.close()


def _answered_after(after, steps, answered):
    """The planned list with each added or updated element as the SBC answered it."""
    by_after = dict((id(step.after), answered.get(named(step.key))) for step in steps if step.action in (ADD, UPDATE))
    return [by_after.get(id(element)) or element for element in after]
