# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The body of ``config_element``: one element read, compared and changed (add, update, delete) under this run's lock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import (
    ADD,
    UPDATE,
    check_known,
    diff_of,
    element_type_of,
    key_of,
    loose_names,
    loosely_same,
    matching,
    normalized,
    plan,
    same_value,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_BAD_RESPONSE, OracleError


def _the_one(found, element_type, key):
    if len(found) > 1:
        raise OracleError('%d %s elements match %s; give key_attributes that identify one element'
                          % (len(found), element_type, ', '.join('%s=%s' % item for item in sorted(key.items()))), REASON_BAD_INPUT)
    return found[0] if found else None


#: How config_element goes on without metadata it cannot read.
_KEYS_HINT = 'give key_attributes (the attributes that identify one element of this type) and the task needs no metadata'


def metadata_if_readable(config, element_type):
    """The type's metadata, or None when the SBC answers it in no shape we read: the values are then compared as text,
    and the SBC's answer to the update says whether it changed anything."""
    try:
        return config.metadata(element_type, _KEYS_HINT)
    except OracleError as exc:
        if exc.reason != REASON_BAD_RESPONSE:
            raise
        return None


def settled(config, element_type, key, answered):
    """The element as the SBC has it after a change: its answer, or (an answer without the element) a read of it."""
    if answered is not None:
        return answered
    found = matching(config.find(element_type, key, type_known=True), key, None)
    return found[0] if len(found) == 1 else None


def _named(key):
    return ', '.join('%s=%s' % item for item in sorted(key.items())) or '(the one of its type)'


def added_element(config, element_type, key, body, singleton):
    """Add the element and return it as the SBC has it (None when it cannot say).

    A singleton is made as Oracle documents: a POST of its type alone, then a PUT of the attributes. When the answer to
    the POST is lost on the way (the SBC may have added it), the element is read again: found, it was this task's add.
    """
    try:
        answered = config.add(element_type, {} if singleton else body)
    except OracleError as exc:
        if not exc.retryable:
            raise
        try:
            found = matching(config.find(element_type, key, type_known=True), key, None)
        except OracleError:
            raise exc
        if len(found) != 1:
            raise
        answered = found[0]
    if singleton:
        answered = config.update(element_type, body)
    return settled(config, element_type, key, answered)


def warn_if_not_as_asked(host, element_type, after, desired, meta):
    """Say so when the SBC holds, after the change, other values than asked (it may ignore or rewrite some)."""
    other = sorted(name for name, value in desired.items()
                   if not same_value(meta, name, after.get(name), value) and not loosely_same(after.get(name), value))
    if other:
        host.warn('the SBC holds the %s element with other values than asked for %s: %s' % (
            element_type, ', '.join(other), ', '.join('%s=%s' % (name, shown(after.get(name), 40)) for name in other)))


def change_element(params, host, redactor, under_lock):
    """What ``config_element`` does with validated ``params``: its result.

    ``changed`` is what the SBC answers: values are compared as the SBC holds them (enum, boolean and integer
    values as the metadata types them), and an update whose answer shows nothing different changed nothing.
    The metadata is read only for what needs it: the key attributes when ``key_attributes`` is not given, the
    attribute names to check before anything is sent in that case, and a value the SBC may spell its own way.

    ``under_lock(params, host, redactor, module)`` makes the task's UnderLock (``_config_element``), which finds
    this run's lock and its token.
    """
    element_type = element_type_of(params)
    desired = normalized(params.get('attributes') or {})
    state = params.get('state') or 'present'
    given_keys = [name.strip() for name in (params.get('key_attributes') or []) if name and name.strip()]
    if state == 'present' and not desired:
        raise OracleError('attributes is empty: give at least the key attributes of the %s element' % element_type, REASON_BAD_INPUT)
    task = under_lock(params, host, redactor, 'config_element')
    try:
        with task.held() as (lease, config):
            meta = None
            if not given_keys:
                meta = config.metadata(element_type, _KEYS_HINT)
                check_known(meta, desired)
            singleton = bool(meta and meta.singleton and not given_keys)
            # a type with one instance has no key, whatever its rows say: Oracle reads it by its type alone
            keys = [] if singleton else (given_keys or list(meta.keys))
            key = key_of(element_type, keys, desired, singleton=singleton)
            # an SBC that ignores a query parameter answers more than the one element: keep those the key names
            found = matching(config.find(element_type, key, type_known=meta is not None), key, None)
            current = _the_one(found, element_type, key)
            if state == 'present' and current is not None and meta is None and loose_names(current, desired):
                # only the metadata can tell "Enabled" from "enabled" as one enum value, or as two strings
                meta = metadata_if_readable(config, element_type)
            action, body, after = plan(current, desired, key, state, meta)
            changed = action is not None
            if changed and not host.check_mode:
                if action == ADD:
                    after = added_element(config, element_type, key, body, singleton) or after
                elif action == UPDATE:
                    after = settled(config, element_type, key, config.update(element_type, body)) or after
                    # the SBC's answer is the truth: an update it answers with what was sent as it was changed nothing
                    changed = any(after.get(name) != current.get(name) for name in body if name not in key)
                elif config.delete(element_type, key) is False:
                    # it was there when read under this run's lock, and nobody else can change the configuration
                    # meanwhile: the first DELETE did it, and only its answer was lost (the retry found it gone)
                    host.warn('the answer to deleting the %s element %s was lost on the way; it is gone, so this task deleted it'
                              % (element_type, _named(key)))
                if action in (ADD, UPDATE) and after is not None:
                    warn_if_not_as_asked(host, element_type, after, desired, meta)
                if changed:
                    task.remember_change(lease)
        result = dict(changed=changed, element_type=element_type, key=key, state=state, action=action if changed else None,
                      element=after if after is not None else {})
        if host.diff:
            result['diff'] = diff_of(current, after)
        return result
    finally:
        task.close()
