"""Run real ``ansible-playbook`` against the emulator: environment, inventory, concurrency, secret scans."""

import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

from tests.collection_path import REPO_ROOT, ensure_collections_root

# The plays the integration tests run with pytest (not ansible-test targets: ansible-test integration has none to run)
PLAYBOOKS = pathlib.Path(__file__).resolve().parent / 'playbooks'
CONNECTION_PLUGINS = pathlib.Path(__file__).resolve().parent / 'plugins' / 'connection'
BIN = pathlib.Path(sys.executable).parent


class Play:
    """The outcome of one ``ansible-playbook`` run."""

    def __init__(self, args, returncode, stdout, stderr):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def output(self):
        return self.stdout + self.stderr

    def failures(self):
        """The lines that say why the play failed (``fatal:``, ``FAILED``, ``ERROR!``), each cut to 400 characters."""
        pattern = re.compile(r'^(fatal: |failed: |\[ERROR\]|ERROR!|.*FAILED!)')
        return [line[:400] for line in self.output.splitlines() if pattern.match(line)]

    def __repr__(self):
        # pytest cuts a long assertion message to its first lines: the reason comes first
        return 'Play(rc=%s; %s)\n--- stdout\n%s\n--- stderr\n%s' % (
            self.returncode, ' | '.join(self.failures()) or 'no failed task', self.stdout[-6000:], self.stderr[-3000:])


def play_env(emulator, workdir, lease_dir, sbc_user, sdm_user, release_on_exit=None, collections=None, clean=False):
    """The environment of a user's controller pointed at ``emulator``: collection path, SBC_*/SDM_*, lease directory.

    ``clean`` first drops what the caller's environment says about Ansible, the devices and the leases
    (benchmarks must not inherit a developer's settings). ``release_on_exit`` None keeps the modules' default.
    """
    workdir = pathlib.Path(workdir)
    env = dict(os.environ)
    if clean:
        for name in [name for name in env if name.startswith(('ANSIBLE_', 'SBC_', 'SDM_', 'ORACLE_COMMS_'))]:
            del env[name]
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': str(collections or ensure_collections_root()),
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCAL_TEMP': str(workdir / 'ansible-tmp'),
        'ANSIBLE_HOME': str(workdir / 'ansible-home'),
        'ORACLE_COMMS_LEASE_DIR': str(lease_dir),
        'SBC_HOST': emulator.sbc_host(),
        'SBC_USERNAME': sbc_user[0],
        'SBC_PASSWORD': sbc_user[1],
        'SBC_CA_PATH': emulator.ca_cert,
        'SDM_HOST': emulator.sdm_host(),
        'SDM_USERNAME': sdm_user[0],
        'SDM_PASSWORD': sdm_user[1],
        'SDM_CA_PATH': emulator.ca_cert,
        'EMULATOR_CONTROL': emulator.control_url,
        'PATH': '%s%s%s' % (BIN, os.pathsep, os.environ.get('PATH', '')),
    })
    if release_on_exit is not None:
        env['ORACLE_COMMS_RELEASE_ON_EXIT'] = str(release_on_exit).lower()
    return env


class PlaybookRunner:
    """Builds the environment a user would have (collection installed, SBC_*/SDM_* set) and runs plays."""

    def __init__(self, emulator, workdir, sbc_user=('admin', 'admin-secret-1'), sdm_user=('prov1', 'prov1-secret'), release_on_exit=None):
        self.emulator = emulator
        self.workdir = pathlib.Path(workdir)
        self.lease_dir = self.workdir / 'leases'
        self.sbc_user = sbc_user
        self.sdm_user = sdm_user
        # None keeps the modules' default (a keeper gives back what a run leaves); False lets locks outlive
        # a run, for tests of what the next run finds.
        self.release_on_exit = release_on_exit
        ensure_collections_root()

    def env(self, **overrides):
        env = play_env(self.emulator, self.workdir, self.lease_dir, self.sbc_user, self.sdm_user, self.release_on_exit)
        env['ANSIBLE_CONNECTION_PLUGINS'] = str(CONNECTION_PLUGINS)
        env.update(dict((key, str(value)) for key, value in overrides.items() if value is not None))
        for key in [key for key, value in overrides.items() if value is None]:
            env.pop(key, None)
        return env

    def command(self, playbook, extra_vars=None, verbosity=0, check=False, diff=False, inventory=None, args=()):
        playbook = pathlib.Path(playbook)
        if not playbook.is_absolute():
            playbook = PLAYBOOKS / playbook
        command = [str(BIN / 'ansible-playbook'), str(playbook), '-i', inventory or 'localhost,']
        if inventory is None:
            command += ['-c', 'local']
        for name, value in (extra_vars or {}).items():
            command += ['-e', '%s=%s' % (name, value)] if not isinstance(value, (dict, list, bool, int, float)) else \
                ['-e', __import__('json').dumps({name: value})]
        if verbosity:
            command.append('-' + 'v' * verbosity)
        if check:
            command.append('--check')
        if diff:
            command.append('--diff')
        return command + list(args)

    def run(self, playbook, timeout=180, env=None, **kwargs):
        """Run a play to its end and return a Play."""
        command = self.command(playbook, **kwargs)
        done = subprocess.run(command, cwd=str(REPO_ROOT), env=self.env(**(env or {})), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
        return Play(command, done.returncode, done.stdout.decode('utf-8', 'replace'), done.stderr.decode('utf-8', 'replace'))

    def start(self, playbook, env=None, **kwargs):
        """Start a play in the background (its own process group); ``finish`` collects it."""
        command = self.command(playbook, **kwargs)
        return subprocess.Popen(command, cwd=str(REPO_ROOT), env=self.env(**(env or {})), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)

    @staticmethod
    def finish(process, timeout=180):
        stdout, stderr = process.communicate(timeout=timeout)
        return Play(process.args, process.returncode, stdout.decode('utf-8', 'replace'), stderr.decode('utf-8', 'replace'))


class Background:
    """A play started with PlaybookRunner.start whose output is read as it comes (so a test can see where it is)."""

    def __init__(self, runner, playbook, **kwargs):
        kwargs.setdefault('verbosity', 1)
        self.process = runner.start(playbook, **kwargs)
        self.chunks = {'stdout': [], 'stderr': []}
        self.readers = [threading.Thread(target=self._read, args=(name,), daemon=True) for name in self.chunks]
        for reader in self.readers:
            reader.start()

    def _read(self, name):
        stream = getattr(self.process, name)
        for line in iter(stream.readline, b''):
            self.chunks[name].append(line.decode('utf-8', 'replace'))

    @property
    def stdout(self):
        return ''.join(self.chunks['stdout'])

    def wait_for(self, text, timeout=60.0):
        deadline = time.monotonic() + timeout
        while text not in self.stdout:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError('the play never printed %r: %r' % (text, self.finish(timeout=1)))
            time.sleep(0.05)

    def settle_in(self, task, settle=3.0):
        """Return once the play has started ``task`` and had ``settle`` seconds to get into it.

        For a waiter behind a lease on this controller, which sends the device nothing and so shows
        nothing to wait for: from the task banner to the module's first look at the lease takes tens of
        milliseconds, and ``settle`` leaves room for a loaded machine.
        """
        self.wait_for('TASK [%s]' % task)
        time.sleep(settle)

    def finish(self, timeout=180):
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        for reader in self.readers:
            reader.join(10)
        return Play(self.process.args, self.process.returncode, self.stdout, ''.join(self.chunks['stderr']))


class HandOver:
    """A holder play that keeps the lock until told to let go, and a waiter play started once it holds it.

    ``playbook`` takes ``taken_file`` and ``release_file`` (playbooks/*/hold.yml). Inside the ``with`` block
    the test watches the waiter get into its wait; on the way out the holder is told to let go, both plays
    are collected (``holder_play``, ``waiter_play``) and, unless the block failed, must have succeeded.
    """

    def __init__(self, holder_runner, waiter_runner, playbook, workdir, holder_vars=None, waiter_vars=None):
        self.taken, self.release = pathlib.Path(workdir) / 'taken', pathlib.Path(workdir) / 'release'
        self._start = (holder_runner, waiter_runner, playbook, dict(holder_vars or {}), dict(waiter_vars or {}))
        self.holder = self.waiter = self.holder_play = self.waiter_play = None

    def __enter__(self):
        holder_runner, waiter_runner, playbook, holder_vars, waiter_vars = self._start
        holder_vars.update(taken_file=str(self.taken), release_file=str(self.release))
        self.holder = Background(holder_runner, playbook, extra_vars=holder_vars)
        deadline = time.monotonic() + 90
        while not self.taken.exists():
            if self.holder.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError('the holder never took the lock: %r' % self.holder.finish(timeout=1))
            time.sleep(0.05)
        self.waiter = Background(waiter_runner, playbook, extra_vars=waiter_vars)
        return self

    def __exit__(self, kind, value, traceback):
        self.release.touch()
        self.holder_play = self.holder.finish()
        self.waiter_play = self.waiter.finish() if self.waiter else None
        if kind is None:
            assert self.holder_play.returncode == 0, self.holder_play
            assert self.waiter_play.returncode == 0, self.waiter_play
        return False


def assert_no_secret(text, secrets):
    """Fail, naming where, if any secret (password, token, session id) appears in ``text``.

    ``secrets`` is a list, or the emulator's ``secrets()`` mapping of lists; an empty one fails: the check would
    pass whatever the output.
    """
    if isinstance(secrets, dict):
        secrets = [secret for values in secrets.values() for secret in values]
    secrets = [secret for secret in secrets if secret]
    assert secrets, 'no secret to look for: the check would pass whatever the output'
    for secret in secrets:
        if secret and secret in text:
            index = text.index(secret)
            raise AssertionError('a secret leaked into the output near: %r' % text[max(0, index - 120):index].replace(secret, '<SECRET>'))


_TASK_RE = re.compile(r'^TASK \[(?P<task>.*)\] \*+$')
_RESULT_RE = re.compile(r'^(?P<status>ok|changed|fatal|skipping): \[(?P<host>[^\]]+)\](?:: FAILED!)? => (?P<json>\{.*\})$')


def results(play):
    """``{task name: {host: result}}`` from a play run with ``-v`` (a fatal result is printed at any verbosity)."""
    found = {}
    task = None
    for line in play.stdout.splitlines():
        match = _TASK_RE.match(line)
        if match:
            task = match.group('task')
            continue
        match = _RESULT_RE.match(line)
        if match:
            result = json.loads(match.group('json'))
            result['_status'] = match.group('status')
            found.setdefault(task, {})[match.group('host')] = result
    return found
