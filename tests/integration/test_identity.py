"""Whose lock it is: real plays against the emulator over HTTPS, as a second user and an attacker would try them.

A lease belongs to the run and to the credentials that took it, and to the inventory hosts of that run that
hold it; adopting a lease a gone run left asks the device; releases of a free lock, re-authentication and
several hosts sharing one lock all end with the lock given back by its holder; and one device has one name
however it is spelled (tests/integration/playbooks/identity/).
"""

import json
import os
import re
import time

import pytest

from tests.emulator_harness import assert_never_two_holders, start_emulator
from tests.integration.ansible_runner_util import Background, PlaybookRunner, assert_no_secret

pytestmark = pytest.mark.integration

PASSWORDS = ['admin-secret-1', 'admin-secret-2', 'operator-secret', 'not-admins-password', 'prov1-secret', 'prov2-secret',
             'not-prov1s-password', 'sdm-admin-secret']
LOCK = 'POST /rest/{v}/configuration/lock'
TOKEN = 'POST /rest/{v}/auth/token'
ELEMENTS = 'POST /rest/{v}/configuration/configElements'
LOGIN = 'POST /rest/{v}/admin/login'
ACTION = 'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'


# --------------------------------------------------------------------------------------------- helpers

def results(play):
    """``{task name: {host: result}}`` of a play run with ``-v`` (loop items are left out)."""
    found = {}
    task = None
    for line in play.stdout.splitlines():
        if line.startswith('TASK [') and line.rstrip('*').rstrip().endswith(']'):
            task = line[len('TASK ['):line.rstrip('*').rstrip().rindex(']')]
            continue
        for status in ('ok', 'changed', 'fatal', 'skipping'):
            prefix = '%s: [' % status
            if not line.startswith(prefix) or ' => {' not in line:
                continue
            host = line[len(prefix):line.index(']')]
            body = line.partition(' => ')[2]
            if not body.startswith('{'):
                continue  # a loop item: "(item=...) => {...}"
            result = json.loads(body)
            result['_status'] = status
            found.setdefault(task, {})[host] = result
    return found


def warnings(play):
    """The play's warnings as one line (ansible-core wraps them at 79 columns)."""
    return ' '.join(play.stderr.split())


def failed_with(result, reason):
    """Check that ``result`` failed with ``reason`` and a one-line message; return the message."""
    assert result['_status'] == 'fatal', result
    assert result.get('reason') == reason, result
    assert result['msg'] and '\n' not in result['msg'] and 'Traceback' not in result['msg'], result
    return result['msg']


def lookup_failed(result, reason):
    """Check that a lookup in a set_fact failed with ``reason`` and gave no token; return the message."""
    assert result['_status'] == 'fatal', result
    assert '(reason: %s)' % reason in result['msg'], result
    assert 'ansible_facts' not in result and 'token' not in result, result
    return result['msg']


def leases(runner):
    """The lease files in the runner's lease directory (named sbc_... or sdm_...)."""
    return sorted(path for pattern in ('sbc_*.json', 'sdm_*.json') for path in runner.lease_dir.glob(pattern))


def kinds(emu, instance):
    """The audit events of ``instance``, by kind, oldest first."""
    return [event['event'] for event in emu.audit(instance)]


def wait_until(predicate, timeout=60.0, what='a condition'):
    """Return as soon as ``predicate()`` is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(0.05)


def inventory(directory, hosts):
    """An inventory file of local hosts: ``hosts`` maps a name to its vars."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / 'inventory.json'
    path.write_text(json.dumps({'all': {'hosts': dict((name, dict(host_vars, ansible_connection='local'))
                                                      for name, host_vars in hosts.items())}}))
    return str(path)


def controller(emu, workdir, **kwargs):
    """A PlaybookRunner whose lease directory exists (0700), so that forks of one run never race to create it."""
    runner = PlaybookRunner(emu, workdir, **kwargs)
    runner.lease_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return runner


def assert_clean(emu, runner, sbc=('sbc1',), sdm=('sdm1',)):
    """Nothing locked on those devices, never two holders in their audit, and no lease left."""
    for instance in sbc:
        assert not emu.sbc_lock_state(instance)['held'], (instance, emu.sbc_lock_state(instance))
        assert_never_two_holders(emu.audit(instance))
    for instance in sdm:
        assert emu.sdm_locks(instance) == {}, (instance, emu.sdm_locks(instance))
        assert_never_two_holders(emu.audit(instance))
    assert not leases(runner), leases(runner)


# --------------------------------------------------------------------------------------------- 1. credentials

def test_only_the_credentials_and_hosts_that_took_a_lock_get_it(emulator, tmp_path):
    """admin holds the SBC lock and prov1 SDM device ID1: another user, a wrong password and another host of the run
    get neither the lock, nor its token, nor its release; the lease lookup reads nothing but our lease files."""
    runner = controller(emulator, tmp_path / 'controller')
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(mode=0o700)
    settings = elsewhere / 'settings.json'
    settings.write_text('{"format": 2, "product": "sbc", "token": "not a lease"}\n')
    before = settings.stat()
    play = runner.run('identity/users.yml', inventory=inventory(tmp_path, {'holder': {}, 'other': {}}), verbosity=1,
                      extra_vars={'elsewhere': str(elsewhere)})
    assert play.returncode == 0, play
    found = results(play)

    def result(task, host='holder'):
        return found[task][host]

    sbc_host, sdm_host = emulator.sbc_host(), emulator.sdm_host()
    taken = result('SBC admin takes the lock')
    assert taken['_status'] == 'changed' and 'censored' in taken, taken  # it carries the token: shown censored
    # admin2 is another client: it asked the SBC, waited, and got neither the lock nor the token
    refused = result('SBC admin2 asks for it')
    msg = failed_with(refused, 'lock_held')
    # how long it waited is time spent sleeping between tries, which a loaded machine shortens: any whole number
    assert re.search(r'configuration lock on %s is held by another user or session; waited \d+ s' % re.escape(sbc_host), msg), refused
    assert refused['holder'] != 'us' and refused['locked'] is False and 'token' not in refused and refused['attempts'] >= 2, refused
    failed_with(result('SBC operator asks for it'), 'forbidden')
    # the right user name with a wrong password: one sign-in settles it, without waiting
    impostor = result('SBC admin with a wrong password asks for it')
    failed_with(impostor, 'auth_failed')
    assert impostor.get('locked') is False and 'token' not in impostor, impostor
    # not admin2's: nothing changed, nothing taken to find out, admin keeps it
    released = result('SBC admin2 gives it back')
    assert released['_status'] == 'ok' and released['holder'] == 'another user or session' and not released['locked'], released
    failed_with(result('SBC admin with a wrong password gives it back'), 'auth_failed')
    seen = result('SBC lock as the SBC sees it')['json']
    assert seen['held'] and seen['holder']['user'] == 'admin' and seen['holder']['kind'] == 'rest', seen

    assert result('SDM prov1 takes device ID1')['holder'] == {'ID1': 'us'}
    refused = result('SDM prov2 asks for it')
    msg = failed_with(refused, 'lock_held')
    assert 'device ID1 on SDM %s is held by' % sdm_host in msg and re.search(r'waited \d+ s', msg), refused
    assert refused['holder'] == {'ID1': 'unknown'} and refused['locked'] is False and refused['attempts'] >= 2, refused
    impostor = result('SDM prov1 with a wrong password asks for it')
    failed_with(impostor, 'auth_failed')
    assert 'us' not in json.dumps(impostor.get('holder', {})), impostor
    released = result('SDM prov2 gives it back')
    assert released['_status'] == 'ok' and not released['changed'] and not released['locked'], released
    failed_with(result('SDM prov1 with a wrong password gives it back'), 'auth_failed')
    assert result('SDM locks as the SDM sees them')['json'] == {'ID1': 'prov1'}

    # another host of this run, which did not take the lock (and failed to, with a wrong password)
    failed_with(result('SBC admin with a wrong password asks from the other host', 'other'), 'auth_failed')
    msg = lookup_failed(result("The other host reads the holder's lease", 'other'), 'lock_lost')
    assert 'held by host(s) holder of this run, not by other' in msg, msg
    # only our lease names are read: copies and other JSON files are bad input, a planted link is not followed
    for task in ('Look up a copy of the lease outside the lease directory', 'Look up a copy of the lease inside the lease directory',
                 'Look up some other JSON file'):
        msg = lookup_failed(result(task), 'bad_input')
        assert 'is not a lease file of this collection' in msg, msg
    msg = lookup_failed(result('Look up a link named as the lease'), 'lease_error')
    assert 'symbolic link' in msg, msg
    msg = lookup_failed(result('Look up the lease through a link to its directory'), 'lease_error')
    assert 'symbolic link' in msg, msg
    # and nothing was renamed, set aside or changed
    after = settings.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    link = result('Link to the lease under its own name, outside the lease directory')['dest']
    assert sorted(path.name for path in elsewhere.iterdir()) == sorted(['leases', 'settings.json', 'stolen.json', os.path.basename(link)])
    assert os.path.islink(link)
    assert [path.name for path in runner.lease_dir.iterdir() if path.name.endswith('.json') or '.corrupt-' in path.name] == ['copy.json']
    assert (runner.lease_dir / 'copy.json').read_bytes() == (elsewhere / 'stolen.json').read_bytes()

    # a wrong password costs one refused sign-in and nothing else: three such SBC tasks, two SDM ones; one token
    # (or session) for each of the other lock tasks
    sbc, sdm = emulator.stats('sbc1'), emulator.stats('sdm1')
    assert sbc['by_status'].get('401') == 3 and sbc['by_route'][TOKEN] == 7, sbc
    assert sdm['by_status'].get('401') == 2 and sdm['by_route'][LOGIN] == 6, sdm
    assert emulator.stats('sbc1')['by_status'].get('423', 0) >= 3  # admin2 asked while it waited, and for its release
    events = emulator.audit('sbc1')
    assert [(event['event'], event['holder']['user']) for event in events] == [('grant', 'admin'), ('release', 'admin')], events
    events = emulator.audit('sdm1')
    assert [(event['event'], event['holder']['user']) for event in events] == [('grant', 'prov1'), ('release', 'prov1')], events
    assert_clean(emulator, runner)
    assert_no_secret(play.output, PASSWORDS + emulator.secrets()['tokens'] + emulator.secrets()['sessions'])


# --------------------------------------------------------------------------------------------- 2. adoption

@pytest.mark.parametrize('relock', ['accepted', 'refused'])
def test_adopting_a_lock_a_gone_run_left_asks_the_device(emulator, tmp_path, relock):
    """Orphan leases still held are adopted once the device confirms it; forced free and taken by another holder,
    they are not: the next run of the same account warns, asks like any client, and fails lock_held.

    ``relock``: whether the devices accept a second lock by its holder (SBC 204 / SDM 204) or refuse it (423 / 409);
    where they refuse, the confirmation gives the lock back and takes it again at once."""
    if relock == 'refused':
        emulator.set_switches({'sbc.relock_same_token': '423'})
        emulator.set_switches({'sdm.relock_same_user': '409'})
    runner = controller(emulator, tmp_path / 'controller', release_on_exit=False)
    sbc_host, sdm_host = emulator.sbc_host(), emulator.sdm_host()
    first = runner.run('identity/take.yml', verbosity=1)
    found = results(first)
    assert found['SBC configuration lock']['localhost']['locked'] and found['SDM device ID1']['localhost']['locked'], first
    assert len(leases(runner)) == 2

    # still held: adopted, on the device's word; the lease lookup, which only reads, gives that run's token to nobody
    [sbc_lease] = [path for path in leases(runner) if path.name.startswith('sbc_')]
    adopting = runner.run('identity/take.yml', verbosity=1, extra_vars={'peek': str(sbc_lease)})
    found = results(adopting)
    msg = lookup_failed(found['Read a lease with the lookup']['localhost'], 'lock_lost')
    assert 'belongs to ansible run pid' in msg and 'not to this run' in msg, msg
    for task in ('SBC configuration lock', 'SDM device ID1'):
        got = found[task]['localhost']
        assert got['_status'] == 'changed' and got['locked'], (task, got)
    assert found['SBC configuration lock']['localhost']['holder'] == 'us'
    assert found['SDM device ID1']['localhost']['holder'] == {'ID1': 'us'}
    said = warnings(adopting)
    assert 'adopted the configuration lock on %s left by ansible run pid' % sbc_host in said, adopting
    assert '(the SBC confirmed that its token still holds it)' in said, adopting
    assert 'adopted the lock of device ID1 on SDM %s left by ansible run pid' % sdm_host in said, adopting
    assert '(the SDM confirmed that user prov1 holds it)' in said, adopting
    confirmed = ['grant'] if relock == 'accepted' else ['grant', 'release', 'grant']
    assert kinds(emulator, 'sbc1') == confirmed and kinds(emulator, 'sdm1') == confirmed

    # that run is gone too; an administrator forces both free and someone else takes them
    emulator.control('POST', '/sbc/sbc1/release')
    emulator.control('POST', '/sbc/sbc1/lock', json={'kind': 'gui', 'user': 'webuser'})
    emulator.control('POST', '/sdm/sdm1/devices/ID1/release')
    emulator.control('POST', '/sdm/sdm1/devices/ID1/lock', json={'user': 'prov2'})
    refused = runner.run('identity/take.yml', verbosity=1)
    found = results(refused)
    sbc = found['SBC configuration lock']['localhost']
    msg = failed_with(sbc, 'lock_held')
    assert 'held by another user or session' in msg and sbc['holder'] != 'us' and sbc['locked'] is False and 'token' not in sbc, sbc
    sdm = found['SDM device ID1']['localhost']
    failed_with(sdm, 'lock_held')
    assert sdm['holder'] != {'ID1': 'us'} and sdm['locked'] is False, sdm
    said = warnings(refused)
    assert ('the configuration lock on %s left by ansible run pid' % sbc_host) in said and \
        'which is no longer running, was no longer held by its token' in said, refused
    assert ('the lock of device ID1 on SDM %s left by ansible run pid' % sdm_host) in said and \
        'was no longer held by user prov1' in said, refused
    assert 'adopted' not in said, refused
    assert emulator.sbc_lock_state()['holder'] == {'kind': 'gui', 'user': 'webuser', 'id': None}
    assert emulator.sdm_locks() == {'ID1': 'prov2'}
    assert not leases(runner), leases(runner)
    assert_never_two_holders(emulator.audit())
    assert_no_secret(first.output + adopting.output + refused.output, PASSWORDS + emulator.secrets()['tokens'])


# --------------------------------------------------------------------------------------------- 3. 423 texts

TEXTS = ('documented', 'generic', 'other', 'localized')


@pytest.fixture(scope='module')
def texts(tmp_path_factory):
    """One SBC per 423 wording (sbc1..sbc4), default token lifetime."""
    with start_emulator(tmp_path_factory.mktemp('texts'), '--sbc-instances', str(len(TEXTS))) as emu:
        yield emu


#: What the emulator's 423 texts say of the lock, read as Oracle documents them: per switch value, (free, held by another).
#: "generic" words each case the other way, so the holder follows the words: the outcome (ok, nothing changed) does not.
SAID = {'documented': ('nobody', 'another user or session'), 'generic': ('another user or session', 'nobody'),
        'other': ('unknown', 'unknown'), 'localized': ('unknown', 'unknown')}


def test_a_release_never_takes_the_lock_under_every_423_text(texts, tmp_path):
    """The SBC answers 423 to the unlock of a free lock and of another holder's alike, in words that vary. A release is
    "not ours, nothing changed" in every case, however often, with the holder as the SBC words it; it never sends a lock
    request (3 locks in the whole play, one per "Take"), and another holder keeps the lock."""
    texts.reset()
    hosts = {}
    for number, text in enumerate(TEXTS, start=1):
        instance = 'sbc%d' % number
        texts.set_switches({'sbc.unlock_free_text': text, 'sbc.unlock_foreign_text': text}, instance=instance)
        hosts[text] = {'sbc_host': texts.sbc_host(instance), 'instance': instance}
    runner = controller(texts, tmp_path / 'controller')
    play = runner.run('identity/unlock_free.yml', inventory=inventory(tmp_path, hosts), verbosity=1, args=['--forks', str(len(TEXTS))])
    assert play.returncode == 0, play
    found = results(play)
    for text in TEXTS:
        def result(task, text=text):
            return found[task][text]
        free, foreign = SAID[text]
        for task in ('Give back a lock nobody holds', 'Give it back again', 'Give it back a third time'):
            got = result(task)
            assert got['_status'] == 'ok' and got['holder'] == free and not got['locked'], (text, task, got)
        assert result('Take the lock')['_status'] == 'changed' and result('Give it back')['_status'] == 'changed', text
        forced = result('Give back the lock that was forced free')
        assert forced['_status'] == 'ok' and forced['holder'] == free and not forced['locked'], (text, forced)
        for task in ('Give back the lock the GUI user took over', 'Give back the lock the GUI user holds, with no lease of it'):
            got = result(task)
            assert got['_status'] == 'ok' and got['holder'] == foreign and not got['locked'] and not got['changed'], (text, task, got)
        assert result('The GUI user still holds it')['json']['holder']['user'] == 'webuser', text
        events = texts.audit(hosts[text]['instance'])
        assert_never_two_holders(events)
        # our grants and releases pair up, each release by the holder of the grant before it
        ours = [event for event in events if event['holder']['kind'] == 'rest']
        assert [event['event'] for event in ours] == ['grant', 'release'] * 3, (text, events)
        assert all(grant['holder'] == release['holder'] for grant, release in zip(ours[::2], ours[1::2])), (text, events)
        assert texts.stats(hosts[text]['instance'])['by_route'].get('POST /rest/{v}/configuration/lock') == 3, text
    assert 'no longer held by the token this run took it with' in warnings(play), play
    assert not leases(runner), leases(runner)
    assert_no_secret(play.output, PASSWORDS + texts.secrets()['tokens'])


# --------------------------------------------------------------------------------------------- 4. re-authentication

REFRESH_MODES = ('move', 'revoke', 'extend', 'stay')
#: The lease lookup asks for a new token past half its life and the keeper renews one on its own past three quarters:
#: a task has a quarter of the token's life between the lookup and its request before the lock may move off that token.
#: 15 s leaves a loaded machine 3.75 s for it (a 4-s gap was seen with four such plays at once on two cores).
TOKEN_LIFE = 15


@pytest.fixture(scope='module')
def short(tmp_path_factory):
    """One SBC per re-authentication behaviour (sbc1..sbc4), whose tokens live TOKEN_LIFE seconds."""
    options = ('--sbc-instances', str(len(REFRESH_MODES)), '--token-ttl', str(TOKEN_LIFE))
    with start_emulator(tmp_path_factory.mktemp('short'), *options) as emu:
        yield emu


def test_a_session_longer_than_the_token_keeps_the_lock_under_every_reauthentication(short, tmp_path):
    """A lock_session of 1.6 token lifetimes changing the configuration every 6 s: whether the SBC moves the lock to
    the new token, revokes the old one, extends it, or leaves the lock on the old token, every change is accepted,
    our token never expires while it holds the lock, and we give the lock back ourselves."""
    short.reset()
    hosts = {}
    for number, mode in enumerate(REFRESH_MODES, start=1):
        instance = 'sbc%d' % number
        short.set_switches({'sbc.refresh_mode': mode}, instance=instance)
        hosts[mode] = {'target': 'sbc', 'device_host': short.sbc_host(instance), 'work': 'changes', 'rounds': 5, 'every': 6}
    runner = controller(short, tmp_path / 'controller')
    play = runner.run('identity/session.yml', inventory=inventory(tmp_path, hosts), env={'SBC_TOKEN_LIFETIME': TOKEN_LIFE},
                      args=['--forks', str(len(REFRESH_MODES))], timeout=240)
    assert play.returncode == 0, play
    assert 'NOT GIVEN BACK' not in play.stdout, play
    for number, mode in enumerate(REFRESH_MODES, start=1):
        instance = 'sbc%d' % number
        events = short.audit(instance)
        assert_never_two_holders(events)
        seen = [event['event'] for event in events]
        assert seen[0] == 'grant' and 'expire' not in seen, (mode, events)
        assert events[-1]['event'] == 'release' and events[-1]['cause'] == 'unlock', (mode, events)
        holder = None
        for event in events[:-1]:
            holder = event['holder'] if event['event'] in ('grant', 'move') else None
        assert events[-1]['holder'] == holder and holder['user'] == 'admin', (mode, events)  # given back by the token holding it
        assert events[-1]['ts'] - events[0]['ts'] >= 1.6 * TOKEN_LIFE, (mode, events)
        assert short.stats(instance)['by_route'][ELEMENTS] == 5, mode
        if mode in ('move', 'revoke'):
            assert 'move' in seen, (mode, events)
        elif mode == 'stay':
            # we moved the lock ourselves: given back with the old token, taken at once with the new one
            assert seen.count('grant') >= 2 and 'move' not in seen, (mode, events)
        else:
            assert seen == ['grant', 'release'], (mode, events)
    # the keeper re-authenticated (the lookup asked it to), and said where it had to move the lock
    log = (runner.lease_dir / 'keeper.log').read_text()
    assert '%s: the SBC left the lock on the old token at re-authentication; it was moved to the new token' % hosts['stay']['device_host'] \
        in log, log
    assert 'failed' not in log, log
    assert not leases(runner), leases(runner)
    assert_no_secret(play.output + log, PASSWORDS + short.secrets()['tokens'])


# --------------------------------------------------------------------------------------------- 5. hosts of one run

@pytest.mark.parametrize('strategy', ['linear', 'free'])
def test_hosts_of_one_run_share_a_lock_and_the_last_gives_it_back(emulator, tmp_path, strategy):
    """Three hosts provision one SBC, three others one SDM device, each through lock_session; one host of each works
    4 s longer. One grant and one release per lock: held while any host works, given back after the slowest."""
    marks = tmp_path / 'marks'
    marks.mkdir()
    hosts = {}
    for number in (1, 2, 3):
        slow = {'extra': 4} if number == 2 else {}
        hosts['sbc_host%d' % number] = dict(slow, target='sbc', device_host=emulator.sbc_host(), work='shared')
        hosts['sdm_host%d' % number] = dict(slow, target='sdm', device_host=emulator.sdm_host(), work='shared', device_ids=['ID1'])
    runner = controller(emulator, tmp_path / 'controller')
    play = runner.run('identity/session.yml', inventory=inventory(tmp_path, hosts), extra_vars={'marks': str(marks), 'after_release': True},
                      env={'ANSIBLE_STRATEGY': strategy}, args=['--forks', str(len(hosts))])
    assert play.returncode == 0, play
    assert 'NOT GIVEN BACK' not in play.stdout and 'FAILED - RETRYING' not in play.stdout, play
    # once a host let go, the session's token is not its any more: while others hold the lock, or after the last let go
    for host in [name for name in hosts if name.startswith('sbc')]:
        [late] = [line for line in play.stdout.splitlines() if line.startswith('fatal: [%s]: FAILED! => ' % host)]
        msg = json.loads(late.split(' => ', 1)[1])['msg']
        assert 'not by %s' % host in msg or 'no lock is held' in msg, msg
    ended = dict((path.name, float(path.read_text())) for path in marks.iterdir())
    assert sorted(ended) == sorted(hosts)
    for instance, product in (('sbc1', 'sbc'), ('sdm1', 'sdm')):
        events = emulator.audit(instance)
        assert [event['event'] for event in events] == ['grant', 'release'], (product, events)
        assert events[1]['cause'] == 'unlock' and events[1]['holder'] == events[0]['holder'], (product, events)
        last = max(at for host, at in ended.items() if host.startswith(product))
        assert events[1]['ts'] >= last, (product, 'released %.2f s before the slowest host ended' % (last - events[1]['ts']))
        # the slowest host worked 4 s longer than the others, under the same lock
        assert events[1]['ts'] - events[0]['ts'] >= 4, (product, events)
    assert emulator.stats('sbc1')['by_route'][ELEMENTS] == 6
    assert_clean(emulator, runner)
    assert_no_secret(play.output, PASSWORDS + emulator.secrets()['tokens'])


@pytest.mark.parametrize('relock', ['204', '409'])
@pytest.mark.parametrize('first', ['dev', 'grp'])
def test_a_device_and_its_group_held_by_two_hosts_of_one_run(emulator, tmp_path, first, relock):
    """Host dev holds device ID1, host grp the group of ID1 and ID2 (either first). When grp lets go, ID1 stays
    held for dev and ID2 is given back; dev gives ID1 back last. ``relock``: how the SDM answers a Lock of a device
    the user holds already (204 yes, 409 refused)."""
    emulator.set_switches({'sdm.relock_same_user': relock})
    runner = controller(emulator, tmp_path / 'controller', release_on_exit=False)
    play = runner.run('identity/overlap.yml', inventory=inventory(tmp_path, {'dev': {}, 'grp': {}}), verbosity=1,
                      extra_vars={'first': first})
    found = results(play)
    assert play.returncode == 0, play
    assert found['SDM locks after the group\'s host let go']['dev']['json'] == {'ID1': 'prov1'}, play
    assert found['SDM locks at the end']['dev']['json'] == {}, play
    assert_never_two_holders(emulator.audit('sdm1'))
    assert not leases(runner), leases(runner)


# --------------------------------------------------------------------------------------------- 6. one name per device

SPELLINGS = ('LOCALHOST:{port}', 'https://localhost:{port}/', 'localhost.:{port}')


def standing_by(emu, waiters, count):
    """True once ``count`` prov1 sessions are open (SDM waiters behind a local lease stand by signed in)."""
    for waiter in waiters:
        if waiter.process.poll() is not None:
            raise AssertionError('a waiter ended before the holder let go: %r' % waiter.finish(timeout=1))
    return len([session for session in emu.sdm_sessions() if session['user'] == 'prov1']) >= count


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_two_runs_of_one_account_exclude_each_other_however_the_device_is_spelled(emulator, tmp_path, product):
    """A run holds the lock on localhost:PORT; three runs of the same account on the same controller ask for it as
    LOCALHOST:PORT, https://localhost:PORT/ and localhost.:PORT. All three wait behind the holder's lease without
    asking the device (the SDM would answer a second Lock by prov1 with yes), then get it in turn."""
    port = (emulator.sbc_host() if product == 'sbc' else emulator.sdm_host()).rsplit(':', 1)[1]
    runner = controller(emulator, tmp_path / 'controller')
    taken, release = tmp_path / 'taken', tmp_path / 'release'
    holder = Background(runner, 'identity/hold.yml', extra_vars={'product': product, 'spelling': 'localhost:%s' % port,
                                                                 'taken_file': str(taken), 'release_file': str(release)})
    waiters = []
    try:
        wait_until(lambda: taken.exists() or holder.process.poll() is not None, 90, 'the holder to take the lock')
        assert taken.exists(), holder.finish(timeout=1)
        waiters = [Background(runner, 'identity/hold.yml', extra_vars={'product': product, 'spelling': spelling.format(port=port),
                                                                       'wait_seconds': 90, 'expect_wait': True})
                   for spelling in SPELLINGS]
        if product == 'sdm':
            wait_until(lambda: standing_by(emulator, waiters, len(waiters)), 90, 'the waiters to stand by')
            assert emulator.stats('sdm1')['by_route'][ACTION] == 1  # the holder's Lock only
        else:
            # behind a lease of this controller a waiter sends nothing: give the last one time to get into its wait
            for waiter in waiters[:-1]:
                waiter.wait_for('TASK [Take the lock]')
            waiters[-1].settle_in('Take the lock')
            assert emulator.stats('sbc1')['by_route'][LOCK] == 1 and '423' not in emulator.stats('sbc1')['by_status']
        assert emulator.audit() and len(emulator.audit()) == 1
    finally:
        release.touch()
        plays = [holder.finish()] + [waiter.finish() for waiter in waiters]
    for play in plays:
        assert play.returncode == 0, play
    instance, resource = ('sbc1', 'configuration') if product == 'sbc' else ('sdm1', 'device:ID1')
    events = emulator.audit(instance)
    assert_never_two_holders(events)
    assert [event['event'] for event in events if event['resource'] == resource] == ['grant', 'release'] * 4, events
    if product == 'sdm':
        assert emulator.stats('sdm1')['by_route'][ACTION] == 8  # one Lock and one Unlock per run: nobody asked while it waited
    else:
        assert emulator.stats('sbc1')['by_route'][LOCK] == 4 and '423' not in emulator.stats('sbc1')['by_status']
    assert_clean(emulator, runner)
    assert_no_secret(''.join(play.output for play in plays), PASSWORDS + emulator.secrets()['tokens'] + emulator.secrets()['sessions'])
