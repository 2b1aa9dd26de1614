"""The in-process task: validation worded as AnsibleModule words it, no_log masking, warnings, failures, and its LockHost."""

import contextlib
import io
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils import _action
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._action import InProcessTask, censor_secrets

SECRET = 'sw0rdfish-secret'
NO_LOG_MASK = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'

SPEC = ArgumentSpec(dict(
    name=dict(type='str', required=True),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['DEMO_PASSWORD'])),
    pin=dict(type='int', no_log=True),
    count=dict(type='int', default=2),
    state=dict(type='str', default='locked', choices=['locked', 'unlocked']),
))


def task(args, check_mode=False, diff=False, member='sbc1'):
    return InProcessTask('demo', SPEC, args, check_mode, diff, member)


def module_failure(args, monkeypatch):
    """What AnsibleModule itself answers for ``args`` of a module named demo with SPEC (it must fail)."""
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': dict(args, _ansible_module_name='demo')}).encode())
    # ansible-core 2.19+ reads a serialization profile and caches the parsed arguments; 2.18 has neither
    monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy', raising=False)
    monkeypatch.setattr(basic, '_PARSED_MODULE_ARGS', None, raising=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        basic.AnsibleModule(**SPEC.to_kwargs())
    return json.loads(out.getvalue())


def never(params, host, redactor):
    raise AssertionError('the body runs only with valid arguments')


# --------------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize('args', [
    {},
    {'name': 'x', 'bogus': 1},
    {'name': 'x', 'state': 'open'},
    {'name': 'x', 'count': 'many'},
    {'name': 'x', 'pin': 'not-a-number-%s' % SECRET},
])
def test_validation_errors_are_bad_input_worded_as_ansible_module_words_them(args, monkeypatch):
    result = task(args).run(never)
    expected = module_failure(args, monkeypatch)
    assert result['failed'] is True and result['reason'] == 'bad_input' and result['retryable'] is False
    assert result['msg'] == expected['msg']
    assert SECRET not in json.dumps(result)


def test_unsupported_parameters_name_the_module():
    result = task({'name': 'x', 'bogus': 1}).run(never)
    assert result['msg'].startswith('Unsupported parameters for (demo) module: bogus.')


def test_a_validation_error_quoting_a_secret_is_masked():
    result = InProcessTask('demo', SPEC, {'name': 'x', 'pin': SECRET}, False, False).run(never)
    assert result['failed'] and SECRET not in json.dumps(result)
    assert result['invocation']['module_args']['pin'] == NO_LOG_MASK


# --------------------------------------------------------------------------------------------- results

def test_body_gets_validated_params_and_its_result_comes_back_with_invocation():
    seen = {}

    def body(params, host, redactor):
        seen.update(params=params, redactor=redactor)
        return dict(changed=True, locked=True)

    result = task({'name': 'x', 'password': SECRET}).run(body)
    assert seen['params'] == dict(name='x', password=SECRET, pin=None, count=2, state='locked')
    assert seen['redactor']('a %s b' % SECRET) == 'a ******** b'
    assert result == dict(changed=True, locked=True, invocation={'module_args': dict(
        name='x', password=NO_LOG_MASK, pin=None, count=2, state='locked')})


def test_no_log_values_are_masked_in_the_result(monkeypatch):
    monkeypatch.setenv('DEMO_PASSWORD', SECRET)
    result = task({'name': 'x'}).run(lambda params, host, redactor: dict(changed=False, note='said %s' % params['password']))
    assert SECRET not in json.dumps(result) and result['note'] == 'said ********'
    assert result['invocation']['module_args']['password'] == NO_LOG_MASK


def test_warnings_of_the_host_follow_those_of_the_body():
    def body(params, host, redactor):
        host.warn('second')
        return dict(changed=False, warnings=['first'])

    assert task({'name': 'x'}).run(body)['warnings'] == ['first', 'second']
    assert 'warnings' not in task({'name': 'x'}).run(lambda params, host, redactor: dict(changed=False))


def test_warnings_of_a_failed_task_are_kept():
    def body(params, host, redactor):
        host.warn('careful')
        raise OracleError('no', 'lock_held')

    assert task({'name': 'x'}).run(body)['warnings'] == ['careful']


@pytest.mark.parametrize('reason, retryable', [('network', True), ('server_error', True), ('bad_response', True),
                                               ('lock_held', False), ('auth_failed', False), ('lock_lost', False)])
def test_oracle_errors_fail_with_reason_retryable_and_detail(reason, retryable):
    def body(params, host, redactor):
        raise OracleError('failed with %s; do this' % SECRET, reason, 423, dict(holder='another user or session', locked=False))

    result = task({'name': 'x', 'password': SECRET}).run(body)
    assert result['failed'] is True and result['reason'] == reason and result['retryable'] is retryable
    assert result['msg'] == 'failed with ********; do this'
    assert result['holder'] == 'another user or session' and result['locked'] is False


def test_an_unexpected_exception_is_internal_error_in_one_line():
    def body(params, host, redactor):
        raise ValueError('bad value %s\nsecond line' % SECRET)

    result = task({'name': 'x', 'password': SECRET}).run(body)
    assert result['failed'] is True and result['reason'] == 'internal_error' and result['retryable'] is False
    assert result['msg'].startswith('internal error: ValueError: bad value ') and 'please report it' in result['msg']
    assert '\n' not in result['msg'] and 'Traceback' not in result['msg']
    assert result['exception'].startswith('Traceback') and 'raise ValueError' in result['exception']
    assert SECRET not in json.dumps(result)


# --------------------------------------------------------------------------------------------- censor_secrets

def test_a_result_with_a_token_is_censored():
    result = dict(changed=True, token='tok-123')
    assert censor_secrets(result) is result and result['_ansible_no_log'] is True


@pytest.mark.parametrize('result', [dict(changed=True), dict(changed=True, token=None), dict(changed=False, token='')])
def test_a_result_without_a_token_is_not_censored(result):
    assert '_ansible_no_log' not in censor_secrets(result)


# --------------------------------------------------------------------------------------------- the LockHost

class Display:
    def __init__(self):
        self.lines = []

    def display(self, msg, *args, **kwargs):
        self.lines.append(msg)


@pytest.mark.parametrize('check_mode, diff', [(False, False), (True, True)])
def test_host_carries_member_check_mode_and_diff(check_mode, diff):
    host = task({'name': 'x'}, check_mode=check_mode, diff=diff, member='sbc-east-1').host()
    assert host.member == 'sbc-east-1' and host.check_mode is check_mode and host.diff is diff


def test_host_warnings_go_into_the_task():
    work = task({'name': 'x'})
    work.host().warn('one line')
    assert work.warnings == ['one line']


def test_host_progress_goes_to_ansible_display(monkeypatch):
    display = Display()
    monkeypatch.setattr(_action, 'display', display)
    task({'name': 'x'}, member='sbc-east-1').host().progress('waiting for another run; waited 5 s of 60 s')
    InProcessTask('demo', SPEC, {'name': 'x'}, False, False).host().progress('still waiting')
    assert display.lines == ['WAITING: [sbc-east-1]: waiting for another run; waited 5 s of 60 s', 'WAITING: [localhost]: still waiting']


def test_a_held_lock_starts_the_keeper_except_in_check_mode(monkeypatch):
    started = []
    monkeypatch.setattr(_action, 'ensure_keeper', lambda store, options, run, warn: started.append((store, options, run, warn)))
    work = task({'name': 'x'})
    work.host().lock_held('store', 'options', 'run')
    assert [entry[:3] for entry in started] == [('store', 'options', 'run')]
    started[0][3]('keeper warning')
    assert work.warnings == ['keeper warning']
    task({'name': 'x'}, check_mode=True).host().lock_held('store', 'options', 'run')
    assert len(started) == 1


def test_one_validator_serves_every_task_of_a_process_and_keeps_nothing_of_one_task_for_the_next(monkeypatch):
    import copy
    before = copy.deepcopy(SPEC.argument_spec)
    first = task({'name': 'a', 'password': SECRET, 'count': 5}).run(lambda params, host, redactor: dict(changed=False, seen=dict(params)))
    monkeypatch.setenv('DEMO_PASSWORD', 'from-the-environment')
    second = task({'name': 'b'}).run(lambda params, host, redactor: dict(changed=False, seen=dict(params)))
    assert _action.validator_for(SPEC) is _action.validator_for(SPEC)
    assert first['seen']['count'] == 5 and second['seen']['count'] == 2  # the default again, not the last task's value
    assert second['seen']['name'] == 'b' and second['seen']['password'] == NO_LOG_MASK  # the fallback, read per task
    assert SECRET not in json.dumps(second)
    assert SPEC.argument_spec == before  # validating never changed the spec


def test_preparing_the_process_never_fails_and_builds_the_validator(monkeypatch):
    monkeypatch.setattr(_action, '_VALIDATORS', {})

    def no_http_stack(*args, **kwargs):
        raise OracleError('the Python library requests is not installed', 'missing_library')

    monkeypatch.setattr(_action, 'HttpClient', no_http_stack)
    _action.prepare_process(SPEC)  # an HTTP stack that cannot be built here is the task's to report, not the import's
    assert id(SPEC) in _action._VALIDATORS
