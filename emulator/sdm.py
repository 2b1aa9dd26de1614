"""One emulated SDM: sessions, devices and responses; device locks (sdm_locks) and provisioning (sdm_config, sdm_push) mix in.

Behaviour follows docs/oracle-api.md ("Session Delivery Manager") with the switches of docs/emulator.md. As in the
SBC, a handler reads its body first and then checks and changes state without awaiting.
"""

import json
import secrets
import time

from aiohttp import web

from . import switches as switch_table
from . import xmlio
from .rest import ApiError, accepts_json, tomcat_error_page
from .sdm_config import ConfigStaging
from .sdm_locks import DeviceLocks
from .sdm_push import ConfigPush
from .state import Stats, fingerprint

DEVICE_FIELDS = ("id", "ip", "key", "name", "nfId", "nfName", "parentGroupId", "groupId", "platformInfo", "softwareInfo")
SERVER_INFO = {"productName": "Oracle Communications Session Delivery Manager", "version": "9.0.1.0.0"}
WWW_AUTHENTICATE = 'Basic realm="Session Delivery Manager"'
SESSION_INVALID = "Session is not valid or has expired"


class Session:
    """A logged-in SDM session; ``timeout`` seconds of inactivity end it (0 = never)."""

    __slots__ = ("id", "user", "group", "timeout", "last_seen", "fp")

    def __init__(self, session_id, user, group, timeout, now):
        self.id = session_id
        self.user = user
        self.group = group
        self.timeout = timeout
        self.last_seen = now
        self.fp = fingerprint(session_id)

    def deadline(self):
        """Monotonic time at which the session is gone, or None if it never idles out."""
        return self.last_seen + self.timeout if self.timeout else None


class SdmInstance(DeviceLocks, ConfigStaging, ConfigPush):
    """The state and the /rest handlers of one SDM listener (``sdm1``, ...)."""

    product = "sdm"
    content_type = "application/xml"
    device_fields = DEVICE_FIELDS

    def __init__(self, name, config, hub):
        self.name = name
        self.hub = hub
        self.config = config
        self.users = config.sdm_users
        self.versions = config.sdm_versions
        self.devices = {d["id"]: d for d in config.devices}
        self.groups = {}  # (nfId, groupId) -> [device ids]
        for device in config.devices:
            self.groups.setdefault((device["nfId"], device["groupId"]), []).append(device["id"])
        self.startup_switches = switch_table.startup("sdm", config.switches)
        self.stats = Stats()
        self._list_cache = {}  # list format -> body bytes; the device table never changes
        self.reset()

    def reset(self):
        """Return to the startup state: no sessions, device locks, staged changes or pushes; seed configurations; startup switches."""
        self.switches = dict(self.startup_switches)
        self.sessions = {}
        self.locks = {}  # device id -> DeviceLock
        self.earliest_deadline = None  # a lower bound of every session's deadline
        self.reset_config()
        self.reset_push()

    # ----------------------------------------------------------------- sessions and time

    def tick(self, now):
        """End every session idle past its timeout (cheap: scans only once the earliest deadline passed)."""
        if self.earliest_deadline is None or now < self.earliest_deadline:
            return
        earliest = None
        for session in list(self.sessions.values()):
            deadline = session.deadline()
            if deadline is None:
                continue
            if deadline <= now:
                self._end_session(session, "expiry")
            elif earliest is None or deadline < earliest:
                earliest = deadline
        self.earliest_deadline = earliest

    def _end_session(self, session, why):
        """Delete a session (``why`` = ``logout`` or ``expiry``); release its locks if sdm.lock_lifetime says so."""
        self.sessions.pop(session.id, None)
        if self.switches["sdm.lock_lifetime"] != why:
            return
        for device_id, lock in list(self.locks.items()):
            if lock.session is session:
                del self.locks[device_id]
                event, cause = ("release", "logout") if why == "logout" else ("expire", "session-expired")
                self._audit(device_id, event, lock, cause)

    def expire_sessions(self, user=None):
        """Control API: end the sessions (of ``user`` only, if given) as an idle timeout would; return how many."""
        doomed = [s for s in self.sessions.values() if user is None or s.user == user]
        for session in doomed:
            self._end_session(session, "expiry")
        return len(doomed)

    def _session_id(self, request):
        """Return the session id the Cookie header names (``JSESSIONID=<id>``, or bare with sdm.cookie_bare_id)."""
        bare = None
        for part in ";".join(request.headers.getall("Cookie", ())).split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name == "JSESSIONID":
                return value.strip().strip('"')
            if not sep and name and self.switches["sdm.cookie_bare_id"] == "on":
                bare = name
        return bare

    def session(self, request):
        """Check the version, then return the caller's live Session (touched) or raise 404 / 401."""
        self.check_version(request)
        session = self.sessions.get(self._session_id(request) or "")
        if session is None:
            raise ApiError(401, SESSION_INVALID)
        now = time.monotonic()
        deadline = session.deadline()
        if deadline is not None and deadline <= now:
            self._end_session(session, "expiry")
            raise ApiError(401, SESSION_INVALID)
        session.last_seen = now
        return session

    def check_version(self, request):
        """Raise 404 when the ``{v}`` segment is not a configured version."""
        if request.match_info.get("v") not in self.versions:
            raise ApiError(404, "Unsupported version %s" % request.match_info.get("v"))

    def precheck(self, request):
        """Nothing applies to every SDM path before routing (plain HTTP is allowed with --sdm-http)."""

    # ----------------------------------------------------------------- responses

    def error_response(self, request, error):
        """Return an SDM error in the ``sdm.error_body`` shape; 401s carry WWW-Authenticate unless switched off."""
        shape = self.switches["sdm.error_body"]
        if shape == "empty":
            response = web.Response(status=error.status)
        elif shape == "html":
            response = web.Response(status=error.status, text=tomcat_error_page(error.status, error.text), content_type="text/html")
        elif shape == "xml":
            body = xmlio.XML_DECLARATION + xmlio.tag("error", xmlio.text("message", error.text))
            response = web.Response(status=error.status, text=body, content_type="application/xml")
        elif shape == "json":
            response = web.Response(status=error.status, text=json.dumps({"message": error.text}), content_type="application/json")
        else:
            response = web.Response(status=error.status, text=error.text, content_type="text/plain")
        response.headers.update(error.headers)
        if error.status == 401 and self.switches["sdm.www_authenticate"] == "on":
            response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return response

    @staticmethod
    def answer(request, root, payload, status=200):
        """Return ``payload`` (a flat-or-nested dict) as JSON or as ``<root>`` XML, per the Accept header.

        An Accept header naming neither (``*/*``, absent) gets the format of a JSON request body, else XML.
        """
        if accepts_json(request, default="json" in request.content_type.lower()):
            return web.Response(status=status, text=json.dumps(payload), content_type="application/json")
        return web.Response(status=status, text=xmlio.XML_DECLARATION + xmlio.tag(root, _xml_fields(payload)),
                            content_type="application/xml")

    # ----------------------------------------------------------------- request bodies

    @staticmethod
    def parse_body(request, body, root):
        """Return the request body as a dict of its child fields; XML ``<root>`` or a bare JSON object; else 400."""
        content_type = request.content_type.lower()
        if "json" in content_type or ("xml" not in content_type and body.lstrip()[:1] in (b"{", b"[")):
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise ApiError(400, "Malformed JSON body") from None
            if isinstance(data, dict) and isinstance(data.get(root), dict):
                data = data[root]
            if not isinstance(data, dict):
                raise ApiError(400, "Expected a JSON object")
            return data
        try:
            element = xmlio.parse(body)
        except xmlio.BadXml as exc:
            raise ApiError(400, str(exc)) from None
        if element.tag != root:
            raise ApiError(400, "Expected <%s>, got <%s>" % (root, element.tag))
        return {child.tag: (child.text or "").strip() for child in element}

    # ----------------------------------------------------------------- session endpoints

    async def login(self, request):
        """POST /rest/{v}/admin/login: a new session and its JSESSIONID cookie."""
        body = await request.read()
        self.check_version(request)
        fields = self.parse_body(request, body, "session")
        name, password = fields.get("userName"), fields.get("password")
        if not isinstance(name, str) or not isinstance(password, str) or not name:
            raise ApiError(400, "userName and password are required")
        user = self.users.get(name)
        if user is None or not secrets.compare_digest(user["password"].encode(), password.encode()):
            raise ApiError(401, "Invalid user ID or password")
        group = user.get("group", "provisioners")
        session_id = secrets.token_hex(16).upper() + ".tomcat1"
        now = time.monotonic()
        session = Session(session_id, name, group, self.config.idle_timeout(group), now)
        self.sessions[session_id] = session
        self.hub.sessions_issued.append(session_id)
        deadline = session.deadline()
        if deadline is not None and (self.earliest_deadline is None or deadline < self.earliest_deadline):
            self.earliest_deadline = deadline
        timeout = int(session.timeout) if session.timeout == int(session.timeout) else session.timeout
        payload = {"idleTimeout": timeout, "serverInfo": dict(SERVER_INFO), "sessionId": session_id, "userGroup": group}
        response = self.answer(request, "session", payload)
        response.headers["Set-Cookie"] = "JSESSIONID=%s; Path=/rest; HttpOnly" % session_id
        return response

    async def logout(self, request):
        """POST /rest/{v}/admin/logout: end the caller's session (locks stay unless sdm.lock_lifetime=logout)."""
        self._end_session(self.session(request), "logout")
        return web.Response(status=204)

    async def server_info(self, request):
        """GET /rest/{v}/admin/serverInfo: a cheap authenticated probe."""
        self.session(request)
        return self.answer(request, "serverInfo", dict(SERVER_INFO, serverName=self.name))

    # ----------------------------------------------------------------- devices

    def device(self, request):
        """Return the device named by ``{id}`` or raise 404."""
        device = self.devices.get(request.match_info["id"])
        if device is None:
            raise ApiError(404, "Device %s not found" % request.match_info["id"])
        return device

    async def list_devices(self, request):
        """GET /rest/{v}/inventory/deviceMgmt/devices: every device, in the sdm.list_shape XML shape or JSON."""
        self.session(request)
        shape = "json" if accepts_json(request) else self.switches["sdm.list_shape"]
        body = self._list_cache.get(shape)
        if body is None:
            body = self._list_cache[shape] = self._device_list(shape)
        return web.Response(body=body, content_type="application/json" if shape == "json" else "application/xml")

    def _device_list(self, shape):
        rows = [{f: d.get(f) for f in DEVICE_FIELDS} for d in self.devices.values()]
        if shape == "json":
            return json.dumps({"devices": rows}).encode()
        if shape == "9.0.0":
            inner = xmlio.tag("devices", "".join(xmlio.tag("device", xmlio.fields(r)) for r in rows))
            return (xmlio.XML_DECLARATION + xmlio.tag("deviceList", inner)).encode()
        return (xmlio.XML_DECLARATION + xmlio.tag("devices", "".join(xmlio.tag("devices", xmlio.fields(r)) for r in rows))).encode()

    async def get_device(self, request):
        """GET /rest/{v}/inventory/deviceMgmt/devices/{id} (with non-Oracle lock fields if switched on)."""
        self.session(request)
        device = self.device(request)
        payload = {f: device.get(f) for f in DEVICE_FIELDS}
        if self.switches["sdm.expose_lock_fields"] == "on":
            lock = self.locks.get(device["id"])
            payload.update(locked="true" if lock else "false", lockedBy=lock.user if lock else "")
        return self.answer(request, "device", payload)

    def sessions_view(self):
        """Return ``[{user, id, idle_s}]`` of the live sessions (id = fingerprint)."""
        now = time.monotonic()
        return [{"user": s.user, "id": s.fp, "idle_s": round(now - s.last_seen, 3)} for s in self.sessions.values()]

    def routes(self):
        """Return the aiohttp routes of this SDM (route templates are what the stats count by)."""
        base = "/rest/{v}"
        return [
            web.post(base + "/admin/login", self.login),
            web.post(base + "/admin/logout", self.logout),
            web.get(base + "/admin/serverInfo", self.server_info),
            web.get(base + "/inventory/deviceMgmt/devices", self.list_devices),
            web.get(base + "/inventory/deviceMgmt/devices/{id}", self.get_device),
            web.post(base + "/inventory/deviceMgmt/devices/{id}/action", self.device_action),
            web.post(base + "/inventory/nfMgmt/nfs/{nfId}/groups/{gid}/action", self.group_action),
            web.post(base + "/configuration/devices/{id}/action", self.device_push),
        ] + self.config_routes(base)


def _xml_fields(payload):
    """Return a dict as XML children; nested dicts become nested elements."""
    return "".join(xmlio.tag(k, _xml_fields(v)) if isinstance(v, dict) else xmlio.text(k, v) for k, v in payload.items())
