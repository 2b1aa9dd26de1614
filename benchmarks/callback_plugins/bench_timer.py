# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark helper, not part of the collection's plugins: write when each task starts and ends, per host.

Enabled by the benchmark harness (benchmarks/harness.py) with ``ANSIBLE_CALLBACK_PLUGINS`` and
``ANSIBLE_CALLBACKS_ENABLED=bench_timer``; the file is named by ``BENCH_TIMER_FILE``. Each event is one
JSON line, flushed at once, so the harness can also follow a play while it runs:
``{"event": "start"|"ok"|"failed"|"skipped"|"unreachable", "task": NAME, "host": HOST, "t": EPOCH}``.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Write task start and end times per host as JSON lines (benchmarks only)
description:
  - Writes one JSON line per task start and end to the file named by the environment variable E(BENCH_TIMER_FILE).
requirements:
  - the environment variable E(BENCH_TIMER_FILE)
'''


class CallbackModule(CallbackBase):
    """Task start and end times per host, as JSON lines."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = os.environ.get('BENCH_TIMER_FILE')
        self._out = open(path, 'a', encoding='utf-8') if path else None  # pylint: disable=consider-using-with

    def _write(self, event, task, host, result=None):
        if self._out is None:
            return
        record = {'event': event, 'task': task.get_name(), 'host': host, 't': time.time()}
        if result is not None:
            for name in ('waited', 'attempts'):
                if name in result:
                    record[name] = result[name]
        self._out.write(json.dumps(record) + '\n')
        self._out.flush()

    def v2_runner_on_start(self, host, task):
        self._write('start', task, host.get_name())

    def _end(self, event, result):
        self._write(event, result._task, result._host.get_name(), result._result)  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._end('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._end('failed', result)

    def v2_runner_on_skipped(self, result):
        self._end('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._end('unreachable', result)

    def v2_playbook_on_stats(self, stats):
        if self._out is not None:
            self._out.close()
            self._out = None
