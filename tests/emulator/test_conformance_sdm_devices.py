"""Conformance: SDM `inventory/deviceMgmt/devices` (list) and `devices/{id}` (one device).

Under `sdm.list_shape` (9.0.1 / 9.0.0), `sdm.expose_lock_fields`, `sdm.error_body`, in JSON and XML; plus `--devices N`.
"""

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

DEVICES = "/rest/v1.3/inventory/deviceMgmt/devices"
FIELDS = ("id", "ip", "key", "name", "nfId", "nfName", "parentGroupId")


def xml_device(node):
    """Return one XML device element as {child tag: text}."""
    return {child.tag: (child.text or "").strip() for child in node if len(child) == 0}


def listed_devices(resp, accept, shape="9.0.1"):
    """Return the device list of a 200 list response as [{field: value}], checking the XML shape of `sdm.list_shape`."""
    if accept == "json":
        body = cc.sdm_json(resp)
        assert isinstance(body, dict) and isinstance(body.get("devices"), list), body
        return [{k: ("" if v is None else str(v)) for k, v in d.items()} for d in body["devices"]]
    root = cc.sdm_xml(resp)
    if shape == "9.0.1":
        assert root.tag == "devices", resp.text
        children = list(root)
        assert children and all(child.tag == "devices" for child in children), resp.text
        return [xml_device(child) for child in children]
    lists = [node for node in root.iter("devices") if len(node) and all(child.tag == "device" for child in node)]
    assert len(lists) == 1, resp.text
    assert lists[0] is not root, "9.0.0: the device list sits inside a wrapper"
    assert not any(child.tag == "devices" for child in lists[0]), resp.text
    return [xml_device(child) for child in lists[0]]


def one_device(resp, accept):
    """Return the device of a 200 single-device response as {field: value}."""
    if accept == "json":
        body = cc.unwrap(cc.sdm_json(resp), "device")
        return {k: ("" if v is None else str(v)) for k, v in body.items()}
    root = cc.sdm_xml(resp)
    node = root if root.find("id") is not None else root.find(".//device")
    assert node is not None, resp.text
    return xml_device(node)


def assert_default_device(device, device_id):
    """Assert device carries the documented fields with the default data of device_id."""
    name, ip, nf = cc.SDM_DEVICES[device_id]
    for field in FIELDS:
        assert field in device, (field, device)
    assert device["id"] == device_id and device["name"] == name and device["ip"] == ip
    assert device["key"] == f"{name}_{ip}" and device["nfId"] == nf and device["nfName"]


@pytest.mark.parametrize("shape", ["9.0.1", "9.0.0"])
@pytest.mark.parametrize("accept", ["json", "xml"])
@pytest.mark.parametrize("user", ["admin", "prov1", "monitor"])
def test_list_devices(emulator, user, accept, shape):
    """GET devices -> 200 every device; XML in the `sdm.list_shape` shape (9.0.1 repeated <devices>, 9.0.0 <device> in a wrapper)."""
    cc.set_switches(emulator, {"sdm.list_shape": shape})
    resp = cc.sdm(emulator, "GET", DEVICES, cookie=cc.sdm_login(emulator, user), accept=accept)
    devices = listed_devices(resp, accept, shape)
    assert sorted(d["id"] for d in devices) == sorted(cc.SDM_DEVICES)
    for device in devices:
        assert_default_device(device, device["id"])
    assert "locked" not in devices[0] and "lockedBy" not in devices[0]


@pytest.mark.parametrize("version", cc.SDM_VERSIONS)
def test_list_devices_every_version(emulator, version):
    """GET devices is served under every configured version."""
    resp = cc.sdm(emulator, "GET", f"/rest/{version}/inventory/deviceMgmt/devices", cookie=cc.sdm_login(emulator, "prov1", version))
    assert len(listed_devices(resp, "json")) == len(cc.SDM_DEVICES)


@pytest.mark.parametrize("accept", ["json", "xml"])
@pytest.mark.parametrize("device_id", sorted(cc.SDM_DEVICES))
def test_get_device(emulator, device_id, accept):
    """GET devices/{id} -> 200 that device with the documented fields."""
    resp = cc.sdm(emulator, "GET", f"{DEVICES}/{device_id}", cookie=cc.sdm_login(emulator, "prov1"), accept=accept)
    device = one_device(resp, accept)
    assert_default_device(device, device_id)


@pytest.mark.parametrize("error_body", cc.SDM_ERROR_BODIES)
@pytest.mark.parametrize("device_id", ["ID999", "ID0", "id1", "sbc-east-1", "ID1x"])
def test_get_unknown_device_is_404(emulator, device_id, error_body):
    """GET devices/{unknown id} -> 404 in the `sdm.error_body` shape."""
    cc.set_switches(emulator, {"sdm.error_body": error_body})
    resp = cc.sdm(emulator, "GET", f"{DEVICES}/{device_id}", cookie=cc.sdm_login(emulator, "prov1"))
    cc.assert_sdm_error(resp, 404, error_body)


@pytest.mark.parametrize("accept", ["json", "xml"])
@pytest.mark.parametrize("expose", ["off", "on"])
@pytest.mark.parametrize("held", [False, True])
def test_expose_lock_fields(emulator, held, expose, accept):
    """Switch `sdm.expose_lock_fields`: off -> no lock field on device GET; on -> non-Oracle locked / lockedBy."""
    cc.set_switches(emulator, {"sdm.expose_lock_fields": expose})
    cookie = cc.sdm_login(emulator, "prov1")
    if held:
        assert cc.sdm_action(emulator, cc.sdm_login(emulator, "prov2"), "ID3", "Lock").status_code == 204
    device = one_device(cc.sdm(emulator, "GET", f"{DEVICES}/ID3", cookie=cookie, accept=accept), accept)
    if expose == "off":
        assert "locked" not in device and "lockedBy" not in device, device
        return
    assert device["locked"].lower() == ("true" if held else "false"), device
    if held:
        assert device["lockedBy"] == "prov2", device
    else:
        assert device.get("lockedBy", "") in ("", "None", "null"), device


@pytest.fixture(scope="module")
def generated_emulator(tmp_path_factory):
    """A dedicated emulator started with `--devices 7`."""
    with cc.start_emulator(tmp_path_factory.mktemp("devices"), "--devices", "7") as emu:
        yield emu


def test_generated_devices(generated_emulator):
    """`--devices N`: ID1..IDN, name dev-NNNN, unique 198.18.x.y IPs, key name_ip, NFs of two devices, a group per NF."""
    emu = generated_emulator
    emu.reset()
    devices = listed_devices(cc.sdm(emu, "GET", DEVICES, cookie=cc.sdm_login(emu, "prov1")), "json")
    assert sorted(d["id"] for d in devices) == sorted(f"ID{n}" for n in range(1, 8))
    by_id = {d["id"]: d for d in devices}
    for n in range(1, 8):
        device = by_id[f"ID{n}"]
        assert device["name"] == f"dev-{n:04d}"
        assert device["ip"].startswith("198.18.") and device["key"] == f"{device['name']}_{device['ip']}"
        assert device["nfId"] == f"ID{100000 + (n + 1) // 2}"
    assert len({d["ip"] for d in devices}) == 7
    table = cc.control(emu, "GET", "/sdm/sdm1/devices").json()
    rows = table if isinstance(table, list) else table.get("devices", table)
    groups = {(r["nfId"], r["groupId"]) for r in rows}
    assert groups == {(f"ID{100000 + k}", f"ID{200000 + k}") for k in range(1, 5)}
    resp = cc.sdm_group_action(emu, cc.sdm_login(emu, "prov1"), "ID100001", "ID200001", "Lock")
    assert resp.status_code == 204, resp.text
    assert cc.sdm_locks(emu) == {"ID1": "prov1", "ID2": "prov1"}
