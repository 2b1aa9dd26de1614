# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""What Linux's /proc says about processes: start times, parents, command lines, descriptors, children.

Every function answers None, False or an empty set where /proc cannot tell (another OS, a process that is
gone or belongs to another user), never raises.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

_ANSIBLE_COMMANDS = ('ansible-playbook', 'ansible', 'ansible-console', 'ansible-pull')


def start_time(pid, living=False):
    """Start time of ``pid`` in clock ticks since boot (Linux), or None where /proc cannot tell.

    With ``living``, a zombie (dead, not yet reaped by its parent) counts as gone: None.
    """
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        if living and fields[0] in ('Z', 'X'):
            return None
        return int(fields[19])
    except (IOError, OSError, IndexError, ValueError):
        return None


def parent(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return int(handle.read().rsplit(')', 1)[1].split()[1])
    except (IOError, OSError, IndexError, ValueError):
        return None


def is_ansible_command(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')[:3]
    except (IOError, OSError):
        return False
    names = [os.path.basename(arg.decode('utf-8', 'replace')) for arg in argv if arg]
    return any(name in _ANSIBLE_COMMANDS for name in names)


def cmdline(pid):
    """The raw command line of ``pid``, or None if it cannot be read (gone, or another user's)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def fd_targets(pid, skip_std=False):
    """What the descriptors of ``pid`` point at (``pipe:[N]``, ``socket:[N]``, paths); empty if it cannot be read."""
    targets = set()
    try:
        names = os.listdir('/proc/%d/fd' % pid)
    except OSError:
        return targets
    for name in names:
        if skip_std and name in ('0', '1', '2'):
            continue
        try:
            targets.add(os.readlink('/proc/%d/fd/%s' % (pid, name)))
        except OSError:
            pass
    return targets


def children(pid):
    """Pids of the child processes of ``pid`` (Linux: /proc/<pid>/task/*/children; else a scan of /proc)."""
    children = set()
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, tid)) as handle:
                children.update(int(child) for child in handle.read().split())
        return children
    except (IOError, OSError, ValueError):
        pass
    try:
        entries = os.listdir('/proc')
    except OSError:
        return children
    for entry in entries:
        if entry.isdigit() and parent(int(entry)) == pid:
            children.add(int(entry))
    return children
