"""Conformance: `sdm.error_wording`, the words of the SDM device state table's refusals.

Each refusal (another user holds the device, a refused re-lock, Unlock of a free device) under each wording,
with and without `sdm.error_names_holder`, in every `sdm.error_body` shape that carries a text.
"""

import html
import json

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

TEXTS = {
    "default": {
        "foreign": ("Device ID3 is locked by another user", "Device ID3 is locked by user prov2"),
        "relock": ("Device ID3 is already locked", "Device ID3 is already locked by user prov1"),
        "free": ("Device ID3 is not locked", "Device ID3 is not locked"),
    },
    "alt": {
        "foreign": ("Another user holds the lock on device ID3", "Device ID3 is held by 'prov2'"),
        "relock": ("Device ID3 is already locked by you", "Device ID3 is already held by 'prov1'"),
        "free": ("No lock to release on device ID3", "No lock to release on device ID3"),
    },
    "localized": {
        "foreign": ("Gerät ID3 ist von einem anderen Benutzer gesperrt", "Gerät ID3 ist von Benutzer prov2 gesperrt"),
        "relock": ("Gerät ID3 ist bereits gesperrt", "Gerät ID3 ist bereits von Benutzer prov1 gesperrt"),
        "free": ("Gerät ID3 ist nicht gesperrt", "Gerät ID3 ist nicht gesperrt"),
    },
}
TEXT_BODIES = ["text", "xml", "json", "html"]


def body_text(resp, error_body):
    """Return the refusal text a response of shape error_body carries (HTML: the Tomcat page's message, unescaped)."""
    content = resp.content.decode("utf-8")
    if error_body == "text":
        return content.strip()
    if error_body == "json":
        return json.loads(content)["message"]
    if error_body == "xml":
        return cc.parse_xml(resp.content).findtext("message")
    start = content.index("<b>Message</b> ") + len("<b>Message</b> ")
    return html.unescape(content[start:content.index("</p>", start)])


def refuse(emu, case):
    """Provoke the refusal case on ID3 as prov1 (prov2 holding it for "foreign"); return the response."""
    cookie = cc.sdm_login(emu, "prov1")
    if case == "foreign":
        assert cc.control(emu, "POST", "/sdm/sdm1/devices/ID3/lock", {"user": "prov2"}).status_code == 200
        return cc.sdm_action(emu, cookie, "ID3", "Lock")
    if case == "relock":
        assert cc.sdm_action(emu, cookie, "ID3", "Lock").status_code == 204
        return cc.sdm_action(emu, cookie, "ID3", "Lock")
    return cc.sdm_action(emu, cookie, "ID3", "Unlock")


def test_switch_default_and_values(emulator):
    """`sdm.error_wording`: default `default`; `alt` and `localized` can be set and read back; others are a 400."""
    assert cc.control(emulator, "GET", "/switches").json()["sdm1"]["sdm.error_wording"] == "default"
    for value in ("alt", "localized", "default"):
        cc.set_switches(emulator, {"sdm.error_wording": value})
        assert cc.control(emulator, "GET", "/switches").json()["sdm1"]["sdm.error_wording"] == value
    assert cc.control(emulator, "POST", "/switches", {"sdm.error_wording": "klingon"}).status_code == 400


@pytest.mark.parametrize("error_body", TEXT_BODIES)
@pytest.mark.parametrize("names_holder", ["off", "on"])
@pytest.mark.parametrize("case", ["foreign", "relock", "free"])
@pytest.mark.parametrize("wording", sorted(TEXTS))
def test_refusal_text(emulator, wording, case, names_holder, error_body):
    """Each refusal says the `sdm.error_wording` text (the holder named iff switched on); status and locks are unchanged."""
    cc.set_switches(emulator, {"sdm.error_wording": wording, "sdm.error_names_holder": names_holder, "sdm.error_body": error_body,
                               "sdm.lock_foreign": "409", "sdm.relock_same_user": "409", "sdm.unlock_free": "409"})
    resp = refuse(emulator, case)
    cc.assert_sdm_error(resp, 409, error_body)
    assert body_text(resp, error_body) == TEXTS[wording][case][names_holder == "on"]
    expected_locks = {"foreign": {"ID3": "prov2"}, "relock": {"ID3": "prov1"}, "free": {}}[case]
    assert cc.sdm_locks(emulator) == expected_locks


@pytest.mark.parametrize("wording", sorted(TEXTS))
def test_group_refusal_uses_wording(emulator, wording):
    """A device-group Lock refused for a member another user holds carries that member's refusal text."""
    cc.set_switches(emulator, {"sdm.error_wording": wording, "sdm.error_names_holder": "on"})
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID3/lock", {"user": "prov2"}).status_code == 200
    resp = cc.sdm_group_action(emulator, cc.sdm_login(emulator, "prov1"), "ID102", "ID202", "Lock")
    cc.assert_sdm_error(resp, 400)
    assert resp.text.strip() == TEXTS[wording]["foreign"][1]


def test_localized_text_is_utf8(emulator):
    """A German refusal travels as UTF-8, and the plain-text Content-Type says so."""
    cc.set_switches(emulator, {"sdm.error_wording": "localized"})
    resp = refuse(emulator, "free")
    cc.assert_sdm_error(resp, 400)
    assert "Gerät".encode("utf-8") in resp.content
    assert "charset=utf-8" in resp.headers["Content-Type"].lower().replace(" ", ""), resp.headers


@pytest.mark.parametrize("wording", ["alt", "localized"])
def test_other_errors_keep_their_words(emulator, wording):
    """Only the state table's refusals change words: an unknown device and a missing session still say what they did."""
    cc.set_switches(emulator, {"sdm.error_wording": wording})
    resp = cc.sdm_action(emulator, cc.sdm_login(emulator, "prov1"), "ID99", "Lock")
    cc.assert_sdm_error(resp, 404)
    assert resp.text.strip() == "Device ID99 not found"
    resp = cc.sdm_action(emulator, "JSESSIONID=00", "ID3", "Lock")
    cc.assert_sdm_error(resp, 401)
    assert resp.text.strip() == "Session is not valid or has expired"
