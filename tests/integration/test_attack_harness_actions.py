"""Attacks on the integration plays' harness actions (oracle_comms_tests.harness.write_result and .control, commit 0829d31).

The claim: ``write_result`` writes what ``ansible.builtin.copy`` (content, dest, mode 0600) wrote, and ``control``
behaves like the ``ansible.builtin.uri`` calls it replaced. Each test runs the same task both ways in a real play
(tests/integration/playbooks/attack_harness/) and asserts what the replaced module does; a failing test is a place
where the harness action and the module it stands in for part ways.
"""

import http.server
import json
import os
import socket
import stat
import threading
import time

import pytest
import yaml

from tests.integration.ansible_runner_util import PLAYBOOKS

pytestmark = pytest.mark.integration

WRITE = 'attack_harness/write_compare.yml'
CONTROL = 'attack_harness/control_compare.yml'
BOTH = ['uri', 'control']


def wait_until(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def write_both(ansible, tmp_path, cases, make_dirs=True, inventory=None, **kwargs):
    """Run write_compare.yml; return (play, outcomes of the one host, out directory)."""
    out = tmp_path / 'out'
    out.mkdir(exist_ok=True)
    if make_dirs:
        for name in ('copy', 'write'):
            (out / name).mkdir(exist_ok=True)
    host = 'localhost'
    if inventory is not None:
        host = inventory.split()[0]
        path = tmp_path / 'inventory.ini'
        path.write_text(inventory + '\n')
        inventory = str(path)
    given = tmp_path / 'cases.json'  # a file: a large case is longer than one argument may be
    given.write_text(json.dumps({'cases': cases, 'out': str(out)}))
    play = ansible.run(WRITE, inventory=inventory, args=['-e', '@%s' % given], **kwargs)
    outcomes_file = out / ('outcomes-%s.json' % host)
    assert outcomes_file.exists(), play
    return play, json.loads(outcomes_file.read_text()), out


# --------------------------------------------------------------------------------------- write_result vs copy: bytes

def test_write_result_writes_what_copy_writes_for_text_lists_and_dicts(ansible, tmp_path):
    """Holds: non-ASCII, CR, a large string, a list and a dict come out byte for byte as copy writes them."""
    cases = {'text': 'h\u00e9llo\r\nw\u00f6rld\r\n', 'large': 'x' * 300000 + '\u20ac', 'list': [1, '\u00e9', {'a': None}],
             'dict': {'a': [1, 2], '\u00e9': 'v'}, 'json_text': json.dumps({'a': 1}), 'empty': '', 'number': 7, 'float': 1.5}
    play, outcomes, out = write_both(ansible, tmp_path, cases)
    assert play.returncode == 0, play
    for name in cases:
        assert (out / 'write' / name).read_bytes() == (out / 'copy' / name).read_bytes(), name
        assert stat.S_IMODE((out / 'write' / name).stat().st_mode) == 0o600, name
    assert [o.get('changed') for o in outcomes['write']] == [o.get('changed') for o in outcomes['copy']], outcomes


def test_write_result_writes_a_boolean_as_copy_does(ansible, tmp_path):
    """A template that comes out a boolean (``{{ taken.changed }}``, ``{{ flag }}``): copy writes ``True``."""
    play, outcomes, out = write_both(ansible, tmp_path, {'flag': True})
    assert play.returncode == 0, play
    assert (out / 'copy' / 'flag').read_bytes() == b'True', outcomes
    assert (out / 'write' / 'flag').read_bytes() == (out / 'copy' / 'flag').read_bytes(), outcomes


def test_write_result_refuses_a_null_content_as_copy_does(ansible, tmp_path):
    """A template that comes out None (config_lock/hold.yml writes ``{{ taken.holder }}``): copy fails the task
    ("src (or content) is required") and writes nothing, so a holder the module did not report stops the play;
    write_result writes the four bytes ``null`` and the play goes on as if a holder had been reported."""
    _play, outcomes, out = write_both(ansible, tmp_path, {'holder': None})
    assert outcomes['copy'][0].get('failed') and not (out / 'copy' / 'holder').exists(), outcomes
    assert outcomes['write'][0].get('failed'), outcomes
    assert not (out / 'write' / 'holder').exists(), (out / 'write' / 'holder').read_bytes()


# --------------------------------------------------------------------------------------- write_result vs copy: dest

def test_write_result_fails_on_a_missing_parent_directory_as_copy_does(ansible, tmp_path):
    """Holds: copy with content does not create the directory of dest ("Destination directory ... does not exist");
    write_result fails too, and neither leaves a file."""
    _play, outcomes, out = write_both(ansible, tmp_path, {'r.json': '{}'}, make_dirs=False)
    assert outcomes['copy'][0].get('failed') and outcomes['write'][0].get('failed'), outcomes
    assert not (out / 'copy').exists() and not (out / 'write').exists()


def test_write_result_makes_an_existing_file_0600_as_copy_does(ansible, tmp_path):
    """mode 0600 (what every converted task said): copy sets it on a file that already has the same bytes, and says changed;
    write_result leaves the file as it was (0644) and says not changed."""
    out = tmp_path / 'out'
    for name in ('copy', 'write'):
        (out / name).mkdir(parents=True)
        (out / name / 'r.json').write_text('{}')
        os.chmod(out / name / 'r.json', 0o644)
    play, outcomes, out = write_both(ansible, tmp_path, {'r.json': '{}'})
    assert play.returncode == 0, play
    assert stat.S_IMODE((out / 'copy' / 'r.json').stat().st_mode) == 0o600 and outcomes['copy'][0]['changed'], outcomes
    assert outcomes['write'][0]['changed'] == outcomes['copy'][0]['changed'], outcomes
    assert stat.S_IMODE((out / 'write' / 'r.json').stat().st_mode) == 0o600, oct((out / 'write' / 'r.json').stat().st_mode)


def test_write_result_in_check_mode_writes_nothing_and_says_changed_as_copy_does(ansible, tmp_path):
    """Holds: --check (no check_mode: false on the task): neither writes, both say changed."""
    play, outcomes, out = write_both(ansible, tmp_path, {'r.json': '{"a": 1}'}, check=True)
    assert play.returncode == 0, play
    assert not (out / 'copy' / 'r.json').exists() and not (out / 'write' / 'r.json').exists()
    assert outcomes['copy'][0]['changed'] and outcomes['write'][0]['changed'], outcomes


# --------------------------------------------------------------------------------------- write_result vs copy: host

def test_write_result_on_an_unreachable_host_writes_nothing_as_copy_does(ansible, tmp_path):
    """Without delegate_to, copy writes on the play's host: a host that cannot be reached gets nothing (UNREACHABLE).
    write_result never uses the connection, so the file appears on the controller and the task is ok."""
    _play, outcomes, out = write_both(ansible, tmp_path, {'marker': 'started'}, inventory='far ansible_connection=unreachable')
    assert outcomes['copy'][0].get('unreachable') and not (out / 'copy' / 'marker').exists(), outcomes
    assert outcomes['write'][0].get('unreachable'), outcomes
    assert not (out / 'write' / 'marker').exists()


def test_the_lock_session_marker_says_started_on_a_host_that_cannot_be_reached(ansible, emulator, tmp_path):
    """lock_session/tasks/hold.yml (converted): "Mark that the tasks under the lock have started" ran with copy on the
    inventory host, so a test waiting for the marker (test_lock_session.start_holding) knew the tasks ran on the host.
    On an unreachable host the role still takes the lock (its lock runs on the controller), the marker is now written
    anyway, and only the next task reports the host UNREACHABLE."""
    marker = tmp_path / 'started'
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('far ansible_connection=unreachable sbc_host=%s\n' % emulator.sbc_host())
    play = ansible.run('lock_session/session.yml', inventory=str(inventory),
                       extra_vars={'work': 'hold', 'marker': str(marker), 'hold_seconds': 0})
    # the keeper gives the lock back once the run has ended: wait, so the next test finds the SBC free
    assert wait_until(lambda: not emulator.sbc_lock_state()['held'], 60), emulator.sbc_lock_state()
    assert 'UNREACHABLE!' in play.stdout, play
    assert not marker.exists(), 'the marker says the tasks under the lock started on a host nothing reached: %r' % play.failures()


# --------------------------------------------------------------------------------------- control vs uri

@pytest.mark.parametrize('which', BOTH)
def test_control_is_skipped_in_check_mode_as_uri_is(ansible, emulator, tmp_path, which):
    """uri does not support check mode: under --check the call was skipped (lost_lock.yml, unlock_fault.yml, sdm_partial.yml,
    expire_tokens.yml, attack_config_elements/steps.yml... have no check_mode: false). control declares check mode
    support and makes the request: here a GUI user takes the SBC's lock during a --check run."""
    result_file = tmp_path / 'r.json'
    play = ansible.run(CONTROL, check=True, extra_vars={
        'which': which, 'url': emulator.control_url + '/sbc/sbc1/lock', 'method': 'POST', 'body': {'kind': 'gui', 'user': 'webuser'},
        'codes': [200, 204], 'result_file': str(result_file)})
    assert play.returncode == 0, play
    outcome = json.loads(result_file.read_text())
    held = emulator.sbc_lock_state()['held']
    emulator.reset()
    assert not held, 'a --check run took the SBC lock through %s: %r' % (which, outcome)
    assert outcome['result'].get('skipped'), outcome


def test_a_check_run_of_lost_lock_leaves_the_sbc_as_it_found_it(ansible, emulator):
    """attack/lost_lock.yml (converted), how=taken, under --check: config_lock only predicts, and with uri the two
    control calls were skipped, so the SBC stayed free. With control they run: the run releases the SBC's lock and
    leaves it held by an ACLI user (cli-op)."""
    play = ansible.run('attack/lost_lock.yml', extra_vars={'how': 'taken'}, check=True, timeout=300)
    state = emulator.sbc_lock_state()
    emulator.reset()
    assert play.returncode == 0, play
    assert not state['held'], 'a --check run left the SBC lock held: %r' % state


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """POST /go answers 302 to /landing; GET /landing answers 200 with JSON. Every request is noted."""

    seen = []

    def _answer(self, status, body=b'', location=None):
        self.send_response(status)
        if location:
            self.send_header('Location', location)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802  # pylint: disable=invalid-name
        self.seen.append(('POST', self.path))
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self._answer(302, location='/landing')

    def do_GET(self):  # noqa: N802  # pylint: disable=invalid-name
        self.seen.append(('GET', self.path))
        self._answer(200, b'{"landed": true}')

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@pytest.fixture
def redirecting():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Redirecting)
    _Redirecting.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.mark.parametrize('which', BOTH)
def test_control_fails_on_a_redirected_post_as_uri_does(ansible, tmp_path, redirecting, which):
    """uri (follow_redirects: safe) does not follow a redirect of a POST: status 302, not in [200], the task fails.
    control's urllib follows it as a GET (the body dropped) and reports the landing page's 200: a POST the server
    redirected elsewhere passes as done."""
    result_file = tmp_path / 'r.json'
    play = ansible.run(CONTROL, extra_vars={'which': which, 'url': redirecting + '/go', 'method': 'POST', 'body': {'kind': 'gui'},
                                            'result_file': str(result_file)})
    outcome = json.loads(result_file.read_text())
    assert outcome['failed'] and outcome['result'].get('status') == 302, (outcome, _Redirecting.seen, play.failures())
    assert _Redirecting.seen == [('POST', '/go')], _Redirecting.seen


def test_control_refuses_async_loudly_and_no_converted_play_runs_it_async(ansible, emulator, tmp_path):
    """uri's action supports async; control does not (documented): under ``async:`` the task fails with that said,
    never passes quietly, and no play of the suite calls control asynchronously."""
    result_file = tmp_path / 'r.json'
    play = ansible.run(CONTROL, extra_vars={'which': 'control', 'url': emulator.control_url + '/sbc/sbc1/lock', 'async_seconds': 60,
                                            'result_file': str(result_file)})
    outcome = json.loads(result_file.read_text())
    assert outcome['failed'] and 'does not support async' in outcome['result'].get('msg', ''), (outcome, play.failures())
    for path in PLAYBOOKS.rglob('*.yml'):
        if path.parent.name == 'attack_harness':
            continue  # this test's own play, which tries it
        for task in _tasks(yaml.safe_load(path.read_text(encoding='utf-8'))):
            if 'oracle_comms_tests.harness.control' in task:
                assert 'async' not in task, path


def _tasks(data):
    """Every task (dict) in a play file or tasks file, blocks and plays' task lists included."""
    found = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict):
            found.append(item)
            for key in ('tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always'):
                found += _tasks(item.get(key))
    return found


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('which', BOTH)
def test_control_that_cannot_connect_answers_to_failed_when_as_uri_does(ansible, tmp_path, which):
    """uri reports a refused connection as a result (status -1, failed), which failed_when and a registered
    variable see; control raises, and the task fails whatever failed_when says, with no status to look at."""
    result_file = tmp_path / 'r.json'
    play = ansible.run(CONTROL, extra_vars={'which': which, 'url': 'http://127.0.0.1:%d/locks' % _closed_port(), 'tolerate': True,
                                            'result_file': str(result_file)})
    outcome = json.loads(result_file.read_text())
    assert not outcome['failed'] and outcome['result'].get('status') == -1, (outcome, play.failures())
