"""Benchmark 7, provisioning: what one task of each SDM provisioning module costs, against a ``debug`` task.

Every play runs against device ID1 of ``sdm1`` under one ``device_lock`` lock / unlock pair (the modules need a
device lock of the run), so the lock's cost is in every variant and cancels out:

- ``lock-only``: lock + unlock, nothing between (the baseline every other variant is measured from);
- ``debug``: lock + N ``debug`` tasks + unlock (what Ansible itself costs per task);
- ``element-add``: lock + N ``device_config_element`` tasks, each a distinct ``mediaPolicy`` name, + unlock; the
  emulator is reset before the play, so every task stages an add;
- ``element-noop``: the same tasks, with the N elements seeded into the device configuration first (control API
  ``PUT /sdm/sdm1/devices/ID1/config``): every task reads and finds nothing to stage;
- ``info``: lock + N ``device_config_element_info`` reads + unlock;
- ``push``: lock + N ``device_config_push`` with ``only_if_changed: false`` and nothing staged + unlock: each task is
  a full push.

The variants run back to back in a rotating order, repeated. Per task of a variant = (median play - median
``lock-only`` play) / N, and its ratio to ``debug``'s per task; nothing is asserted on wall-clock numbers. What is
asserted is what every play sends: the emulator's request counts by route must be exactly
:func:`expected_requests` (and the staged changes after the play what the variant stages), so that the benchmark
fails rather than report a run that did something else.

Then, on ``sbc1`` of the same emulator, the list row (benchmarks/provisioning_list.py): ``elements`` realms added by one
``config_elements`` task, by as many ``config_element`` tasks, and by as many ``uri`` POSTs, under one ``config_lock``
(skipped when ``elements`` is 0).
"""

from benchmarks import plays, provisioning_list
from benchmarks.harness import SDM_ACTION, SDM_LOGIN, SDM_LOGOUT, Controller, by_route, emulator, median

VARIANTS = ('lock-only', 'debug', 'element-add', 'element-noop', 'info', 'push')
MODULE_OF = {'debug': 'ansible.builtin.debug', 'element-add': 'device_config_element', 'element-noop': 'device_config_element',
             'info': 'device_config_element_info', 'push': 'device_config_push'}
INSTANCE = 'sdm1'
DEVICE = 'ID1'

# Emulator stats routes of the provisioning API (docs/emulator.md, GET /stats).
_CONFIGS = 'configuration/deviceConfigs/{id}/'
SDM_ELEMENTS = 'GET /rest/{v}/' + _CONFIGS + 'configElements'
SDM_METADATA = 'POST /rest/{v}/' + _CONFIGS + 'elementTypes/elementMetadata'
SDM_TYPES = 'GET /rest/{v}/' + _CONFIGS + 'elementTypes'
SDM_ADD = 'POST /rest/{v}/' + _CONFIGS + 'configElements/add'
SDM_CHANGES = 'GET /rest/{v}/' + _CONFIGS + 'configurationChanges'
SDM_LOAD = 'GET /rest/{v}/configuration/devices/{id}/loadConfig'
SDM_PUSH = 'POST /rest/{v}/configuration/devices/{id}/action'
#: Short names of the routes for the table.
ROUTE_NAMES = {SDM_LOGIN: 'login', SDM_LOGOUT: 'logout', SDM_ACTION: 'lock action', SDM_ELEMENTS: 'configElements', SDM_METADATA: 'elementMetadata',
               SDM_TYPES: 'elementTypes', SDM_ADD: 'add', SDM_CHANGES: 'configurationChanges', SDM_LOAD: 'loadConfig', SDM_PUSH: 'push'}


def _add(routes, extra, times=1):
    for route, number in extra.items():
        routes[route] = routes.get(route, 0) + number * times
    return routes


def expected_requests(variant, tasks):
    """Requests the emulator must see for one play of ``variant`` with ``tasks`` tasks.

    The two device_lock tasks: login + action + logout each. Each provisioning task signs in and out, and between:
    ``element-add`` the element metadata (the key attributes), the elements of the type and the add;
    ``element-noop`` the metadata and the elements; ``info`` the elements; ``push`` the staged changes and the push.
    Once per run, at its first change on the device (``element-add`` only, plugins/module_utils/_device_config.py
    ``begin_work``): ``loadConfig``, ``elementTypes`` (the SDM's list shape, which an empty list of the type does not
    show), the staged changes (what the staging area held before the run), and the elements once more (the task decides
    again on what the SDM holds after ``loadConfig``).
    """
    routes = {SDM_LOGIN: 2, SDM_ACTION: 2, SDM_LOGOUT: 2}
    session = {SDM_LOGIN: 1, SDM_LOGOUT: 1}
    if variant in ('lock-only', 'debug'):
        return routes
    _add(routes, session, tasks)
    if variant == 'element-add':
        _add(routes, {SDM_METADATA: 1, SDM_ELEMENTS: 1, SDM_ADD: 1}, tasks)
        _add(routes, {SDM_LOAD: 1, SDM_TYPES: 1, SDM_CHANGES: 1, SDM_ELEMENTS: 1})
    elif variant == 'element-noop':
        _add(routes, {SDM_METADATA: 1, SDM_ELEMENTS: 1}, tasks)
    elif variant == 'info':
        _add(routes, {SDM_ELEMENTS: 1}, tasks)
    elif variant == 'push':
        _add(routes, {SDM_CHANGES: 1, SDM_PUSH: 1}, tasks)
    else:
        raise ValueError('unknown provisioning variant %r' % variant)
    return routes


def seed_elements(emu, names):
    """Put a ``mediaPolicy`` element of each of ``names`` into the device configuration the SDM holds (as if pushed earlier)."""
    path = '/sdm/%s/devices/%s/config' % (INSTANCE, DEVICE)
    elements = emu.control('GET', path)['elements']
    elements += [{'elementTypePath': plays.PROVISIONING_TYPE, 'attributes': [{'name': 'name', 'value': name}]} for name in names]
    emu.control('PUT', path, json={'elements': elements})


def staged(emu):
    """The names this benchmark's SDM user has staged on the device, sorted."""
    changes = emu.control('GET', '/sdm/%s/devices/%s/changes' % (INSTANCE, DEVICE))
    return sorted(change['name'] for change in changes.get('prov1', []))


def run(workdir, settings, log):
    tasks = settings['tasks']
    repeats = settings['repeats']
    result = {'name': 'provisioning', 'tasks': tasks, 'repeats': repeats, 'device': '%s %s' % (INSTANCE, DEVICE)}
    names = plays.provisioning_names(tasks)
    books = dict((variant, plays.write_yaml(workdir / 'plays' / ('%s.yml' % variant), plays.provisioning_play(variant, tasks, DEVICE)))
                 for variant in VARIANTS)
    samples = dict((variant, []) for variant in VARIANTS)
    rss = dict((variant, []) for variant in VARIANTS)
    requests = {}
    with emulator(workdir / 'emulator') as emu:
        controller = Controller(emu, workdir)
        for repeat in range(repeats):
            order = VARIANTS[repeat % len(VARIANTS):] + VARIANTS[:repeat % len(VARIANTS)]
            for variant in order:
                emu.reset()
                controller.settle()
                if variant == 'element-noop':
                    seed_elements(emu, names)
                    emu.reset_stats()
                done = controller.run(variant, books[variant]).check()
                routes = by_route(emu, INSTANCE)
                expected = expected_requests(variant, tasks)
                if routes != expected:
                    raise RuntimeError('provisioning %s: the emulator served %r, expected %r' % (variant, routes, expected))
                left = staged(emu)
                if left != (sorted(names) if variant == 'element-add' else []):
                    raise RuntimeError('provisioning %s: staged after the play %r' % (variant, left))
                samples[variant].append(done.wall)
                rss[variant].append(done.maxrss_mb)
                requests[variant] = routes
                log('provisioning %-12s repeat %d: %.2f s' % (variant, repeat + 1, done.wall))
        if settings.get('elements'):
            result['list'] = provisioning_list.run(emu, controller, workdir, settings, log)
        if controller.leases():
            raise RuntimeError('leases left after the provisioning plays: %s' % controller.leases())
    result.update(summarize(tasks, samples, rss, requests))
    for variant in VARIANTS[1:]:
        ratio = result['vs_debug'][variant]
        log('provisioning %-12s per task %7.1f ms%s, %g requests per task' % (
            variant, result['per_task_s'][variant] * 1000, '' if variant == 'debug' or ratio is None else ' = %.2fx debug' % ratio,
            result['requests_per_task'][variant]))
    return result


def summarize(tasks, samples, rss, requests):
    med = dict((variant, median(values)) for variant, values in samples.items())
    per_task = dict((variant, (med[variant] - med['lock-only']) / tasks) for variant in VARIANTS if variant != 'lock-only')
    debug = per_task['debug']
    base = requests['lock-only']
    per_task_routes = {}
    for variant in VARIANTS:
        if variant == 'lock-only':
            continue
        routes = dict((route, (number - base.get(route, 0)) / float(tasks)) for route, number in requests[variant].items())
        per_task_routes[variant] = dict((route, number) for route, number in routes.items() if number)
    return {
        'samples': samples,
        'median': med,
        'peak_rss_mb': dict((variant, median(values)) for variant, values in rss.items()),
        'requests': requests,
        'requests_per_play': dict((variant, sum(routes.values())) for variant, routes in requests.items()),
        'requests_per_task': dict((variant, sum(routes.values())) for variant, routes in per_task_routes.items()),
        'requests_per_task_by_route': per_task_routes,
        'per_task_s': per_task,
        'vs_debug': dict((variant, value / debug if debug and debug > 0 else None) for variant, value in per_task.items()),
        'pass_requests': True,  # a play whose counts differ from expected_requests raised above
    }
