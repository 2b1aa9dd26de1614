"""The lease format (_lease_format): what a lease holds, and what is read back as one."""

import json
import time

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import LeaseFormatError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import FORMAT, MAX_LEASE_BYTES, Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_key import lease_key
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_proof import make_proof
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run

RUN = Run('ctl', 1000, 111)


def sbc_lease(**changes):
    now = time.time()
    fields = dict(token='tok', issued_at=now, expires_at=now + 600, api_version='v1.2', proof=make_proof('admin', 'pw'), holders=['h1'])
    fields.update(changes)
    return Lease('sbc', 'sbc.test:443', 'configuration', 'admin', RUN, **fields)


def test_a_lease_round_trips_through_its_stored_form():
    lease = sbc_lease(changed_under_lock=True)
    data = lease.to_dict()
    assert data['format'] == FORMAT and lease.key == lease_key('sbc', 'sbc.test:443', 'configuration')
    again = Lease.from_stored(json.dumps(data).encode('utf-8'), lease.key)
    assert again.to_dict() == data and again.run.same(RUN)


def test_what_is_not_a_lease_of_the_key_is_refused():
    lease = sbc_lease()
    raw = json.dumps(lease.to_dict()).encode('utf-8')
    with pytest.raises(LeaseFormatError, match='another lock'):
        Lease.from_stored(raw, lease_key('sbc', 'other.test:443', 'configuration'))
    with pytest.raises(LeaseFormatError, match='larger than'):
        Lease.from_stored(b' ' * (MAX_LEASE_BYTES + 1), lease.key)
    with pytest.raises(ValueError):
        Lease.from_stored(b'\xff', lease.key)
    with pytest.raises(LeaseFormatError, match='without its token'):
        Lease.from_dict(dict(lease.to_dict(), token=None))


def test_a_withheld_token_is_a_lease_without_it_and_format_1_is_still_read():
    lease = sbc_lease()
    assert Lease.from_dict(dict(lease.to_dict(), token=None, token_withheld=True)).token is None
    old = dict(lease.to_dict(), format=1)
    del old['proof'], old['holders']
    assert Lease.from_dict(old).taken_with('admin', 'pw') is None  # no proof: the caller must prove it


def test_who_took_it_and_whether_it_expired():
    lease = sbc_lease()
    assert lease.taken_with('admin', 'pw') is True and lease.taken_with('admin', 'x') is False and lease.taken_with('o', 'pw') is False
    assert not lease.expired() and lease.expired(now=lease.expires_at) and not sbc_lease(expires_at=None).expired()
