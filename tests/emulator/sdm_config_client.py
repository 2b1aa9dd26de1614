"""Helpers of the SDM provisioning conformance tests (tests/emulator/test_conformance_sdm_config*.py).

Bodies in both XML list shapes (flat: 8.2.5p1 / 9.0.1+, wrapped: up to 8.2.5 and 9.0.0) and JSON; calls to the
deviceConfigs routes, the push, and the provisioning calls of the control API. Requests go through
conformance_client, so every answer is checked for the product headers where it is parsed.
"""

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

CONFIGS = "/rest/v1.3/configuration/deviceConfigs/"
DEVICES = "/rest/v1.3/configuration/devices/"
RESULT_FLAGS = ("isActivateConfigSuccess", "isCreateSuccess", "isEraseCacheSuccess", "isIntegrityCheckSuccess", "isLockSuccess",
                "isRestoreConfigSuccess", "isSaveConfigSuccess", "isUnlockSuccess", "isValidationSuccess")


def pairs_xml(attrs, shape):
    """Return the attribute pairs of an element in list shape ``shape``."""
    pairs = [f"<name>{n}</name><value>{v}</value>" for n, v in attrs.items()]
    if shape == "wrapped":
        return "<attributes>" + "".join(f"<attribute>{p}</attribute>" for p in pairs) + "</attributes>"
    return "".join(f"<attributes>{p}</attributes>" for p in pairs)


def inner_xml(path, attrs, shape="flat", children=(), parent=None):
    """Return the inside of a configElement: type, attributes, children ((path, attrs) pairs), parentElement."""
    text = f"<elementTypePath>{path}</elementTypePath>" + pairs_xml(attrs, shape)
    kids = [inner_xml(p, a, shape) for p, a in children]
    if kids and shape == "wrapped":
        text += "<childrenElements>" + "".join(f"<childrenElement>{k}</childrenElement>" for k in kids) + "</childrenElements>"
    else:
        text += "".join(f"<childrenElements>{k}</childrenElements>" for k in kids)
    if parent is not None:
        text += "<parentElement>" + inner_xml(parent[0], parent[1], shape) + "</parentElement>"
    return text


def element_xml(path, attrs, shape="flat", children=(), parent=None):
    """Return a ``<configElement>`` XML body."""
    return "<configElement>" + inner_xml(path, attrs, shape, children, parent) + "</configElement>"


def element_json(path, attrs, children=(), parent=None):
    """Return a configElement JSON body (8.2.5+ plain arrays)."""
    data = {"elementTypePath": path, "attributes": [{"name": n, "value": v} for n, v in attrs.items()]}
    if children:
        data["childrenElements"] = [element_json(p, a) for p, a in children]
    if parent is not None:
        data["parentElement"] = element_json(*parent)
    return data


def call(emu, cookie, method, tail, dev="ID1", body=None, fmt="json", accept="json"):
    """Send one deviceConfigs request (``tail`` after the device id) and return the response."""
    return cc.sdm(emu, method, CONFIGS + dev + tail, cookie=cookie, body=body, fmt=fmt, accept=accept)


def stage(emu, cookie, operation, path, attrs, dev="ID1", fmt="json", shape="flat", children=(), parent=None):
    """POST configElements/add|update|delete|retrieve with one element in ``fmt`` (json or xml); return the response."""
    if fmt == "json":
        body = element_json(path, attrs, children, parent)
    else:
        body = element_xml(path, attrs, shape, children, parent)
    return call(emu, cookie, "POST", "/configElements/" + operation, dev, body, fmt, accept=fmt)


def staged_ok(emu, cookie, operation, path, attrs, dev="ID1", **kwargs):
    """Stage one change and assert it was accepted (200, or the 204 of a bodiless delete)."""
    resp = stage(emu, cookie, operation, path, attrs, dev, **kwargs)
    assert resp.status_code in (200, 204), (resp.status_code, resp.text)
    return resp


def push(emu, cookie, dev="ID1", kind="SaveActivateConfig", fmt="json"):
    """POST the device action of type ``kind``; return the response."""
    body = {"type": kind} if fmt == "json" else f"<deviceAction><type>{kind}</type></deviceAction>"
    return cc.sdm(emu, "POST", DEVICES + dev + "/action", cookie=cookie, body=body, fmt=fmt, accept=fmt)


def result_of(resp, status=200):
    """Return the saveActivateResult of a push answer as a dict of strings (JSON or XML)."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    cc.assert_product_headers(resp)
    if resp.headers.get("Content-Type", "").startswith("application/json"):
        return resp.json()
    root = cc.parse_xml(resp.content)
    assert root.tag == "saveActivateResult", resp.text
    return {child.tag: (child.text or "") for child in root}


def changes(emu, cookie, dev="ID1"):
    """Return the caller's staged changes on ``dev`` (JSON rows: name, operation, timestamp, elementTypePath)."""
    return cc.sdm_json(call(emu, cookie, "GET", "/configurationChanges", dev))["changedConfigElements"]


def attrs_of(data):
    """Return ``{name: value}`` of a JSON configElement."""
    return {pair["name"]: pair["value"] for pair in data["attributes"]}


def device_elements(emu, dev="ID1", inst="sdm1"):
    """Return the device configuration through the control API: ``{(type, first key value): JSON element}``."""
    resp = cc.control(emu, "GET", f"/sdm/{inst}/devices/{dev}/config")
    assert resp.status_code == 200, resp.text
    return {(e["elementTypePath"], e["attributes"][0]["value"]): e for e in resp.json()["elements"]}


def listed(emu, cookie, path, dev="ID1", **query):
    """Return the JSON configElements of GET configElements?elementTypePath=path (plus query)."""
    params = "".join(f"&{k}={v}" for k, v in query.items())
    return cc.sdm_json(call(emu, cookie, "GET", f"/configElements?elementTypePath={path}{params}", dev))["configElements"]


def arm_failure(emu, step, dev="ID1", message=None, count=1):
    """Arm an injected push failure at ``step`` through the control API; return the armed entry."""
    body = {"step": step, "count": count}
    if message is not None:
        body["message"] = message
    resp = cc.control(emu, "POST", f"/sdm/sdm1/devices/{dev}/push-failure", body)
    assert resp.status_code == 200, resp.text
    return resp.json()
