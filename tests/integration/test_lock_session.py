"""The lock_session role and its fault matrix, as real plays against the emulator over HTTPS.

Every row ends with the same checks: no lock held, no lease left, the audit log never shows two
holders, and no keeper process of ours left running. Rows that measure how long the lock stayed held
after the fault write it to tests/output/fault-matrix/ (the figures of docs/operator-guide.md,
"Guarantees per failure case").
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from emulator_harness import assert_never_two_holders, start_emulator
from tests.collection_path import REPO_ROOT
from tests.integration.ansible_runner_util import PLAYBOOKS, PlaybookRunner, assert_no_secret

MATRIX = REPO_ROOT / 'tests' / 'output' / 'fault-matrix'
SESSION = 'lock_session/session.yml'
EXAMPLE_TASKS = REPO_ROOT / 'examples' / 'tasks' / 'sbc_add_realm.yml'
UNLOCK = 'POST /rest/{v}/configuration/unlock'


# --------------------------------------------------------------------------------------------- helpers

def live_processes():
    """(pid, argv) of every live (not zombie) process."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().split(b'\0')
            with open('/proc/%s/stat' % entry) as handle:
                state = handle.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if state != 'Z':
            yield int(entry), argv


def keepers(lease_dir):
    """Pids of live keeper processes working on ``lease_dir``."""
    return [pid for pid, argv in live_processes()
            if any(arg.endswith(b'._keeper') for arg in argv) and str(lease_dir).encode() in argv]


def run_processes(marker):
    """Pids of live ansible-playbook processes (a run or its workers) whose command line names ``marker``."""
    return [pid for pid, argv in live_processes()
            if any(arg.endswith(b'ansible-playbook') for arg in argv) and any(str(marker).encode() in arg for arg in argv)]


def wait_until(predicate, timeout, step=0.05):
    """True as soon as ``predicate()`` is; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def lost_ctrl_c(stderr):
    """True when ansible-core's SIGINT handler raised its KeyboardInterrupt inside a finalizer, where Python ignores it."""
    text = ' '.join(stderr.split())
    # ansible-core 2.19+ raises it from its own _signal_handler; 2.18 leaves SIGINT to Python's default handler, whose
    # KeyboardInterrupt shows in the finalizer's traceback alone
    return 'Exception ignored in' in text and 'KeyboardInterrupt' in text


def lease_files(runner):
    return sorted(runner.lease_dir.glob('*.json')) if runner.lease_dir.exists() else []


def assert_clean(emu, runners, instances=('sbc1',)):
    """No lock held, no lease, never two holders, and no keeper left within a few seconds."""
    for instance in instances:
        assert not emu.sbc_lock_state(instance)['held'], emu.sbc_lock_state(instance)
    assert emu.sdm_locks('sdm1') == {}
    assert_never_two_holders(emu.audit())
    for runner in runners:
        # a keeper removes the lease just after its unlock is answered, which is when the lock is seen free: wait for it
        assert wait_until(lambda runner=runner: not lease_files(runner), 10), lease_files(runner)
        assert wait_until(lambda runner=runner: not keepers(runner.lease_dir), 30), 'keeper left running: %r' % keepers(runner.lease_dir)


def released_at(emu, instance='sbc1', resource='configuration'):
    """When the lock was last given back (released or expired), from the emulator's audit log."""
    events = [event for event in emu.audit(instance) if event['resource'] == resource and event['event'] in ('release', 'expire')]
    return events[-1]['ts'] if events else None


def record(row, seconds, **detail):
    """Keep one fault-matrix figure (how long the lock stayed held after the fault), one file per row."""
    MATRIX.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r'[^a-z0-9]+', '-', row.lower()).strip('-')[:80]
    (MATRIX / (slug + '.json')).write_text(json.dumps(dict(row=row, held_after_fault_s=round(seconds, 3), **detail)) + '\n')


def start_holding(runner, tmp_path, emu, env=None, **extra_vars):
    """Start a session that holds the lock until interrupted; return the process once its tasks run."""
    marker = tmp_path / 'started'
    process = runner.start(SESSION, extra_vars=dict({'work': 'hold', 'marker': str(marker), 'hold_seconds': 120}, **extra_vars), env=env)
    assert wait_until(marker.exists, 90), runner.finish(process, timeout=5)
    return process


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    """Three SBCs whose tokens live 60 s, for multi-host plays."""
    with start_emulator(tmp_path_factory.mktemp('fleet'), '--sbc-instances', '3', '--token-ttl', '60') as emu:
        yield emu


# --------------------------------------------------------------------------------------------- the job

def test_the_example_provisioning_runs_under_the_lock_and_gives_it_back(ansible, emulator):
    play = ansible.run(SESSION, extra_vars={'work_file': str(EXAMPLE_TASKS), 'realm': 'role-realm',
                                            'sbc_ca_path': emulator.ca_cert}, verbosity=3)
    assert play.returncode == 0, play
    events = emulator.audit('sbc1')
    assert [event['event'] for event in events] == ['grant', 'release']
    stats = emulator.stats('sbc1')['by_route']
    assert stats['POST /rest/{v}/configuration/configElements'] == 1
    assert stats['PUT /rest/{v}/configuration/management'] == 2 and stats['POST /rest/{v}/configuration/management'] == 1
    # one token for the whole session: the lock's own, handed to the tasks through the lease
    assert stats['POST /rest/{v}/auth/token'] == 1
    assert_no_secret(play.output, ['admin-secret-1'] + emulator.secrets()['tokens'])
    assert_clean(emulator, [ansible])
    # a re-run finds the realm and changes nothing; the role's own lock tasks report ok (a session
    # leaves the lock as it found it)
    again = ansible.run(SESSION, extra_vars={'work_file': str(EXAMPLE_TASKS), 'realm': 'role-realm', 'sbc_ca_path': emulator.ca_cert})
    assert again.returncode == 0 and 'changed=0' in again.stdout, again


def test_check_mode_takes_and_releases_nothing(ansible, emulator):
    play = ansible.run(SESSION, check=True)
    assert play.returncode == 0, play
    assert emulator.audit() == [] and emulator.stats('sbc1')['total'] == 0
    assert not lease_files(ansible) and not keepers(ansible.lease_dir)


def test_sdm_devices_are_held_for_the_tasks_and_given_back(ansible, emulator):
    play = ansible.run(SESSION, extra_vars={'target': 'sdm', 'device_ids': ['ID3', 'ID1'], 'work': 'token_check'})
    assert play.returncode == 0, play
    assert [(event['resource'], event['event']) for event in emulator.audit('sdm1')] == [
        ('device:ID1', 'grant'), ('device:ID3', 'grant'), ('device:ID1', 'release'), ('device:ID3', 'release')]
    assert_clean(emulator, [ansible])


def test_the_session_variable_is_gone_after_release(ansible, emulator, tmp_path):
    playbook = tmp_path / 'after.yml'
    playbook.write_text('''
- name: Use lock_session after the release
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Acquire
      ansible.builtin.include_role: {name: oracle_comms.provisioning.lock_session, tasks_from: acquire, public: true}
      vars: {lock_session_target: sbc}
    - name: The token works while the lock is held
      ansible.builtin.assert: {that: [lock_session_lock.expires_in > 0, lock_session_lock.token | length > 20]}
      no_log: true
    - name: Release
      ansible.builtin.include_role: {name: oracle_comms.provisioning.lock_session, tasks_from: release}
      vars: {lock_session_target: sbc}
    - name: Use it after the release
      ansible.builtin.debug: {msg: "{{ lock_session_lock.token }}"}
''')
    play = ansible.run(str(playbook))
    assert play.returncode != 0
    assert 'no lock is held by this run: it was released' in play.stdout, play
    assert 'session_lock' in play.stdout, play  # the lookup behind lock_session_lock says it failed
    assert_no_secret(play.output, emulator.secrets()['tokens'])
    assert_clean(emulator, [ansible])


# --------------------------------------------------------------------------------------------- fault matrix

def test_a_failing_task_still_releases_and_the_play_fails_with_its_error(ansible, emulator):
    play = ansible.run(SESSION, extra_vars={'work': 'fail'})
    assert play.returncode == 2, play
    assert 'provisioning step failed on purpose' in play.stdout
    assert 'WAS NOT GIVEN BACK' not in play.stdout
    events = emulator.audit('sbc1')
    assert [event['event'] for event in events] == ['grant', 'release']
    assert_clean(emulator, [ansible])
    # at most: the failing task is the only one under the lock, so grant to release bounds it
    record('a provisioning task fails', events[1]['ts'] - events[0]['ts'], how='always: (upper bound: grant to release)')


def test_release_answered_500_twice_then_204(ansible, emulator):
    emulator.arm_fault(instance='sbc1', method='POST', path='*/configuration/unlock', kind='status', status=500, count=2)
    play = ansible.run(SESSION)
    assert play.returncode == 0, play
    assert emulator.stats('sbc1')['by_route'][UNLOCK] == 3
    assert_clean(emulator, [ansible])


@pytest.mark.parametrize('count', [1, 4])
def test_connection_dropped_on_release(ansible, emulator, count):
    """Dropped once: the client's own retry. Four times: that retry runs out, and the role's retries win."""
    emulator.arm_fault(instance='sbc1', method='POST', path='*/configuration/unlock', kind='drop', count=count)
    play = ansible.run(SESSION)
    assert play.returncode == 0, play
    assert emulator.stats('sbc1')['by_route'][UNLOCK] == count + 1
    if count > 3:
        assert 'FAILED - RETRYING' in play.stdout, play
    assert_clean(emulator, [ansible])


def test_a_release_that_keeps_failing_is_loud_and_the_keeper_gives_the_lock_back(ansible, emulator):
    emulator.arm_fault(instance='sbc1', method='POST', path='*/configuration/unlock', kind='status', status=503, count=0)
    play = ansible.run(SESSION, extra_vars={'release_delay': 0.5})
    assert play.returncode == 2, play
    assert 'THE SBC LOCK WAS NOT GIVEN BACK after 4 attempts' in play.stdout, play
    # four attempts (the first and lock_session_release_retries=3 more) of four requests each (one try, three retries);
    # the keeper goes on once the run is over
    assert emulator.stats('sbc1')['by_route'][UNLOCK] >= 4 * 4
    assert 'run the release entry point of this role' in play.stdout
    assert emulator.sbc_lock_state()['held']
    ended = time.time()
    emulator.clear_faults()  # the SBC recovers: the keeper, which outlived the run, gives the lock back
    assert wait_until(lambda: not emulator.sbc_lock_state()['held'], 30)
    assert_clean(emulator, [ansible])
    record('release keeps failing (503) until the SBC recovers', released_at(emulator) - ended, how='keeper, after the run ended')


def test_a_session_longer_than_the_token_keeps_its_lock(tmp_path):
    """A 20 s token over a session of three token lifetimes: the keeper and the lease lookup re-authenticate in time."""
    with start_emulator(tmp_path / 'emu', '--token-ttl', '20') as emu:
        runner = PlaybookRunner(emu, tmp_path / 'controller')
        # the SBC does not say how long its tokens live: token_lifetime (here from the environment) does
        # loop_control's pause comes between rounds: 5 rounds are 4 pauses of 15 s, a minute of pauses alone
        extra_vars = {'work': 'long', 'rounds': 5, 'every': 15, 'example_tasks': str(EXAMPLE_TASKS)}
        play = runner.run(SESSION, extra_vars=extra_vars, env={'SBC_TOKEN_LIFETIME': '20'}, timeout=400)
        assert play.returncode == 0, play
        events = emu.audit('sbc1')
        kinds = [event['event'] for event in events]
        assert kinds[0] == 'grant' and kinds[-1] == 'release' and 'expire' not in kinds, kinds
        assert kinds.count('move') >= 2, kinds  # the lock followed the re-authenticated token
        assert events[-1]['ts'] - events[0]['ts'] >= 60
        assert_clean(emu, [runner])


@pytest.mark.parametrize('plays,accounts', [(2, 'two'), (2, 'shared'), (20, 'shared')])
def test_concurrent_plays_on_one_sbc_never_hold_it_together(emulator, tmp_path, plays, accounts):
    users = [('admin', 'admin-secret-1'), ('admin2', 'admin-secret-2')]
    runners = []
    for index in range(plays):
        user = users[index % 2] if accounts == 'two' else users[0]
        # two accounts: two controllers; one shared account: one controller (its lease record keeps them apart)
        workdir = tmp_path / ('controller%d' % index if accounts == 'two' else 'controller')
        runners.append(PlaybookRunner(emulator, workdir, sbc_user=user))
    # 20 plays take turns in about 140 s on 2 idle cores and 280 s under the whole suite: the last one waits
    # for all the others, so its deadline is far beyond either (a deadline, not a pause: it ends when the plays do)
    started = [runner.start(SESSION, extra_vars={'wait_seconds': 900, 'hold_seconds': 0}) for runner in runners]
    finished = [runner.finish(process, timeout=1000) for runner, process in zip(runners, started)]
    assert all(play.returncode == 0 for play in finished), [play for play in finished if play.returncode]
    kinds = [event['event'] for event in emulator.audit('sbc1')]
    assert kinds == ['grant', 'release'] * plays, kinds
    assert_clean(emulator, runners)


@pytest.mark.parametrize('how', ['SIGINT', 'SIGTERM', 'SIGKILL of the process group'])
def test_a_signal_mid_tasks_gives_the_lock_back_within_seconds(ansible, emulator, tmp_path, how):
    process = start_holding(ansible, tmp_path, emulator)
    assert emulator.sbc_lock_state()['held']
    [keeper] = keepers(ansible.lease_dir)
    # the password reached the keeper on a pipe: not in its command line, nor its environment
    for name in ('cmdline', 'environ'):
        with open('/proc/%d/%s' % (keeper, name), 'rb') as handle:
            assert b'admin-secret-1' not in handle.read(), name
    fault = time.time()
    if how.startswith('SIGKILL'):
        os.killpg(process.pid, signal.SIGKILL)
    else:
        process.send_signal(getattr(signal, how))
    presses = 1
    try:
        play = ansible.finish(process, timeout=30)
    except subprocess.TimeoutExpired:
        if how != 'SIGINT':
            raise
        # ansible-core can lose a Ctrl-C (docs/operator-guide.md, "What cannot be guaranteed"); its handler
        # has already put SIGINT back to the default, so a second one, as an operator would press, ends it
        fault, presses = time.time(), 2
        process.send_signal(signal.SIGINT)
        play = ansible.finish(process, timeout=60)
        assert lost_ctrl_c(play.stderr), 'the run ignored %s for 30 s: %r' % (how, play)
    assert play.returncode != 0
    assert wait_until(lambda: not emulator.sbc_lock_state()['held'], 10), 'lock still held 10 s after %s' % how
    held = released_at(emulator) - fault
    assert held <= 10
    assert_clean(emulator, [ansible])
    # nothing of the stopped run goes on working without the lock: its orphaned workers were stopped too
    assert wait_until(lambda: not run_processes(tmp_path), 30), run_processes(tmp_path)
    record(how + ' (ansible-playbook, SBC) mid-tasks', held, how='keeper', signals=presses)


def test_sigkill_mid_tasks_on_sdm_devices(ansible, emulator, tmp_path):
    process = start_holding(ansible, tmp_path, emulator, target='sdm', device_ids=['ID2', 'ID4'])
    assert emulator.sdm_locks('sdm1') == {'ID2': 'prov1', 'ID4': 'prov1'}
    fault = time.time()
    os.killpg(process.pid, signal.SIGKILL)
    ansible.finish(process, timeout=60)
    assert wait_until(lambda: emulator.sdm_locks('sdm1') == {}, 10)
    held = released_at(emulator, 'sdm1', 'device:ID4') - fault
    assert_clean(emulator, [ansible])
    record('SIGKILL of the process group mid-tasks (SDM, 2 devices)', held, how='keeper')


# ansible-runner starts ansible-playbook through pexpect's forkpty() from this multi-threaded test process
# (xdist's execnet threads); the child execs at once, so the deadlock Python warns about cannot happen.
@pytest.mark.filterwarnings('ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning')
def test_ansible_runner_cancel_mid_provisioning(emulator, tmp_path):
    ansible_runner = pytest.importorskip('ansible_runner')  # a pinned dev dependency: always there in CI
    runner = PlaybookRunner(emulator, tmp_path)
    marker = tmp_path / 'started'
    cancelled = {}
    (tmp_path / 'runner').mkdir()

    def cancel():
        if marker.exists() and 'at' not in cancelled:
            cancelled['at'] = time.time()
        return 'at' in cancelled

    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('localhost ansible_connection=local\n')
    result = ansible_runner.run(private_data_dir=str(tmp_path / 'runner'), playbook=str(PLAYBOOKS / SESSION), inventory=str(inventory),
                                envvars=runner.env(), quiet=True,
                                extravars={'work': 'hold', 'marker': str(marker), 'hold_seconds': 120}, cancel_callback=cancel)
    assert result.status == 'canceled', result.status
    assert wait_until(lambda: not emulator.sbc_lock_state()['held'], 10)
    held = released_at(emulator) - cancelled['at']
    assert_clean(emulator, [runner])
    assert wait_until(lambda: not run_processes(tmp_path), 30), run_processes(tmp_path)
    record("ansible-runner's cancel mid-provisioning", held, how='keeper')


def test_nothing_on_the_controller_survives_then_the_next_run_recovers_the_lock(ansible, emulator, tmp_path):
    """An AWX container torn down: the run and its keeper die together; the lease on a persistent path remains."""
    process = start_holding(ansible, tmp_path, emulator)
    [keeper] = keepers(ansible.lease_dir)
    fault = time.time()
    os.kill(keeper, signal.SIGKILL)
    os.killpg(process.pid, signal.SIGKILL)
    ansible.finish(process, timeout=60)
    time.sleep(1)
    assert emulator.sbc_lock_state()['held'] and len(lease_files(ansible)) == 1  # nobody left to give it back
    play = ansible.run(SESSION)
    assert play.returncode == 0, play
    warnings = ' '.join(play.stderr.split())  # ansible-core 2.18 wraps warnings at 79 columns
    assert 'adopted the configuration lock on %s left by ansible run pid %d' % (emulator.sbc_host(), process.pid) in warnings, play
    held = released_at(emulator) - fault
    assert [event['event'] for event in emulator.audit('sbc1')] == ['grant', 'release']
    assert_clean(emulator, [ansible])
    record('controller torn down (run and keeper killed), next run on the same lease path', held, how='next run adopts, then releases')


#: Long enough that a play on a loaded 2-core machine (a load average of 20) uses its token before it expires: with
#: 10 s, the next run's token expired between its lock and its check there; short enough to wait for an expiry.
EXPIRING_TOKEN_LIFE = 30


def test_without_the_lease_path_the_sbc_frees_the_lock_when_its_token_expires(tmp_path):
    with start_emulator(tmp_path / 'emu', '--token-ttl', str(EXPIRING_TOKEN_LIFE)) as emu:
        # the operator says how long this SBC's tokens live, so that the next run renews its own in time
        lifetime = {'SBC_TOKEN_LIFETIME': str(EXPIRING_TOKEN_LIFE)}
        runner = PlaybookRunner(emu, tmp_path / 'controller')
        process = start_holding(runner, tmp_path, emu, env=lifetime, hold_seconds=60)
        fault = time.time()
        for keeper in keepers(runner.lease_dir):
            os.kill(keeper, signal.SIGKILL)
        os.killpg(process.pid, signal.SIGKILL)
        runner.finish(process, timeout=60)
        for path in runner.lease_dir.iterdir():  # a fresh container: the lease record is gone with it
            path.unlink()
        assert wait_until(lambda: not emu.sbc_lock_state()['held'], EXPIRING_TOKEN_LIFE + 90)  # a deadline: the expiry
        assert [event['event'] for event in emu.audit('sbc1')][-1] == 'expire'
        held = released_at(emu) - fault
        again = runner.run(SESSION, extra_vars={'wait_seconds': 10}, env=lifetime)
        assert again.returncode == 0, again
        assert_clean(emu, [runner])
    record('controller torn down, lease path lost (SBC token lifetime %d s here, 600 s on a real SBC)' % EXPIRING_TOKEN_LIFE, held,
           how='the SBC, when the token expired')


def test_hosts_are_independent_and_an_unreachable_one_is_still_released(fleet, tmp_path):
    fleet.reset()
    runner = PlaybookRunner(fleet, tmp_path)
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('\n'.join([
        'good ansible_connection=local sbc_host=%s work=reach' % fleet.sbc_host('sbc1'),
        'failing ansible_connection=local sbc_host=%s work=fail' % fleet.sbc_host('sbc2'),
        'unreachable ansible_connection=unreachable sbc_host=%s work=reach hold_seconds=3' % fleet.sbc_host('sbc3'),
    ]) + '\n')
    fault = time.time()
    play = runner.run(SESSION, inventory=str(inventory), args=['--forks', '3'])
    assert play.returncode == 4, play  # unreachable (and failed) hosts
    assert 'provisioning step failed on purpose' in play.stdout and 'UNREACHABLE!' in play.stdout
    assert wait_until(lambda: not fleet.sbc_lock_state('sbc3')['held'], 10)
    # Ansible drops an unreachable host before always:, so its lock came back through the keeper when the run ended
    held = released_at(fleet, 'sbc3') - fault
    for instance in ('sbc1', 'sbc2', 'sbc3'):
        assert [event['event'] for event in fleet.audit(instance)] == ['grant', 'release'], instance
    assert_clean(fleet, [runner], instances=('sbc1', 'sbc2', 'sbc3'))
    record('an unreachable host among several (lock released at the end of the run)', held, how='keeper, when the run ended')


# --------------------------------------------------------------------------------------------- the role's words

@pytest.mark.parametrize('target', ['sbc', 'sdm'])
def test_the_release_entry_point_never_claims_a_lock_it_did_not_have(ansible, emulator, target):
    """Run when this run holds nothing and another user holds the lock: nothing of ours to give back, so the release is ok,
    says nothing of a lease or a keeper, sends no lock request, and the other user keeps the lock."""
    if target == 'sbc':
        emulator.control('POST', '/sbc/sbc1/lock', json={'kind': 'gui', 'user': 'webuser'})
        extra = {'target': 'sbc'}
    else:
        emulator.control('POST', '/sdm/sdm1/devices/ID1/lock', json={'user': 'prov2'})
        extra = {'target': 'sdm', 'device_ids': ['ID1']}
    play = ansible.run('lock_session/release_only.yml', extra_vars=extra, verbosity=1)
    assert play.returncode == 0, play
    assert 'NOT GIVEN BACK' not in play.output and 'lease record keeps' not in play.output, play
    routes = emulator.stats('sbc1' if target == 'sbc' else 'sdm1')['by_route']
    assert 'POST /rest/{v}/configuration/lock' not in routes, routes
    if target == 'sbc':
        assert emulator.sbc_lock_state()['holder']['user'] == 'webuser'
    else:
        assert emulator.sdm_locks('sdm1') == {'ID1': 'prov2'}
        assert [event for event in emulator.audit('sdm1') if event['holder'].get('user') == 'prov1'] == []
    assert not lease_files(ansible)
