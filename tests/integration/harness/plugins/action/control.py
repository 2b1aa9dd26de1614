# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness: one call of the emulator's control API (plain HTTP on loopback) from inside a play, in-process.

What another job or an administrator does to a device meanwhile (take or release its lock, inject a fault,
read who holds it). ``ansible.builtin.uri`` did that with a module run (a new interpreter, about 0.4 s of CPU
a task on these machines); this action makes the same request from the worker. Test tooling, not part of
the collection. It behaves as uri does for what the tests see: the host's connection is opened first (an
unreachable host is unreachable), a check run skips it (uri does not support check mode), redirects are
not followed, the result has ``status`` (-1 when the server cannot be reached) and ``json``, and the task
fails, with a result ``failed_when`` can overrule, on a status not in ``status_code`` (default 200).
It does not run as an ``async`` task.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """uri's default for a POST, and what the tests expect of every call: a 3xx is the answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# no proxy from the environment (the emulator listens on 127.0.0.1), no redirect followed
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


class ActionModule(ActionBase):
    """``method`` (GET) ``url`` with ``body`` as JSON; ``status_code`` (200) lists the statuses that succeed."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('url', 'method', 'body', 'status_code'))
    _supports_check_mode = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self._connection._connect()  # pylint: disable=protected-access
        args = self._task.args
        url = args.get('url')
        if not isinstance(url, str) or not url.startswith('http://127.0.0.1:'):
            raise AnsibleActionFail('url must be the emulator control API on http://127.0.0.1:PORT, not %r' % (url,))
        method = str(args.get('method', 'GET')).upper()
        expected = args.get('status_code', [200])
        expected = [int(code) for code in (expected if isinstance(expected, list) else [expected])]
        data = None if 'body' not in args else json.dumps(args['body']).encode('utf-8')
        request = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
        result.update(changed=False, url=url)
        try:
            with _OPENER.open(request, timeout=60) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            result.update(status=-1, failed=True, msg='Status code was -1 and not %s: Request failed: %s' % (expected, error))
            return result
        result['status'] = status
        try:
            parsed = json.loads(body.decode('utf-8')) if body else None
        except ValueError:
            result['content'] = body.decode('utf-8', 'replace')
        else:
            if parsed is not None:
                result['json'] = parsed
        if status not in expected:
            result.update(failed=True, msg='Status code was %s and not %s: %s %s' % (status, expected, method, url))
        return result
