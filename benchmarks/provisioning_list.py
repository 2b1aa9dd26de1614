"""Benchmark 7, its list row: N ``realm-config`` elements added in one ``config_elements`` task, against N tasks.

Every play runs against ``sbc1`` under one ``config_lock`` lock / unlock pair (token + lock, unlock), so the lock's
cost is in every variant and cancels out:

- ``lock-only``: lock + unlock, nothing between (the baseline the "beyond the lock" figures subtract);
- ``elements``: one ``config_elements`` task, ``state: merged``, with the N realms in ``config`` (ours);
- ``element``: N ``config_element`` tasks, one realm each;
- ``uri``: N ``ansible.builtin.uri`` POSTs of the same ``configElement`` XML to ``configuration/configElements`` with
  the lock's token (the ``oracle_comms.provisioning.lease`` lookup, as config_lock's documentation shows).

The realms are ``bench-00``... with an ``addr-prefix`` each (:func:`benchmarks.plays.list_realms`). The emulator is
reset before every play (a fresh SBC holds the realms ``core`` and ``access``), the variants run in a rotating
order, repeated; the table shows medians and the ratios of ``element`` and ``uri`` to ``elements`` (whole plays, and
beyond the ``lock-only`` play). Nothing is asserted on wall-clock numbers. Every play's requests must be exactly
:func:`expected_requests`, and the realms after it exactly those added, or the benchmark fails.
"""

from benchmarks import plays
from benchmarks.harness import SBC_LOCK, SBC_TOKEN, SBC_UNLOCK, by_route, median

INSTANCE = 'sbc1'
VARIANTS = plays.LIST_VARIANTS
MODULE_OF = {'lock-only': 'config_lock only', 'elements': 'config_elements (1 task)', 'element': 'config_element (1 task per realm)',
             'uri': 'ansible.builtin.uri (1 task per realm)'}
#: The realms a fresh emulated SBC holds (emulator/sbc_elements.py ``seed_elements``).
SEEDED = ('core', 'access')

# Emulator stats routes of the SBC configuration API (docs/emulator.md, GET /stats).
SBC_METADATA = 'GET /rest/{v}/configuration/elementTypes/metadata'
SBC_LIST = 'GET /rest/{v}/configuration/configElements'
SBC_ADD = 'POST /rest/{v}/configuration/configElements'
ROUTE_NAMES = {SBC_TOKEN: 'token', SBC_LOCK: 'lock', SBC_UNLOCK: 'unlock', SBC_METADATA: 'metadata', SBC_LIST: 'configElements GET',
               SBC_ADD: 'configElements POST'}


def expected_requests(variant, count):
    """Requests the emulator must see for one play of ``variant`` adding ``count`` realms.

    The lock: token + lock, the unlock: unlock; the tasks between use the lock's token and never ask for one.
    ``elements``: the type's metadata once, its elements once (one page: the SBC pages by 100 and holds two realms
    before the task), then a POST per realm. ``element``: per task the metadata, the realm's own GET (filtered by its
    key) and the POST. ``uri``: the POSTs only.
    """
    routes = {SBC_TOKEN: 1, SBC_LOCK: 1, SBC_UNLOCK: 1}
    if variant == 'elements':
        routes.update({SBC_METADATA: 1, SBC_LIST: 1, SBC_ADD: count})
    elif variant == 'element':
        routes.update({SBC_METADATA: count, SBC_LIST: count, SBC_ADD: count})
    elif variant == 'uri':
        routes[SBC_ADD] = count
    elif variant != 'lock-only':
        raise ValueError('unknown list variant %r' % variant)
    return routes


def realms_after(emu):
    """(identifier, addr-prefix) of every realm the SBC holds, in its order."""
    elements = emu.control('GET', '/sbc/%s/elements/%s' % (INSTANCE, plays.LIST_TYPE))['elements']
    return [(element.get('identifier'), element.get('addr-prefix')) for element in elements]


def check_play(emu, variant, realms):
    """Raise RuntimeError unless the play of ``variant`` sent exactly its expected requests and left exactly its realms."""
    routes = by_route(emu, INSTANCE)
    expected = expected_requests(variant, len(realms))
    if routes != expected:
        raise RuntimeError('provisioning list %s: the emulator served %r, expected %r' % (variant, routes, expected))
    held = realms_after(emu)
    added = [] if variant == 'lock-only' else [(realm['identifier'], realm['addr-prefix']) for realm in realms]
    if [name for name, _prefix in held[:len(SEEDED)]] != list(SEEDED) or held[len(SEEDED):] != added:
        raise RuntimeError('provisioning list %s: realms after the play %r, expected %r after %r' % (variant, held, added, SEEDED))
    return routes


def run(emu, controller, workdir, settings, log):
    """The list row: ``settings['elements']`` realms, ``settings['repeats']`` rounds of the four plays, on ``emu``."""
    count, repeats = settings['elements'], settings['repeats']
    realms = plays.list_realms(count)
    books = dict((variant, plays.write_yaml(workdir / 'plays' / ('list-%s.yml' % variant), plays.list_play(variant, realms)))
                 for variant in VARIANTS)
    samples = dict((variant, []) for variant in VARIANTS)
    requests = {}
    for repeat in range(repeats):
        order = VARIANTS[repeat % len(VARIANTS):] + VARIANTS[:repeat % len(VARIANTS)]
        for variant in order:
            emu.reset()
            controller.settle()
            done = controller.run('list-' + variant, books[variant]).check()
            requests[variant] = check_play(emu, variant, realms)
            samples[variant].append(done.wall)
            log('provisioning list %-9s repeat %d: %.2f s' % (variant, repeat + 1, done.wall))
    result = summarize(count, repeats, samples, requests)
    log('provisioning list: %d realms, config_element / config_elements %s (beyond the lock %s), uri / config_elements %s (%s)' % (
        count, _x(result['element_vs_elements']), _x(result['beyond_lock']['element_vs_elements']), _x(result['uri_vs_elements']),
        _x(result['beyond_lock']['uri_vs_elements'])))
    return result


def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator and denominator > 0 else None


def _x(value):
    return 'n/a' if value is None else '%.2fx' % value


def summarize(count, repeats, samples, requests):
    """Medians, the ratios to ``elements`` (whole plays and beyond ``lock-only``), and the requests of each play."""
    med = dict((variant, median(values)) for variant, values in samples.items())
    beyond = dict((variant, med[variant] - med['lock-only']) for variant in VARIANTS if variant != 'lock-only')
    base = requests['lock-only']
    return {
        'elements': count, 'repeats': repeats, 'element_type': plays.LIST_TYPE, 'instance': INSTANCE,
        'samples': samples, 'median': med, 'beyond_lock_s': beyond,
        'element_vs_elements': _ratio(med['element'], med['elements']), 'uri_vs_elements': _ratio(med['uri'], med['elements']),
        'beyond_lock': {'element_vs_elements': _ratio(beyond['element'], beyond['elements']),
                        'uri_vs_elements': _ratio(beyond['uri'], beyond['elements'])},
        'requests': requests,
        'requests_per_play': dict((variant, sum(routes.values())) for variant, routes in requests.items()),
        'requests_beyond_lock': dict((variant, dict((route, number - base.get(route, 0)) for route, number in routes.items()
                                                    if number - base.get(route, 0))) for variant, routes in requests.items()),
        'pass_requests': True,  # a play whose counts or realms differ from the expected ones raised above
    }


# --------------------------------------------------------------------------------------------- report

def target_row(data):
    """The row of the targets table: the requests of every play (what is deterministic), beyond the lock's."""
    beyond = data['requests_beyond_lock']
    return ('7 provisioning, list', 'requests of every play = its expected routes (%d realms)' % data['elements'],
            'beyond the lock: ' + '; '.join('%s %s' % (variant, _shown(beyond[variant])) for variant in VARIANTS if variant != 'lock-only'),
            data['pass_requests'])


def _shown(routes):
    return ' + '.join('%d %s' % (number, ROUTE_NAMES.get(route, route)) for route, number in routes.items()) or 'nothing'


def lines(data, seconds, ratio):
    """The Markdown table of the row; ``seconds`` and ``ratio`` are report.py's formatters."""
    med, beyond = data['median'], data['beyond_lock_s']
    out = ['', '### 7b. %d %s elements in one task or in %d, under one config_lock on %s (medians of %d runs)' % (
        data['elements'], data['element_type'], data['elements'], data['instance'], data['repeats']), '',
        '| variant | tasks between lock and unlock | play | beyond lock-only | vs config_elements: play / beyond | requests per play '
        '| requests beyond the lock |',
        '|---|---|---:|---:|---:|---:|---|']
    for variant in VARIANTS:
        if variant == 'lock-only':
            versus = '-'
        elif variant == 'elements':
            versus = '1.00x / 1.00x'
        else:
            versus = '%s / %s' % (ratio(data['%s_vs_elements' % variant]), ratio(data['beyond_lock']['%s_vs_elements' % variant]))
        out.append('| %s | %s | %s | %s | %s | %d | %s |' % (
            variant, MODULE_OF[variant], seconds(med[variant]), '-' if variant == 'lock-only' else seconds(beyond[variant]), versus,
            data['requests_per_play'][variant], _shown(data['requests_beyond_lock'].get(variant, {}))))
    out += ['', 'Each play: config_lock lock (token + lock) and unlock around the tasks, the emulator reset before it. '
            '"vs config_elements" = that variant\'s median / config_elements\' median (above 1: the one task is faster), of whole '
            'plays and of the plays beyond the lock-only play. No wall-clock number is a target here.']
    return out


def plot(axis, data):
    """Bars: each variant's median play beyond lock-only, annotated with its ratio to config_elements."""
    variants = [variant for variant in VARIANTS if variant != 'lock-only']
    values = [data['beyond_lock_s'][variant] or 0 for variant in variants]
    rects = axis.bar(range(len(variants)), values, 0.6, color=['tab:blue' if variant == 'elements' else 'tab:gray' for variant in variants])
    for rect, variant, value in zip(rects, variants, values):
        ratio = None if variant == 'elements' else data['beyond_lock']['%s_vs_elements' % variant]
        axis.annotate('%.3g s' % value + ('' if ratio is None else '\n%.1fx' % ratio),
                      (rect.get_x() + rect.get_width() / 2, rect.get_height()), ha='center', va='bottom', fontsize=7)
    axis.set_xticks(range(len(variants)))
    axis.set_xticklabels(['%s\n%d req' % (variant, data['requests_per_play'][variant]) for variant in variants], fontsize=7)
    if min(values) > 0:
        axis.set_yscale('log')  # one task against 50: a linear axis hides the one
    axis.set_ylabel('play - lock-only play, s%s' % (' (log)' if min(values) > 0 else ''))
    axis.set_title('7b. %d %s: one task or %d' % (data['elements'], data['element_type'], data['elements']))
