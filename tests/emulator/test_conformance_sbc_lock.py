"""Conformance: SBC `configuration/lock` and `configuration/unlock` rows, and the other holders (acli / gui / sdm).

Each cell of the lock and unlock rows of docs/emulator.md, under every value of
`sbc.relock_same_token`, `sbc.lock_foreign_text`, `sbc.message_shape` and `sbc.acli_shares_lock`.
"""

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

OTHER_HOLDERS = ["same-user-token", "other-user-token", "acli", "gui", "sdm"]


def take_as(emu, holder, inst="sbc1"):
    """Make holder (another REST token or a non-REST kind) hold the SBC lock; return a description for asserts."""
    if holder == "same-user-token":
        return {"kind": "rest", "user": "admin", "id": cc.fingerprint(cc.sbc_locked_token(emu, "admin", inst=inst))}
    if holder == "other-user-token":
        return {"kind": "rest", "user": "admin2", "id": cc.fingerprint(cc.sbc_locked_token(emu, "admin2", inst=inst))}
    resp = cc.control(emu, "POST", f"/sbc/{inst}/lock", {"kind": holder, "user": "cli-user"})
    assert resp.status_code in (200, 201, 204), (resp.status_code, resp.text)
    return {"kind": holder, "user": "cli-user"}


def assert_holder(emu, expected, inst="sbc1"):
    """Assert the control API's lock state shows expected ({kind, user[, id]}) as holder."""
    state = cc.sbc_lock_state(emu, inst)
    assert state["held"] is True, state
    for key, value in expected.items():
        assert state["holder"][key] == value, (state, expected)


# ----------------------------------------------------------------- lock


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("held", [False, True])
@pytest.mark.parametrize("call", ["lock", "unlock"])
def test_non_admin_gets_403(emulator, call, held, shape):
    """lock / unlock row: a non-admin token -> 403 envelope; the lock does not change."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    if held:
        take_as(emulator, "other-user-token")
    before = cc.sbc_lock_state(emulator)
    tok = cc.sbc_token(emulator, "operator")
    resp = cc.sbc_lock(emulator, tok) if call == "lock" else cc.sbc_unlock(emulator, tok)
    cc.assert_sbc_error(resp, 403, shape=shape)
    assert cc.sbc_lock_state(emulator) == before


@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
@pytest.mark.parametrize("user", ["admin", "admin2"])
def test_lock_free_grants_to_token(emulator, user, version):
    """lock row, free: holder = this token, 204 without body; audit `grant` with the token's fingerprint."""
    tok = cc.sbc_token(emulator, user, version)
    resp = cc.sbc_lock(emulator, tok, version)
    assert resp.status_code == 204
    cc.assert_no_body(resp)
    assert_holder(emulator, {"kind": "rest", "user": user, "id": cc.fingerprint(tok)})
    events = cc.audit(emulator, "sbc1")
    assert len(events) == 1, events
    event = events[0]
    assert event["event"] == "grant" and event["product"] == "sbc" and event["instance"] == "sbc1"
    assert event["resource"] == "configuration"
    assert event["holder"] == {"kind": "rest", "user": user, "id": cc.fingerprint(tok)}
    assert isinstance(event["seq"], int) and event["ts"]
    cc.assert_no_secret_in_audit(emulator)


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("relock", ["204", "423"])
def test_lock_held_by_this_token(emulator, relock, shape):
    """lock row, held by this token: switch `sbc.relock_same_token` 204 / 423 "Resource locked by another user"; holder unchanged."""
    cc.set_switches(emulator, {"sbc.relock_same_token": relock, "sbc.message_shape": shape})
    tok = cc.sbc_locked_token(emulator)
    resp = cc.sbc_lock(emulator, tok)
    if relock == "204":
        assert resp.status_code == 204
        cc.assert_no_body(resp)
    else:
        cc.assert_sbc_error(resp, 423, cc.TEXT_LOCKED, shape)
    assert_holder(emulator, {"kind": "rest", "id": cc.fingerprint(tok)})
    assert [e["event"] for e in cc.audit(emulator, "sbc1")] == ["grant"]


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("text_switch", ["default", "alt"])
@pytest.mark.parametrize("holder", OTHER_HOLDERS)
def test_lock_held_by_other_is_423(emulator, holder, text_switch, shape):
    """lock row, held by anything else -> 423 with the `sbc.lock_foreign_text` text; the holder keeps it."""
    cc.set_switches(emulator, {"sbc.lock_foreign_text": text_switch, "sbc.message_shape": shape})
    expected = take_as(emulator, holder)
    tok = cc.sbc_token(emulator, "admin")
    resp = cc.sbc_lock(emulator, tok)
    cc.assert_sbc_error(resp, 423, cc.TEXT_LOCKED if text_switch == "default" else cc.TEXT_LOCKED_ALT, shape)
    assert_holder(emulator, expected)
    cc.assert_never_two_holders(cc.audit(emulator))


@pytest.mark.parametrize("holder", ["acli", "gui", "sdm"])
@pytest.mark.parametrize("shares", ["on", "off"])
def test_acli_shares_lock(emulator, shares, holder):
    """Switch `sbc.acli_shares_lock`: on -> an acli/gui/sdm holder blocks REST lock (423); off -> REST lock succeeds (204)."""
    cc.set_switches(emulator, {"sbc.acli_shares_lock": shares})
    resp = cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": holder, "user": "cli-user"})
    assert resp.status_code in (200, 201, 204), resp.text
    tok = cc.sbc_token(emulator)
    resp = cc.sbc_lock(emulator, tok)
    if shares == "on":
        cc.assert_sbc_error(resp, 423, cc.TEXT_LOCKED)
        assert_holder(emulator, {"kind": holder, "user": "cli-user"})
    else:
        assert resp.status_code == 204, resp.text
        assert cc.sbc_unlock(emulator, tok).status_code == 204


# ----------------------------------------------------------------- unlock


@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
def test_unlock_held_by_this_token_frees(emulator, version):
    """unlock row, held by this token -> free, 204 without body; audit `release` with the token's fingerprint."""
    tok = cc.sbc_token(emulator, version=version)
    assert cc.sbc_lock(emulator, tok, version).status_code == 204
    resp = cc.sbc_unlock(emulator, tok, version)
    assert resp.status_code == 204
    cc.assert_no_body(resp)
    assert cc.sbc_lock_state(emulator) == {"held": False, "holder": None}
    events = cc.audit(emulator, "sbc1")
    assert [e["event"] for e in events] == ["grant", "release"], events
    assert events[1]["holder"]["id"] == cc.fingerprint(tok) and events[1]["resource"] == "configuration"
    assert events[1]["seq"] > events[0]["seq"]
    cc.assert_never_two_holders(events)
    cc.assert_no_secret_in_audit(emulator)
    other = cc.sbc_token(emulator, "admin2")
    assert cc.sbc_lock(emulator, other).status_code == 204


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("text_switch", ["default", "alt"])
@pytest.mark.parametrize("holder", OTHER_HOLDERS)
def test_unlock_held_by_other_is_423(emulator, holder, text_switch, shape):
    """unlock row, held by other -> 423 "Resource locked by another user" (`lock_foreign_text` is for lock only); holder keeps it."""
    cc.set_switches(emulator, {"sbc.lock_foreign_text": text_switch, "sbc.message_shape": shape})
    expected = take_as(emulator, holder)
    resp = cc.sbc_unlock(emulator, cc.sbc_token(emulator, "admin"))
    cc.assert_sbc_error(resp, 423, cc.TEXT_LOCKED, shape)
    assert_holder(emulator, expected)


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
def test_unlock_free_is_423(emulator, version, shape):
    """unlock row, free -> 423 "User does not have the lock"; still free, no audit event."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    resp = cc.sbc_unlock(emulator, cc.sbc_token(emulator), version)
    cc.assert_sbc_error(resp, 423, cc.TEXT_NO_LOCK, shape)
    assert cc.sbc_lock_state(emulator)["held"] is False
    assert cc.audit(emulator, "sbc1") == []


# ----------------------------------------------------------------- other holders through the control API


@pytest.mark.parametrize("kind", ["acli", "gui", "sdm"])
def test_other_holder_take_and_release_audited(emulator, kind):
    """Other holders: take (audit grant, kind) then force-release (audit release, cause `forced`); REST lock then succeeds."""
    take_as(emulator, kind)
    assert_holder(emulator, {"kind": kind, "user": "cli-user"})
    resp = cc.control(emulator, "POST", "/sbc/sbc1/release")
    assert resp.status_code in (200, 204), resp.text
    assert cc.sbc_lock_state(emulator)["held"] is False
    events = cc.audit(emulator, "sbc1")
    assert [e["event"] for e in events] == ["grant", "release"], events
    assert events[0]["holder"]["kind"] == kind and events[0]["holder"]["user"] == "cli-user"
    assert events[1]["cause"] == "forced"
    assert cc.sbc_lock(emulator, cc.sbc_token(emulator)).status_code == 204


@pytest.mark.parametrize("kind", ["acli", "gui", "sdm"])
@pytest.mark.parametrize("first", ["rest", "acli"])
def test_other_holder_take_when_held_is_409(emulator, first, kind):
    """Control `POST /sbc/{inst}/lock` on a held lock -> 409; the first holder keeps it."""
    expected = take_as(emulator, "other-user-token") if first == "rest" else take_as(emulator, "acli")
    resp = cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": kind, "user": "late"})
    assert resp.status_code == 409, resp.text
    assert_holder(emulator, expected)


def test_lock_stolen_mid_play(emulator):
    """Fault "lock stolen": release + take as acli while a REST token holds it; the token's unlock then gets 423 (held by other)."""
    tok = cc.sbc_locked_token(emulator)
    assert cc.control(emulator, "POST", "/sbc/sbc1/release").status_code in (200, 204)
    take_as(emulator, "acli")
    cc.assert_sbc_error(cc.sbc_unlock(emulator, tok), 423, cc.TEXT_LOCKED)
    cc.assert_sbc_error(cc.sbc_lock(emulator, tok), 423, cc.TEXT_LOCKED)
    events = cc.audit(emulator, "sbc1")
    assert [e["event"] for e in events] == ["grant", "release", "grant"], events
    cc.assert_never_two_holders(events)
