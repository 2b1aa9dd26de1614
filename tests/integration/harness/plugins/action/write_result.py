# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness: write a play's results (or a marker) to a file on the controller, in-process.

The integration plays hand their registered results to the tests through a file. ``ansible.builtin.copy``
did that with two module runs (a new interpreter each, about 0.75 s of CPU per task on these machines,
more than a whole play of ``debug`` tasks); this action writes the same bytes from the worker itself. It
is test tooling, not part of the collection: every host of the integration plays is the controller.
"""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    """``content`` (text) to ``dest``, mode 0600, replaced atomically; ``changed`` when the bytes differ, like copy."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('content', 'dest'))
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        dest = args.get('dest')
        if not isinstance(dest, str) or not dest:
            raise AnsibleActionFail('dest must be a path')
        content = args.get('content', '')
        # as copy does: a template that came out as a list or dict is written as JSON
        data = to_bytes(content if isinstance(content, str) else json.dumps(content))
        try:
            with open(dest, 'rb') as existing:
                result['changed'] = existing.read() != data
        except FileNotFoundError:
            result['changed'] = True
        result['dest'] = dest
        if not result['changed'] or self._task.check_mode:
            return result
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dest)), prefix='.write_result-')
        try:
            with os.fdopen(handle, 'wb') as out:
                out.write(data)
            os.chmod(temporary, 0o600)
            os.replace(temporary, dest)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return result
