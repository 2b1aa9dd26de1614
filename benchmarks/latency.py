"""Benchmark 8, latency: a role session as users feel it across a WAN, against its minimum, ``debug`` and ``uri``.

Every byte between the controller and the emulator crosses :class:`benchmarks.latency_proxy.LatencyProxy`, which
delays each direction by RTT / 2 (``tc netem`` is not available here). For each RTT (default 1, 20 and 50 ms) and
product, the plays run back to back in a rotating order, repeated:

- ``ours``: ``include_role: lock_session`` around the session's tasks. SBC: three ``config_element`` realm adds and
  ``config_commit`` (save, verify, activate); SDM: three ``device_config_element`` realm adds and
  ``device_config_push``;
- ``debug``: the same play through the floor copy of the role (``plays.floor_role``) around as many ``debug``
  tasks: what Ansible itself costs, with no request at all;
- ``uri`` (SBC): the same session written with ``ansible.builtin.uri``, one task per request (``plays.uri_session_play``).

The emulator counts, per play: TCP connections, TLS handshakes (full and resumed), sign-ins (SBC token, SDM login) and
requests by route. The **minimum** of a session is what the API cannot do without, on one warm connection with one
sign-in per run: one TCP and one TLS 1.3 handshake (2 round trips) plus the requests the ``uri`` play sends (SBC), or
the SDM's sign-in, lock, three adds, push, unlock and sign-out; its time is ``debug``'s play plus that many RTTs.
Reported: each play's median, ours / minimum (target <= 1.2x), uri / ours (target >= 5x), and the counts. Nothing
is asserted on wall-clock numbers; the counts are deterministic and the smoke test asserts them. The SBC's asynchronous
jobs finish at once here (switch ``sbc.async_delay`` 0), so that the commit costs its round trips, not the job.
"""

from benchmarks import plays
from benchmarks.harness import SBC_TOKEN, SDM_LOGIN, Controller, emulator, median
from benchmarks.latency_proxy import LatencyProxy
from benchmarks.scale import role_dir

TARGET_VS_MINIMUM = 1.2
TARGET_URI_VS_OURS = 5.0
#: Round trips a new connection costs before its first request: TCP, then TLS 1.3.
CONNECT_ROUND_TRIPS = 2
#: Requests an SDM session cannot do without: login, Lock, an add per realm, the push, Unlock, logout.
SDM_MINIMUM_REQUESTS = 5
SIGN_IN = {'sbc': SBC_TOKEN, 'sdm': SDM_LOGIN}


def variants_for(product):
    return ('ours', 'debug', 'uri') if product == 'sbc' else ('ours', 'debug')


def books_for(workdir, product):
    """The plays of ``product``: {variant: playbook path}."""
    folder = workdir / 'plays'
    ours_tasks = plays.write_yaml(folder / 'tasks' / ('%s-session.yml' % product), plays.session_tasks(product))
    floor_tasks = plays.write_yaml(folder / 'tasks' / ('%s-session-debug.yml' % product), plays.session_tasks(product, floor=True))
    floor_role = folder / 'roles' / 'lock_session_floor'
    if not floor_role.exists():
        plays.floor_role(role_dir(), floor_role)
    books = {'ours': plays.write_yaml(folder / ('%s-ours.yml' % product), plays.session_play(product, ours_tasks)),
             'debug': plays.write_yaml(folder / ('%s-debug.yml' % product), plays.session_play(product, floor_tasks, role=str(floor_role)))}
    if product == 'sbc':
        books['uri'] = plays.write_yaml(folder / 'sbc-uri.yml', plays.uri_session_play())
    return books


def counts(emu, instance, product):
    """What one play cost on the wire: connections, handshakes, sign-ins and requests, from the emulator's counters."""
    stats = emu.stats(instance)
    routes = dict(stats['by_route'])
    return {'connections': stats['connections'], 'tls_full': stats['tls_handshakes']['full'], 'tls_resumed': stats['tls_handshakes']['resumed'],
            'sign_ins': routes.get(SIGN_IN[product], 0), 'requests': sum(routes.values()), 'by_route': routes}


def check(product, variant, counted, minimum_requests):
    """Raise RuntimeError when a play did something other than its session (its requests are the proof it ran)."""
    if variant == 'debug' and counted['requests']:
        raise RuntimeError('latency %s debug: the floor play sent requests: %r' % (product, counted['by_route']))
    if variant != 'debug' and counted['requests'] < minimum_requests:
        raise RuntimeError('latency %s %s: %d requests, fewer than the session needs (%d): %r'
                           % (product, variant, counted['requests'], minimum_requests, counted['by_route']))


def run(workdir, settings, log):
    rtts, repeats = settings['rtts_ms'], settings['repeats']
    result = {'name': 'latency', 'rtts_ms': rtts, 'repeats': repeats, 'products': {}}
    with emulator(workdir / 'emulator') as emu:
        for product in settings['products']:
            instance = product + '1'
            upstream = (emu.sbc_host(instance) if product == 'sbc' else emu.sdm_host(instance)).rsplit(':', 1)
            books = books_for(workdir, product)
            variants = variants_for(product)
            rows = {}
            for rtt in rtts:
                with LatencyProxy((upstream[0], int(upstream[1])), rtt / 2000.0) as proxy:
                    controller = Controller(emu, workdir / ('%s-%gms' % (product, rtt)))
                    extra = {'%s_HOST' % product.upper(): proxy.address}
                    samples = dict((variant, []) for variant in variants)
                    counted = {}
                    for repeat in range(repeats):
                        order = variants[repeat % len(variants):] + variants[:repeat % len(variants)]
                        for variant in order:
                            emu.reset()
                            emu.set_switches({'sbc.async_delay': 0})
                            controller.settle(60)
                            done = controller.run('latency-%s-%gms-%s' % (product, rtt, variant), books[variant], extra_env=extra).check()
                            counted[variant] = counts(emu, instance, product)
                            samples[variant].append(done.wall)
                            log('latency %s RTT %g ms %-5s repeat %d: %.2f s, %d connections, %d requests'
                                % (product, rtt, variant, repeat + 1, done.wall, counted[variant]['connections'], counted[variant]['requests']))
                    rows['%g' % rtt] = summarize(product, rtt, samples, counted)
                    for variant in variants:
                        check(product, variant, counted[variant], rows['%g' % rtt]['minimum_requests'])
            result['products'][product] = rows
    return result


def summarize(product, rtt, samples, counted):
    """Medians, the minimum and the ratios of one product at one RTT."""
    med = dict((variant, median(values)) for variant, values in samples.items())
    minimum_requests = counted['uri']['requests'] if product == 'sbc' else SDM_MINIMUM_REQUESTS + len(plays.session_realms(product))
    minimum_round_trips = CONNECT_ROUND_TRIPS + minimum_requests
    minimum = med['debug'] + minimum_round_trips * rtt / 1000.0
    row = {'rtt_ms': rtt, 'samples': samples, 'median': med, 'counts': counted, 'minimum_requests': minimum_requests,
           'minimum_round_trips': minimum_round_trips, 'minimum_s': minimum, 'ours_vs_minimum': med['ours'] / minimum,
           'pass_vs_minimum': med['ours'] / minimum <= TARGET_VS_MINIMUM}
    if 'uri' in med:
        row.update(uri_vs_ours=med['uri'] / med['ours'], pass_uri_vs_ours=med['uri'] / med['ours'] >= TARGET_URI_VS_OURS)
    return row


# --------------------------------------------------------------------------------------------- report

def target_rows(data, seconds, ratio, verdict):
    rows = []
    for product, by_rtt in data['products'].items():
        for rtt, row in by_rtt.items():
            name = '8 latency %s, RTT %s ms' % (product.upper(), rtt)
            ours = row['counts']['ours']
            rows.append((name, 'session <= %.1fx its minimum (%d round trips + debug play)' % (TARGET_VS_MINIMUM, row['minimum_round_trips']),
                         '%s (%s vs %s)' % (ratio(row['ours_vs_minimum']), seconds(row['median']['ours']), seconds(row['minimum_s'])),
                         verdict(row['pass_vs_minimum'])))
            if 'uri_vs_ours' in row:
                rows.append((name, 'uri >= %.0fx ours' % TARGET_URI_VS_OURS, '%s (%s vs %s)' % (
                    ratio(row['uri_vs_ours']), seconds(row['median']['uri']), seconds(row['median']['ours'])), verdict(row['pass_uri_vs_ours'])))
            rows.append((name, 'one TLS connection and one sign-in per run',
                         '%d connections (%d full, %d resumed handshakes), %d sign-ins, %d requests' % (
                             ours['connections'], ours['tls_full'], ours['tls_resumed'], ours['sign_ins'], ours['requests']),
                         verdict(ours['connections'] == 1 and ours['sign_ins'] == 1)))
    return rows


def lines(data, seconds, ratio):
    out = ['', '## 8. A role session across a WAN (a proxy adds RTT / 2 each way; medians of %d runs)' % data['repeats'], '',
           '| product | RTT | variant | play | minimum | vs minimum | connections | TLS full / resumed | sign-ins | requests |',
           '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|']
    for product, by_rtt in data['products'].items():
        for rtt, row in by_rtt.items():
            for variant, counted in row['counts'].items():
                out.append('| %s | %s ms | %s | %s | %s | %s | %d | %d / %d | %d | %d |' % (
                    product.upper(), rtt, variant, seconds(row['median'][variant]), seconds(row['minimum_s']),
                    ratio(row['median'][variant] / row['minimum_s']), counted['connections'], counted['tls_full'], counted['tls_resumed'],
                    counted['sign_ins'], counted['requests']))
    out += ['', 'minimum = the debug play (the floor copy of the role around debug tasks) + (2 + the requests the session cannot do '
            'without) x RTT: one connection, one sign-in. SBC session: three config_element realm adds and config_commit; '
            'SDM: three device_config_element adds and device_config_push.']
    return out


def plot(axis, data):
    """Per product and RTT: ours, uri, debug and the minimum, as bars."""
    labels, groups = [], {'ours': [], 'minimum': [], 'debug': [], 'uri': []}
    for product, by_rtt in data['products'].items():
        for rtt, row in by_rtt.items():
            labels.append('%s\n%s ms' % (product.upper(), rtt))
            groups['ours'].append(row['median']['ours'])
            groups['minimum'].append(row['minimum_s'])
            groups['debug'].append(row['median']['debug'])
            groups['uri'].append(row['median'].get('uri') or 0)
    width = 0.2
    for index, (name, values) in enumerate(groups.items()):
        axis.bar([position + (index - 1.5) * width for position in range(len(labels))], values, width, label=name)
    axis.set_xticks(range(len(labels)))
    axis.set_xticklabels(labels, fontsize=7)
    axis.set_ylabel('play, s')
    axis.set_title('8. role session across a WAN')
    axis.legend(fontsize=7)
