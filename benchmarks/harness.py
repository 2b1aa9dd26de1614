"""What every benchmark shares: the emulator, running ``ansible-playbook`` as a user would, and statistics.

A :class:`Controller` runs real ``ansible-playbook`` processes with this checkout on the collection path,
the ``SBC_*`` / ``SDM_*`` environment pointing at the emulator, and one lease directory. Each run is
timed from the harness (``time.perf_counter`` around the whole process) and reaped with ``os.wait4``,
which also gives its peak RSS (the largest of ``ansible-playbook`` and the workers it reaped) and the CPU
time of the whole process tree it waited for.
"""

import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.collection_path import ensure_collections_root  # noqa: E402  (needs the path above)
from tests.emulator_harness import start_emulator  # noqa: E402
from tests.integration.ansible_runner_util import play_env  # noqa: E402

BIN = pathlib.Path(sys.executable).parent
CALLBACKS = pathlib.Path(__file__).resolve().parent / 'callback_plugins'
SBC_USER = ('admin', 'admin-secret-1')
SDM_USER = ('prov1', 'prov1-secret')

# Emulator stats routes (docs/emulator.md, GET /stats).
SBC_TOKEN = 'POST /rest/{v}/auth/token'
SBC_LOCK = 'POST /rest/{v}/configuration/lock'
SBC_UNLOCK = 'POST /rest/{v}/configuration/unlock'
SDM_LOGIN = 'POST /rest/{v}/admin/login'
SDM_LOGOUT = 'POST /rest/{v}/admin/logout'
SDM_ACTION = 'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'

#: The collection under test: this checkout unless :func:`use_collection` chose another copy.
_COLLECTION = {'root': None, 'collections_path': None}


def collection_link(path, root):
    """Make ``root``/ansible_collections/oracle_comms/provisioning -> the collection at ``path``; return (path, root)."""
    path = pathlib.Path(path).resolve()
    if not (path / 'galaxy.yml').is_file() and not (path / 'MANIFEST.json').is_file():
        raise SystemExit('%s is not a collection (no galaxy.yml or MANIFEST.json)' % path)
    root = pathlib.Path(root).resolve()
    link = root / 'ansible_collections' / 'oracle_comms' / 'provisioning'
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(path, target_is_directory=True)
    return path, root


def use_collection(path, workdir):
    """Benchmark the collection at ``path`` (another checkout, or a snapshot of this one) instead of this checkout."""
    path, root = collection_link(path, pathlib.Path(workdir) / 'collections')
    _COLLECTION.update(root=path, collections_path=root)


def collection_root():
    """The directory of the collection under test."""
    return _COLLECTION['root'] or REPO_ROOT


def collections_path():
    """What ``ANSIBLE_COLLECTIONS_PATH`` is set to for the plays."""
    return _COLLECTION['collections_path'] or ensure_collections_root()


def emulator(workdir, *args):
    """Start the emulator for one benchmark (a context manager yielding tests.emulator_harness.Emulator)."""
    return start_emulator(workdir, '--max-lifetime', '7200', *args)


class PlayRun:
    """One finished ``ansible-playbook`` process: exit status, wall time, peak RSS, CPU, output files."""

    def __init__(self, name, returncode, wall, rusage, log_path, timer_path):
        self.name = name
        self.returncode = returncode
        self.wall = wall
        self.maxrss_mb = rusage.ru_maxrss / 1024.0 if rusage is not None else None
        self.cpu = (rusage.ru_utime + rusage.ru_stime) if rusage is not None else None
        self.log_path = log_path
        self.timer_path = timer_path

    def events(self):
        """The bench_timer events of this run (empty when the timer was off)."""
        return read_events(self.timer_path)

    def check(self):
        """Raise RuntimeError with the end of the play's output unless it succeeded."""
        if self.returncode != 0:
            tail = pathlib.Path(self.log_path).read_text(encoding='utf-8', errors='replace')[-4000:]
            raise RuntimeError('play %s failed (exit %s); see %s:\n%s' % (self.name, self.returncode, self.log_path, tail))
        return self


class Running:
    """An ``ansible-playbook`` started in the background; :meth:`wait` reaps it into a PlayRun."""

    def __init__(self, name, process, started, log_path, timer_path, log_handle):
        self.name = name
        self.process = process
        self.started = started
        self.log_path = log_path
        self.timer_path = timer_path
        self._log_handle = log_handle

    def exited(self):
        """True once the process has ended (it is not reaped here, so that :meth:`wait` still gets its rusage)."""
        return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def wait(self, timeout=900):
        """Reap the process (os.wait4, for its rusage) and return a PlayRun; kill it after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, rusage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(self.process.pid, 9)
                pid, status, rusage = os.wait4(self.process.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - self.started
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self._log_handle.close()
        return PlayRun(self.name, self.process.returncode, wall, rusage, self.log_path, self.timer_path)


class Controller:
    """One Ansible controller: environment, lease directory, and a place for plays and their output."""

    def __init__(self, emulator, workdir, sdm_user=SDM_USER, sbc_user=SBC_USER, release_on_exit=None):
        self.emulator = emulator
        self.workdir = pathlib.Path(workdir)
        self.lease_dir = self.workdir / 'leases'
        self.lease_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.logs = self.workdir / 'logs'
        self.logs.mkdir(parents=True, exist_ok=True)
        self.sdm_user = sdm_user
        self.sbc_user = sbc_user
        self.release_on_exit = release_on_exit
        self._count = 0

    def env(self, timer_path=None, extra=None):
        env = play_env(self.emulator, self.workdir, self.lease_dir, self.sbc_user, self.sdm_user, self.release_on_exit,
                       collections=collections_path(), clean=True)
        if timer_path is not None:
            env.update({'ANSIBLE_CALLBACK_PLUGINS': str(CALLBACKS), 'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer',
                        'BENCH_TIMER_FILE': str(timer_path)})
        env.update(extra or {})
        return env

    def command(self, playbook, inventory='localhost,', forks=None, args=()):
        """The ``ansible-playbook`` command line of one play (a controller of another host name wraps it)."""
        command = [str(BIN / 'ansible-playbook'), str(playbook), '-i', str(inventory), '-c', 'local']
        if forks:
            command += ['-f', str(forks)]
        return command + list(args)

    def start(self, name, playbook, inventory='localhost,', forks=None, timer=False, extra_env=None, args=()):
        """Start ``ansible-playbook`` in the background, in its own process group; return a Running."""
        self._count += 1
        stem = '%03d-%s' % (self._count, name)
        log_path = self.logs / (stem + '.log')
        timer_path = (self.logs / (stem + '.events.jsonl')) if timer else None
        if timer_path is not None and timer_path.exists():
            timer_path.unlink()
        command = self.command(playbook, inventory, forks, args)
        log = open(log_path, 'wb')  # pylint: disable=consider-using-with  # closed by Running.wait
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=str(self.workdir), env=self.env(timer_path, extra_env), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return Running(name, process, started, log_path, timer_path, log)

    def run(self, name, playbook, **kwargs):
        """Run a play to its end; return its PlayRun (not checked: call ``.check()``)."""
        return self.start(name, playbook, **kwargs).wait()

    def settle(self, timeout=15.0):
        """Wait until no keeper of an earlier run is left (each exits once its run is gone), so runs do not overlap."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not list(self.lease_dir.glob('keeper-*.pid')):
                return True
            time.sleep(0.05)
        return False

    def leases(self):
        """Lease files left in the lease directory."""
        return sorted(path.name for path in self.lease_dir.glob('*.json'))


def read_events(path):
    """bench_timer JSON lines of ``path`` as dicts (a partly written last line is skipped)."""
    if path is None or not pathlib.Path(path).exists():
        return []
    events = []
    for line in pathlib.Path(path).read_text(encoding='utf-8').splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def task_durations(events, task_prefix):
    """Seconds from start to end of every (task, host) whose task name starts with ``task_prefix``, in order."""
    starts = {}
    durations = []
    for event in events:
        if not event['task'].startswith(task_prefix):
            continue
        key = (event['task'], event['host'])
        if event['event'] == 'start':
            starts[key] = event['t']
        elif key in starts:
            durations.append(event['t'] - starts.pop(key))
    return durations


def wait_until(predicate, timeout, what, interval=0.02, watch=()):
    """Poll ``predicate`` until it is true; raise RuntimeError naming ``what`` after ``timeout`` seconds.

    ``watch``: Running plays that must not end meanwhile (one that does is reported with its output).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for running in watch:
            if running.exited():
                tail = pathlib.Path(running.log_path).read_text(encoding='utf-8', errors='replace')[-3000:]
                raise RuntimeError('play %s ended while waiting for %s:\n%s' % (running.name, what, tail))
        time.sleep(interval)
    raise RuntimeError('timed out after %.0f s waiting for %s' % (timeout, what))


def by_route(emulator, instance):
    """The emulator's request counts of ``instance`` per route."""
    return dict(emulator.stats(instance)['by_route'])


def count(routes, *names):
    """Sum of the counts of ``names`` in a by-route dict."""
    return sum(routes.get(name, 0) for name in names)


# --------------------------------------------------------------------------------------------- statistics

def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def percentile(values, fraction):
    """Nearest-rank percentile (``fraction`` 0..1) of ``values``; None when empty."""
    values = sorted(value for value in values if value is not None)
    if not values:
        return None
    rank = max(1, int(math.ceil(fraction * len(values))))
    return values[min(rank, len(values)) - 1]


def linear_fit(xs, ys):
    """Least-squares ``y = a + b x``: return (a, b, r2)."""
    n = len(xs)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    slope = sxy / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    r2 = 1.0 - ss_res / ss_tot if ss_tot else 1.0
    return intercept, slope, r2


class LoadSampler:
    """Samples the machine's 1-minute load average in a thread, to say how busy the shared machine was."""

    def __init__(self, interval=2.0):
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.samples.append(os.getloadavg()[0])
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        return False

    def summary(self):
        if not self.samples:
            return None
        return {'min': round(min(self.samples), 2), 'median': round(median(self.samples), 2), 'max': round(max(self.samples), 2)}
