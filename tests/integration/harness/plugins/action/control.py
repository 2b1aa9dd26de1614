# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness: one call of the emulator's control API (plain HTTP on loopback) from inside a play, in-process.

What another job or an administrator does to a device meanwhile (take or release its lock, inject a fault,
read who holds it). ``ansible.builtin.uri`` did that with a module run (a new interpreter, about 0.4 s of CPU
a task on these machines); this action makes the same request from the worker. Test tooling, not part of
the collection. Its result has uri's ``status`` and ``json``, and it fails like uri on an unexpected status.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# no proxy from the environment: the emulator listens on 127.0.0.1
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ActionModule(ActionBase):
    """``method`` (GET) ``url`` with ``body`` as JSON; ``status_code`` (200) lists the statuses that succeed."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('url', 'method', 'body', 'status_code'))
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        url = args.get('url')
        if not isinstance(url, str) or not url.startswith('http://127.0.0.1'):
            raise AnsibleActionFail('url must be the emulator control API on http://127.0.0.1, not %r' % (url,))
        method = str(args.get('method', 'GET')).upper()
        expected = args.get('status_code', [200])
        expected = [int(code) for code in (expected if isinstance(expected, list) else [expected])]
        data = None if 'body' not in args else json.dumps(args['body']).encode('utf-8')
        request = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
        try:
            with _OPENER.open(request, timeout=60) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        result.update(status=status, changed=False, url=url)
        try:
            result['json'] = json.loads(body.decode('utf-8')) if body else None
        except ValueError:
            result['content'] = body.decode('utf-8', 'replace')
        if result.get('json') is None:
            result.pop('json')
        if status not in expected:
            result.update(failed=True, msg='Status code was %s and not %s: %s %s' % (status, expected, method, url))
        return result
