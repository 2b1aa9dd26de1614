"""Benchmark 2, scale: 1,000 SDM devices as inventory hosts, locked and unlocked around an empty task list, forks = 50.

Variants, each against its own floor measured in the same run:

- ``role``: ``include_role: oracle_comms.provisioning.lock_session`` per host (target sdm, the host's
  ``device_id``, an empty tasks file), against the same play with a copy of the role in which every lock
  task is an in-process ``set_fact`` or ``debug`` (``plays.floor_role``): everything else of the role stays.
- ``module``: ``device_lock`` lock, ``include_tasks`` of the empty file, ``device_lock`` unlock per host,
  against the same play with ``debug`` in place of the two lock tasks.

Reported: wall time, peak RSS of ``ansible-playbook`` (largest process it reaped), controller CPU, and
the requests the emulator served per device (target: 6, the login + lock + logout and login + unlock +
logout the device_lock tests measure for one device). Target: ours <= 2x its floor.
"""

from benchmarks import plays
from benchmarks.harness import SDM_ACTION, SDM_LOGIN, SDM_LOGOUT, Controller, by_route, collection_root, emulator, median

TARGET_VS_FLOOR = 2.0
REQUESTS_PER_DEVICE = 6  # login + Lock + logout, login + Unlock + logout (tests/integration/test_device_lock.py)


def role_dir():
    return collection_root() / 'roles' / 'lock_session'


def role_available():
    return (role_dir() / 'tasks' / 'main.yml').is_file()


def variants_for(requested):
    """The variants to measure: ``auto`` is role when roles/lock_session exists, else module."""
    if requested == 'auto':
        return ['role'] if role_available() else ['module']
    if requested == 'both':
        return ['role', 'module'] if role_available() else ['module']
    if requested == 'role' and not role_available():
        raise RuntimeError('roles/lock_session does not exist in this checkout; use --scale-variant module')
    return [requested]


def run(workdir, settings, log):
    devices = settings['devices']
    forks = settings['forks']
    repeats = settings['repeats']
    variants = variants_for(settings['variant'])
    device_ids = ['ID%d' % number for number in range(1, devices + 1)]
    result = {'name': 'scale', 'devices': devices, 'forks': forks, 'repeats': repeats, 'variants': {}}
    empty = plays.write_yaml(workdir / 'plays' / 'tasks' / 'nothing.yml', [])
    inventory = plays.write_yaml(workdir / 'plays' / 'inventory.yml', plays.inventory(device_ids))
    books = {}
    if 'role' in variants:
        floor_dir = workdir / 'plays' / 'roles' / 'lock_session_floor'
        replaced = plays.floor_role(role_dir(), floor_dir)
        log('scale: floor role %s has %d lock tasks replaced by in-process tasks' % (floor_dir, replaced))
        books['role'] = (plays.write_yaml(workdir / 'plays' / 'scale-role.yml', plays.role_play('oracle_comms.provisioning.lock_session', empty, 120)),
                         plays.write_yaml(workdir / 'plays' / 'scale-role-floor.yml', plays.role_play(str(floor_dir), empty, 120)))
    if 'module' in variants:
        books['module'] = (plays.write_yaml(workdir / 'plays' / 'scale-module.yml', plays.module_play(empty, 120)),
                           plays.write_yaml(workdir / 'plays' / 'scale-module-floor.yml', plays.module_play(empty, 120, floor=True)))
    with emulator(workdir / 'emulator', '--devices', str(max(devices, 5))) as emu:
        controller = Controller(emu, workdir)
        for variant in variants:
            ours_book, floor_book = books[variant]
            samples = {'ours': [], 'floor': []}
            rss = {'ours': [], 'floor': []}
            cpu = {'ours': [], 'floor': []}
            per_device = []
            for repeat in range(repeats):
                for which in (('ours', 'floor') if repeat % 2 == 0 else ('floor', 'ours')):
                    emu.reset()
                    controller.settle(60)
                    done = controller.run('scale-%s-%s' % (variant, which), ours_book if which == 'ours' else floor_book,
                                          inventory=inventory, forks=forks).check()
                    routes = by_route(emu, 'sdm1')
                    if which == 'ours':
                        check_ours(emu, controller, routes, devices)
                        per_device.append(sum(routes.values()) / float(devices))
                        result['variants'].setdefault(variant, {})['requests'] = routes
                    elif routes:
                        raise RuntimeError('the floor play sent requests: %r' % routes)
                    samples[which].append(done.wall)
                    rss[which].append(done.maxrss_mb)
                    cpu[which].append(done.cpu)
                    log('scale %s %-5s repeat %d: %.1f s, peak RSS %.0f MB, CPU %.1f s'
                        % (variant, which, repeat + 1, done.wall, done.maxrss_mb, done.cpu))
            med = dict((which, median(values)) for which, values in samples.items())
            ratio = med['ours'] / med['floor']
            result['variants'][variant].update({
                'samples': samples, 'median': med, 'peak_rss_mb': dict((which, median(values)) for which, values in rss.items()),
                'cpu_s': dict((which, median(values)) for which, values in cpu.items()),
                'requests_per_device': median(per_device), 'ours_vs_floor': ratio, 'pass_vs_floor': ratio <= TARGET_VS_FLOOR,
                'pass_requests': median(per_device) <= REQUESTS_PER_DEVICE,
            })
    return result


def check_ours(emu, controller, routes, devices):
    """Every device locked and unlocked once, nothing left behind (locks, sessions, leases)."""
    expected = {SDM_LOGIN: 2 * devices, SDM_ACTION: 2 * devices, SDM_LOGOUT: 2 * devices}
    if routes != expected:
        raise RuntimeError('scale: the emulator served %r for %d devices, expected %r' % (routes, devices, expected))
    grants = [event for event in emu.audit('sdm1') if event['event'] == 'grant']
    if len(set(event['resource'] for event in grants)) != devices:
        raise RuntimeError('scale: %d devices granted, expected %d' % (len(grants), devices))
    if emu.sdm_locks('sdm1') or emu.sdm_sessions('sdm1'):
        raise RuntimeError('scale: locks or sessions left on the SDM')
    if controller.leases():
        raise RuntimeError('scale: %d leases left' % len(controller.leases()))
