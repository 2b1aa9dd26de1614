"""Conformance: fault `drip`, the answer sent a few bytes at a time (the state changes as usual; the client that gives up is let go)."""

import math
import socket
import ssl
import time
from urllib.parse import urlsplit

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc


def arm_drip(emu, **fault):
    resp = cc.control(emu, "POST", "/faults", dict(fault, kind="drip"))
    assert resp.status_code == 200, resp.text
    return resp.json()


def pieces_of(emu, url, request, give_up_after=None):
    """Send raw ``request`` bytes over TLS to ``url``; return [(arrival time, bytes)] of each TLS record of the answer.

    With ``give_up_after``, hang up after that many pieces, as a client whose time is up.
    """
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=emu.ca_cert)
    pieces = []
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            tls.sendall(request)
            while give_up_after is None or len(pieces) < give_up_after:
                data = tls.recv(65536)  # OpenSSL returns at most one TLS record per read
                if not data:
                    break
                pieces.append((time.monotonic(), data))
    return pieces


def sbc_lock_request(emu, token):
    host = urlsplit(emu.sbc_url()).netloc
    return ("POST /rest/v1.2/configuration/lock HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n"
            % (host, token)).encode()


def test_drip_sends_the_usual_answer_n_bytes_per_interval_then_closes(emulator):
    token = cc.sbc_token(emulator)
    fault = arm_drip(emulator, instance="sbc1", method="POST", path="*/configuration/lock", bytes=7, delay=0.03)
    assert (fault["bytes"], fault["delay"], fault["count"]) == (7, 0.03, 1)
    pieces = pieces_of(emulator, emulator.sbc_url(), sbc_lock_request(emulator, token))
    answer = b"".join(data for _at, data in pieces)
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 204 ") and "\r\nConnection: close" in head and "\r\nServer: Apache" in head, head
    assert max(len(data) for _at, data in pieces) <= 7 and len(pieces) == math.ceil(len(answer) / 7.0)
    assert pieces[-1][0] - pieces[0][0] >= (len(pieces) - 1) * 0.03 * 0.9  # paced, not sent at once
    assert cc.sbc_lock_state(emulator)["holder"]["id"] == cc.fingerprint(token)  # handled as usual
    assert emulator.stats("sbc1")["by_route"]["POST /rest/{v}/configuration/lock"] == 1


def test_drip_keeps_headers_and_cookies_of_the_answer(emulator):
    arm_drip(emulator, instance="sdm1", method="POST", path="*/admin/login", bytes=64, delay=0.01)
    started = time.monotonic()
    cookie = cc.sdm_login(emulator, "prov1")  # asserts the Set-Cookie shape
    assert time.monotonic() - started >= 0.05
    assert cc.sdm_action(emulator, cookie, "ID1", "Lock").status_code == 204  # the session it carried works
    assert cc.sdm_locks(emulator) == {"ID1": "prov1"}


def test_a_client_that_hangs_up_mid_drip_leaves_the_emulator_serving(emulator):
    token = cc.sbc_token(emulator)
    arm_drip(emulator, instance="sbc1", method="POST", path="*/configuration/lock", bytes=1, delay=0.05, count=0)
    assert len(pieces_of(emulator, emulator.sbc_url(), sbc_lock_request(emulator, token), give_up_after=3)) == 3
    assert cc.control(emulator, "DELETE", "/faults").status_code == 200
    assert cc.sbc_unlock(emulator, token).status_code == 204  # the lock the dripped answer granted, given back normally
    assert not cc.sbc_lock_state(emulator)["held"]


@pytest.mark.parametrize("spec", [{"bytes": 0}, {"bytes": "many"}, {"delay": -1}])
def test_drip_invalid_is_refused(emulator, spec):
    resp = cc.control(emulator, "POST", "/faults", dict(spec, kind="drip"))
    assert resp.status_code == 400, resp.text
