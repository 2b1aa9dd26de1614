"""task_result and main_for: a task body's result or failure, shaped into one task result; the modules' main()."""

import contextlib
import io
import json

import pytest
from ansible.module_utils import basic

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_BAD_INPUT,
    REASON_INTERNAL,
    REASON_LOCK_HELD,
    REASON_NETWORK,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import MEMBER_ENV, RUN_ID_ENV
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._run_task import main_for, task_result
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import REDACTED, Redactor

SECRET = 'hunter2-secret'

SPEC = ArgumentSpec(dict(
    name=dict(type='str', required=True),
    password=dict(type='str', no_log=True),
))


def body_returning(result):
    def body(params, host, redactor):
        return dict(result)
    return body


def body_raising(exc):
    def body(params, host, redactor):
        raise exc
    return body


# --------------------------------------------------------------------------------------------- task_result

def test_a_body_that_returns_gives_its_result_unchanged():
    seen = []

    def body(params, host, redactor):
        seen.append((params, host, redactor))
        return {'changed': True, 'locked': True}

    redactor = Redactor(SECRET)
    assert task_result(body, {'name': 'x'}, 'the host', redactor) == {'changed': True, 'locked': True}
    assert seen == [({'name': 'x'}, 'the host', redactor)]


def test_an_oracle_error_is_its_one_line_reason_retryable_and_detail_with_secrets_redacted():
    error = OracleError('the SBC refused %s' % SECRET, REASON_LOCK_HELD, detail={'holder': 'gui user', 'locked': False})
    result = task_result(body_raising(error), {}, None, Redactor(SECRET))
    assert result == {'failed': True, 'msg': 'the SBC refused %s' % REDACTED, 'reason': REASON_LOCK_HELD,
                      'retryable': False, 'holder': 'gui user', 'locked': False}


def test_a_retryable_reason_says_so():
    result = task_result(body_raising(OracleError('connection reset', REASON_NETWORK)), {}, None, Redactor())
    assert result['failed'] is True and result['reason'] == REASON_NETWORK and result['retryable'] is True


def test_the_failure_keys_win_over_detail_keys_of_the_same_name():
    error = OracleError('bad', REASON_BAD_INPUT, detail={'failed': False, 'msg': 'detail', 'reason': 'other'})
    result = task_result(body_raising(error), {}, None, Redactor())
    assert (result['failed'], result['msg'], result['reason']) == (True, 'bad', REASON_BAD_INPUT)


def test_an_unexpected_exception_is_one_redacted_line_with_the_traceback_only_in_exception():
    error = KeyError('token %s\nsecond line' % SECRET)
    result = task_result(body_raising(error), {}, None, Redactor(SECRET))
    assert result['failed'] is True and result['reason'] == REASON_INTERNAL and result['retryable'] is False
    assert result['msg'].startswith('internal error: KeyError: ') and result['msg'].endswith('; please report it')
    assert '\n' not in result['msg'] and SECRET not in result['msg'] and REDACTED in result['msg']
    assert 'Traceback (most recent call last)' in result['exception'] and 'body_raising' not in result['msg']
    assert SECRET not in result['exception'] and REDACTED in result['exception']


def test_an_unexpected_exception_with_a_long_text_is_cut_to_one_short_line():
    result = task_result(body_raising(ValueError('x' * 2000)), {}, None, Redactor())
    assert len(result['msg']) <= 500 and result['msg'].endswith('...')


# --------------------------------------------------------------------------------------------- main_for

def run_main(args, body, monkeypatch, check_mode=False, diff=False):
    """``main_for(SPEC, body)`` as a module run: the arguments on stdin's stead; the JSON it printed and its exit code."""
    module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_module_name='demo')
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': module_args}).encode())
    # ansible-core 2.19+ reads a serialization profile and caches the parsed arguments; 2.18 has neither
    monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy', raising=False)
    monkeypatch.setattr(basic, '_PARSED_MODULE_ARGS', None, raising=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as ended:
        main_for(SPEC, body)
    return json.loads(out.getvalue()), ended.value.code


def test_main_runs_the_body_with_validated_params_and_exits_with_its_result(monkeypatch):
    seen = {}

    def body(params, host, redactor):
        seen.update(params=params, host=host)
        host.warn('a word for the user')
        return {'changed': True, 'holder': 'prov1'}

    warned = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda module, message: warned.append(message))
    monkeypatch.setenv(MEMBER_ENV, 'sbc-a')
    monkeypatch.setenv(RUN_ID_ENV, 'controller:4242:777')
    result, code = run_main({'name': 'x'}, body, monkeypatch, check_mode=True, diff=True)
    assert code == 0 and result['changed'] is True and result['holder'] == 'prov1' and 'failed' not in result
    assert warned == ['a word for the user']  # the host's warnings are the module's
    assert seen['params']['name'] == 'x' and seen['params']['password'] is None
    host = seen['host']
    assert (host.check_mode, host.diff, host.member) == (True, True, 'sbc-a')
    assert host.run.ident == 'controller:4242:777'  # the run the delegating action plugin named


def test_main_fails_with_the_failure_and_masks_the_no_log_values(monkeypatch):
    error = OracleError('login as %s refused' % SECRET, REASON_LOCK_HELD, detail={'holder': 'gui'})
    monkeypatch.delenv(MEMBER_ENV, raising=False)
    result, code = run_main({'name': 'x', 'password': SECRET}, body_raising(error), monkeypatch)
    assert code == 1 and result['failed'] is True
    assert result['reason'] == REASON_LOCK_HELD and result['retryable'] is False and result['holder'] == 'gui'
    assert SECRET not in json.dumps(result) and REDACTED in result['msg']


def test_main_refuses_bad_arguments_before_the_body(monkeypatch):
    def never(params, host, redactor):
        raise AssertionError('the body runs only with valid arguments')

    result, code = run_main({'bogus': 1}, never, monkeypatch)
    assert code == 1 and result['failed'] is True and 'name' in result['msg']
