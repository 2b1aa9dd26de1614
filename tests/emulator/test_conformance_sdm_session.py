"""Conformance: SDM `admin/login`, `admin/logout`, `admin/serverInfo` and the session rules.

Under every value of `sdm.error_body`, `sdm.www_authenticate` and `sdm.cookie_bare_id`, in JSON and XML.
"""

import functools
import json
import time

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

GROUPS = {"admin": "administrators", "prov1": "provisioners", "prov2": "provisioners", "monitor": "monitors"}


def session_fields(resp, accept):
    """Return the login body's session fields as {name: text} for either Accept format."""
    if accept == "json":
        body = cc.unwrap(cc.sdm_json(resp), "session")
        return {k: str(v) for k, v in body.items()}
    root = cc.sdm_xml(resp)
    assert root.tag == "session", resp.text
    return {child.tag: (child.text or "").strip() for child in root}


def assert_401(resp, error_body="text", www="on"):
    """Assert an SDM 401 with the error body of error_body and WWW-Authenticate per switch `sdm.www_authenticate`."""
    cc.assert_sdm_error(resp, 401, error_body)
    if www == "on":
        assert resp.headers.get("WWW-Authenticate"), resp.headers
    else:
        assert "WWW-Authenticate" not in resp.headers, resp.headers


def server_info(emu, cookie, version="v1.3", accept="json"):
    """GET admin/serverInfo with cookie; return the response."""
    return cc.sdm(emu, "GET", f"/rest/{version}/admin/serverInfo", cookie=cookie, accept=accept)


# ----------------------------------------------------------------- login


@pytest.mark.parametrize("accept", ["json", "xml"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("version", cc.SDM_VERSIONS)
def test_login_ok(emulator, version, fmt, accept):
    """login with XML or JSON -> 200 + Set-Cookie JSESSIONID=<32 hex>.tomcat1; Path=/rest; HttpOnly; session body in the Accept format."""
    resp = cc.sdm_login_response(emulator, "prov1", version, fmt=fmt, accept=accept)
    cookie = cc.cookie_of(resp)
    hex_id = cc.COOKIE_RE.match(resp.headers["Set-Cookie"]).group(1)
    fields = session_fields(resp, accept)
    assert {"idleTimeout", "serverInfo", "sessionId", "userGroup"} <= set(fields), fields
    assert hex_id in fields["sessionId"]
    assert fields["userGroup"] == "provisioners"
    assert server_info(emulator, cookie, version).status_code == 200
    sessions = emulator.sdm_sessions("sdm1")
    assert [s["user"] for s in sessions] == ["prov1"]
    assert cookie.split("=", 1)[1] not in json.dumps(sessions)


@pytest.mark.parametrize("accept", ["json", "xml"])
@pytest.mark.parametrize("user", sorted(GROUPS))
def test_login_user_group_and_idle_timeout(emulator, user, accept):
    """login body: userGroup per user; idleTimeout 0 (never) for administrators, non-zero (30 min) for the others."""
    fields = session_fields(cc.sdm_login_response(emulator, user, accept=accept), accept)
    assert fields["userGroup"] == GROUPS[user]
    timeout = float(fields["idleTimeout"])
    assert (timeout == 0) == (user == "admin"), fields


def test_login_sessions_are_distinct(emulator):
    """Each login creates its own session (ids differ), also for the same user."""
    ids = {cc.sdm_login(emulator, "prov1") for _login in range(3)}
    assert len(ids) == 3
    assert len(emulator.sdm_sessions("sdm1")) == 3


BAD_LOGIN = {
    "json-garbage": ("json", b"{not json"),
    "json-missing-password": ("json", b'{"userName": "prov1"}'),
    "json-missing-user": ("json", b'{"password": "prov1-secret"}'),
    "json-list": ("json", b'["prov1", "prov1-secret"]'),
    "json-wrong-types": ("json", b'{"userName": 1, "password": null}'),
    "empty": ("json", b""),
    "xml-garbage": ("xml", b"<session><userName>prov1"),
    "xml-missing-password": ("xml", b"<session><userName>prov1</userName></session>"),
    "xml-missing-user": ("xml", b"<session><password>prov1-secret</password></session>"),
    "xml-entity-bomb": ("xml", b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
                               b"<session><userName>&b;</userName><password>x</password></session>"),
    "xml-bad-utf8": ("xml", b"<session><userName>\xff\xfe</userName><password>x</password></session>"),
}


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("case", sorted(BAD_LOGIN))
def test_login_invalid_is_400(emulator, case, error_body):
    """login with an unparsable body or a missing field -> 400 in the `sdm.error_body` shape; no session, no traceback."""
    cc.set_switches(emulator, {"sdm.error_body": error_body})
    fmt, body = BAD_LOGIN[case]
    resp = cc.sdm(emulator, "POST", "/rest/v1.3/admin/login", body=body, fmt=fmt)
    cc.assert_sdm_error(resp, 400, error_body)
    assert "Set-Cookie" not in resp.headers
    assert emulator.sdm_sessions("sdm1") == []


@pytest.mark.parametrize("www", ["on", "off"])
@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("user,password", [("prov1", "wrong"), ("nobody", "prov1-secret"), ("PROV1", "prov1-secret"), ("prov1", "")])
def test_login_bad_credentials_is_401(emulator, user, password, error_body, www):
    """login with a bad user or password -> 401 (`sdm.error_body` shape, WWW-Authenticate per `sdm.www_authenticate`); no session."""
    cc.set_switches(emulator, {"sdm.error_body": error_body, "sdm.www_authenticate": www})
    resp = cc.sdm(emulator, "POST", "/rest/v1.3/admin/login", body=cc.login_body(user, password, "json"))
    assert_401(resp, error_body, www)
    assert emulator.sdm_sessions("sdm1") == []


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("version", ["v1.4", "v0.9"])
@pytest.mark.parametrize("method,path", [
    ("POST", "admin/login"), ("POST", "admin/logout"), ("GET", "admin/serverInfo"),
    ("GET", "inventory/deviceMgmt/devices"), ("GET", "inventory/deviceMgmt/devices/ID1"),
    ("POST", "inventory/deviceMgmt/devices/ID1/action"), ("POST", "inventory/nfMgmt/nfs/ID101/groups/ID201/action"),
])
def test_unknown_version_is_404(emulator, method, path, version, error_body):
    """Any SDM call with an unconfigured {v} -> 404 in the `sdm.error_body` shape; nothing changes."""
    cc.set_switches(emulator, {"sdm.error_body": error_body})
    cookie = cc.sdm_login(emulator, "prov1")
    body = cc.login_body("prov1", "prov1-secret", "json") if path == "admin/login" else ({"type": "Lock"} if "action" in path else None)
    resp = cc.sdm(emulator, method, f"/rest/{version}/{path}", cookie=cookie, body=body)
    cc.assert_sdm_error(resp, 404, error_body)
    assert cc.sdm_locks(emulator) == {}
    assert len(emulator.sdm_sessions("sdm1")) == 1


# ----------------------------------------------------------------- logout


@pytest.mark.parametrize("version", cc.SDM_VERSIONS)
def test_logout_deletes_session(emulator, version):
    """logout -> 204 without body; the session is gone (serverInfo 401, a second logout 401)."""
    cookie = cc.sdm_login(emulator, "prov1", version)
    other = cc.sdm_login(emulator, "prov1", version)
    resp = cc.sdm(emulator, "POST", f"/rest/{version}/admin/logout", cookie=cookie)
    assert resp.status_code == 204
    cc.assert_no_body(resp)
    assert_401(server_info(emulator, cookie, version))
    assert_401(cc.sdm(emulator, "POST", f"/rest/{version}/admin/logout", cookie=cookie))
    assert server_info(emulator, other, version).status_code == 200
    assert len(emulator.sdm_sessions("sdm1")) == 1


@pytest.mark.parametrize("www", ["on", "off"])
@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("how", ["none", "unknown", "expired", "malformed"])
def test_logout_without_session_is_401(emulator, how, error_body, www):
    """logout with no / unknown / expired session -> 401; other sessions untouched."""
    cc.set_switches(emulator, {"sdm.error_body": error_body, "sdm.www_authenticate": www})
    keep = cc.sdm_login(emulator, "prov2")
    cookie = {"none": None, "unknown": "JSESSIONID=" + "0" * 32 + ".tomcat1", "malformed": "JSESSIONID="}.get(how)
    if how == "expired":
        cookie = cc.sdm_login(emulator, "prov1")
        assert cc.control(emulator, "POST", "/sdm/sdm1/expire-sessions", {"user": "prov1"}).status_code in (200, 204)
    resp = cc.sdm(emulator, "POST", "/rest/v1.3/admin/logout", cookie=cookie)
    assert_401(resp, error_body, www)
    assert server_info(emulator, keep).status_code == 200


# ----------------------------------------------------------------- serverInfo and session rules


@pytest.mark.parametrize("accept", ["json", "xml"])
@pytest.mark.parametrize("version", cc.SDM_VERSIONS)
def test_server_info(emulator, version, accept):
    """serverInfo with a live session -> 200, a small serverInfo body in the Accept format."""
    resp = server_info(emulator, cc.sdm_login(emulator, "monitor", version), version, accept)
    if accept == "json":
        body = cc.sdm_json(resp)
        assert isinstance(body, dict) and body
    else:
        root = cc.sdm_xml(resp)
        assert root.tag == "serverInfo" or root.find(".//serverInfo") is not None, resp.text
    assert len(resp.content) < 4096


PROTECTED = [
    ("GET", "admin/serverInfo"), ("GET", "inventory/deviceMgmt/devices"), ("GET", "inventory/deviceMgmt/devices/ID1"),
    ("POST", "inventory/deviceMgmt/devices/ID1/action"), ("POST", "inventory/nfMgmt/nfs/ID101/groups/ID201/action"),
    ("POST", "admin/logout"),
]


@pytest.mark.parametrize("www", ["on", "off"])
@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("method,path", PROTECTED)
def test_no_session_is_401(emulator, method, path, error_body, www):
    """Every call but login without a session -> 401 (error body per switch; WWW-Authenticate per switch); nothing changes."""
    cc.set_switches(emulator, {"sdm.error_body": error_body, "sdm.www_authenticate": www})
    body = {"type": "Lock"} if path.endswith("action") else None
    resp = cc.sdm(emulator, method, f"/rest/v1.3/{path}", body=body)
    assert_401(resp, error_body, www)
    assert cc.sdm_locks(emulator) == {}


@pytest.mark.parametrize("bare", ["off", "on"])
@pytest.mark.parametrize("form", ["jsessionid", "bare", "other-name", "among-others", "lowercase-name"])
def test_cookie_forms(emulator, form, bare):
    """Session rule: the cookie must be `JSESSIONID=<id>`; switch `sdm.cookie_bare_id` also accepts the bare id."""
    cc.set_switches(emulator, {"sdm.cookie_bare_id": bare})
    cookie = cc.sdm_login(emulator, "prov1")
    sid = cookie.split("=", 1)[1]
    header = {
        "jsessionid": cookie,
        "bare": sid,
        "other-name": "SESSIONID=" + sid,
        "among-others": "theme=dark; " + cookie + "; lang=en",
        "lowercase-name": "jsessionid=" + sid,
    }[form]
    resp = server_info(emulator, header)
    accepted = form in ("jsessionid", "among-others") or (form == "bare" and bare == "on")
    if accepted:
        assert resp.status_code == 200, resp.text
    else:
        assert_401(resp)


@pytest.mark.parametrize("user", ["prov1", "monitor", "admin"])
def test_expired_session_is_401(emulator, user):
    """Session rule: a session past its idle timeout is gone -> 401 (expiry forced through the control API, per user)."""
    cookie = cc.sdm_login(emulator, user)
    keep = cc.sdm_login(emulator, "prov2")
    resp = cc.control(emulator, "POST", "/sdm/sdm1/expire-sessions", {"user": user})
    assert resp.status_code in (200, 204), resp.text
    assert_401(server_info(emulator, cookie))
    assert server_info(emulator, keep).status_code == 200
    assert [s["user"] for s in emulator.sdm_sessions("sdm1")] == ["prov2"]


def test_sessions_listing_shows_fingerprints_and_idle(emulator):
    """Control `GET /sdm/{inst}/sessions`: user, fingerprint id (never the session id) and idle seconds."""
    cookie = cc.sdm_login(emulator, "prov1")
    sid = cookie.split("=", 1)[1]
    sessions = emulator.sdm_sessions("sdm1")
    assert len(sessions) == 1
    entry = sessions[0]
    assert entry["user"] == "prov1" and entry["idle_s"] >= 0
    assert entry["id"] in (cc.fingerprint(sid), cc.fingerprint(sid.split(".")[0]))
    assert sid.split(".")[0] not in json.dumps(sessions)


# ----------------------------------------------------------------- real idle expiry (1 s timeouts)
#
# The scenarios wait for sessions to idle out; they run at the same time, each on its own SDM instance.


#: Seconds of idleness after which the scenarios' provisioner and monitor sessions are gone: long enough that a
#: session used every half second stays alive on a loaded 2-core machine (1 s broke there).
IDLE_TIMEOUT = 4


def idle_timeout_scenario(emu, inst):
    """A session idle longer than its group's timeout is gone (401); use keeps it alive; 0 = never (admin)."""
    busy, idle, admin = (cc.sdm_login(emu, user, inst=inst) for user in ("prov1", "monitor", "admin"))
    probe = functools.partial(cc.sdm, emu, "GET", "/rest/v1.3/admin/serverInfo", inst=inst)
    # the busy session is used every half second for longer than IDLE_TIMEOUT (a gap of IDLE_TIMEOUT between two of
    # its requests would need a request that takes 3.5 s); the idle one is then older than IDLE_TIMEOUT
    began = time.monotonic()
    while time.monotonic() - began < IDLE_TIMEOUT + 1:
        time.sleep(0.5)
        assert probe(cookie=busy).status_code == 200
    assert_401(probe(cookie=idle))
    assert probe(cookie=admin).status_code == 200
    assert sorted(s["user"] for s in emu.sdm_sessions(inst)) == ["admin", "prov1"]


def idle_lock_lifetime_scenario(emu, inst, lifetime):
    """`sdm.lock_lifetime` under a real idle expiry: survive keeps the device lock; expiry releases it (audit expire)."""
    cc.set_switches(emu, {"sdm.lock_lifetime": lifetime}, instance=inst)
    cookie = cc.sdm_login(emu, "prov1", inst=inst)
    assert cc.sdm_action(emu, cookie, "ID1", "Lock", inst=inst).status_code == 204
    time.sleep(IDLE_TIMEOUT + 1)
    assert_401(cc.sdm(emu, "GET", "/rest/v1.3/admin/serverInfo", cookie=cookie, inst=inst))
    events = cc.audit(emu, inst)
    if lifetime == "survive":
        assert cc.sdm_locks(emu, inst) == {"ID1": "prov1"} and [e["event"] for e in events] == ["grant"]
    else:
        assert cc.sdm_locks(emu, inst) == {} and [e["event"] for e in events] == ["grant", "expire"], events
        assert events[1]["holder"]["user"] == "prov1"


@pytest.fixture(scope="module")
def idle_outcomes(tmp_path_factory):
    """Run the idle scenarios at once on an emulator whose provisioners and monitors idle out after IDLE_TIMEOUT s."""
    workdir = tmp_path_factory.mktemp("idle")
    config = workdir / "config.json"
    config.write_text(json.dumps({"sdm": {"idle_timeouts": {"administrators": 0, "provisioners": IDLE_TIMEOUT, "monitors": IDLE_TIMEOUT}}}))
    with cc.start_emulator(workdir, "--config", str(config), "--sdm-instances", "3") as emu:
        emu.reset()
        yield cc.run_concurrently({
            "timeout": functools.partial(idle_timeout_scenario, emu, "sdm1"),
            "survive": functools.partial(idle_lock_lifetime_scenario, emu, "sdm2", "survive"),
            "expiry": functools.partial(idle_lock_lifetime_scenario, emu, "sdm3", "expiry"),
        })


def test_idle_timeout_real(idle_outcomes):
    """Session rule: a session idle longer than its group's timeout is gone (401); use keeps it alive; 0 = never (admin)."""
    cc.assert_scenario(idle_outcomes, "timeout")


@pytest.mark.parametrize("lifetime", ["survive", "expiry"])
def test_idle_expiry_and_lock_lifetime(idle_outcomes, lifetime):
    """`sdm.lock_lifetime` under a real idle expiry: survive keeps the device lock; expiry releases it (audit expire)."""
    cc.assert_scenario(idle_outcomes, lifetime)
