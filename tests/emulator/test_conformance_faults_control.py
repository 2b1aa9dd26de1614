"""Conformance: fault injection (every kind, both products; a faulted request changes no state) and every control API call."""

import json
import socket
import ssl
import time
from urllib.parse import urlsplit

import pytest
import requests

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc


def arm(emu, **fault):
    """Arm one fault through the control API; assert it was accepted."""
    resp = cc.control(emu, "POST", "/faults", fault)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp.json()


def tokens_issued(emu):
    """Return the SBC tokens ever issued (control `GET /secrets`)."""
    return cc.control(emu, "GET", "/secrets").json()["tokens"]


def sessions_issued(emu):
    """Return the SDM session ids ever issued (control `GET /secrets`)."""
    return cc.control(emu, "GET", "/secrets").json()["sessions"]


def assert_faulted(resp_or_exc, kind, status=500):
    """Assert the answer of a faulted (non-latency) request matches the fault kind."""
    if kind == "drop":
        assert isinstance(resp_or_exc, requests.exceptions.ConnectionError), resp_or_exc
        return
    resp = resp_or_exc
    assert not isinstance(resp, Exception), resp
    cc.assert_no_traceback(resp)
    if kind == "status":
        assert resp.status_code == status, resp.text
        cc.assert_product_headers(resp)
    elif kind == "html502":
        assert resp.status_code == 502
        assert resp.headers.get("Content-Type", "").startswith("text/html") and "<html" in resp.text.lower(), resp.text
    elif kind == "empty200":
        assert resp.status_code == 200 and resp.content == b"", resp.content


def attempt(call):
    """Run call(); return its response, or the ConnectionError a dropped connection raises."""
    try:
        return call()
    except requests.exceptions.ConnectionError as exc:
        return exc


FAULT_KINDS = [("status", 500), ("status", 503), ("status", 502), ("drop", None), ("html502", None), ("empty200", None)]


# ----------------------------------------------------------------- faults: SBC


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
def test_sbc_fault_on_lock_changes_nothing(emulator, kind, status):
    """Fault on POST */configuration/lock: the faulted call answers per kind and takes no lock; the next call is normal."""
    tok = cc.sbc_token(emulator)
    arm(emulator, instance="sbc1", method="POST", path="*/configuration/lock", kind=kind, status=status or 500, count=1)
    assert_faulted(attempt(lambda: cc.sbc_lock(emulator, tok)), kind, status)
    assert cc.sbc_lock_state(emulator)["held"] is False
    assert cc.audit(emulator, "sbc1") == []
    assert cc.sbc_lock(emulator, tok).status_code == 204


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
def test_sbc_fault_on_unlock_changes_nothing(emulator, kind, status):
    """Fault on POST */configuration/unlock: the lock stays with its holder; the retried unlock releases it."""
    tok = cc.sbc_locked_token(emulator)
    arm(emulator, instance="sbc1", method="POST", path="*/configuration/unlock", kind=kind, status=status or 500, count=1)
    assert_faulted(attempt(lambda: cc.sbc_unlock(emulator, tok)), kind, status)
    assert cc.sbc_lock_state(emulator)["holder"]["id"] == cc.fingerprint(tok)
    assert [e["event"] for e in cc.audit(emulator, "sbc1")] == ["grant"]
    assert cc.sbc_unlock(emulator, tok).status_code == 204


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
def test_sbc_fault_on_token_issues_nothing(emulator, kind, status):
    """Fault on POST */auth/token: no token is issued (and a refresh moves no lock)."""
    tok = cc.sbc_locked_token(emulator)
    before = tokens_issued(emulator)
    arm(emulator, instance="sbc1", method="POST", path="/rest/*/auth/token", kind=kind, status=status or 500, count=1)
    assert_faulted(attempt(lambda: cc.sbc_token_response(emulator, data={"token": tok})), kind, status)
    assert tokens_issued(emulator) == before
    assert cc.sbc_lock_state(emulator)["holder"]["id"] == cc.fingerprint(tok)


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
def test_sbc_fault_on_config_change_changes_nothing(emulator, kind, status):
    """Fault on POST */configElements: the element is not created."""
    tok = cc.sbc_locked_token(emulator)
    arm(emulator, instance="sbc1", path="*/configElements", method="POST", kind=kind, status=status or 500)
    body = cc.element_xml("realm-config", {"identifier": "faulted"})
    assert_faulted(attempt(lambda: cc.sbc(emulator, "POST", "/rest/v1.2/configuration/configElements", token=tok, data=body,
                                          headers={"Content-Type": "application/xml"})), kind, status)
    resp = cc.sbc(emulator, "GET", "/rest/v1.2/configuration/configElements", token=tok,
                  params={"elementType": "realm-config", "identifier": "faulted"})
    assert resp.status_code == 200 and "faulted" not in resp.text, resp.text


# ----------------------------------------------------------------- faults: SDM


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
@pytest.mark.parametrize("action", ["Lock", "Unlock"])
def test_sdm_fault_on_action_changes_nothing(emulator, action, kind, status):
    """Fault on a device action: the faulted call answers per kind; the device lock does not change."""
    cookie = cc.sdm_login(emulator, "prov1")
    if action == "Unlock":
        assert cc.sdm_action(emulator, cookie, "ID1", "Lock").status_code == 204
    before = cc.sdm_locks(emulator)
    events = cc.audit(emulator, "sdm1")
    arm(emulator, instance="sdm1", method="POST", path="*/devices/ID1/action", kind=kind, status=status or 500, count=1)
    assert_faulted(attempt(lambda: cc.sdm_action(emulator, cookie, "ID1", action)), kind, status)
    assert cc.sdm_locks(emulator) == before
    assert cc.audit(emulator, "sdm1") == events
    assert cc.sdm_action(emulator, cookie, "ID1", action).status_code == 204


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
def test_sdm_fault_on_login_creates_no_session(emulator, kind, status):
    """Fault on admin/login: no session is created."""
    before = sessions_issued(emulator)
    arm(emulator, instance="sdm1", method="POST", path="*/admin/login", kind=kind, status=status or 500, count=1)
    assert_faulted(attempt(lambda: cc.sdm_login_response(emulator, "prov1")), kind, status)
    assert emulator.sdm_sessions("sdm1") == []
    assert sessions_issued(emulator) == before
    assert cc.sdm_login(emulator, "prov1")


@pytest.mark.parametrize("kind,status", FAULT_KINDS)
def test_sdm_fault_on_group_action_changes_nothing(emulator, kind, status):
    """Fault on a device-group action: no member changes."""
    cookie = cc.sdm_login(emulator, "prov1")
    arm(emulator, instance="sdm1", path="*/groups/*/action", kind=kind, status=status or 500, count=1)
    assert_faulted(attempt(lambda: cc.sdm_group_action(emulator, cookie, "ID101", "ID201", "Lock")), kind, status)
    assert cc.sdm_locks(emulator) == {}


# ----------------------------------------------------------------- faults: latency, count, matching


@pytest.mark.parametrize("product", ["sbc", "sdm"])
def test_latency_fault_delays_but_proceeds(emulator, product):
    """Fault `latency`: the request is answered normally after the delay (state changes as usual)."""
    if product == "sbc":
        tok = cc.sbc_token(emulator)
        arm(emulator, instance="sbc1", path="*/configuration/lock", kind="latency", delay=0.4)
        t0 = time.monotonic()
        assert cc.sbc_lock(emulator, tok).status_code == 204
        assert cc.sbc_lock_state(emulator)["held"] is True
    else:
        cookie = cc.sdm_login(emulator, "prov1")
        arm(emulator, instance="sdm1", path="*/action", kind="latency", delay=0.4)
        t0 = time.monotonic()
        assert cc.sdm_action(emulator, cookie, "ID3", "Lock").status_code == 204
        assert cc.sdm_locks(emulator) == {"ID3": "prov1"}
    assert time.monotonic() - t0 >= 0.38


@pytest.mark.parametrize("count", [1, 2, 3])
def test_fault_count_next_n_calls(emulator, count):
    """A fault hits the next N matching calls, then the path answers normally again."""
    tok = cc.sbc_token(emulator)
    arm(emulator, instance="sbc1", method="GET", path="/rest/api/supportedversions", kind="status", status=503, count=count)
    codes = [cc.sbc(emulator, "GET", "/rest/api/supportedversions", token=tok).status_code for _call in range(count + 2)]
    assert codes == [503] * count + [200, 200]


def test_fault_skip_lets_the_first_matching_calls_through(emulator):
    """skip N: the first N matching calls answer normally, then the fault hits the next ``count``."""
    tok = cc.sbc_token(emulator)
    arm(emulator, instance="sbc1", method="GET", path="/rest/api/supportedversions", kind="status", status=503, count=1, skip=2)
    codes = [cc.sbc(emulator, "GET", "/rest/api/supportedversions", token=tok).status_code for _call in range(4)]
    assert codes == [200, 200, 503, 200]


def test_fault_count_zero_until_cleared(emulator):
    """count 0 = until cleared: every matching call fails until DELETE /faults."""
    tok = cc.sbc_token(emulator)
    arm(emulator, instance="sbc1", path="*/configuration/lock", kind="status", status=500, count=0)
    assert [cc.sbc_lock(emulator, tok).status_code for _call in range(4)] == [500] * 4
    assert cc.control(emulator, "DELETE", "/faults").status_code == 200
    assert cc.sbc_lock(emulator, tok).status_code == 204


def test_fault_matching_method_path_instance(emulator):
    """A fault matches only its method, fnmatch path and instance; other calls are untouched."""
    tok = cc.sbc_token(emulator)
    cookie = cc.sdm_login(emulator, "prov1")
    arm(emulator, instance="sbc1", method="GET", path="*/configuration/lock", kind="status", status=500, count=0)
    arm(emulator, instance="sdm1", method="POST", path="*/devices/ID2/action", kind="status", status=503, count=0)
    assert cc.sbc_lock(emulator, tok).status_code == 204
    assert cc.sdm_action(emulator, cookie, "ID1", "Lock").status_code == 204
    assert cc.sdm_action(emulator, cookie, "ID2", "Lock").status_code == 503
    assert cc.sdm_locks(emulator) == {"ID1": "prov1"}


@pytest.mark.parametrize("spec", [
    {"kind": "explode"}, {"kind": "status", "status": 99}, {"kind": "status", "count": -1},
    {"kind": "latency", "delay": -1}, {"kind": "status", "instance": "sbc9"}, {"kind": "status", "skip": -1},
])
def test_fault_invalid_is_refused(emulator, spec):
    """POST /faults with an invalid description -> 4xx; nothing is armed."""
    resp = cc.control(emulator, "POST", "/faults", spec)
    assert 400 <= resp.status_code < 500, resp.text
    assert cc.sbc_token(emulator)


def test_early_expiry_faults(emulator):
    """Fault "early token/session expiry": through expire-tokens / expire-sessions; the client then gets 401."""
    tok = cc.sbc_token(emulator)
    cookie = cc.sdm_login(emulator, "prov1")
    assert cc.control(emulator, "POST", "/sbc/sbc1/expire-tokens").status_code == 200
    assert cc.control(emulator, "POST", "/sdm/sdm1/expire-sessions").status_code == 200
    cc.assert_sbc_error(cc.sbc_lock(emulator, tok), 401, cc.TEXT_NOT_AUTHORIZED)
    cc.assert_sdm_error(cc.sdm_action(emulator, cookie, "ID1", "Lock"), 401)
    assert cc.sdm_locks(emulator) == {} and emulator.sdm_sessions("sdm1") == []


# ----------------------------------------------------------------- control API calls


def test_control_health_and_loopback(emulator):
    """GET /health -> {"ok": true}; the control API is bound to 127.0.0.1."""
    assert urlsplit(emulator.control_url).hostname == "127.0.0.1"
    resp = cc.control(emulator, "GET", "/health")
    assert resp.status_code == 200 and resp.json() == {"ok": True}


@pytest.mark.parametrize("product,path", [
    ("sbc", "/reset"), ("sbc", "/health"), ("sbc", "/rest/../reset"), ("sbc", "/sbc/sbc1/release"),
    ("sdm", "/reset"), ("sdm", "/health"), ("sdm", "/sdm/sdm1/devices/ID1/release"),
])
def test_control_not_reachable_through_product_listeners(emulator, product, path):
    """The control API is a separate listener: its paths on an SBC/SDM listener do nothing."""
    tok = cc.sbc_locked_token(emulator)
    assert cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID1", "Lock").status_code == 204
    base = cc.sbc_base(emulator) if product == "sbc" else cc.sdm_base(emulator)
    for method in ("GET", "POST"):
        resp = cc.request(emulator, method, base + path, headers={"Authorization": "Bearer " + tok})
        assert resp.status_code >= 400, (method, resp.status_code, resp.text)
        cc.assert_no_traceback(resp)
    assert cc.sbc_lock_state(emulator)["held"] is True
    assert cc.sdm_locks(emulator) == {"ID1": "prov1"}


def test_control_state(emulator):
    """GET /state: per SBC instance the lock holder and live token count; per SDM instance device locks and live sessions."""
    tok = cc.sbc_locked_token(emulator)
    cc.sbc_token(emulator, "admin2")
    assert cc.sdm_action(emulator, cc.sdm_login(emulator, "prov2"), "ID5", "Lock").status_code == 204
    state = cc.control(emulator, "GET", "/state").json()
    dump = json.dumps(state)
    assert tok not in dump
    sbc1 = state["sbc"]["sbc1"]
    assert sbc1["held"] is True and sbc1["holder"]["id"] == cc.fingerprint(tok) and sbc1["tokens"] == 2
    assert state["sdm"]["sdm1"]["locks"] == {"ID5": "prov2"} and state["sdm"]["sdm1"]["sessions"] == 1


def test_control_audit_since_and_instance(emulator):
    """GET /audit?instance=&since=: events in order with increasing seq; `since` returns only later events."""
    tok = cc.sbc_locked_token(emulator)
    cookie = cc.sdm_login(emulator, "prov1")
    assert cc.sdm_action(emulator, cookie, "ID1", "Lock").status_code == 204
    assert cc.sbc_unlock(emulator, tok).status_code == 204
    everything = cc.audit(emulator)
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [e["instance"] for e in everything] == ["sbc1", "sdm1", "sbc1"]
    for event in everything:
        assert set(event) >= {"seq", "ts", "product", "instance", "resource", "event", "holder", "cause"}, event
        assert set(event["holder"]) >= {"kind", "user", "id"}
    assert [e["event"] for e in cc.audit(emulator, "sbc1")] == ["grant", "release"]
    assert cc.audit(emulator, since=seqs[0]) == everything[1:]
    cc.assert_no_secret_in_audit(emulator)


def test_control_secrets(emulator):
    """GET /secrets lists every token and session id ever issued."""
    tok = cc.sbc_token(emulator)
    cookie = cc.sdm_login(emulator, "prov1")
    secrets = cc.control(emulator, "GET", "/secrets").json()
    assert tok in secrets["tokens"]
    sid = cookie.split("=", 1)[1]
    assert sid in secrets["sessions"] or sid.split(".")[0] in secrets["sessions"], secrets


def test_control_stats_and_reset(emulator):
    """GET /stats counts per route template and status; POST /stats/reset zeroes them."""
    assert cc.control(emulator, "POST", "/stats/reset").status_code == 200
    tok = cc.sbc_token(emulator)
    cc.sbc_lock(emulator, tok)
    cc.sbc_lock(emulator, tok)
    stats = cc.control(emulator, "GET", "/stats", instance="sbc1").json()
    assert set(stats) == {"sbc1"}
    sbc1 = stats["sbc1"]
    assert sbc1["total"] == 3
    assert sbc1["by_route"]["POST /rest/{v}/auth/token"] == 1 and sbc1["by_route"]["POST /rest/{v}/configuration/lock"] == 2
    assert sbc1["by_status"] == {"200": 1, "204": 2}
    assert "sdm1" in cc.control(emulator, "GET", "/stats").json()
    assert cc.control(emulator, "POST", "/stats/reset").status_code == 200
    assert cc.control(emulator, "GET", "/stats", instance="sbc1").json()["sbc1"]["total"] == 0


def test_control_reset(emulator):
    """POST /reset: no locks, tokens, sessions, faults; switches back to defaults; audit cleared."""
    tok = cc.sbc_locked_token(emulator)
    cookie = cc.sdm_login(emulator, "prov1")
    assert cc.sdm_action(emulator, cookie, "ID1", "Lock").status_code == 204
    cc.set_switches(emulator, {"sbc.relock_same_token": "423", "sdm.lock_status": "200"})
    arm(emulator, instance="sbc1", path="/rest/api/supportedversions", kind="status", status=500, count=0)
    assert cc.control(emulator, "POST", "/reset").status_code == 200
    assert cc.sbc_lock_state(emulator) == {"held": False, "holder": None}
    assert cc.sdm_locks(emulator) == {} and emulator.sdm_sessions("sdm1") == []
    assert cc.audit(emulator) == []
    assert cc.sbc_is_live(emulator, tok) is False
    switches = cc.control(emulator, "GET", "/switches").json()
    assert switches["sbc1"]["sbc.relock_same_token"] == "204" and switches["sdm1"]["sdm.lock_status"] == "204"
    fresh = cc.sbc_token(emulator)
    assert cc.sbc(emulator, "GET", "/rest/api/supportedversions", token=fresh).status_code == 200


def test_control_switches_get_set_invalid(emulator):
    """GET / POST /switches: values read back canonical; an unknown switch or value -> 400 and nothing changes."""
    switches = cc.control(emulator, "GET", "/switches").json()
    assert switches["sbc1"]["sbc.refresh_mode"] == "move" and switches["sdm1"]["sdm.error_body"] == "text"
    cc.set_switches(emulator, {"sbc.refresh_mode": "revoke", "sdm.error_body": "json"})
    switches = cc.control(emulator, "GET", "/switches").json()
    assert switches["sbc1"]["sbc.refresh_mode"] == "revoke" and switches["sdm1"]["sdm.error_body"] == "json"
    for bad in ({"sbc.refresh_mode": "teleport"}, {"sbc.no_such_switch": "1"}, {"sdm.lock_foreign": "404"}):
        resp = cc.control(emulator, "POST", "/switches", bad)
        assert resp.status_code == 400, resp.text
    assert cc.control(emulator, "GET", "/switches").json() == switches


def test_control_sbc_lock_release_expire(emulator):
    """GET/POST /sbc/{inst}/lock, /release, /expire-tokens: take as acli (409 if held), force-release (cause forced), expire."""
    resp = cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": "gui", "user": "web"})
    assert resp.status_code == 200
    assert cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": "acli", "user": "x"}).status_code == 409
    lock = cc.control(emulator, "GET", "/sbc/sbc1/lock").json()
    assert lock["held"] is True and lock["holder"]["kind"] == "gui" and lock["holder"]["user"] == "web"
    assert cc.control(emulator, "POST", "/sbc/sbc1/release").status_code == 200
    assert cc.control(emulator, "GET", "/sbc/sbc1/lock").json() == {"held": False, "holder": None}
    tok = cc.sbc_locked_token(emulator, "admin2")
    assert cc.control(emulator, "POST", "/sbc/sbc1/expire-tokens", {"user": "admin2"}).status_code == 200
    assert cc.sbc_is_live(emulator, tok) is False
    events = cc.audit(emulator, "sbc1")
    assert [e["cause"] for e in events if e["event"] == "release"][0] == "forced"
    assert events[-1]["cause"] == "token-expired" and events[-1]["holder"]["id"] == cc.fingerprint(tok)
    assert cc.control(emulator, "GET", "/sbc/sbc9/lock").status_code == 404


def test_control_sdm_calls(emulator):
    """GET /sdm/{inst}/locks, /sessions, /devices; POST devices/{id}/lock (409 if another user holds), /release, /expire-sessions."""
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID2/lock", {"user": "prov2"}).status_code == 200
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID2/lock", {"user": "prov1"}).status_code == 409
    assert cc.control(emulator, "GET", "/sdm/sdm1/locks").json() == {"ID2": "prov2"}
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID2/release").status_code == 200
    assert cc.control(emulator, "GET", "/sdm/sdm1/locks").json() == {}
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID999/lock", {"user": "prov1"}).status_code == 404
    cc.sdm_login(emulator, "prov1")
    cc.sdm_login(emulator, "monitor")
    sessions = cc.control(emulator, "GET", "/sdm/sdm1/sessions").json()
    assert sorted(s["user"] for s in sessions) == ["monitor", "prov1"]
    assert cc.control(emulator, "POST", "/sdm/sdm1/expire-sessions", {"user": "monitor"}).status_code == 200
    assert [s["user"] for s in cc.control(emulator, "GET", "/sdm/sdm1/sessions").json()] == ["prov1"]
    devices = cc.control(emulator, "GET", "/sdm/sdm1/devices").json()
    assert sorted(d["id"] for d in devices) == sorted(cc.SDM_DEVICES)
    for device in devices:
        name, ip, nf = cc.SDM_DEVICES[device["id"]]
        assert (device["name"], device["ip"], device["nfId"], device["key"]) == (name, ip, nf, f"{name}_{ip}")
    assert cc.control(emulator, "GET", "/sdm/sdm9/locks").status_code == 404


# ----------------------------------------------------------------- several instances


@pytest.fixture(scope="module")
def multi_emulator(tmp_path_factory):
    """A dedicated emulator with two SBC and two SDM instances."""
    with cc.start_emulator(tmp_path_factory.mktemp("multi"), "--sbc-instances", "2", "--sdm-instances", "2") as emu:
        yield emu


def test_instances_are_independent(multi_emulator):
    """Each instance has its own port and state: tokens, locks, sessions, faults and switches (with "instance") per instance."""
    emu = multi_emulator
    emu.reset()
    assert cc.sbc_base(emu, "sbc1") != cc.sbc_base(emu, "sbc2") and cc.sdm_base(emu, "sdm1") != cc.sdm_base(emu, "sdm2")
    tok1 = cc.sbc_locked_token(emu, inst="sbc1")
    cc.assert_sbc_error(cc.sbc_lock(emu, tok1, inst="sbc2"), 401, cc.TEXT_NOT_AUTHORIZED)
    tok2 = cc.sbc_locked_token(emu, "admin2", inst="sbc2")
    assert cc.sbc_lock_state(emu, "sbc1")["holder"]["id"] == cc.fingerprint(tok1)
    assert cc.sbc_lock_state(emu, "sbc2")["holder"]["id"] == cc.fingerprint(tok2)
    cc.set_switches(emu, {"sbc.relock_same_token": "423"}, instance="sbc2")
    assert cc.sbc_lock(emu, tok1, inst="sbc1").status_code == 204
    cc.assert_sbc_error(cc.sbc_lock(emu, tok2, inst="sbc2"), 423, cc.TEXT_LOCKED)
    assert [e["instance"] for e in cc.audit(emu, "sbc2")] == ["sbc2"]
    cookie = cc.sdm_login(emu, "prov1", inst="sdm1")
    assert cc.sdm_action(emu, cookie, "ID1", "Lock", inst="sdm1").status_code == 204
    cc.assert_sdm_error(cc.sdm_action(emu, cookie, "ID1", "Lock", inst="sdm2"), 401)
    assert cc.sdm_action(emu, cc.sdm_login(emu, "prov2", inst="sdm2"), "ID1", "Lock", inst="sdm2").status_code == 204
    assert cc.sdm_locks(emu, "sdm1") == {"ID1": "prov1"} and cc.sdm_locks(emu, "sdm2") == {"ID1": "prov2"}
    arm(emu, instance="sbc2", path="*", kind="status", status=500, count=0)
    assert cc.sbc_is_live(emu, tok1, "sbc1")
    assert cc.sbc(emu, "GET", "/rest/api/supportedversions", token=tok2, inst="sbc2").status_code == 500


# ----------------------------------------------------------------- shutdown


def test_control_shutdown(tmp_path):
    """POST /shutdown stops the emulator: the control API and the listeners stop answering."""
    with cc.start_emulator(tmp_path, "--max-lifetime", "60") as emu:
        base = cc.sbc_base(emu)
        resp = cc.control(emu, "POST", "/shutdown")
        assert resp.status_code == 200
        deadline = time.monotonic() + 5
        gone = False
        while time.monotonic() < deadline and not gone:
            try:
                cc.control(emu, "GET", "/health")
                time.sleep(0.1)
            except requests.exceptions.ConnectionError:
                gone = True
        assert gone, "control API still answers after /shutdown"
        with pytest.raises(requests.exceptions.ConnectionError):
            cc.request(emu, "POST", base + "/rest/v1.2/auth/token", timeout=2)


# ----------------------------------------------------------------- the switch table of docs/emulator.md

SWITCH_TABLE = {
    "sbc.relock_same_token": ["204", "423"],
    "sbc.refresh_mode": ["move", "revoke", "extend"],
    "sbc.refresh_field": ["any", "token", "accessToken"],
    "sbc.message_shape": ["message", "errorMessage", "reasonPhrase"],
    "sbc.lock_foreign_text": ["default", "alt"],
    "sbc.supportedversions_anonymous": ["false", "true"],
    "sbc.post_status": ["200", "201"],
    "sbc.async_result": ["success", "fail"],
    "sbc.async_link": ["shared", "per_job"],
    "sbc.acli_shares_lock": ["on", "off"],
    "sdm.lock_status": ["204", "200"],
    "sdm.unlock_free": ["400", "204", "409"],
    "sdm.relock_same_user": ["204", "400", "409"],
    "sdm.lock_foreign": ["400", "409", "423", "403", "500"],
    "sdm.unlock_foreign": ["400", "403", "409", "423"],
    "sdm.type_match": ["exact", "insensitive"],
    "sdm.error_body": ["text", "empty", "html", "xml", "json"],
    "sdm.error_names_holder": ["off", "on"],
    "sdm.lock_lifetime": ["survive", "logout", "expiry"],
    "sdm.expose_lock_fields": ["off", "on"],
    "sdm.list_shape": ["9.0.1", "9.0.0"],
    "sdm.group_mode": ["all", "partial"],
    "sdm.cookie_bare_id": ["off", "on"],
    "sdm.www_authenticate": ["on", "off"],
}


@pytest.mark.parametrize("key", sorted(SWITCH_TABLE))
def test_switch_default_and_values(emulator, key):
    """Every switch of the contract: the bold (first) value is the default; every listed value can be set and reads back."""
    product = key.split(".", 1)[0]
    inst = product + "1"
    switches = cc.control(emulator, "GET", "/switches").json()
    assert str(switches[inst][key]) == SWITCH_TABLE[key][0]
    for value in SWITCH_TABLE[key][1:] + SWITCH_TABLE[key][:1]:
        cc.set_switches(emulator, {key: value})
        assert str(cc.control(emulator, "GET", "/switches").json()[inst][key]) == value


@pytest.mark.parametrize("key,default,value", [("sbc.async_delay", 0.2, "1.5"), ("sbc.max_tokens", 0, "7")])
def test_numeric_switches(emulator, key, default, value):
    """Numeric switches: `sbc.async_delay` default 0.2 s, `sbc.max_tokens` default 0 (off); both settable."""
    assert cc.control(emulator, "GET", "/switches").json()["sbc1"][key] == default
    cc.set_switches(emulator, {key: value})
    assert float(cc.control(emulator, "GET", "/switches").json()["sbc1"][key]) == float(value)


def _raw_request(emulator, context, session=None):
    """One GET on a new TLS connection (``session`` to resume); return the connection's TLS session."""
    host, port = urlsplit(emulator.sbc_url()).hostname, urlsplit(emulator.sbc_url()).port
    with socket.create_connection((host, port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname='localhost', session=session) as tls:
            tls.sendall(b'GET /rest/v1.2/configuration/elementTypes HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
            while tls.recv(65536):
                pass
            return tls.session, tls.session_reused


def test_control_stats_count_connections_and_tls_handshakes_full_and_resumed(emulator):
    """Each TCP connection that carries a request counts once; a TLS session resumed counts as resumed."""
    assert cc.control(emulator, "POST", "/stats/reset").status_code == 200
    with requests.Session() as http:  # one keep-alive connection, three requests
        for _unused in range(3):
            http.post(emulator.sbc_url() + "/rest/v1.2/auth/token", auth=("admin", "admin-secret-1"), verify=emulator.ca_cert)
    sbc1 = cc.control(emulator, "GET", "/stats", instance="sbc1").json()["sbc1"]
    assert sbc1["total"] == 3 and sbc1["connections"] == 1
    assert sbc1["tls_handshakes"] == {"full": 1, "resumed": 0}
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    session, reused = _raw_request(emulator, context)
    assert not reused
    _session, reused = _raw_request(emulator, context, session=session)
    assert reused  # the emulator resumes TLS sessions, as a server with session tickets does
    sbc1 = cc.control(emulator, "GET", "/stats", instance="sbc1").json()["sbc1"]
    assert sbc1["connections"] == 3
    assert sbc1["tls_handshakes"] == {"full": 2, "resumed": 1}
    assert cc.control(emulator, "POST", "/stats/reset").status_code == 200
    sbc1 = cc.control(emulator, "GET", "/stats", instance="sbc1").json()["sbc1"]
    assert sbc1["connections"] == 0 and sbc1["tls_handshakes"] == {"full": 0, "resumed": 0}
