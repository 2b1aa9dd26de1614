"""The lease record: whose lease it is, and a lease directory that holds against hostile and odd conditions.

Every test that is about the directory runs twice: as the user running the suite (root in CI) and, in a
forked child, as ``nobody``, so that the checks hold for an unprivileged user and for root, whom file
permissions do not stop.
"""

import json
import multiprocessing
import os
import pwd
import shutil
import stat
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import LeaseFormatError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import is_lease_key, lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import ProofInAdvance, make_proof, proof_matches
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore

ENDPOINT = 'sbc.test:443'
KEY = lease_key('sbc', ENDPOINT, 'configuration')
RUN = Run('ctl', 1000, 111)


def sbc_lease(**changes):
    now = time.time()
    fields = dict(token='tok', issued_at=now, expires_at=now + 600, api_version='v1.2', proof=make_proof('admin', 'pw'),
                  holders=['sbc1'])
    fields.update(changes)
    return Lease('sbc', ENDPOINT, 'configuration', 'admin', RUN, **fields)


def _nobody():
    try:
        return pwd.getpwnam('nobody')
    except KeyError:
        return None


def as_user(user, function, *args):
    """Run ``function(*args)`` in a forked child as ``user`` ('self' or 'nobody'); return what it returns, re-raising failures."""
    if user == 'self':
        return function(*args)
    nobody = _nobody()
    context = multiprocessing.get_context('fork')
    queue = context.Queue()

    def child():
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            queue.put(('ok', function(*args)))
        except BaseException as exc:  # report any failure to the parent, which fails the test with it
            queue.put(('error', '%s: %s' % (type(exc).__name__, exc)))

    process = context.Process(target=child)
    process.start()
    outcome, value = queue.get(timeout=60)
    process.join(30)
    assert outcome == 'ok', value
    return value


# children forked from a pytest-xdist worker only open, lock and read files (and, as nobody, drop privileges)
pytestmark = pytest.mark.filterwarnings('ignore:This process .* is multi-threaded, use of fork:DeprecationWarning')

USERS = ['self'] + (['nobody'] if os.geteuid() == 0 and _nobody() else [])


@pytest.fixture
def home():
    """A directory every test user may reach and work in (pytest's tmp_path is private to the suite's user)."""
    path = tempfile.mkdtemp(prefix='lease-test-')
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _try_store(directory):
    try:
        with LeaseStore(directory):
            return 'ok'
    except OracleError as exc:
        return '%s: %s' % (exc.reason, exc.msg)


# -- the directory ----------------------------------------------------------------------------------------


@pytest.mark.parametrize('user', USERS)
def test_a_missing_directory_is_created_private(home, user):
    directory = os.path.join(home, 'a', 'leases')
    assert as_user(user, _try_store, directory) == 'ok'
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700


@pytest.mark.parametrize('user', USERS)
def test_a_directory_others_can_write_is_refused_and_left_as_it_was(home, user):
    directory = os.path.join(home, 'shared')

    def prepare_and_try():
        os.mkdir(directory)
        os.chmod(directory, 0o1777)
        return _try_store(directory)

    outcome = as_user(user, prepare_and_try)
    assert outcome.startswith('lease_error:') and 'others can write to it (mode 1777)' in outcome
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o1777


@pytest.mark.parametrize('user', USERS)
def test_a_symbolic_link_as_the_directory_is_refused(home, user):
    target = os.path.join(home, 'real')
    link = os.path.join(home, 'link')

    def prepare_and_try():
        os.mkdir(target, 0o700)
        os.symlink(target, link)
        return _try_store(link)

    outcome = as_user(user, prepare_and_try)
    assert outcome.startswith('lease_error:') and 'symbolic link' in outcome


@pytest.mark.skipif(os.geteuid() != 0 or not _nobody(), reason='needs root to give a directory to another user')
def test_root_refuses_a_directory_owned_by_another_user_and_changes_nothing(home):
    directory = os.path.join(home, 'theirs')
    os.mkdir(directory, 0o700)
    os.chown(directory, _nobody().pw_uid, _nobody().pw_gid)
    outcome = _try_store(directory)
    assert outcome.startswith('lease_error:') and 'belongs to uid %d' % _nobody().pw_uid in outcome
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700 and os.listdir(directory) == []


# -- files in it ------------------------------------------------------------------------------------------


def _plant_and_use(directory, victim):
    """Plant links where our files go, then use the store as a task does; report what happened to ``victim``."""
    with LeaseStore(directory) as store:
        for name in (KEY + '.flock', KEY + '.json', 'keeper.log'):
            os.symlink(victim, os.path.join(directory, name))
        warnings = []
        store._warn = warnings.append
        outcome = []
        try:
            with store.guard(KEY):
                pass
        except OracleError as exc:
            outcome.append(exc.reason)
        outcome.append(store.read(KEY) is None)
        store.write(sbc_lease())
        outcome.append(store.read(KEY).token)
        try:
            store.local.open_file('keeper.log', os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        except OSError as exc:
            outcome.append(exc.errno)
        with open(victim) as handle:
            outcome.append(handle.read())
        outcome.append(any('symbolic link' in warning for warning in warnings))
    return outcome


@pytest.mark.parametrize('user', USERS)
def test_no_symbolic_link_in_the_directory_is_ever_followed(home, user):
    directory = os.path.join(home, 'leases-' + user)
    victim = os.path.join(home, 'victim-' + user)

    def run():
        with open(victim, 'w') as handle:
            handle.write('untouched')
        return _plant_and_use(directory, victim)

    guarded, lease_absent, token, log_errno, victim_text, warned = as_user(user, run)
    assert guarded == 'lease_error'       # the .flock link is refused, not followed
    assert lease_absent and warned        # the .json link is set aside with a warning
    assert token == 'tok'                 # a lease is written anew beside it
    assert log_errno == 40                # ELOOP: the keeper.log link is refused
    assert victim_text == 'untouched'


def test_a_file_of_another_user_is_not_used(tmp_path):
    if os.geteuid() != 0 or not _nobody():
        pytest.skip('needs root to give a file to another user')
    store = LeaseStore(str(tmp_path / 'leases'))
    path = os.path.join(store.directory, KEY + '.json')
    with open(path, 'w') as handle:
        json.dump(sbc_lease().to_dict(), handle)
    os.chown(path, _nobody().pw_uid, _nobody().pw_gid)
    assert store.read(KEY) is None and not os.path.exists(path)


@pytest.mark.parametrize('content', ['null', '[]', '"text"', '1', '{}', '{"format": 2}', 'not json', '\xff\xfe',
                                     '{"expires_at": "soon"}', '[' * 5000 + ']' * 5000])
def test_a_lease_file_of_any_wrong_shape_is_set_aside_with_a_warning(tmp_path, content):
    warnings = []
    store = LeaseStore(str(tmp_path / 'leases'), warn=warnings.append)
    with open(os.path.join(store.directory, KEY + '.json'), 'w', encoding='latin-1') as handle:
        handle.write(content)
    assert store.read(KEY) is None
    assert len(warnings) == 1 and 'set aside' in warnings[0]
    assert [name for name in os.listdir(store.directory) if name.startswith(KEY + '.json.corrupt-')]


def test_a_valid_lease_under_another_name_is_set_aside(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    other = lease_key('sbc', 'other.test:443', 'configuration')
    with open(os.path.join(store.directory, other + '.json'), 'w') as handle:
        json.dump(sbc_lease().to_dict(), handle)
    assert store.read(other) is None


def test_without_set_aside_a_bad_file_is_an_error_and_stays(tmp_path):
    store = LeaseStore(str(tmp_path / 'leases'))
    path = os.path.join(store.directory, KEY + '.json')
    with open(path, 'w') as handle:
        handle.write('null')
    with pytest.raises(OracleError) as err:
        store.read(KEY, set_aside=False)
    assert err.value.reason == 'lease_error' and os.path.exists(path)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
                    max_leaves=20)


def _mutations():
    """Valid leases with one field replaced by anything: the shapes a hand edit or another program could leave."""
    base = sbc_lease().to_dict()
    return st.sampled_from(sorted(base) + ['run.host', 'run.pid', 'run.start', 'proof.n', 'proof.salt']).flatmap(
        lambda field: JSON.map(lambda value: (field, value)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(JSON, _mutations()))
def test_property_the_lease_reader_never_raises_anything_but_our_own_error(tmp_path, case):
    store = LeaseStore(str(tmp_path / 'prop'))
    if isinstance(case, tuple):
        data = sbc_lease().to_dict()
        field, value = case
        if '.' in field:
            outer, inner = field.split('.')
            data[outer] = dict(data[outer], **{inner: value})
        else:
            data[field] = value
    else:
        data = case
    with open(os.path.join(store.directory, KEY + '.json'), 'w') as handle:
        json.dump(data, handle)
    try:
        lease = store.read(KEY)
    except OracleError as exc:  # pragma: no cover - only a failing rename could get here
        assert exc.reason == 'lease_error'
    else:
        assert lease is None or lease.key == KEY
    for name in os.listdir(store.directory):
        if '.corrupt-' in name or name.endswith('.json'):
            os.unlink(os.path.join(store.directory, name))


# -- names and proofs -------------------------------------------------------------------------------------


def test_only_names_of_our_scheme_are_lease_keys():
    assert is_lease_key(KEY) and is_lease_key(lease_key('sdm', 'sdm.test:8443', 'device:ID18'))
    for name in ('', '..', '../x', 'sbc_x', 'keeper-0123456789abcdef', 'sbc_a/b-0123456789', 'other_x-0123456789',
                 KEY + '.json', KEY + '\n'):
        assert not is_lease_key(name), name


def test_a_proof_matches_only_its_own_credentials():
    proof = make_proof('admin', 'correct-horse-battery')
    assert proof_matches(proof, 'admin', 'correct-horse-battery')
    assert not proof_matches(proof, 'admin', 'correct-horse-batterz') and not proof_matches(proof, 'admin2', 'correct-horse-battery')
    assert 'correct-horse-battery' not in json.dumps(proof)


def test_a_proof_begun_in_advance_is_the_same_proof_on_every_call():
    pending = ProofInAdvance('admin', 'correct-horse-battery')
    proof = pending.result()
    assert pending.result() is proof
    assert proof_matches(proof, 'admin', 'correct-horse-battery') and not proof_matches(proof, 'admin', 'other')


def test_a_proof_begun_in_advance_raises_what_making_it_raised(monkeypatch):
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_proof as _lease

    def failing(*_args):
        raise MemoryError('no memory for scrypt')

    monkeypatch.setattr(_lease, 'make_proof', failing)
    pending = ProofInAdvance('admin', 'pw')
    with pytest.raises(MemoryError):
        pending.result()


def test_who_took_a_lease():
    lease = sbc_lease()
    assert lease.taken_with('admin', 'pw') is True
    assert lease.taken_with('admin', 'wrong') is False
    assert lease.taken_with('oper', 'pw') is False
    assert sbc_lease(proof=None).taken_with('admin', 'pw') is None  # format 1: the caller must prove it


def test_a_proof_with_other_cost_parameters_is_not_a_lease():
    data = sbc_lease().to_dict()
    data['proof'] = dict(data['proof'], n=2 ** 20)  # would cost a reader a gigabyte of memory
    with pytest.raises(ValueError):
        Lease.from_dict(data)


def test_an_in_process_task_never_takes_its_run_from_the_environment(monkeypatch):
    monkeypatch.setenv('ORACLE_COMMS_RUN_ID', 'elsewhere:1:2')
    assert Run.current().ident != 'elsewhere:1:2'
    assert Run.of_delegated_module().ident == 'elsewhere:1:2'
    monkeypatch.setenv('ORACLE_COMMS_RUN_ID', 'not a run id')
    with pytest.raises(OracleError) as err:
        Run.of_delegated_module()
    assert err.value.reason == 'lease_error'


def test_a_proof_made_by_a_run_with_its_key_is_checked_by_its_mac(monkeypatch):
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_proof as _lease
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_run
    monkeypatch.setattr(_lease_run, '_run_key', {})
    monkeypatch.setattr(_lease_run, '_run_of_process', {})
    run = Run('ctl', os.getpid(), 5)
    _lease_run.prepare_run_key(run)
    proof = make_proof('admin', 'pw', run)
    assert _lease.valid_proof(proof) and proof['run_mac']
    calls = []
    monkeypatch.setattr(_lease, '_digest', lambda *args: calls.append(args))
    monkeypatch.setattr(_lease, '_proof_cache', {})
    assert proof_matches(proof, 'admin', 'pw', run) and not calls  # the MAC proved it: no scrypt
    # a MAC that does not match proves nothing: the slow hash decides (and says no here)
    monkeypatch.setattr(_lease, '_digest', lambda *args: calls.append(args) or b'x' * 32)
    assert not proof_matches(proof, 'admin', 'wrong', run) and len(calls) == 1
    assert not proof_matches(proof, 'admin', 'pw', Run('ctl', os.getpid(), 6)) and len(calls) == 2  # another run: no key


def test_a_run_key_is_made_only_in_the_runs_own_process(monkeypatch):
    from ansible_collections.oracle_comms.provisioning.plugins.module_utils import _lease_run as _lease
    monkeypatch.setattr(_lease, '_run_key', {})
    monkeypatch.setattr(_lease, '_run_of_process', {})
    _lease.prepare_run_key(Run('ctl', os.getpid() + 1, 5))  # a worker: the run is its parent
    assert _lease._run_key == {} and _lease._run_of_process == {}
    assert 'run_mac' not in make_proof('admin', 'pw', Run('ctl', os.getpid() + 1, 5))
    run = Run('ctl', os.getpid(), 5)
    _lease.prepare_run_key(run)
    assert Run.current() is run  # kept for this process and the workers it forks


def test_a_proof_with_an_odd_mac_is_not_a_lease():
    proof = make_proof('admin', 'pw')
    assert Lease.from_dict(dict(sbc_lease().to_dict(), proof=dict(proof, run_mac='bWFj'))).proof['run_mac'] == 'bWFj'
    for mac in (5, 'x' * 65, ['a']):
        with pytest.raises(LeaseFormatError):
            Lease.from_dict(dict(sbc_lease().to_dict(), proof=dict(proof, run_mac=mac)))
