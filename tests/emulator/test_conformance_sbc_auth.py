"""Conformance: SBC global rules 2-3, `auth/token` (issue, refresh, rejection), supportedversions, max_tokens, token expiry.

Rule 1 (plain HTTP -> 426) is in test_conformance_plain_http.py.

One test per row of docs/emulator.md's SBC tables, parametrized over the switch that governs it.
"""

import functools
import json
import time

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc


# ----------------------------------------------------------------- rule 2: unknown version -> 404


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("with_token", [False, True])
@pytest.mark.parametrize("version", ["v2.0", "v1.3", "latest"])
@pytest.mark.parametrize("method,path", [
    ("POST", "auth/token"), ("POST", "configuration/lock"), ("POST", "configuration/unlock"),
    ("GET", "configuration/configElements?elementType=realm-config"), ("GET", "admin/asyncstatus"),
])
def test_rule2_unknown_version_404_with_links(emulator, method, path, version, with_token, shape):
    """Rule 2 (before rule 3): unconfigured {v} -> 404 "Unsupported versionId in URI" with links listing the valid versions."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    token = cc.sbc_token(emulator) if with_token else None
    resp = cc.sbc(emulator, method, f"/rest/{version}/{path}", token=token)
    root = cc.assert_sbc_error(resp, 404, cc.TEXT_VERSION, shape)
    links = " ".join(cc.link_texts(root))
    for valid in cc.SBC_VERSIONS:
        assert f"/rest/{valid}" in links, links
    assert cc.sbc_lock_state(emulator)["held"] is False


@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
def test_rule2_every_configured_version_is_served(emulator, version):
    """Rule 2 counterpart: each configured version issues a token and takes the lock."""
    tok = cc.sbc_token(emulator, version=version)
    resp = cc.sbc_lock(emulator, tok, version=version)
    assert resp.status_code == 204, resp.text


# ----------------------------------------------------------------- rule 3: Bearer on every path but auth/token

RULE3_PATHS = [
    ("POST", "/rest/v1.2/configuration/lock"),
    ("POST", "/rest/v1.2/configuration/unlock"),
    ("GET", "/rest/v1.2/configuration/configElements?elementType=realm-config"),
    ("POST", "/rest/v1.2/configuration/configElements"),
    ("DELETE", "/rest/v1.2/configuration/configElements?elementType=realm-config&identifier=x"),
    ("PUT", "/rest/v1.2/configuration/management?action=save"),
    ("POST", "/rest/v1.1/configuration/management?action=activate"),
    ("GET", "/rest/v1.0/admin/asyncstatus"),
    ("GET", "/rest/api/supportedversions"),
    ("GET", "/rest/v1.2/no/such/resource"),
]


def _credential(emu, kind):
    """Return the Authorization header value for one rule-3 credential kind."""
    if kind == "none":
        return None
    if kind == "garbage":
        return "Bearer not-a-token-0123456789"
    if kind == "basic":
        return cc.basic_header("admin", "admin-secret-1")
    if kind == "expired":
        tok = cc.sbc_token(emu)
        resp = cc.control(emu, "POST", "/sbc/sbc1/expire-tokens", {"user": "admin"})
        assert resp.status_code == 200, resp.text
        return "Bearer " + tok
    if kind == "empty-bearer":
        return "Bearer "
    raise AssertionError(kind)


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("kind", ["none", "garbage", "basic", "expired", "empty-bearer"])
@pytest.mark.parametrize("method,path", RULE3_PATHS)
def test_rule3_no_live_bearer_is_401(emulator, method, path, kind, shape):
    """Rule 3: without `Authorization: Bearer <live token>` every path but auth/token -> 401 "Client not authorized"."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    auth = _credential(emulator, kind)
    body = cc.element_xml("realm-config", {"identifier": "r401"}) if method in ("POST", "PUT") and "configElements" in path else None
    headers = {"Content-Type": "application/xml"} if body else None
    resp = cc.sbc(emulator, method, path, auth=auth, data=body, headers=headers)
    cc.assert_sbc_error(resp, 401, cc.TEXT_NOT_AUTHORIZED, shape)
    assert cc.sbc_lock_state(emulator)["held"] is False


def test_rule3_expired_token_holding_lock_releases_it(emulator):
    """Rule 3: an expired token is deleted and the lock it held is released (audit `expire`, cause token-expired)."""
    tok = cc.sbc_locked_token(emulator)
    seq = cc.last_seq(emulator)
    resp = cc.control(emulator, "POST", "/sbc/sbc1/expire-tokens", {"user": "admin"})
    assert resp.status_code == 200, resp.text
    assert cc.sbc_lock_state(emulator)["held"] is False
    events = cc.events_after(emulator, seq, "sbc1")
    assert any(e["event"] in ("expire", "release") and e["cause"] == "token-expired" and e["holder"]["id"] == cc.fingerprint(tok)
               for e in events), events
    cc.assert_sbc_error(cc.sbc_unlock(emulator, tok), 401, cc.TEXT_NOT_AUTHORIZED)
    cc.assert_no_secret_in_audit(emulator)


def test_rule3_expire_tokens_only_named_user(emulator):
    """Rule 3 via control: expiring admin's tokens leaves admin2's token live."""
    tok_admin = cc.sbc_token(emulator, "admin")
    tok_admin2 = cc.sbc_token(emulator, "admin2")
    assert cc.control(emulator, "POST", "/sbc/sbc1/expire-tokens", {"user": "admin"}).status_code == 200
    assert cc.sbc_is_live(emulator, tok_admin) is False
    assert cc.sbc_is_live(emulator, tok_admin2) is True


# ----------------------------------------------------------------- auth/token: issue and reject


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("auth", [
    None, cc.basic_header("admin", "wrong"), cc.basic_header("nobody", "admin-secret-1"), "Basic !!!not-base64!!!",
    "Basic " + "YWRtaW4=", "Bearer something", cc.basic_header("admin2", "admin-secret-1"),
])
def test_token_without_good_basic_is_401(emulator, auth, shape):
    """auth/token: no or bad Basic -> 401 "Client not authorized"; no token issued."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    before = cc.control(emulator, "GET", "/secrets").json()["tokens"]
    resp = cc.sbc(emulator, "POST", "/rest/v1.2/auth/token", auth=auth)
    cc.assert_sbc_error(resp, 401, cc.TEXT_NOT_AUTHORIZED, shape)
    assert cc.control(emulator, "GET", "/secrets").json()["tokens"] == before


@pytest.mark.parametrize("user", sorted(cc.SBC_USERS))
@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
def test_token_no_body_issues_new_token(emulator, version, user):
    """auth/token: good Basic and no body -> 200 envelope with data/accessToken; every call a new live token."""
    first = cc.sbc_token_response(emulator, user, version)
    tok1 = cc.token_of(first)
    tok2 = cc.sbc_token(emulator, user, version)
    assert tok1 != tok2
    assert cc.sbc_is_live(emulator, tok1) and cc.sbc_is_live(emulator, tok2)
    assert tok1 in cc.control(emulator, "GET", "/secrets").json()["tokens"]


def _refresh_ok(field_switch, field_name):
    """Return True when switch `sbc.refresh_field` accepts the token in a form field named field_name."""
    return field_switch == "any" or field_switch == field_name


@pytest.mark.parametrize("lock_held", [True, False])
@pytest.mark.parametrize("field_name", ["token", "accessToken", "current"])
@pytest.mark.parametrize("field_switch", ["any", "token", "accessToken"])
@pytest.mark.parametrize("mode", ["move", "revoke", "extend"])
def test_token_refresh(emulator, mode, field_switch, field_name, lock_held):
    """auth/token with a live token of the same user in a form body -> refresh per `sbc.refresh_mode`; field per `sbc.refresh_field`."""
    cc.set_switches(emulator, {"sbc.refresh_mode": mode, "sbc.refresh_field": field_switch})
    old = cc.sbc_locked_token(emulator) if lock_held else cc.sbc_token(emulator)
    seq = cc.last_seq(emulator)
    resp = cc.sbc_token_response(emulator, "admin", data={field_name: old})
    if not _refresh_ok(field_switch, field_name):
        # the field is not the one the switch names: whatever happens, it is no refresh
        assert resp.status_code in (200, 400, 401), resp.text
        if resp.status_code == 200:
            assert cc.token_of(resp) != old
        assert cc.sbc_is_live(emulator, old)
        if lock_held:
            assert cc.sbc_lock_state(emulator)["holder"]["id"] == cc.fingerprint(old)
        return
    new = cc.token_of(resp)
    holder = cc.sbc_lock_state(emulator)["holder"]
    if mode == "extend":
        assert new == old
        assert cc.sbc_is_live(emulator, old)
        if lock_held:
            assert holder["id"] == cc.fingerprint(old)
        return
    assert new != old
    assert cc.sbc_is_live(emulator, new)
    assert cc.sbc_is_live(emulator, old) is (mode == "move")
    if not lock_held:
        assert holder is None
        return
    assert holder["id"] == cc.fingerprint(new) and holder["kind"] == "rest" and holder["user"] == "admin"
    events = cc.events_after(emulator, seq, "sbc1")
    assert [e["event"] for e in events] == ["move"], events
    assert events[0]["holder"]["id"] in (cc.fingerprint(old), cc.fingerprint(new)), events
    if mode == "move":
        cc.assert_sbc_error(cc.sbc_unlock(emulator, old), 423, cc.TEXT_LOCKED)
    assert cc.sbc_unlock(emulator, new).status_code == 204
    cc.assert_no_secret_in_audit(emulator)
    cc.assert_never_two_holders(cc.audit(emulator))


@pytest.mark.parametrize("which", ["expired", "foreign", "revoked"])
@pytest.mark.parametrize("field_switch", ["any", "token", "accessToken"])
@pytest.mark.parametrize("mode", ["move", "revoke", "extend"])
def test_token_refresh_with_dead_or_foreign_token_is_401(emulator, mode, field_switch, which):
    """auth/token: an expired token or another user's token in the body -> 401; the lock does not move."""
    cc.set_switches(emulator, {"sbc.refresh_mode": mode, "sbc.refresh_field": field_switch})
    name = "token" if field_switch == "any" else field_switch
    if which == "foreign":
        body_token = cc.sbc_locked_token(emulator, "admin2")
    elif which == "expired":
        body_token = cc.sbc_token(emulator, "admin")
        assert cc.control(emulator, "POST", "/sbc/sbc1/expire-tokens", {"user": "admin"}).status_code == 200
    else:
        if mode != "revoke":
            cc.set_switches(emulator, {"sbc.refresh_mode": "revoke"})
        body_token = cc.sbc_token(emulator, "admin")
        cc.token_of(cc.sbc_token_response(emulator, "admin", data={name: body_token}))
        cc.set_switches(emulator, {"sbc.refresh_mode": mode})
    state_before = cc.sbc_lock_state(emulator)
    resp = cc.sbc_token_response(emulator, "admin", data={name: body_token})
    cc.assert_sbc_error(resp, 401)
    assert cc.sbc_lock_state(emulator) == state_before


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_max_tokens(emulator, limit):
    """Switch `sbc.max_tokens`: 0 = no limit; N = at most N live tokens, beyond -> 401 "Too many sessions"."""
    cc.set_switches(emulator, {"sbc.max_tokens": limit})
    count = limit if limit else 12
    tokens = [cc.sbc_token(emulator) for _login in range(count)]
    assert len(set(tokens)) == count
    resp = cc.sbc_token_response(emulator)
    if limit:
        cc.assert_sbc_error(resp, 401, cc.TEXT_TOO_MANY)
    else:
        assert resp.status_code == 200


# ----------------------------------------------------------------- supportedversions


@pytest.mark.parametrize("anonymous", ["false", "true"])
@pytest.mark.parametrize("with_token", [True, False])
def test_supportedversions(emulator, anonymous, with_token):
    """GET /rest/api/supportedversions: Bearer (switch: anonymous allowed) -> 200 supportedVersions{latestVersion, otherVersions}."""
    cc.set_switches(emulator, {"sbc.supportedversions_anonymous": anonymous})
    token = cc.sbc_token(emulator) if with_token else None
    resp = cc.sbc(emulator, "GET", "/rest/api/supportedversions", token=token)
    if not with_token and anonymous == "false":
        cc.assert_sbc_error(resp, 401, cc.TEXT_NOT_AUTHORIZED)
        return
    assert resp.status_code == 200, resp.text
    root = cc.envelope(resp)
    found = [node for node in root.iter() if node.tag == "supportedVersions"]
    assert len(found) == 1, resp.text
    assert found[0].findtext("latestVersion") == "v1.2"
    others = [node.text for node in found[0].findall("otherVersions/version")]
    assert sorted(others) == ["v1.0", "v1.1"], resp.text


@pytest.mark.parametrize("version", ["v1.2", "v1.0", "v9.9"])
def test_supportedversions_with_version_segment_is_404(emulator, version):
    """GET /rest/{v}/api/supportedversions -> 404 (the resource has no version segment)."""
    resp = cc.sbc(emulator, "GET", f"/rest/{version}/api/supportedversions", token=cc.sbc_token(emulator))
    cc.assert_sbc_error(resp, 404)


# ----------------------------------------------------------------- token lifetime (TTL 6 s)
#
# Each scenario waits for a short-lived token to expire; they run at the same time, each on its own SBC
# instance (the reaper scenario on its own emulator: any control API call applies due expiries itself), and
# each test below asserts its scenario's outcome. A token is issued between the two instants measured around
# the request that gets it; every wait is reckoned from the bound that makes the check hold however slowly the
# machine answers ("still live" from the earliest issuance, "expired" from the latest), with seconds to spare.

TTL = 6.0
TTL_SCENARIOS = {}


def ttl_scenario(func):
    """Register func(emu, inst) as a TTL scenario run concurrently by the `ttl_outcomes` fixture."""
    TTL_SCENARIOS[func.__name__] = func
    return func


def sleep_until(instant):
    time.sleep(max(0.0, instant - time.monotonic()))


@ttl_scenario
def fixed_expiry_lazily_releases_lock(emu, inst):
    """Use does not extend a token; a request with it after expiry -> 401 and its lock is released (token-expired)."""
    before = time.monotonic()
    tok = cc.sbc_locked_token(emu, inst=inst)
    after = time.monotonic()
    sleep_until(before + 1.0)
    assert cc.sbc_is_live(emu, tok, inst)  # a use, TTL - 1 s before the earliest expiry
    sleep_until(after + TTL + 0.3)
    cc.assert_sbc_error(cc.sbc_unlock(emu, tok, inst=inst), 401, cc.TEXT_NOT_AUTHORIZED)
    assert cc.sbc_lock_state(emu, inst)["held"] is False
    events = cc.audit(emu, inst)
    assert [e["event"] for e in events][0] == "grant"
    expiry = [e for e in events if e["cause"] == "token-expired"]
    assert expiry and all(e["event"] in ("expire", "release") and e["holder"]["id"] == cc.fingerprint(tok) for e in expiry), events
    cc.assert_never_two_holders(events)
    other = cc.sbc_token(emu, "admin2", inst=inst)
    assert cc.sbc_lock(emu, other, inst=inst).status_code == 204


@ttl_scenario
def refresh_extend_extends_expiry(emu, inst):
    """Refresh mode `extend`: the same token comes back and lives TTL from the refresh; the lock stays."""
    cc.set_switches(emu, {"sbc.refresh_mode": "extend"}, instance=inst)
    tok = cc.sbc_locked_token(emu, inst=inst)
    issued = time.monotonic()
    sleep_until(issued + TTL / 2)
    assert cc.token_of(cc.sbc_token_response(emu, inst=inst, data={"token": tok})) == tok
    sleep_until(issued + TTL + 0.3)  # past the first expiry, TTL / 2 before the extended one
    assert cc.sbc_is_live(emu, tok, inst)
    assert cc.sbc_lock_state(emu, inst)["holder"]["id"] == cc.fingerprint(tok)
    assert cc.sbc_unlock(emu, tok, inst=inst).status_code == 204


@ttl_scenario
def refresh_move_old_expires_lock_stays(emu, inst):
    """Refresh mode `move`: the old token stays valid until its own expiry; when it expires the lock stays with the new one."""
    before = time.monotonic()
    old = cc.sbc_locked_token(emu, inst=inst)
    issued = time.monotonic()
    sleep_until(before + TTL / 2)
    new = cc.token_of(cc.sbc_token_response(emu, inst=inst, data={"token": old}))
    assert new != old and cc.sbc_is_live(emu, old, inst)
    sleep_until(issued + TTL + 0.3)  # the old token is past its expiry, the new one TTL / 2 before its own
    assert cc.sbc_is_live(emu, old, inst) is False
    assert cc.sbc_is_live(emu, new, inst) is True
    state = cc.sbc_lock_state(emu, inst)
    assert state["held"] is True and state["holder"]["id"] == cc.fingerprint(new)
    assert not [e for e in cc.audit(emu, inst) if e["cause"] == "token-expired"]
    assert cc.sbc_unlock(emu, new, inst=inst).status_code == 204


def reaper_releases_lock_without_requests(workdir):
    """With no request at all (not even to the control API), the reaper releases an expired token's lock."""
    log_path = workdir / "audit.jsonl"
    with cc.start_emulator(workdir, "--token-ttl", "2", "--audit-log", str(log_path)) as emu:
        tok = cc.sbc_locked_token(emu)
        time.sleep(2.0)  # the token's lifetime: nothing can happen before
        events = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            events = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
            if any(e["cause"] == "token-expired" for e in events):
                break
            time.sleep(0.1)
        expired = [e for e in events if e["cause"] == "token-expired"]
        assert expired and expired[0]["holder"]["id"] == cc.fingerprint(tok), events
        assert tok not in log_path.read_text()
        assert cc.sbc_lock_state(emu)["held"] is False


@pytest.fixture(scope="module")
def ttl_outcomes(tmp_path_factory):
    """Run every TTL scenario at once (TTL-second tokens); return {scenario name: None or the exception it raised}."""
    names = sorted(TTL_SCENARIOS)
    with cc.start_emulator(tmp_path_factory.mktemp("ttl"), "--token-ttl", "%g" % TTL, "--sbc-instances", str(len(names))) as emu:
        emu.reset()
        calls = {name: functools.partial(TTL_SCENARIOS[name], emu, f"sbc{i + 1}") for i, name in enumerate(names)}
        calls["reaper"] = functools.partial(reaper_releases_lock_without_requests, tmp_path_factory.mktemp("reaper"))
        outcomes = cc.run_concurrently(calls)
        yield outcomes


def test_ttl_expiry_is_fixed_and_lazily_releases_lock(ttl_outcomes):
    """Token TTL: fixed from issue (use does not extend it); a request with it after expiry -> 401 and its lock is released."""
    cc.assert_scenario(ttl_outcomes, "fixed_expiry_lazily_releases_lock")


def test_ttl_reaper_releases_lock_without_requests(ttl_outcomes):
    """Token TTL: the reaper releases the lock of an expired token even when no request arrives."""
    cc.assert_scenario(ttl_outcomes, "reaper")


def test_ttl_refresh_extend_extends_expiry(ttl_outcomes):
    """Refresh mode `extend`: the same token comes back and lives TTL from the refresh; the lock stays."""
    cc.assert_scenario(ttl_outcomes, "refresh_extend_extends_expiry")


def test_ttl_refresh_move_old_token_expires_lock_stays_with_new(ttl_outcomes):
    """Refresh mode `move`: the old token stays valid until its own expiry; then the lock stays with the new one."""
    cc.assert_scenario(ttl_outcomes, "refresh_move_old_expires_lock_stays")
