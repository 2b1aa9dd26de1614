"""Run the benchmarks and write the table, the JSON and the plot: ``python -m benchmarks [options]``.

Every benchmark starts its own emulator and runs real ``ansible-playbook`` processes; ours and its
baseline run side by side in the same run, repeated, and the table shows medians and their ratios
against each target. Results go to ``benchmarks/results/<timestamp>/`` (git-ignored): ``results.md``,
``results.json``, ``results.png``, and ``work/`` with every play that ran and its output; ``latest.md``,
``latest.json`` and ``latest.png`` in ``benchmarks/results/`` are copies of the newest run.
"""

import argparse
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

from benchmarks import etcd, fanout, handover, latency, pertask, provisioning, report, roundtrips, scale
from benchmarks.harness import REPO_ROOT, LoadSampler, collection_root, use_collection

RESULTS = pathlib.Path(__file__).resolve().parent / 'results'
ORDER = ('roundtrips', 'pertask', 'provisioning', 'latency', 'fanout', 'handover', 'etcd', 'scale')
MODULES = {'pertask': pertask, 'scale': scale, 'fanout': fanout, 'handover': handover, 'roundtrips': roundtrips, 'etcd': etcd,
           'provisioning': provisioning, 'latency': latency}
ALIASES = {'1': 'pertask', '2': 'scale', '3': 'fanout', '4': 'handover', '5': 'roundtrips', '6': 'etcd', '7': 'provisioning',
           '8': 'latency'}

#: Sizes and repeats per mode. ``full`` is what the targets are measured with; ``quick`` a developer's check; ``smoke``
#: the least that still runs every code path (the test suite uses it).
MODES = {
    'full': {'pertask': {'pairs': 15, 'repeats': 5}, 'scale': {'devices': 1000, 'forks': 50, 'repeats': 2},
             'fanout': {'sizes': [1, 20, 200], 'repeats': 5},
             'handover': {'waiters': [1, 10, 50], 'local_repeats': 2, 'foreign_repeats': 3, 'window': 6.0, 'ramp': 2.0},
             'etcd': {'handover_repeats': 10, 'pairs': 15, 'repeats': 5, 'recovery_repeats': 3},
             'provisioning': {'tasks': 15, 'repeats': 5, 'elements': 50}, 'latency': {'rtts_ms': [1, 20, 50], 'repeats': 3}},
    'quick': {'pertask': {'pairs': 5, 'repeats': 2}, 'scale': {'devices': 200, 'forks': 50, 'repeats': 1},
              'fanout': {'sizes': [1, 20, 200], 'repeats': 2},
              'handover': {'waiters': [1, 10], 'local_repeats': 1, 'foreign_repeats': 2, 'window': 3.0, 'ramp': 2.0},
              'etcd': {'handover_repeats': 4, 'pairs': 5, 'repeats': 3, 'recovery_repeats': 2},
              'provisioning': {'tasks': 10, 'repeats': 3, 'elements': 50}, 'latency': {'rtts_ms': [20], 'repeats': 2}},
    'smoke': {'pertask': {'pairs': 1, 'repeats': 1}, 'scale': {'devices': 4, 'forks': 4, 'repeats': 1},
              'fanout': {'sizes': [1, 3], 'repeats': 1},
              'handover': {'waiters': [1], 'local_repeats': 1, 'foreign_repeats': 1, 'window': 1.0, 'ramp': 0.5, 'pause': 0.3},
              'etcd': {'handover_repeats': 1, 'pairs': 1, 'repeats': 1, 'recovery_repeats': 1, 'pause': 0.3},
              'provisioning': {'tasks': 1, 'repeats': 1, 'elements': 5}, 'latency': {'rtts_ms': [20], 'repeats': 1}},
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__.split('\n', 1)[0])
    parser.add_argument('--quick', dest='mode', action='store_const', const='quick', default='full',
                        help='fewer repeats and smaller sizes (5-10 minutes)')
    parser.add_argument('--smoke', dest='mode', action='store_const', const='smoke', help='the smallest run of every code path (tests use it)')
    parser.add_argument('--only', default=','.join(ORDER),
                        help='comma-separated benchmarks: pertask (1), scale (2), fanout (3), handover (4), roundtrips (5), etcd (6), '
                             'provisioning (7), latency (8); default all')
    parser.add_argument('--products', default='sbc,sdm',
                        help='products for per-task, hand-over, round trips and etcd (default sbc,sdm; provisioning: SDM, and SBC for its list row)')
    parser.add_argument('--repeats', type=int,
                        help='repeats of per-task, scale, fan-out, the etcd per-task plays and provisioning (default by mode: 5/2/5/5/5 full)')
    parser.add_argument('--pairs', type=int, help='per task (and the etcd per-task plays): lock+unlock pairs per play (default 15)')
    parser.add_argument('--tasks', type=int, help='provisioning: tasks of each module per play (default 15)')
    parser.add_argument('--elements', type=int,
                        help='provisioning, list row: realm-config elements per play on the SBC (default 50; 5 with --smoke; 0 skips the row)')
    parser.add_argument('--devices', type=int, help='scale: devices = inventory hosts (default 1000)')
    parser.add_argument('--forks', type=int, help='scale: forks (default 50)')
    parser.add_argument('--scale-variant', default='both', choices=['auto', 'role', 'module', 'both'],
                        help='scale: through the lock_session role, device_lock tasks, or both (default both; auto = role if it exists)')
    parser.add_argument('--fanout-sizes', help='many devices: comma-separated device counts (default 1,20,200)')
    parser.add_argument('--rtts', help='latency: comma-separated round-trip times in ms the proxy adds (default 1,20,50)')
    parser.add_argument('--waiters', help='hand-over: comma-separated K (default 1,10,50)')
    parser.add_argument('--collection', type=pathlib.Path,
                        help='benchmark the collection at this path (another checkout or a copy) instead of this checkout')
    parser.add_argument('--against', type=pathlib.Path,
                        help='per task: also run the same play with the collection at this path (e.g. a checkout of an earlier '
                             'revision), in the same rotation, and report ours/before')
    parser.add_argument('--snapshot', action='store_true',
                        help='benchmark a copy of this checkout taken at the start (unaffected by edits while it runs)')
    parser.add_argument('--out', type=pathlib.Path, help='results directory (default benchmarks/results/<timestamp>)')
    return parser.parse_args(argv)


def settings_for(options):
    chosen = {}
    for name, values in MODES[options.mode].items():
        chosen[name] = dict(values)
    products = [product.strip() for product in options.products.split(',') if product.strip()]
    for name in ('pertask', 'handover', 'etcd', 'latency'):
        chosen[name]['products'] = products
    chosen['roundtrips'] = {'products': products}
    if options.repeats:
        for name in ('pertask', 'scale', 'fanout', 'etcd', 'provisioning', 'latency'):
            chosen[name]['repeats'] = options.repeats
    if options.against:
        chosen['pertask']['against'] = str(options.against.resolve())
    if options.pairs:
        chosen['pertask']['pairs'] = options.pairs
        chosen['etcd']['pairs'] = options.pairs
    if options.tasks:
        chosen['provisioning']['tasks'] = options.tasks
    if options.elements is not None:
        chosen['provisioning']['elements'] = options.elements
    if options.devices:
        chosen['scale']['devices'] = options.devices
    if options.forks:
        chosen['scale']['forks'] = options.forks
    chosen['scale']['variant'] = options.scale_variant
    if options.fanout_sizes:
        chosen['fanout']['sizes'] = [int(size) for size in options.fanout_sizes.split(',')]
    if options.rtts:
        chosen['latency']['rtts_ms'] = [int(float(rtt)) if float(rtt).is_integer() else float(rtt) for rtt in options.rtts.split(',')]
    if options.waiters:
        chosen['handover']['waiters'] = [int(size) for size in options.waiters.split(',')]
    return chosen


def selected(options):
    names = []
    for name in options.only.split(','):
        name = ALIASES.get(name.strip(), name.strip())
        if name not in MODULES:
            raise SystemExit('unknown benchmark %r; choose from %s' % (name, ', '.join(ORDER)))
        names.append(name)
    return [name for name in ORDER if name in names]


def snapshot(destination):
    """Copy what git would ship of this checkout (tracked and untracked-not-ignored files) to ``destination``."""
    listed = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=str(REPO_ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    if listed.returncode != 0:
        raise SystemExit('--snapshot needs a git checkout; use --collection PATH instead')
    for name in listed.stdout.decode('utf-8').split('\0'):
        source = REPO_ROOT / name
        if name and source.is_file() and not name.startswith('benchmarks/results/'):
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def revision(path):
    """``git describe`` of ``path`` plus ``+changes`` when its work tree differs, or None outside git."""
    described = subprocess.run(['git', 'describe', '--always', '--dirty=+changes'], cwd=str(path), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, check=False)
    return described.stdout.decode('utf-8').strip() or None if described.returncode == 0 else None


def main(argv=None):
    options = parse_args(sys.argv[1:] if argv is None else argv)
    names = selected(options)
    settings = settings_for(options)
    stamp = time.strftime('%Y%m%d-%H%M%S')
    # Absolute: the plays run with other working directories (the snapshot, the scenario's work dir).
    out = (options.out or (RESULTS / stamp)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    log_file = open(out / 'progress.log', 'a', encoding='utf-8')  # pylint: disable=consider-using-with
    if options.snapshot:
        use_collection(snapshot(out / 'snapshot'), out)
    elif options.collection:
        use_collection(options.collection, out)

    def log(message):
        line = '%s %s' % (time.strftime('%H:%M:%S'), message)
        print(line, flush=True)
        log_file.write(line + '\n')
        log_file.flush()

    import ansible.release  # pylint: disable=import-outside-toplevel
    meta = {'date': time.strftime('%Y-%m-%d %H:%M'), 'mode': options.mode, 'benchmarks': names, 'settings': dict((name, settings[name]) for name in names),
            'python': platform.python_version(), 'ansible': ansible.release.__version__, 'cpus': os.cpu_count(),
            'machine': platform.platform(), 'collection': str(collection_root()), 'revision': revision(collection_root())}
    results = {}
    started = time.monotonic()
    with LoadSampler() as load:
        for name in names:
            log('== %s %s' % (name, settings[name]))
            began = time.monotonic()
            if (out / 'work' / name).exists():
                shutil.rmtree(out / 'work' / name)
            results[name] = MODULES[name].run(out / 'work' / name, settings[name], log)
            results[name]['seconds'] = round(time.monotonic() - began, 1)
    meta['load'] = load.summary()
    meta['seconds'] = round(time.monotonic() - started, 1)
    (out / 'results.md').write_text(report.markdown(results, meta), encoding='utf-8')
    report.write_json(out / 'results.json', results, meta)
    report.plot(out / 'results.png', results)
    if options.out is None:
        for name in ('results.md', 'results.json', 'results.png'):
            shutil.copyfile(out / name, RESULTS / name.replace('results', 'latest'))
    log('done in %.0f s: %s' % (meta['seconds'], out))
    log_file.close()
    print()
    print((out / 'results.md').read_text(encoding='utf-8'))
    print('plot: %s' % (out / 'results.png'))
    return 0
