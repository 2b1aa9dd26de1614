# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark helper, not part of the collection's plugins: cProfile the controller, parent and every worker.

Enabled by benchmarks/profile.py with ``ANSIBLE_CALLBACKS_ENABLED=bench_profile`` and ``BENCH_PROFILE_DIR``.
The parent (``ansible-playbook``) is profiled from the moment callbacks load to the end of the play
(``parent.prof``). Each task runs in a worker forked from the parent; ``TaskExecutor.run`` is wrapped so
that every worker stops the profiler it inherited and profiles its own task (``worker-PID.prof``): the
whole task as the worker executes it, action plugin included, fork and interpreter teardown excluded.
"""

from __future__ import annotations

import cProfile
import os

from ansible.executor import task_executor
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: bench_profile
type: aggregate
short_description: cProfile ansible-playbook and its workers (benchmarks only)
description:
  - Writes cProfile data of the parent process and of every task's worker to the directory named by E(BENCH_PROFILE_DIR).
requirements:
  - the environment variable E(BENCH_PROFILE_DIR)
'''

_STATE = {'parent': None, 'pid': None, 'wrapped': False}


def _profiled_run(original):
    def run(self):
        parent = _STATE['parent']
        if parent is not None and os.getpid() != _STATE['pid']:
            parent.disable()  # inherited from the parent by fork: not this process's to keep
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return original(self)
        finally:
            profiler.disable()
            profiler.dump_stats(os.path.join(os.environ['BENCH_PROFILE_DIR'], 'worker-%d.prof' % os.getpid()))
    return run


class CallbackModule(CallbackBase):
    """Profile the parent, and wrap TaskExecutor.run so that workers profile themselves."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_profile'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not os.environ.get('BENCH_PROFILE_DIR') or _STATE['wrapped']:
            return
        task_executor.TaskExecutor.run = _profiled_run(task_executor.TaskExecutor.run)
        _STATE.update(parent=cProfile.Profile(), pid=os.getpid(), wrapped=True)
        _STATE['parent'].enable()

    def v2_playbook_on_stats(self, stats):
        parent = _STATE['parent']
        if parent is not None and os.getpid() == _STATE['pid']:
            parent.disable()
            parent.dump_stats(os.path.join(os.environ['BENCH_PROFILE_DIR'], 'parent.prof'))
