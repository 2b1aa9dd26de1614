"""Raw HTTPS helpers for the emulator conformance tests (tests/emulator/test_conformance_*.py).

Every call goes through one `requests` session that never stores cookies and never reads the
environment (REQUESTS_CA_BUNDLE would silently replace `verify`), and always passes the emulator's
CA explicitly. The assertion helpers encode the shapes of docs/emulator.md and
docs/emulator.md: the SBC XML envelope, the three SBC message shapes, the five SDM error bodies.
"""

import base64
import concurrent.futures
import hashlib
import http.cookiejar
import json
import re
import time

import requests
from defusedxml import ElementTree

try:
    from emulator_harness import assert_never_two_holders, start_emulator
except ImportError:  # tests/ is a package: import through it
    from tests.emulator_harness import assert_never_two_holders, start_emulator

__all__ = [
    "assert_never_two_holders", "start_emulator",
]

SBC_VERSIONS = ("v1.0", "v1.1", "v1.2")
SDM_VERSIONS = ("v1.0", "v1.1", "v1.2", "v1.3")
SBC_USERS = {"admin": "admin-secret-1", "admin2": "admin-secret-2", "operator": "operator-secret"}
SDM_USERS = {"admin": "sdm-admin-secret", "prov1": "prov1-secret", "prov2": "prov2-secret", "monitor": "monitor-secret"}
SDM_DEVICES = {
    "ID1": ("sbc-east-1", "192.0.2.11", "ID101"),
    "ID2": ("sbc-east-2", "192.0.2.12", "ID101"),
    "ID3": ("sbc-west-1", "192.0.2.21", "ID102"),
    "ID4": ("lab-sbc", "192.0.2.31", "ID103"),
    "ID5": ("lab-sbc", "192.0.2.32", "ID103"),
}
SDM_GROUPS = {("ID101", "ID201"): ("ID1", "ID2"), ("ID102", "ID202"): ("ID3",), ("ID103", "ID203"): ("ID4", "ID5")}

MESSAGE_SHAPES = ("message", "errorMessage", "reasonPhrase")
SDM_ERROR_BODIES = ("text", "empty", "html", "xml", "json")

TEXT_HTTPS = "Client must connect with HTTPS"
TEXT_VERSION = "Unsupported versionId in URI"
TEXT_NOT_AUTHORIZED = "Client not authorized"
TEXT_LOCKED = "Resource locked by another user"
TEXT_LOCKED_ALT = "another client/user already owns the lock"
TEXT_NO_LOCK = "User does not have the lock"
TEXT_TOO_MANY = "Too many sessions"

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
COOKIE_RE = re.compile(r"^JSESSIONID=([0-9A-Fa-f]{32})\.tomcat1; Path=/rest; HttpOnly$")
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "aiohttp.web", "Exception:")


class _RefuseCookies(http.cookiejar.DefaultCookiePolicy):
    """Cookie policy that neither stores nor sends any cookie: tests set `Cookie` by hand."""

    def set_ok(self, cookie, request):
        """Never store a cookie."""
        return False

    def return_ok(self, cookie, request):
        """Never send a stored cookie."""
        return False


_SESSION = requests.Session()
_SESSION.trust_env = False
_SESSION.cookies.set_policy(_RefuseCookies())


def fingerprint(secret):
    """Return the audit fingerprint of a token or session id: first 12 hex of its sha256."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def request(emu, method, url, **kwargs):
    """Send one request to an emulator listener, trusting only that emulator's CA; never follow redirects."""
    kwargs["verify"] = emu.ca_cert
    kwargs.setdefault("timeout", 15)
    kwargs.setdefault("allow_redirects", False)
    return _SESSION.request(method, url, **kwargs)


def control(emu, method, path, body=None, **params):
    """Call the control API directly and return the raw response (for status-code assertions)."""
    return _SESSION.request(method, emu.control_url.rstrip("/") + path, json=body, params=params or None, timeout=15)


def basic_header(user, password):
    """Return an `Authorization: Basic` header value for user:password."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --------------------------------------------------------------------------- SBC


def sbc_base(emu, inst="sbc1"):
    """Return the SBC instance's base URL without a trailing slash."""
    return emu.sbc_url(inst).rstrip("/")


def sbc(emu, method, path, token=None, auth=None, inst="sbc1", headers=None, **kwargs):
    """Send one SBC request; `path` starts at `/rest`; `token` becomes a Bearer header, `auth` a raw Authorization value."""
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    if auth is not None:
        hdrs["Authorization"] = auth
    return request(emu, method, sbc_base(emu, inst) + path, headers=hdrs, **kwargs)


def sbc_token_response(emu, user="admin", version="v1.2", inst="sbc1", password=None, data=None):
    """POST auth/token with Basic credentials (and an optional form body); return the response."""
    pw = SBC_USERS[user] if password is None else password
    return sbc(emu, "POST", f"/rest/{version}/auth/token", auth=basic_header(user, pw), inst=inst, data=data)


def token_of(resp):
    """Return the accessToken carried by a 200 auth/token response."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    root = envelope(resp)
    node = root.find("data/accessToken")
    assert node is not None and (node.text or "").strip(), resp.text
    return node.text.strip()


def sbc_token(emu, user="admin", version="v1.2", inst="sbc1"):
    """Obtain a fresh SBC token for user."""
    return token_of(sbc_token_response(emu, user, version, inst))


def sbc_lock(emu, token, version="v1.2", inst="sbc1"):
    """POST configuration/lock with token; return the response."""
    return sbc(emu, "POST", f"/rest/{version}/configuration/lock", token=token, inst=inst)


def sbc_unlock(emu, token, version="v1.2", inst="sbc1"):
    """POST configuration/unlock with token; return the response."""
    return sbc(emu, "POST", f"/rest/{version}/configuration/unlock", token=token, inst=inst)


def sbc_locked_token(emu, user="admin", inst="sbc1"):
    """Return a token that has just taken the SBC configuration lock (asserts the 204)."""
    tok = sbc_token(emu, user, inst=inst)
    resp = sbc_lock(emu, tok, inst=inst)
    assert resp.status_code == 204, (resp.status_code, resp.text)
    return tok


def sbc_is_live(emu, token, inst="sbc1"):
    """Return True when token is accepted (probe: GET supportedversions with Bearer)."""
    resp = sbc(emu, "GET", "/rest/api/supportedversions", token=token, inst=inst)
    assert resp.status_code in (200, 401), (resp.status_code, resp.text)
    return resp.status_code == 200


def parse_xml(text):
    """Parse XML safely (defusedxml); return the root element."""
    return ElementTree.fromstring(text)


def envelope(resp):
    """Assert resp carries the SBC envelope (declaration, application/xml, response/data/messages/links); return its root."""
    assert_product_headers(resp)
    assert_no_traceback(resp)
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == "application/xml", resp.headers
    text = resp.content.decode("utf-8")
    assert text.startswith(XML_DECLARATION), text[:200]
    root = parse_xml(resp.content)
    assert root.tag == "response", text
    assert [child.tag for child in root] == ["data", "messages", "links"], text
    return root


def message_texts(root):
    """Return every non-empty text inside <messages>, in document order."""
    messages = root.find("messages")
    return [node.text.strip() for node in messages.iter() if node is not messages and node.text and node.text.strip()]


def link_texts(root):
    """Return every non-empty text inside <links>."""
    links = root.find("links")
    return [node.text.strip() for node in links.iter() if node.text and node.text.strip()]


def shaped_text(root, shape):
    """Return the error text from the place switch `sbc.message_shape` = shape puts it, or None."""
    paths = {"message": "messages/message", "errorMessage": "messages/message/errorMessage", "reasonPhrase": "messages/error/reasonPhrase"}
    node = root.find(paths[shape])
    if node is None or node.text is None:
        return None
    return node.text.strip()


def assert_sbc_error(resp, status, text=None, shape="message"):
    """Assert an SBC error: status, envelope, and (when given) text exactly at the place `shape` puts it."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    root = envelope(resp)
    texts = message_texts(root)
    assert texts, resp.text
    if text is not None:
        assert shaped_text(root, shape) == text, (shape, resp.text)
    return root


def assert_no_body(resp):
    """Assert a 204-style response: no body at all."""
    assert_product_headers(resp)
    assert resp.content == b"", resp.content


def element_xml(element_type, attrs):
    """Return a `<configElement>` XML body for element_type with attrs {name: value}."""
    parts = [f"<configElement><elementType>{element_type}</elementType>"]
    for name, value in attrs.items():
        parts.append(f"<attribute><name>{name}</name><value>{value}</value></attribute>")
    parts.append("</configElement>")
    return "".join(parts)


def element_attrs(element):
    """Return {name: value} of a parsed <configElement>."""
    out = {}
    for attr in element.findall("attribute"):
        name = attr.findtext("name")
        out[name] = (attr.findtext("value") or "").strip()
    return out


def wait_async(emu, token, version="v1.2", inst="sbc1", timeout=5.0, url=None):
    """Poll asyncstatus (or url) until the status leaves inProgress; return (status, operationState element, root)."""
    deadline = time.monotonic() + timeout
    while True:
        if url is None:
            resp = sbc(emu, "GET", f"/rest/{version}/admin/asyncstatus", token=token, inst=inst)
        else:
            resp = request(emu, "GET", url, headers={"Authorization": "Bearer " + token})
        assert resp.status_code == 200, (resp.status_code, resp.text)
        root = envelope(resp)
        state = root.find("data/operationState")
        assert state is not None, resp.text
        status = state.findtext("status")
        if status != "inProgress" or time.monotonic() > deadline:
            return status, state, root
        time.sleep(0.05)


# --------------------------------------------------------------------------- SDM


def sdm_base(emu, inst="sdm1"):
    """Return the SDM instance's base URL without a trailing slash."""
    return emu.sdm_url(inst).rstrip("/")


def sdm(emu, method, path, cookie=None, inst="sdm1", accept="json", body=None, fmt="json", headers=None, base=None, **kwargs):
    """Send one SDM request; `cookie` is the whole Cookie header value; `body` a dict (JSON) or str (XML per fmt)."""
    hdrs = {"Accept": "application/json" if accept == "json" else "application/xml"}
    if cookie is not None:
        hdrs["Cookie"] = cookie
    if body is not None:
        if isinstance(body, (dict, list)):
            kwargs["data"] = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        else:
            kwargs["data"] = body.encode() if isinstance(body, str) else body
            hdrs["Content-Type"] = "application/json" if fmt == "json" else "application/xml"
    hdrs.update(headers or {})
    return request(emu, method, (base or sdm_base(emu, inst)) + path, headers=hdrs, **kwargs)


def login_body(user, password, fmt):
    """Return a login body: a JSON dict or the XML `<session>` text."""
    if fmt == "json":
        return {"userName": user, "password": password}
    return f"<session><userName>{user}</userName><password>{password}</password></session>"


def sdm_login_response(emu, user="prov1", version="v1.3", inst="sdm1", fmt="json", accept="json", password=None, base=None):
    """POST admin/login for user; return the response."""
    pw = SDM_USERS[user] if password is None else password
    return sdm(emu, "POST", f"/rest/{version}/admin/login", inst=inst, accept=accept, body=login_body(user, pw, fmt), fmt=fmt, base=base)


def cookie_of(resp):
    """Assert the login response's Set-Cookie shape; return the `JSESSIONID=<id>` Cookie header value."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    set_cookie = resp.headers.get("Set-Cookie", "")
    assert COOKIE_RE.match(set_cookie), set_cookie
    return set_cookie.split(";")[0]


def sdm_login(emu, user="prov1", version="v1.3", inst="sdm1"):
    """Log user in and return the Cookie header value `JSESSIONID=<id>`."""
    return cookie_of(sdm_login_response(emu, user, version, inst))


def action_body(kind, fmt, group=False):
    """Return a device (or group) action body of type kind in fmt (json dict / XML text)."""
    if fmt == "json":
        return {"type": kind}
    root = "deviceGroupAction" if group else "deviceAction"
    return f"<{root}><type>{kind}</type></{root}>"


def sdm_action(emu, cookie, device, kind, fmt="json", version="v1.3", inst="sdm1"):
    """POST a device action (Lock / Unlock) as the session in cookie; return the response."""
    return sdm(emu, "POST", f"/rest/{version}/inventory/deviceMgmt/devices/{device}/action", cookie=cookie, inst=inst,
               body=action_body(kind, fmt), fmt=fmt)


def sdm_group_action(emu, cookie, nf, group, kind, fmt="json", version="v1.3", inst="sdm1"):
    """POST a device-group action (Lock / Unlock); return the response."""
    return sdm(emu, "POST", f"/rest/{version}/inventory/nfMgmt/nfs/{nf}/groups/{group}/action", cookie=cookie, inst=inst,
               body=action_body(kind, fmt, group=True), fmt=fmt)


def sdm_locks(emu, inst="sdm1"):
    """Return the SDM device locks {deviceId: user} read through the control API."""
    resp = control(emu, "GET", f"/sdm/{inst}/locks")
    assert resp.status_code == 200, resp.text
    return resp.json()


def sbc_lock_state(emu, inst="sbc1"):
    """Return the SBC lock state {held, holder} read through the control API."""
    resp = control(emu, "GET", f"/sbc/{inst}/lock")
    assert resp.status_code == 200, resp.text
    return resp.json()


def audit(emu, instance=None, since=0):
    """Return the audit events (list) read through the control API."""
    params = {"since": since}
    if instance:
        params["instance"] = instance
    resp = control(emu, "GET", "/audit", **params)
    assert resp.status_code == 200, resp.text
    return resp.json()["events"]


def set_switches(emu, switches, instance=None):
    """Set switches through the control API (values sent as strings); assert success."""
    body = {key: str(value) for key, value in switches.items()}
    if instance:
        body["instance"] = instance
    resp = control(emu, "POST", "/switches", body)
    assert resp.status_code == 200, (resp.status_code, resp.text)


def assert_sdm_error(resp, status, error_body="text", holder=None, names_holder=False):
    """Assert an SDM error response: status, headers and the body shape of switch `sdm.error_body`.

    With holder given, the holder's user name appears in the body iff names_holder (never in an empty body).
    """
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert_product_headers(resp)
    assert_no_traceback(resp)
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    text = resp.content.decode("utf-8")
    if error_body == "empty":
        assert resp.content == b"", text
    elif error_body == "text":
        assert ctype == "text/plain", ctype
        assert text.strip() and "\n" not in text.strip(), repr(text)
    elif error_body == "html":
        assert ctype == "text/html", ctype
        assert "<html" in text.lower() and str(status) in text, text
    elif error_body == "xml":
        assert ctype in ("application/xml", "text/xml"), ctype
        root = parse_xml(resp.content)
        assert root.tag == "error" and (root.findtext("message") or "").strip(), text
    elif error_body == "json":
        assert ctype == "application/json", ctype
        data = json.loads(text)
        assert isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"].strip(), text
    else:
        raise AssertionError("unknown error_body " + error_body)
    if holder is not None and error_body != "empty":
        assert (holder in text) == names_holder, (holder, names_holder, text)


def sdm_json(resp):
    """Return the JSON body of a 200 SDM response (asserting headers and content type)."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert_product_headers(resp)
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == "application/json", resp.headers
    return resp.json()


def sdm_xml(resp):
    """Return the parsed XML root of a 200 SDM response (asserting headers and content type)."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert_product_headers(resp)
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() in ("application/xml", "text/xml"), resp.headers
    return parse_xml(resp.content)


def unwrap(obj, key):
    """Return obj[key] when obj is a one-key wrapper {key: {...}}, else obj itself (JSON bodies may be bare)."""
    if isinstance(obj, dict) and set(obj) == {key} and isinstance(obj[key], dict):
        return obj[key]
    return obj


# --------------------------------------------------------------------------- both


def assert_product_headers(resp):
    """Assert the headers every SBC/SDM response carries."""
    assert resp.headers.get("Server") == "Apache", resp.headers
    assert resp.headers.get("X-Frame-Options") == "SAMEORIGIN", resp.headers


def assert_no_traceback(resp):
    """Assert no Python traceback or exception text leaks into a body."""
    text = resp.content.decode("utf-8", "replace")
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, text


def events_after(emu, seq, instance=None):
    """Return audit events with seq greater than seq."""
    return [e for e in audit(emu, instance) if e["seq"] > seq]


def last_seq(emu, instance=None):
    """Return the highest audit seq so far (0 when the log is empty)."""
    events = audit(emu, instance)
    return max((e["seq"] for e in events), default=0)


def assert_no_secret_in_audit(emu):
    """Assert no token or session id ever issued appears in the audit log."""
    resp = control(emu, "GET", "/secrets")
    assert resp.status_code == 200, resp.text
    secrets = resp.json()
    dump = json.dumps(audit(emu))
    for secret in secrets.get("tokens", []) + secrets.get("sessions", []):
        assert secret not in dump, "secret leaked into the audit log"


def run_concurrently(calls):
    """Run {name: zero-argument callable} all at once in threads; return {name: None or the exception it raised}."""
    with concurrent.futures.ThreadPoolExecutor(max(1, len(calls))) as pool:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        return {name: future.exception() for name, future in futures.items()}


def assert_scenario(outcomes, name):
    """Re-raise what the concurrently run scenario name raised, if anything."""
    if outcomes[name] is not None:
        raise outcomes[name]
