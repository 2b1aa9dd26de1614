# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Run a lock task in-process on the controller: no AnsiballZ, no new interpreter, no connection.

``InProcessTask`` validates the task's arguments with ansible-core's own validator (fallbacks, defaults,
``no_log`` values), runs the lock logic with a ``LockHost`` that collects warnings and starts the keeper,
and masks ``no_log`` values in the result as AnsibleModule would. ``LockAction`` is the action plugin both
lock modules use; it executes the real module only when the task is delegated to a host that is not the
controller.
"""

from __future__ import annotations

import os

from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import Endpoint
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import HttpClient
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._tls import prepare_tls
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import MEMBER_ENV, RUN_ID_ENV, Run, prepare_run_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_open import prepare_backend
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import LockHost
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import task_result
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper import ensure_keeper
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import innermost_session


_VALIDATORS = {}


def validator_for(spec):
    """The argument validator of ``spec`` (an _argspec.ArgumentSpec), built once per process: it only reads the spec."""
    validator = _VALIDATORS.get(id(spec))
    if validator is None:
        validator = _VALIDATORS[id(spec)] = ModuleArgumentSpecValidator(**spec.to_kwargs())
    return validator


def prepare_process(spec=None):
    """Do in ansible-playbook's own process what every lock task would otherwise do for itself.

    Ansible's strategies import an action plugin in that process before they fork the worker of its first
    task, and every later worker is forked from there: what is done and cached here (TLS and resolver set-up,
    the run's key, the argument validator, the classes and caches requests and urllib3 fill on first use) is
    done once per run instead of once per task. Nothing here talks to the network or can fail a run.
    """
    prepare_tls()
    try:
        prepare_run_key(Run.current())
        prepare_backend()
        if spec is not None:
            validator_for(spec).validate({})
        HttpClient(Endpoint('localhost', 443), 'SBC').close()
    except (OracleError, OSError, ValueError):
        pass  # the task does it again, and says what is wrong


prepare_process()

display = Display()

#: Result keys that hold a secret: a result carrying one is shown censored, whichever way the task ran.
SECRET_KEYS = ('token',)


def censor_secrets(result):
    """Mark a result that carries a secret as no_log, as the in-process path does.

    A module executed on another host cannot do it itself: ansible-core drops ``_ansible_no_log`` from what a
    module returns, so without this the token of a delegated task would be printed at ``-v``.
    """
    if any(result.get(key) for key in SECRET_KEYS):
        result['_ansible_no_log'] = True
    return result


class InProcessTask:
    """One task of a lock module run in this process: its validated arguments, and its result."""

    def __init__(self, name, spec, args, check_mode, diff, inventory_hostname=''):
        self.name = name
        self.check_mode = check_mode
        self.diff = diff
        #: which host of the run the task is for: the hosts of one run that ask for one lock share it
        self.inventory_hostname = inventory_hostname
        self.warnings = []
        validation = validator_for(spec).validate(dict(args))
        self.no_log_values = validation._no_log_values
        self.params = validation.validated_parameters
        self.error = None
        if validation.error_messages:
            # Worded as AnsibleModule words it, so both execution paths fail alike.
            self.error = validation.errors.msg
            if isinstance(validation.errors.errors[0], UnsupportedError):
                self.error = 'Unsupported parameters for (%s) module: %s' % (name, self.error)

    def host(self):
        """The LockHost of this task: warnings into the result, and a keeper for the run once a lock is held."""
        return LockHost(self.check_mode, self.diff, self.inventory_hostname, self.warnings.append,
                        on_lock=lambda store, options, run: ensure_keeper(store, options, run, self.warnings.append),
                        progress=self.progress)

    def progress(self, message):
        """A line while the task waits, through Ansible's display: on the console and in ansible-runner's events,
        as ``FAILED - RETRYING`` is for ``until`` loops."""
        display.display('WAITING: [%s]: %s' % (self.inventory_hostname or 'localhost', message))

    def run(self, body):
        """Run ``body(params, host, redactor)`` and return the finished result; never raises."""
        redactor = Redactor(*[value for value in self.no_log_values if isinstance(value, str)])
        if self.error:
            # Secrets masked: a validation message may quote an option value.
            result = dict(failed=True, msg=redactor(self.error), reason=REASON_BAD_INPUT, retryable=False)
        else:
            result = task_result(body, self.params, self.host(), redactor)
        if self.warnings:
            result['warnings'] = list(result.get('warnings', [])) + self.warnings
        result['invocation'] = {'module_args': self.params}
        return remove_values(result, self.no_log_values)


class LockAction(ActionBase):
    """Action plugin of a lock module: in-process on the controller, or the module on a delegated host."""

    TRANSFERS_FILES = False
    _requires_connection = False
    #: set by each action plugin
    MODULE = None
    SPEC = None
    BODY = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.SPEC is not None:
            prepare_process(cls.SPEC)

    def _runs_elsewhere(self):
        return bool(self._task.delegate_to) and getattr(self._connection, 'transport', 'local') not in ('local', 'ansible.builtin.local')

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        member = str((task_vars or {}).get('inventory_hostname') or '')
        if self._runs_elsewhere():
            # The delegated host keeps its own leases; tell it which run, and which host of it, this is.
            environment = list(self._task.environment or [])
            environment.append({RUN_ID_ENV: Run.current().ident, MEMBER_ENV: member})
            self._task.environment = environment
            result.update(self._execute_module(module_name=self.MODULE, module_args=self.task_args(task_vars), task_vars=task_vars))
            return censor_secrets(result)
        self._apply_task_environment()
        task = InProcessTask(self.MODULE, self.SPEC, self.task_args(task_vars), bool(self._task.check_mode), bool(self._task.diff), member)
        result.update(task.run(self.BODY))
        return result

    def task_args(self, task_vars):
        """The module arguments of the task (what the action plugin of a module may add to them)."""
        return self._task.args

    def _apply_task_environment(self):
        """Make the task's ``environment:`` visible to the options' environment fallbacks, as for a real module.

        Each task runs in its own forked worker process, so this changes nothing outside the task.
        """
        for entry in self._task.environment or []:
            values = self._templar.template(entry)
            if isinstance(values, dict):
                os.environ.update((str(name), str(value)) for name, value in values.items() if value is not None)


class DeviceConfigAction(LockAction):
    """Action plugin of an SDM provisioning module (device_config_*)."""

    def task_args(self, task_vars):
        """The task's arguments; a task that names no device gets the one device of the innermost SDM session of the
        lock_session role, if it holds exactly one (in a nested session the run holds several, and a check run holds
        none, so the lease record alone cannot say which device it is)."""
        args = self._task.args
        if args.get('device_id') or args.get('device'):
            return args
        session = innermost_session((task_vars or {}).get('__lock_session_stack') or [], 'sdm')
        device_ids = session.get('device_ids')
        if isinstance(device_ids, list) and len(device_ids) == 1 and isinstance(device_ids[0], str):
            return dict(args, device_id=device_ids[0])
        return args
