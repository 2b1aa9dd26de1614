"""Conformance: the SBC switches for points Oracle leaves open beyond the lock and auth tables.

`sbc.unlock_free_text` and `sbc.unlock_foreign_text` (the words of the unlock 423s and of a change's lock
check), and every `sbc.refresh_mode`, `stay` included, with the audit events each one writes, as
docs/emulator.md ("Details the tables leave open") describes them.
"""

import time

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

TEXT_NOT_AVAILABLE = "Lock not available"
TEXT_NOT_AVAILABLE_DE = "Sperre nicht verfügbar"
FREE_TEXTS = {"documented": cc.TEXT_NO_LOCK, "generic": cc.TEXT_LOCKED, "other": TEXT_NOT_AVAILABLE,
              "localized": TEXT_NOT_AVAILABLE_DE}
FOREIGN_TEXTS = {"documented": cc.TEXT_LOCKED, "generic": cc.TEXT_NO_LOCK, "other": TEXT_NOT_AVAILABLE,
                 "localized": TEXT_NOT_AVAILABLE_DE}
REFRESH_MODES = ["move", "revoke", "extend", "stay"]
CHANGE = ("PUT", "/rest/v1.2/configuration/management?action=save")


def take_as(emu, holder):
    """Make holder (another REST token or a non-REST kind) hold the lock; return the control API's holder view."""
    if holder in ("admin", "admin2"):
        cc.sbc_locked_token(emu, holder)
    else:
        resp = cc.control(emu, "POST", "/sbc/sbc1/lock", {"kind": holder, "user": "cli-user"})
        assert resp.status_code == 200 and resp.json()["taken"] is True, resp.text
    return cc.sbc_lock_state(emu)


def holder_id(emu):
    """Return the fingerprint of the lock holder, or None when the lock is free."""
    holder = cc.sbc_lock_state(emu)["holder"]
    return holder and holder["id"]


# ----------------------------------------------------------------- the switch values


@pytest.mark.parametrize("key,values", [
    ("sbc.unlock_free_text", ["documented", "generic", "other", "localized"]),
    ("sbc.unlock_foreign_text", ["documented", "generic", "other", "localized"]),
    ("sbc.refresh_mode", REFRESH_MODES),
])
def test_switch_default_and_values(emulator, key, values):
    """The first value is the default (today's behaviour); every value can be set and reads back; others are a 400."""
    assert cc.control(emulator, "GET", "/switches").json()["sbc1"][key] == values[0]
    for value in values[1:] + values[:1]:
        cc.set_switches(emulator, {key: value})
        assert cc.control(emulator, "GET", "/switches").json()["sbc1"][key] == value
    resp = cc.control(emulator, "POST", "/switches", {key: "klingon"})
    assert resp.status_code == 400, resp.text
    assert cc.control(emulator, "GET", "/switches").json()["sbc1"][key] == values[0]


# ----------------------------------------------------------------- unlock texts


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("foreign_text", ["documented", "localized"])
@pytest.mark.parametrize("free_text", sorted(FREE_TEXTS))
def test_unlock_free_text(emulator, free_text, foreign_text, shape):
    """unlock (and a change) while nobody holds the lock -> 423 in the `sbc.unlock_free_text` words; still free, no event."""
    cc.set_switches(emulator, {"sbc.unlock_free_text": free_text, "sbc.unlock_foreign_text": foreign_text,
                               "sbc.message_shape": shape})
    tok = cc.sbc_token(emulator)
    cc.assert_sbc_error(cc.sbc_unlock(emulator, tok), 423, FREE_TEXTS[free_text], shape)
    cc.assert_sbc_error(cc.sbc(emulator, *CHANGE, token=tok), 423, FREE_TEXTS[free_text], shape)
    assert cc.sbc_lock_state(emulator) == {"held": False, "holder": None}
    assert cc.audit(emulator, "sbc1") == []


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("free_text", ["documented", "other"])
@pytest.mark.parametrize("foreign_text", sorted(FOREIGN_TEXTS))
@pytest.mark.parametrize("holder", ["admin", "admin2", "acli"])
def test_unlock_foreign_text(emulator, holder, foreign_text, free_text, shape):
    """unlock (and a change) while another token or holder has the lock -> 423 in the `sbc.unlock_foreign_text` words."""
    cc.set_switches(emulator, {"sbc.unlock_free_text": free_text, "sbc.unlock_foreign_text": foreign_text,
                               "sbc.message_shape": shape})
    before = take_as(emulator, holder)
    tok = cc.sbc_token(emulator)  # user admin, but not the token that holds the lock
    cc.assert_sbc_error(cc.sbc_unlock(emulator, tok), 423, FOREIGN_TEXTS[foreign_text], shape)
    cc.assert_sbc_error(cc.sbc(emulator, *CHANGE, token=tok), 423, FOREIGN_TEXTS[foreign_text], shape)
    assert cc.sbc_lock_state(emulator) == before
    assert [e["event"] for e in cc.audit(emulator, "sbc1")] == ["grant"]


@pytest.mark.parametrize("lock_text", ["default", "alt"])
def test_lock_423_ignores_unlock_texts(emulator, lock_text):
    """The 423 of `lock` follows `sbc.lock_foreign_text` only, whatever the unlock texts say."""
    cc.set_switches(emulator, {"sbc.unlock_free_text": "localized", "sbc.unlock_foreign_text": "other",
                               "sbc.lock_foreign_text": lock_text})
    take_as(emulator, "admin2")
    expected = cc.TEXT_LOCKED if lock_text == "default" else cc.TEXT_LOCKED_ALT
    cc.assert_sbc_error(cc.sbc_lock(emulator, cc.sbc_token(emulator)), 423, expected)


def test_localized_text_is_utf8(emulator):
    """A German text travels as UTF-8 in an envelope that says so (declaration and Content-Type charset)."""
    cc.set_switches(emulator, {"sbc.unlock_free_text": "localized"})
    resp = cc.sbc_unlock(emulator, cc.sbc_token(emulator))
    cc.assert_sbc_error(resp, 423, TEXT_NOT_AVAILABLE_DE)
    assert "verfügbar".encode("utf-8") in resp.content
    assert "charset=utf-8" in resp.headers["Content-Type"].lower().replace(" ", ""), resp.headers


# ----------------------------------------------------------------- refresh modes


@pytest.mark.parametrize("mode", REFRESH_MODES)
def test_refresh_with_lock_held(emulator, mode):
    """What each `sbc.refresh_mode` does to a token T holding the lock: the token returned, T's life, the holder, the audit."""
    cc.set_switches(emulator, {"sbc.refresh_mode": mode})
    old = cc.sbc_locked_token(emulator)
    seq = cc.last_seq(emulator)
    new = cc.token_of(cc.sbc_token_response(emulator, data={"token": old}))
    events = cc.events_after(emulator, seq, "sbc1")
    assert (new == old) is (mode == "extend")
    assert cc.sbc_is_live(emulator, new)
    assert cc.sbc_is_live(emulator, old) is (mode != "revoke")
    if mode in ("move", "revoke"):
        assert holder_id(emulator) == cc.fingerprint(new)
        assert len(events) == 1, events
        event = events[0]
        assert (event["event"], event["cause"]) == ("move", "refresh"), event
        assert event["holder"] == {"kind": "rest", "user": "admin", "id": cc.fingerprint(new)}, event
        assert event["previous_id"] == cc.fingerprint(old), event
    else:
        assert holder_id(emulator) == cc.fingerprint(old)
        assert events == []
    if mode == "stay":
        # the new token holds nothing: unlock and changes with it are refused as "held by another"
        cc.assert_sbc_error(cc.sbc_unlock(emulator, new), 423, cc.TEXT_LOCKED)
        cc.assert_sbc_error(cc.sbc(emulator, *CHANGE, token=new), 423, cc.TEXT_LOCKED)
        assert holder_id(emulator) == cc.fingerprint(old)
    if mode == "move":
        cc.assert_sbc_error(cc.sbc_unlock(emulator, old), 423, cc.TEXT_LOCKED)
    if mode == "revoke":
        cc.assert_sbc_error(cc.sbc_unlock(emulator, old), 401, cc.TEXT_NOT_AUTHORIZED)
    holding = old if mode in ("extend", "stay") else new
    assert cc.sbc_unlock(emulator, holding).status_code == 204
    events = cc.audit(emulator, "sbc1")
    assert events[-1]["event"] == "release" and events[-1]["holder"]["id"] == cc.fingerprint(holding), events
    cc.assert_never_two_holders(events)
    cc.assert_no_secret_in_audit(emulator)


def test_refresh_stay_again_keeps_lock_on_first_token(emulator):
    """`stay`: the old token can be re-authenticated again; each time another token, the lock still on the first."""
    cc.set_switches(emulator, {"sbc.refresh_mode": "stay"})
    old = cc.sbc_locked_token(emulator)
    tokens = {cc.token_of(cc.sbc_token_response(emulator, data={"token": old})) for _refresh in range(3)}
    assert len(tokens) == 3 and old not in tokens
    assert all(cc.sbc_is_live(emulator, tok) for tok in tokens | {old})
    assert holder_id(emulator) == cc.fingerprint(old)
    # a token issued by a re-authentication may itself be re-authenticated: it still holds nothing
    newest = cc.token_of(cc.sbc_token_response(emulator, data={"token": tokens.pop()}))
    cc.assert_sbc_error(cc.sbc_unlock(emulator, newest), 423, cc.TEXT_LOCKED)
    assert [e["event"] for e in cc.audit(emulator, "sbc1")] == ["grant"]


@pytest.mark.parametrize("mode", REFRESH_MODES)
def test_refresh_beyond_max_tokens(emulator, mode):
    """A refresh that would issue a token beyond `sbc.max_tokens` -> 401 "Too many sessions" and nothing changes."""
    old = cc.sbc_locked_token(emulator)
    cc.sbc_token(emulator, "admin2")
    cc.sbc_token(emulator, "admin2")
    cc.set_switches(emulator, {"sbc.refresh_mode": mode, "sbc.max_tokens": 2})
    resp = cc.sbc_token_response(emulator, data={"token": old})
    if mode == "extend":
        assert cc.token_of(resp) == old  # nothing is issued, so nothing is refused
    else:
        # under revoke the old token no longer counts, yet two tokens remain: still one too many
        cc.assert_sbc_error(resp, 401, cc.TEXT_TOO_MANY)
    assert cc.sbc_is_live(emulator, old)
    assert holder_id(emulator) == cc.fingerprint(old)
    assert [e["event"] for e in cc.audit(emulator, "sbc1")] == ["grant"]


def test_refresh_revoke_frees_a_slot(emulator):
    """Under `revoke` the old token's slot is free for the new one: at the limit the refresh still succeeds."""
    old = cc.sbc_locked_token(emulator)
    cc.set_switches(emulator, {"sbc.refresh_mode": "revoke", "sbc.max_tokens": 1})
    new = cc.token_of(cc.sbc_token_response(emulator, data={"token": old}))
    assert new != old and not cc.sbc_is_live(emulator, old)
    assert holder_id(emulator) == cc.fingerprint(new)


# ----------------------------------------------------------------- `stay` and the old token's expiry (TTL 2 s)


@pytest.fixture(scope="module")
def short_ttl(tmp_path_factory):
    """An emulator whose tokens live 2 s."""
    with cc.start_emulator(tmp_path_factory.mktemp("stay-ttl"), "--token-ttl", "2") as emu:
        yield emu


def test_refresh_stay_lock_ends_with_old_token(short_ttl):
    """`stay`: the lock is released when the old token expires (cause token-expired), while the new token lives on."""
    emu = short_ttl
    emu.reset()
    cc.set_switches(emu, {"sbc.refresh_mode": "stay"})
    issued = time.monotonic()
    old = cc.sbc_locked_token(emu)
    # refresh half-way through the old token's life, so the new one clearly outlives it
    time.sleep(max(0.0, issued + 1.0 - time.monotonic()))
    new = cc.token_of(cc.sbc_token_response(emu, data={"token": old}))
    assert holder_id(emu) == cc.fingerprint(old)
    deadline = issued + 4.0
    while cc.sbc_lock_state(emu)["held"] and time.monotonic() < deadline:
        time.sleep(0.05)
    freed = time.monotonic()
    assert cc.sbc_lock_state(emu)["held"] is False
    assert freed - issued >= 1.9, "the lock went before the old token's expiry"
    assert cc.sbc_is_live(emu, new), "the new token should live until about 1 s after the old one"
    assert not cc.sbc_is_live(emu, old)
    events = cc.audit(emu, "sbc1")
    assert [(e["event"], e["cause"]) for e in events] == [("grant", "lock"), ("expire", "token-expired")], events
    assert events[1]["holder"]["id"] == cc.fingerprint(old)
    assert cc.sbc_lock(emu, new).status_code == 204
