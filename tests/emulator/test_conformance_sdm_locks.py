"""Conformance: SDM device action (`devices/{id}/action`): every cell of the device action state table.

Cells under their switches (`sdm.lock_status`, `sdm.unlock_free`, `sdm.relock_same_user`, `sdm.lock_foreign`,
`sdm.unlock_foreign`), with `sdm.error_body`, `sdm.error_names_holder`, `sdm.type_match`, `sdm.lock_lifetime`,
JSON and XML bodies; state observed through the control API and the audit log.
"""

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

FORMATS = ["json", "xml"]


def session_ids(cookie):
    """Return the fingerprints an audit event may carry for the session in cookie (full id or its hex part)."""
    sid = cookie.split("=", 1)[1]
    return {cc.fingerprint(sid), cc.fingerprint(sid.split(".")[0])}


def check_event(event, kind, device, user, cookie=None, cause=None):
    """Assert one SDM audit event: event kind, resource device:ID, holder user and (optionally) fingerprint and cause."""
    assert event["event"] == kind and event["product"] == "sdm" and event["instance"] == "sdm1", event
    assert event["resource"] == f"device:{device}" and event["holder"]["user"] == user, event
    if cookie is not None:
        assert event["holder"]["id"] in session_ids(cookie), event
    if cause is not None:
        assert event["cause"] == cause, event


def hold(emu, user, device, via="rest"):
    """Make user hold device, by a REST Lock of a fresh session or through the control API; return the cookie (or None)."""
    if via == "control":
        resp = cc.control(emu, "POST", f"/sdm/sdm1/devices/{device}/lock", {"user": user})
        assert resp.status_code in (200, 201, 204), resp.text
        return None
    cookie = cc.sdm_login(emu, user)
    resp = cc.sdm_action(emu, cookie, device, "Lock")
    assert resp.status_code == 204, (resp.status_code, resp.text)
    return cookie


# ----------------------------------------------------------------- free


@pytest.mark.parametrize("version", ["v1.0", "v1.3"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lock_status", ["204", "200"])
@pytest.mark.parametrize("user", ["prov1", "admin"])
def test_free_lock_grants(emulator, user, lock_status, fmt, version):
    """free + Lock -> held by U; 204 (switch `sdm.lock_status` 200); audit grant with the session's fingerprint."""
    cc.set_switches(emulator, {"sdm.lock_status": lock_status})
    cookie = cc.sdm_login(emulator, user, version)
    resp = cc.sdm_action(emulator, cookie, "ID3", "Lock", fmt, version)
    assert resp.status_code == int(lock_status), resp.text
    cc.assert_product_headers(resp)
    if lock_status == "204":
        assert resp.content == b""
    assert cc.sdm_locks(emulator) == {"ID3": user}
    events = cc.audit(emulator, "sdm1")
    assert len(events) == 1
    check_event(events[0], "grant", "ID3", user, cookie)
    cc.assert_no_secret_in_audit(emulator)


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("unlock_free", ["400", "204", "409"])
def test_free_unlock(emulator, unlock_free, fmt, error_body):
    """free + Unlock -> switch `sdm.unlock_free` 400 / 204 / 409; stays free; no audit event."""
    cc.set_switches(emulator, {"sdm.unlock_free": unlock_free, "sdm.error_body": error_body})
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID1", "Unlock", fmt)
    if unlock_free == "204":
        assert resp.status_code == 204 and resp.content == b"", resp.text
    else:
        cc.assert_sdm_error(resp, int(unlock_free), error_body)
    assert cc.sdm_locks(emulator) == {}
    assert cc.audit(emulator, "sdm1") == []


# ----------------------------------------------------------------- held by U


@pytest.mark.parametrize("error_body", ["text", "json"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which_session", ["same", "other"])
@pytest.mark.parametrize("relock", ["204", "400", "409"])
def test_held_by_caller_lock(emulator, relock, which_session, fmt, error_body):
    """held by U + Lock -> switch `sdm.relock_same_user` 204 (no change) / 400 / 409; any session of U; still held by U."""
    cc.set_switches(emulator, {"sdm.relock_same_user": relock, "sdm.error_body": error_body})
    cookie = hold(emulator, "prov1", "ID1")
    if which_session == "other":
        cookie = cc.sdm_login(emulator, "prov1")
    resp = cc.sdm_action(emulator, cookie, "ID1", "Lock", fmt)
    if relock == "204":
        assert resp.status_code == 204 and resp.content == b"", resp.text
    else:
        cc.assert_sdm_error(resp, int(relock), error_body)
    assert cc.sdm_locks(emulator) == {"ID1": "prov1"}
    assert [e["event"] for e in cc.audit(emulator, "sdm1")] == ["grant"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which_session", ["same", "other"])
@pytest.mark.parametrize("user", ["prov1", "admin"])
def test_held_by_caller_unlock_frees(emulator, user, which_session, fmt):
    """held by U + Unlock -> free, 204 (ownership is per user: another session of U may unlock); audit release."""
    locker = hold(emulator, user, "ID4")
    cookie = cc.sdm_login(emulator, user) if which_session == "other" else locker
    resp = cc.sdm_action(emulator, cookie, "ID4", "Unlock", fmt)
    assert resp.status_code == 204 and resp.content == b"", resp.text
    cc.assert_product_headers(resp)
    assert cc.sdm_locks(emulator) == {}
    events = cc.audit(emulator, "sdm1")
    assert [e["event"] for e in events] == ["grant", "release"]
    check_event(events[1], "release", "ID4", user, locker)  # the holder released is the session that took it
    cc.assert_never_two_holders(events)


# ----------------------------------------------------------------- held by V


@pytest.mark.parametrize("names_holder", ["off", "on"])
@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("lock_foreign", ["400", "409", "423", "403", "500"])
def test_held_by_other_lock(emulator, lock_foreign, error_body, names_holder):
    """held by V + Lock -> switch `sdm.lock_foreign` 400/409/423/403/500 in the `sdm.error_body` shape; holder named iff switch on."""
    cc.set_switches(emulator, {"sdm.lock_foreign": lock_foreign, "sdm.error_body": error_body, "sdm.error_names_holder": names_holder})
    hold(emulator, "prov2", "ID2")
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID2", "Lock")
    cc.assert_sdm_error(resp, int(lock_foreign), error_body, holder="prov2", names_holder=names_holder == "on")
    assert cc.sdm_locks(emulator) == {"ID2": "prov2"}
    assert [e["event"] for e in cc.audit(emulator, "sdm1")] == ["grant"]


@pytest.mark.parametrize("via", ["rest", "control"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lock_foreign", ["400", "409", "423", "403", "500"])
def test_held_by_other_lock_formats(emulator, lock_foreign, fmt, via):
    """held by V (by REST or injected through the control API) + Lock in JSON or XML -> the `sdm.lock_foreign` status."""
    cc.set_switches(emulator, {"sdm.lock_foreign": lock_foreign})
    hold(emulator, "prov2", "ID5", via)
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "admin"), "ID5", "Lock", fmt)
    cc.assert_sdm_error(resp, int(lock_foreign))
    assert cc.sdm_locks(emulator) == {"ID5": "prov2"}


@pytest.mark.parametrize("names_holder", ["off", "on"])
@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("unlock_foreign", ["400", "403", "409", "423"])
def test_held_by_other_unlock(emulator, unlock_foreign, error_body, names_holder):
    """held by V + Unlock -> switch `sdm.unlock_foreign` 400/403/409/423; V keeps it."""
    cc.set_switches(emulator, {"sdm.unlock_foreign": unlock_foreign, "sdm.error_body": error_body, "sdm.error_names_holder": names_holder})
    hold(emulator, "prov2", "ID2")
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "admin"), "ID2", "Unlock")
    cc.assert_sdm_error(resp, int(unlock_foreign), error_body, holder="prov2", names_holder=names_holder == "on")
    assert cc.sdm_locks(emulator) == {"ID2": "prov2"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("unlock_foreign", ["400", "403", "409", "423"])
def test_held_by_other_unlock_formats(emulator, unlock_foreign, fmt):
    """held by V + Unlock in JSON or XML -> the `sdm.unlock_foreign` status."""
    cc.set_switches(emulator, {"sdm.unlock_foreign": unlock_foreign})
    hold(emulator, "prov2", "ID1", "control")
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID1", "Unlock", fmt)
    cc.assert_sdm_error(resp, int(unlock_foreign))
    assert cc.sdm_locks(emulator) == {"ID1": "prov2"}


@pytest.mark.parametrize("lock_foreign", ["400", "409", "423", "403", "500"])
@pytest.mark.parametrize("method,path,body", [
    ("POST", "/rest/v1.3/configuration/devices/ID3/action", {"type": "Save"}),
    ("POST", "/rest/v1.3/configuration/devices/ID3/action", {"type": "SaveAndActivate"}),
])
def test_held_by_other_other_mutating_call(emulator, method, path, body, lock_foreign):
    """While V holds a device, another mutating call by U on it -> the same status as `sdm.lock_foreign`; V keeps it."""
    cc.set_switches(emulator, {"sdm.lock_foreign": lock_foreign})
    hold(emulator, "prov2", "ID3")
    resp = cc.sdm(emulator, method, path, cookie=cc.sdm_login(emulator, "prov1"), body=body)
    cc.assert_sdm_error(resp, int(lock_foreign))
    assert cc.sdm_locks(emulator) == {"ID3": "prov2"}


# ----------------------------------------------------------------- type matching, bad input, unknown device


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("match", ["exact", "insensitive"])
@pytest.mark.parametrize("kind", ["lock", "LOCK", "lOcK", "Lock"])
def test_type_match_lock(emulator, kind, match, fmt):
    """`type` matching: exact `Lock` only (others 400, nothing changes); switch `sdm.type_match=insensitive` accepts any case."""
    cc.set_switches(emulator, {"sdm.type_match": match})
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID1", kind, fmt)
    if kind == "Lock" or match == "insensitive":
        assert resp.status_code == 204, resp.text
        assert cc.sdm_locks(emulator) == {"ID1": "prov1"}
    else:
        cc.assert_sdm_error(resp, 400)
        assert cc.sdm_locks(emulator) == {}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("match", ["exact", "insensitive"])
@pytest.mark.parametrize("kind", ["unlock", "UNLOCK", "Unlock"])
def test_type_match_unlock(emulator, kind, match, fmt):
    """`type` matching for Unlock: exact `Unlock` only (others 400, still held); insensitive accepts any case."""
    cc.set_switches(emulator, {"sdm.type_match": match})
    cookie = hold(emulator, "prov1", "ID1")
    resp = cc.sdm_action(emulator, cookie, "ID1", kind, fmt)
    if kind == "Unlock" or match == "insensitive":
        assert resp.status_code == 204, resp.text
        assert cc.sdm_locks(emulator) == {}
    else:
        cc.assert_sdm_error(resp, 400)
        assert cc.sdm_locks(emulator) == {"ID1": "prov1"}


BAD_ACTION = {
    "unknown-type-json": ("json", b'{"type": "Frobnicate"}'),
    "unknown-type-xml": ("xml", b"<deviceAction><type>Frobnicate</type></deviceAction>"),
    "empty-type": ("json", b'{"type": ""}'),
    "null-type": ("json", b'{"type": null}'),
    "missing-type-json": ("json", b"{}"),
    "missing-type-xml": ("xml", b"<deviceAction></deviceAction>"),
    "json-garbage": ("json", b'{"type": '),
    "json-list": ("json", b'["Lock"]'),
    "xml-garbage": ("xml", b"<deviceAction><type>Lock</type>"),
    "xml-entity": ("xml", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY t "Lock">]><deviceAction><type>&t;</type></deviceAction>'),
    "xml-bad-utf8": ("xml", b"<deviceAction><type>Lock\xff</type></deviceAction>"),
    "empty": ("json", b""),
}


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("case", sorted(BAD_ACTION))
def test_bad_action_body_is_400(emulator, case, error_body):
    """Device action with a bad body or unknown type -> 400 in the `sdm.error_body` shape, no traceback; nothing changes.

    Run with `sdm.type_match=insensitive`, the lenient value: a bad body stays bad even then.
    """
    cc.set_switches(emulator, {"sdm.type_match": "insensitive", "sdm.error_body": error_body})
    fmt, body = BAD_ACTION[case]
    resp = cc.sdm(emulator, "POST", "/rest/v1.3/inventory/deviceMgmt/devices/ID1/action", cookie=cc.sdm_login(emulator, "prov1"),
                  body=body, fmt=fmt)
    cc.assert_sdm_error(resp, 400, error_body)
    assert cc.sdm_locks(emulator) == {}
    assert cc.audit(emulator, "sdm1") == []


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("kind", ["Lock", "Unlock"])
@pytest.mark.parametrize("device", ["ID999", "ID0", "id1", "nope"])
def test_unknown_device_is_404(emulator, device, kind, error_body):
    """Device action on an unknown device -> 404; nothing changes."""
    cc.set_switches(emulator, {"sdm.error_body": error_body})
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), device, kind)
    cc.assert_sdm_error(resp, 404, error_body)
    assert cc.sdm_locks(emulator) == {}


# ----------------------------------------------------------------- lock lifetime


@pytest.mark.parametrize("lifetime,end,kept", [
    ("survive", "logout", True), ("survive", "expiry", True), ("logout", "logout", False), ("expiry", "expiry", False),
])
def test_lock_lifetime(emulator, lifetime, end, kept):
    """Switch `sdm.lock_lifetime`: survive -> the lock outlives logout and idle expiry; logout / expiry -> released then (audited)."""
    cc.set_switches(emulator, {"sdm.lock_lifetime": lifetime})
    cookie = hold(emulator, "prov1", "ID3")
    if end == "logout":
        assert cc.sdm(emulator, "POST", "/rest/v1.3/admin/logout", cookie=cookie).status_code == 204
    else:
        assert cc.control(emulator, "POST", "/sdm/sdm1/expire-sessions", {"user": "prov1"}).status_code in (200, 204)
    events = cc.audit(emulator, "sdm1")
    if kept:
        assert cc.sdm_locks(emulator) == {"ID3": "prov1"}
        assert [e["event"] for e in events] == ["grant"]
        fresh = cc.sdm_login(emulator, "prov1")
        assert cc.sdm_action(emulator, fresh, "ID3", "Unlock").status_code == 204
    else:
        assert cc.sdm_locks(emulator) == {}
        assert [e["event"] for e in events][0] == "grant" and len(events) == 2, events
        assert events[1]["event"] in ("release", "expire") and events[1]["holder"]["user"] == "prov1"
        resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov2"), "ID3", "Lock")
        assert resp.status_code == 204


# ----------------------------------------------------------------- control: inject holder, force-unlock


def test_control_inject_and_force_unlock(emulator):
    """Control: inject a holder user (audited grant) and force-unlock as an administrator would (audited release, cause forced)."""
    hold(emulator, "prov2", "ID1", "control")
    assert cc.sdm_locks(emulator) == {"ID1": "prov2"}
    resp = cc.control(emulator, "POST", "/sdm/sdm1/devices/ID1/release")
    assert resp.status_code in (200, 204), resp.text
    assert cc.sdm_locks(emulator) == {}
    events = cc.audit(emulator, "sdm1")
    assert [e["event"] for e in events] == ["grant", "release"], events
    check_event(events[0], "grant", "ID1", "prov2")
    check_event(events[1], "release", "ID1", "prov2", cause="forced")
    assert cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID1", "Lock").status_code == 204
