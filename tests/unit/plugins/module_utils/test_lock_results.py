"""What a lock task returns: the shared result, and the per-device holders of a device_lock task."""

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock_results import DeviceHolders, lock_result


class Waiter:
    waited = 1.5
    attempts = 2


def test_the_shared_result_has_diff_only_in_diff_mode():
    result = lock_result(True, True, 'us', {'holder': 'nobody'}, {'holder': 'us'}, Waiter(), False, endpoint='e')
    assert result == dict(changed=True, locked=True, holder='us', waited=1.5, attempts=2, endpoint='e')
    assert lock_result(False, False, 'x', 'b', 'a', None, True)['diff'] == {'before': 'b', 'after': 'a'}


def test_device_holders_record_and_result():
    holding = DeviceHolders()
    assert holding.record(['ID2', 'ID10'], {'ID2': 'nobody', 'ID10': 'us'}, 'us', True) is True
    holding.taken_ids.update(['ID10', 'ID2'])
    holding.run_holders.update(['web2', 'web1'])
    result = holding.result(True, Waiter(), True, 'locked', 'sdm.test:443')
    assert result['locked'] is True and result['holder'] == {'ID2': 'us', 'ID10': 'us'}
    assert result['taken_ids'] == ['ID2', 'ID10'] and result['holders'] == ['web1', 'web2']
    assert result['diff']['before'] == {'holder': {'ID2': 'nobody', 'ID10': 'us'}}


def test_a_shared_release_returns_the_hosts_that_still_hold_it():
    holding = DeviceHolders()
    holding.record(['ID1'], 'us', 'us', False)
    holding.holders = ['web2']
    result = holding.result(False, Waiter(), False, 'unlocked', 'sdm.test:443')
    assert result['holders'] == ['web2'] and 'taken_ids' not in result


def test_the_detail_of_a_failure_names_each_device():
    holding = DeviceHolders()
    holding.record(['ID1'], 'us', 'nobody', False)
    detail = holding.detail({'ID2': 'user prov2'}, Waiter())
    assert detail == {'device_ids': ['ID1'], 'holder': {'ID1': 'nobody', 'ID2': 'user prov2'}, 'locked': False, 'waited': 1.5,
                      'attempts': 2}
    assert DeviceHolders().detail({'ID3': 'unknown'}, Waiter())['device_ids'] == ['ID3']
