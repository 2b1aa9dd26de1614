# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Reading and comparing SBC configuration elements: values as the SBC keeps them, matching, what a change sends, the diff.

Pure functions, shared by the config_element and config_element_info bodies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError

ADD = 'add'
UPDATE = 'update'
DELETE = 'delete'


# -- a task's input --------------------------------------------------------------------------------

def element_type_of(params):
    """The ``element_type`` option, stripped; OracleError(bad_input) when it is not set."""
    element_type = params.get('element_type')
    if not isinstance(element_type, str) or not element_type.strip():
        raise OracleError('element_type is not set: name the SBC element type, e.g. realm-config', REASON_BAD_INPUT)
    return element_type.strip()


def check_known(meta, attributes):
    """OracleError(bad_input) naming the names in ``attributes`` that are no attribute of ``meta``'s type."""
    unknown = [name for name in attributes if name not in meta.attributes]
    if unknown:
        raise OracleError('%s has no attribute %s according to the SBC; attributes of %s: %s'
                          % (meta.element_type, ', '.join(unknown), meta.element_type, ', '.join(meta.attributes)), REASON_BAD_INPUT)


# -- the decision ---------------------------------------------------------------------------------

def text_value(name, value):
    """``value`` as the text the device keeps: numbers as digits, text exactly as given (surrounding spaces are part of a
    value), a list (an attribute of several values) as a list of texts; OracleError(bad_input) for anything else."""
    if isinstance(value, (list, tuple)):
        return [text_value(name, one) for one in value] if value and not any(isinstance(one, (list, tuple)) for one in value) \
            else text_value(name, None)
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        raise OracleError('attribute %s must be text or a number, not %s; give the value as the SBC shows it, e.g. "enabled"'
                          % (shown(name, 60), shown(value, 40)), REASON_BAD_INPUT)
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value)


def normalized(attributes):
    """``attributes`` (name -> value) with every value as the SBC's text, names checked."""
    if not isinstance(attributes, dict):
        raise OracleError('attributes must be a mapping of attribute name to value', REASON_BAD_INPUT)
    result = {}
    for name, value in attributes.items():
        if not isinstance(name, str) or not name.strip():
            raise OracleError('attribute names must be non-empty text, not %s' % shown(name, 40), REASON_BAD_INPUT)
        if name.strip() in result:
            raise OracleError('attribute %s is given twice (names are compared without surrounding spaces); give it once'
                              % shown(name.strip(), 60), REASON_BAD_INPUT)
        result[name.strip()] = text_value(name, value)
    return result


def key_of(element_type, keys, attributes, singleton=False):
    """The key attributes (name -> text) of the element ``attributes`` describe; OracleError(bad_input) when one is missing."""
    if not keys and not singleton:
        raise OracleError('the SBC names no key attribute for %s; give key_attributes' % shown(element_type, 60), REASON_BAD_INPUT)
    missing = [name for name in keys if not attributes.get(name) or isinstance(attributes.get(name), list)]
    if missing:
        raise OracleError('attributes must include the key attribute%s %s of %s, which identif%s the element'
                          % ('s' if len(missing) > 1 else '', ', '.join(missing), element_type, 'y' if len(missing) > 1 else 'ies'),
                          REASON_BAD_INPUT)
    return dict((name, attributes[name]) for name in keys)


#: Value types whose spelling the SBC may change (case): compared without regard to case.
_CASELESS_TYPES = ('enum', 'enumeration', 'boolean', 'bool')
#: Value types compared as numbers (the SBC may drop a leading zero or a plus sign).
_NUMBER_TYPES = ('integer', 'int', 'uint', 'unsignedint', 'long', 'short', 'number')


def _as_number(text):
    try:
        return int(text, 10)
    except (TypeError, ValueError):
        return None


def loosely_same(have, want):
    """Whether two texts could be one value in the SBC's canonical spelling (case, or digits), so metadata may settle it."""
    if not isinstance(have, str) or not isinstance(want, str):
        return False
    number = _as_number(have)
    return have.lower() == want.lower() or (number is not None and number == _as_number(want))


def same_value(meta, name, have, want):
    """Whether the SBC holding ``have`` for attribute ``name`` already satisfies ``want``.

    Equal text always does. Beyond that only where the metadata ``meta`` (None: not read) says so: enum and
    boolean values regardless of case, integers by their number. A string is never folded: case may matter there.
    """
    if have == want or (have is None and want in ('', [])):
        return True  # an SBC may leave an empty attribute out of its answer
    if isinstance(have, list) or isinstance(want, list):
        # several values: the same number of them, each the same, in the order the SBC keeps them
        haves = have if isinstance(have, list) else ([] if have is None else [have])
        wants = want if isinstance(want, list) else [want]
        return len(haves) == len(wants) and all(same_value(meta, name, one, other) for one, other in zip(haves, wants))
    if meta is None or have is None:
        return False
    kind = meta.value_type(name)
    if kind in _CASELESS_TYPES or meta.enums.get(name):
        return have.lower() == want.lower()
    if kind in _NUMBER_TYPES:
        number = _as_number(have)
        return number is not None and number == _as_number(want)
    return False


def differing(current, desired, meta=None):
    """The attributes of ``desired`` the element ``current`` does not satisfy (an attribute ``current`` lacks differs).

    ``meta`` (the type's ElementMeta, or None) says which values the SBC spells its own way (see ``same_value``).
    """
    return dict((name, value) for name, value in desired.items() if not same_value(meta, name, current.get(name), value))


def plan(current, desired, key, state, meta=None):
    """What to do: ``(action, body, after)``.

    ``current`` the element as the SBC has it (None when absent), ``desired`` the attributes asked for, ``key``
    its key attributes. ``action`` is ADD, UPDATE, DELETE or None (nothing to change); ``body`` what to send
    (all asked attributes on ADD, the key plus what differs on UPDATE, the key on DELETE); ``after`` the
    element as it will be (None when absent), as far as this task can tell.
    """
    if state == 'absent':
        if current is None:
            return None, None, None
        return DELETE, dict(key), None
    if current is None:
        return ADD, dict(desired), dict(desired)
    changes = differing(current, desired, meta)
    if not changes:
        return None, None, dict(current)
    body = dict(key)
    body.update(changes)
    after = dict(current)
    after.update(changes)
    return UPDATE, body, after


def diff_of(before, after):
    """Ansible's diff: the element's attributes before and after (an absent element is empty)."""
    return {'before': dict(before or {}), 'after': dict(after or {})}


def matching(elements, filters, meta):
    """The elements whose attributes satisfy every filter (compared as ``same_value`` does)."""
    return [element for element in elements if not differing(element, filters, meta)]


def loose_names(current, desired):
    """The attributes whose values differ from the SBC's only as it might spell one value its own way (case, digits)."""
    return [name for name, value in desired.items() if current.get(name) != value and loosely_same(current.get(name), value)]
