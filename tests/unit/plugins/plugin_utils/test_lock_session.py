"""What the lock_session role computes: module options, open sessions, lock_session_lock and a failed release's words."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._lock_session import (
    LockSessionError,
    close_session,
    innermost_session,
    module_options,
    open_session,
    release_attempts,
    release_error,
    session_lock,
    session_record,
)

OMIT = '__omit_place_holder__0123'
SBC_TAKE = {'locked': True, 'endpoint': 'sbc1:443', 'lease_file': '/leases/sbc_x.json', 'taken': True, 'changed': False}
SDM_TAKE = {'locked': True, 'endpoint': 'sdm1:443', 'device_ids': ['ID1', 'ID2'], 'taken_ids': ['ID2']}


class Omit:
    """A sentinel as ansible-core's newer templating passes ``omit``: equal to nothing but itself."""


def test_only_the_options_set_are_passed_on_null_and_omit_are_not_set():
    settings = {'host': 'sbc1', 'username': None, 'password': OMIT, 'validate_certs': False, 'timeout': 0, 'api_version': ''}
    assert module_options(settings, OMIT) == {'host': 'sbc1', 'validate_certs': False, 'timeout': 0, 'api_version': ''}
    sentinel = Omit()
    assert module_options({'host': sentinel, 'device_id': ['ID1'], 'group': None}, sentinel) == {'device_id': ['ID1']}
    assert module_options({'host': OMIT}) == {'host': OMIT}


def test_options_that_are_no_mapping_are_refused():
    with pytest.raises(LockSessionError):
        module_options(['host'], OMIT)


def test_a_session_record_says_where_what_and_which_file():
    assert session_record(SBC_TAKE, 'sbc', 3, '/play/t.yml') == {
        'id': 3, 'target': 'sbc', 'endpoint': 'sbc1:443', 'file': '/play/t.yml', 'lease_file': '/leases/sbc_x.json', 'taken': True}
    assert session_record(SDM_TAKE, 'sdm', 1) == {
        'id': 1, 'target': 'sdm', 'endpoint': 'sdm1:443', 'file': '', 'device_ids': ['ID1', 'ID2'], 'taken_ids': ['ID2']}
    # what the module leaves out counts as nothing taken
    assert session_record({'endpoint': 'sbc1:443'}, 'sbc', 1)['taken'] is False
    assert session_record({'endpoint': 'sdm1:443'}, 'sdm', 1)['taken_ids'] == []


@pytest.mark.parametrize('take', [{}, {'skipped': True}, None])
def test_a_take_without_an_endpoint_opens_no_session(take):
    with pytest.raises(LockSessionError):
        session_record(take, 'sbc', 1)


def test_sessions_nest_and_each_release_closes_the_innermost_of_its_target():
    stack = open_session(None, SDM_TAKE, 'sdm', '/play/outer.yml')
    stack = open_session(stack, SBC_TAKE, 'sbc', '/play/inner.yml')
    stack = open_session(stack, dict(SDM_TAKE, taken_ids=[]), 'sdm', '/play/innermost.yml')
    assert [record['id'] for record in stack] == [1, 2, 3]
    closing = innermost_session(stack, 'sdm')
    assert closing['file'] == '/play/innermost.yml'
    stack = close_session(stack, closing)
    assert innermost_session(stack, 'sdm')['file'] == '/play/outer.yml'
    assert innermost_session(stack, 'sbc')['file'] == '/play/inner.yml'
    # a session opened now gets an id no open session has
    assert open_session(stack, SBC_TAKE, 'sbc')[-1]['id'] == 3
    assert close_session(stack, {}) == stack


def test_with_no_open_session_of_the_target_the_release_closes_nothing():
    assert innermost_session([], 'sbc') == {}
    assert innermost_session(None, 'sdm') == {}
    assert innermost_session(open_session([], SBC_TAKE, 'sbc'), 'sdm') == {}


@pytest.mark.parametrize('stack', ['[]', [1], {'id': 1}])
def test_a_stack_that_is_no_list_of_records_is_refused(stack):
    with pytest.raises(LockSessionError):
        innermost_session(stack, 'sbc')


def test_a_target_other_than_sbc_or_sdm_is_refused():
    with pytest.raises(LockSessionError):
        innermost_session([], 'SBC')
    with pytest.raises(LockSessionError):
        open_session([], SBC_TAKE, 'other')


def fail_read(path):
    raise AssertionError('the lease was read: %r' % path)


def test_the_lock_of_an_sbc_session_is_the_lease_view_with_target_and_check_mode():
    stack = open_session([], SBC_TAKE, 'sbc')
    read = []

    def read_lease(path):
        read.append(path)
        return {'check_mode': False, 'product': 'sbc', 'token': 't', 'base_url': 'https://sbc1:443/rest/v1.2'}

    lock = session_lock(stack, 'sbc', False, read_lease)
    assert lock == {'check_mode': False, 'product': 'sbc', 'token': 't', 'base_url': 'https://sbc1:443/rest/v1.2', 'target': 'sbc'}
    assert read == ['/leases/sbc_x.json']


def test_the_lock_is_the_innermost_session_of_either_target():
    stack = open_session(open_session([], SBC_TAKE, 'sbc'), SDM_TAKE, 'sdm')
    assert session_lock(stack, 'sbc', False, fail_read) == {'target': 'sdm', 'check_mode': False, 'device_ids': ['ID1', 'ID2']}


def test_with_no_open_session_an_sbc_lock_asks_the_lease_of_nothing_and_an_sdm_lock_holds_no_device():
    paths = []
    session_lock([], 'sbc', False, lambda path: paths.append(path) or {})
    assert paths == ['']
    assert session_lock([], 'sdm', False, fail_read) == {'target': 'sdm', 'check_mode': False, 'device_ids': []}
    assert session_lock(None, None, False, lambda path: {})['target'] == 'sbc'


def test_in_check_mode_the_lock_has_no_token_and_reads_no_lease():
    assert session_lock([], 'sbc', True, fail_read) == {'target': 'sbc', 'check_mode': True, 'token': '', 'base_url': '', 'device_ids': []}
    stack = open_session([], SDM_TAKE, 'sdm')
    assert session_lock(stack, 'sbc', True, fail_read)['device_ids'] == ['ID1', 'ID2']


@pytest.mark.parametrize('result,retries,attempts', [
    ({'attempts': 3, 'retryable': True}, 3, 4),      # retries ran out: ansible-core says one fewer
    ({'attempts': 3, 'retryable': True}, '3', 4),
    ({'attempts': 2, 'retryable': False}, 3, 2),     # not worth trying again: stopped early
    ({'retryable': False}, 3, 1),
    ({}, 3, 1),
    ({'attempts': 0}, 3, 1),
    ({'attempts': 'x', 'retryable': True}, 0, 1),
    ({'attempts': '2.0'}, 3, 2),
])
def test_the_attempts_counted_are_those_made(result, retries, attempts):
    assert release_attempts(result, retries) == attempts


def test_a_failed_release_says_what_to_do_only_where_the_lease_keeps_the_lock():
    kept = release_error({'msg': 'connection refused', 'attempts': 3, 'retryable': True, 'lease_kept': True}, 'sbc', 3)
    assert kept == ('THE SBC LOCK WAS NOT GIVEN BACK after 4 attempts: connection refused. The lease record keeps it; the keeper of '
                    'this run (release_on_exit) gives it back when the run ends, and an SBC lock also ends when its token expires. '
                    'To free it sooner, run the release entry point of this role from this controller with the same lease_dir, or '
                    'release it on the device.')
    sdm = release_error({'msg': 'refused', 'lease_kept': True}, 'sdm', 3)
    assert sdm.startswith('THE SDM LOCK WAS NOT GIVEN BACK after 1 attempt: refused. The lease record keeps it; the keeper')
    assert 'token' not in sdm
    assert release_error({}, 'sbc', 3) == 'THE SBC LOCK WAS NOT GIVEN BACK after 1 attempt: unknown error. '


def test_a_release_result_that_is_no_mapping_is_refused():
    with pytest.raises(LockSessionError):
        release_error('failed', 'sbc', 3)
