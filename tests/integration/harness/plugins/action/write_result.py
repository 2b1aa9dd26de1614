# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness: write a play's results (or a marker) to a file on the controller, in-process.

The integration plays hand their registered results to the tests through a file. ``ansible.builtin.copy``
did that with two module runs (a new interpreter each, about 0.75 s of CPU per task on these machines,
more than a whole play of ``debug`` tasks); this action writes the same bytes from the worker itself. It
is test tooling, not part of the collection: every host of the integration plays is the controller, and
the action behaves as copy with ``content``, ``dest`` and ``mode: "0600"`` does for what the tests see:
the host's connection is opened first (a host that cannot be reached is unreachable and gets no file),
a null ``content`` fails, a list or dict is written as JSON and anything else as its text, the file ends
0600, ``changed`` when its bytes or its mode change, and a check run writes nothing.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

MODE = 0o600


class ActionModule(ActionBase):
    """``content`` to ``dest`` on the controller, mode 0600, replaced atomically."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('content', 'dest'))
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # as a module run would: a host whose connection fails is unreachable, and nothing is written
        self._connection._connect()  # pylint: disable=protected-access
        args = self._task.args
        dest = args.get('dest')
        if not isinstance(dest, str) or not dest:
            raise AnsibleActionFail('dest must be a path')
        content = args.get('content')
        if content is None:
            raise AnsibleActionFail('src (or content) is required')
        data = to_bytes(json.dumps(content) if isinstance(content, (list, dict)) else to_text(content))
        try:
            with open(dest, 'rb') as existing:
                same = existing.read() == data and stat.S_IMODE(os.fstat(existing.fileno()).st_mode) == MODE
        except FileNotFoundError:
            same = False
        result.update(changed=not same, dest=dest)
        if same or self._task.check_mode:
            return result
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dest)), prefix='.write_result-')
        try:
            with os.fdopen(handle, 'wb') as out:
                out.write(data)
            os.chmod(temporary, MODE)
            os.replace(temporary, dest)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return result
