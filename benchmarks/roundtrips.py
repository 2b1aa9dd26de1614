"""Benchmark 5, round trips: HTTP requests per operation, counted by the emulator.

One play per product: lock, pause, lock again (the run holds it: nothing to send), pause, unlock. The
harness reads and zeroes the emulator's request counters in each pause (the play waits for a marker
file). Targets, from docs/decisions.md: SBC acquire = token + lock, release = unlock; SDM = login + the
action + logout per task; a re-acquire of a held lock sends nothing.
"""

import time

from benchmarks import plays
from benchmarks.harness import (
    SBC_LOCK, SBC_TOKEN, SBC_UNLOCK, SDM_ACTION, SDM_LOGIN, SDM_LOGOUT, Controller, by_route, emulator, read_events, wait_until,
)

EXPECTED = {
    'sbc': {'acquire': {SBC_TOKEN: 1, SBC_LOCK: 1}, 're-acquire (held)': {}, 'release': {SBC_UNLOCK: 1}},
    'sdm': {'acquire': {SDM_LOGIN: 1, SDM_ACTION: 1, SDM_LOGOUT: 1}, 're-acquire (held)': {},
            'release': {SDM_LOGIN: 1, SDM_ACTION: 1, SDM_LOGOUT: 1}},
}


def _paused(running, task):
    return any(event['event'] == 'start' and event['task'] == task for event in read_events(running.timer_path))


def run(workdir, settings, log):
    result = {'name': 'roundtrips', 'products': {}}
    with emulator(workdir / 'emulator') as emu:
        controller = Controller(emu, workdir)
        for product in settings['products']:
            emu.reset()
            controller.settle()
            instance = product + '1'
            first = workdir / ('after-acquire-%s-%d' % (product, time.time_ns()))
            second = workdir / ('after-reacquire-%s-%d' % (product, time.time_ns()))
            book = plays.write_yaml(workdir / 'plays' / ('roundtrips-%s.yml' % product), plays.roundtrip_play(product, 'ID1', first, second))
            running = controller.start('roundtrips-%s' % product, book, timer=True)
            measured = {}
            wait_until(lambda: _paused(running, 'pause after acquire'), 120, 'the acquire task', watch=[running])  # pylint: disable=cell-var-from-loop
            measured['acquire'] = by_route(emu, instance)
            emu.reset_stats()
            first.touch()
            wait_until(lambda: _paused(running, 'pause after re-acquire'), 120, 'the re-acquire task', watch=[running])  # pylint: disable=cell-var-from-loop
            measured['re-acquire (held)'] = by_route(emu, instance)
            emu.reset_stats()
            second.touch()
            running.wait(timeout=120).check()
            measured['release'] = by_route(emu, instance)
            rows = {}
            for operation, routes in measured.items():
                expected = EXPECTED[product][operation]
                rows[operation] = {'requests': routes, 'total': sum(routes.values()), 'expected': expected,
                                   'expected_total': sum(expected.values()), 'pass': routes == expected}
                log('roundtrips %s %-18s %d requests %s (expected %d)' % (product, operation, sum(routes.values()),
                                                                          routes, sum(expected.values())))
            result['products'][product] = rows
    return result
