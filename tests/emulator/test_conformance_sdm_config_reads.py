"""Conformance: SDM deviceConfigs reads: element types, metadata, templates, lists, retrieve, loadConfig.

Shapes under `sdm.config_list_shape`, `sdm.config_input`, `sdm.metadata_shape`, `sdm.limitation`, `sdm.config_missing`,
`sdm.read_staged`, `sdm.load_config` and `sdm.load_required`; XML and JSON.
"""

import pytest

try:
    import conformance_client as cc
    import sdm_config_client as sc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc
    from tests.emulator import sdm_config_client as sc

SHAPES = ["flat", "wrapped"]


def xml_pairs(node):
    """Return ``{name: value}`` of a configElement node in either list shape."""
    pairs = node.findall("attributes/attribute") or node.findall("attributes")
    return {p.findtext("name"): p.findtext("value") or "" for p in pairs}


@pytest.mark.parametrize("shape", SHAPES)
def test_element_types(emulator, shape):
    """elementTypes: the top-level types; items repeat the wrapper's name (flat) or are `<elementType>` (wrapped); JSON a list."""
    cc.set_switches(emulator, {"sdm.config_list_shape": shape})
    cookie = cc.sdm_login(emulator)
    root = cc.sdm_xml(sc.call(emulator, cookie, "GET", "/elementTypes", accept="xml"))
    item = "elementTypes" if shape == "flat" else "elementType"
    names = [n.text for n in root.findall(item)]
    assert root.tag == "elementTypes" and "realmConfig" in names and "systemConfig" in names, names
    assert not any("/" in n for n in names)
    assert sc.call(emulator, cookie, "GET", "/elementTypes").json()["elementTypes"] == names


@pytest.mark.parametrize("shape", ["wrapped", "flat", "bare"])
def test_element_metadata_is_a_post(emulator, shape):
    """elementMetadata (POST, elementTypeRequest): rows per `sdm.metadata_shape`; key/valueType strings; GET is 405."""
    cc.set_switches(emulator, {"sdm.metadata_shape": shape})
    cookie = cc.sdm_login(emulator)
    body = "<elementTypeRequest><elementTypePath>realmConfig</elementTypePath></elementTypeRequest>"
    root = cc.sdm_xml(sc.call(emulator, cookie, "POST", "/elementTypes/elementMetadata", body=body, fmt="xml", accept="xml"))
    paths = {"wrapped": "attributeMetadatas/attributeMetadata", "flat": "attributeMetadatas", "bare": "attributeMetadata"}
    rows = {r.findtext("name"): r for r in root.findall(paths[shape])}
    assert rows["id"].findtext("key") == "true" and rows["id"].findtext("cliName") == "identifier"
    assert rows["mmInRealm"].findtext("valueType") == "BOOLEAN" and rows["mmInRealm"].findtext("defaultValue") == "disabled"
    assert [e.text for e in rows["mmInRealm"].findall("enumeratedValue")] == ["enabled", "disabled"]
    assert [s.text for s in root.findall("subElement")] == ["realmConfig/networkInterfaceId"]
    data = cc.sdm_json(sc.call(emulator, cookie, "POST", "/elementTypes/elementMetadata", body={"elementTypePath": "sessionAgent"}))
    assert {r["name"]: r["key"] for r in data["attributeMetadatas"]}["hostname"] == "true"
    assert sc.call(emulator, cookie, "GET", "/elementTypes/elementMetadata").status_code == 405
    cc.assert_sdm_error(sc.call(emulator, cookie, "POST", "/elementTypes/elementMetadata", body={"elementTypePath": "nope"}), 400)


def test_create_template_is_not_stored(emulator):
    """configElements/create answers a default-filled element and stages nothing."""
    cookie = cc.sdm_login(emulator)
    data = cc.sdm_json(sc.call(emulator, cookie, "POST", "/configElements/create", body={"elementTypePath": "sessionAgent"}))
    attrs = sc.attrs_of(data)
    assert data["elementTypePath"] == "sessionAgent" and attrs["port"] == "5060" and attrs["transportMethod"] == "UDP"
    assert sc.changes(emulator, cookie) == []
    assert sc.listed(emulator, cookie, "sessionAgent") == []


@pytest.mark.parametrize("shape", SHAPES)
def test_list_shapes(emulator, shape):
    """configElements GET: flat `<configElements><configElements>` / wrapped `<configElement>` items, children in the same shape."""
    cc.set_switches(emulator, {"sdm.config_list_shape": shape})
    cookie = cc.sdm_login(emulator)
    root = cc.sdm_xml(sc.call(emulator, cookie, "GET", "/configElements?elementTypePath=realmConfig", accept="xml"))
    items = root.findall("configElements" if shape == "flat" else "configElement")
    assert len(items) == 2 and root.findall("configElement" if shape == "flat" else "configElements") == []
    pairs = items[0].findall("attributes" if shape == "flat" else "attributes/attribute")
    assert {p.findtext("name"): p.findtext("value") for p in pairs}["id"] == "core"
    child = items[0].find("childrenElements" if shape == "flat" else "childrenElements/childrenElement")
    assert child.findtext("elementTypePath") == "realmConfig/networkInterfaceId"
    assert items[0].findtext("elementTypePath") == "realmConfig"
    assert [sc.attrs_of(e)["id"] for e in sc.listed(emulator, cookie, "realmConfig")] == ["core", "access"]


def test_list_of_a_sub_element_type_and_errors(emulator):
    """A sub-element path lists its instances under every parent; no or an unknown elementTypePath is 400; no session 401."""
    cookie = cc.sdm_login(emulator)
    names = [sc.attrs_of(e)["name"] for e in sc.listed(emulator, cookie, "realmConfig/networkInterfaceId")]
    assert names == ["M00", "M10"]
    cc.assert_sdm_error(sc.call(emulator, cookie, "GET", "/configElements"), 400)
    cc.assert_sdm_error(sc.call(emulator, cookie, "GET", "/configElements?elementTypePath=fooConfig"), 400)
    cc.assert_sdm_error(sc.call(emulator, None, "GET", "/configElements?elementTypePath=realmConfig"), 401)
    cc.assert_sdm_error(sc.call(emulator, cookie, "GET", "/configElements?elementTypePath=realmConfig", dev="ID99"), 404)


@pytest.mark.parametrize("mode", ["count", "depth", "ignored"])
def test_limitation(emulator, mode):
    """`limitation` per `sdm.limitation`: at most N elements / children only when N > 0 / no effect; a non-number is 400 unless ignored."""
    cc.set_switches(emulator, {"sdm.limitation": mode})
    cookie = cc.sdm_login(emulator)
    one = sc.listed(emulator, cookie, "realmConfig", limitation=1)
    zero = sc.listed(emulator, cookie, "realmConfig", limitation=0)
    if mode == "count":
        assert len(one) == 1 and zero == [] and "childrenElements" in one[0]
    elif mode == "depth":
        assert len(one) == 2 and "childrenElements" in one[0] and len(zero) == 2 and "childrenElements" not in zero[0]
    else:
        assert len(one) == len(zero) == 2 and "childrenElements" in zero[0]
    bad = sc.call(emulator, cookie, "GET", "/configElements?elementTypePath=realmConfig&limitation=x")
    assert bad.status_code == (200 if mode == "ignored" else 400), bad.text


@pytest.mark.parametrize("fmt,shape", [("json", "flat"), ("xml", "flat"), ("xml", "wrapped")])
def test_retrieve_one(emulator, fmt, shape):
    """retrieve (POST) by type and key: the whole element; a sub-element through its parentElement."""
    cc.set_switches(emulator, {"sdm.config_list_shape": shape})
    cookie = cc.sdm_login(emulator)
    resp = sc.stage(emulator, cookie, "retrieve", "realmConfig", {"id": "access"}, fmt=fmt, shape=shape)
    if fmt == "json":
        assert sc.attrs_of(cc.sdm_json(resp))["addrPrefix"] == "0.0.0.0"
    else:
        root = cc.sdm_xml(resp)
        assert root.tag == "configElement" and xml_pairs(root)["id"] == "access", resp.text
    child = sc.stage(emulator, cookie, "retrieve", "realmConfig/networkInterfaceId", {"name": "M10", "subPortId": "0"},
                     parent=("realmConfig", {"id": "access"}))
    assert sc.attrs_of(cc.sdm_json(child))["family"] == "4"
    assert sc.stage(emulator, cookie, "retrieve", "sessionAgentGroup/sipDest", {"name": "x"}).status_code == 400


@pytest.mark.parametrize("missing", ["404", "400"])
def test_retrieve_missing(emulator, missing):
    """retrieve of an element (or a parent) that does not exist: `sdm.config_missing` 404 / 400."""
    cc.set_switches(emulator, {"sdm.config_missing": missing})
    cookie = cc.sdm_login(emulator)
    cc.assert_sdm_error(sc.stage(emulator, cookie, "retrieve", "realmConfig", {"id": "nowhere"}), int(missing))
    resp = sc.stage(emulator, cookie, "retrieve", "realmConfig/networkInterfaceId", {"name": "M00", "subPortId": "0"},
                    parent=("realmConfig", {"id": "nowhere"}))
    cc.assert_sdm_error(resp, int(missing))


@pytest.mark.parametrize("accepted", ["strict", "both"])
@pytest.mark.parametrize("shape", SHAPES)
def test_input_shape(emulator, shape, accepted):
    """`sdm.config_input`: strict reads only the `sdm.config_list_shape` shape (the other is 400), both reads either."""
    cc.set_switches(emulator, {"sdm.config_list_shape": shape, "sdm.config_input": accepted})
    cookie = cc.sdm_login(emulator)
    for sent in SHAPES:
        resp = sc.stage(emulator, cookie, "retrieve", "realmConfig", {"id": "core"}, fmt="xml", shape=sent)
        if sent == shape or accepted == "both":
            assert resp.status_code == 200, (sent, resp.text)
        else:
            cc.assert_sdm_error(resp, 400)
    wrapped_json = {"elementTypePath": "realmConfig", "attributes": {"attribute": [{"name": "id", "value": "core"}]}}
    resp = sc.call(emulator, cookie, "POST", "/configElements/retrieve", body=wrapped_json)
    assert resp.status_code == (200 if accepted == "both" or shape == "wrapped" else 400), resp.text


@pytest.mark.parametrize("read_staged", ["own", "device"])
def test_reads_and_staged_changes(emulator, read_staged):
    """`sdm.read_staged`: reads show the caller's staged changes (own) or only the device's configuration (device); never another user's."""
    cc.set_switches(emulator, {"sdm.read_staged": read_staged})
    prov1, prov2 = cc.sdm_login(emulator, "prov1"), cc.sdm_login(emulator, "prov2")
    sc.staged_ok(emulator, prov1, "add", "realmConfig", {"id": "edge"})
    sc.staged_ok(emulator, prov1, "update", "realmConfig", {"id": "core", "options": "x"})
    own = {sc.attrs_of(e)["id"]: sc.attrs_of(e) for e in sc.listed(emulator, prov1, "realmConfig")}
    assert ("edge" in own) == (read_staged == "own") and (own["core"]["options"] == "x") == (read_staged == "own")
    assert sorted(sc.attrs_of(e)["id"] for e in sc.listed(emulator, prov2, "realmConfig")) == ["access", "core"]
    retrieved = sc.stage(emulator, prov1, "retrieve", "realmConfig", {"id": "edge"})
    assert retrieved.status_code == (200 if read_staged == "own" else 404), retrieved.text


@pytest.mark.parametrize("load_config", ["keep", "discard"])
def test_load_config(emulator, load_config):
    """loadConfig: the device with configVersion strings; `sdm.load_config` keeps or discards the caller's staged changes."""
    cc.set_switches(emulator, {"sdm.load_config": load_config})
    cookie = cc.sdm_login(emulator)
    sc.staged_ok(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    data = cc.sdm_json(cc.sdm(emulator, "GET", sc.DEVICES + "ID1/loadConfig", cookie=cookie))
    assert data["id"] == "ID1" and data["name"] == "sbc-east-1" and data["configVersion"] == data["loadedConfigVersion"] == "1"
    assert len(sc.changes(emulator, cookie)) == (1 if load_config == "keep" else 0)
    root = cc.sdm_xml(cc.sdm(emulator, "GET", sc.DEVICES + "ID1/loadConfig", cookie=cookie, accept="xml"))
    assert root.tag == "device" and root.findtext("key") == "sbc-east-1_192.0.2.11"
    cc.assert_sdm_error(cc.sdm(emulator, "GET", sc.DEVICES + "ID77/loadConfig", cookie=cookie), 404)


@pytest.mark.parametrize("required", ["off", "on"])
def test_load_required(emulator, required):
    """`sdm.load_required=on`: staging before the user's loadConfig of the device is 400; after it (any session) allowed."""
    cc.set_switches(emulator, {"sdm.load_required": required})
    cookie = cc.sdm_login(emulator)
    first = sc.stage(emulator, cookie, "add", "mediaPolicy", {"name": "m1"})
    if required == "on":
        cc.assert_sdm_error(first, 400)
        assert cc.sdm(emulator, "GET", sc.DEVICES + "ID1/loadConfig", cookie=cookie).status_code == 200
        sc.staged_ok(emulator, cc.sdm_login(emulator), "add", "mediaPolicy", {"name": "m1"})
    else:
        assert first.status_code == 200, first.text
    assert len(sc.changes(emulator, cookie)) == 1
