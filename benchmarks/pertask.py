"""Benchmark 1, per task: N lock+unlock pairs against N hand-written ``uri`` sequences and 2N ``debug`` tasks.

For each product (one SBC, one SDM device) and each repeat, four plays run back to back in a rotating
order: ours (2N tasks of config_lock / device_lock), ``uri`` (SBC: token, lock with until/retries/delay,
unlock; SDM: login, lock, unlock, logout), 2N ``debug`` tasks, and a play with no task (what starting
``ansible-playbook`` costs). Targets: ours <= 1.3x debug, and uri/ours >= 10.

With ``against`` (``--against PATH``), a fifth play, ``before``, runs the very play of ``ours`` with the collection at
PATH (e.g. a checkout of an earlier revision) in the same rotation: a change's before/after, measured in one run.
"""

from benchmarks import plays
from benchmarks.harness import (
    SBC_LOCK, SBC_TOKEN, SBC_UNLOCK, SDM_ACTION, SDM_LOGIN, SDM_LOGOUT, Controller, by_route, collection_link, emulator, median,
)

VARIANTS = ('ours', 'uri', 'debug', 'empty')
TARGET_VS_DEBUG = 1.3
TARGET_VS_URI = 10.0


def expected_requests(product, variant, pairs):
    """Requests the emulator must see for one play: ours and uri per decisions.md, debug and empty none."""
    if variant in ('debug', 'empty'):
        return {}
    if variant == 'before':
        variant = 'ours'  # the same play, with the other collection
    if product == 'sbc':
        return {SBC_TOKEN: pairs, SBC_LOCK: pairs, SBC_UNLOCK: pairs}
    if variant == 'ours':
        return {SDM_LOGIN: 2 * pairs, SDM_ACTION: 2 * pairs, SDM_LOGOUT: 2 * pairs}
    return {SDM_LOGIN: pairs, SDM_ACTION: 2 * pairs, SDM_LOGOUT: pairs}


def run(workdir, settings, log):
    pairs = settings['pairs']
    repeats = settings['repeats']
    products = settings['products']
    result = {'name': 'pertask', 'pairs': pairs, 'repeats': repeats, 'products': {}}
    variants = VARIANTS
    env = {}
    if settings.get('against'):
        variants = VARIANTS + ('before',)
        before, root = collection_link(settings['against'], workdir / 'collections-before')
        env['before'] = {'ANSIBLE_COLLECTIONS_PATH': str(root)}
        result['against'] = str(before)
    with emulator(workdir / 'emulator') as emu:
        controller = Controller(emu, workdir)
        for product in products:
            books = {
                'ours': plays.write_yaml(workdir / 'plays' / ('ours-%s.yml' % product), plays.ours_pairs(product, pairs)),
                'uri': plays.write_yaml(workdir / 'plays' / ('uri-%s.yml' % product), plays.uri_pairs(product, pairs)),
                'debug': plays.write_yaml(workdir / 'plays' / 'debug.yml', plays.debug_tasks(2 * pairs)),
                'empty': plays.write_yaml(workdir / 'plays' / 'empty.yml', plays.empty_play()),
            }
            books['before'] = books['ours']
            samples = dict((variant, []) for variant in variants)
            rss = dict((variant, []) for variant in variants)
            requests = {}
            for repeat in range(repeats):
                order = variants[repeat % len(variants):] + variants[:repeat % len(variants)]
                for variant in order:
                    emu.reset()
                    controller.settle()
                    done = controller.run('%s-%s' % (variant, product), books[variant], extra_env=env.get(variant)).check()
                    routes = by_route(emu, product + '1')
                    expected = expected_requests(product, variant, pairs)
                    if routes != expected:
                        raise RuntimeError('%s %s: the emulator served %r, expected %r' % (variant, product, routes, expected))
                    samples[variant].append(done.wall)
                    rss[variant].append(done.maxrss_mb)
                    requests[variant] = routes
                    log('pertask %s %-5s repeat %d: %.2f s' % (product, variant, repeat + 1, done.wall))
            if controller.leases():
                raise RuntimeError('leases left after the per-task plays: %s' % controller.leases())
            result['products'][product] = summarize(product, pairs, samples, rss, requests)
    return result


def summarize(product, pairs, samples, rss, requests):
    med = dict((variant, median(values)) for variant, values in samples.items())
    tasks = 2 * pairs
    per_task = dict((variant, (med[variant] - med['empty']) / tasks) for variant in ('ours', 'debug', 'before') if variant in med)
    per_task['uri'] = (med['uri'] - med['empty']) / ((3 if product == 'sbc' else 4) * pairs)
    vs_debug = med['ours'] / med['debug']
    vs_uri = med['uri'] / med['ours']
    summary = {
        'samples': samples,
        'median': med,
        'peak_rss_mb': dict((variant, median(values)) for variant, values in rss.items()),
        'requests': requests,
        'requests_per_pair': dict((variant, sum(routes.values()) / float(pairs)) for variant, routes in requests.items() if routes),
        'per_task_s': per_task,
        'ours_vs_debug': vs_debug,
        'marginal_ours_vs_debug': per_task['ours'] / per_task['debug'] if per_task['debug'] > 0 else None,
        'uri_vs_ours': vs_uri,
        'pass_vs_debug': vs_debug <= TARGET_VS_DEBUG,
        'pass_vs_uri': vs_uri >= TARGET_VS_URI,
    }
    if 'before' in med:
        summary['ours_vs_before'] = med['ours'] / med['before']
        summary['marginal_ours_vs_before'] = per_task['ours'] / per_task['before'] if per_task['before'] > 0 else None
    return summary
