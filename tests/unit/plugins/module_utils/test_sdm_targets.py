"""SDM targets: canonical order, one target per device or one per group, names resolved from the device list."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, REASON_NOT_FOUND, OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sdm_targets import (
    canonical_order,
    device_target,
    resolve_names,
    resolve_targets,
)

INVENTORY = [{'id': 'ID10', 'name': 'sbc-a', 'ip': '10.0.0.1', 'nfId': 'NF1', 'groupId': 'G1'},
             {'id': 'ID2', 'name': 'sbc-b', 'ip': '10.0.0.2', 'nfId': 'NF1', 'parentGroupId': 'G1'},
             {'id': 'ID3', 'name': 'twin', 'ip': '10.0.0.3'},
             {'id': 'ID4', 'name': 'twin', 'ip': '10.0.0.4'}]


class Options:
    def __init__(self, group=None, devices=None, device_ids=None):
        self.group = group
        self.devices = devices
        self.device_ids = device_ids


class Session:
    def __init__(self):
        self.sent = []

    def devices(self):
        return INVENTORY

    def device_action(self, device_id, action):
        self.sent.append((device_id, action))

    def group_action(self, nf_id, group_id, action):
        self.sent.append(('%s/%s' % (nf_id, group_id), action))


def test_canonical_order_is_natural_and_unique():
    assert canonical_order(['ID10', 'ID2', 'ID2', 'ID1']) == ['ID1', 'ID2', 'ID10']


def test_a_device_target_sends_its_action_through_the_session():
    session = Session()
    target = device_target('ID7', lambda: session)
    target.send('Lock')
    assert (target.label, target.device_ids, session.sent) == ('device ID7', ['ID7'], [('ID7', 'Lock')])


def test_ids_give_one_target_each_in_canonical_order():
    targets = resolve_targets(Options(device_ids=['ID10', 'ID2']), pytest.fail, 'sdm.test:443', 'prov1')
    assert [target.device_ids for target in targets] == [['ID2'], ['ID10']]


def test_a_group_is_one_target_of_its_members():
    session = Session()
    [target] = resolve_targets(Options(group=('NF1', 'G1')), lambda: session, 'sdm.test:443', 'prov1')
    target.send('Unlock')
    assert target.device_ids == ['ID2', 'ID10'] and session.sent == [('NF1/G1', 'Unlock')]


def test_an_empty_group_is_not_found():
    with pytest.raises(OracleError) as caught:
        resolve_targets(Options(group=('NF9', 'G9')), Session, 'sdm.test:443', 'prov1')
    assert caught.value.reason == REASON_NOT_FOUND and 'user prov1' in caught.value.msg


def test_names_resolve_by_name_ip_or_id_and_unknown_or_ambiguous_ones_fail():
    assert resolve_names(['sbc-a', '10.0.0.2', 'ID3'], INVENTORY, 'sdm.test:443') == ['ID10', 'ID2', 'ID3']
    with pytest.raises(OracleError) as caught:
        resolve_names(['nope'], INVENTORY, 'sdm.test:443')
    assert caught.value.reason == REASON_NOT_FOUND
    with pytest.raises(OracleError) as caught:
        resolve_names(['twin'], INVENTORY, 'sdm.test:443')
    assert caught.value.reason == REASON_BAD_INPUT and 'ID3' in caught.value.msg and 'ID4' in caught.value.msg
