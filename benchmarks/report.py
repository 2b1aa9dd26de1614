"""Turn benchmark results into a Markdown table of medians, ratios and targets, a JSON file, and one PNG plot."""

import json
import pathlib

from benchmarks import etcd, fanout, handover, latency, pertask, provisioning, provisioning_list, scale


def _s(value, digits=2):
    return 'n/a' if value is None else '%.*f s' % (digits, value)


def _ms(value):
    return 'n/a' if value is None else '%.1f ms' % (value * 1000)


def _x(value):
    return 'n/a' if value is None else '%.2fx' % value


def _verdict(passed):
    return 'n/a' if passed is None else ('**pass**' if passed else '**MISS**')


def target_rows(results):
    """(benchmark, target, measured, verdict) for every target of benchmarks/README.md, in its order."""
    rows = []
    per_task = results.get('pertask')
    if per_task:
        for product, data in per_task['products'].items():
            rows.append(('1 per task, %s' % product.upper(), 'ours <= %.1fx debug (%d pairs)' % (pertask.TARGET_VS_DEBUG, per_task['pairs']),
                         '%s (%s vs %s)' % (_x(data['ours_vs_debug']), _s(data['median']['ours']), _s(data['median']['debug'])),
                         _verdict(data['pass_vs_debug'])))
            rows.append(('1 per task, %s' % product.upper(), 'uri >= %.0fx ours' % pertask.TARGET_VS_URI,
                         '%s (%s vs %s)' % (_x(data['uri_vs_ours']), _s(data['median']['uri']), _s(data['median']['ours'])),
                         _verdict(data['pass_vs_uri'])))
    scaled = results.get('scale')
    if scaled:
        for variant, data in scaled['variants'].items():
            rows.append(('2 scale, %s' % variant, 'ours <= %.0fx floor (%d devices, forks %d)' % (scale.TARGET_VS_FLOOR, scaled['devices'], scaled['forks']),
                         '%s (%s vs %s)' % (_x(data['ours_vs_floor']), _s(data['median']['ours'], 1), _s(data['median']['floor'], 1)),
                         _verdict(data['pass_vs_floor'])))
            rows.append(('2 scale, %s' % variant, 'requests per device <= %d' % scale.REQUESTS_PER_DEVICE,
                         '%.2f' % data['requests_per_device'], _verdict(data['pass_requests'])))
    fanned = results.get('fanout')
    if fanned:
        rows.append(('3 many devices', 'one login and one logout per task', ', '.join(
            '%s: %g/%g' % (size, counts['login'], counts['logout']) for size, counts in sorted(fanned['requests_per_task'].items())),
            _verdict(fanned['pass_sessions'])))
        for task, data in fanned['tasks'].items():
            rows.append(('3 many devices, %s' % task, 'slope <= %.1fx one request (%s)' % (fanout.TARGET_SLOPE_VS_REQUEST, _ms(fanned['one_request_s'])),
                         '%s/device = %s, R^2 %.3f' % (_ms(data['slope_s']), _x(data['slope_vs_request']), data['r2']),
                         _verdict(data['pass_slope'])))
    if results.get('handover'):
        rows += _handover_rows(results['handover'])
    trips = results.get('roundtrips')
    if trips:
        for product, operations in trips['products'].items():
            for operation, row in operations.items():
                rows.append(('5 round trips %s' % product.upper(), '%s = %s' % (operation, _routes(row['expected'])),
                             '%d: %s' % (row['total'], _routes(row['requests'])), _verdict(row['pass'])))
    shared = results.get('etcd')
    if shared:
        for product, row in shared['products'].items():
            rows.append(('6 etcd %s' % product.upper(), 'hand-over controller A -> B p50 <= %.0f s' % etcd.TARGET_HANDOVER_P50,
                         'p50 %s, p95 %s (n=%d)' % (_ms(row['handover']['p50']), _ms(row['handover']['p95']), row['handover']['n']),
                         _verdict(row['pass_handover'])))
            per = row['pertask']['per_task_s']
            rows.append(('6 etcd %s' % product.upper(), 'per task etcd <= file + %.0f %% (%d pairs)' % (etcd.TARGET_OVERHEAD * 100, shared['pairs']),
                         '%s (%s vs %s)' % (_percent(row['pertask']['overhead']), _ms(per['etcd']), _ms(per['file'])),
                         _verdict(row['pass_overhead'])))
            rows.append(('6 etcd %s' % product.upper(), 'recovery after SIGKILL of run and keeper <= TTL + 1 s (%.0f s)' % etcd.TARGET_RECOVERY,
                         'max %s, median %s (n=%d)' % (_s(row['recovery']['max']), _s(row['recovery']['median']), row['recovery']['n']),
                         _verdict(row['pass_recovery'])))
    if results.get('provisioning'):
        rows += _provisioning_rows(results['provisioning'])
    if results.get('latency'):
        rows += latency.target_rows(results['latency'], _s, _x, _verdict)
    return rows


def _handover_rows(handed):
    rows = []
    for product, by_k in handed['products'].items():
        for waiters, row in by_k.items():
            rows.append(('4 hand-over %s K=%s' % (product.upper(), waiters), 'same controller p50 <= %d ms' % (handover.TARGET_LOCAL_P50 * 1000),
                         'p50 %s, p95 %s (n=%d)' % (_ms(row['local']['p50']), _ms(row['local']['p95']), row['local']['n']),
                         _verdict(row['pass_local'])))
            rows.append(('4 hand-over %s K=%s' % (product.upper(), waiters), 'foreign holder p50 <= %.0f s' % handover.TARGET_FOREIGN_P50,
                         'p50 %s, p95 %s (n=%d)' % (_ms(row['foreign']['p50']), _ms(row['foreign']['p95']), row['foreign']['n']),
                         _verdict(row['pass_foreign'])))
            rows.append(('4 hand-over %s K=%s' % (product.upper(), waiters), '<= %.0f request per waiter per second while waiting' % handover.TARGET_RATE,
                         'same controller %s, foreign %s (+/-%s)' % (_rate(row['local']['rate_while_waiting']), _rate(row['foreign']['rate_while_waiting']),
                                                                     _rate(row['foreign'].get('rate_resolution'))),
                         _verdict(row['pass_rate'])))
    return rows


def _provisioning_rows(provisioned):
    per = provisioned['requests_per_task']
    rows = [('7 provisioning', 'requests of every play = its expected routes (%d tasks per play)' % provisioned['tasks'],
             'per task: ' + ', '.join('%s %g' % (variant, per[variant]) for variant in provisioning.VARIANTS if variant in per),
             _verdict(provisioned['pass_requests']))]
    if provisioned.get('list'):
        benchmark, target, measured, passed = provisioning_list.target_row(provisioned['list'])
        rows.append((benchmark, target, measured, _verdict(passed)))
    return rows


def _percent(value):
    return 'n/a' if value is None else '%+.1f %%' % (value * 100)


def _rate(value):
    return 'n/a' if value is None else '%.2f' % value


def _routes(routes):
    if not routes:
        return 'nothing'
    return ' + '.join('%s%s' % ('%d x ' % number if number != 1 else '', name.split('/')[-1]) for name, number in routes.items())


def markdown(results, meta):
    """The whole report as Markdown: a summary of targets, then one table of medians per benchmark."""
    lines = ['# Benchmark results', '',
             '%s, %s; Python %s, ansible-core %s; %d CPUs; load average during the run %s.' % (
                 meta['date'], meta['mode'], meta['python'], meta['ansible'], meta['cpus'], meta.get('load')), '',
             '## Targets', '', '| benchmark | target | measured | verdict |', '|---|---|---|---|']
    lines += ['| %s | %s | %s | %s |' % row for row in target_rows(results)]
    if results.get('pertask'):
        lines += _pertask_lines(results['pertask'])
    if results.get('scale'):
        data = results['scale']
        lines += ['', '## 2. Scale: %d devices as inventory hosts, forks = %d (medians of %d runs)' % (data['devices'], data['forks'], data['repeats']),
                  '', '| variant | ours | floor | ours/floor | peak RSS ours / floor | controller CPU ours / floor | requests per device |',
                  '|---|---:|---:|---:|---:|---:|---:|']
        for variant, row in data['variants'].items():
            lines.append('| %s | %s | %s | %s | %.0f / %.0f MB | %.1f / %.1f s | %.2f |' % (
                variant, _s(row['median']['ours'], 1), _s(row['median']['floor'], 1), _x(row['ours_vs_floor']),
                row['peak_rss_mb']['ours'], row['peak_rss_mb']['floor'], row['cpu_s']['ours'], row['cpu_s']['floor'], row['requests_per_device']))
        lines += ['', 'role: `include_role: oracle_comms.provisioning.lock_session` vs the same role with `debug` in place of its lock tasks; '
                  'module: `device_lock` lock / `include_tasks` (empty) / `device_lock` unlock vs `debug` in place of the two lock tasks.']
    if results.get('fanout'):
        data = results['fanout']
        lines += ['', '## 3. Many devices in one task (medians of %d runs)' % data['repeats'], '',
                  '| devices | lock task | unlock task | requests per task (login + actions + logout) |', '|---:|---:|---:|---:|']
        for size in data['sizes']:
            counts = data['requests_per_task'][size]
            lines.append('| %d | %s | %s | %g + %g + %g |' % (
                size, _ms(data['tasks']['lock']['median'][size]), _ms(data['tasks']['unlock']['median'][size]),
                counts['login'], counts['action'], counts['logout']))
        lines += ['', 'Fit per task: ' + '; '.join('%s %s + %s/device (R^2 %.3f)' % (task, _ms(row['intercept_s']), _ms(row['slope_s']), row['r2'])
                                                   for task, row in data['tasks'].items()) +
                  '; one keep-alive request: %s.' % _ms(data['one_request_s'])]
    if results.get('handover'):
        data = results['handover']
        lines += ['', '## 4. Hand-over: release -> next grant', '',
                  '| product | K | same controller p50 / p95 (n) | foreign holder p50 / p95 (n) | requests/waiter/s waiting: same / foreign |',
                  '|---|---:|---:|---:|---:|']
        for product, by_k in data['products'].items():
            for waiters, row in by_k.items():
                lines.append('| %s | %s | %s / %s (%d) | %s / %s (%d) | %s / %s |' % (
                    product.upper(), waiters, _ms(row['local']['p50']), _ms(row['local']['p95']), row['local']['n'],
                    _ms(row['foreign']['p50']), _ms(row['foreign']['p95']), row['foreign']['n'],
                    _rate(row['local']['rate_while_waiting']), _rate(row['foreign']['rate_while_waiting'])))
    if results.get('roundtrips'):
        lines += ['', '## 5. Round trips per operation (emulator counters)', '', '| product | operation | requests | expected |', '|---|---|---|---|']
        for product, operations in results['roundtrips']['products'].items():
            for operation, row in operations.items():
                lines.append('| %s | %s | %d (%s) | %d (%s) |' % (
                    product.upper(), operation, row['total'], _routes(row['requests']), row['expected_total'], _routes(row['expected'])))
    if results.get('etcd'):
        lines += _etcd_lines(results['etcd'])
    if results.get('provisioning'):
        lines += _provisioning_lines(results['provisioning'])
    if results.get('latency'):
        lines += latency.lines(results['latency'], _s, _x)
    return '\n'.join(lines) + '\n'


def _pertask_lines(data):
    lines = ['', '## 1. Per task: %d lock+unlock pairs (medians of %d runs)' % (data['pairs'], data['repeats']), '',
             '| product | ours | 2N debug | uri | no task | ours/debug | uri/ours | per task: ours / debug / uri '
             '| peak RSS ours / debug / uri | requests per pair ours / uri |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for product, row in data['products'].items():
        med, per, rss, req = row['median'], row['per_task_s'], row['peak_rss_mb'], row['requests_per_pair']
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %.0f / %.0f / %.0f MB | %g / %g |' % (
            product.upper(), _s(med['ours']), _s(med['debug']), _s(med['uri']), _s(med['empty']), _x(row['ours_vs_debug']),
            _x(row['uri_vs_ours']), _ms(per['ours']), _ms(per['debug']), _ms(per['uri']), rss['ours'], rss['debug'], rss['uri'],
            req.get('ours', 0), req.get('uri', 0)))
    lines += ['', '"per task" = (play - no-task play) / tasks in the play: what one more task costs, startup excluded.']
    if data.get('against'):
        lines += ['', 'Before/after, in the same run: the play of "ours" with the collection at %s ("before").' % data['against'], '',
                  '| product | ours | before | ours/before | per task: ours / before | requests per pair ours / before |',
                  '|---|---:|---:|---:|---:|---:|']
        for product, row in data['products'].items():
            med, per, req = row['median'], row['per_task_s'], row['requests_per_pair']
            lines.append('| %s | %s | %s | %s | %s / %s | %g / %g |' % (
                product.upper(), _s(med['ours']), _s(med['before']), _x(row['ours_vs_before']), _ms(per['ours']),
                _ms(per['before']), req.get('ours', 0), req.get('before', 0)))
    return lines


def _etcd_lines(data):
    lines = ['', '## 6. etcd lease backend: two controllers, TTL %d s' % data['ttl'], '',
             '| product | hand-over A -> B p50 / p95 (n) | plays file / etcd / no task (%d pairs, medians of %d) | per task file / etcd | '
             'overhead per task / per play | recovery max / median (n) |' % (data['pairs'], data['repeats']),
             '|---|---:|---:|---:|---:|---:|']
    for product, row in data['products'].items():
        med, per = row['pertask']['median'], row['pertask']['per_task_s']
        lines.append('| %s | %s / %s (%d) | %s / %s / %s | %s / %s | %s / %s | %s / %s (%d) |' % (
            product.upper(), _ms(row['handover']['p50']), _ms(row['handover']['p95']), row['handover']['n'],
            _s(med['file']), _s(med['etcd']), _s(med['empty']), _ms(per['file']), _ms(per['etcd']),
            _percent(row['pertask']['overhead']), _percent(row['pertask']['play_overhead']),
            _s(row['recovery']['max']), _s(row['recovery']['median']), row['recovery']['n']))
    lines += ['', 'Hand-over: release on one controller -> grant on the other (audit log `ts`), the direction alternating; per task = '
              '(play - no-task play) / tasks, the same play on each backend; recovery: SIGKILL of the holder\'s `ansible-playbook` and keeper '
              '-> the waiter\'s lock task ends ok on the other controller.']
    return lines


def _provisioning_lines(data):
    lines = ['', '## 7. Provisioning modules: %d tasks per play under one device lock, %s (medians of %d runs)' % (
        data['tasks'], data['device'], data['repeats']), '',
        '| variant | module | play | per task | per task / debug | requests per play | requests per task |',
        '|---|---|---:|---:|---:|---:|---:|']
    for variant in provisioning.VARIANTS:
        per = data['per_task_s'].get(variant)
        lines.append('| %s | %s | %s | %s | %s | %d | %s |' % (
            variant, provisioning.MODULE_OF.get(variant, 'device_lock only'), _s(data['median'][variant]),
            '-' if variant == 'lock-only' else _ms(per), '-' if variant == 'lock-only' else _x(data['vs_debug'].get(variant)),
            data['requests_per_play'][variant], '-' if variant == 'lock-only' else _rate(data['requests_per_task'].get(variant))))
    lines += ['', '"per task" = (play - lock-only play) / tasks: the lock and unlock tasks (login + action + logout each) are in every play '
              'and cancel out; so do their requests in "requests per task". element-add\'s per task includes its once-per-run '
              'requests (loadConfig, elementTypes, configurationChanges, one more configElements read) spread over the tasks. '
              'No wall-clock number is a target here.']
    by_route = data.get('requests_per_task_by_route') or {}
    if by_route:
        lines += ['', '| variant | requests per task by route |', '|---|---|']
        for variant in provisioning.VARIANTS:
            if variant in by_route:
                routes = sorted(by_route[variant].items(), key=lambda item: -item[1])
                shown = ', '.join('%s %g' % (provisioning.ROUTE_NAMES.get(route, route), number) for route, number in routes)
                lines.append('| %s | %s |' % (variant, shown or 'nothing'))
    if data.get('list'):
        lines += provisioning_list.lines(data['list'], _s, _x)
    return lines


def write_json(path, results, meta):
    pathlib.Path(path).write_text(json.dumps({'meta': meta, 'results': results}, indent=1, sort_keys=True, default=str) + '\n', encoding='utf-8')


def plot(path, results):
    """One PNG, a panel per benchmark that ran."""
    import matplotlib  # pylint: disable=import-outside-toplevel  # only where a plot is wanted: slow to import
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    panels = [name for name in ('pertask', 'scale', 'fanout', 'handover', 'roundtrips', 'etcd', 'provisioning', 'latency') if results.get(name)]
    if (results.get('provisioning') or {}).get('list'):
        panels.append('provisioning_list')
    columns = min(3, max(1, len(panels)))
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4.5 * rows), squeeze=False)
    for axis in axes.flat[len(panels):]:
        axis.set_visible(False)
    for axis, name in zip(axes.flat, panels):
        globals()['_plot_' + name](axis, results['provisioning']['list'] if name == 'provisioning_list' else results[name])
    figure.suptitle('oracle_comms.provisioning benchmarks (medians; dashed: targets)')
    figure.tight_layout()
    figure.savefig(str(path), dpi=100)
    plt.close(figure)


def _bars(axis, groups, series, values, colors=None):
    width = 0.8 / len(series)
    for index, name in enumerate(series):
        xs = [group + (index - (len(series) - 1) / 2.0) * width for group in range(len(groups))]
        ys = [values[group][name] or 0 for group in groups]
        rects = axis.bar(xs, ys, width, label=name, color=(colors or {}).get(name))
        for rect, value in zip(rects, ys):
            axis.annotate('%.3g' % value, (rect.get_x() + rect.get_width() / 2, rect.get_height()), ha='center', va='bottom', fontsize=7)
    axis.set_xticks(range(len(groups)))
    axis.set_xticklabels(groups)


def _plot_pertask(axis, data):
    groups = list(data['products'])
    values = dict((product, data['products'][product]['median']) for product in groups)
    _bars(axis, groups, ['ours', 'debug', 'uri', 'empty'], values, {'ours': 'tab:blue', 'debug': 'tab:gray', 'uri': 'tab:red', 'empty': 'lightgray'})
    for index, product in enumerate(groups):
        med = data['products'][product]['median']
        # ours is the first bar of each group: its two upper bounds, 1.3x debug and uri / 10
        axis.hlines([med['debug'] * pertask.TARGET_VS_DEBUG, med['uri'] / pertask.TARGET_VS_URI], index - 0.4, index - 0.2,
                    colors=['tab:green', 'tab:purple'], linestyles='dashed')
    axis.set_yscale('log')
    axis.set_ylabel('play wall time, s (log); dashed: 1.3x debug, uri/10')
    axis.set_title('1. %d lock+unlock pairs per play' % data['pairs'])
    axis.legend(fontsize=8)


def _plot_scale(axis, data):
    groups = list(data['variants'])
    values = dict((variant, data['variants'][variant]['median']) for variant in groups)
    _bars(axis, groups, ['ours', 'floor'], values, {'ours': 'tab:blue', 'floor': 'tab:gray'})
    for index, variant in enumerate(groups):
        floor = data['variants'][variant]['median']['floor']
        axis.hlines(floor * scale.TARGET_VS_FLOOR, index - 0.4, index + 0.4, colors='tab:green', linestyles='dashed')
    axis.set_ylabel('play wall time, s')
    axis.set_title('2. %d devices, forks %d' % (data['devices'], data['forks']))
    axis.legend(fontsize=8)


def _plot_fanout(axis, data):
    sizes = data['sizes']
    for task, color in (('lock', 'tab:blue'), ('unlock', 'tab:orange')):
        row = data['tasks'][task]
        axis.plot(sizes, [row['median'][size] * 1000 for size in sizes], 'o', color=color, label='%s task' % task)
        axis.plot(sizes, [(row['intercept_s'] + row['slope_s'] * size) * 1000 for size in sizes], '-', color=color, alpha=0.6)
        base = row['intercept_s']
        axis.plot(sizes, [(base + fanout.TARGET_SLOPE_VS_REQUEST * data['one_request_s'] * size) * 1000 for size in sizes], '--',
                  color='tab:green', alpha=0.6)
    axis.set_xlabel('devices in the task')
    axis.set_ylabel('task duration, ms')
    axis.set_title('3. one device_lock task, many devices')
    axis.legend(fontsize=8)


def _plot_handover(axis, data):
    for product, marker in (('sbc', 'o'), ('sdm', 's')):
        by_k = data['products'].get(product)
        if not by_k:
            continue
        ks = list(by_k)
        for kind, color in (('local', 'tab:blue'), ('foreign', 'tab:red')):
            p50 = [(by_k[k][kind]['p50'] or 0) * 1000 for k in ks]
            p95 = [(by_k[k][kind]['p95'] or 0) * 1000 for k in ks]
            axis.plot([int(k) for k in ks], p50, marker=marker, color=color, label='%s %s p50' % (product.upper(), kind))
            axis.plot([int(k) for k in ks], p95, marker=marker, color=color, linestyle=':', alpha=0.6)
    axis.axhline(handover.TARGET_LOCAL_P50 * 1000, color='tab:blue', linestyle='dashed', alpha=0.5)
    axis.axhline(handover.TARGET_FOREIGN_P50 * 1000, color='tab:red', linestyle='dashed', alpha=0.5)
    axis.set_xscale('log')
    axis.set_yscale('log')
    axis.set_xlabel('waiters K')
    axis.set_ylabel('release -> grant, ms (dotted: p95)')
    axis.set_title('4. hand-over')
    axis.legend(fontsize=7)


def _plot_roundtrips(axis, data):
    labels, measured, expected = [], [], []
    for product, operations in data['products'].items():
        for operation, row in operations.items():
            labels.append('%s\n%s' % (product.upper(), operation.replace(' (held)', '\n(held)')))
            measured.append(row['total'])
            expected.append(row['expected_total'])
    xs = range(len(labels))
    axis.bar([x - 0.2 for x in xs], measured, 0.4, label='measured', color='tab:blue')
    axis.bar([x + 0.2 for x in xs], expected, 0.4, label='target', color='tab:green', alpha=0.6)
    axis.set_xticks(list(xs))
    axis.set_xticklabels(labels, fontsize=7)
    axis.set_ylabel('HTTP requests')
    axis.set_title('5. round trips per operation')
    axis.legend(fontsize=8)


def _plot_etcd(axis, data):
    groups = list(data['products'])
    values = dict((product, {'hand-over p50': row['handover']['p50'], 'hand-over p95': row['handover']['p95'],
                             'recovery max': row['recovery']['max']}) for product, row in data['products'].items())
    _bars(axis, groups, ['hand-over p50', 'hand-over p95', 'recovery max'], values,
          {'hand-over p50': 'tab:blue', 'hand-over p95': 'lightsteelblue', 'recovery max': 'tab:orange'})
    axis.set_xticklabels(['%s\nper task %s' % (product.upper(), _percent(data['products'][product]['pertask']['overhead'])) for product in groups])
    axis.axhline(etcd.TARGET_HANDOVER_P50, color='tab:blue', linestyle='dashed', alpha=0.5)
    axis.axhline(etcd.TARGET_RECOVERY, color='tab:orange', linestyle='dashed', alpha=0.5)
    axis.set_ylabel('s; dashed: hand-over p50 and recovery targets')
    axis.set_title('6. etcd backend, two controllers (TTL %d s)' % data['ttl'])
    axis.legend(fontsize=8)


def _plot_provisioning(axis, data):
    variants = [variant for variant in provisioning.VARIANTS if variant != 'lock-only']
    values = [(data['per_task_s'].get(variant) or 0) * 1000 for variant in variants]
    colors = ['tab:gray' if variant == 'debug' else 'tab:blue' for variant in variants]
    rects = axis.bar(range(len(variants)), values, 0.6, color=colors)
    for rect, variant, value in zip(rects, variants, values):
        ratio = data['vs_debug'].get(variant)
        label = '%.3g' % value + ('' if variant == 'debug' or ratio is None else '\n%.1fx' % ratio)
        axis.annotate(label, (rect.get_x() + rect.get_width() / 2, rect.get_height()), ha='center', va='bottom', fontsize=7)
    axis.axhline((data['per_task_s'].get('debug') or 0) * 1000, color='tab:gray', linestyle='dashed', alpha=0.6)
    axis.set_xticks(range(len(variants)))
    axis.set_xticklabels(['%s\n%g req' % (variant, data['requests_per_task'].get(variant, 0)) for variant in variants], fontsize=7)
    axis.set_ylabel('per task, ms (play - lock-only) / N; dashed: debug')
    axis.set_title('7. provisioning modules, %d tasks per play' % data['tasks'])


def _plot_provisioning_list(axis, data):
    provisioning_list.plot(axis, data)


def _plot_latency(axis, data):
    latency.plot(axis, data)
