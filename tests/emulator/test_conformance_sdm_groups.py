"""Conformance: SDM device-group action (`nfMgmt/nfs/{nfId}/groups/{gid}/action`).

The device table applied to every member, all-or-nothing (switch `sdm.group_mode=partial`), JSON and XML;
400 / 401 / 404 rows under `sdm.error_body`.
"""

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

FORMATS = ["json", "xml"]


@pytest.mark.parametrize("version", cc.SDM_VERSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("nf,group", sorted(cc.SDM_GROUPS))
def test_group_lock_and_unlock(emulator, nf, group, fmt, version):
    """Group Lock -> 204, every member held by U (one grant each); group Unlock -> 204, every member free."""
    cookie = cc.sdm_login(emulator, "prov1", version)
    members = cc.SDM_GROUPS[(nf, group)]
    resp = cc.sdm_group_action(emulator, cookie, nf, group, "Lock", fmt, version)
    assert resp.status_code == 204 and resp.content == b"", resp.text
    cc.assert_product_headers(resp)
    assert cc.sdm_locks(emulator) == {m: "prov1" for m in members}
    grants = [e for e in cc.audit(emulator, "sdm1") if e["event"] == "grant"]
    assert sorted(e["resource"] for e in grants) == sorted(f"device:{m}" for m in members)
    resp = cc.sdm_group_action(emulator, cookie, nf, group, "Unlock", fmt, version)
    assert resp.status_code == 204, resp.text
    assert cc.sdm_locks(emulator) == {}
    cc.assert_never_two_holders(cc.audit(emulator))


def test_group_lock_when_caller_holds_a_member(emulator):
    """Group Lock where U already holds one member (relock 204 default) -> 204, all held by U."""
    cookie = cc.sdm_login(emulator, "prov1")
    assert cc.sdm_action(emulator, cookie, "ID2", "Lock").status_code == 204
    assert cc.sdm_group_action(emulator, cookie, "ID101", "ID201", "Lock").status_code == 204
    assert cc.sdm_locks(emulator) == {"ID1": "prov1", "ID2": "prov1"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", ["all", "partial"])
@pytest.mark.parametrize("lock_foreign", ["400", "409", "423", "403", "500"])
def test_group_lock_member_held_by_other(emulator, lock_foreign, mode, fmt):
    """Group Lock with a member held by V -> `sdm.lock_foreign` status; all: nothing changes; partial: free members are taken."""
    cc.set_switches(emulator, {"sdm.lock_foreign": lock_foreign, "sdm.group_mode": mode})
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID2/lock", {"user": "prov2"}).status_code in (200, 201, 204)
    resp = cc.sdm_group_action(emulator, cc.sdm_login(emulator, "prov1"), "ID101", "ID201", "Lock", fmt)
    cc.assert_sdm_error(resp, int(lock_foreign))
    expected = {"ID2": "prov2"} if mode == "all" else {"ID1": "prov1", "ID2": "prov2"}
    assert cc.sdm_locks(emulator) == expected
    cc.assert_never_two_holders(cc.audit(emulator))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", ["all", "partial"])
@pytest.mark.parametrize("unlock_foreign", ["400", "403", "409", "423"])
def test_group_unlock_member_held_by_other(emulator, unlock_foreign, mode, fmt):
    """Group Unlock with a member held by V -> `sdm.unlock_foreign` status; all: U keeps its member; partial: U's member is freed."""
    cc.set_switches(emulator, {"sdm.unlock_foreign": unlock_foreign, "sdm.group_mode": mode})
    cookie = cc.sdm_login(emulator, "prov1")
    assert cc.sdm_action(emulator, cookie, "ID4", "Lock").status_code == 204
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID5/lock", {"user": "prov2"}).status_code in (200, 201, 204)
    resp = cc.sdm_group_action(emulator, cookie, "ID103", "ID203", "Unlock", fmt)
    cc.assert_sdm_error(resp, int(unlock_foreign))
    expected = {"ID4": "prov1", "ID5": "prov2"} if mode == "all" else {"ID5": "prov2"}
    assert cc.sdm_locks(emulator) == expected


@pytest.mark.parametrize("unlock_free", ["400", "204", "409"])
def test_group_unlock_free_members(emulator, unlock_free):
    """Group Unlock of free members applies the device table (`sdm.unlock_free`); the members stay free."""
    cc.set_switches(emulator, {"sdm.unlock_free": unlock_free})
    resp = cc.sdm_group_action(emulator, cc.sdm_login(emulator, "prov1"), "ID102", "ID202", "Unlock")
    if unlock_free == "204":
        assert resp.status_code == 204, resp.text
    else:
        cc.assert_sdm_error(resp, int(unlock_free))
    assert cc.sdm_locks(emulator) == {}


BAD_GROUP_BODY = {
    "unknown-type": ("json", b'{"type": "Frobnicate"}'),
    "missing-type": ("json", b"{}"),
    "json-garbage": ("json", b"{"),
    "xml-garbage": ("xml", b"<deviceGroupAction><type>Lock"),
    "xml-unknown-type": ("xml", b"<deviceGroupAction><type>Explode</type></deviceGroupAction>"),
    "lowercase-exact": ("json", b'{"type": "lock"}'),
    "empty": ("xml", b""),
}


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("case", sorted(BAD_GROUP_BODY))
def test_group_bad_body_is_400(emulator, case, error_body):
    """Group action with a bad body or unknown type -> 400 in the `sdm.error_body` shape, no traceback; nothing changes."""
    cc.set_switches(emulator, {"sdm.error_body": error_body})
    fmt, body = BAD_GROUP_BODY[case]
    resp = cc.sdm(emulator, "POST", "/rest/v1.3/inventory/nfMgmt/nfs/ID101/groups/ID201/action", cookie=cc.sdm_login(emulator, "prov1"),
                  body=body, fmt=fmt)
    cc.assert_sdm_error(resp, 400, error_body)
    assert cc.sdm_locks(emulator) == {}


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("nf,group", [("ID999", "ID201"), ("ID101", "ID999"), ("ID101", "ID202"), ("nf", "grp")])
def test_group_unknown_is_404(emulator, nf, group, error_body):
    """Group action on an unknown NF, unknown group or a group of another NF -> 404; nothing changes."""
    cc.set_switches(emulator, {"sdm.error_body": error_body})
    resp = cc.sdm_group_action(emulator, cc.sdm_login(emulator, "prov1"), nf, group, "Lock")
    cc.assert_sdm_error(resp, 404, error_body)
    assert cc.sdm_locks(emulator) == {}


@pytest.mark.parametrize("www", ["on", "off"])
@pytest.mark.parametrize("cookie", [None, "JSESSIONID=" + "f" * 32 + ".tomcat1"])
def test_group_without_session_is_401(emulator, cookie, www):
    """Group action without a live session -> 401 (WWW-Authenticate per switch); nothing changes."""
    cc.set_switches(emulator, {"sdm.www_authenticate": www})
    resp = cc.sdm_group_action(emulator, cookie, "ID101", "ID201", "Lock")
    cc.assert_sdm_error(resp, 401)
    assert ("WWW-Authenticate" in resp.headers) == (www == "on")
    assert cc.sdm_locks(emulator) == {}
