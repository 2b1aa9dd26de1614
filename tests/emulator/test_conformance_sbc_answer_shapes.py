"""Conformance: the SBC answers Oracle documents in more than one way or leaves open, one switch each.

`sbc.metadata_shape` (Oracle's `attributeMetadata`, the emulator's first `attribute` rows, none), `sbc.keyed_missing`
(a read by every key of a missing element: 200 with none, or 404), `sbc.values` (values echoed or canonicalised),
`sbc.change_answer` (POST / PUT answer the element, or nothing), `sbc.page_size` (element lists in pages linked by
`<links>`), `sbc.link_host` (links name the host asked, another host, or no host), `sbc.async_error` and
`sbc.async_result=verify_fail` (where a failed async request's words sit).
"""

from urllib.parse import parse_qsl, urlsplit

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc

BASE = "/rest/v1.2/configuration"
XML = {"Content-Type": "application/xml"}


def metadata(emu, element_type="realm-config"):
    resp = cc.sbc(emu, "GET", BASE + "/elementTypes/metadata", token=cc.sbc_token(emu), params={"elementType": element_type})
    assert resp.status_code == 200, resp.text
    return cc.envelope(resp).find("data")


def elements(resp):
    return [cc.element_attrs(node) for node in cc.envelope(resp).iter("configElement")]


def test_metadata_in_oracles_shape_by_default(emulator):
    """Default `attributeMetadata`: elementType, singleInstance and one attributeMetadata row per attribute, directly in data."""
    data = metadata(emulator)
    assert data.findtext("elementType") == "realm-config" and data.findtext("singleInstance") == "false"
    rows = {row.findtext("name"): row for row in data.findall("attributeMetadata")}
    assert rows["identifier"].findtext("key") == "true" and rows["identifier"].findtext("required") == "true"
    assert rows["description"].findtext("key") == "false" and rows["max-bandwidth"].findtext("valueType") == "integer"
    assert rows["mm-in-realm"].findtext("valueType") == "boolean"
    assert [node.text for node in rows["access-control-trust-level"].findall("enumeratedValues")] == ["none", "low", "medium", "high"]
    assert data.find("attribute") is None and data.find(".//attribute") is None
    assert metadata(emulator, "system-config").findtext("singleInstance") == "true"


def test_metadata_in_the_emulators_first_shape(emulator):
    """`attribute`: elementTypeMetadata with singleton and attribute rows (name, type, key, default)."""
    cc.set_switches(emulator, {"sbc.metadata_shape": "attribute"})
    data = metadata(emulator)
    meta = data.find("elementTypeMetadata")
    assert meta.findtext("name") == "realm-config" and meta.findtext("singleton") == "false"
    rows = {row.findtext("name"): row for row in meta.findall("attribute")}
    assert rows["identifier"].findtext("key") == "true" and rows["access-control-trust-level"].findtext("type") == "enum"
    assert data.find(".//attributeMetadata") is None


def test_metadata_that_names_no_attribute(emulator):
    """`none`: the type's name and nothing else."""
    cc.set_switches(emulator, {"sbc.metadata_shape": "none"})
    data = metadata(emulator)
    assert [child.tag for child in data] == ["elementType"]


@pytest.mark.parametrize("missing", ["empty", "404"])
@pytest.mark.parametrize("element_type, query", [
    ("realm-config", {"identifier": "ghost"}),
    ("local-policy", {"from-address": "a", "to-address": "b"}),
])
def test_a_read_by_every_key_of_a_missing_element(emulator, missing, element_type, query):
    """`sbc.keyed_missing`: 200 with no element, or 404; a read by part of the keys, or by none, is a 200 list."""
    cc.set_switches(emulator, {"sbc.keyed_missing": missing})
    tok = cc.sbc_token(emulator)
    resp = cc.sbc(emulator, "GET", BASE + "/configElements", token=tok, params=dict(query, elementType=element_type))
    if missing == "404":
        cc.assert_sbc_error(resp, 404)
    else:
        assert resp.status_code == 200 and elements(resp) == []
    partial = dict(list(query.items())[:-1], elementType=element_type)
    resp = cc.sbc(emulator, "GET", BASE + "/configElements", token=tok, params=partial)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("values", ["echo", "canonical"])
def test_values_echoed_or_canonicalised(emulator, values):
    """`sbc.values`: enum and boolean values, integers, kept as given or in the SBC's spelling; a bad enum value is 400."""
    cc.set_switches(emulator, {"sbc.values": values})
    tok = cc.sbc_locked_token(emulator)
    given = {"identifier": "rv", "mm-in-realm": "Enabled", "access-control-trust-level": "LOW", "max-bandwidth": "007"}
    resp = cc.sbc(emulator, "POST", BASE + "/configElements", token=tok, data=cc.element_xml("realm-config", given), headers=XML)
    assert resp.status_code == 200, resp.text
    expected = given if values == "echo" else {"identifier": "rv", "mm-in-realm": "enabled", "access-control-trust-level": "low",
                                               "max-bandwidth": "7"}
    answered = elements(resp)[0]
    assert {name: answered[name] for name in given} == expected
    resp = cc.sbc(emulator, "PUT", BASE + "/configElements", token=tok, headers=XML,
                  data=cc.element_xml("sip-interface", {"realm-id": "core", "transport-protocol": "tcp"}))
    assert elements(resp)[0]["transport-protocol"] == ("tcp" if values == "echo" else "TCP")
    bad = cc.sbc(emulator, "PUT", BASE + "/configElements", token=tok, headers=XML,
                 data=cc.element_xml("sip-interface", {"realm-id": "core", "transport-protocol": "carrier-pigeon"}))
    cc.assert_sbc_error(bad, 400)


@pytest.mark.parametrize("answer", ["element", "empty"])
def test_post_and_put_answer_the_element_or_nothing(emulator, answer):
    """`sbc.change_answer`: the changed element whole, or an envelope with an empty data; the change is made either way."""
    cc.set_switches(emulator, {"sbc.change_answer": answer})
    tok = cc.sbc_locked_token(emulator)
    post = cc.sbc(emulator, "POST", BASE + "/configElements", token=tok, data=cc.element_xml("realm-config", {"identifier": "ra"}),
                  headers=XML)
    put = cc.sbc(emulator, "PUT", BASE + "/configElements", token=tok, headers=XML,
                 data=cc.element_xml("realm-config", {"identifier": "ra", "description": "d"}))
    assert post.status_code == 200 and put.status_code == 200
    assert len(elements(post)) == len(elements(put)) == (1 if answer == "element" else 0)
    read = cc.sbc(emulator, "GET", BASE + "/configElements", token=tok, params={"elementType": "realm-config", "identifier": "ra"})
    assert elements(read)[0]["description"] == "d"


def _own_path(link):
    """The parts of a link, and the path and query it names."""
    parts = urlsplit(link)
    return parts, (parts.path + ("?" + parts.query if parts.query else ""))


@pytest.mark.parametrize("host", ["request", "other", "relative"])
@pytest.mark.parametrize("size", [1, 2])
def test_element_lists_in_pages(emulator, size, host):
    """`sbc.page_size`: at most N elements per answer and a link to the next page while more remain; the pages hold every element once."""
    cc.set_switches(emulator, {"sbc.page_size": str(size), "sbc.link_host": host})
    tok = cc.sbc_locked_token(emulator)
    for name in ("p1", "p2", "p3"):
        cc.sbc(emulator, "POST", BASE + "/configElements", token=tok, data=cc.element_xml("realm-config", {"identifier": name}), headers=XML)
    seen, params, path, pages = [], {"elementType": "realm-config"}, BASE + "/configElements", 0
    while True:
        resp = cc.sbc(emulator, "GET", path, token=tok, params=params)
        assert resp.status_code == 200, resp.text
        page = elements(resp)
        assert 1 <= len(page) <= size
        seen += [element["identifier"] for element in page]
        pages += 1
        links = cc.link_texts(cc.envelope(resp))
        if not links:
            break
        parts = _own_path(links[0])[0]
        if host == "relative":
            assert not parts.scheme and not parts.netloc
        elif host == "other":
            assert parts.hostname == "sbc-mgmt.emulator.invalid"
        else:
            assert parts.hostname == urlsplit(cc.sbc_base(emulator)).hostname
        assert parts.path == BASE + "/configElements"
        path, params = parts.path, dict(parse_qsl(parts.query))
    assert seen == ["core", "access", "p1", "p2", "p3"] and pages == -(-5 // size)


def test_no_pages_with_page_size_zero(emulator):
    """`sbc.page_size=0`: every element in one answer, no link."""
    cc.set_switches(emulator, {"sbc.page_size": "0"})
    resp = cc.sbc(emulator, "GET", BASE + "/configElements", token=cc.sbc_token(emulator), params={"elementType": "realm-config"})
    assert len(elements(resp)) == 2 and cc.link_texts(cc.envelope(resp)) == []


@pytest.mark.parametrize("host", ["request", "other", "relative"])
def test_the_202_link_names_the_host_the_switch_says(emulator, host):
    """`sbc.link_host` on the 202 of a management call: the host asked, another host, or a bare path; its path polls the job."""
    cc.set_switches(emulator, {"sbc.link_host": host, "sbc.async_link": "per_job", "sbc.async_delay": "0"})
    tok = cc.sbc_locked_token(emulator)
    resp = cc.sbc(emulator, "PUT", BASE + "/management", token=tok, params={"action": "save"})
    assert resp.status_code == 202
    parts, path = _own_path(cc.link_texts(cc.envelope(resp))[0])
    assert {"request": urlsplit(cc.sbc_base(emulator)).hostname, "other": "sbc-mgmt.emulator.invalid", "relative": None}[host] == parts.hostname
    status, state, _root = cc.wait_async(emulator, tok, url=cc.sbc_base(emulator) + path)
    assert status == "success" and state.findtext("operation") == "save"


@pytest.mark.parametrize("where", ["errorMessage", "additionalInfo", "absent"])
def test_where_a_failed_request_puts_its_words(emulator, where):
    """`sbc.async_error` with `sbc.async_result=verify_fail`: save succeeds; verify fails with its words in errorMessage, in additionalInfo, or none."""
    cc.set_switches(emulator, {"sbc.async_result": "verify_fail", "sbc.async_error": where, "sbc.async_delay": "0"})
    tok = cc.sbc_locked_token(emulator)
    assert cc.sbc(emulator, "PUT", BASE + "/management", token=tok, params={"action": "save"}).status_code == 202
    assert cc.wait_async(emulator, tok)[0] == "success"
    assert cc.sbc(emulator, "PUT", BASE + "/management", token=tok, params={"action": "verify"}).status_code == 202
    status, _state, root = cc.wait_async(emulator, tok)
    assert status == "fail"
    data = root.find("data")
    words = [node.text.strip() for node in data.iter() if node.text and node.text.strip() and node.tag not in ("operation", "status")]
    if where == "absent":
        assert words == []
    elif where == "errorMessage":
        assert data.findtext("errorMessage") == "verify failed (emulated failure)"
    else:
        assert data.find("errorMessage") is None and "network-interfaces M00:0 does not exist" in data.find("additionalInfo/verifyResult/error").text
