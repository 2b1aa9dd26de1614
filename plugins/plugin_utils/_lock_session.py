# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.
# Controller-side only (plugin_utils).

"""What the lock_session role computes: its module options, its open sessions, ``lock_session_lock`` and a failed release's words.

Sessions nest, so each host keeps a stack of open session records (a fact of the role's): acquire pushes the record
of the lock its take holds, release gives back what the innermost open session of its target took, then pops it.
A record says where the lock was taken (``endpoint``: a release goes there whatever the role's variables say by
then), which tasks file it runs (``file``), and what it took: ``lease_file`` and ``taken`` for the SBC,
``device_ids`` and ``taken_ids`` for the SDM (a lock this host held already, in an enclosing session, is not taken).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TARGETS = ('sbc', 'sdm')


class LockSessionError(ValueError):
    """The role handed over something it never makes: a one-line reason."""


def _unset(value, omit):
    """True for what counts as not set: null, or the play's ``omit`` (a placeholder string or a sentinel, by core)."""
    return value is None or (omit is not None and (value is omit or value == omit))


def module_options(settings, omit=None):
    """The options of ``settings`` (option name -> the role variable's value) that are set: neither null nor ``omit``.

    The role passes them as module_defaults for the module itself, so that an option the play did not set is
    filled as for a bare task (module_defaults for the group, else the environment)."""
    if not isinstance(settings, Mapping):
        raise LockSessionError('the lock_session options must be a mapping of option names to values')
    return dict((name, value) for name, value in settings.items() if not _unset(value, omit))


def _records(stack):
    if stack is None:
        return []
    if isinstance(stack, (str, bytes)) or not isinstance(stack, Sequence) or not all(isinstance(record, Mapping) for record in stack):
        raise LockSessionError('the open lock sessions must be a list of session records')
    return list(stack)


def _target(target):
    if target not in TARGETS:
        raise LockSessionError('lock_session_target must be sbc or sdm, not %r' % (target,))
    return target


def innermost_session(stack, target):
    """The innermost open session of ``target`` on ``stack`` (the one its release closes), or ``{}`` when none is open."""
    target = _target(target)
    found = [record for record in _records(stack) if record.get('target') == target]
    return found[-1] if found else {}


def session_record(take, target, number, tasks_file=''):
    """The record of a session whose take of ``target`` answered ``take`` (the lock task's registered result)."""
    target = _target(target)
    if not isinstance(take, Mapping) or 'endpoint' not in take:
        raise LockSessionError('the %s lock task of this session has no endpoint in its result: it took no lock' % target)
    record = {'id': number, 'target': target, 'endpoint': take['endpoint'], 'file': tasks_file or ''}
    if target == 'sbc':
        record.update(lease_file=take.get('lease_file', ''), taken=take.get('taken', False))
    else:
        record.update(device_ids=take.get('device_ids', []), taken_ids=take.get('taken_ids', []))
    return record


def open_session(stack, take, target, tasks_file=''):
    """``stack`` with the session ``take`` opened on top, under an id no open session has."""
    records = _records(stack)
    number = max([_int(record.get('id')) for record in records] or [0]) + 1
    return records + [session_record(take, target, number, tasks_file)]


def close_session(stack, session):
    """``stack`` without ``session`` (a record of it, or ``{}`` for none: the stack unchanged)."""
    records = _records(stack)
    if not session:
        return records
    return [record for record in records if record.get('id') != session.get('id')]


def session_lock(stack, target, check_mode, read_lease):
    """What the tasks of the innermost open session get as ``lock_session_lock``.

    The innermost session of either target (sessions of both products nest); with none open, an empty one of
    ``target``. For the SBC the lease view ``read_lease(lease_file)`` answers (a token valid now; it fails once the
    lock is released); for the SDM the devices held. In check mode nothing was taken: ``check_mode`` true and
    empty ``token`` and ``base_url``, so that tasks still template."""
    records = _records(stack)
    current = records[-1] if records else {'target': target or 'sbc', 'lease_file': '', 'device_ids': []}
    if check_mode:
        return {'target': current.get('target'), 'check_mode': True, 'token': '', 'base_url': '',
                'device_ids': current.get('device_ids', [])}
    if current.get('target') == 'sbc':
        view = dict(read_lease(current.get('lease_file') or ''))
        view.update(target='sbc', check_mode=False)
        return view
    return {'target': 'sdm', 'check_mode': False, 'device_ids': current.get('device_ids')}


def _int(value, default=0):
    """As Jinja's ``int`` filter: the integer ``value`` says, else ``default``."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def release_attempts(result, retries):
    """How many attempts the failed release ``result`` made (``retries`` more were allowed after the first)."""
    attempts = _int(result.get('attempts', 0))
    # ansible-core reports one attempt fewer than it made once `retries` ran out (its `attempts` is then `retries`)
    if result.get('retryable', False) and attempts >= _int(retries):
        return attempts + 1
    return max(_int(result.get('attempts', 1)), 1)


def release_error(result, target, retries):
    """The message of a release that failed with ``result``: how many attempts, the module's own words and, only where
    the module says the lease keeps the lock (``lease_kept``), who gives it back and how to free it sooner."""
    if not isinstance(result, Mapping):
        raise LockSessionError('the failed release result must be a mapping')
    attempts = release_attempts(result, retries)
    advice = ''
    if result.get('lease_kept', False):
        advice = ('The lease record keeps it; the keeper of this run (release_on_exit) gives it back when the run ends'
                  + (', and an SBC lock also ends when its token expires' if target == 'sbc' else '')
                  + '. To free it sooner, run the release entry point of this role from this controller with the same lease_dir,'
                  ' or release it on the device.')
    return 'THE %s LOCK WAS NOT GIVEN BACK after %d attempt%s: %s. %s' % (
        str(target).upper(), attempts, '' if attempts == 1 else 's', result.get('msg', 'unknown error'), advice)
