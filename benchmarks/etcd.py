"""Benchmark 6, the etcd lease backend: hand-over between controllers, per-task cost against the file backend, recovery.

Two controllers on this machine, each with a host name of its own (``unshare --uts``, so a run's identity
names its controller as on two machines) and a lease directory of its own, share one etcd on loopback
(``tests/etcd_harness.py``); the lease backend is chosen by environment (``ORACLE_COMMS_LEASE_BACKEND=etcd``,
``ORACLE_COMMS_ETCD_ENDPOINTS``, ``ORACLE_COMMS_LEASE_TTL``), as a user's controller would.

- **Hand-over**: a holder on controller A takes the lock and waits for a marker file; a waiter on B waits
  for the lock behind it (etcd says A's run is alive), then the marker is touched. The sample is A's
  release -> B's grant in the emulator's audit log (``ts``); the direction alternates between trials.
  Target: p50 <= 1 s.
- **Per task**: the per-task play of benchmark 1 (N lock+unlock pairs) on one controller, with the file
  backend and with etcd, and a play with no task, in rotating order, repeated; per task = (play - no-task
  play) / tasks, medians. Target: etcd costs at most 10 % more per task than the file backend.
- **Recovery**: a holder on A takes the lock; once A's keeper keeps the run's liveness key, a waiter on B
  waits behind it, and A's ``ansible-playbook`` (its process group) and keeper are SIGKILLed. The sample is
  the kill -> the end of B's lock task (``bench_timer``): the liveness key lapses at most one TTL after
  the keeper's last keep-alive, and B adopts the orphan. Target: every sample <= TTL + 1 s.

Every play's outcome is checked (the emulator's request counts in the per-task plays, never two holders
in the audit log, the waiter waited, no lease left in etcd) so that the benchmark fails rather than
report a run that did something else.
"""

import base64
import json
import os
import shutil
import signal
import time

import requests

from benchmarks import handover, pertask, plays
from benchmarks.harness import Controller, by_route, emulator, median, percentile, read_events, wait_until
from tests.emulator_harness import assert_never_two_holders
from tests.etcd_harness import start_etcd

TTL = 5
TARGET_HANDOVER_P50 = 1.0
TARGET_OVERHEAD = 0.10
TARGET_RECOVERY = TTL + 1.0
WAIT_TIMEOUT = 300
VARIANTS = ('file', 'etcd', 'empty')
PREFIX = '/oracle_comms/provisioning/'


class HostController(Controller):
    """A controller with a host name of its own (a UTS namespace per play) whose lease backend is the etcd at ``endpoints``."""

    def __init__(self, emu, workdir, name, endpoints):
        if shutil.which('unshare') is None or os.geteuid() != 0:
            raise RuntimeError('the etcd benchmark gives each controller a host name of its own with unshare --uts: it needs util-linux and root')
        super().__init__(emu, workdir)
        self.name = name
        # the SBC token goes into etcd too, so that the other controller can adopt a dead controller's SBC lock within the TTL
        # (without it, recovery waits for the token to expire: 10 minutes)
        self.lease_env = {'ORACLE_COMMS_LEASE_BACKEND': 'etcd', 'ORACLE_COMMS_ETCD_ENDPOINTS': endpoints, 'ORACLE_COMMS_LEASE_TTL': str(TTL),
                          'ORACLE_COMMS_ETCD_STORE_TOKEN': 'true'}

    def env(self, timer_path=None, extra=None):
        return super().env(timer_path, dict(self.lease_env, **(extra or {})))

    def command(self, playbook, inventory='localhost,', forks=None, args=()):
        # unshare and sh exec in turn, so the pid the harness reaps (and its process group) is ansible-playbook's
        return ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', self.name] + super().command(playbook, inventory, forks, args)

    def keepers(self):
        """Pids of the keepers of this controller's runs that are alive (their pid files name them)."""
        pids = []
        for path in self.lease_dir.glob('keeper-*.pid'):
            try:
                pid = int(path.read_text(encoding='utf-8').strip() or 0)
                with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                    if b'plugin_utils._keeper' in handle.read():
                        pids.append(pid)
            except (OSError, ValueError):
                continue
        return pids


def _range(server, prefix):
    body = {'key': base64.b64encode(prefix.encode()).decode(), 'range_end': base64.b64encode((prefix[:-1] + chr(ord(prefix[-1]) + 1)).encode()).decode()}
    return requests.post(server.url + '/v3/kv/range', json=body, timeout=5).json().get('kvs', [])


def etcd_leases(server):
    """Every lease in etcd (read through its JSON gateway, as a person would with etcdctl)."""
    return [json.loads(base64.b64decode(kv['value'])) for kv in _range(server, PREFIX + 'lease/')]


def liveness_ttls(server, host, pid):
    """The seconds left of the etcd leases that the liveness keys of the run ``pid`` of ``host`` are on (a lease gone meanwhile
    is left out). Earlier runs of the host, ended, leave theirs on their tasks' start grace until it runs out."""
    ttls = []
    for kv in _range(server, PREFIX + 'alive/%s:%d:' % (host, pid)):
        if kv.get('lease'):
            # a lease revoked or expired between the two requests answers without a TTL, or with -1
            ttl = int(requests.post(server.url + '/v3/kv/lease/timetolive', json={'ID': kv['lease']}, timeout=5).json().get('TTL', -1))
            if ttl >= 0:
                ttls.append(ttl)
    return ttls


def _kept_alive(server, host, pid):
    """True once every liveness key of the run ``pid`` of ``host`` is on an etcd lease of at most TTL s: a keeper keeps it (not the
    start grace)."""
    ttls = liveness_ttls(server, host, pid)
    return bool(ttls) and max(ttls) <= TTL


def _descendants(pid):
    """Pids of every process below ``pid`` (Ansible's workers start sessions of their own: a process group kill misses them)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry, encoding='utf-8') as handle:
                    children.setdefault(int(handle.read().rsplit(')', 1)[1].split()[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def _kill_run(running, ctl):
    """SIGKILL a run outright: its ``ansible-playbook``, every process below it, and its keepers; return when the kill was sent."""
    victims = [running.process.pid] + _descendants(running.process.pid) + ctl.keepers()  # listed first: orphans are re-parented
    killed_at = time.time()
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return killed_at


def _task_events(running, task):
    return [event for event in read_events(running.timer_path) if event['task'] == task]


def _started(running, task):
    return any(event['event'] == 'start' for event in _task_events(running, task))


def _lock_result(running, product):
    """The ``bench_timer`` end event of the waiter's lock task; RuntimeError unless it ended ok after waiting."""
    ends = [event for event in _task_events(running, 'locked %s' % product) if event['event'] != 'start']
    if len(ends) != 1 or ends[0]['event'] != 'ok':
        raise RuntimeError('%s: the lock task ended %r, expected one ok' % (running.name, ends))
    if not ends[0].get('waited'):
        raise RuntimeError('%s: the lock task did not wait (waited %r): it was not behind the other controller' % (running.name, ends[0].get('waited')))
    return ends[0]


def _check_audit(emu, product, cycles):
    """Never two holders, and the lock taken and given back ``cycles`` times; return the audit events."""
    events = emu.audit(product + '1')
    assert_never_two_holders(events)
    sequence = [event['event'] for event in events if event['resource'] == handover.resource_of(product) and event['event'] in ('grant', 'release')]
    if sequence != ['grant', 'release'] * cycles:
        raise RuntimeError('%s: the emulator saw %r, expected grant, release x %d' % (product, sequence, cycles))
    return events


def _no_leases(server, what):
    left = etcd_leases(server)
    if left:
        raise RuntimeError('leases left in etcd after %s: %s' % (what, [(lease.get('resource'), lease.get('run', {}).get('host')) for lease in left]))


def handover_trial(emu, holder_ctl, waiter_ctl, books, product, pause, log):
    """A holds, B waits behind it on etcd, A releases: A's release -> B's grant (s)."""
    emu.reset()
    for ctl in (holder_ctl, waiter_ctl):
        ctl.settle(60)
    instance = product + '1'
    marker = holder_ctl.workdir / ('release-%s-%d' % (product, time.time_ns()))
    holder_book = plays.write_yaml(holder_ctl.workdir / 'plays' / ('holder-%s-%s.yml' % (product, marker.name)), plays.holder_play(product, 'ID1', marker))
    holder = holder_ctl.start('holder-%s' % product, holder_book, timer=True)
    try:
        wait_until(lambda: any(event['event'] == 'grant' for event in emu.audit(instance)), 120, 'the holder on %s to take the lock' % holder_ctl.name,
                   watch=[holder])
        waiter = waiter_ctl.start('waiter-%s' % product, books['waiter'], timer=True)
        wait_until(lambda: _started(waiter, 'locked %s' % product), 120, 'the waiter on %s to start waiting' % waiter_ctl.name, watch=[waiter, holder])
        time.sleep(pause)  # from the task's start to its first look at the etcd lease
    finally:
        marker.touch()  # also when something above failed: the holder then ends at once instead of holding for 10 minutes
    holder.wait(timeout=WAIT_TIMEOUT).check()
    waiter.wait(timeout=WAIT_TIMEOUT).check()
    _lock_result(waiter, product)
    gaps = handover.handovers(_check_audit(emu, product, 2), handover.resource_of(product))
    if len(gaps) != 1:
        raise RuntimeError('etcd hand-over %s: %d hand-overs in the audit log, expected 1' % (product, len(gaps)))
    log('etcd handover %s %s -> %s: %.1f ms' % (product, holder_ctl.name, waiter_ctl.name, gaps[0] * 1000))
    return gaps[0]


def pertask_runs(emu, ctl, workdir, product, pairs, repeats, log):
    """Play wall times per variant (file, etcd, no task), in rotating order; every play's requests checked."""
    books = {'file': plays.write_yaml(workdir / 'plays' / ('ours-%s.yml' % product), plays.ours_pairs(product, pairs)),
             'empty': plays.write_yaml(workdir / 'plays' / 'empty.yml', plays.empty_play())}
    books['etcd'] = books['file']  # the same play: only the environment differs
    samples = dict((variant, []) for variant in VARIANTS)
    requests_seen = {}
    for repeat in range(repeats):
        order = VARIANTS[repeat % len(VARIANTS):] + VARIANTS[:repeat % len(VARIANTS)]
        for variant in order:
            emu.reset()
            ctl.settle()
            backend = {'ORACLE_COMMS_LEASE_BACKEND': 'file'} if variant == 'file' else None
            done = ctl.run('%s-%s' % (variant, product), books[variant], extra_env=backend).check()
            routes = by_route(emu, product + '1')
            expected = pertask.expected_requests(product, 'empty' if variant == 'empty' else 'ours', pairs)
            if routes != expected:
                raise RuntimeError('per task %s %s: the emulator served %r, expected %r' % (variant, product, routes, expected))
            if variant != 'empty':
                _check_audit(emu, product, pairs)
            samples[variant].append(done.wall)
            requests_seen[variant] = routes
            log('etcd pertask %s %-5s repeat %d: %.2f s' % (product, variant, repeat + 1, done.wall))
    return samples, requests_seen


def recovery_trial(emu, server, workdir, endpoints, product, pause, log):
    """Kill A's run and keeper while B waits behind A's lease: seconds from the kill to B's lock task ending ok."""
    emu.reset()
    ctl_a = HostController(emu, workdir / 'ctl-a', 'ctl-a', endpoints)
    ctl_b = HostController(emu, workdir / 'ctl-b', 'ctl-b', endpoints)
    instance = product + '1'
    never = workdir / 'never'  # the holder waits for it; it never comes
    holder_book = plays.write_yaml(workdir / 'plays' / ('holder-%s.yml' % product), plays.holder_play(product, 'ID1', never))
    waiter_book = plays.write_yaml(workdir / 'plays' / ('waiter-%s.yml' % product), plays.waiter_play(product, 'ID1', WAIT_TIMEOUT))
    holder = ctl_a.start('holder-%s' % product, holder_book, timer=True)
    try:
        wait_until(lambda: any(event['event'] == 'grant' for event in emu.audit(instance)), 120, 'the holder on ctl-a to take the lock', watch=[holder])
        wait_until(ctl_a.keepers, 60, 'a keeper on ctl-a', watch=[holder])
        # before its keeper keeps it, a run's liveness lasts the lock task's start grace (60 s): the kill comes after
        wait_until(lambda: _kept_alive(server, 'ctl-a', holder.process.pid), 120, "ctl-a's keeper to keep the run's liveness", interval=0.1, watch=[holder])
        waiter = ctl_b.start('waiter-%s' % product, waiter_book, timer=True)
        wait_until(lambda: _started(waiter, 'locked %s' % product), 120, 'the waiter on ctl-b to start waiting', watch=[waiter, holder])
        time.sleep(pause)  # from the task's start to its first look at the etcd lease
        if holder.exited():
            raise RuntimeError('the holder on ctl-a ended before it was killed; see %s' % holder.log_path)
    except BaseException:
        _kill_run(holder, ctl_a)  # its play would hold the lock for 10 minutes
        holder.wait(timeout=60)
        raise
    killed_at = _kill_run(holder, ctl_a)
    holder.wait(timeout=60)
    waiter.wait(timeout=WAIT_TIMEOUT).check()
    recovery = _lock_result(waiter, product)['t'] - killed_at
    _check_audit_recovered(emu, product)
    ctl_b.settle(60)
    _no_leases(server, 'the recovery of %s' % product)
    log('etcd recovery %s: %.2f s from the kill to the lock on ctl-b' % (product, recovery))
    return recovery


def _check_audit_recovered(emu, product):
    """Never two holders; the lock granted first (to ctl-a) and given back last (by ctl-b, which adopted or re-took it)."""
    events = emu.audit(product + '1')
    assert_never_two_holders(events)
    sequence = [event['event'] for event in events if event['resource'] == handover.resource_of(product) and event['event'] in ('grant', 'release')]
    if not sequence or sequence[0] != 'grant' or sequence[-1] != 'release':
        raise RuntimeError('recovery %s: the emulator saw %r, expected the lock taken by ctl-a and given back by ctl-b' % (product, sequence))


def run(workdir, settings, log):
    pairs = settings['pairs']
    repeats = settings['repeats']
    pause = settings.get('pause', 1.0)
    result = {'name': 'etcd', 'ttl': TTL, 'pairs': pairs, 'repeats': repeats, 'handover_repeats': settings['handover_repeats'],
              'recovery_repeats': settings['recovery_repeats'], 'products': {}}
    with emulator(workdir / 'emulator') as emu, start_etcd(workdir / 'etcd') as server:
        ctl_a = HostController(emu, workdir / 'ctl-a', 'ctl-a', server.url)
        ctl_b = HostController(emu, workdir / 'ctl-b', 'ctl-b', server.url)
        try:
            for product in settings['products']:
                books = {'waiter': plays.write_yaml(workdir / 'plays' / ('waiter-%s.yml' % product), plays.waiter_play(product, 'ID1', WAIT_TIMEOUT))}
                gaps = []
                for trial in range(settings['handover_repeats']):
                    holder_ctl, waiter_ctl = (ctl_a, ctl_b) if trial % 2 == 0 else (ctl_b, ctl_a)
                    gaps.append(handover_trial(emu, holder_ctl, waiter_ctl, books, product, pause, log))
                _no_leases(server, 'the hand-over plays')
                samples, requests_seen = pertask_runs(emu, ctl_a, workdir, product, pairs, repeats, log)
                _no_leases(server, 'the per-task plays')
                recoveries = [recovery_trial(emu, server, workdir / 'recovery' / ('%s-%d' % (product, trial + 1)), server.url, product, pause, log)
                              for trial in range(settings['recovery_repeats'])]
                for ctl in (ctl_a, ctl_b):
                    if ctl.leases():
                        raise RuntimeError('lease files left on %s: %s' % (ctl.name, ctl.leases()))
                result['products'][product] = summarize(pairs, gaps, samples, requests_seen, recoveries)
        finally:
            # etcd stops after the keepers, which would otherwise go on asking a stopped etcd until their runs' end
            for ctl in (ctl_a, ctl_b):
                ctl.settle(60)
    return result


def summarize(pairs, gaps, samples, requests_seen, recoveries):
    med = dict((variant, median(values)) for variant, values in samples.items())
    tasks = 2 * pairs
    per_task = dict((backend, (med[backend] - med['empty']) / tasks) for backend in ('file', 'etcd'))
    overhead = per_task['etcd'] / per_task['file'] - 1.0 if per_task['file'] > 0 else None
    row = {
        'handover': {'samples': gaps, 'n': len(gaps), 'p50': median(gaps), 'p95': percentile(gaps, 0.95)},
        'pertask': {'samples': samples, 'median': med, 'per_task_s': per_task, 'overhead': overhead,
                    'play_overhead': med['etcd'] / med['file'] - 1.0, 'requests': requests_seen},
        'recovery': {'samples': recoveries, 'n': len(recoveries), 'median': median(recoveries), 'max': max(recoveries) if recoveries else None},
    }
    row['pass_handover'] = row['handover']['p50'] is not None and row['handover']['p50'] <= TARGET_HANDOVER_P50
    row['pass_overhead'] = overhead is not None and overhead <= TARGET_OVERHEAD
    row['pass_recovery'] = row['recovery']['max'] is not None and row['recovery']['max'] <= TARGET_RECOVERY
    return row
