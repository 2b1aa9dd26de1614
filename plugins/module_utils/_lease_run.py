# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Which Ansible run a process belongs to (``Run``), and the run's own secret key.

A run is the ``ansible-playbook`` (or ``ansible``) process, told apart from a later one with the same pid by its
start time. Its key is made in that process before it forks the workers of its tasks, so every task of the run has
it and no other process does (the proofs of _lease_proof carry a MAC under it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket

from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _proc
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_LEASE, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import expect, is_int, is_text, optional

#: Lets the action plugin tell a module executed on another host which run it belongs to.
RUN_ID_ENV = 'ORACLE_COMMS_RUN_ID'
#: ... and which inventory host of that run the task is for.
MEMBER_ENV = 'ORACLE_COMMS_INVENTORY_HOST'

#: A random key of this run, made in ansible-playbook's own process before it forks the workers of its tasks
#: (prepare_run_key), so every task of the run has it and no other process does. A proof carries a MAC of the
#: credentials under it: a later task of the same run checks that in microseconds instead of paying scrypt.
_run_key = {}
#: {'made': (pid, Run)}: the run as the process ``pid`` found it in prepare_run_key, for it and the workers it forks
_run_of_process = {}


class Run:
    """One Ansible run: the ``ansible-playbook`` (or ``ansible``) process, told apart from a later one by its start time."""

    def __init__(self, host, pid, start=None, job=None, run_id=None):
        self.host = host
        self.pid = int(pid)
        self.start = start
        self.job = job
        self.run_id = run_id

    @classmethod
    def current(cls):
        """The run this process belongs to, from the processes themselves (never from the environment).

        Worker processes are forks of the ``ansible-playbook`` process, so the run is the topmost of our
        consecutive ancestors whose command is an Ansible CLI. In the process that called :func:`prepare_run_key`
        and in the processes it forked (same memory, same command line, so the same ancestors) that answer is kept.
        """
        made = _run_of_process.get('made')
        if made is not None and made[0] in (os.getpid(), os.getppid()):
            return made[1]
        job = os.environ.get('JOB_ID') or os.environ.get('AWX_JOB_ID') or None
        pid = os.getpid()
        top = pid if _proc.is_ansible_command(pid) else None
        candidate = pid
        for _dummy in range(8):
            parent = _proc.parent(candidate)
            if not parent or parent <= 1 or not _proc.is_ansible_command(parent):
                break
            top = candidate = parent
        if top is None:
            top = os.getppid() if _proc.parent(os.getpid()) is None else pid
        return cls(socket.gethostname(), top, _proc.start_time(top), job)

    @classmethod
    def of_delegated_module(cls):
        """The run a module executed on another host belongs to: the action plugin says so in ``ORACLE_COMMS_RUN_ID``.

        Only the module's ``main()`` asks this; a task that runs in-process never trusts the environment, which a
        task's ``environment:`` could set.
        """
        explicit = os.environ.get(RUN_ID_ENV)
        if not explicit:
            return cls.current()
        return cls.from_id(explicit, job=os.environ.get('JOB_ID') or os.environ.get('AWX_JOB_ID') or None)

    @classmethod
    def from_id(cls, run_id, job=None):
        """Parse ``host:pid:start``, as :meth:`ident` writes it; OracleError(lease_error) for anything else."""
        try:
            host, pid, start = run_id.rsplit(':', 2)
            return cls(host, int(pid), int(start) if start not in ('', 'None') else None, job, run_id)
        except (ValueError, AttributeError):
            raise OracleError('%s is not of the form host:pid:start; unset it' % RUN_ID_ENV, REASON_LEASE)

    @property
    def ident(self):
        return '%s:%d:%s' % (self.host, self.pid, self.start)

    def same(self, other):
        return other is not None and self.ident == other.ident

    def alive(self):
        """True while the run's process exists; None when that cannot be checked from here (another host)."""
        if self.host != socket.gethostname():
            return None
        if self.start is not None and os.path.isdir('/proc'):
            return _proc.start_time(self.pid, living=True) == self.start
        try:
            os.kill(self.pid, 0)
        except OSError as exc:
            return exc.errno == errno.EPERM
        return True

    def describe(self):
        text = 'ansible run pid %d on %s' % (self.pid, self.host)
        return text + (' (AWX job %s)' % self.job if self.job else '')

    def to_dict(self):
        return {'host': self.host, 'pid': self.pid, 'start': self.start, 'job': self.job}

    @classmethod
    def from_dict(cls, data):
        expect(isinstance(data, dict), 'run is not a mapping')
        expect(is_text(data.get('host'), 255), 'run host is not a name')
        expect(is_int(data.get('pid')) and data['pid'] > 0, 'run pid is not a positive integer')
        expect(optional(data.get('start'), is_int), 'run start is not an integer')
        expect(optional(data.get('job'), lambda value: is_int(value) or is_text(value, 128)), 'run job is not an id')
        return cls(data['host'], data['pid'], data.get('start'), data.get('job'))


def prepare_run_key(run):
    """In the run's own process (``ansible-playbook``, before it forks its workers): make the key of ``run`` and keep
    ``run`` as this process's run. Elsewhere nothing happens; idempotent."""
    if run.pid != os.getpid():
        return
    if run.ident not in _run_key:
        _run_key.clear()
        _run_key[run.ident] = os.urandom(32)
    _run_of_process['made'] = (os.getpid(), run)


def run_key(run_ident):
    """The key of the run ``run_ident`` where this process has it (the run's process and its forks), else None."""
    return _run_key.get(run_ident)
