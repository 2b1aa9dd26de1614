"""Attacks on the benchmarks' harness: ``plays.floor_role`` (benchmark 2's and 8's floor copy of lock_session) and
``latency_proxy.LatencyProxy`` (benchmark 8's WAN on loopback).

floor_role's claim: the floor copy has every task of the collection replaced by an in-process task, wherever the role
puts it, keeps the role's structure, and is refused (RuntimeError) if a lock task is left in it. Each role here is valid
Ansible; a failing test is a role whose floor copy still locks (and is not refused) or no longer runs.

LatencyProxy's claim: every byte arrives, in order, no sooner than the delay; the end of the stream is passed on;
connections are counted; ``close()`` stops it and ends every connection. Time is only ever bounded from below here.
"""

import concurrent.futures
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
import yaml

from benchmarks import plays
from benchmarks.latency_proxy import LatencyProxy
from tests.collection_path import REPO_ROOT, ensure_collections_root

LOCK = 'oracle_comms.provisioning.config_lock'


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding='utf-8')
    return path


def collection_actions(tasks):
    """The collection's task keys (and action: forms) left in ``tasks``, blocks included."""
    found = []
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        found += [key for key in task if key.startswith('oracle_comms.provisioning.')]
        for key in ('action', 'local_action'):
            value = task.get(key)
            module = value.get('module', '') if isinstance(value, dict) else str(value or '').split(' ', 1)[0]
            if module.startswith('oracle_comms.provisioning.'):
                found.append(key)
        for key in ('block', 'rescue', 'always'):
            found += collection_actions(task.get(key))
    return found


def run_role(tmp_path, role_dir):
    """``import_role`` of ``role_dir`` in a play on localhost, with no SBC/SDM in the environment: a lock task left in
    the role fails for want of a host (the module ran); the floor's in-process tasks run through."""
    play = write(tmp_path / 'floor-play.yml', [{'name': 'The floor copy', 'hosts': 'localhost', 'gather_facts': False,
                                                'tasks': [{'name': 'The role', 'ansible.builtin.import_role': {'name': str(role_dir)}}]}])
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith(('ANSIBLE_', 'SBC_', 'SDM_', 'ORACLE_COMMS_')))
    env.update({'ANSIBLE_COLLECTIONS_PATH': str(ensure_collections_root()), 'ANSIBLE_LOCALHOST_WARNING': 'false',
                'ANSIBLE_PYTHON_INTERPRETER': sys.executable, 'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'),
                'ANSIBLE_HOME': str(tmp_path / 'ansible-home'), 'ANSIBLE_NOCOLOR': '1', 'ORACLE_COMMS_LEASE_DIR': str(tmp_path / 'leases')})
    bindir = os.path.dirname(sys.executable)
    return subprocess.run([os.path.join(bindir, 'ansible-playbook'), str(play), '-i', 'localhost,', '-c', 'local'], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)


def floor_or_refused(role, floor):
    """floor_role's copy, or None if it refused the role (what it promises when a lock task would be left)."""
    try:
        plays.floor_role(role, floor)
    except RuntimeError:
        return None
    return floor


# ------------------------------------------------------------------------------------------ task files it does not read

@pytest.mark.parametrize('tasks_file', ['tasks/acquire.json', 'tasks/acquire', 'tasks/acquire.tasks'])
def test_a_lock_task_in_a_tasks_file_not_named_yml_is_replaced_or_refused(tmp_path, tasks_file):
    """import_tasks loads any file name (JSON or YAML, any extension or none); floor_role reads only *.yml and *.yaml.
    With one lock task it can see (so something was replaced) the copy is returned with the other still in place."""
    role = tmp_path / 'role'
    write(role / 'tasks' / 'main.yml', [{'name': 'Give', LOCK: {'state': 'unlocked'}},
                                        {'name': 'Take', 'ansible.builtin.import_tasks': os.path.basename(tasks_file)}])
    (role / tasks_file).write_text(json.dumps([{'name': 'Take for real', LOCK: {'state': 'locked'}}]))
    floor = floor_or_refused(role, tmp_path / 'floor')
    if floor is not None:
        left = collection_actions(yaml.safe_load((floor / tasks_file).read_text()))
        assert not left, 'floor_role returned a copy whose %s still runs %s' % (tasks_file, left)


def test_a_lock_task_in_a_file_under_vars_that_the_role_imports_is_replaced_or_refused(tmp_path):
    """defaults/, vars/ and meta/ are skipped as "not task lists", but nothing stops a role importing tasks from there."""
    role = tmp_path / 'role'
    write(role / 'tasks' / 'main.yml', [{'name': 'Give', LOCK: {'state': 'unlocked'}},
                                        {'name': 'Take', 'ansible.builtin.import_tasks': '../vars/take.yml'}])
    write(role / 'vars' / 'take.yml', [{'name': 'Take for real', LOCK: {'state': 'locked'}}])
    write(role / 'vars' / 'main.yml', {'a_var': 1})
    floor = floor_or_refused(role, tmp_path / 'floor')
    if floor is not None:
        assert not collection_actions(yaml.safe_load((floor / 'vars' / 'take.yml').read_text()))


def test_a_tasks_file_outside_the_role_imported_by_a_relative_path_is_refused(tmp_path):
    """A role that keeps its lock tasks beside it (``../../shared/take.yml``): the copy, put at the same depth as the role
    (as the benchmarks do: work/.../roles/lock_session_floor), imports the very same file, which still locks."""
    role = tmp_path / 'src' / 'roles' / 'lock_session'
    write(role / 'tasks' / 'main.yml', [{'name': 'Give', LOCK: {'state': 'unlocked'}, 'when': False},
                                        {'name': 'Take', 'ansible.builtin.import_tasks': '../../../shared/take.yml'}])
    write(tmp_path / 'src' / 'shared' / 'take.yml', [{'name': 'Take for real', LOCK: {'state': 'locked'}}])
    floor = floor_or_refused(role, tmp_path / 'src' / 'floors' / 'lock_session_floor')
    if floor is not None:
        done = run_role(tmp_path, floor)
        assert done.returncode == 0, 'the floor copy ran a lock task: %s' % done.stdout[-2000:]


def test_a_role_that_imports_its_own_entry_point_by_name_is_refused(tmp_path):
    """A role may reach its acquire entry point by name (``import_role: oracle_comms.provisioning.lock_session, tasks_from``):
    the floor copy then imports the collection's real role, whose lock tasks run; floor_role returns the copy."""
    role = tmp_path / 'role'
    acquire = {'name': 'oracle_comms.provisioning.lock_session', 'tasks_from': 'acquire'}
    write(role / 'tasks' / 'main.yml', [{'name': 'Acquire', 'ansible.builtin.import_role': acquire}, {'name': 'Give', LOCK: {'state': 'unlocked'}}])
    write(role / 'defaults' / 'main.yml', {'lock_session_target': 'sbc'})
    floor = floor_or_refused(role, tmp_path / 'floor')
    if floor is not None:
        done = run_role(tmp_path, floor)
        assert done.returncode == 0, 'the floor copy ran the real role\'s lock task: %s' % done.stdout[-2000:]


# ------------------------------------------------------------------------------------------ collection actions it does not know

def test_a_short_name_of_another_module_of_the_collection_is_replaced(tmp_path):
    """"every task of the collection": with ``collections: [oracle_comms.provisioning]`` (or inside the collection's own
    role) ``config_commit`` is that collection's module, which sends requests; only config_lock/device_lock short names
    are recognised, so the copy still commits (and is not refused)."""
    role = tmp_path / 'role'
    write(role / 'meta' / 'main.yml', {'collections': ['oracle_comms.provisioning'], 'dependencies': []})
    write(role / 'tasks' / 'main.yml', [{'name': 'Give', 'config_lock': {'state': 'unlocked'}},
                                        {'name': 'Commit', 'config_commit': {}}])
    floor = floor_or_refused(role, tmp_path / 'floor')
    if floor is not None:
        left = [key for task in yaml.safe_load((floor / 'tasks' / 'main.yml').read_text()) for key in task if key == 'config_commit']
        assert not left, 'the copy still runs %s' % left


# ------------------------------------------------------------------------------------------ structure it breaks

def test_a_lock_task_with_its_arguments_under_args_still_runs_in_the_floor_copy(tmp_path):
    """``oracle_comms.provisioning.config_lock:`` with its options under ``args:`` (valid Ansible, as for any module): the
    ``args`` stay on the debug put in its place, and debug refuses them, so the floor play fails where the role ran."""
    role = tmp_path / 'role'
    write(role / 'tasks' / 'main.yml', [{'name': 'Give', LOCK: None, 'args': {'state': 'unlocked'}}])
    floor = floor_or_refused(role, tmp_path / 'floor')
    assert floor is not None
    done = run_role(tmp_path, floor)
    assert done.returncode == 0, done.stdout[-2000:]


def test_a_role_with_an_unsafe_string_is_refused_loudly(tmp_path):
    """``!unsafe`` (Ansible's tag for a string never templated) is valid in any tasks file; floor_role reads the role
    with yaml.safe_load, which knows no such tag: it refuses the role (an error), never floors it half."""
    role = tmp_path / 'role'
    (role / 'tasks').mkdir(parents=True)
    (role / 'tasks' / 'main.yml').write_text('---\n- name: Give\n  %s:\n    state: unlocked\n'
                                             '- name: Say\n  ansible.builtin.debug:\n    msg: !unsafe "{{ not templated }}"\n' % LOCK)
    with pytest.raises(yaml.YAMLError):
        plays.floor_role(role, tmp_path / 'floor')


def test_a_looped_lock_task_that_registers_is_refused(tmp_path):
    """A lock task with a loop registers ``{results: [...]}``, which no in-process task of one result can stand for:
    floor_role refuses the role rather than give a floor whose next task reading ``.results`` breaks."""
    role = tmp_path / 'role'
    write(role / 'tasks' / 'main.yml', [
        {'name': 'Give each', LOCK: {'state': 'unlocked'}, 'loop': [1, 2], 'register': 'given'},
        {'name': 'Read', 'ansible.builtin.debug': {'msg': '{{ given.results | length }}'}}])
    with pytest.raises(RuntimeError, match='looped lock task'):
        plays.floor_role(role, tmp_path / 'floor')


# ------------------------------------------------------------------------------------------ what holds

def test_the_collections_role_floor_runs_without_a_device(tmp_path):
    """Holds: the floor copy of roles/lock_session runs a session (SBC) to its end with no SBC anywhere."""
    floor = tmp_path / 'roles' / 'lock_session_floor'
    plays.floor_role(REPO_ROOT / 'roles' / 'lock_session', floor)
    tasks = write(tmp_path / 'work.yml', [{'name': 'Work', 'ansible.builtin.debug': {'msg': 'work'}}])
    play = write(tmp_path / 'floor-play.yml', [{'name': 'A session', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'The session', 'ansible.builtin.include_role': {'name': str(floor)},
         'vars': {'lock_session_target': 'sbc', 'lock_session_tasks': str(tasks)}}]}])
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith(('ANSIBLE_', 'SBC_', 'SDM_', 'ORACLE_COMMS_')))
    env.update({'ANSIBLE_COLLECTIONS_PATH': str(ensure_collections_root()), 'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
                'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'), 'ANSIBLE_HOME': str(tmp_path / 'ansible-home'),
                'ORACLE_COMMS_LEASE_DIR': str(tmp_path / 'leases')})
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), str(play), '-i', 'localhost,', '-c', 'local'],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert 'work' in done.stdout


# ------------------------------------------------------------------------------------------ the latency proxy

DELAY = 0.05


def serve_each(handler):
    """A TCP server on 127.0.0.1 running ``handler(connection)`` per connection (daemon threads); return (address, ended)
    where ``ended`` is set once per connection whose handler returned."""
    server = socket.create_server(('127.0.0.1', 0))
    ended = []

    def accept():
        while True:
            connection, _address = server.accept()
            done = threading.Event()
            ended.append(done)

            def run(connection=connection, done=done):
                try:
                    handler(connection)
                finally:
                    done.set()
            threading.Thread(target=run, daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname(), ended


def echo(connection):
    with connection:
        while True:
            data = connection.recv(65536)
            if not data:
                break
            connection.sendall(data)


def answer_then_reset(connection):
    """Read the client's first bytes, answer, then end the connection with a reset (SO_LINGER 0), as a server that dies does."""
    connection.recv(10)
    connection.sendall(b'answer')
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    connection.close()


def read_to_end(connection):
    """Everything until the end of the stream; (bytes, the error that ended it or None)."""
    data = b''
    while True:
        try:
            chunk = connection.recv(65536)
        except OSError as error:
            return data, error
        if not chunk:
            return data, None
        data += chunk


def exchange_then_reset(address):
    with socket.create_connection(address, timeout=60) as connection:
        connection.sendall(b'go')
        return read_to_end(connection)


def test_the_bytes_a_peer_sent_before_it_reset_the_connection_reach_the_client():
    """"every byte arrives": the upstream answers, then resets. Straight to it, the client reads the answer and then the
    reset; through the proxy, the answer (read by the proxy, waiting out its delay) is dropped with the queue."""
    upstream, _ended = serve_each(answer_then_reset)
    direct, _error = exchange_then_reset(upstream)
    assert direct == b'answer'
    with LatencyProxy(upstream, DELAY) as proxy:
        proxied, error = exchange_then_reset(('127.0.0.1', proxy.port))
    assert proxied == b'answer', 'through the proxy the client got %r (then %r), not the answer' % (proxied, error)


def test_a_reset_reaches_the_client_as_a_reset_not_as_a_clean_end():
    """The upstream resets the connection: straight to it the client sees ConnectionResetError; through the proxy it sees
    a clean end of stream, as if every byte had been sent (a truncated answer looks whole)."""
    upstream, _ended = serve_each(answer_then_reset)
    _data, direct = exchange_then_reset(upstream)
    assert isinstance(direct, ConnectionResetError), direct
    with LatencyProxy(upstream, DELAY) as proxy:
        _data, proxied = exchange_then_reset(('127.0.0.1', proxy.port))
    assert isinstance(proxied, ConnectionResetError), 'through the proxy the stream ended with %r' % (proxied,)


def test_close_ends_every_open_connection():
    """close(): "Stop accepting and end every connection". A client still connected must see its connection end
    (and so must the upstream); the proxy's loop stops, but the connections stay open, with nothing behind them."""
    upstream, ended = serve_each(echo)
    proxy = LatencyProxy(upstream, 0.001)
    with proxy:
        client = socket.create_connection(('127.0.0.1', proxy.port), timeout=15)
        client.sendall(b'x')
        assert client.recv(1) == b'x'
    with client:
        assert not [thread for thread in threading.enumerate() if thread.name == 'latency-proxy']
        try:
            after = client.recv(10)
        except socket.timeout:
            after = 'still open after 15 s'
        except OSError as error:
            after = error
        assert after == b'' or isinstance(after, ConnectionResetError), 'the client\'s connection after close(): %r' % (after,)
        assert ended[0].wait(30), 'the upstream connection is still open after close()'


def test_close_of_a_proxy_never_entered_stops_listening():
    """The listening socket is opened by the constructor; close() of a proxy that was never entered leaves it listening
    (a client's connect succeeds and then nothing answers)."""
    upstream, _ended = serve_each(echo)
    proxy = LatencyProxy(upstream, DELAY)
    proxy.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(('127.0.0.1', proxy.port), timeout=30).close()


def test_a_large_transfer_both_ways_arrives_whole_and_in_order_and_the_end_crosses():
    """Holds: 8 MB sent while the echo streams back (both directions busy at once), then a half-close: every byte
    comes back in order, and the end of the stream is passed on both ways."""
    upstream, ended = serve_each(echo)
    payload = os.urandom(8 * 1024 * 1024)
    with LatencyProxy(upstream, 0.005) as proxy:
        with socket.create_connection(('127.0.0.1', proxy.port), timeout=60) as connection:
            def send():
                connection.sendall(payload)
                connection.shutdown(socket.SHUT_WR)
            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            back, error = read_to_end(connection)
            sender.join(60)
        assert error is None and len(back) == len(payload) and hashlib.sha256(back).digest() == hashlib.sha256(payload).digest()
        assert ended[0].wait(30)
        assert proxy.connections == 1


def test_many_concurrent_connections_are_each_counted_and_kept_apart():
    """Holds: 60 connections at once, each its own bytes back, each counted; each direction at least the delay."""
    upstream, _ended = serve_each(echo)

    def one(port, index):
        with socket.create_connection(('127.0.0.1', port), timeout=60) as connection:
            started = time.monotonic()
            mine = (b'%04d' % index) * 5000
            connection.sendall(mine)
            connection.shutdown(socket.SHUT_WR)
            back, error = read_to_end(connection)
            return back == mine and error is None, time.monotonic() - started

    with LatencyProxy(upstream, DELAY) as proxy:
        with concurrent.futures.ThreadPoolExecutor(60) as pool:
            outcomes = list(pool.map(one, [proxy.port] * 60, range(60)))
        assert proxy.connections == 60
    assert all(same for same, _seconds in outcomes)
    # the echo is one round trip through the proxy, never sooner (the connect's own delay began at the proxy's accept,
    # which may come before the client's clock starts on a busy machine, so it is not counted here)
    assert min(seconds for _same, seconds in outcomes) >= 2 * DELAY
