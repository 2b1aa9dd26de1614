"""Conformance: SBC `configuration/configElements` rows (GET, POST, PUT, DELETE) and the lock check for mutating calls.

Every cell under `sbc.message_shape` (error texts) and `sbc.post_status`; malformed input -> 400 with the
envelope and nothing changed, never a traceback.
"""

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

ETYPE = "realm-config"
KEY = "identifier"
SINGLETON = "system-config"
BASE = "/rest/v1.2/configuration/configElements"
XML = {"Content-Type": "application/xml"}


def get_elements(emu, token, element_type=ETYPE, **keys):
    """GET configElements of element_type (optionally filtered by key=value); return a list of {name: value}."""
    params = {"elementType": element_type, **keys}
    resp = cc.sbc(emu, "GET", BASE, token=token, params=params)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    root = cc.envelope(resp)
    return [cc.element_attrs(el) for el in root.iter("configElement")]


def post_element(emu, token, attrs, element_type=ETYPE):
    """POST one configElement; return the response."""
    return cc.sbc(emu, "POST", BASE, token=token, data=cc.element_xml(element_type, attrs), headers=XML)


def put_element(emu, token, attrs, element_type=ETYPE):
    """PUT one configElement; return the response."""
    return cc.sbc(emu, "PUT", BASE, token=token, data=cc.element_xml(element_type, attrs), headers=XML)


def delete_element(emu, token, key_value, element_type=ETYPE):
    """DELETE the element of element_type with KEY = key_value; return the response."""
    return cc.sbc(emu, "DELETE", BASE, token=token, params={"elementType": element_type, KEY: key_value})


def seeded(emu):
    """Return a token holding the lock, after creating realms r1 and r2."""
    tok = cc.sbc_locked_token(emu)
    for name in ("r1", "r2"):
        resp = post_element(emu, tok, {KEY: name, "description": f"realm {name}"})
        assert resp.status_code in (200, 201), resp.text
    return tok


def snapshot(emu, token):
    """Return the realm-config store as a sorted list (to prove nothing changed)."""
    return sorted(get_elements(emu, token), key=lambda a: a.get(KEY, ""))


# ----------------------------------------------------------------- GET


def test_get_returns_elements_and_filters_by_key(emulator):
    """GET configElements?elementType=T[&key=val] -> 200 elements; the key filter selects one."""
    tok = seeded(emulator)
    names = sorted(a[KEY] for a in get_elements(emulator, tok))
    assert {"r1", "r2"} <= set(names)
    one = get_elements(emulator, tok, **{KEY: "r2"})
    assert len(one) == 1 and one[0][KEY] == "r2" and one[0]["description"] == "realm r2"


@pytest.mark.parametrize("holder", ["none", "other-user-token", "acli"])
def test_get_needs_no_lock(emulator, holder):
    """GET configElements never needs the lock: 200 whoever holds it."""
    if holder == "other-user-token":
        cc.sbc_locked_token(emulator, "admin2")
    elif holder == "acli":
        assert cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": "acli", "user": "cli"}).status_code in (200, 201, 204)
    assert isinstance(get_elements(emulator, cc.sbc_token(emulator, "operator")), list)


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("query", [{}, {"elementtype": ETYPE}, {"elementType": ""}, {KEY: "r1"}])
def test_get_missing_element_type_is_400(emulator, query, shape):
    """GET configElements without elementType -> 400 envelope."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    resp = cc.sbc(emulator, "GET", BASE, token=cc.sbc_token(emulator), params=query)
    cc.assert_sbc_error(resp, 400, shape=shape)


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("etype", ["no-such-type", "realm", "REALM-CONFIG", "../admin"])
def test_get_unknown_type_is_404(emulator, etype, shape):
    """GET configElements?elementType=<unknown> -> 404 envelope."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    resp = cc.sbc(emulator, "GET", BASE, token=cc.sbc_token(emulator), params={"elementType": etype})
    cc.assert_sbc_error(resp, 404, shape=shape)


# ----------------------------------------------------------------- lock check for mutating calls


def _mutate(emu, token, method):
    """Send one mutating configElements call of method on realm r1; return the response."""
    if method == "POST":
        return post_element(emu, token, {KEY: "r9", "description": "new"})
    if method == "PUT":
        return put_element(emu, token, {KEY: "r1", "description": "changed"})
    return delete_element(emu, token, "r1")


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("holder", ["free", "same-user-token", "other-user-token", "acli", "gui", "sdm"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_mutation_lock_check(emulator, method, holder, shape):
    """Lock check: lock free -> 423 "User does not have the lock"; held by other -> 423 "Resource locked by another user"; nothing changed."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    owner = seeded(emulator)
    before = snapshot(emulator, owner)
    assert cc.sbc_unlock(emulator, owner).status_code == 204
    if holder == "same-user-token":
        cc.sbc_locked_token(emulator, "admin")
    elif holder == "other-user-token":
        cc.sbc_locked_token(emulator, "admin2")
    elif holder != "free":
        assert cc.control(emulator, "POST", "/sbc/sbc1/lock", {"kind": holder, "user": "cli"}).status_code in (200, 201, 204)
    resp = _mutate(emulator, cc.sbc_token(emulator, "admin"), method)
    cc.assert_sbc_error(resp, 423, cc.TEXT_NO_LOCK if holder == "free" else cc.TEXT_LOCKED, shape)
    assert snapshot(emulator, owner) == before


# ----------------------------------------------------------------- POST


@pytest.mark.parametrize("post_status", ["200", "201"])
@pytest.mark.parametrize("version", cc.SBC_VERSIONS)
def test_post_creates(emulator, version, post_status):
    """POST configElements with the lock -> 200 (switch `sbc.post_status` 201); the element is then listed."""
    cc.set_switches(emulator, {"sbc.post_status": post_status})
    tok = cc.sbc_token(emulator, version=version)
    assert cc.sbc_lock(emulator, tok, version).status_code == 204
    resp = cc.sbc(emulator, "POST", f"/rest/{version}/configuration/configElements", token=tok,
                  data=cc.element_xml(ETYPE, {KEY: "new1", "description": "d"}), headers=XML)
    assert resp.status_code == int(post_status), resp.text
    cc.envelope(resp)
    found = get_elements(emulator, tok, **{KEY: "new1"})
    assert len(found) == 1 and found[0]["description"] == "d"


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
def test_post_duplicate_is_409(emulator, shape):
    """POST configElements with an existing key -> 409; the existing element is unchanged."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    tok = seeded(emulator)
    before = snapshot(emulator, tok)
    cc.assert_sbc_error(post_element(emulator, tok, {KEY: "r1", "description": "dup"}), 409, shape=shape)
    assert snapshot(emulator, tok) == before


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
def test_post_singleton_exists_is_409(emulator, shape):
    """POST a singleton element type that already exists -> 409."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    tok = cc.sbc_locked_token(emulator)
    existing = get_elements(emulator, tok, SINGLETON)
    if not existing:
        resp = post_element(emulator, tok, {"hostname": "sbc-a"}, SINGLETON)
        assert resp.status_code in (200, 201), resp.text
    before = get_elements(emulator, tok, SINGLETON)
    assert len(before) == 1
    cc.assert_sbc_error(post_element(emulator, tok, {"hostname": "sbc-b"}, SINGLETON), 409, shape=shape)
    assert get_elements(emulator, tok, SINGLETON) == before


MALFORMED = {
    "empty": b"",
    "not-xml": b"this is not xml",
    "unclosed": b"<configElement><elementType>realm-config</elementType>",
    "wrong-root": b"<element><elementType>realm-config</elementType></element>",
    "no-type": b"<configElement><attribute><name>identifier</name><value>rX</value></attribute></configElement>",
    "attr-no-name": b"<configElement><elementType>realm-config</elementType><attribute><value>rX</value></attribute></configElement>",
    "no-key": b"<configElement><elementType>realm-config</elementType><attribute><name>description</name><value>x</value></attribute></configElement>",
    "entity-bomb": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                    b"<configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>&lol2;</value></attribute>"
                    b"</configElement>"),
    "external-entity": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                        b"<configElement><elementType>realm-config</elementType><attribute><name>identifier</name><value>&e;</value></attribute>"
                        b"</configElement>"),
    "bad-utf8": b"<configElement><elementType>realm-config\xff\xfe</elementType></configElement>",
    "json": b'{"elementType": "realm-config", "identifier": "rX"}',
}


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_invalid_body_is_400_nothing_changed(emulator, case, method, shape):
    """POST / PUT configElements with invalid input -> 400 envelope (no traceback); nothing changed."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    tok = seeded(emulator)
    before = snapshot(emulator, tok)
    resp = cc.sbc(emulator, method, BASE, token=tok, data=MALFORMED[case], headers=XML)
    cc.assert_sbc_error(resp, 400, shape=shape)
    assert "root:x:" not in resp.text  # no external entity resolved
    assert snapshot(emulator, tok) == before
    assert cc.sbc_lock_state(emulator)["holder"]["id"] == cc.fingerprint(tok)


# ----------------------------------------------------------------- PUT


def test_put_updates_and_returns_whole_element(emulator):
    """PUT configElements with the lock -> 200 with the whole element (unchanged attributes too)."""
    tok = cc.sbc_locked_token(emulator)
    assert post_element(emulator, tok, {KEY: "rp", "description": "old", "addr-prefix": "10.0.0.0/8"}).status_code in (200, 201)
    resp = put_element(emulator, tok, {KEY: "rp", "description": "new"})
    assert resp.status_code == 200, resp.text
    root = cc.envelope(resp)
    elements = list(root.find("data").iter("configElement"))
    assert len(elements) == 1
    assert elements[0].findtext("elementType") == ETYPE
    attrs = cc.element_attrs(elements[0])
    assert attrs[KEY] == "rp" and attrs["description"] == "new" and attrs["addr-prefix"] == "10.0.0.0/8"
    assert get_elements(emulator, tok, **{KEY: "rp"}) == [attrs]


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
def test_put_missing_is_404(emulator, shape):
    """PUT configElements for an element that does not exist -> 404; nothing created."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    tok = seeded(emulator)
    before = snapshot(emulator, tok)
    cc.assert_sbc_error(put_element(emulator, tok, {KEY: "ghost", "description": "x"}), 404, shape=shape)
    assert snapshot(emulator, tok) == before


# ----------------------------------------------------------------- DELETE


def test_delete_removes(emulator):
    """DELETE configElements?elementType=T&key=value with the lock -> 204 without body; the element is gone."""
    tok = seeded(emulator)
    resp = delete_element(emulator, tok, "r1")
    assert resp.status_code == 204
    cc.assert_no_body(resp)
    assert [a[KEY] for a in get_elements(emulator, tok)].count("r1") == 0
    assert get_elements(emulator, tok, **{KEY: "r1"}) == []


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
def test_delete_missing_is_404(emulator, shape):
    """DELETE configElements of an element that does not exist -> 404; nothing changed."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    tok = seeded(emulator)
    before = snapshot(emulator, tok)
    cc.assert_sbc_error(delete_element(emulator, tok, "ghost"), 404, shape=shape)
    assert snapshot(emulator, tok) == before


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("query", [{}, {KEY: "r1"}, {"elementType": ""}])
def test_delete_invalid_is_400(emulator, query, shape):
    """DELETE configElements without an elementType -> 400; nothing changed."""
    cc.set_switches(emulator, {"sbc.message_shape": shape})
    tok = seeded(emulator)
    before = snapshot(emulator, tok)
    cc.assert_sbc_error(cc.sbc(emulator, "DELETE", BASE, token=tok, params=query), 400, shape=shape)
    assert snapshot(emulator, tok) == before


def delete_singleton(emu, tok):
    resp = cc.sbc(emu, "DELETE", "/rest/v1.2/configuration/configElements", token=tok, params={"elementType": SINGLETON})
    assert resp.status_code == 204, resp.text


@pytest.mark.parametrize("mode", ["type_only", "attributes"])
def test_post_of_an_absent_singleton_under_sbc_singleton_post(emulator, mode):
    """`type_only` (default, as Oracle documents): the POST creates the singleton from its type alone, with defaults, and a PUT
    sets it; `attributes`: the POST's attributes are kept."""
    cc.set_switches(emulator, {"sbc.singleton_post": mode})
    tok = cc.sbc_locked_token(emulator)
    delete_singleton(emulator, tok)
    resp = post_element(emulator, tok, {"hostname": "sbc-a"}, SINGLETON)
    assert resp.status_code in (200, 201), resp.text
    (created,) = get_elements(emulator, tok, SINGLETON)
    assert created["hostname"] == ("" if mode == "type_only" else "sbc-a")
