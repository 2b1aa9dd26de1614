"""Conformance: SBC `configuration/management` (save / verify / restore / activate / backup) and `admin/asyncstatus`.

Rows under every value of `sbc.async_result`, `sbc.async_link`, `sbc.async_delay` and `sbc.message_shape`.
"""

import time
from urllib.parse import urlsplit

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

OPERATIONS = [("PUT", "save"), ("PUT", "verify"), ("PUT", "restore"), ("POST", "activate"), ("POST", "backup")]


def manage(emu, token, method, action, version="v1.2", **extra):
    """Send one configuration/management call; return the response."""
    params = {"action": action, **extra} if action is not None else extra
    return cc.sbc(emu, method, f"/rest/{version}/configuration/management", token=token, params=params)


def accepted_link(emu, resp, version):
    """Assert a 202 envelope with one https link to admin/asyncstatus of this host; return the link."""
    assert resp.status_code == 202, (resp.status_code, resp.text)
    root = cc.envelope(resp)
    links = [node.text.strip() for node in root.find("links").iter("link") if node.text and node.text.strip()]
    assert len(links) == 1, resp.text
    link = links[0]
    parts = urlsplit(link)
    base = urlsplit(cc.sbc_base(emu))
    assert parts.scheme == "https" and parts.port == base.port and parts.hostname == base.hostname, link
    assert parts.path == f"/rest/{version}/admin/asyncstatus", link
    return link


@pytest.mark.parametrize("link_switch", ["shared", "per_job"])
@pytest.mark.parametrize("result", ["success", "fail"])
@pytest.mark.parametrize("method,action", OPERATIONS)
def test_management_runs_async_job(emulator, method, action, result, link_switch):
    """management with the lock -> 202 + link (shared / per_job); inProgress for the default async_delay (0.2 s), then success / fail."""
    cc.set_switches(emulator, {"sbc.async_result": result, "sbc.async_link": link_switch})  # default async_delay 0.2 s
    tok = cc.sbc_locked_token(emulator)
    resp = manage(emulator, tok, method, action)
    link = accepted_link(emulator, resp, "v1.2")
    query = urlsplit(link).query
    if link_switch == "shared":
        assert query == "", link
    else:
        assert query.startswith("job=") and query[4:].strip(), link
    first = cc.wait_async(emulator, tok, timeout=0)
    assert first[0] == "inProgress" and first[1].findtext("operation") == action, first
    status, state, root = cc.wait_async(emulator, tok, url=link)
    assert status == result and state.findtext("operation") == action
    if result == "fail":
        data = root.find("data")
        texts = [n.text.strip() for n in data.iter() if n.text and n.text.strip() and n.tag not in ("operation", "status")]
        assert texts, "failure text inside <data>"
    assert cc.wait_async(emulator, tok)[0] == result
    assert cc.sbc_lock_state(emulator)["holder"]["id"] == cc.fingerprint(tok)


@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
def test_asyncstatus_reports_most_recent_job(emulator, version):
    """asyncstatus reports the most recent async request system-wide (any token, any version)."""
    cc.set_switches(emulator, {"sbc.async_delay": "0.05"})
    tok = cc.sbc_token(emulator, version=version)
    assert cc.sbc_lock(emulator, tok, version).status_code == 204
    accepted_link(emulator, manage(emulator, tok, "PUT", "save", version), version)
    assert cc.wait_async(emulator, tok, version)[0] == "success"
    accepted_link(emulator, manage(emulator, tok, "PUT", "verify", version), version)
    status, state, _root = cc.wait_async(emulator, cc.sbc_token(emulator, "operator"), version)
    assert status == "success" and state.findtext("operation") == "verify"


def test_async_delay_switch(emulator):
    """Switch `sbc.async_delay`: the job stays inProgress for that long, then ends."""
    cc.set_switches(emulator, {"sbc.async_delay": "1.0"})
    tok = cc.sbc_locked_token(emulator)
    t0 = time.monotonic()
    accepted_link(emulator, manage(emulator, tok, "PUT", "save"), "v1.2")
    time.sleep(0.6)
    assert cc.wait_async(emulator, tok, timeout=0)[0] == "inProgress"
    status = cc.wait_async(emulator, tok, timeout=3)[0]
    assert status == "success" and time.monotonic() - t0 >= 0.95


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("holder", ["free", "same-user-token", "other-user-token", "acli", "gui", "sdm"])
@pytest.mark.parametrize("method,action", OPERATIONS)
def test_management_lock_check(emulator, method, action, holder, shape):
    """management needs the lock (verify too): free -> 423 "User does not have the lock"; other holder -> 423 "Resource locked..."; no job."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    if holder == "same-user-token":
        cc.sbc_locked_token(emulator, "admin")
    elif holder == "other-user-token":
        cc.sbc_locked_token(emulator, "admin2")
    elif holder != "free":
        assert cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": holder, "user": "cli"}).status_code in (200, 201, 204)
    tok = cc.sbc_token(emulator, "admin")
    resp = manage(emulator, tok, method, action)
    cc.assert_sbc_error(resp, 423, cc.TEXT_NO_LOCK if holder == "free" else cc.TEXT_LOCKED, shape)
    status = cc.sbc(emulator, "GET", "/rest/v1.2/admin/asyncstatus", token=tok)
    if status.status_code == 200:
        state = cc.envelope(status).find("data/operationState")
        assert state is None or state.findtext("operation") != action, status.text


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("method,action", [
    ("PUT", None), ("PUT", "bogus"), ("PUT", "activate"), ("PUT", "backup"), ("PUT", ""),
    ("POST", "save"), ("POST", "verify"), ("POST", "restore"), ("POST", None), ("POST", "bogus"),
])
def test_management_bad_action_is_400(emulator, method, action, shape):
    """management with a bad or missing action (or one that belongs to the other method) -> 400 envelope; no job started."""
    cc.set_switches(emulator, {"sbc.message_shape": shape, "sbc.async_delay": "5"})
    tok = cc.sbc_locked_token(emulator)
    resp = manage(emulator, tok, method, action)
    cc.assert_sbc_error(resp, 400, shape=shape)
    status = cc.sbc(emulator, "GET", "/rest/v1.2/admin/asyncstatus", token=tok)
    if status.status_code == 200:
        state = cc.envelope(status).find("data/operationState")
        assert state is None or state.findtext("status") != "inProgress", status.text


def test_per_job_links_are_distinct_and_pollable(emulator):
    """`sbc.async_link=per_job`: each job has its own link; an older job's link still reports that job."""
    cc.set_switches(emulator, {"sbc.async_link": "per_job", "sbc.async_delay": "0.05"})
    tok = cc.sbc_locked_token(emulator)
    link1 = accepted_link(emulator, manage(emulator, tok, "PUT", "save"), "v1.2")
    assert cc.wait_async(emulator, tok, url=link1)[0] == "success"
    link2 = accepted_link(emulator, manage(emulator, tok, "PUT", "verify"), "v1.2")
    assert link1 != link2
    assert cc.wait_async(emulator, tok, url=link2)[1].findtext("operation") == "verify"
    assert cc.wait_async(emulator, tok, url=link1)[1].findtext("operation") == "save"
