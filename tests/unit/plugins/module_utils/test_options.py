"""connection_from_params and the device id helpers: every option checked before any traffic, as Ansible hands the options over."""

import math

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import SBC_SPEC, SDM_SPEC
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._text import Redactor
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._options import (
    TIMEOUT_RANGE,
    TOKEN_LIFETIME_RANGE,
    WAIT_TIMEOUT_RANGE,
    connection_from_params,
    device_ids_from_params,
    group_from_params,
    seconds,
)
from tests.collection_path import REPO_ROOT

from .lock_task import validated

# Hypothesis keeps its caches under tests/output (ignored by git and by the collection build), not in the checkout's root.
set_hypothesis_home_dir(REPO_ROOT / 'tests' / 'output' / 'hypothesis')

#: Each property test tries this many inputs; the total is in docs/hostile-inputs.md.
EXAMPLES = 600
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

SECRET = 'prov1-secret'


def params_of(spec, **args):
    """The options as the modules get them: through ansible-core's own validation of the argument spec."""
    base = dict(host='sdm.example.net', username='prov1', password=SECRET, lease_dir='/nonexistent', device_id=['ID1'])
    if spec is SBC_SPEC:
        base.pop('device_id')
    base.update(args)
    base = dict((name, value) for name, value in base.items() if value is not None)  # None: the option is not given
    return validated(spec, base)


def refused(spec, prefix='SDM', **args):
    """The one-line message connection_from_params refuses ``args`` with (it must be bad_input)."""
    params = params_of(spec, **args)
    redactor = Redactor()
    with pytest.raises(OracleError) as caught:
        connection_from_params(params, prefix, 8443, redactor)
    error = caught.value
    assert error.reason == REASON_BAD_INPUT, error.msg
    assert error.msg and '\n' not in error.msg and len(error.msg) < 300, error.msg
    assert SECRET not in error.msg
    assert SECRET in redactor.secrets or not params['password']  # known to the redactor before any check can fail
    return error.msg


def test_good_options_come_back_checked_and_canonical():
    conn = connection_from_params(params_of(SBC_SPEC, host='HTTPS://SBC1.Example.NET/', timeout='12', wait_timeout=5,
                                            token_lifetime=60, api_version='v1.2'), 'SBC', 443, Redactor())
    assert conn.endpoint.netloc == 'sbc1.example.net:443'
    assert (conn.username, conn.password, conn.api_version) == ('prov1', SECRET, 'v1.2')
    assert (conn.timeout, conn.wait_timeout, conn.token_lifetime) == (12.0, 5.0, 60.0)
    conn = connection_from_params(params_of(SDM_SPEC), 'SDM', 8443, Redactor())
    assert conn.endpoint.netloc == 'sdm.example.net:8443' and conn.api_version == 'v1.3' and conn.token_lifetime is None


@pytest.mark.parametrize('args, words', [
    ({'host': '127.0.0.1?:8443'}, 'host '),
    ({'host': '127.0.0.1#:8443'}, 'host '),
    ({'host': 'a..b'}, 'host '),
    ({'host': 'x' * 5000}, 'host '),
    ({'host': 'http://sdm.example.net'}, 'HTTPS only'),
    ({'host': ''}, 'host is not set: give the host option or set SDM_HOST'),
    ({'username': ''}, 'username is not set'),
    ({'password': ''}, 'password is not set'),
    ({'username': 'prov1\nroot'}, 'username'),
    ({'username': 'prov1\x1b[2J'}, 'username'),
    ({'api_version': 'v1.2\n'}, 'api_version'),
    ({'api_version': 'v1.2 '}, 'api_version'),
    ({'api_version': ' v1.2'}, 'api_version'),
    ({'api_version': 'v\u0661.\u0662'}, 'ASCII'),
    ({'api_version': 'v\uff11.2'}, 'api_version'),
    ({'api_version': 'v1.2/../../admin'}, 'api_version'),
    ({'api_version': 'v1.2?x=1'}, 'api_version'),
    ({'api_version': '1.2'}, 'api_version'),
    ({'api_version': 'v1.2.3'}, 'api_version'),
    ({'api_version': 'v1' + '\u0661' * 5000 + '.2'}, 'api_version'),
    ({'timeout': 'nan'}, 'timeout must be more than 0 and at most 3600 seconds, not nan; set timeout (or SDM_TIMEOUT)'),
    ({'timeout': 'inf'}, 'timeout must be'),
    ({'timeout': '-inf'}, 'timeout must be'),
    ({'timeout': 0}, 'timeout must be'),
    ({'timeout': -1}, 'timeout must be'),
    ({'timeout': 3600.5}, 'timeout must be'),
    ({'timeout': '1e400'}, 'timeout must be'),
    ({'wait_timeout': 'nan'}, 'wait_timeout must be at least 0 and at most 86400 seconds'),
    ({'wait_timeout': 'inf'}, 'wait_timeout'),
    ({'wait_timeout': -1}, 'wait_timeout'),
    ({'wait_timeout': 86401}, 'wait_timeout'),
    ({'ca_path': '/nonexistent/ca.pem'}, 'ca_path'),
    ({'ca_path': '/'}, 'ca_path'),
    ({'ca_path': '/nonexistent/' + 'x' * 500}, 'ca_path'),
])
def test_each_bad_option_is_bad_input_naming_it(args, words):
    assert words in refused(SDM_SPEC, **args)


@pytest.mark.parametrize('value', ['0', '-5', '0.99', 'nan', 'inf', '1e300', '86401'])
def test_a_token_lifetime_outside_1_to_86400_seconds_is_refused_before_any_traffic(value):
    assert 'token_lifetime must be at least 1 and at most 86400 seconds' in refused(SBC_SPEC, 'SBC', token_lifetime=value)


def test_ca_path_is_not_looked_at_when_certificates_are_not_checked():
    conn = connection_from_params(params_of(SDM_SPEC, ca_path='/nonexistent', validate_certs=False), 'SDM', 8443, Redactor())
    assert conn.validate_certs is False


def test_numbers_outside_ansible_are_checked_too():
    for value in (True, None, [], 'ten', 10 ** 400, float('nan')):
        with pytest.raises(OracleError) as caught:
            seconds(value, 'timeout', TIMEOUT_RANGE)
        assert caught.value.reason == REASON_BAD_INPUT
    assert seconds('7', 'timeout', TIMEOUT_RANGE) == 7.0 and seconds(0, 'wait_timeout', WAIT_TIMEOUT_RANGE) == 0.0


# --------------------------------------------------------------------------------------------- device ids and groups

def test_device_ids_are_canonical_unique_and_in_the_order_given():
    assert device_ids_from_params({'device_id': [' ID3', 'ID1 ', 'ID3']}) == ['ID3', 'ID1']
    assert device_ids_from_params({'device_id': 'ID7'}) == ['ID7']
    assert device_ids_from_params({'device': ['sbc-east-1']}) == []


@pytest.mark.parametrize('device_id, words', [
    (['ID1/../ID2'], "device_id 'ID1/../ID2' is not an SDM id"),
    (['./ID2'], 'device_id'),
    (['ID%32'], 'device_id'),
    (['../../../../admin/logout'], 'device_id'),
    (['ID1?x=1'], 'device_id'),
    (['ID1#'], 'device_id'),
    (['ID1', 'ID2/..'], 'device_id item 2'),
    (['ID1', ' '], 'device_id item 2 is empty'),
    ([], 'device_id is empty'),
    ([' '], 'device_id is empty'),
])
def test_hostile_device_ids_are_refused_naming_the_option(device_id, words):
    with pytest.raises(OracleError) as caught:
        device_ids_from_params(params_of(SDM_SPEC, device_id=device_id))
    assert caught.value.reason == REASON_BAD_INPUT and words in caught.value.msg, caught.value.msg


def test_group_ids_are_canonical():
    assert group_from_params(params_of(SDM_SPEC, device_id=None, group={'nf_id': ' ID101', 'group_id': 'ID201 '})) == ('ID101', 'ID201')
    assert group_from_params({'device_id': ['ID1']}) is None


@pytest.mark.parametrize('group, words', [
    ({'nf_id': 'ID101/..', 'group_id': 'ID201'}, 'group.nf_id'),
    ({'nf_id': 'ID101', 'group_id': 'ID201?x'}, 'group.group_id'),
    ({'nf_id': '..', 'group_id': 'ID201'}, 'group.nf_id'),
    ({'nf_id': 'ID101', 'group_id': ''}, 'group.group_id is empty'),
])
def test_hostile_group_ids_are_refused_naming_the_option(group, words):
    with pytest.raises(OracleError) as caught:
        group_from_params(params_of(SDM_SPEC, device_id=None, group=group))
    assert caught.value.reason == REASON_BAD_INPUT and words in caught.value.msg, caught.value.msg


# --------------------------------------------------------------------------------------------- properties

NUMBERS = st.one_of(
    st.floats(), st.integers(), st.integers(min_value=10 ** 300), st.booleans(), st.none(),
    st.text(max_size=12), st.sampled_from(['nan', 'NaN', '-nan', 'inf', '-Infinity', '1e309', '0x10', '1_0', ' 5 ', '\u0665', '5\n']),
    st.floats().map(repr),
)


@PROPERTY
@given(NUMBERS, st.sampled_from([('timeout', TIMEOUT_RANGE), ('wait_timeout', WAIT_TIMEOUT_RANGE), ('token_lifetime', TOKEN_LIFETIME_RANGE)]))
def test_property_a_number_option_is_finite_and_in_range_or_bad_input(value, option):
    name, (low, low_included, high) = option
    try:
        number = seconds(value, name, (low, low_included, high))
    except OracleError as exc:
        event('refused')
        assert exc.reason == REASON_BAD_INPUT and exc.msg.startswith(name + ' must be') and '\n' not in exc.msg, exc.msg
        return
    event('accepted')
    assert isinstance(number, float) and math.isfinite(number) and (low < number or (low_included and number == low)) and number <= high


@PROPERTY
@given(st.one_of(st.text(), st.from_regex(r'\Av[0-9]{1,3}\.[0-9]{1,3}\Z'), st.from_regex(r'v\d\.\d')))
def test_property_api_version_is_v_digits_dot_digits_in_ascii_or_bad_input(value):
    params = {'host': 'sdm.example.net', 'username': 'prov1', 'password': SECRET, 'timeout': 30.0, 'api_version': value}
    try:
        conn = connection_from_params(params, 'SDM', 8443, Redactor())
    except OracleError as exc:
        event('refused')
        assert exc.reason == REASON_BAD_INPUT and exc.msg.startswith('api_version ') and '\n' not in exc.msg, exc.msg
        return
    event('accepted')
    major, minor = (conn.api_version or 'v1.3')[1:].split('.')
    assert conn.api_version in (None, value) and major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()


@PROPERTY
@given(st.lists(st.one_of(st.text(max_size=70), st.text(alphabet='ID0123456789./%?#_- ', max_size=10)), max_size=4))
def test_property_a_device_id_list_is_all_ids_or_bad_input(items):
    try:
        device_ids = device_ids_from_params({'device_id': items})
    except OracleError as exc:
        event('refused')
        assert exc.reason == REASON_BAD_INPUT and exc.msg.startswith('device_id') and '\n' not in exc.msg, exc.msg
        return
    event('accepted')
    assert device_ids and len(device_ids) == len(set(device_ids)) and set(device_ids) == set(item.strip(' \t\r\n') for item in items)
