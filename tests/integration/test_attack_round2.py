"""Round-2 attacks on the lock_session role and the lock modules, as real plays against the emulator.

Each test is a minimal reproducer: it fails while the promise in its docstring is broken. The plays live in
tests/integration/playbooks/attack2/ and reuse the probe of the flow plays (``PROBE <label> <host> <n>``).
"""

import pytest

from tests.integration.ansible_runner_util import PLAYBOOKS
from tests.integration.test_lock_session import assert_clean, lease_files
# the fixtures emu, emulators and runner are used by name, as pytest passes them
from tests.integration.test_lock_session_flow import (  # noqa: F401  # pylint: disable=unused-import
    LOCK, SBCS, TWO_SBCS, Flow, emu, emulators, run_bounded, run_flow, runner, settle)

ATTACK2 = PLAYBOOKS / 'attack2'


@pytest.mark.parametrize('where', ['include', 'apply'])
def test_run_once_inner_session_inside_per_host_sessions(runner, emu, where):
    """Promise: each host's lock is given back by its own session when its tasks end (by the role, not the keeper).
    Two hosts hold sbc1 and sbc2 in outer sessions; an inner session with run_once on the include (SDM) runs for h1."""
    flow = run_flow(runner, emu, ATTACK2 / 'once_nested.yml', hosts=TWO_SBCS, extra_vars={'once_where': where})
    assert flow.rc == 0, flow
    assert flow.ran('inner'), flow
    for host, instance in (('h1', 'sbc1'), ('h2', 'sbc2')):
        assert flow.held('outer-after', host, instance), flow
        assert not flow.held('after', host, instance), 'still held after the session: %r' % flow
        assert flow.kinds(instance) == ['grant', 'release'], flow
    assert not flow.keeper_gave_back, 'the keeper, not the role, gave a lock back: %r' % flow
    assert_clean(emu, [runner], SBCS)


PROBE = '- name: Probe inside\n  ansible.builtin.debug:\n    msg: "PROBE inside {{ inventory_hostname }} {{ audit_count }}"\n'
BROKEN = {'unloadable': '---\n' + PROBE + '  ansible.builtin.command: echo two actions in one task\n',
          'yaml_error': '---\n' + PROBE + '  - name: a list item where a key belongs\n'}


@pytest.mark.parametrize('work', [
    pytest.param('unloadable', marks=pytest.mark.xfail(strict=True, reason=(
        'not guaranteed (operator guide): a task Ansible cannot load (two actions) is found only when Ansible includes the '
        'file, after the lock; Ansible then stops the run, skipping always:, and the keeper gives the lock back at its end'))),
    'yaml_error'])
def test_a_tasks_file_ansible_cannot_load_fails_before_the_lock(runner, emu, work):
    """Promise: where Ansible gives the role no hook, the role fails loudly at the earliest point (before the lock), and
    the lock is never left to the keeper. A tasks file with two actions in one task, or a YAML error: ansible-core aborts
    the run (rc 4) when it includes the file, skipping the role's always:, with sbc1 taken."""
    # written here, not kept in the tree: the ecosystem checks (yamllint, ansible-lint) would refuse the files themselves
    broken = runner.workdir / ('%s.yml' % work)
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text(BROKEN[work])
    flow = run_flow(runner, emu, ATTACK2 / 'session.yml', extra_vars={'work': work, 'work_file': str(broken)})
    assert flow.rc != 0, flow
    assert flow.requests('sbc1', LOCK) == 0 or not flow.keeper_gave_back, \
        'the lock was taken for a file Ansible cannot load, and left to the keeper: %r' % flow
    assert_clean(emu, [runner], SBCS)


@pytest.mark.parametrize('work', ['meta_raw_params', 'meta_args', 'include_kv', 'include_raw_params', 'import_args'])
def test_meta_end_host_spellings_the_check_misses(runner, emu, work):
    """Promise: a tasks file that uses meta end_host, or includes/imports by a literal name a file that does, is refused
    before the lock is asked for. Spellings ansible-core runs but the check does not read: ``meta: {_raw_params: end_host}``,
    ``meta:`` with ``args: {_raw_params: end_host}``, ``include_tasks: file=ending.yml`` (k=v), ``include_tasks:
    {_raw_params: ending.yml}``, ``import_tasks:`` with ``args: {file: ending.yml}``."""
    flow = run_flow(runner, emu, ATTACK2 / 'session.yml', extra_vars={'work': 'bypass/' + work})
    assert flow.requests('sbc1', LOCK) == 0, 'the lock was taken for a file that ends the host: %r' % flow
    assert flow.rc != 0 and 'end_host' in flow.play.output, flow
    assert_clean(emu, [runner], SBCS)


def test_a_session_after_a_release_refused_with_401_holds_the_lock(runner, emu):
    """Promises: the lock is held while the session's tasks run; a module never claims what it did not do. The SBC stops
    accepting the session's token (its lock ends with it): the release fails loudly (401, lease kept until the token's
    expiry). The user's rescue runs a second session on the same SBC: its config_lock joins the kept lease (locked, taken
    false, no lock request) and the second session's tasks run with the SBC's lock free."""
    play = run_bounded(runner, ATTACK2 / 'retry_after_401.yml')
    for lease in lease_files(runner):
        lease.unlink()  # as the token's expiry would: its keeper then has nothing left to do and ends
    settle(runner)
    flow = Flow(play, emu, runner)
    assert flow.ran('second'), flow
    assert flow.held('second'), 'the second session ran its tasks without the lock: %r' % flow
    assert not flow.held('after'), flow
    assert_clean(emu, [runner], SBCS)


def test_an_sdm_group_session_nested_in_a_device_session(runner, emu):
    """Promise: a session gives back only what it took. Outer session on ID1; inner session on the device group of ID1
    and ID2: the inner gives back ID2 only, ID1 stays held until the outer ends."""
    flow = run_flow(runner, emu, ATTACK2 / 'session.yml', extra_vars={'work': 'nest_sdm_group', 'target': 'sdm', 'device_ids': ['ID1']})
    assert flow.rc == 0, flow
    assert flow.held('inner', None, 'sdm1', 'device:ID1') and flow.held('inner', None, 'sdm1', 'device:ID2'), flow
    assert flow.held('outer-after', None, 'sdm1', 'device:ID1'), 'the inner session gave back the outer one\'s device: %r' % flow
    assert not flow.held('outer-after', None, 'sdm1', 'device:ID2'), flow
    assert not flow.held('after', None, 'sdm1', 'device:ID1'), flow
    assert not flow.keeper_gave_back, flow
    assert_clean(emu, [runner], SBCS)


def test_a_session_nested_with_import_role(runner, emu):
    """Promises: sessions nest, each lock given back by its own session; where Ansible gives the role no hook, it fails
    loudly at the earliest point. The session's tasks import the role (import_role, its own vars: the SDM, ID2, probe.yml):
    the outer include's vars win over the import's (Ansible's precedence), so the inner session takes the outer's SBC and
    runs the outer's tasks file again, which imports it again: a session in a session for ever, rc never comes."""
    flow = run_flow(runner, emu, ATTACK2 / 'session.yml', timeout=90, extra_vars={'work': 'nest_import'})
    assert flow.rc is not None, 'the run never ended (killed after 90 s): %r' % flow
    if flow.rc == 0:
        assert flow.held('inner', None, 'sdm1', 'device:ID2') and flow.held('inner'), flow
        assert flow.held('outer-after') and not flow.held('outer-after', None, 'sdm1', 'device:ID2'), flow
    else:
        # refused before the inner session's lock: the one lock request is the outer session's, given back by it
        assert flow.requests('sbc1', LOCK) == 1 and flow.kinds('sbc1') == ['grant', 'release'], flow
        assert 'is already running in an open session of this host' in flow.play.output, flow
    assert not flow.ran('after') or not flow.held('after'), flow
    assert_clean(emu, [runner], SBCS)


def test_a_failed_multi_device_release_says_what_it_gave_back(runner, emu):
    """Promise: a module never claims what it did not do. device_lock state=unlocked on ID1 and ID2, the SDM failing for
    ID2 (500): ID1 is given back on the device, yet the failed result says changed: false (and reports the lease of
    ID2 only)."""
    flow = run_flow(runner, emu, ATTACK2 / 'sdm_partial.yml')
    result = flow.message('RELEASE')
    assert flow.kinds('sdm1', 'device:ID1') == ['grant', 'release'], flow
    assert result.get('failed') and result.get('lease_kept') is True, result
    assert result.get('changed') is True, 'ID1 was given back, but the result says changed=%r: %r' % (result.get('changed'), result)
    assert_clean(emu, [runner], SBCS)


def test_check_mode_with_a_nested_session(runner, emu):
    """Promise (--check row): nothing is taken, the session's tasks run with lock_session_lock.check_mode true, and it
    describes the outer session again after an inner one (SDM in SBC)."""
    flow = run_flow(runner, emu, ATTACK2 / 'session.yml', extra_vars={'work': 'nest_check'}, check=True)
    assert flow.rc == 0, flow
    assert flow.ran('inner'), flow
    assert flow.message('LOCKVAR') == {'target': 'sbc', 'check_mode': True}, flow
    assert flow.events == [] and flow.requests('sbc1', LOCK) == 0, flow
    assert_clean(emu, [runner], SBCS)
