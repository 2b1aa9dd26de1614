"""Conformance: SDM provisioning through the control API, and a push that takes time (`sdm.push_delay`).

Seeding and reading a device configuration, per-user staged changes, arming and clearing push failures, and the
SBC lock the SDM holds for the whole of a slow push.
"""

import json
import threading
import time

import pytest

try:
    import conformance_client as cc
    import sdm_config_client as sc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc
    from tests.emulator import sdm_config_client as sc

SEED = [{"elementTypePath": "realmConfig", "attributes": [{"name": "id", "value": "lab"}],
         "childrenElements": [{"elementTypePath": "realmConfig/networkInterfaceId",
                               "attributes": [{"name": "name", "value": "wancom0"}, {"name": "subPortId", "value": "0"}]}]}]


def test_seed_and_read_a_device_configuration(emulator):
    """PUT config replaces the device's elements (defaults filled in); REST reads see it; POST /reset restores the seed."""
    resp = cc.control(emulator, "PUT", "/sdm/sdm1/devices/ID2/config", {"elements": SEED})
    assert resp.status_code == 200, resp.text
    assert list(sc.device_elements(emulator, "ID2")) == [("realmConfig", "lab")]
    cookie = cc.sdm_login(emulator)
    listed = sc.listed(emulator, cookie, "realmConfig", dev="ID2")
    assert [sc.attrs_of(e)["mmInRealm"] for e in listed] == ["disabled"]
    assert sc.attrs_of(listed[0]["childrenElements"][0])["name"] == "wancom0"
    assert ("realmConfig", "core") in sc.device_elements(emulator, "ID1")
    assert cc.control(emulator, "POST", "/reset").status_code == 200
    assert ("realmConfig", "core") in sc.device_elements(emulator, "ID2")


@pytest.mark.parametrize("body", [
    {}, {"elements": "x"}, {"elements": [{"elementTypePath": "nope"}]},
    {"elements": [{"elementTypePath": "realmConfig", "attributes": [{"name": "colour", "value": "red"}]}]},
    {"elements": [{"elementTypePath": "realmConfig/networkInterfaceId", "attributes": [{"name": "name", "value": "x"}]}]},
])
def test_seed_rejects_bad_elements(emulator, body):
    """A seed that is no list of valid top-level configElements is a 400 and changes nothing."""
    resp = cc.control(emulator, "PUT", "/sdm/sdm1/devices/ID1/config", body)
    assert resp.status_code == 400 and "error" in resp.json(), resp.text
    assert ("realmConfig", "core") in sc.device_elements(emulator)


def test_control_calls_on_unknown_devices_and_instances(emulator):
    """Unknown device or SDM instance: 404 on every provisioning control call."""
    for method, path in (("GET", "/sdm/sdm1/devices/ID99/config"), ("GET", "/sdm/sdm1/devices/ID99/changes"),
                         ("POST", "/sdm/sdm1/devices/ID99/push-failure"), ("GET", "/sdm/sdm9/devices/ID1/config")):
        assert cc.control(emulator, method, path, {}).status_code == 404, path


@pytest.mark.parametrize("body", [{"step": "reboot"}, {"step": "validation", "count": "many"}])
def test_arm_failure_rejects_bad_input(emulator, body):
    """push-failure with an unknown step or a non-integer count: 400."""
    assert cc.control(emulator, "POST", "/sdm/sdm1/devices/ID1/push-failure", body).status_code == 400


def test_failure_until_cleared(emulator):
    """count 0 fails every push until DELETE push-failure; the default text is used when none is given."""
    armed = sc.arm_failure(emulator, "validation", count=0)
    assert armed["message"] and armed["device"] == "ID1"
    cookie = cc.sdm_login(emulator)
    for _attempt in range(2):
        assert sc.result_of(sc.push(emulator, cookie))["validationErrorMessage"] == armed["message"]
    resp = cc.control(emulator, "DELETE", "/sdm/sdm1/devices/ID1/push-failure")
    assert resp.json() == {"device": "ID1", "cleared": 1}
    assert sc.result_of(sc.push(emulator, cookie))["status"] == "SUCCESS"


def push_in_background(emu, cookie, dev, results):
    """Start a push in a thread that stores its response in ``results``; return the thread."""
    thread = threading.Thread(target=lambda: results.append(sc.push(emu, cookie, dev=dev)))
    thread.start()
    return thread


def pushing(emu, dev):
    """True while a push of ``dev`` is under way, as the control API's device configuration says."""
    return cc.control(emu, "GET", f"/sdm/sdm1/devices/{dev}/config").json()["pushing"]


def wait_for(predicate, timeout=5.0):
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_slow_push_holds_the_sbc_lock(emulator):
    """During a push (`sdm.push_delay`), sbc1's lock is the SDM's: a REST lock gets 423; afterwards it is free again."""
    cc.set_switches(emulator, {"sdm.push_delay": "1.0"})
    cookie = cc.sdm_login(emulator)
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    results = []
    thread = push_in_background(emulator, cookie, "ID1", results)
    wait_for(lambda: cc.sbc_lock_state(emulator)["held"])
    assert cc.sbc_lock_state(emulator)["holder"] == {"kind": "sdm", "user": "prov1", "id": None}
    token = cc.sbc_token(emulator)
    assert cc.sbc_lock(emulator, token).status_code == 423
    thread.join(10)
    assert sc.result_of(results[0])["status"] == "SUCCESS" and not pushing(emulator, "ID1")
    assert cc.sbc_lock_state(emulator)["held"] is False
    assert cc.sbc_lock(emulator, token).status_code == 204
    cc.assert_never_two_holders(cc.audit(emulator))


def test_second_push_during_a_slow_one_fails_its_lock(emulator):
    """Two pushes of an unlinked device at once: the second gets isLockSuccess FAILURE; changes staged meanwhile stay staged."""
    cc.set_switches(emulator, {"sdm.push_delay": "1.0"})
    first = cc.sdm_login(emulator, "prov1")
    sc.staged_ok(emulator, first, "add", "mediaPolicy", {"name": "m1"}, dev="ID3")
    results = []
    thread = push_in_background(emulator, first, "ID3", results)
    wait_for(lambda: pushing(emulator, "ID3"))
    sc.staged_ok(emulator, first, "update", "mediaPolicy", {"name": "m1", "description": "later"}, dev="ID3")
    second = sc.result_of(sc.push(emulator, cc.sdm_login(emulator, "prov2"), dev="ID3"))
    assert second["isLockSuccess"] == "FAILURE" and second["status"] == "FAILURE"
    thread.join(10)
    assert sc.result_of(results[0])["status"] == "SUCCESS"
    assert [r["name"] for r in sc.changes(emulator, first, "ID3")] == ["m1"]
    assert sc.attrs_of(sc.device_elements(emulator, "ID3")[("mediaPolicy", "m1")])["description"] == ""


def test_device_to_sbc_mapping_from_the_config_file(tmp_path):
    """A device's `sbc` field names its SBC (null: none), beside the `sbcN` for `IDN` rule; a push locks only that SBC."""
    devices = [{"id": "ID1", "name": "a", "ip": "192.0.2.1", "nfId": "ID101", "nfName": "nf", "groupId": "ID201", "sbc": None},
               {"id": "ID2", "name": "b", "ip": "192.0.2.2", "nfId": "ID101", "nfName": "nf", "groupId": "ID201", "sbc": "sbc1"},
               {"id": "ID7", "name": "c", "ip": "192.0.2.3", "nfId": "ID101", "nfName": "nf", "groupId": "ID201"}]
    config = tmp_path / "emulator.json"
    config.write_text(json.dumps({"sdm": {"devices": devices}}))
    with cc.start_emulator(tmp_path / "run", "--config", str(config), "--sbc-instances", "2") as emu:
        cookie = cc.sdm_login(emu)
        for dev in ("ID1", "ID2", "ID7"):
            sc.staged_ok(emu, cookie, "add", "mediaPolicy", {"name": "m-" + dev}, dev=dev)
            assert sc.result_of(sc.push(emu, cookie, dev=dev))["status"] == "SUCCESS"
        assert [e["cause"] for e in cc.audit(emu, "sbc1")] == ["sdm-push", "sdm-push"]
        assert cc.audit(emu, "sbc2") == []
    bad = dict(devices[0], sbc=3)
    config.write_text(json.dumps({"sdm": {"devices": [bad]}}))
    with pytest.raises(Exception, match="sbc"):
        with cc.start_emulator(tmp_path / "bad", "--config", str(config)):
            pass
