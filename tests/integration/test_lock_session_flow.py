"""lock_session against every Ansible construct that changes which tasks run, when, or how often.

The promise under test: the lock is held while the session's tasks run and is given back when they end,
whatever happens; where Ansible gives the role no way to keep that promise, the role fails loudly rather than
silently holding the lock. Each test is a row of the table in docs/operator-guide.md ("Ansible's flow
control and the session").

The plays (tests/integration/playbooks/lock_session/flow/) print probes, ``PROBE <label> <host> <n>``, where
n is the number of events the emulator's audit log held when the task ran: replaying the log up to there
says who held which lock at that moment. A lock given back by the role shows as free at the probe after
the session; one the keeper gave back when the run ended shows in keeper.log ("the run ended holding").
Every test ends with no lock held, no lease and no keeper left.

Tests marked xfail(strict) are promises Ansible lets the role break today that were found here; the reason
says how. When the role keeps the promise, they pass, and the strict xfail makes that fail so that the
mark is taken away.
"""

import collections
import json
import os
import re
import select
import signal
import socket
import subprocess
import time

import pytest

from emulator_harness import start_emulator
from tests.collection_path import REPO_ROOT
from tests.integration.ansible_runner_util import PLAYBOOKS, Play, PlaybookRunner
from tests.integration.test_lock_session import assert_clean, keepers, lease_files, wait_until

FLOW = PLAYBOOKS / 'lock_session' / 'flow'
LOCK = 'POST /rest/{v}/configuration/lock'
UNLOCK = 'POST /rest/{v}/configuration/unlock'
SBCS = ('sbc1', 'sbc2')

Probe = collections.namedtuple('Probe', 'label host count rest')


# --------------------------------------------------------------------------------------------- the harness

@pytest.fixture(scope='module')
def emulators(tmp_path_factory):
    """Two SBCs and an SDM: a lock taken or given back on the wrong device shows in the other's audit log."""
    with start_emulator(tmp_path_factory.mktemp('flow'), '--sbc-instances', '2') as emu:
        yield emu


@pytest.fixture
def emu(emulators):
    emulators.reset()
    return emulators


@pytest.fixture
def runner(emu, tmp_path):
    return PlaybookRunner(emu, tmp_path)


class Flow:
    """One play's outcome: its output, its probes, the audit log and request counts, and the keeper's log."""

    def __init__(self, play, emu, runner):
        self.play = play
        self.events = emu.audit()
        self.stats = emu.stats()
        log = runner.lease_dir / 'keeper.log'
        self.keeper_log = log.read_text() if log.exists() else ''
        self.messages = []
        for line in play.stdout.splitlines():
            line = line.strip()
            if line.startswith('"msg": "'):
                self.messages.append(json.loads('{%s}' % line.rstrip(','))['msg'])
        self.probes = []
        for message in self.messages:
            match = re.match(r'PROBE (\S+) (\S+) (\d+)(.*)$', message)
            if match:
                self.probes.append(Probe(match.group(1), match.group(2), int(match.group(3)), match.group(4).strip()))

    @property
    def rc(self):
        return self.play.returncode

    def ran(self, label, host=None):
        return [probe for probe in self.probes if probe.label == label and host in (None, probe.host)]

    def probe(self, label, host=None):
        found = self.ran(label, host)
        assert len(found) == 1, 'probe %s of %s ran %d times: %r' % (label, host or 'any host', len(found), self)
        return found[0]

    def holder(self, count, instance='sbc1', resource='configuration'):
        """Who held the lock just after the first ``count`` audit events (None: free)."""
        holder = None
        for event in self.events[:count]:
            if event['instance'] == instance and event['resource'] == resource:
                holder = event['holder'] if event['event'] in ('grant', 'move') else None
        return holder

    def held(self, label, host=None, instance='sbc1', resource='configuration'):
        """Whether the lock was held when probe ``label`` (of ``host``) ran."""
        return self.holder(self.probe(label, host).count, instance, resource) is not None

    def kinds(self, instance='sbc1', resource='configuration'):
        return [event['event'] for event in self.events if event['instance'] == instance and event['resource'] == resource]

    def requests(self, instance, route):
        return self.stats[instance]['by_route'].get(route, 0)

    def message(self, prefix):
        found = [message for message in self.messages if message.startswith(prefix + ' ')]
        assert len(found) == 1, 'expected one %s message: %r' % (prefix, self)
        return json.loads(found[0][len(prefix) + 1:])

    @property
    def keeper_gave_back(self):
        """True when a keeper gave back a lock that the run still held when it ended (the role did not)."""
        return 'the run ended holding' in self.keeper_log

    def __repr__(self):
        events = ['%s %s %s %s' % (event['instance'], event['resource'], event['event'], event['holder']['user'])
                  for event in self.events]
        return 'Flow(\n  audit: %s\n  probes: %s\n  keeper.log: %s\n  %r)' % (
            events, ['%s %s @%d %s' % probe for probe in self.probes], self.keeper_log[-1500:], self.play)


def settle(runner):
    """Wait until the run's keepers have given back what they had to and are gone (never longer than 30 s)."""
    wait_until(lambda: not lease_files(runner) and not keepers(runner.lease_dir), 30)


#: the sockets that keep the "closed" ports of inventories bound (and refusing) until this test process ends
_CLOSED_PORTS = []


def inventory(runner, emu, text):
    """An inventory file from ``text``, where {sbc1}, {sbc2} and {closed} are an SBC's address and a closed port."""
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    closed = probe.getsockname()[1]
    # bound and never listening: SSH to it is refused at once, and no other test's server can take the port
    _CLOSED_PORTS.append(probe)
    path = runner.workdir / 'inventory.ini'
    runner.workdir.mkdir(parents=True, exist_ok=True)
    path.write_text(text.format(sbc1=emu.sbc_host('sbc1'), sbc2=emu.sbc_host('sbc2'), closed=closed))
    return str(path)


def run_bounded(runner, playbook, timeout=240, **kwargs):
    """Run a play; past ``timeout`` seconds kill its whole process group (a role that includes itself for ever,
    say) and return it with returncode None."""
    process = runner.start(playbook, **kwargs)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += b'\n(killed: still running after %d s)' % timeout
        process.returncode = None
    return Play(process.args, process.returncode, stdout.decode('utf-8', 'replace'), stderr.decode('utf-8', 'replace'))


def run_flow(runner, emu, playbook, hosts=None, timeout=240, **kwargs):
    """Run a flow playbook (``hosts``: inventory text for ``inventory``), let its keepers finish, return a Flow."""
    if hosts is not None:
        kwargs['inventory'] = inventory(runner, emu, hosts)
    play = run_bounded(runner, FLOW / playbook if isinstance(playbook, str) else playbook, timeout, **kwargs)
    settle(runner)
    return Flow(play, emu, runner)


def assert_kept(flow, inside=('inside',), host=None, instance='sbc1', grants=1):
    """The standard session: held at every probe inside, given back by the role before the next task."""
    for label in inside:
        assert flow.held(label, host, instance), 'not held at %s: %r' % (label, flow)
    if flow.ran('before', host):
        assert not flow.held('before', host, instance), flow
    assert not flow.held('after', host, instance), 'still held after the session: %r' % flow
    assert flow.kinds(instance).count('grant') == grants, flow
    assert not flow.keeper_gave_back, 'the keeper, not the role, gave the lock back: %r' % flow


PROMISE = 'promise broken today (found by this table): '


# --------------------------------------------------------------------------------------------- blocks, roles, includes

def test_block_rescue_always_in_the_wrapped_tasks(runner, emu):
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': 'block'})
    assert flow.rc == 0, flow
    assert_kept(flow, inside=('in-block', 'in-rescue', 'in-always', 'after-block'))
    assert flow.kinds() == ['grant', 'release'], flow
    assert_clean(emu, [runner], SBCS)


def test_the_session_inside_the_users_own_block(runner, emu):
    """A wrapped task fails: the role gives the lock back before the user's rescue and always run."""
    flow = run_flow(runner, emu, 'outer_block.yml')
    assert flow.rc == 0, flow  # rescued
    assert flow.held('inside'), flow
    assert not flow.held('user-rescue') and not flow.held('user-always'), flow
    assert flow.kinds() == ['grant', 'release'] and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('playbook', ['session.yml', 'import_role.yml', 'roles_keyword.yml'])
def test_include_role_import_role_and_the_roles_keyword(runner, emu, playbook):
    flow = run_flow(runner, emu, playbook, extra_vars={'work': 'probe'})
    assert flow.rc == 0, flow
    assert_kept(flow)
    assert flow.kinds() == ['grant', 'release'], flow
    assert_clean(emu, [runner], SBCS)


def test_include_tasks_and_import_tasks_in_the_wrapped_tasks_with_diff(runner, emu):
    """Both run under the lock; --diff (here) changes nothing for the session."""
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': 'include_import'}, diff=True)
    assert flow.rc == 0, flow
    assert_kept(flow, inside=('included', 'imported'))
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('user_work', ['probe', 'leave_role'])
def test_lock_session_called_from_a_user_role(runner, emu, user_work):
    """From a user's role: the lock is given back before the user's role goes on, also after meta end_role."""
    flow = run_flow(runner, emu, 'user_role.yml', extra_vars={'user_work': user_work})
    assert flow.rc == 0, flow
    assert not flow.held('user-before') and flow.held('inside'), flow
    assert not flow.held('user-after'), 'still held when the user role went on: %r' % flow
    assert_kept(flow)
    assert not flow.ran('past-meta'), flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- meta

@pytest.mark.parametrize('work', ['leave_role', 'include_leave_role'])
def test_meta_end_role_ends_only_the_wrapped_tasks(runner, emu, work):
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': work})
    assert flow.rc == 0, flow
    assert not flow.ran('past-meta') and not flow.ran('past-include'), flow
    # the role's release ran: given back before the play's next task, which ran
    assert_kept(flow)
    assert flow.kinds() == ['grant', 'release'], flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('work,meta,where', [
    ('leave_host', 'end_host', 'leave_host.yml'),
    ('leave_batch', 'end_batch', 'leave_batch.yml'),
    ('leave_play', 'end_play', 'leave_play.yml'),
    ('include_leave_host', 'end_host', 'leave_host.yml'),
    ('import_leave_play', 'end_play', 'leave_play.yml'),
])
def test_meta_that_would_end_the_play_under_the_lock_is_refused_before_the_lock(runner, emu, work, meta, where):
    """meta end_host / end_batch / end_play skip `always:`: the role refuses the file before it takes the lock."""
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': work})
    assert flow.rc != 0, flow
    assert flow.requests('sbc1', LOCK) == 0 and flow.events == [], 'the lock was asked for: %r' % flow
    assert not flow.ran('inside'), flow
    # one line says why: the meta and the file (the one that holds it, or the session's file that includes it)
    named = [line for line in flow.play.output.splitlines()
             if meta in line and (where in line or (work + '.yml') in line)]
    assert named, 'no line names %s and the file: %r' % (meta, flow)
    assert_clean(emu, [runner], SBCS)


def test_meta_end_host_in_a_file_named_by_a_template(runner, emu):
    """Not guaranteed: no look at the tasks file can know what a templated include name will be. The host
    ends under the lock, `always:` is skipped, the lock stays held while the run goes on (the next play
    here) and the keeper gives it back when the run ends."""
    hosts = '[sessions]\nlocalhost ansible_connection=local\n[others]\nnext ansible_connection=local\n'
    flow = run_flow(runner, emu, 'two_plays.yml', hosts=hosts, extra_vars={'work': 'templated_leave_host'})
    assert flow.held('inside') and not flow.ran('past-meta') and not flow.ran('after'), flow
    assert flow.held('next-play'), 'held until the run ended: %r' % flow
    assert flow.kinds() == ['grant', 'release'] and flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


def test_flush_handlers_and_a_handler_notified_in_the_session(runner, emu):
    """A handler flushed inside the session runs under the lock; one left to the end of the play runs after it."""
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': 'handlers'})
    assert flow.rc == 0, flow
    assert flow.held('handler-flushed'), flow
    assert not flow.held('handler-late'), flow
    assert_kept(flow)
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('flush', [True, False], ids=['flushed inside', 'at the end of the play'])
def test_a_handler_that_uses_the_lock(runner, emu, flush):
    """config_commit as a handler of a change under the lock: flushed inside the session it commits under the
    lock; run at the end of the play (after the release) it fails loudly with not_locked and sends nothing."""
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': 'commit_handler', 'flush': flush})
    assert flow.requests('sbc1', 'POST /rest/{v}/configuration/configElements') == 1, flow
    if flush:
        assert flow.rc == 0, flow
        assert flow.requests('sbc1', 'PUT /rest/{v}/configuration/management') >= 1, flow  # save, verify, activate
    else:
        assert flow.rc == 2 and 'no configuration lock of this run' in flow.play.stdout, flow
        assert flow.requests('sbc1', 'PUT /rest/{v}/configuration/management') == 0, flow
    assert_kept(flow)
    assert_clean(emu, [runner], SBCS)


def test_a_handler_that_runs_lock_session(runner, emu):
    """ansible-core refuses include_role in a handler, also through a file the handler includes: the run stops
    at once (rc 4) without the session's `always:`, and the keeper gives the lock back when it has ended."""
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': 'handler_lock_flushed'})
    assert flow.rc != 0, flow
    assert "Using 'ansible.builtin.include_role' as a handler is not supported" in flow.play.output, flow
    assert flow.kinds() == ['grant', 'release'], flow
    assert_clean(emu, [runner], SBCS)


def test_meta_clear_host_errors_under_the_lock(runner, emu):
    """One host fails under its lock, the other clears host errors: each lock is given back by its session."""
    hosts = ('h1 ansible_connection=local session_host={sbc1} fail_here=true\n'
             'h2 ansible_connection=local session_host={sbc2}\n')
    flow = run_flow(runner, emu, 'hosts.yml', hosts=hosts, extra_vars={'work': 'clear'})
    assert 'failed on purpose on h1' in flow.play.stdout, flow
    assert flow.held('inside', 'h1', 'sbc1') and flow.held('inside-late', 'h2', 'sbc2'), flow
    for host, instance in (('h1', 'sbc1'), ('h2', 'sbc2')):
        assert flow.kinds(instance) == ['grant', 'release'], flow
        if flow.ran('after', host):
            assert not flow.held('after', host, instance), flow
    assert not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('how', ['set_fact', 'refresh_inventory'])
def test_a_variable_of_the_session_changed_under_the_lock(runner, emu, how):
    """The release goes to the device the session's acquire took, whatever lock_session_host says by then (before: it went
    to the new device, "succeeded" there, and the lock taken stayed held until the keeper gave it back at the run's end)."""
    hosts = 'h1 ansible_connection=local session_host={sbc1}\n'
    new_inventory = runner.workdir / 'new-inventory.ini'
    new_inventory.parent.mkdir(parents=True, exist_ok=True)
    new_inventory.write_text('h1 ansible_connection=local session_host=%s\n' % emu.sbc_host('sbc2'))
    flow = run_flow(runner, emu, 'hosts.yml', hosts=hosts, extra_vars={
        'work': 'refresh', 'how': how, 'other_host': emu.sbc_host('sbc2'), 'new_inventory': str(new_inventory)})
    assert flow.probe('inside-late').rest == emu.sbc_host('sbc2'), 'the variable did not change: %r' % flow
    assert flow.rc == 0, flow
    assert_kept(flow, inside=('inside', 'inside-late'), host='h1')
    assert flow.kinds('sbc2') == [], flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- nesting

NESTED = {
    'same SBC': dict(outer={}, inner={'inner_target': 'sbc'}),
    'SBC in SDM': dict(outer={'target': 'sdm', 'device_ids': ['ID1']}, inner={'inner_target': 'sbc'}),
    'SDM in SBC': dict(outer={}, inner={'inner_target': 'sdm', 'inner_device_ids': ['ID2']}),
    'SBC2 in SBC1': dict(outer={}, inner={'inner_target': 'sbc', 'inner_host': 'sbc2'}),
}


@pytest.mark.parametrize('case', list(NESTED))
def test_a_session_nested_in_a_session(runner, emu, case):
    """The inner session's tasks file includes the role again. Same SBC: the inner reuses the outer's lock and
    leaves it to the outer. Different locks: each is given back by its own session. Either way the outer's
    lock_session_lock describes the outer session again once the inner one has ended."""
    extra_vars = dict(NESTED[case]['outer'], work='nest', **NESTED[case]['inner'])
    if extra_vars.get('inner_host'):
        extra_vars['inner_host'] = emu.sbc_host(extra_vars['inner_host'])
    flow = run_flow(runner, emu, 'session.yml', extra_vars=extra_vars)
    outer = ('sdm1', 'device:ID1') if case == 'SBC in SDM' else ('sbc1', 'configuration')
    inner = {'same SBC': ('sbc1', 'configuration'), 'SBC in SDM': ('sbc1', 'configuration'),
             'SDM in SBC': ('sdm1', 'device:ID2'), 'SBC2 in SBC1': ('sbc2', 'configuration')}[case]
    assert flow.held('inner', None, *inner) and flow.held('inner', None, *outer), flow
    assert flow.held('outer-after', None, *outer), 'the outer lock was given back with the inner session: %r' % flow
    if inner != outer:
        assert not flow.held('outer-after', None, *inner), 'the inner lock outlived its session: %r' % flow
    assert not flow.held('after', None, *outer) and not flow.held('after', None, *inner), flow
    # one grant per lock: the inner session on the same SBC takes nothing more
    assert flow.kinds(*outer) == ['grant', 'release'] and flow.kinds(*inner) == ['grant', 'release'], flow
    lock = flow.message('LOCKVAR')
    if outer[0] == 'sdm1':
        assert lock['target'] == 'sdm' and lock['device_ids'] == ['ID1'], lock
    else:
        assert lock['target'] == 'sbc' and emu.sbc_host('sbc1') in lock['base_url'], lock
    assert flow.rc == 0, flow  # the outer's token check after the inner session passed too
    assert not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- selecting tasks

# (playbook, arguments, the wrapped tasks that must run: chosen by their own tags, as the role says; None: any)
TAGS = [
    ('tags_include.yml', [], ['w-prov', 'w-untagged', 'w-always']),
    ('tags_include.yml', ['--tags', 'prov'], ['w-prov', 'w-always']),
    ('tags_include.yml', ['--skip-tags', 'prov'], []),
    ('tags_include.yml', ['--tags', 'special'], []),
    ('tags_include.yml', ['--skip-tags', 'always'], None),
    # import_role: every task of the role, the include of the wrapped tasks too, inherits the tag (Ansible's rule)
    ('tags_import.yml', ['--tags', 'prov'], ['w-prov', 'w-untagged', 'w-never', 'w-always']),
]
WRAPPED_TAGGED = ('w-prov', 'w-untagged', 'w-never', 'w-always')


@pytest.mark.parametrize('playbook,args,chosen', TAGS,
                         ids=['%s %s' % (playbook[5:-4], ' '.join(args) or 'no tags') for playbook, args, _chosen in TAGS])
def test_tags(runner, emu, playbook, args, chosen):
    """Session included or imported with tags: [prov], its wrapped tasks tagged prov, never+special, always or
    nothing. Whatever --tags / --skip-tags select, every wrapped task that runs runs under the lock, a lock
    taken is given back by the role, and the wrapped tasks that run are those their own tags choose (a task
    tagged never does not run unless asked for)."""
    flow = run_flow(runner, emu, playbook, args=args)
    assert flow.rc == 0, flow
    ran = [label for label in WRAPPED_TAGGED if flow.ran(label)]
    for label in ran:
        assert flow.held(label), 'ran without the lock: %s: %r' % (label, flow)
    if ran:
        assert flow.kinds() == ['grant', 'release'], flow
    assert not flow.keeper_gave_back and (not flow.ran('after') or not flow.held('after')), flow
    assert_clean(emu, [runner], SBCS)
    if chosen is not None:
        assert ran == chosen, 'the wrapped tasks that ran are not those their tags choose: %s, not %s: %r' % (ran, chosen, flow)


@pytest.mark.parametrize('task', ['Probe included', 'Provisioning tasks*', 'SBC configuration lock: give back'])
def test_start_at_task(runner, emu, task):
    """--start-at-task cannot start inside the wrapped tasks (a dynamic include); it can start at a task of an
    imported session's own, past its acquire: then the wrapped tasks must not run without the lock."""
    flow = run_flow(runner, emu, 'start_at.yml', args=['--start-at-task', task])
    for label in ('included', 'imported'):
        for probe in flow.ran(label):
            assert flow.holder(probe.count) is not None, 'ran without the lock: %s: %r' % (label, flow)
    if task.startswith('Probe'):
        assert 'No matching task' in flow.play.output and flow.events == [], flow
    assert flow.kinds().count('grant') == flow.kinds().count('release') and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


def run_stepping(runner, playbook, answer, extra_vars=None, timeout=180):
    """``ansible-playbook --step``, answering each "Perform task" prompt on stdin with ``answer(task)``."""
    command = runner.command(FLOW / playbook, extra_vars=extra_vars, args=['--step'])
    process = subprocess.Popen(command, cwd=str(REPO_ROOT), env=runner.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    prompt = re.compile(rb'Perform task: (.*?) \(N\)o/\(y\)es/\(c\)ontinue: $')
    output, answered = b'', []
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, 'the play did not end within %d s: %r' % (timeout, output.decode('utf-8', 'replace')[-3000:])
            if not select.select([process.stdout], [], [], min(remaining, 1.0))[0]:
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            output += chunk
            # a prompt is what the output ends with while ansible-playbook waits for the answer; the banner after the
            # answer repeats its words but goes on with stars, in the same write
            match = prompt.search(output)
            if match:
                task = match.group(1).decode('utf-8', 'replace')
                reply = answer(task)
                answered.append((task, reply))
                output += b'\n'
                process.stdin.write(reply.encode() + b'\n')
                process.stdin.flush()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return Play(command, process.returncode, output.decode('utf-8', 'replace'), ''), answered


STEP = {
    'yes to all': lambda task: 'y',
    'no to the lock': lambda task: 'n' if 'lock: take' in task else 'y',
    'no to the give back': lambda task: 'n' if 'lock: give back' in task else 'y',
}


@pytest.mark.parametrize('answers', list(STEP))
def test_step(runner, emu, answers):
    """--step, driven on stdin. A wrapped task runs only under the lock (no to the lock: the session's tasks
    do not run); an operator who says no to the give back keeps the lock to the end of the run, when the
    keeper gives it back."""
    play, answered = run_stepping(runner, 'session.yml', STEP[answers], extra_vars={'work': 'probe'})
    settle(runner)
    flow = Flow(play, emu, runner)
    assert any(reply == 'n' for _task, reply in answered) == (answers != 'yes to all'), answered
    for probe in flow.ran('inside'):
        assert flow.holder(probe.count) is not None, 'ran without the lock: %r' % flow
    if answers == 'yes to all':
        assert flow.rc == 0, flow
        assert_kept(flow)
    elif answers == 'no to the lock':
        assert flow.events == [] and flow.requests('sbc1', LOCK) == 0, flow
    else:
        assert flow.rc == 0 and flow.held('after'), flow
        assert flow.kinds() == ['grant', 'release'] and flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


WHEN_DROPS_THE_RELEASE = pytest.mark.xfail(strict=True, reason=PROMISE + (
    "a `when` inherited by the role's tasks (import_role, include_role's apply) is evaluated again at the release; wrapped "
    'tasks that make it false (a set_fact: the usual idempotency pattern) skip the release, silently: the lock stays held '
    'until the run ends, when the keeper gives it back'))


@pytest.mark.parametrize('form', ['include', 'include, condition false', pytest.param('import', marks=WHEN_DROPS_THE_RELEASE),
                                  pytest.param('apply', marks=WHEN_DROPS_THE_RELEASE)])
def test_when_on_the_session(runner, emu, form):
    """`when` on the session, which its wrapped tasks make false (provisioned: true). On include_role it is
    evaluated once; on import_role and through include_role's `apply` every task of the role inherits it."""
    extra_vars = {'form': form.split(',')[0]}
    if form.endswith('false'):
        extra_vars['provisioned'] = True
    flow = run_flow(runner, emu, 'when.yml', extra_vars=extra_vars)
    assert flow.rc == 0, flow
    if form.endswith('false'):
        assert flow.events == [] and not flow.ran('inside'), flow
    else:
        assert_kept(flow)
    assert_clean(emu, [runner], SBCS)


def test_a_loop_over_the_include(runner, emu):
    """One session per item, one after the other: each lock is given back before the next is taken."""
    flow = run_flow(runner, emu, 'loop.yml')
    assert flow.rc == 0, flow
    assert flow.held('first') and flow.held('second'), flow
    assert flow.kinds() == ['grant', 'release', 'grant', 'release'], flow
    assert flow.probe('first').count == 1 and flow.probe('second').count == 3, flow  # each inside its own session
    assert not flow.held('after') and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- hosts and strategies

TWO_SBCS = 'h1 ansible_connection=local session_host={sbc1}\nh2 ansible_connection=local session_host={sbc2}\n'
ONE_SBC = 'h1 ansible_connection=local session_host={sbc1}\nh2 ansible_connection=local session_host={sbc1}\n'


@pytest.mark.parametrize('on_include', [False, True], ids=['on a wrapped task', 'on the include'])
def test_run_once(runner, emu, on_include):
    """On the include, the session runs for the first host only; on a wrapped task, once, under every host's lock."""
    flow = run_flow(runner, emu, 'once.yml', hosts=TWO_SBCS, extra_vars={'once_on_include': on_include})
    assert flow.rc == 0, flow
    assert len(flow.ran('once')) == 1 and flow.held('once', None, 'sbc1'), flow
    assert_kept(flow, host='h1', instance='sbc1')
    if on_include:
        assert not flow.ran('inside', 'h2') and flow.kinds('sbc2') == [], flow
    else:
        assert flow.held('once', None, 'sbc2'), flow
        assert_kept(flow, host='h2', instance='sbc2')
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('on_include', [False, True], ids=['on wrapped tasks', "on every task of the role (apply)"])
def test_delegate_to(runner, emu, on_include):
    """Delegated to another inventory host (local connection), the tasks use the session's token (the play
    fails if it is not valid) under the lock of the host they run for. include_role itself takes no
    delegate_to (ansible-core refuses the play); its `apply` delegates every task of the role."""
    flow = run_flow(runner, emu, 'delegate.yml', hosts=TWO_SBCS, extra_vars={'delegate_host': 'h2', 'on_include': on_include})
    assert flow.rc == 0, flow
    assert_kept(flow, inside=('inside',) if on_include else ('delegated',), host='h1')
    assert flow.kinds('sbc2') == [], flow
    assert_clean(emu, [runner], SBCS)


def test_throttle(runner, emu):
    """throttle 1 on every task of the role (apply; include_role takes no throttle) and on a wrapped task, two
    hosts on one SBC: they share the lock, given back by the last one."""
    flow = run_flow(runner, emu, 'throttle.yml', hosts=ONE_SBC)
    assert flow.rc == 0, flow
    for host in ('h1', 'h2'):
        assert flow.held('inside', host) and not flow.held('after', host), flow
    assert flow.kinds() == ['grant', 'release'] and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


def test_serial(runner, emu):
    """serial: 1, two hosts on one SBC: one session per batch, each given back before the next batch."""
    flow = run_flow(runner, emu, 'hosts.yml', hosts=ONE_SBC, extra_vars={'play_serial': 1, 'work': 'pair'})
    assert flow.rc == 0, flow
    for host in ('h1', 'h2'):
        assert_kept(flow, inside=('inside', 'inside-late'), host=host, grants=2)
    assert flow.probe('after', 'h1').count < flow.probe('inside', 'h2').count, flow
    assert flow.kinds() == ['grant', 'release'] * 2, flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('strategy', ['linear', 'free', 'host_pinned'])
def test_strategy(runner, emu, tmp_path, strategy):
    """Two hosts on one SBC share its lock. With free and host_pinned, h1 ends its session while h2 is still
    in its own (h2 waits for h1's gate file): the lock stays held for h2 and is given back after h2's session."""
    waits = strategy != 'linear'
    hosts = ('h1 ansible_connection=local session_host={sbc1} open_gate=true\n'
             'h2 ansible_connection=local session_host={sbc1} wait_here=%s\n' % waits)
    flow = run_flow(runner, emu, 'hosts.yml', hosts=hosts, env={'ANSIBLE_STRATEGY': strategy},
                    extra_vars={'work': 'pair', 'gate': str(tmp_path / 'gate')})
    assert flow.rc == 0, flow
    for host in ('h1', 'h2'):
        assert flow.held('inside', host) and flow.held('inside-late', host), flow
    if waits:
        assert flow.probe('after', 'h1').count <= flow.probe('inside-late', 'h2').count, flow
        assert flow.held('after', 'h1'), 'h2 was still in its session: %r' % flow
    assert not flow.held('after', 'h2'), flow
    assert flow.kinds() == ['grant', 'release'] and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('keyword', ['play_any_errors_fatal', 'play_max_fail_percentage'])
def test_any_errors_fatal_and_max_fail_percentage(runner, emu, keyword):
    """h1 fails under its lock; h2 (another SBC) is in its session too. Each session's `always:` gives its lock
    back: any_errors_fatal ends h2's wrapped tasks, max_fail_percentage (0) the run after the batch."""
    hosts = ('h1 ansible_connection=local session_host={sbc1} fail_here=true\n'
             'h2 ansible_connection=local session_host={sbc2}\n')
    value = True if keyword == 'play_any_errors_fatal' else 0
    flow = run_flow(runner, emu, 'hosts.yml', hosts=hosts, extra_vars={keyword: value, 'work': 'pair'})
    assert flow.rc == 2 and 'failed on purpose on h1' in flow.play.stdout, flow
    assert flow.held('inside', 'h1', 'sbc1') and flow.held('inside', 'h2', 'sbc2'), flow
    for instance in ('sbc1', 'sbc2'):
        assert flow.kinds(instance) == ['grant', 'release'], flow
    assert not flow.keeper_gave_back, 'a lock was left to the keeper: %r' % flow
    assert_clean(emu, [runner], SBCS)


def test_limit(runner, emu):
    flow = run_flow(runner, emu, 'hosts.yml', hosts=TWO_SBCS, extra_vars={'work': 'probe'}, args=['--limit', 'h2'])
    assert flow.rc == 0, flow
    assert_kept(flow, host='h2', instance='sbc2')
    assert flow.stats['sbc1']['total'] == 0 and not flow.ran('inside', 'h1'), flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- failures and their handling

def test_loop_until_timeout_and_ignore_errors_on_wrapped_tasks(runner, emu):
    flow = run_flow(runner, emu, 'session.yml', extra_vars={'work': 'keywords'})
    assert flow.rc == 0, flow
    # ansible-core words a task's timeout otherwise on 2.18 ("... in the expected time frame (1) and was terminated")
    timed_out = 'Timed out after 1 second' in flow.play.stdout or 'expected time frame (1)' in flow.play.stdout
    assert timed_out and 'failed on purpose, ignored' in flow.play.stdout, flow
    assert_kept(flow, inside=('looped-1', 'looped-2', 'inside-late'))
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('form', ['include', 'import'])
def test_ignore_errors_on_the_session(runner, emu, form):
    """On include_role it covers the include only (the wrapped task's failure fails the host); on import_role
    every task of the role inherits it. Either way the role gives the lock back."""
    flow = run_flow(runner, emu, 'ignore_errors.yml', extra_vars={'form': form, 'work': 'fail'})
    assert 'provisioning step failed on purpose' in flow.play.stdout, flow
    assert flow.rc == (2 if form == 'include' else 0), flow
    assert flow.held('inside') and flow.kinds() == ['grant', 'release'] and not flow.keeper_gave_back, flow
    if form == 'import':
        assert not flow.held('after'), flow
    assert_clean(emu, [runner], SBCS)


def test_ignore_errors_on_an_imported_session_does_not_silence_a_failed_release(runner, emu):
    """ignore_errors on import_role reaches every task of the role, but the release and its report set ignore_errors: false:
    a failed release stays loud (before: "...ignoring", no report, rc 0)."""
    emu.arm_fault(instance='sbc1', method='POST', path='*/configuration/unlock', kind='status', status=503, count=0)
    try:
        play = run_bounded(runner, FLOW / 'ignore_errors.yml', extra_vars={'form': 'import', 'work': 'probe'})
    finally:
        emu.clear_faults()  # the SBC recovers: the keeper gives the lock back once the run has ended
    settle(runner)
    flow = Flow(play, emu, runner)
    assert flow.requests('sbc1', UNLOCK) >= 2, flow
    assert flow.rc != 0 and 'THE SBC LOCK WAS NOT GIVEN BACK' in flow.play.stdout, 'a release that failed went unsaid: %r' % flow
    assert_clean(emu, [runner], SBCS)


UNREACHABLE = ('[sessions]\n'
               'dead ansible_host=127.0.0.1 ansible_port={closed} ansible_connection=local session_host={sbc1}\n'
               'localhost ansible_connection=local session_host={sbc2}\n'
               '[others]\nlocalhost\n')


@pytest.mark.parametrize('case', ['ssh task', 'ssh task, ignore_unreachable', 'delegated to the host'])
def test_an_unreachable_host_under_the_lock(runner, emu, case):
    """A task under the lock needs the host over SSH, at a closed port. ignore_unreachable: the session goes
    on and the role gives the lock back. Otherwise (not guaranteed, ansible-core's doing): Ansible drops the
    host before `always:`, its lock stays held while the run goes on (the next plays), the keeper gives it
    back when the run ends; the other hosts' sessions are not affected."""
    extra_vars = {'work': 'unreachable', 'dead_host': 'dead', 'unreachable_ignored': case.endswith('ignore_unreachable')}
    hosts = UNREACHABLE
    if case.startswith('delegated'):
        extra_vars.update(work='delegated_unreachable', delegating_host='localhost')
        hosts = ('[sessions]\nlocalhost ansible_connection=local session_host={sbc1}\n'
                 'other ansible_connection=local session_host={sbc2}\n[others]\nother\n'
                 '[remote]\ndead ansible_host=127.0.0.1 ansible_port={closed} ansible_connection=ssh\n')
    flow = run_flow(runner, emu, 'two_plays.yml', hosts=hosts, extra_vars=extra_vars,
                    env={'ANSIBLE_HOST_KEY_CHECKING': 'false'})
    assert 'UNREACHABLE!' in flow.play.stdout and 'Connection refused' in flow.play.stdout, flow
    session = 'localhost' if case.startswith('delegated') else 'dead'
    healthy = 'other' if case.startswith('delegated') else 'localhost'
    assert flow.held('inside', session, 'sbc1'), flow
    # the other host's session: given back by its role
    assert flow.held('inside', healthy, 'sbc2') and not flow.held('after', healthy, 'sbc2'), flow
    if case.endswith('ignore_unreachable'):
        assert flow.rc == 0, flow
        assert flow.held('inside-late', session, 'sbc1') and not flow.held('after', session, 'sbc1'), flow
        assert not flow.keeper_gave_back, flow
    else:
        assert flow.rc == 4 and not flow.ran('after', session), flow
        assert flow.held('next-play', None, 'sbc1'), 'the dropped host\'s lock was given back before the run ended: %r' % flow
        assert flow.keeper_gave_back, flow
    for instance in SBCS:
        assert flow.kinds(instance) == ['grant', 'release'], flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('poll', [1, pytest.param(0, marks=pytest.mark.xfail(strict=True, reason=PROMISE + (
    'an async task with poll: 0 is still running when the session ends: the role gives the lock back under it, silently '
    '(it cannot see the job; it could refuse poll: 0 in the tasks file before the lock, as it refuses meta end_host)')))])
def test_async_task_under_the_lock(runner, emu, tmp_path, poll):
    """poll > 0: the job ends under the lock. poll: 0: the job (waiting for a gate file the play creates after
    the session) outlives the session; the lock must then be held until it ends, or the role refuse it."""
    flow = run_flow(runner, emu, 'async.yml', extra_vars={'async_poll': poll, 'gate': str(tmp_path / 'gate')})
    assert flow.rc == 0, flow
    assert flow.held('inside') and flow.held('inside-late'), flow
    after = flow.probe('after')
    if poll:
        assert after.rest == 'JOB finished', flow
    # a lock given back while the job it covered still ran is the broken promise
    assert not (after.rest == 'JOB running' and flow.holder(after.count) is None), 'the job ran on without the lock: %r' % flow
    assert flow.kinds() == ['grant', 'release'] and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- check, diff, plays

def test_check_mode(runner, emu):
    """--check: nothing is taken; the wrapped tasks see check_mode true, and the lease lookup of a bare
    config_lock task's lease_file answers (the pattern of the module's examples) without an error."""
    flow = run_flow(runner, emu, 'check.yml', extra_vars={'work': 'check'}, check=True)
    assert flow.rc == 0, flow
    assert flow.message('LOCKVAR') == {'target': 'sbc', 'check_mode': True}, flow
    assert [message for message in flow.messages if message.startswith('LEASEVIEW ')], flow
    assert flow.events == [] and flow.requests('sbc1', LOCK) == 0 and flow.requests('sbc1', UNLOCK) == 0, flow
    assert_clean(emu, [runner], SBCS)


def test_check_mode_with_a_task_forced_to_run(runner, emu):
    """--check with check_mode: false on a wrapped config_element: there is no lock in check mode, and the
    module refuses loudly (not_locked) rather than change the SBC."""
    flow = run_flow(runner, emu, 'check.yml', extra_vars={'work': 'check_forced'}, check=True)
    assert flow.rc == 2 and 'no configuration lock of this run' in flow.play.stdout, flow
    assert flow.requests('sbc1', 'POST /rest/{v}/configuration/configElements') == 0 and flow.events == [], flow
    assert_clean(emu, [runner], SBCS)


def test_end_play_in_another_play(runner, emu):
    """A session in the first play; the second ends itself with meta end_play; the third still runs."""
    hosts = '[sessions]\nlocalhost ansible_connection=local\n[others]\nnext ansible_connection=local\n'
    flow = run_flow(runner, emu, 'two_plays.yml', hosts=hosts, extra_vars={'work': 'probe'})
    assert flow.rc == 0, flow
    assert_kept(flow)
    assert not flow.ran('past-end-play') and not flow.held('next-play'), flow
    assert_clean(emu, [runner], SBCS)


# --------------------------------------------------------------------------------------------- the tasks file and the token

RELATIVE_PLAY = '''
- name: Sessions named by relative tasks file names
  hosts: all
  gather_facts: false
  vars_files: [vars.yml]
  tasks:
    - name: One session per name
      ansible.builtin.include_role:
        name: oracle_comms.provisioning.lock_session
      vars:
        lock_session_target: sbc
        lock_session_tasks: "{{ tasks_name }}"
      loop: "{{ names }}"
      loop_control:
        loop_var: tasks_name

    - name: Probe after
      ansible.builtin.debug:
        msg: "PROBE after {{ inventory_hostname }} {{ audit_count }}"
'''
USER_FILES = ['acquire.yml', 'release.yml', 'main.yml', 'session.yml', 'sub/probe.yml']


def relative_play(tmp_path):
    """A playbook in its own directory beside user tasks files named like the role's own."""
    directory = tmp_path / 'play'
    (directory / 'sub').mkdir(parents=True)
    (directory / 'vars.yml').write_text((FLOW / 'vars.yml').read_text())
    (directory / 'relative.yml').write_text(RELATIVE_PLAY)
    for name in USER_FILES:
        label = 'user-' + name.replace('/', '-')[:-4]
        (directory / name).write_text('- name: Probe %s\n  ansible.builtin.debug:\n    msg: "PROBE %s {{ inventory_hostname }} '
                                      '{{ audit_count }}"\n' % (label, label))
    return directory / 'relative.yml'


def test_relative_tasks_file_names_are_the_playbooks(runner, emu, tmp_path):
    """A relative lock_session_tasks is looked up beside the playbook (playbook_dir), also when it is named like
    one of the role's own files."""
    # a name resolved to the role's own main.yml would include the role in itself for ever: bounded
    flow = run_flow(runner, emu, relative_play(tmp_path), timeout=90, extra_vars={'names': USER_FILES})
    assert flow.rc == 0, flow
    for name in USER_FILES:
        label = 'user-' + name.replace('/', '-')[:-4]
        assert flow.ran(label), 'the user file %s did not run (the role\'s own did?): %r' % (name, flow)
        assert flow.held(label), flow
    assert flow.kinds() == ['grant', 'release'] * len(USER_FILES) and not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


def test_a_tasks_file_that_does_not_exist_fails_before_the_lock(runner, emu, tmp_path):
    flow = run_flow(runner, emu, relative_play(tmp_path), extra_vars={'names': ['missing.yml']})
    assert flow.rc != 0 and 'missing.yml' in flow.play.output, flow
    assert flow.events == [] and flow.requests('sbc1', LOCK) == 0, 'the lock was asked for: %r' % flow
    assert_clean(emu, [runner], SBCS)


def test_without_a_keeper_a_session_longer_than_half_the_token_gets_a_fresh_one(tmp_path):
    """lock_session_release_on_exit false (nothing gives the lock back if the run is killed): past half the
    token's life the session still hands out a fresh token, and the lock follows it past the first token's
    life (no expire in the audit log)."""
    # A token is handed out with at least half its life left; the uri task then starts a module, which on a loaded
    # 2-core machine (the core-2.18 run, four workers) has taken more than 4 s: a 16 s life leaves it 8.
    life = 16
    with start_emulator(tmp_path / 'emu', '--token-ttl', str(life)) as emu:
        runner = PlaybookRunner(emu, tmp_path / 'controller', release_on_exit=False)
        play = run_bounded(runner, FLOW / 'session.yml', extra_vars={'work': 'token_rounds', 'token_life': life},
                           env={'SBC_TOKEN_LIFETIME': str(life)})
        flow = Flow(play, emu, runner)
        fresh = [message for message in flow.messages if message.startswith('TOKEN ')]
        # the waits are half the life + 2 s: a stale token has at most 2 s left (int: 1), a fresh one at least half
        assert fresh and int(fresh[0].split()[1]) >= life / 2 - 1, 'the token handed out past half its life: %r' % flow
        assert flow.rc == 0, flow
        kinds = flow.kinds()
        assert kinds[0] == 'grant' and kinds[-1] == 'release' and 'expire' not in kinds and 'move' in kinds, flow
        assert flow.held('inside-late') and not flow.held('after'), flow
        assert_clean(emu, [runner])
