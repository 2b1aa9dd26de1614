"""Where a controller run spends its time: ``python -m benchmarks.profile [--variants ours-sbc,ours-sdm,debug] [--pairs 15]``.

Runs the per-task plays of benchmark 1 once each with two helper callbacks: bench_timer (each task's
duration as the parent sees it) and bench_profile (cProfile of the parent and of every worker's
``TaskExecutor.run``). Prints, per variant, the median task duration and the functions that take the
most time per task in the workers, and, once, what importing the action plugins costs a fresh
interpreter (paid once per run, in the parent: the linear strategy loads the action class there before
it forks the first worker, so every worker inherits it). Output also goes to ``--out``
(default ``benchmarks/results/profile-<timestamp>/``).
"""

import argparse
import glob
import io
import json
import os
import pathlib
import pstats
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks import plays  # noqa: E402  (needs the path above)
from benchmarks.harness import Controller, collections_path, emulator, median, task_durations  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / 'results'

#: Functions worth naming per task (matched against "file:function"), in the order they are shown.
WATCH = [
    ('TaskExecutor.run (the whole task in the worker)', 'task_executor.py:run'),
    ('action plugin run', '_action.py:run'),
    ('argument validation (InProcessTask)', '_action.py:__init__'),
    ('HTTP requests, all', '_http.py:request'),
    ('  TLS connect (handshake included)', 'connection.py:connect'),
    ('    SSL context (create_urllib3_context)', 'ssl_.py:create_urllib3_context'),
    ('    load_verify_locations (CA file)', "~:<method 'load_verify_locations' of '_ssl._SSLContext' objects>"),
    ('    TLS handshake', "~:<method 'do_handshake' of '_ssl._SSLSocket' objects>"),
    ('  waiting for answers (getresponse)', 'connection.py:getresponse'),
    ('lease store, run identity', '_lease'),
    ('keeper / watcher start', '_keeper'),
    ('imports inside the task', '<frozen importlib._bootstrap>:_find_and_load'),
    ('subprocess start (fork/exec)', 'subprocess.py:_execute_child'),
]


def merged(paths):
    stats = None
    for path in paths:
        if stats is None:
            stats = pstats.Stats(path, stream=io.StringIO())
        else:
            stats.add(path)
    return stats


def cumulative(stats, pattern):
    """Cumulative seconds spent in the functions matching ``pattern`` ("file:function", or "file:" for a whole file).

    Time is counted where control enters the set from a function outside it, so calls among its own
    functions (and recursion) are not counted twice.
    """
    file_part, func_part = pattern.rsplit(':', 1) if ':' in pattern else (pattern, '')

    def matches(key):
        return file_part in key[0] and (not func_part or key[2] == func_part)

    total = 0.0
    for key, (primitive, calls, own, cum, callers) in stats.stats.items():
        del primitive, calls, own
        if not matches(key):
            continue
        if not callers:
            total += cum
            continue
        for caller, edge in callers.items():
            if not matches(caller):
                total += edge[3] if isinstance(edge, tuple) else 0.0
    return total


def top(stats, tasks, limit, own=False):
    """The ``limit`` functions with the most cumulative (or ``own``) time, as text, per task in ms."""
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2 if own else 3], reverse=True)[:limit]
    lines = []
    for (filename, line, function), (primitive, calls, own, cum, callers) in rows:
        del primitive, callers
        short = '/'.join(filename.split('/')[-2:])
        lines.append('%8.2f ms %8.2f ms %7.1f  %s:%d(%s)' % (cum / tasks * 1000, own / tasks * 1000, calls / float(tasks), short, line, function))
    return '\n'.join(['  cum/task  own/task  calls/task  function'] + lines)


def import_cost():
    """Milliseconds to import each action plugin in a fresh interpreter that already has ansible's own, and what it brings in."""
    code = '\n'.join([
        'import sys, time, json',
        'sys.path.insert(0, %r)' % str(collections_path()),
        'import ansible.plugins.action, ansible.module_utils.basic, ansible.module_utils.common.arg_spec',
        'out = {}',
        'for name in ("config_lock", "device_lock"):',
        '    before = set(sys.modules)',
        '    started = time.perf_counter()',
        '    __import__("ansible_collections.oracle_comms.provisioning.plugins.action." + name)',
        '    new = sorted(set(m.split(".")[0] for m in set(sys.modules) - before))',
        '    out[name] = {"ms": (time.perf_counter() - started) * 1000, "top_level_modules": new}',
        'print(json.dumps(out))',
    ])
    done = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        return {'error': done.stderr.decode('utf-8', 'replace')[-2000:]}
    return json.loads(done.stdout.decode('utf-8'))


def profile_variant(controller, workdir, variant, pairs, limit):
    if variant == 'debug':
        book = plays.write_yaml(workdir / 'plays' / 'debug.yml', plays.debug_tasks(2 * pairs))
    else:
        product = variant.split('-', 1)[1]
        book = plays.write_yaml(workdir / 'plays' / ('%s.yml' % variant), plays.ours_pairs(product, pairs))
    profile_dir = workdir / ('profile-' + variant)
    profile_dir.mkdir(parents=True, exist_ok=True)
    for old in glob.glob(str(profile_dir / '*.prof')):
        os.unlink(old)
    controller.emulator.reset()
    controller.settle()
    done = controller.run('profile-' + variant, book, timer=True, extra_env={
        'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer,bench_profile', 'BENCH_PROFILE_DIR': str(profile_dir)}).check()
    durations = task_durations(done.events(), '')
    workers = sorted(glob.glob(str(profile_dir / 'worker-*.prof')))
    stats = merged(workers)
    tasks = len(workers)
    lines = ['## %s: %d tasks, play %.2f s, task duration median %.1f ms (as the parent sees it: queue to result)'
             % (variant, tasks, done.wall, median(durations) * 1000), '', 'per task, in the worker (cProfile, so slower than without it):']
    for label, pattern in WATCH:
        seconds = cumulative(stats, pattern)
        if seconds:
            lines.append('  %-48s %7.2f ms' % (label, seconds / tasks * 1000))
    lines += ['', top(stats, tasks, limit), '']
    parent = profile_dir / 'parent.prof'
    if parent.exists():
        parent_stats = pstats.Stats(str(parent), stream=io.StringIO())
        lines += ['parent process, whole play (callbacks loaded -> end), per task, by own time (sleeps and waits are idle time):',
                  top(parent_stats, tasks, 12, own=True), '']
    return '\n'.join(lines), {'tasks': tasks, 'wall': done.wall, 'task_median_ms': median(durations) * 1000,
                              'per_task_ms': dict((label, cumulative(stats, pattern) / tasks * 1000) for label, pattern in WATCH)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m benchmarks.profile', description=__doc__.split('\n', 1)[0])
    parser.add_argument('--variants', default='ours-sbc,ours-sdm,debug', help='comma-separated: ours-sbc, ours-sdm, debug')
    parser.add_argument('--pairs', type=int, default=15, help='lock+unlock pairs per play (debug: 2x this many tasks)')
    parser.add_argument('--top', type=int, default=30, help='how many functions to list per variant')
    parser.add_argument('--out', type=pathlib.Path, help='output directory (default benchmarks/results/profile-<timestamp>)')
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    out = (options.out or (RESULTS / ('profile-' + time.strftime('%Y%m%d-%H%M%S')))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    report = ['# Controller profile', '', 'Importing an action plugin in a fresh interpreter that has ansible loaded (once per run, in the parent):', '']
    for name, cost in sorted(import_cost().items()):
        report.append('- %s: %s' % (name, cost if isinstance(cost, str) else '%.1f ms, new top-level modules: %s'
                                    % (cost['ms'], ', '.join(cost['top_level_modules']))))
    summary = {}
    with emulator(out / 'emulator') as emu:
        controller = Controller(emu, out)
        for variant in [name.strip() for name in options.variants.split(',') if name.strip()]:
            text, summary[variant] = profile_variant(controller, out, variant, options.pairs, options.top)
            report += ['', text]
    (out / 'profile.md').write_text('\n'.join(report) + '\n', encoding='utf-8')
    (out / 'profile.json').write_text(json.dumps(summary, indent=1) + '\n', encoding='utf-8')
    print('\n'.join(report))
    print('\nwritten to %s' % out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
