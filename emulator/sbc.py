"""One emulated SBC: tokens, the configuration lock, config elements and async management jobs.

Behaviour follows docs/oracle-api.md ("Session Border Controller") with the switches of docs/emulator.md. Handlers are
plain methods; each one reads its request body first and then checks and changes state without
awaiting, which keeps every state change atomic on the single event loop.
"""

import base64
import binascii
import heapq
import itertools
import secrets
import time
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from . import switches as switch_table
from . import xmlio
from .rest import ApiError
from .sbc_elements import ElementStore, element_xml, metadata_xml, parse_element, seed_elements, ELEMENT_TYPES
from .state import Stats, fingerprint

NOT_AUTHORIZED = "Client not authorized"
LOCKED_BY_OTHER = "Resource locked by another user"
NO_LOCK = "User does not have the lock"
LOCK_FOREIGN_TEXT = {"default": LOCKED_BY_OTHER, "alt": "another client/user already owns the lock"}
# Servers that word the unlock refusals otherwise: one text for both cases, in English or in German.
LOCK_NOT_AVAILABLE = {"other": "Lock not available", "localized": "Sperre nicht verfügbar"}
UNLOCK_FREE_TEXT = dict(LOCK_NOT_AVAILABLE, documented=NO_LOCK, generic=LOCKED_BY_OTHER)
UNLOCK_FOREIGN_TEXT = dict(LOCK_NOT_AVAILABLE, documented=LOCKED_BY_OTHER, generic=NO_LOCK)
FORBIDDEN = "User does not have administrator privileges"


class Token:
    """A live SBC token: its secret value, owner, and monotonic expiry time."""

    __slots__ = ("value", "user", "admin", "expires_at", "fp")

    def __init__(self, value, user, admin, expires_at):
        self.value = value
        self.user = user
        self.admin = admin
        self.expires_at = expires_at
        self.fp = fingerprint(value)


class Holder:
    """Who holds the configuration lock: a REST token, or an ACLI / GUI / SDM user."""

    __slots__ = ("kind", "user", "token", "fp")

    def __init__(self, kind, user, token=None):
        self.kind = kind
        self.user = user
        self.token = token  # the token's value for kind "rest", else None
        self.fp = fingerprint(token) if token else None

    def public(self):
        """Return the holder as the audit log and control API show it (never the token itself)."""
        return {"kind": self.kind, "user": self.user, "id": self.fp}


#: The host name links name under ``sbc.link_host=other``: how an SBC behind NAT or a proxy may know itself.
OTHER_LINK_HOST = "sbc-mgmt.emulator.invalid"
#: Query parameters of a configElements GET that select the page or the configuration, never attributes.
PAGING_PARAMS = ("offset", "maxElements", "running")


class Job:
    """An async management request (save, verify, ...): in progress until ``done_at``, then its result."""

    def __init__(self, job_id, operation, done_at, result):
        self.id = job_id
        self.operation = operation
        self.done_at = done_at
        # sbc.async_result=verify_fail: only a verify fails, so a commit fails at its second step
        self.result = ("fail" if operation == "verify" else "success") if result == "verify_fail" else result

    def status(self, now):
        """Return ``inProgress`` while running, then ``success`` or ``fail``."""
        return "inProgress" if now < self.done_at else self.result


class SbcInstance:
    """The state and the /rest handlers of one SBC listener (``sbc1``, ``sbc2``, ...)."""

    product = "sbc"
    content_type = "application/xml"

    def __init__(self, name, config, hub):
        self.name = name
        self.hub = hub
        self.users = config.sbc_users
        self.versions = config.sbc_versions
        self.ttl = config.token_ttl
        self.startup_switches = switch_table.startup("sbc", config.switches)
        self.issued = set()  # every token value ever issued here: tells "expired" from "never seen"
        self.stats = Stats()
        self._order = itertools.count()
        self.reset()

    def reset(self):
        """Return to the startup state: no tokens, no lock, no jobs, seed elements, startup switches."""
        self.switches = dict(self.startup_switches)
        self.tokens = {}
        self.expiry_heap = []  # (expires_at, order, token value); stale entries are skipped
        self.lock = None
        self.jobs = {}
        self.last_job = None
        self.store = ElementStore(seed_elements(self.name))

    # ----------------------------------------------------------------- time and holders

    def tick(self, now):
        """Expire every token whose time has come; a lock it held is released (cause ``token-expired``)."""
        heap = self.expiry_heap
        while heap and heap[0][0] <= now:
            value = heapq.heappop(heap)[2]
            token = self.tokens.get(value)
            if token is not None and token.expires_at <= now:
                self._drop_token(token, "token-expired")

    def _drop_token(self, token, cause):
        del self.tokens[token.value]
        if self.lock is not None and self.lock.token == token.value:
            self._audit("expire", self.lock, cause)
            self.lock = None

    def expire_tokens(self, user=None):
        """Expire the live tokens (of ``user`` only, if given) now; return how many."""
        doomed = [t for t in self.tokens.values() if user is None or t.user == user]
        for token in doomed:
            self._drop_token(token, "token-expired")
        return len(doomed)

    def _audit(self, event, holder, cause, **extra):
        self.hub.audit.record("sbc", self.name, "configuration", event, holder.public(), cause, **extra)

    def take_lock(self, kind, user, cause="control"):
        """Take the lock as an ``acli``, ``gui`` or ``sdm`` holder (the control API, or an SDM push with cause ``sdm-push``).

        Returns ``"taken"``, ``"held"`` (someone holds it already) or ``"not-shared"`` (with
        ``sbc.acli_shares_lock=off`` such holders work beside the REST lock and take nothing).
        """
        if self.switches["sbc.acli_shares_lock"] == "off":
            return "not-shared"
        if self.lock is not None:
            return "held"
        self.lock = Holder(kind, user)
        self._audit("grant", self.lock, cause)
        return "taken"

    def force_release(self, cause="forced"):
        """Release whatever holds the lock (control API: cause ``forced``; an SDM push: ``sdm-push``). Returns the old holder or None."""
        holder, self.lock = self.lock, None
        if holder is not None:
            self._audit("release", holder, cause)
        return holder

    def lock_state(self):
        """Return ``{held, holder}`` for the control API."""
        return {"held": self.lock is not None, "holder": self.lock.public() if self.lock else None}

    # ----------------------------------------------------------------- responses

    def envelope(self, status=200, data="", messages="", links=""):
        """Return Oracle's ``<response><data/><messages/><links/></response>`` answer."""
        body = "%s<response><data>%s</data><messages>%s</messages><links>%s</links></response>" % (
            xmlio.XML_DECLARATION, data, messages, links)
        return web.Response(status=status, body=body.encode("utf-8"), content_type="application/xml", charset="UTF-8")

    def error_response(self, request, error):
        """Return an error envelope; where its text sits follows ``sbc.message_shape``."""
        shape = self.switches["sbc.message_shape"]
        if shape == "errorMessage":
            messages = xmlio.tag("message", xmlio.text("errorMessage", error.text))
        elif shape == "reasonPhrase":
            messages = xmlio.tag("error", xmlio.text("reasonPhrase", error.text))
        else:
            messages = xmlio.text("message", error.text)
        links = "".join(xmlio.text("link", link) for link in error.links)
        response = self.envelope(error.status, messages=messages, links=links)
        response.headers.update(error.headers)
        return response

    @staticmethod
    def no_content():
        """Return a 204 without a body."""
        return web.Response(status=204)

    # ----------------------------------------------------------------- request checks

    def check_transport_and_version(self, request):
        """Rules 1 and 2: plain HTTP gets 426; an unknown version segment 404 with the valid URLs."""
        if not request.secure:
            raise ApiError(426, "Client must connect with HTTPS")
        version = request.match_info.get("v")
        if request.match_info.http_exception is not None:
            # a path no route knows: its version segment is the one after /rest/ (but /rest/api/... has none)
            parts = request.path.split("/", 3)
            version = parts[2] if len(parts) > 3 and parts[1] == "rest" and parts[2] != "api" else None
        if version is not None and version not in self.versions:
            prefix = "/rest/%s/" % version
            tail = request.path[len(prefix):] if request.path.startswith(prefix) else ""
            links = ["https://%s/rest/%s/%s" % (request.host, v, tail) for v in self.versions]
            raise ApiError(404, "Unsupported versionId in URI", links=links)

    def bearer(self, request):
        """Rules 1-3: return the caller's live Token or raise 426 / 404 / 401."""
        self.check_transport_and_version(request)
        header = request.headers.get("Authorization", "")
        scheme, _separator, value = header.partition(" ")
        token = self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(401, NOT_AUTHORIZED)
        return token

    def admin_bearer(self, request):
        """Return the caller's Token if it belongs to an administrator, else raise (403 for non-admins)."""
        token = self.bearer(request)
        if not token.admin:
            raise ApiError(403, FORBIDDEN)
        return token

    def lock_holder(self, request):
        """The lock check of every change: return the caller's Token if it holds the lock, else 423."""
        token = self.admin_bearer(request)
        if self.lock is None or self.lock.token != token.value:
            raise self.not_holder()
        return token

    def not_holder(self):
        """The 423 for a caller whose token does not hold the lock: free or held by another, worded per the switches."""
        if self.lock is None:
            return ApiError(423, UNLOCK_FREE_TEXT[self.switches["sbc.unlock_free_text"]])
        return ApiError(423, UNLOCK_FOREIGN_TEXT[self.switches["sbc.unlock_foreign_text"]])

    def basic_user(self, request):
        """Return the user named by a valid ``Authorization: Basic`` header, else raise 401."""
        scheme, _separator, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            raise ApiError(401, NOT_AUTHORIZED)
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiError(401, NOT_AUTHORIZED) from None
        record = self.users.get(user)
        if not sep or record is None or not secrets.compare_digest(record["password"].encode(), password.encode()):
            raise ApiError(401, NOT_AUTHORIZED)
        return user

    # ----------------------------------------------------------------- tokens

    def _issue(self, user):
        limit = self.switches["sbc.max_tokens"]
        if limit and len(self.tokens) >= limit:
            raise ApiError(401, "Too many sessions")
        value = secrets.token_hex(32)
        token = Token(value, user, bool(self.users[user].get("admin")), time.monotonic() + self.ttl)
        self.tokens[value] = token
        self.issued.add(value)
        self.hub.tokens_issued.append(value)
        heapq.heappush(self.expiry_heap, (token.expires_at, next(self._order), value))
        return token

    def _token_in_form(self, body, user):
        """Return the caller's live token carried by a re-authentication form body, None if none counts.

        ``sbc.refresh_field`` says which fields count; a counted field holding an expired or another
        user's token is a 401.
        """
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "Malformed form body") from None
        field = self.switches["sbc.refresh_field"]
        if field == "any":
            candidates = [v.strip() for _name, v in pairs]
            # with "any", a value that was never a token is just some other field
            stale = [v for v in candidates if v in self.issued]
        else:
            candidates = stale = [v.strip() for k, v in pairs if k == field]
        for value in candidates:
            token = self.tokens.get(value)
            if token is not None and token.user == user:
                return token
        if stale:
            raise ApiError(401, NOT_AUTHORIZED)
        return None

    def _refresh(self, current):
        """Re-authenticate with a live token per ``sbc.refresh_mode``.

        ``move`` and ``revoke`` move a lock the old token holds to the new one (audit ``move``), ``extend``
        returns the same token, ``stay`` a new one while the lock stays with the old token until it expires.
        """
        mode = self.switches["sbc.refresh_mode"]
        if mode == "extend":
            current.expires_at = time.monotonic() + self.ttl
            heapq.heappush(self.expiry_heap, (current.expires_at, next(self._order), current.value))
            return current
        if mode == "stay":
            return self._issue(current.user)
        if mode == "revoke":
            # the old token goes away, so it does not count against sbc.max_tokens
            del self.tokens[current.value]
            try:
                new = self._issue(current.user)
            except ApiError:
                self.tokens[current.value] = current
                raise
        else:
            new = self._issue(current.user)
        if self.lock is not None and self.lock.token == current.value:
            old_id = self.lock.fp
            self.lock = Holder("rest", new.user, new.value)
            self._audit("move", self.lock, "refresh", previous_id=old_id)
        return new

    async def auth_token(self, request):
        """POST /rest/{v}/auth/token: a new token, or a re-authentication carrying a live one."""
        body = await request.read()
        self.check_transport_and_version(request)
        user = self.basic_user(request)
        current = self._token_in_form(body, user) if body.strip() else None
        token = self._refresh(current) if current is not None else self._issue(user)
        return self.envelope(data=xmlio.text("accessToken", token.value))

    # ----------------------------------------------------------------- lock

    async def lock_config(self, request):
        """POST /rest/{v}/configuration/lock."""
        token = self.admin_bearer(request)
        if self.lock is None:
            self.lock = Holder("rest", token.user, token.value)
            self._audit("grant", self.lock, "lock")
            return self.no_content()
        if self.lock.token == token.value:
            if self.switches["sbc.relock_same_token"] == "204":
                return self.no_content()
            raise ApiError(423, LOCKED_BY_OTHER)
        raise ApiError(423, LOCK_FOREIGN_TEXT[self.switches["sbc.lock_foreign_text"]])

    async def unlock_config(self, request):
        """POST /rest/{v}/configuration/unlock."""
        token = self.admin_bearer(request)
        if self.lock is None or self.lock.token != token.value:
            raise self.not_holder()
        holder, self.lock = self.lock, None
        self._audit("release", holder, "unlock")
        return self.no_content()

    # ----------------------------------------------------------------- discovery

    async def supported_versions(self, request):
        """GET /rest/api/supportedversions (Bearer unless ``sbc.supportedversions_anonymous``)."""
        if self.switches["sbc.supportedversions_anonymous"] == "true":
            self.check_transport_and_version(request)
        else:
            self.bearer(request)
        latest = self.versions[-1]
        others = "".join(xmlio.text("version", v) for v in self.versions[:-1])
        data = xmlio.tag("supportedVersions", xmlio.text("latestVersion", latest) + xmlio.tag("otherVersions", others))
        return self.envelope(data=data)

    async def element_types(self, request):
        """GET /rest/{v}/configuration/elementTypes."""
        self.bearer(request)
        names = "".join(xmlio.text("elementType", name) for name in ELEMENT_TYPES)
        return self.envelope(data=xmlio.tag("elementTypes", names))

    async def element_metadata(self, request):
        """GET /rest/{v}/configuration/elementTypes/metadata?elementType=T, in the shape of ``sbc.metadata_shape``."""
        self.bearer(request)
        etype = self.store.element_type(request.query.get("elementType"), missing_status=404)
        return self.envelope(data=metadata_xml(etype, self.switches["sbc.metadata_shape"]))

    async def element_template(self, request):
        """GET /rest/{v}/configuration/elementTypes/template?elementType=T."""
        self.bearer(request)
        etype = self.store.element_type(request.query.get("elementType"), missing_status=404)
        return self.envelope(data=element_xml(etype.name, etype.attributes))

    # ----------------------------------------------------------------- config elements

    def link(self, request, path_and_query):
        """A link to ``path_and_query`` (``/rest/...``) on this SBC, with the host ``sbc.link_host`` names."""
        how = self.switches["sbc.link_host"]
        if how == "relative":
            return path_and_query
        host = OTHER_LINK_HOST if how == "other" else request.host
        return "https://%s%s" % (host, path_and_query)

    async def get_elements(self, request):
        """GET /rest/{v}/configuration/configElements?elementType=T[&attribute=value...][&offset=N&maxElements=M].

        At most ``sbc.page_size`` elements per answer (0: all), with a link to the next page while more remain.
        A read naming every key attribute (or a singleton's bare read) that finds nothing answers per
        ``sbc.keyed_missing``: 200 with no element, or 404.
        """
        self.bearer(request)
        query = dict(request.query)
        etype = self.store.element_type(query.pop("elementType", None), missing_status=404)
        paging = {name: query.pop(name) for name in PAGING_PARAMS if name in query}
        unknown = set(query) - set(etype.attributes)
        if unknown:
            raise ApiError(400, "Unknown attribute %s for %s" % (sorted(unknown)[0], etype.name))
        try:
            offset = int(paging.get("offset", 0))
            limit = int(paging["maxElements"]) if "maxElements" in paging else None
        except ValueError:
            raise ApiError(400, "offset and maxElements must be integers") from None
        if offset < 0 or (limit is not None and limit < 0):
            raise ApiError(400, "offset and maxElements must not be negative")
        found = self.store.find(etype, query)
        keyed = set(etype.keys) <= set(query) if etype.keys else etype.singleton and not query
        if not found and keyed and self.switches["sbc.keyed_missing"] == "404":
            raise ApiError(404, "Element %s not found" % etype.name)
        size = self.switches["sbc.page_size"]
        if size and (limit is None or limit > size):
            limit = size
        page = found[offset:] if limit is None else found[offset:offset + limit]
        links = ""
        if limit is not None and offset + limit < len(found):
            rest = [("elementType", etype.name)] + sorted(query.items()) + [("offset", str(offset + limit)), ("maxElements", str(limit))]
            links = xmlio.text("link", self.link(request, "%s?%s" % (request.path, urlencode(rest))))
        return self.envelope(data="".join(element_xml(etype.name, e) for e in page), links=links)

    def changed_answer(self, status, type_name, element):
        """The answer to a POST or PUT that changed ``element``: the element whole, or (``sbc.change_answer=empty``) nothing."""
        if self.switches["sbc.change_answer"] == "empty":
            return self.envelope(status)
        return self.envelope(status, data=element_xml(type_name, element))

    async def post_element(self, request):
        """POST /rest/{v}/configuration/configElements: add one element (lock required)."""
        body = await request.read()
        self.lock_holder(request)
        type_name, values = parse_element(body, self.switches["sbc.value_spaces"] == "strip")
        self.store.canonical = self.switches["sbc.values"] == "canonical"
        if self.switches["sbc.singleton_post"] == "type_only" and self.store.element_type(type_name).singleton:
            # Oracle: a singleton is created by a POST of its type alone (defaults), then set by a PUT
            values = {}
        element = self.store.add(type_name, values)
        return self.changed_answer(int(self.switches["sbc.post_status"]), type_name, element)

    async def put_element(self, request):
        """PUT /rest/{v}/configuration/configElements: update one element, answer it whole (lock required)."""
        body = await request.read()
        self.lock_holder(request)
        type_name, values = parse_element(body, self.switches["sbc.value_spaces"] == "strip")
        self.store.canonical = self.switches["sbc.values"] == "canonical"
        element = self.store.update(type_name, values)
        return self.changed_answer(200, type_name, element)

    async def delete_element(self, request):
        """DELETE /rest/{v}/configuration/configElements?elementType=T&key=value (lock required)."""
        self.lock_holder(request)
        query = dict(request.query)
        self.store.delete(query.pop("elementType", None), query)
        return self.no_content()

    # ----------------------------------------------------------------- async management

    async def management(self, request):
        """PUT (save/verify/restore) or POST (activate/backup) /rest/{v}/configuration/management."""
        self.lock_holder(request)
        allowed = ("save", "verify", "restore") if request.method == "PUT" else ("activate", "backup")
        action = request.query.get("action")
        if action not in allowed:
            raise ApiError(400, "Invalid action %s; expected one of %s" % (action, ", ".join(allowed)))
        delay = self.switches["sbc.async_delay"]
        job = Job(len(self.jobs) + 1, action, time.monotonic() + delay, self.switches["sbc.async_result"])
        self.jobs[job.id] = job
        self.last_job = job
        path = "/rest/%s/admin/asyncstatus" % request.match_info["v"]
        if self.switches["sbc.async_link"] == "per_job":
            path += "?job=%d" % job.id
        return self.envelope(202, links=xmlio.text("link", self.link(request, path)))

    async def async_status(self, request):
        """GET /rest/{v}/admin/asyncstatus[?job=N]: the most recent (or the named) async request."""
        self.bearer(request)
        job = self.last_job
        if "job" in request.query:
            job = self.jobs.get(int(request.query["job"])) if request.query["job"].isdigit() else None
            if job is None:
                raise ApiError(404, "Unknown job")
        if job is None:
            return self.envelope()
        status = job.status(time.monotonic())
        data = xmlio.tag("operationState", xmlio.text("operation", job.operation) + xmlio.text("status", status))
        where = self.switches["sbc.async_error"]
        if status == "fail" and where == "errorMessage":
            data += xmlio.text("errorMessage", "%s failed (emulated failure)" % job.operation)
        elif status == "fail" and where == "additionalInfo":
            # the request-specific structure Oracle documents; its inner names are the request's own
            data += xmlio.tag("additionalInfo", xmlio.tag("%sResult" % job.operation, xmlio.text(
                "error", "%s failed: realm-config core: network-interfaces M00:0 does not exist (emulated failure)" % job.operation)))
        return self.envelope(data=data)

    # ----------------------------------------------------------------- wiring

    def routes(self):
        """Return the aiohttp routes of this SBC (route templates are what the stats count by)."""
        base = "/rest/{v}"
        return [
            web.get("/rest/api/supportedversions", self.supported_versions),
            web.post(base + "/auth/token", self.auth_token),
            web.post(base + "/configuration/lock", self.lock_config),
            web.post(base + "/configuration/unlock", self.unlock_config),
            web.get(base + "/configuration/elementTypes", self.element_types),
            web.get(base + "/configuration/elementTypes/metadata", self.element_metadata),
            web.get(base + "/configuration/elementTypes/template", self.element_template),
            web.get(base + "/configuration/configElements", self.get_elements),
            web.post(base + "/configuration/configElements", self.post_element),
            web.put(base + "/configuration/configElements", self.put_element),
            web.delete(base + "/configuration/configElements", self.delete_element),
            web.put(base + "/configuration/management", self.management),
            web.post(base + "/configuration/management", self.management),
            web.get(base + "/admin/asyncstatus", self.async_status),
        ]

    def precheck(self, request):
        """The global rules before anything else: 426 on plain HTTP; on paths no route knows also 404 version and 401.

        Known routes check version and token in their handlers (auth/token and supportedversions differ).
        """
        if not request.secure:
            raise ApiError(426, "Client must connect with HTTPS")
        if request.match_info.http_exception is not None:
            self.bearer(request)
