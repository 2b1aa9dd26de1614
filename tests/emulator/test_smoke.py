"""Smoke tests of the emulator itself: it starts, serves both products, obeys its control API, takes load, stops.

The per-row conformance suite lives beside this file; these only prove the plumbing works.
"""

import asyncio
import base64
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time

import aiohttp
import requests

from emulator_harness import REPO_ROOT, assert_never_two_holders, start_emulator

SBC_ADMIN = ("admin", "admin-secret-1")
BASIC_ADMIN = "Basic " + base64.b64encode(b"admin:admin-secret-1").decode()
V = "/rest/v1.2"


def sbc_token(emu, auth=SBC_ADMIN, inst="sbc1"):
    response = requests.post(emu.sbc_url(inst) + V + "/auth/token", auth=auth, verify=emu.ca_cert, timeout=10)
    assert response.status_code == 200, response.text
    return re.search(r"<accessToken>([^<]+)</accessToken>", response.text).group(1)


def sbc_call(emu, path, token, method="POST", **kwargs):
    return requests.request(method, emu.sbc_url() + V + path, headers={"Authorization": "Bearer " + token},
                            verify=emu.ca_cert, timeout=10, **kwargs)


def test_startup_line_and_control_health(emulator):
    urls = emulator.urls
    assert set(urls) >= {"sbc", "sdm", "control", "ca_cert", "pid"}
    assert urls["sbc"]["sbc1"].startswith("https://127.0.0.1:")
    assert urls["sdm"]["sdm1"].startswith("https://127.0.0.1:")
    assert os.path.isfile(emulator.ca_cert)
    assert os.stat(os.path.dirname(emulator.ca_cert)).st_mode & 0o777 == 0o700
    assert emulator.control("GET", "/health") == {"ok": True}
    assert emulator.process.pid == urls["pid"]


def test_sbc_token_lock_unlock(emulator):
    token = sbc_token(emulator)
    response = sbc_call(emulator, "/configuration/lock", token)
    assert response.status_code == 204 and response.content == b""
    assert response.headers["Server"] == "Apache" and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    state = emulator.sbc_lock_state()
    assert state["held"] and state["holder"]["kind"] == "rest" and state["holder"]["user"] == "admin"
    assert token not in json.dumps(state)

    other = sbc_token(emulator, ("admin2", "admin-secret-2"))
    busy = sbc_call(emulator, "/configuration/lock", other)
    assert busy.status_code == 423
    assert busy.headers["Content-Type"].startswith("application/xml")
    assert "<messages><message>Resource locked by another user</message></messages>" in busy.text

    assert sbc_call(emulator, "/configuration/unlock", token).status_code == 204
    assert not emulator.sbc_lock_state()["held"]
    events = emulator.audit("sbc1")
    assert [e["event"] for e in events] == ["grant", "release"]
    assert_never_two_holders(events)
    stats = emulator.stats("sbc1")
    assert stats["by_route"]["POST /rest/{v}/configuration/lock"] == 2
    assert stats["by_status"]["423"] == 1
    assert {token, other} <= set(emulator.secrets()["tokens"])


def test_sbc_envelope_errors(emulator):
    response = requests.post(emulator.sbc_url() + "/rest/v9.9/configuration/lock", verify=emulator.ca_cert, timeout=10)
    assert response.status_code == 404 and "Unsupported versionId in URI" in response.text and "<link>" in response.text
    response = sbc_call(emulator, "/configuration/lock", "not-a-token")
    assert response.status_code == 401 and "Client not authorized" in response.text
    token = sbc_token(emulator)
    sbc_call(emulator, "/configuration/lock", token)
    bad = sbc_call(emulator, "/configuration/configElements", token, data=b"<configElement><oops")
    assert bad.status_code == 400 and "<messages><message>malformed XML" in bad.text
    bad = requests.post(emulator.sbc_url() + V + "/configuration/configElements", data=b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
                        headers={"Authorization": "Bearer " + token, "Content-Type": "application/xml"},
                        verify=emulator.ca_cert, timeout=10)
    assert bad.status_code == 400 and bad.text.startswith("<?xml") and "Traceback" not in bad.text


def test_sdm_login_lock_logout(emulator):
    base = emulator.sdm_url() + V
    login = requests.post(base + "/admin/login", json={"userName": "prov1", "password": "prov1-secret"},
                          headers={"Accept": "application/json"}, verify=emulator.ca_cert, timeout=10)
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert re.fullmatch(r"JSESSIONID=[0-9A-F]{32}\.tomcat1; Path=/rest; HttpOnly", cookie)
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert login.json()["sessionId"] == session_id
    headers = {"Cookie": "JSESSIONID=" + session_id}
    action = requests.post(base + "/inventory/deviceMgmt/devices/ID3/action", data="<deviceAction><type>Lock</type></deviceAction>",
                           headers=dict(headers, **{"Content-Type": "application/xml"}), verify=emulator.ca_cert, timeout=10)
    assert action.status_code == 204
    assert emulator.sdm_locks() == {"ID3": "prov1"}
    assert [s["user"] for s in emulator.sdm_sessions()] == ["prov1"]
    devices = requests.get(base + "/inventory/deviceMgmt/devices", headers=dict(headers, Accept="application/json"),
                           verify=emulator.ca_cert, timeout=10)
    assert [d["id"] for d in devices.json()["devices"]] == ["ID1", "ID2", "ID3", "ID4", "ID5"]
    assert requests.post(base + "/admin/logout", headers=headers, verify=emulator.ca_cert, timeout=10).status_code == 204
    assert emulator.sdm_sessions() == []
    assert emulator.sdm_locks() == {"ID3": "prov1"}  # device locks survive logout by default
    gone = requests.get(base + "/admin/serverInfo", headers=headers, verify=emulator.ca_cert, timeout=10)
    assert gone.status_code == 401 and "WWW-Authenticate" in gone.headers


def test_control_switches_faults_reset(emulator):
    emulator.set_switches({"sbc.relock_same_token": "423"})
    assert emulator.control("GET", "/switches", instance="sbc1")["sbc1"]["sbc.relock_same_token"] == "423"
    token = sbc_token(emulator)
    assert sbc_call(emulator, "/configuration/lock", token).status_code == 204
    assert sbc_call(emulator, "/configuration/lock", token).status_code == 423

    emulator.arm_fault(instance="sbc1", method="POST", path="*/configuration/unlock", kind="status", status=503, count=1)
    assert sbc_call(emulator, "/configuration/unlock", token).status_code == 503
    assert emulator.sbc_lock_state()["held"]  # a faulted request changes nothing
    emulator.arm_fault(instance="sbc1", path="*/configuration/unlock", kind="drop")
    try:
        sbc_call(emulator, "/configuration/unlock", token)
        raise AssertionError("the dropped request got an answer")
    except requests.ConnectionError:
        pass
    emulator.arm_fault(instance="sbc1", path="*/configuration/unlock", kind="html502")
    page = sbc_call(emulator, "/configuration/unlock", token)
    assert page.status_code == 502 and "Proxy Error" in page.text
    assert sbc_call(emulator, "/configuration/unlock", token).status_code == 204

    emulator.reset()
    assert emulator.audit() == [] and emulator.stats("sbc1")["total"] == 0
    assert emulator.control("GET", "/switches", instance="sbc1")["sbc1"]["sbc.relock_same_token"] == "204"
    try:
        emulator.control("POST", "/switches", json={"sbc.relock_same_token": "999"})
        raise AssertionError("a bad switch value was accepted")
    except AssertionError as exc:
        assert "-> 400" in str(exc)


async def _lock_unlock_clients(emu, clients, seconds):
    """Run ``clients`` keep-alive HTTPS clients, each with its own connection and token, doing lock/unlock cycles.

    Every client first gets its token; once all have one, each does at least one cycle and goes on for ``seconds``
    (reckoned from then, so a machine slow to make 200 TLS connections shortens nothing that is asserted).
    """
    context = ssl.create_default_context(cafile=emu.ca_cert)
    base = emu.sbc_url() + V
    statuses = {}
    ready = []
    all_ready = asyncio.Event()
    window = {}

    async def client(n):
        connector = aiohttp.TCPConnector(ssl=context, limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(base + "/auth/token", headers={"Authorization": BASIC_ADMIN}) as response:
                token = re.search(r"<accessToken>([^<]+)<", await response.text()).group(1)
            headers = {"Authorization": "Bearer " + token}
            ready.append(n)
            if len(ready) == clients:
                window["deadline"] = time.monotonic() + seconds
                all_ready.set()
            await all_ready.wait()
            while True:
                for path in ("/configuration/lock", "/configuration/unlock"):
                    async with session.post(base + path, headers=headers) as response:
                        await response.read()
                        statuses[response.status] = statuses.get(response.status, 0) + 1
                if time.monotonic() >= window["deadline"]:
                    break

    await asyncio.gather(*(client(n) for n in range(clients)))
    return statuses


def test_200_concurrent_keepalive_clients(emulator):
    statuses = asyncio.run(_lock_unlock_clients(emulator, 200, 2.0))
    assert set(statuses) <= {204, 423}, statuses
    assert statuses.get(204, 0) >= 2
    events = emulator.audit("sbc1")
    assert events and {e["event"] for e in events} == {"grant", "release"}
    assert_never_two_holders(events)


def test_token_expiry_releases_lock_without_traffic(tmp_path):
    with start_emulator(tmp_path, "--token-ttl", "1", "--sdm-instances", "0") as emu:
        token = sbc_token(emu)
        assert sbc_call(emu, "/configuration/lock", token).status_code == 204
        time.sleep(1.8)  # no request reaches sbc1 meanwhile: only the reaper can release the lock
        events = emu.audit("sbc1")
        assert [(e["event"], e["cause"]) for e in events] == [("grant", "lock"), ("expire", "token-expired")]
        assert sbc_call(emu, "/configuration/lock", token).status_code == 401


def test_stops_on_sigterm_and_max_lifetime(tmp_path):
    with start_emulator(tmp_path / "a") as emu:
        emu.process.send_signal(signal.SIGTERM)
        assert emu.process.wait(timeout=10) == 0
    command = [sys.executable, "-m", "emulator", "--ca-dir", str(tmp_path / "b"), "--max-lifetime", "1"]
    # stopping by itself is the point; the timeout only keeps a hang from stalling the suite (start-up takes 20 s under load)
    done = subprocess.run(command, cwd=str(REPO_ROOT), capture_output=True, timeout=180, check=False)
    assert done.returncode == 0 and b"max lifetime of 1s reached" in done.stderr, done
    assert len(done.stdout.decode().splitlines()) == 1
