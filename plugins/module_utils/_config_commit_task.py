# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The body of ``config_commit``: save, verify and activate, in Oracle's order, when this run changed the configuration."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import seconds
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config import COMMIT_ORDER

#: The longest a commit may wait for the SBC, in seconds.
ASYNC_TIMEOUT_RANGE = (0.0, False, 86400.0)


def commit_changes(params, host, redactor, under_lock):
    """What ``config_commit`` does with validated ``params``: its result.

    ``under_lock(params, host, redactor, module)`` makes the task's UnderLock (``_config_element``), which finds
    this run's lock and its token.
    """
    asked = params.get('steps')
    asked = list(COMMIT_ORDER) if asked is None else asked
    unknown = [step for step in asked if step not in COMMIT_ORDER]
    if unknown or not asked:
        raise OracleError('steps must name one or more of save, verify and activate, not %s' % shown(asked, 60), REASON_BAD_INPUT)
    steps = [step for step in COMMIT_ORDER if step in asked]  # Oracle's order, whatever the order given
    async_timeout = seconds(params.get('async_timeout', 300.0), 'async_timeout', ASYNC_TIMEOUT_RANGE)
    only_if_changed = bool(params.get('only_if_changed', True))
    task = under_lock(params, host, redactor, 'config_commit')
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
