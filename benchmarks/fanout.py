"""Benchmark 3, many devices in one task: 1, 20, 200 devices in one ``device_lock`` task (then one to unlock).

Each task's own duration comes from the bench_timer callback (start to result, per task). The emulator
must see exactly one login and one logout per task and one Lock (or Unlock) per device. A straight line
``duration = a + b * devices`` is fitted per task; its slope ``b`` is compared with one loopback request
(a Lock/Unlock on an open keep-alive HTTPS connection, timed in the same run with ``requests``).
Target: ``b`` within 1.5x of one request, i.e. a slope of one request per device.
"""

import time

import requests

from benchmarks import plays
from benchmarks.harness import SDM_ACTION, SDM_LOGIN, SDM_LOGOUT, SDM_USER, Controller, by_route, emulator, linear_fit, median, task_durations

TARGET_SLOPE_VS_REQUEST = 1.5


def request_latency(emu, samples=100):
    """Median seconds of one Lock or Unlock on an open keep-alive HTTPS connection to the SDM (what one device costs at least)."""
    session = requests.Session()
    session.trust_env = False
    base = emu.sdm_url() + '/rest/v1.3/'
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
    try:
        login = session.post(base + 'admin/login', json={'userName': SDM_USER[0], 'password': SDM_USER[1]}, verify=emu.ca_cert, timeout=30)
        login.raise_for_status()
        times = []
        for index in range(samples):
            action = 'Lock' if index % 2 == 0 else 'Unlock'
            started = time.perf_counter()
            answer = session.post(base + 'inventory/deviceMgmt/devices/ID1/action', json={'type': action}, headers=headers,
                                  verify=emu.ca_cert, timeout=30)
            times.append(time.perf_counter() - started)
            if answer.status_code not in (200, 204):
                raise RuntimeError('%s of ID1 answered %d' % (action, answer.status_code))
        session.post(base + 'admin/logout', verify=emu.ca_cert, timeout=30)
    finally:
        session.close()
    return median(times)


def run(workdir, settings, log):
    sizes = settings['sizes']
    repeats = settings['repeats']
    result = {'name': 'fanout', 'sizes': sizes, 'repeats': repeats, 'tasks': {}}
    with emulator(workdir / 'emulator', '--devices', str(max([5] + list(sizes)))) as emu:
        controller = Controller(emu, workdir)
        books = dict((size, plays.write_yaml(workdir / 'plays' / ('fanout-%d.yml' % size),
                                             plays.fanout_play(['ID%d' % number for number in range(1, size + 1)]))) for size in sizes)
        durations = {'lock': dict((size, []) for size in sizes), 'unlock': dict((size, []) for size in sizes)}
        walls = dict((size, []) for size in sizes)
        requests_per_task = {}
        for repeat in range(repeats):
            for size in (sizes if repeat % 2 == 0 else list(reversed(sizes))):
                emu.reset()
                controller.settle()
                done = controller.run('fanout-%d' % size, books[size], timer=True).check()
                routes = by_route(emu, 'sdm1')
                expected = {SDM_LOGIN: 2, SDM_ACTION: 2 * size, SDM_LOGOUT: 2}
                if routes != expected:
                    raise RuntimeError('fanout %d: the emulator served %r, expected %r' % (size, routes, expected))
                requests_per_task[size] = {'login': routes[SDM_LOGIN] / 2.0, 'action': routes[SDM_ACTION] / 2.0, 'logout': routes[SDM_LOGOUT] / 2.0}
                events = done.events()
                for task in ('lock', 'unlock'):
                    found = task_durations(events, '%s %d devices' % (task, size))
                    if len(found) != 1:
                        raise RuntimeError('fanout %d: expected one %s task in the timer events, found %d' % (size, task, len(found)))
                    durations[task][size].append(found[0])
                walls[size].append(done.wall)
                log('fanout %3d devices repeat %d: lock %.3f s, unlock %.3f s'
                    % (size, repeat + 1, durations['lock'][size][-1], durations['unlock'][size][-1]))
        one_request = request_latency(emu)
        log('fanout: one keep-alive Lock/Unlock request takes %.2f ms (median)' % (one_request * 1000))
    result['one_request_s'] = one_request
    result['requests_per_task'] = requests_per_task
    result['play_wall_s'] = dict((size, median(values)) for size, values in walls.items())
    for task in ('lock', 'unlock'):
        med = dict((size, median(values)) for size, values in durations[task].items())
        xs = [size for size in sizes for value in durations[task][size]]
        ys = [value for size in sizes for value in durations[task][size]]
        intercept, slope, r2 = linear_fit(xs, ys) if len(set(xs)) > 1 else (ys[0], 0.0, 1.0)
        result['tasks'][task] = {'samples': durations[task], 'median': med, 'intercept_s': intercept, 'slope_s': slope, 'r2': r2,
                                 'slope_vs_request': slope / one_request if one_request else None,
                                 'pass_slope': slope <= TARGET_SLOPE_VS_REQUEST * one_request}
    result['pass_sessions'] = all(counts['login'] == 1 and counts['logout'] == 1 for counts in requests_per_task.values())
    return result
