"""Conformance: the plain-HTTP listeners (`--sbc-http`: SBC global rule 1, 426 everywhere; `--sdm-http`: SDM over port-8080 style HTTP)."""

import pytest

try:
    import conformance_client as cc
except ImportError:  # tests/emulator is a package
    from tests.emulator import conformance_client as cc


def plain_url(emu, product, inst):
    """Return the plain-HTTP URL of a product instance from the startup JSON (`sbc_http` / `sdm_http`)."""
    urls = emu.urls
    value = urls.get(product + "_http")
    if value is None and isinstance(urls.get(product), dict):
        value = urls[product].get(inst + "_http")
    if isinstance(value, dict):
        value = value[inst]
    assert isinstance(value, str) and value.startswith("http://"), urls
    return value.rstrip("/")


@pytest.fixture(scope="module")
def http_emulator(tmp_path_factory):
    """A dedicated emulator that also serves SBC and SDM over plain HTTP."""
    with cc.start_emulator(tmp_path_factory.mktemp("plain-http"), "--sbc-http", "--sdm-http") as emu:
        yield emu


@pytest.fixture
def http_emu(http_emulator):
    """The plain-HTTP emulator, reset to its startup state."""
    http_emulator.reset()
    return http_emulator


ANY_PATHS = [
    ("POST", "/rest/v1.2/auth/token"),
    ("POST", "/rest/v1.2/configuration/lock"),
    ("POST", "/rest/v1.0/configuration/unlock"),
    ("GET", "/rest/api/supportedversions"),
    ("GET", "/rest/v1.1/configuration/configElements?elementType=realm-config"),
    ("PUT", "/rest/v1.2/configuration/management?action=save"),
    ("GET", "/rest/v9.9/admin/asyncstatus"),
    ("GET", "/no/such/path"),
    ("DELETE", "/"),
]


@pytest.mark.parametrize("shape", cc.MESSAGE_SHAPES)
@pytest.mark.parametrize("method,path", ANY_PATHS)
def test_rule1_plain_http_gets_426_on_any_path(http_emu, method, path, shape):
    """SBC rule 1: plain HTTP on any path -> 426 envelope "Client must connect with HTTPS"; no token, no lock."""
    cc.set_switches(http_emu, {"sbc.message_shape": shape})
    before = cc.control(http_emu, "GET", "/secrets").json()["tokens"]
    url = plain_url(http_emu, "sbc", "sbc1") + path
    resp = cc.request(http_emu, method, url, headers={"Authorization": cc.basic_header("admin", "admin-secret-1")})
    cc.assert_sbc_error(resp, 426, cc.TEXT_HTTPS, shape)
    assert cc.sbc_lock_state(http_emu)["held"] is False
    assert cc.control(http_emu, "GET", "/secrets").json()["tokens"] == before


def test_rule1_https_listener_still_serves(http_emu):
    """SBC rule 1 concerns the plain listener only: the HTTPS one of the same instance issues tokens."""
    assert cc.sbc_token(http_emu)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_sdm_plain_http_serves_the_api(http_emu, fmt):
    """SDM switch `--sdm-http`: the same SDM over plain HTTP: login (cookie shape), device Lock, logout."""
    base = plain_url(http_emu, "sdm", "sdm1")
    resp = cc.sdm_login_response(http_emu, "prov1", fmt=fmt, accept=fmt, base=base)
    cookie = cc.cookie_of(resp)
    cc.assert_product_headers(resp)
    resp = cc.sdm(http_emu, "POST", "/rest/v1.3/inventory/deviceMgmt/devices/ID3/action", cookie=cookie,
                  body=cc.action_body("Lock", fmt), fmt=fmt, base=base)
    assert resp.status_code == 204, resp.text
    assert cc.sdm_locks(http_emu) == {"ID3": "prov1"}
    https_unlock = cc.sdm_action(http_emu, cookie, "ID3", "Unlock")
    assert https_unlock.status_code == 204, "one SDM instance behind both listeners"
    resp = cc.sdm(http_emu, "POST", "/rest/v1.3/admin/logout", cookie=cookie, base=base)
    assert resp.status_code == 204
