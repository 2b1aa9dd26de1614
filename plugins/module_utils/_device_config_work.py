# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The record, kept in a device lock's lease, of what this run staged on the SDM, and which staged changes are whose.

An SDM keeps one staging area per user and device, shared by every job of that user: a change found there that
this run did not stage (or that was there before this run staged anything) is someone else's. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import MAX_WORK_ENTRIES

_SPLIT = re.compile(r'[,;\s]+')


def new_work(shape, before):
    """The record of a run that starts to stage on a device: ``before`` are the changes the staging area held already."""
    return {'staged': [], 'before': [_mark(change) for change in before], 'shape': shape, 'saved': False}


def _mark(change):
    return {'name': change.get('name', ''), 'elementTypePath': change.get('elementTypePath') or ''}


def record_staged(work, element_type, key):
    """Note in ``work`` that this run staged a change of the element ``key`` (its key attributes) of ``element_type``;
    True when the record changed."""
    entry = [element_type, dict(key)]
    if entry in work['staged']:
        return False
    if len(work['staged']) + len(work['before']) >= MAX_WORK_ENTRIES:
        raise OracleError('this run staged changes of %d elements on one device already, the most one lock records; push them, '
                          'then go on' % MAX_WORK_ENTRIES, REASON_BAD_INPUT)
    work['staged'].append(entry)
    return True


def forget_staged(work, element_type, key):
    """Take the entry of the element ``key`` of ``element_type`` out of ``work`` (a change the SDM refused: nothing staged)."""
    work['staged'] = [entry for entry in work['staged'] if entry != [element_type, dict(key)]]


def names_element(change, element_type, key):
    """Whether the staged change ``change`` (as configurationChanges lists it) is of the element ``key`` of ``element_type``.

    Oracle shows the name of a change (its element's key value) and, where the SDM gives it, its type path; a type
    with several key attributes is named by their values (in whatever order and separator), a singleton by its type.
    """
    path = change.get('elementTypePath') or ''
    if path and path != element_type:
        return False
    name = (change.get('name') or '').strip()
    values = list(key.values())
    if not values:
        return name in ('', element_type) or (not path and name == element_type)
    if len(values) == 1:
        return name == values[0]
    return sorted(part for part in _SPLIT.split(name) if part) == sorted(values)


def _same_mark(change, mark):
    path, other = change.get('elementTypePath') or '', mark['elementTypePath']
    return change.get('name', '') == mark['name'] and (not path or not other or path == other)


def sort_changes(changes, work):
    """``(ours, foreign)``: the pending ``changes`` this run staged, and the others (staged before this run began on the
    device, even where this run changed the same element since, or by anyone else)."""
    ours, foreign = [], []
    for change in changes:
        mine = work is not None and not any(_same_mark(change, mark) for mark in work['before']) and any(
            names_element(change, element_type, key) for element_type, key in work['staged'])
        (ours if mine else foreign).append(change)
    return ours, foreign


def keep_pending(work, changes):
    """Forget the staged entries of ``work`` that ``changes`` (what is pending now) no longer hold."""
    work['staged'] = [[element_type, key] for element_type, key in work['staged']
                      if any(names_element(change, element_type, key) for change in changes)]
    work['before'] = [mark for mark in work['before'] if any(_same_mark(change, mark) for change in changes)]


def shown_changes(changes, limit=10):
    """A short text naming ``changes`` for a message."""
    words = [' '.join(part for part in (change.get('operation') or 'changed', change.get('elementTypePath'), change.get('name') or '?') if part)
             for change in changes[:limit]]
    more = len(changes) - limit
    return ', '.join(words) + (' and %d more' % more if more > 0 else '')
