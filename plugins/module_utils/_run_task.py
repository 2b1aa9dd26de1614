# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Run the body of a lock task and shape what it did into a task result: for the action plugin and the module's main()."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import traceback

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_INTERNAL, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor, one_line
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import MEMBER_ENV, Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import LockHost


def task_result(body, params, host, redactor):
    """``body(params, host, redactor)``'s result, or a failed result; never raises.

    An OracleError becomes its one-line ``msg``, its ``reason``, ``retryable`` (whether trying again later may
    succeed) and its detail keys; anything unexpected becomes a one-line ``msg`` that says so, with the traceback
    only in ``exception`` (shown at -vvv). Every text passes through ``redactor``, which knows the password and
    every token or cookie seen.
    """
    try:
        return body(params, host, redactor)
    except OracleError as exc:
        return dict(exc.detail or {}, failed=True, msg=redactor(exc.msg), reason=exc.reason, retryable=exc.retryable)
    except Exception as exc:  # a bug of ours: still one line, and nothing secret in it
        return dict(failed=True, msg=redactor(one_line('internal error: %s: %s; please report it' % (type(exc).__name__, exc), 500)),
                    reason=REASON_INTERNAL, retryable=False, exception=redactor(traceback.format_exc()))


def main_for(spec, body):
    """The ``main()`` of a lock module executed on a host: AnsibleModule from ``spec``, then ``body``; ends the module."""
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(supports_check_mode=True, **spec.to_kwargs())
    # the action plugin that delegated the task says which inventory host of the run it is for
    host = LockHost(module.check_mode, module._diff, os.environ.get(MEMBER_ENV, ''), module.warn, run=Run.of_delegated_module())
    result = task_result(body, module.params, host, Redactor(*module.no_log_values))
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)
