# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The tasks file a lock session runs: where it is, and whether it can end the play under the lock.

``meta: end_host``, ``end_batch`` and ``end_play`` end a host's tasks on the spot: no ``always:`` runs after
them, so a session whose tasks use one would keep its lock until ``ansible-playbook`` exits (the keeper gives
it back then). Ansible offers the role no hook there, so the role refuses such a file before it takes the lock.
"""

from __future__ import annotations

import os

import yaml

#: The meta actions that end a host's tasks without running ``always:`` (``end_role`` only ends the session's own tasks).
ENDING = ('end_host', 'end_batch', 'end_play')
_META = ('meta', 'ansible.builtin.meta', 'ansible.legacy.meta')
_INCLUDES = ('include_tasks', 'import_tasks', 'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks',
             'ansible.legacy.include_tasks', 'ansible.legacy.import_tasks')
_BLOCK_KEYS = ('block', 'rescue', 'always')


class SessionTasksError(Exception):
    """The tasks file cannot run under a lock: a one-line reason for the user."""


def resolve(name, playbook_dir):
    """The absolute path of the user's tasks file ``name``: as given when absolute (``~`` expanded), else read from the
    playbook's directory, never from the role's own files. Raises SessionTasksError when there is no such file."""
    if not isinstance(name, str) or not name.strip():
        raise SessionTasksError('lock_session_tasks must name a tasks file (a path, absolute or relative to the playbook\'s directory)')
    path = os.path.expanduser(name)
    if not os.path.isabs(path):
        path = os.path.join(playbook_dir or os.getcwd(), path)
    path = os.path.normpath(path)
    if not os.path.isfile(path):
        raise SessionTasksError('lock_session_tasks: no tasks file %s (a relative name is read from the playbook\'s directory, %s); '
                                'nothing was locked' % (path, playbook_dir))
    return path


def _mapping(node):
    """A task's keys and their nodes, YAML merge keys (``<<: *anchor``) resolved: a task built from an anchor is the same task."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    found = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == '<<':
            for merged in (value.value if isinstance(value, yaml.SequenceNode) else [value]):
                for name, inner in _mapping(merged).items():
                    found.setdefault(name, inner)
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != '<<':
            found[key.value] = value
    return found


def _free_form(node):
    """The free-form text of an action's value: a plain scalar, or ``_raw_params`` of a mapping; '' otherwise."""
    if isinstance(node, yaml.ScalarNode):
        return node.value.strip()
    raw = _mapping(node).get('_raw_params')
    return raw.value.strip() if isinstance(raw, yaml.ScalarNode) else ''


def _ending_meta(task):
    """The meta action that ends the host which ``task`` (its keys) runs, in any of its spellings; None for any other task."""
    args = _mapping(task.get('args'))
    for key in _META:
        if key in task:
            action = _free_form(task[key]) or (args['_raw_params'].value.strip()
                                               if isinstance(args.get('_raw_params'), yaml.ScalarNode) else '')
            if action in ENDING:
                return action
    for key in ('action', 'local_action'):
        action = task.get(key)
        if isinstance(action, yaml.ScalarNode):
            words = action.value.split()
            if len(words) >= 2 and words[0] in _META and words[1] in ENDING:
                return words[1]
        elif isinstance(action, yaml.MappingNode):
            fields = _mapping(action)
            module = fields.get('module')
            if isinstance(module, yaml.ScalarNode) and module.value in _META:
                for value in fields.values():
                    if isinstance(value, yaml.ScalarNode) and value.value.strip() in ENDING:
                        return value.value.strip()
    return None


def _include_name(task, key):
    """The file name an include or import task gives, in any of its spellings (``name``, ``file=name``, ``file:``,
    ``_raw_params:``, or ``args: {file: ...}``); None when it gives none."""
    node = task[key]
    fields = dict(_mapping(task.get('args')))
    if isinstance(node, yaml.MappingNode):
        fields.update(_mapping(node))
    elif isinstance(node, yaml.ScalarNode) and node.value.strip():
        text = node.value.strip()
        if text.startswith('file='):
            return text[len('file='):].split()[0] if text[len('file='):].split() else None
        return text
    for field in ('file', '_raw_params'):
        value = fields.get(field)
        if isinstance(value, yaml.ScalarNode) and value.value.strip():
            text = value.value.strip()
            return text[len('file='):].split()[0] if text.startswith('file=') and text[len('file='):].split() else text
    return None


def _included(task, base_dirs):
    """The files a task may include or import by a literal name: every place Ansible looks for it that holds one (beside
    the including file or in a ``tasks/`` folder there, in the playbook's ``tasks/`` folder or the playbook's folder).
    Templated names cannot be known before the run."""
    for key in _INCLUDES:
        if key not in task:
            continue
        given = _include_name(task, key)
        if given is None or '{{' in given or '{%' in given:
            return []
        name = os.path.expanduser(given)
        if os.path.isabs(name):
            return [name] if os.path.isfile(name) else []
        places = [os.path.normpath(os.path.join(base, sub, name)) for base in base_dirs for sub in ('', 'tasks')]
        return [place for index, place in enumerate(places) if os.path.isfile(place) and place not in places[:index]]
    return []


def _walk(nodes, path, base_dirs, seen):
    for node in nodes.value if isinstance(nodes, yaml.SequenceNode) else ():
        task = _mapping(node)
        for key in _BLOCK_KEYS:
            if key in task:
                _walk(task[key], path, base_dirs, seen)
        ending = _ending_meta(task)
        if ending:
            raise SessionTasksError(
                'lock_session_tasks: %s line %d uses meta: %s, which ends the play for the host before the role can give the '
                'lock back; end the session first and use meta after the role, or use when: on the tasks instead; nothing '
                'was locked' % (path, node.start_mark.line + 1, ending))
        for included in _included(task, [os.path.dirname(path)] + base_dirs):
            check(included, base_dirs, seen)


def check(path, base_dirs=(), seen=None):
    """Refuse ``path`` (SessionTasksError) when it, or a file it includes or imports by a literal name, uses a meta action
    that ends the host's tasks without running ``always:``, or is not YAML (Ansible would stop the run on it, skipping the
    release, after the lock was taken)."""
    seen = set() if seen is None else seen
    if path in seen:
        return
    seen.add(path)
    try:
        with open(path, 'rb') as handle:
            root = yaml.compose(handle, Loader=yaml.SafeLoader)
    except OSError:
        return  # Ansible reports a file it cannot read
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        raise SessionTasksError('lock_session_tasks: %s is not valid YAML%s (%s); Ansible would stop the run on it under the lock; '
                                'nothing was locked' % (path, ' at line %d' % (mark.line + 1) if mark else '',
                                                        getattr(exc, 'problem', None) or 'a syntax error'))
    _walk(root, path, list(base_dirs), seen)


def session_tasks(name, playbook_dir):
    """The user's tasks file, resolved (``resolve``) and checked (``check``); raises SessionTasksError."""
    path = resolve(name, playbook_dir)
    check(path, [playbook_dir] if playbook_dir else [])
    return path
