# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""``config_element``, ``config_commit`` and ``config_element_info``: SBC configuration under the lock this run holds.

None of them takes a lock. The changing ones find the lease of the configuration lock this run holds on the
SBC with the task's credentials (the lock core's lease record), use its token (renewed past half its life, as
the lock does) and keep the lease's guard while they work, so the keeper never moves the lock to another token
in the middle of a change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_lock import ConfigLock
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_BAD_RESPONSE,
    REASON_LOCK_HELD,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import OTHER_RUN, OURS
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_words import token_expired
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import seconds
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import SbcLockOptions
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config import COMMIT_ORDER, SbcConfig
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import Token

#: No configuration lock of this run on the SBC (none at all, one left by a run that is gone, or one of other credentials).
REASON_NOT_LOCKED = 'not_locked'
#: The longest a commit may wait for the SBC, in seconds.
ASYNC_TIMEOUT_RANGE = (0.0, False, 86400.0)
#: A reader's token (check mode, info) is used only when it has at least this many seconds left.
READ_TOKEN_MARGIN = 10.0

ADD = 'add'
UPDATE = 'update'
DELETE = 'delete'


# -- the decision: pure functions, unit-tested --------------------------------------------------------

def text_value(name, value):
    """``value`` as the text the SBC keeps: numbers as digits, text stripped, a list (an attribute of several values) as a
    list of texts; OracleError(bad_input) for anything else."""
    if isinstance(value, (list, tuple)):
        return [text_value(name, one) for one in value] if value and not any(isinstance(one, (list, tuple)) for one in value) \
            else text_value(name, None)
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        raise OracleError('attribute %s must be text or a number, not %s; give the value as the SBC shows it, e.g. "enabled"'
                          % (shown(name, 60), shown(value, 40)), REASON_BAD_INPUT)
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value).strip()


def normalized(attributes):
    """``attributes`` (name -> value) with every value as the SBC's text, names checked."""
    if not isinstance(attributes, dict):
        raise OracleError('attributes must be a mapping of attribute name to value', REASON_BAD_INPUT)
    result = {}
    for name, value in attributes.items():
        if not isinstance(name, str) or not name.strip():
            raise OracleError('attribute names must be non-empty text, not %s' % shown(name, 40), REASON_BAD_INPUT)
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


# -- the lease of the lock this run holds -------------------------------------------------------------

def _lock_params(params):
    """The options of the config_lock task whose lease this task looks for (never used to take a lock)."""
    return dict(params, state='locked', wait_timeout=0.0, token=None, return_token=False)


class UnderLock:
    """The lease of the configuration lock this run holds on the SBC with the task's credentials, and its token."""

    def __init__(self, params, host, redactor, module):
        self.module = module
        self.host = host
        self.redactor = redactor
        self.lock = ConfigLock(SbcLockOptions(_lock_params(params), redactor), host, redactor)
        self.endpoint = self.lock.endpoint
        self.client = self.lock.client

    def close(self):
        self.lock.close()

    def _not_locked(self, lease, standing):
        what = 'no configuration lock of this run on SBC %s' % self.endpoint
        if standing == OTHER_RUN:
            raise OracleError('%s: it is held by another run (%s); take it with oracle_comms.provisioning.config_lock or the '
                              'lock_session role once that run is done' % (what, lease.run.describe()), REASON_LOCK_HELD,
                              detail={'holder': 'other run'})
        raise OracleError('%s: take it first with oracle_comms.provisioning.config_lock or the lock_session role, with the same '
                          'host, username and lease options (lease_dir, lease_backend) as this task' % what, REASON_NOT_LOCKED)

    def _ours(self, lease, standing):
        """The lease when it is this run's, taken with these credentials and held by this host; else the error why not."""
        if standing != OURS:
            self._not_locked(lease, standing)
        member = self.host.member
        if member is not None and lease.holders and member not in lease.holders:
            raise OracleError('the configuration lock on SBC %s is held by host(s) %s of this run, not by %s; take it for this host '
                              'too (config_lock), or run the task for a host that took it'
                              % (self.endpoint, ', '.join(lease.holders), member), REASON_NOT_LOCKED)
        if lease.expired():
            self.lock.store.delete(self.lock.key)
            raise token_expired(self.endpoint, lease.expires_at, '; lock again')
        return lease

    def _token_of(self, lease):
        self.lock.use_version_of(lease)
        self.redactor.add(lease.token)
        self.client.keep_secret(lease.token)
        return Token(lease.token, lease.expires_at, lease.issued_at)

    @contextlib.contextmanager
    def held(self):
        """``(lease, SbcConfig)`` with the token of this run's lock, the lease's guard held; OracleError when there is none.

        In check mode, without such a lock, a new token (which can change nothing) reads instead, and the lease is None.
        """
        store = self.lock.store
        with store.guard(self.lock.key):
            lease = store.read(self.lock.key)
            standing = self.lock.standing(lease)
            if self.host.check_mode:
                usable = standing == OURS and not lease.expired() and Token(lease.token, lease.expires_at).remaining() > READ_TOKEN_MARGIN
                if usable and (self.host.member is None or not lease.holders or self.host.member in lease.holders):
                    yield lease, SbcConfig(self.client, self._token_of(lease))
                else:
                    if lease is not None and standing == OURS:
                        self.lock.use_version_of(lease)
                    yield None, SbcConfig(self.client, self.client.authenticate())
                return
            lease = self._ours(lease, standing)
            if self.lock.refresh_if_due(lease):
                store.write(lease)
            yield lease, SbcConfig(self.client, self._token_of(lease))

    def keep_fresh(self, lease, config):
        """While a task waits on the SBC with the guard held (a commit), renew the lock's token past half its life, as a
        lock task would: the keeper cannot meanwhile, and the lock goes with the token."""
        if self.lock.refresh_if_due(lease):
            self.lock.store.write(lease)
            config.use_token(self._token_of(lease))

    def remember_change(self, lease):
        """Note in the lease (guard held) that the configuration changed under this lock, for config_commit."""
        if lease is not None and not lease.changed_under_lock:
            lease.changed_under_lock = True
            self.lock.store.write(lease)

    @contextlib.contextmanager
    def reader(self):
        """An SbcConfig for reading: the token of this run's lock where there is one with these credentials, else a new token."""
        store = self.lock.store
        with store.guard(self.lock.key):
            lease = store.read(self.lock.key)
            standing = self.lock.standing(lease)
            if standing == OURS and Token(lease.token, lease.expires_at).remaining() > READ_TOKEN_MARGIN:
                token = self._token_of(lease)
            else:
                token = None
        yield SbcConfig(self.client, token or self.client.authenticate())


# -- the tasks --------------------------------------------------------------------------------------

def _element_type(params):
    element_type = params.get('element_type')
    if not isinstance(element_type, str) or not element_type.strip():
        raise OracleError('element_type is not set: name the SBC element type, e.g. realm-config', REASON_BAD_INPUT)
    return element_type.strip()


def _known_attributes(meta, attributes):
    unknown = [name for name in attributes if name not in meta.attributes]
    if unknown:
        raise OracleError('%s has no attribute %s according to the SBC; attributes of %s: %s'
                          % (meta.element_type, ', '.join(unknown), meta.element_type, ', '.join(meta.attributes)), REASON_BAD_INPUT)


def _the_one(found, element_type, key):
    if len(found) > 1:
        raise OracleError('%d %s elements match %s; give key_attributes that identify one element'
                          % (len(found), element_type, ', '.join('%s=%s' % item for item in sorted(key.items()))), REASON_BAD_INPUT)
    return found[0] if found else None


#: How config_element and config_element_info go on without metadata they cannot read.
_KEYS_HINT = 'give key_attributes (the attributes that identify one element of this type) and the task needs no metadata'


def _matching(elements, filters, meta):
    """The elements whose attributes satisfy every filter (compared as ``same_value`` does)."""
    return [element for element in elements if not differing(element, filters, meta)]


def _loose_names(current, desired):
    """The attributes whose values differ from the SBC's only as it might spell one value its own way (case, digits)."""
    return [name for name, value in desired.items() if current.get(name) != value and loosely_same(current.get(name), value)]


def _metadata_if_readable(config, element_type):
    """The type's metadata, or None when the SBC answers it in no shape we read: the values are then compared as text,
    and the SBC's answer to the update says whether it changed anything."""
    try:
        return config.metadata(element_type, _KEYS_HINT)
    except OracleError as exc:
        if exc.reason != REASON_BAD_RESPONSE:
            raise
        return None


def _settled(config, element_type, key, answered):
    """The element as the SBC has it after a change: its answer, or (an answer without the element) a read of it."""
    if answered is not None:
        return answered
    found = _matching(config.find(element_type, key, type_known=True), key, None)
    return found[0] if len(found) == 1 else None


def _named(key):
    return ', '.join('%s=%s' % item for item in sorted(key.items())) or '(the one of its type)'


def _added(config, element_type, key, body, singleton):
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
            found = _matching(config.find(element_type, key, type_known=True), key, None)
        except OracleError:
            raise exc
        if len(found) != 1:
            raise
        answered = found[0]
    if singleton:
        answered = config.update(element_type, body)
    return _settled(config, element_type, key, answered)


def _warn_if_not_as_asked(host, element_type, after, desired, meta):
    """Say so when the SBC holds, after the change, other values than asked (it may ignore or rewrite some)."""
    other = sorted(name for name, value in desired.items()
                   if not same_value(meta, name, after.get(name), value) and not loosely_same(after.get(name), value))
    if other:
        host.warn('the SBC holds the %s element with other values than asked for %s: %s' % (
            element_type, ', '.join(other), ', '.join('%s=%s' % (name, shown(after.get(name), 40)) for name in other)))


def element_task(params, host, redactor):
    """What ``config_element`` does with validated ``params``: its result.

    ``changed`` is what the SBC answers: values are compared as the SBC holds them (enum, boolean and integer
    values as the metadata types them), and an update whose answer shows nothing different changed nothing.
    The metadata is read only for what needs it: the key attributes when ``key_attributes`` is not given, the
    attribute names to check before anything is sent in that case, and a value the SBC may spell its own way.
    """
    element_type = _element_type(params)
    desired = normalized(params.get('attributes') or {})
    state = params.get('state') or 'present'
    given_keys = [name.strip() for name in (params.get('key_attributes') or []) if name and name.strip()]
    if state == 'present' and not desired:
        raise OracleError('attributes is empty: give at least the key attributes of the %s element' % element_type, REASON_BAD_INPUT)
    task = UnderLock(params, host, redactor, 'config_element')
    try:
        with task.held() as (lease, config):
            meta = None
            if not given_keys:
                meta = config.metadata(element_type, _KEYS_HINT)
                _known_attributes(meta, desired)
            singleton = bool(meta and meta.singleton and not given_keys)
            # a type with one instance has no key, whatever its rows say: Oracle reads it by its type alone
            keys = [] if singleton else (given_keys or list(meta.keys))
            key = key_of(element_type, keys, desired, singleton=singleton)
            # an SBC that ignores a query parameter answers more than the one element: keep those the key names
            found = _matching(config.find(element_type, key, type_known=meta is not None), key, None)
            current = _the_one(found, element_type, key)
            if state == 'present' and current is not None and meta is None and _loose_names(current, desired):
                # only the metadata can tell "Enabled" from "enabled" as one enum value, or as two strings
                meta = _metadata_if_readable(config, element_type)
            action, body, after = plan(current, desired, key, state, meta)
            changed = action is not None
            if changed and not host.check_mode:
                if action == ADD:
                    after = _added(config, element_type, key, body, singleton) or after
                elif action == UPDATE:
                    after = _settled(config, element_type, key, config.update(element_type, body)) or after
                    # the SBC's answer is the truth: an update it answers with what was sent as it was changed nothing
                    changed = any(after.get(name) != current.get(name) for name in body if name not in key)
                elif config.delete(element_type, key) is False:
                    # it was there when read under this run's lock, and nobody else can change the configuration
                    # meanwhile: the first DELETE did it, and only its answer was lost (the retry found it gone)
                    host.warn('the answer to deleting the %s element %s was lost on the way; it is gone, so this task deleted it'
                              % (element_type, _named(key)))
                if action in (ADD, UPDATE) and after is not None:
                    _warn_if_not_as_asked(host, element_type, after, desired, meta)
                if changed:
                    task.remember_change(lease)
        result = dict(changed=changed, element_type=element_type, key=key, state=state, action=action if changed else None,
                      element=after if after is not None else {})
        if host.diff:
            result['diff'] = diff_of(current, after)
        return result
    finally:
        task.close()


def commit_task(params, host, redactor):
    """What ``config_commit`` does with validated ``params``: its result."""
    asked = params.get('steps')
    asked = list(COMMIT_ORDER) if asked is None else asked
    unknown = [step for step in asked if step not in COMMIT_ORDER]
    if unknown or not asked:
        raise OracleError('steps must name one or more of save, verify and activate, not %s' % shown(asked, 60), REASON_BAD_INPUT)
    steps = [step for step in COMMIT_ORDER if step in asked]  # Oracle's order, whatever the order given
    async_timeout = seconds(params.get('async_timeout', 300.0), 'async_timeout', ASYNC_TIMEOUT_RANGE)
    only_if_changed = bool(params.get('only_if_changed', True))
    task = UnderLock(params, host, redactor, 'config_commit')
    try:
        with task.held() as (lease, config):
            if only_if_changed and not (lease is not None and lease.changed_under_lock):
                # lease None: check mode without a lock of this run, under which nothing of this run can have changed
                return dict(changed=False, steps=[], skipped_steps=steps,
                            msg='no config_element task of this run changed the configuration under %s; nothing to commit'
                            % ('this lock' if lease is not None else 'a lock (check mode, none held)'))
            changed = any(step != 'verify' for step in steps)
            if host.check_mode:
                return dict(changed=changed, steps=steps, skipped_steps=[])
            deadline = config._clock() + async_timeout
            done = []
            for step in steps:
                config.run_step(step, deadline, keep_fresh=lambda: task.keep_fresh(lease, config))
                done.append(step)
            if 'activate' in done and lease.changed_under_lock:
                # what was changed is now running: a later commit of this run has nothing to do
                lease.changed_under_lock = False
                task.lock.store.write(lease)
            return dict(changed=changed, steps=done, skipped_steps=[])
    finally:
        task.close()


def info_task(params, host, redactor):
    """What ``config_element_info`` does with validated ``params``: the elements and the type's key attributes.

    Oracle documents a read by every key attribute and a read of all elements (paged), nothing else: filters
    naming every key read one element, others read all and are applied here.
    """
    element_type = _element_type(params)
    filters = normalized(params.get('filters') or {})
    task = UnderLock(params, host, redactor, 'config_element_info')
    try:
        with task.reader() as config:
            meta = config.metadata(element_type, 'config_element_info needs it to name the key attributes; read with '
                                   'config_element and key_attributes instead')
            _known_attributes(meta, filters)
            keyed = (meta.keys or meta.singleton) and all(name in filters for name in meta.keys)
            if keyed:
                found = config.find(element_type, dict((name, filters[name]) for name in meta.keys), type_known=True)
            else:
                found = config.every(element_type)
            elements = _matching(found, filters, meta)
        return dict(changed=False, element_type=element_type, elements=elements, key_attributes=list(meta.keys))
    finally:
        task.close()
