"""Conformance: SDM staging: configElements add / update / delete, configurationChanges list and discard.

Per-user staging areas that outlive the session, the device lock's refusal of other users, the audit events, and
the switches `sdm.config_duplicate`, `sdm.config_missing`, `sdm.update_children`, `sdm.delete_answer`,
`sdm.discard_status` and `sdm.config_list_shape` (the changes list).
"""

import pytest

try:
    import conformance_client as cc
    import sdm_config_client as sc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc
    from tests.emulator import sdm_config_client as sc

NIC = "realmConfig/networkInterfaceId"


def operations(emu, cookie, dev="ID1"):
    """Return ``{name: operation}`` of the caller's staged changes."""
    return {row["name"]: row["operation"] for row in sc.changes(emu, cookie, dev)}


@pytest.mark.parametrize("fmt,shape", [("json", "flat"), ("xml", "flat"), ("xml", "wrapped")])
def test_add_stages_without_touching_the_device(emulator, fmt, shape):
    """add: 200 with the element (defaults filled in), listed as `created`; the device configuration is unchanged."""
    cc.set_switches(emulator, {"sdm.config_list_shape": shape})
    cookie = cc.sdm_login(emulator)
    resp = sc.staged_ok(emulator, cookie, "add", "realmConfig", {"id": "edge", "addrPrefix": "10.0.0.0/8"}, fmt=fmt, shape=shape,
                        children=[(NIC, {"name": "M20", "subPortId": "3"})])
    if fmt == "xml":
        assert cc.sdm_xml(resp).findtext("elementTypePath") == "realmConfig"
    else:
        assert sc.attrs_of(cc.sdm_json(resp))["mmInRealm"] == "disabled"
    rows = sc.changes(emulator, cookie)
    assert [(r["name"], r["operation"], r["elementTypePath"]) for r in rows] == [("edge", "created", "realmConfig")]
    assert len(rows[0]["timestamp"]) == len("2022-10-06 17:05:31")
    assert ("realmConfig", "edge") not in sc.device_elements(emulator)
    child = sc.stage(emulator, cookie, "retrieve", NIC, {"name": "M20", "subPortId": "3"}, parent=("realmConfig", {"id": "edge"}))
    assert sc.attrs_of(cc.sdm_json(child))["family"] == "4"


@pytest.mark.parametrize("duplicate", ["400", "409"])
def test_add_duplicate(emulator, duplicate):
    """add of an element that exists (on the device, staged, or as a sub-element): `sdm.config_duplicate` 400 / 409."""
    cc.set_switches(emulator, {"sdm.config_duplicate": duplicate})
    cookie = cc.sdm_login(emulator)
    cc.assert_sdm_error(sc.stage(emulator, cookie, "add", "realmConfig", {"id": "core"}), int(duplicate))
    cc.assert_sdm_error(sc.stage(emulator, cookie, "add", "systemConfig", {"hostname": "x"}), int(duplicate))
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    cc.assert_sdm_error(sc.stage(emulator, cookie, "add", "mediaPolicy", {"name": "m1"}), int(duplicate))
    resp = sc.stage(emulator, cookie, "add", NIC, {"name": "M00", "subPortId": "0"}, parent=("realmConfig", {"id": "core"}))
    cc.assert_sdm_error(resp, int(duplicate))
    assert operations(emulator, cookie) == {"m1": "created"}


def test_add_invalid_input(emulator):
    """add with an unknown attribute, a bad enum or integer, no key, no parentElement, a foreign child type: 400, nothing staged."""
    cookie = cc.sdm_login(emulator)
    bad = [("realmConfig", {"id": "r", "colour": "red"}, {}), ("realmConfig", {"id": "r", "mmInRealm": "maybe"}, {}),
           ("sessionAgent", {"hostname": "h", "port": "fifty"}, {}), ("realmConfig", {"description": "no key"}, {}),
           (NIC, {"name": "M30", "subPortId": "0"}, {}),
           ("realmConfig", {"id": "r"}, {"children": [("sessionAgentGroup/sipDest", {"name": "d"})]})]
    for path, attrs, extra in bad:
        cc.assert_sdm_error(sc.stage(emulator, cookie, "add", path, attrs, **extra), 400)
    cc.assert_sdm_error(sc.call(emulator, cookie, "POST", "/configElements/add", body="<session/>", fmt="xml"), 400)
    cc.assert_sdm_error(sc.call(emulator, cookie, "POST", "/configElements/add", body="{not json", fmt="json"), 400)
    assert sc.changes(emulator, cookie) == []


def test_sub_element_add_through_parent_element(emulator):
    """A sub-element added with parentElement (the 9.0.0 example) stages its top-level parent as `modified`."""
    cookie = cc.sdm_login(emulator)
    sc.staged_ok(emulator, cookie, "add", "sessionAgentGroup", {"name": "grp"}, fmt="xml")
    sc.staged_ok(emulator, cookie, "add", "sessionAgentGroup/sipDest", {"name": "session-agent3"}, fmt="xml", shape="flat",
                 parent=("sessionAgentGroup", {"name": "grp"}))
    sc.staged_ok(emulator, cookie, "add", NIC, {"name": "M01", "subPortId": "1"}, parent=("realmConfig", {"id": "core"}))
    assert operations(emulator, cookie) == {"grp": "created", "core": "modified"}
    names = sorted(sc.attrs_of(c)["name"] for c in sc.listed(emulator, cookie, NIC))
    assert names == ["M00", "M01", "M10"]


@pytest.mark.parametrize("mode", ["replace", "merge", "replace_if_sent"])
def test_update_children(emulator, mode):
    """update keeps attributes it does not name; children per `sdm.update_children`."""
    cc.set_switches(emulator, {"sdm.update_children": mode})
    cookie = cc.sdm_login(emulator)
    plain = cc.sdm_json(sc.staged_ok(emulator, cookie, "update", "realmConfig", {"id": "core", "options": "li-enabled"}))
    assert sc.attrs_of(plain)["addrPrefix"] == "0.0.0.0" and sc.attrs_of(plain)["options"] == "li-enabled"
    assert len(plain.get("childrenElements", [])) == (0 if mode == "replace" else 1)
    resp = sc.staged_ok(emulator, cookie, "update", "realmConfig", {"id": "access"}, children=[(NIC, {"name": "M11", "subPortId": "0"})])
    kids = sorted(sc.attrs_of(c)["name"] for c in cc.sdm_json(resp)["childrenElements"])
    assert kids == (["M10", "M11"] if mode == "merge" else ["M11"])
    assert operations(emulator, cookie) == {"core": "modified", "access": "modified"}


@pytest.mark.parametrize("missing", ["404", "400"])
def test_update_and_delete_missing(emulator, missing):
    """update or delete of an element that does not exist: `sdm.config_missing`; nothing staged."""
    cc.set_switches(emulator, {"sdm.config_missing": missing})
    cookie = cc.sdm_login(emulator)
    cc.assert_sdm_error(sc.stage(emulator, cookie, "update", "mediaPolicy", {"name": "none", "description": "d"}), int(missing))
    cc.assert_sdm_error(sc.stage(emulator, cookie, "delete", "mediaPolicy", {"name": "none"}), int(missing))
    assert sc.changes(emulator, cookie) == []


@pytest.mark.parametrize("answer", ["200", "204"])
def test_delete(emulator, answer):
    """delete: `sdm.delete_answer` 200 with the deleted element (children included) / 204 no body; a singleton by its type alone."""
    cc.set_switches(emulator, {"sdm.delete_answer": answer})
    cookie = cc.sdm_login(emulator)
    resp = sc.staged_ok(emulator, cookie, "delete", "realmConfig", {"id": "core"})
    if answer == "204":
        assert resp.status_code == 204 and resp.content == b""
    else:
        data = cc.sdm_json(resp)
        assert sc.attrs_of(data)["id"] == "core" and data["childrenElements"][0]["elementTypePath"] == NIC
    sc.staged_ok(emulator, cookie, "delete", "systemConfig", {})
    sc.staged_ok(emulator, cookie, "delete", NIC, {"name": "M10", "subPortId": "0"}, parent=("realmConfig", {"id": "access"}))
    assert operations(emulator, cookie) == {"core": "deleted", "systemConfig": "deleted", "access": "modified"}
    assert sc.listed(emulator, cookie, NIC) == [] and [sc.attrs_of(e)["id"] for e in sc.listed(emulator, cookie, "realmConfig")] == ["access"]


def test_delete_of_a_staged_creation_leaves_nothing(emulator):
    """add then delete of the same element: no change left to push; update after add stays `created`."""
    cookie = cc.sdm_login(emulator)
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    sc.staged_ok(emulator, cookie, "update", "mediaPolicy", {"name": "m1", "description": "d"})
    assert operations(emulator, cookie) == {"m1": "created"}
    sc.staged_ok(emulator, cookie, "delete", "mediaPolicy", {"name": "m1"})
    assert sc.changes(emulator, cookie) == []


def test_staging_is_per_user_and_outlives_the_session(emulator):
    """Each user sees only their own changes; a new login of the same user (after logout) still has them."""
    first = cc.sdm_login(emulator, "prov1")
    sc.staged_ok(emulator, first, "add", "mediaPolicy", {"name": "p1"})
    other = cc.sdm_login(emulator, "prov2")
    sc.staged_ok(emulator, other, "add", "mediaPolicy", {"name": "p2"})
    assert cc.sdm(emulator, "POST", "/rest/v1.3/admin/logout", cookie=first).status_code == 204
    again = cc.sdm_login(emulator, "prov1")
    assert operations(emulator, again) == {"p1": "created"} and operations(emulator, other) == {"p2": "created"}
    per_user = cc.control(emulator, "GET", "/sdm/sdm1/devices/ID1/changes").json()
    assert {u: [r["name"] for r in rows] for u, rows in per_user.items()} == {"prov1": ["p1"], "prov2": ["p2"]}
    assert operations(emulator, again, "ID2") == {}


@pytest.mark.parametrize("shape", ["flat", "wrapped"])
def test_changes_xml_shape(emulator, shape):
    """configurationChanges in XML: `<changedConfigElements>` items (flat, 9.0.1) / `<configurationChange>` (wrapped, 8.1 schema)."""
    cc.set_switches(emulator, {"sdm.config_list_shape": shape})
    cookie = cc.sdm_login(emulator)
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    root = cc.sdm_xml(sc.call(emulator, cookie, "GET", "/configurationChanges", accept="xml"))
    items = root.findall("changedConfigElements" if shape == "flat" else "configurationChange")
    assert root.tag == "configurationChanges" and [(i.findtext("name"), i.findtext("operation")) for i in items] == [("m1", "created")]


@pytest.mark.parametrize("status", ["204", "200"])
def test_discard(emulator, status):
    """DELETE configurationChanges: the caller's changes on that device only, no body (`sdm.discard_status`); audit discard."""
    cc.set_switches(emulator, {"sdm.discard_status": status})
    mine, theirs = cc.sdm_login(emulator, "prov1"), cc.sdm_login(emulator, "prov2")
    sc.staged_ok(emulator, mine, "add", "mediaPolicy", {"name": "m1"})
    sc.staged_ok(emulator, mine, "add", "mediaPolicy", {"name": "m2"}, dev="ID2")
    sc.staged_ok(emulator, theirs, "add", "mediaPolicy", {"name": "t1"})
    seq = cc.last_seq(emulator)
    resp = sc.call(emulator, mine, "DELETE", "/configurationChanges")
    assert resp.status_code == int(status) and resp.content == b"", resp.text
    assert sc.changes(emulator, mine) == [] and operations(emulator, mine, "ID2") == {"m2": "created"}
    assert operations(emulator, theirs) == {"t1": "created"}
    events = cc.events_after(emulator, seq)
    assert [(e["event"], e["resource"], e["holder"]["user"], e["changes"]) for e in events] == [("discard", "config:ID1", "prov1", 1)]


def test_audit_of_staging(emulator):
    """Each accepted staging call writes one `stage` event (resource config:ID, cause add/update/delete, the session's fingerprint)."""
    cookie = cc.sdm_login(emulator)
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    sc.staged_ok(emulator, cookie, "update", "realmConfig", {"id": "core", "options": "o"})
    sc.staged_ok(emulator, cookie, "delete", "realmConfig", {"id": "access"})
    cc.assert_sdm_error(sc.stage(emulator, cookie, "add", "mediaPolicy", {"name": "m1"}), 400)
    events = cc.audit(emulator, "sdm1")
    expected = [("stage", "add", "m1"), ("stage", "update", "core"), ("stage", "delete", "access")]
    assert [(e["event"], e["cause"], e["name"]) for e in events] == expected
    sid = cookie.split("=", 1)[1]
    assert all(e["resource"] == "config:ID1" and e["holder"] == {"kind": "user", "user": "prov1", "id": cc.fingerprint(sid)}
               for e in events)
    cc.assert_no_secret_in_audit(emulator)
    cc.assert_never_two_holders(cc.audit(emulator))


@pytest.mark.parametrize("lock_foreign", ["400", "409", "423", "403", "500"])
def test_device_lock_refuses_other_users(emulator, lock_foreign):
    """While prov2 holds the device: prov1's add/update/delete/discard get `sdm.lock_foreign`; reads still work; prov2 stages."""
    cc.set_switches(emulator, {"sdm.lock_foreign": lock_foreign})
    holder = cc.sdm_login(emulator, "prov2")
    assert cc.sdm_action(emulator, holder, "ID1", "Lock").status_code == 204
    cookie = cc.sdm_login(emulator, "prov1")
    for operation, attrs in (("add", {"name": "m1"}), ("update", {"name": "m1"}), ("delete", {"name": "m1"})):
        cc.assert_sdm_error(sc.stage(emulator, cookie, operation, "mediaPolicy", attrs), int(lock_foreign))
    cc.assert_sdm_error(sc.call(emulator, cookie, "DELETE", "/configurationChanges"), int(lock_foreign))
    assert len(sc.listed(emulator, cookie, "realmConfig")) == 2 and sc.changes(emulator, cookie) == []
    sc.staged_ok(emulator, holder, "add", "mediaPolicy", {"name": "m1"})
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"}, dev="ID2")
    assert cc.sdm_locks(emulator) == {"ID1": "prov2"}
