# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The body of ``device_config_push``: push (save, activate) or discard this user's staged changes on one SDM device."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config import task_with
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._device_config_work import keep_pending, shown_changes, sort_changes
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_LOCK_HELD, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_config import PUSH_TYPES

#: The staging area holds changes this run did not stage, and the push was not told to include them.
REASON_FOREIGN_CHANGES = 'foreign_changes'
#: The SDM reported a step of the push (validation, save, activate, integrity check) as failed.
REASON_CONFIG_FAILED = 'config_failed'
#: Values of a step's flag that say it failed (Oracle shows SUCCESS and Not Applicable; its SOAP notes name UNKNOWN).
_FAILED = ('failure', 'failed', 'fail', 'false', 'error', 'unknown')
_OK_STATUS = ('success', 'succeeded', 'successful', 'completed', 'complete', 'ok')
#: The SDM's flags in the order its push runs the steps, and what each step is called in a message.
_STEPS = (('isLockSuccess', 'taking the SBC configuration lock'), ('isValidationSuccess', 'validation'),
          ('isSaveConfigSuccess', 'save'), ('isIntegrityCheckSuccess', 'integrity check'), ('isActivateConfigSuccess', 'activation'),
          ('isUnlockSuccess', 'giving back the SBC configuration lock'), ('isCreateSuccess', 'create'),
          ('isRestoreConfigSuccess', 'restore'), ('isEraseCacheSuccess', 'erasing the cache'))


def failed_steps(result):
    """The flags of ``result`` (a saveActivateResult) that say their step failed, in the order the steps run."""
    names = [name for name, _words in _STEPS if name in result]
    names += sorted(name for name in result if name.startswith('is') and name.endswith('Success') and name not in names)
    return [name for name in names if result[name].strip().lower() in _FAILED]


def push_failed(result):
    """Whether ``result`` says the push failed: a status that is not a success, a failed step, or an HTTP error status."""
    status = result.get('status', '').strip().lower()
    return bool((status and status not in _OK_STATUS) or failed_steps(result) or result.get('_status', 200) not in (200, 201)
                or result.get('isDeviceFirmwareChangedFailure', '').strip().lower() == 'true')


def _words(result):
    words = [result.get(name, '').strip() for name in ('validationErrorMessage', 'errorMessage')]
    return '; '.join(word for word in words if word)


def _addresses(host):
    """The IP addresses ``host`` (a name or an address) stands for here; just itself when it cannot be resolved."""
    try:
        return set([host]) | set(info[4][0] for info in socket.getaddrinfo(host, None))
    except (OSError, UnicodeError):
        return set([host])


def _sbc_locks_of_run(task, address):
    """The SBC endpoints at ``address`` whose configuration lock this run holds (its leases in the same lease record); an
    SBC named by a host name counts when the name resolves to the address."""
    found = []
    for key in sorted(task.lease_keys()):
        if not key.startswith('sbc_'):
            continue
        lease = task.read_lease(key)
        if lease is not None and task.run.same(lease.run) and address in _addresses(lease.endpoint.rsplit(':', 1)[0].strip('[]')):
            found.append(lease.endpoint)
    return found


def _lock_refused(task, config, said):
    """The error of a push whose SBC configuration lock was refused: held by this run (and what to do), or by someone else."""
    address = None
    try:
        device = [one for one in task.client.devices() if one.get('id') == config.device_id]
        address = device[0].get('ip') if device else None
    except OracleError:
        pass
    ours = _sbc_locks_of_run(task, address) if address else []
    if ours:
        return OracleError('the push to %s could not take the SBC configuration lock%s: this run holds it (config_lock on SBC %s); '
                           'release it first (config_lock state=unlocked, or end that lock_session), then push, or do this SBC\'s '
                           'changes with config_element under that lock instead' % (config.where, said, ', '.join(ours)),
                           REASON_LOCK_HELD, detail={'holder': 'this run'})
    return OracleError('the push to %s could not take the SBC configuration lock%s: someone holds it on the SBC (an ACLI or GUI '
                       'user, or a REST client); nothing was pushed, the changes stay staged: push again once it is free'
                       % (config.where, said), REASON_LOCK_HELD, detail={'holder': 'unknown'})


def _failure(task, config, push_type, result):
    failed = failed_steps(result)
    words = _words(result)
    said = ' (the SDM says: %s)' % shown(words, 300) if words else ''
    if failed and failed[0] == 'isLockSuccess':
        return _lock_refused(task, config, said)
    http = result.get('_status', 200)
    steps = ', '.join(dict(_STEPS).get(name, name) for name in failed) or (
        'the push (HTTP status %s)' % http if http not in (200, 201) else 'the push (status %s)' % (result.get('status') or 'none'))
    if saved_only(result):
        then = ('the changes were saved on the device but not activated: once fixed, activate them with push_type=activate '
                '(only_if_changed=false in a later run)')
    else:
        then = 'fix what it names and push again: what was not pushed stays staged'
    said = said or ' and the SDM gives no words of why'
    return OracleError('the %s push to %s failed at %s%s; %s' % (PUSH_TYPES[push_type], config.where, steps, said, then), REASON_CONFIG_FAILED)


def saved_only(result):
    """Whether a failed push saved the changes on the device and only their activation failed."""
    return (result.get('isSaveConfigSuccess', '').strip().lower() in _OK_STATUS
            and result.get('isActivateConfigSuccess', '').strip().lower() in _FAILED)


def _discard(task, params, lease, config, pending):
    changed = bool(pending)
    if changed and not task.host.check_mode:
        config.discard()
        if lease is not None and lease.sdm_work is not None:
            lease.sdm_work.update(staged=[], before=[], saved=False)
            task.save(lease)
    return dict(changed=changed, state='discarded', discarded=pending, device_id=config.device_id)


def _refuse_foreign(config, foreign, username):
    raise OracleError('the SDM staging area of %s on %s holds %d change(s) this run did not stage (%s); they may be a dead '
                      'run\'s or another job\'s of the same user: discard them (state=discarded) or push them deliberately '
                      '(include_foreign_changes=true); nothing was pushed' % (username, config.where, len(foreign), shown_changes(foreign)),
                      REASON_FOREIGN_CHANGES, detail={'foreign': foreign})


def _push(task, params):
    host = task.host
    state, push_type = params.get('state') or 'pushed', params.get('push_type') or 'save_activate'
    only_if_changed = params.get('only_if_changed', True)
    timeout = params.get('push_timeout')
    timeout = 600.0 if timeout is None else timeout
    if timeout <= 0:
        raise OracleError('push_timeout must be a positive number of seconds', REASON_BAD_INPUT)
    with task.held() as (lease, config):
        work = lease.sdm_work if lease is not None else None
        pending = config.changes()
        if state == 'discarded':
            return _discard(task, params, lease, config, pending)
        ours, foreign = sort_changes(pending, work)
        # an activation activates what was saved and pushes nothing staged
        if foreign and push_type != 'activate' and not params.get('include_foreign_changes'):
            _refuse_foreign(config, foreign, task.client.username)
        wanted = ours + foreign
        if push_type == 'activate':
            due = bool(work and work['saved']) or not only_if_changed
        else:
            due = bool(wanted) or not only_if_changed
        base = dict(state='pushed', push_type=push_type, device_id=config.device_id, pushed=wanted if push_type != 'activate' else [])
        if not due:
            if work and work['staged'] and not ours:
                host.warn('the changes this run staged on %s are no longer pending (pushed or discarded by someone else)' % config.where)
            return dict(base, changed=False, pushed=[])
        if host.check_mode:
            return dict(base, changed=True)
        try:
            answer = config.push(push_type, timeout)
        except OracleError as exc:
            if exc.status is not None:
                raise
            # no answer at all: the SDM may have pushed; a push is never sent twice
            raise OracleError('the answer to the %s push to %s was lost (%s): the changes may or may not be on the device now; run '
                              'device_config_push in check mode to see what is still pending before pushing again'
                              % (PUSH_TYPES[push_type], config.where, exc.msg), exc.reason)
        result = dict((name, value) for name, value in answer.items() if name != '_status')
        if push_failed(answer):
            if work is not None:
                keep_pending(work, config.changes())
                work['saved'] = work['saved'] or saved_only(result)
                task.save(lease)
            error = _failure(task, config, push_type, answer)
            error.detail = dict(error.detail or {}, save_activate_result=result, device_id=config.device_id)
            raise error
        if work is not None:
            if push_type != 'activate':
                work.update(staged=[], before=[])
            work['saved'] = push_type == 'save'
            task.save(lease)
    return dict(base, changed=True, save_activate_result=result, task_id=result.get('taskId'))


def push_changes(params, host, redactor):
    """What ``device_config_push`` does with validated ``params``: its result.

    It pushes exactly what is pending in this user's staging area on the device, and refuses (foreign_changes) when
    that holds changes this run did not stage, unless told to include them. A failed step fails the task with the
    SDM's own words (config_failed; lock_held when the SBC's configuration lock could not be taken).
    """
    return task_with(_push, params, host, redactor)
