"""Conformance: the SDM push (`configuration/devices/{id}/action`): saveActivateResult, the SBC lock, failures.

Switches `sdm.push_types`, `sdm.type_match`, `sdm.push_empty`, `sdm.push_scope`, `sdm.push_failure_status`,
`sdm.push_fail_word`, `sdm.push_failed_staging`, `sdm.push_delay`, and `sbc.acli_shares_lock` for the linked SBC.
Device ID1 is linked to sbc1 (the `sbcN` for `IDN` rule); ID3 has no SBC instance in the default run.
"""

import pytest

try:
    import conformance_client as cc
    import sdm_config_client as sc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc
    from tests.emulator import sdm_config_client as sc


def staged_policy(emu, user="prov1", dev="ID1", name="m1"):
    """Log ``user`` in, stage one new mediaPolicy on ``dev``; return the cookie."""
    cookie = cc.sdm_login(emu, user)
    sc.staged_ok(emu, cookie, "add", "mediaPolicy", {"name": name}, dev=dev)
    return cookie


def assert_flags(result, **expected):
    """Assert every result field is a string and the named ones have the given values."""
    assert all(isinstance(v, str) for v in result.values()), result
    for key, value in expected.items():
        assert result[key] == value, (key, result)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_save_activate_applies_and_clears(emulator, fmt):
    """SaveActivateConfig: 200, every step SUCCESS, the change on the device, the staging area empty; SBC lock taken and given back."""
    cookie = staged_policy(emulator)
    result = sc.result_of(sc.push(emulator, cookie, fmt=fmt))
    assert_flags(result, action="SaveActivateConfig", status="SUCCESS", isLockSuccess="SUCCESS", isValidationSuccess="SUCCESS",
                 isSaveConfigSuccess="SUCCESS", isActivateConfigSuccess="SUCCESS", isUnlockSuccess="SUCCESS",
                 isEraseCacheSuccess="Not Applicable", isDeviceFirmwareChangedFailure="false", errorMessage="",
                 validationErrorMessage="")
    assert set(sc.RESULT_FLAGS) <= set(result) and result["taskId"].isdigit()
    assert ("mediaPolicy", "m1") in sc.device_elements(emulator) and sc.changes(emulator, cookie) == []
    state = cc.control(emulator, "GET", "/sdm/sdm1/devices/ID1/config").json()
    assert state["version"] == state["active_version"] == 2
    assert cc.sbc_lock_state(emulator) == {"held": False, "holder": None}
    sbc_events = [(e["event"], e["holder"]["kind"], e["holder"]["user"], e["cause"]) for e in cc.audit(emulator, "sbc1")]
    assert sbc_events == [("grant", "sdm", "prov1", "sdm-push"), ("release", "sdm", "prov1", "sdm-push")]
    push = [e for e in cc.audit(emulator, "sdm1") if e["event"] == "push"]
    assert [(p["resource"], p["cause"], p["status"], p["changes"]) for p in push] == [("config:ID1", "SaveActivateConfig", "SUCCESS", 1)]
    cc.assert_never_two_holders(cc.audit(emulator))


def test_save_only_and_activate_only(emulator):
    """SaveConfig applies the changes without activating; ActivateConfig activates what was saved and pushes nothing staged."""
    cookie = staged_policy(emulator)
    saved = sc.result_of(sc.push(emulator, cookie, kind="SaveConfig"))
    assert_flags(saved, action="SaveConfig", status="SUCCESS", isSaveConfigSuccess="SUCCESS", isActivateConfigSuccess="Not Applicable")
    state = cc.control(emulator, "GET", "/sdm/sdm1/devices/ID1/config").json()
    assert (state["version"], state["active_version"]) == (2, 1)
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m2"})
    activated = sc.result_of(sc.push(emulator, cookie, kind="ActivateConfig"))
    assert_flags(activated, action="ActivateConfig", status="SUCCESS", isSaveConfigSuccess="Not Applicable",
                 isActivateConfigSuccess="SUCCESS", isLockSuccess="SUCCESS")
    state = cc.control(emulator, "GET", "/sdm/sdm1/devices/ID1/config").json()
    assert (state["version"], state["active_version"]) == (2, 2)
    assert [r["name"] for r in sc.changes(emulator, cookie)] == ["m2"]


@pytest.mark.parametrize("match", ["exact", "insensitive"])
@pytest.mark.parametrize("types", ["all", "save_activate"])
def test_push_types(emulator, types, match):
    """`sdm.push_types`: all three types / only SaveActivateConfig; `sdm.type_match` for their case; others 400."""
    cc.set_switches(emulator, {"sdm.push_types": types, "sdm.type_match": match})
    cookie = cc.sdm_login(emulator)
    for kind in ("SaveConfig", "ActivateConfig", "saveActivateConfig", "SaveActivateConfig", "Save", "Lock"):
        resp = sc.push(emulator, cookie, kind=kind)
        known = kind in ("SaveConfig", "ActivateConfig", "SaveActivateConfig") and (types == "all" or kind == "SaveActivateConfig")
        if known or (kind == "saveActivateConfig" and match == "insensitive"):
            assert sc.result_of(resp)["status"] == "SUCCESS", kind
        else:
            cc.assert_sdm_error(resp, 400)
    cc.assert_sdm_error(cc.sdm(emulator, "POST", sc.DEVICES + "ID1/action", cookie=cookie, body="<other/>", fmt="xml"), 400)


@pytest.mark.parametrize("empty", ["push", "noop", "400"])
def test_push_with_nothing_staged(emulator, empty):
    """`sdm.push_empty`: a full push (SBC lock taken) / 200 SUCCESS with every step Not Applicable / 400."""
    cc.set_switches(emulator, {"sdm.push_empty": empty})
    resp = sc.push(emulator, cc.sdm_login(emulator))
    if empty == "400":
        cc.assert_sdm_error(resp, 400)
        assert cc.audit(emulator) == []
        return
    result = sc.result_of(resp)
    assert result["status"] == "SUCCESS"
    assert result["isLockSuccess"] == ("SUCCESS" if empty == "push" else "Not Applicable")
    assert len(cc.audit(emulator, "sbc1")) == (2 if empty == "push" else 0)


@pytest.mark.parametrize("scope", ["own", "all"])
def test_push_scope(emulator, scope):
    """`sdm.push_scope`: only the pushing user's changes go out (own) / every user's staged changes on the device (all)."""
    cc.set_switches(emulator, {"sdm.push_scope": scope})
    mine, theirs = staged_policy(emulator, "prov1", name="m1"), staged_policy(emulator, "prov2", name="t1")
    staged_policy(emulator, "prov2", dev="ID2", name="t2")
    assert sc.result_of(sc.push(emulator, mine))["status"] == "SUCCESS"
    on_device = sc.device_elements(emulator)
    assert ("mediaPolicy", "m1") in on_device and (("mediaPolicy", "t1") in on_device) == (scope == "all")
    assert [r["name"] for r in sc.changes(emulator, theirs)] == ([] if scope == "all" else ["t1"])
    assert [r["name"] for r in sc.changes(emulator, theirs, "ID2")] == ["t2"]


@pytest.mark.parametrize("http_status", ["200", "400", "500"])
@pytest.mark.parametrize("word", ["FAILURE", "UNKNOWN"])
def test_sbc_lock_held_fails_the_push(emulator, word, http_status):
    """A REST token holding sbc1's lock: isLockSuccess is the fail word, nothing applied, changes kept; status per switch."""
    cc.set_switches(emulator, {"sdm.push_fail_word": word, "sdm.push_failure_status": http_status})
    token = cc.sbc_locked_token(emulator)
    cookie = staged_policy(emulator)
    result = sc.result_of(sc.push(emulator, cookie), int(http_status))
    assert_flags(result, status="FAILURE", isLockSuccess=word, isSaveConfigSuccess="Not Applicable",
                 isUnlockSuccess="Not Applicable", isValidationSuccess="Not Applicable")
    assert result["errorMessage"]
    assert ("mediaPolicy", "m1") not in sc.device_elements(emulator) and len(sc.changes(emulator, cookie)) == 1
    assert cc.sbc_lock_state(emulator)["holder"]["kind"] == "rest"
    assert cc.sbc_unlock(emulator, token).status_code == 204
    assert sc.result_of(sc.push(emulator, cookie))["status"] == "SUCCESS"


@pytest.mark.parametrize("kind", ["acli", "gui"])
@pytest.mark.parametrize("shares", ["on", "off"])
def test_sbc_lock_of_other_holders(emulator, shares, kind):
    """An ACLI or GUI holder of sbc1's lock fails the push; with `sbc.acli_shares_lock=off` the SDM takes no SBC lock and pushes."""
    cc.set_switches(emulator, {"sbc.acli_shares_lock": shares})
    assert cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": kind, "user": "ops"}).status_code == 200
    result = sc.result_of(sc.push(emulator, staged_policy(emulator)))
    assert result["isLockSuccess"] == ("FAILURE" if shares == "on" else "SUCCESS")
    assert (("mediaPolicy", "m1") in sc.device_elements(emulator)) == (shares == "off")


def test_unlinked_device_pushes_without_an_sbc(emulator):
    """ID3 names no running SBC instance: the push succeeds and no SBC lock event is written."""
    cookie = staged_policy(emulator, dev="ID3")
    assert sc.result_of(sc.push(emulator, cookie, dev="ID3"))["status"] == "SUCCESS"
    assert ("mediaPolicy", "m1") in sc.device_elements(emulator, "ID3")
    assert cc.audit(emulator, "sbc1") == []


@pytest.mark.parametrize("staging", ["keep", "clear"])
def test_injected_validation_failure(emulator, staging):
    """An injected validation failure: SBC locked and unlocked, isValidationSuccess FAILURE with its text; staged per switch."""
    cc.set_switches(emulator, {"sdm.push_failed_staging": staging})
    cookie = staged_policy(emulator)
    sc.arm_failure(emulator, "validation", message="realm core: address prefix overlaps")
    result = sc.result_of(sc.push(emulator, cookie))
    assert_flags(result, status="FAILURE", isLockSuccess="SUCCESS", isUnlockSuccess="SUCCESS", isValidationSuccess="FAILURE",
                 validationErrorMessage="realm core: address prefix overlaps", isSaveConfigSuccess="Not Applicable",
                 isActivateConfigSuccess="Not Applicable")
    assert ("mediaPolicy", "m1") not in sc.device_elements(emulator)
    assert len(sc.changes(emulator, cookie)) == (1 if staging == "keep" else 0)
    assert [e["status"] for e in cc.audit(emulator, "sdm1") if e["event"] == "push"] == ["FAILURE"]
    assert sc.result_of(sc.push(emulator, cookie))["status"] == "SUCCESS"  # count 1: the next push is clean


@pytest.mark.parametrize("step", ["lock", "save", "activate"])
def test_injected_failure_at_other_steps(emulator, step):
    """Injected lock / save / activate failures: that flag fails with errorMessage; later steps Not Applicable."""
    cookie = staged_policy(emulator)
    sc.arm_failure(emulator, step, message="boom at " + step)
    result = sc.result_of(sc.push(emulator, cookie))
    flag = {"lock": "isLockSuccess", "save": "isSaveConfigSuccess", "activate": "isActivateConfigSuccess"}[step]
    assert result[flag] == "FAILURE" and result["errorMessage"] == "boom at " + step and result["status"] == "FAILURE"
    assert result["isUnlockSuccess"] == ("Not Applicable" if step == "lock" else "SUCCESS")
    assert (("mediaPolicy", "m1") in sc.device_elements(emulator)) == (step == "activate")
    assert len(sc.changes(emulator, cookie)) == (0 if step == "activate" else 1)
    assert len(cc.audit(emulator, "sbc1")) == (0 if step == "lock" else 2)


def test_push_refused_to_other_users_of_a_locked_device(emulator):
    """While prov2 holds ID1 (device lock), prov1's push gets `sdm.lock_foreign`; the holder's push goes through."""
    holder = staged_policy(emulator, "prov2")
    assert cc.sdm_action(emulator, holder, "ID1", "Lock").status_code == 204
    cc.assert_sdm_error(sc.push(emulator, cc.sdm_login(emulator, "prov1")), 400)
    assert sc.result_of(sc.push(emulator, holder))["status"] == "SUCCESS"
    assert cc.sdm_locks(emulator) == {"ID1": "prov2"}
