# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: session_tasks
short_description: Where the tasks file of a lock session is, checked before any lock is taken
version_added: 0.2.0
description:
  - Resolves the tasks file that the role R(oracle_comms.provisioning.lock_session,ansible_collections.oracle_comms.provisioning.lock_session_role)
    runs under the lock, and returns its absolute path. The role uses it before it takes the lock.
  - A relative name is read from the playbook's directory (C(playbook_dir)), never from the role's own files,
    whatever it is called; C(~) is expanded. A name that is no file fails.
  - Fails when the file, or a file it includes or imports by a literal name, uses C(meta) V(end_host), V(end_batch) or
    V(end_play). Those end the host's tasks without running the C(always) section, so the lock would stay held until
    C(ansible-playbook) exits. The message names the file and the line. Files included by a templated name, roles the
    file includes, and handlers cannot be known before they run, and are not checked.
author:
  - Oracle Comms Provisioning Maintainers (@oracle-comms)
options:
  _terms:
    description: The tasks file, as given to the role's C(lock_session_tasks).
    required: true
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: The file a session would run, checked
  ansible.builtin.debug:
    msg: "{{ lookup('oracle_comms.provisioning.session_tasks', 'tasks/add_realm.yml') }}"
'''

RETURN = r'''
_raw:
  description: The absolute path of each tasks file.
  type: list
  elements: path
'''

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._session_tasks import SessionTasksError, session_tasks


class LookupModule(LookupBase):
    """``lookup('oracle_comms.provisioning.session_tasks', lock_session_tasks)``."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        playbook_dir = str((variables or {}).get('playbook_dir') or '')
        try:
            return [session_tasks(term, playbook_dir) for term in terms]
        except SessionTasksError as exc:
            raise AnsibleError(str(exc))
