"""The names the lease record keeps (_lease_key): lease keys and keeper scopes."""

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import is_lease_key, lease_key, scope_key


def test_a_lease_key_is_readable_stable_and_one_per_lock():
    key = lease_key('sbc', 'sbc.test:443', 'configuration')
    assert key.startswith('sbc_sbc.test_443_configuration-') and key == lease_key('sbc', 'sbc.test:443', 'configuration')
    assert is_lease_key(key)
    others = {lease_key('sdm', 'sbc.test:443', 'configuration'), lease_key('sbc', 'sbc.test:444', 'configuration'),
              lease_key('sbc', 'sbc.test:443', 'device:1')}
    assert key not in others and len(others) == 3


def test_a_long_or_odd_resource_still_makes_a_key_of_the_scheme():
    key = lease_key('sdm', 'sdm.test:8443', 'device:' + '../' * 60)
    assert is_lease_key(key) and '/' not in key


def test_only_names_of_the_scheme_are_lease_keys():
    for name in ('', None, '..', 'keeper-0123456789abcdef', 'sbc_x', 'sbc_a/b-0123456789', 'sbc_x-0123456789.json'):
        assert not is_lease_key(name), name


def test_a_scope_is_one_run_product_endpoint_and_user():
    key = scope_key('vm:1:2', 'sbc', 'sbc.test:443', 'admin')
    assert key.startswith('keeper-') and len(key) == len('keeper-') + 16 and not is_lease_key(key)
    assert scope_key('vm:1:2', 'sbc', 'sbc.test:443', None) == scope_key('vm:1:2', 'sbc', 'sbc.test:443', '')
    assert key != scope_key('vm:1:2', 'sbc', 'sbc.test:443', 'admin2')
