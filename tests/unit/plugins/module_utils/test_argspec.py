"""ArgumentSpec (merge never mutates, a later option wins, rules add up) and the modules' specs as ansible-core validates them."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._argspec import (
    CONFIG_COMMIT_SPEC,
    CONFIG_ELEMENT_INFO_SPEC,
    CONFIG_ELEMENT_SPEC,
    LEASE_SPEC,
    LOCK_SPEC,
    SBC_SPEC,
    SDM_SPEC,
    ArgumentSpec,
    connection_spec,
)

CONNECTION = ('host', 'username', 'password', 'validate_certs', 'ca_path', 'timeout', 'api_version')


def validate(spec, args):
    return ArgumentSpecValidator(**spec.to_kwargs()).validate(dict(args))


# --------------------------------------------------------------------------------------------- ArgumentSpec

def test_merge_makes_a_new_spec_and_leaves_both_sides_as_they_were():
    left = ArgumentSpec(dict(a=dict(type='str')), mutually_exclusive=[('a', 'b')])
    right = ArgumentSpec(dict(b=dict(type='int')), required_one_of=[('a', 'b')])
    merged = left.merge(right)
    assert sorted(merged.argument_spec) == ['a', 'b']
    assert merged.rules['mutually_exclusive'] == [('a', 'b')] and merged.rules['required_one_of'] == [('a', 'b')]
    assert sorted(left.argument_spec) == ['a'] and left.rules['required_one_of'] == []
    assert sorted(right.argument_spec) == ['b'] and right.rules['mutually_exclusive'] == []
    merged.argument_spec['a']['type'] = 'int'
    assert left.argument_spec['a']['type'] == 'str'  # deep copies, not shared option dicts


def test_a_later_option_of_the_same_name_wins_and_rules_add_up():
    first = ArgumentSpec(dict(a=dict(type='str', default='x')), required_together=[('a', 'b')], required_by={'a': ['b']})
    second = ArgumentSpec(dict(a=dict(type='int', default=1)), required_together=[('a', 'c')], required_by={'c': ['a']})
    merged = first.merge(second)
    assert merged.argument_spec['a'] == dict(type='int', default=1)
    assert merged.rules['required_together'] == [('a', 'b'), ('a', 'c')]
    assert merged.rules['required_by'] == {'a': ['b'], 'c': ['a']}
    assert first.rules['required_by'] == {'a': ['b']}


def test_a_spec_is_a_copy_of_the_dict_it_was_made_from():
    options = dict(a=dict(type='str'))
    spec = ArgumentSpec(options)
    options['a']['type'] = 'int'
    options['b'] = dict(type='str')
    assert spec.argument_spec == dict(a=dict(type='str'))


def test_to_kwargs_feeds_ansible_module_only_the_rules_there_are_and_copies_them():
    spec = ArgumentSpec(dict(a=dict(type='str'), b=dict(type='str')), mutually_exclusive=[['a', 'b']])
    kwargs = spec.to_kwargs()
    assert kwargs == dict(argument_spec=dict(a=dict(type='str'), b=dict(type='str')), mutually_exclusive=[['a', 'b']])
    kwargs['argument_spec']['a']['type'] = 'int'
    kwargs['mutually_exclusive'][0].append('c')
    assert spec.argument_spec['a']['type'] == 'str' and spec.rules['mutually_exclusive'] == [['a', 'b']]
    assert ArgumentSpec().to_kwargs() == dict(argument_spec={})


# --------------------------------------------------------------------------------------------- the modules' specs

@pytest.mark.parametrize('prefix', ['SBC', 'SDM'])
def test_connection_options_fall_back_to_the_products_environment(prefix, monkeypatch):
    for name, value in (('HOST', 'dev.example.net:8443'), ('USERNAME', 'prov1'), ('PASSWORD', 'secret-1'),
                        ('VALIDATE_CERTS', 'no'), ('TIMEOUT', '7.5'), ('API_VERSION', 'v1.1')):
        monkeypatch.setenv('%s_%s' % (prefix, name), value)
    result = validate(connection_spec(prefix), {})
    assert not result.error_messages
    params = result.validated_parameters
    assert (params['host'], params['username'], params['password']) == ('dev.example.net:8443', 'prov1', 'secret-1')
    assert params['validate_certs'] is False and params['timeout'] == 7.5 and params['api_version'] == 'v1.1'
    assert 'secret-1' in result._no_log_values


def test_connection_defaults():
    params = validate(connection_spec('SBC'), {}).validated_parameters
    assert params['validate_certs'] is True and params['timeout'] == 30.0 and params['api_version'] is None
    assert validate(connection_spec('SDM', api_version_default='v1.3'), {}).validated_parameters['api_version'] == 'v1.3'


def test_every_lock_and_configuration_spec_has_the_connection_and_lease_options():
    for spec in (SBC_SPEC, SDM_SPEC, CONFIG_ELEMENT_SPEC, CONFIG_COMMIT_SPEC, CONFIG_ELEMENT_INFO_SPEC):
        assert set(CONNECTION) <= set(spec.argument_spec)
        assert set(LEASE_SPEC.argument_spec) <= set(spec.argument_spec)
        assert ('lease_etcd_username', 'lease_etcd_password') in spec.rules['required_together']
    for spec in (SBC_SPEC, SDM_SPEC):
        assert set(LOCK_SPEC.argument_spec) <= set(spec.argument_spec)
    assert SDM_SPEC.argument_spec['api_version']['default'] == 'v1.3' and SBC_SPEC.argument_spec['api_version']['default'] is None


def test_lock_and_lease_defaults(monkeypatch):
    for name in ('ORACLE_COMMS_LEASE_DIR', 'ORACLE_COMMS_LEASE_BACKEND', 'ORACLE_COMMS_RELEASE_ON_EXIT', 'SBC_TOKEN_LIFETIME'):
        monkeypatch.delenv(name, raising=False)
    params = validate(SBC_SPEC, dict(host='sbc')).validated_parameters
    assert (params['state'], params['wait_timeout'], params['release_on_exit']) == ('locked', 0.0, True)
    assert (params['lease_backend'], params['lease_ttl'], params['token_lifetime']) == ('file', 15.0, 600.0)
    assert params['return_token'] is False and params['lease_etcd_allow_http'] is False


def test_the_sdm_spec_wants_exactly_one_of_device_id_device_and_group():
    assert validate(SDM_SPEC, dict(device_id=['ID1'])).error_messages == []
    assert validate(SDM_SPEC, dict(group=dict(nf_id='NF1', group_id='G1'))).error_messages == []
    assert validate(SDM_SPEC, {}).error_messages
    assert validate(SDM_SPEC, dict(device_id=['ID1'], device=['edge-1'])).error_messages
    assert validate(SDM_SPEC, dict(group=dict(nf_id='NF1'))).error_messages  # group_id is required


def test_secrets_are_no_log_and_the_etcd_pairs_go_together():
    result = validate(SBC_SPEC, dict(password='pw-123', token='tok-456', lease_etcd_password='etcd-789',
                                     lease_etcd_username='u'))
    assert not result.error_messages
    assert {'pw-123', 'tok-456', 'etcd-789'} <= set(result._no_log_values)
    assert validate(SBC_SPEC, dict(lease_etcd_client_cert='/c.pem')).error_messages
    assert validate(SBC_SPEC, dict(lease_backend='redis')).error_messages


def test_the_configuration_specs_require_what_they_act_on_and_default_the_rest():
    assert validate(CONFIG_ELEMENT_SPEC, {}).error_messages  # element_type
    element = validate(CONFIG_ELEMENT_SPEC, dict(element_type='realm-config')).validated_parameters
    assert (element['state'], element['attributes'], element['key_attributes']) == ('present', {}, None)
    commit = validate(CONFIG_COMMIT_SPEC, {}).validated_parameters
    assert commit['steps'] == ['save', 'verify', 'activate'] and commit['only_if_changed'] is True
    assert commit['async_timeout'] == 300.0
    assert validate(CONFIG_COMMIT_SPEC, dict(steps=['save', 'reboot'])).error_messages
    info = validate(CONFIG_ELEMENT_INFO_SPEC, dict(element_type='realm-config')).validated_parameters
    assert info['filters'] == {} and 'state' not in info
