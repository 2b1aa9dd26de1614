# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Resource-module states over a list of elements of one type: what each state asks, as a list of steps.

Pure functions: the elements as the device has them and the list asked for go in, the steps (add, update,
delete) and the list as it will be come out. ansible.netcommon's meanings: ``merged`` adds and updates the
listed attributes; ``replaced`` makes each listed element exactly as given (attributes not given return to
their defaults); ``overridden`` does that and deletes every element of the type not listed; ``deleted``
deletes the listed elements, or every element of the type when none is listed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import (
    ADD,
    DELETE,
    UPDATE,
    differing,
    key_of,
    matching,
    normalized,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError

MERGED, REPLACED, OVERRIDDEN, DELETED = 'merged', 'replaced', 'overridden', 'deleted'
GATHERED, RENDERED, PARSED = 'gathered', 'rendered', 'parsed'
#: States that change the device, states that only read it, states that never reach it.
CHANGING = (MERGED, REPLACED, OVERRIDDEN, DELETED)
OFFLINE = (RENDERED, PARSED)


class Step:
    """One request to send: ``action`` (ADD, UPDATE, DELETE) on the element ``key`` names, with ``body``; ``before`` and
    ``after`` are the element as the device has it now and as it will be (None: absent)."""

    def __init__(self, action, key, body, before, after):
        self.action = action
        self.key = key
        self.body = body
        self.before = before
        self.after = after

    def command(self, element_type):
        """The step as one line, in the order and words of the request: ``update realm-config identifier=core: description=x``."""
        what = '%s %s %s' % (self.action, element_type, named(self.key))
        if self.action == DELETE:
            return what
        sent = ', '.join('%s=%s' % (name, _value(value)) for name, value in self.body.items() if name not in self.key)
        return '%s: %s' % (what, sent) if sent else what


def _value(value):
    """A value as a command line shows it: the text, a list of values in brackets, cut at 80 characters."""
    text = '[%s]' % ', '.join(value) if isinstance(value, list) else value
    return text if len(text) <= 80 else text[:77] + '...'


def named(key):
    """``identifier=core`` for a key (name -> text), ``(the one of its type)`` for a singleton's empty key."""
    return ', '.join('%s=%s' % item for item in sorted(key.items())) or '(the one of its type)'


def listed(config, element_type, keys, singleton, state):
    """The elements ``config`` asks for, as ``[(key, attributes)]``; OracleError(bad_input) for an item that is no mapping,
    lacks a key attribute, or names the same element as another item.

    With ``deleted`` only the key attributes of an item are used; with ``keys`` None (unknown) no key is checked.
    """
    if config is None:
        return []
    if not isinstance(config, list):
        raise OracleError('config must be a list of elements (each a mapping of attribute name to value)', REASON_BAD_INPUT)
    items, seen = [], {}
    for number, item in enumerate(config, 1):
        if not isinstance(item, dict):
            raise OracleError('config item %d must be a mapping of attribute name to value, not %s' % (number, shown(item, 40)),
                              REASON_BAD_INPUT)
        attributes = normalized(item)
        if keys is None:  # keys unknown (rendered without key_attributes): nothing to check
            items.append(({}, attributes))
            continue
        key = key_of(element_type, keys, attributes, singleton=singleton)
        name = tuple(sorted(key.items()))
        if name in seen:
            raise OracleError('config items %d and %d both name the %s element %s; give each element once'
                              % (seen[name], number, element_type, named(key)), REASON_BAD_INPUT)
        seen[name] = number
        items.append((key, dict(key) if state == DELETED else attributes))
    if singleton and len(items) > 1:
        raise OracleError('%s has one element only (the SBC says it is a singleton); config lists %d'
                          % (element_type, len(items)), REASON_BAD_INPUT)
    return items


def given_keys(params):
    """The ``key_attributes`` option, stripped, empty names left out ([] when not given)."""
    return [name.strip() for name in (params.get('key_attributes') or []) if name and name.strip()]


def refuse_destructive(state, element_type, items, meta, where):
    """OracleError(bad_input) before anything is sent when ``state`` would delete a singleton (one element that always
    exists on the device ``where`` names): ``deleted``, or ``overridden`` with no items."""
    if meta is not None and meta.singleton and (state == DELETED or (state == OVERRIDDEN and not items)):
        raise OracleError('%s is a singleton on this %s (one element, always there): state=%s would delete it; use state=replaced'
                          % (element_type, where, state), REASON_BAD_INPUT)


def by_key(elements, keys):
    """Elements as a mapping from their key (``identifier=core``) to their attributes, for Ansible's diff."""
    return dict((named(dict((name, element.get(name) or '') for name in keys)), element) for element in elements)


def _the_one(current, key, meta, element_type):
    found = matching(current, key, meta)
    if len(found) > 1:
        raise OracleError('%d %s elements match %s; give key_attributes that identify one element'
                          % (len(found), element_type, named(key)), REASON_BAD_INPUT)
    return found[0] if found else None


def _update(before, desired, key, meta):
    """The UPDATE step that makes ``before`` hold ``desired`` (None when it already does)."""
    changes = differing(before, desired, meta)
    if not changes:
        return None
    body = dict(key)
    body.update(changes)
    after = dict(before)
    after.update(changes)
    return Step(UPDATE, key, body, before, after)


def exactly(attributes, key, defaults):
    """``attributes`` with every other attribute of ``defaults`` (the type's template) at its default: what ``replaced``
    asks of an element. Key attributes are never reset."""
    desired = dict((name, value) for name, value in defaults.items() if name not in key and name not in attributes)
    desired.update(attributes)
    return desired


def steps_for(state, element_type, current, items, meta=None, defaults=None, keys_of=None):
    """The steps ``state`` asks for, in the order to send them, and the list of elements as it will be.

    ``current`` is every element of the type as the device has it, ``items`` what ``listed`` returned, ``meta``
    the type's ElementMeta (None: not read), ``defaults`` the type's default attributes (needed by ``replaced`` and
    ``overridden`` for an element that exists), ``keys_of(element)`` the key of an element the device has (for
    ``overridden`` and ``deleted`` without items). ``overridden`` deletes first, so that an element asked for may
    take what a deleted one held (an address, a port).
    """
    steps, kept = [], [dict(element) for element in current]
    if state == OVERRIDDEN or (state == DELETED and not items):
        wanted = [key for key, _attributes in items]
        for element in current:
            key = keys_of(element)
            if not any(not differing(element, one, meta) for one in wanted):
                steps.append(Step(DELETE, key, dict(key), element, None))
    if state == DELETED:
        for key, _attributes in items:
            before = _the_one(current, key, meta, element_type)
            if before is not None:
                steps.append(Step(DELETE, key, dict(key), before, None))
    else:
        for key, attributes in items:
            before = _the_one(current, key, meta, element_type)
            if before is None:
                steps.append(Step(ADD, key, dict(attributes), None, dict(attributes)))
                continue
            desired = attributes if state == MERGED else exactly(attributes, key, defaults or {})
            step = _update(before, desired, key, meta)
            if step is not None:
                steps.append(step)
    return steps, after_steps(kept, steps)


def predict_added(steps, defaults):
    """In check mode: each element ``steps`` would add, as the device would hold it (``defaults``, the type's attributes at
    their defaults, under what is asked); changed in place, so the list ``steps_for`` returned shows them too."""
    for step in steps:
        if step.action == ADD:
            asked = dict(step.after)
            step.after.clear()
            step.after.update(defaults)
            step.after.update(asked)


def after_steps(elements, steps):
    """``elements`` (as read) with ``steps`` done: updated in place, deleted ones gone, added ones at the end."""
    result = list(elements)
    for step in steps:
        where = next((number for number, element in enumerate(result) if step.before is not None and element == step.before), None)
        if step.action == DELETE and where is not None:
            del result[where]
        elif step.action == UPDATE and where is not None:
            result[where] = step.after
        elif step.action == ADD:
            result.append(step.after)
    return result


def send_in_order(steps, element_type, send):
    """Send ``steps`` in order with ``send(step)`` (returns whether the device changed); the number that changed it.

    The first refusal (OracleError) stops the list: it is raised again with ``commands`` (what was sent),
    ``not_applied`` (the rest, the refused one first), ``failed_command``, and ``changed`` when anything changed.
    """
    changed = 0
    for number, step in enumerate(steps):
        try:
            changed += 1 if send(step) else 0
        except OracleError as exc:
            left = [one.command(element_type) for one in steps[number:]]
            exc.msg = '%s (after %d of %d changes; nothing is undone, and the lock stays held)' % (exc.msg, number, len(steps))
            exc.detail = dict(exc.detail or {}, commands=[one.command(element_type) for one in steps[:number]], not_applied=left,
                              failed_command=left[0])
            if changed:
                exc.detail['changed'] = True
            raise
    return changed
