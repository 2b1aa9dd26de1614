"""SDM provisioning: each device's configuration in the SDM, per-user staged changes, and the deviceConfigs reads.

A mixin of SdmInstance. Oracle: changes are staged per user ("all users are assigned their own configuration
modification staging area") and reach the device only with a push (emulator/sdm_push.py). Staged changes belong
to the user, not to the session, so a new login sees them. What Oracle leaves open is a switch (docs/emulator.md).
"""

import json
import time

from aiohttp import web

from . import sdm_elements as elements
from . import xmlio
from .rest import ApiError, accepts_json


class Change:
    """A staged change of one top-level element: ``created`` / ``modified`` / ``deleted`` and the element after it."""

    __slots__ = ("operation", "element", "timestamp")

    def __init__(self, operation, element):
        self.operation = operation
        self.element = element  # None for deleted
        self.timestamp = time.strftime("%Y-%m-%d %H:%M:%S")

    def public(self, key, type_path):
        """Return the change as configurationChanges lists it."""
        name = ",".join(key) or type_path
        return {"name": name, "operation": self.operation, "timestamp": self.timestamp, "elementTypePath": type_path}


class ConfigReads:
    """The device configurations and staging areas, and the reading ``configuration/deviceConfigs/{id}/...`` routes."""

    def reset_config(self):
        """Forget every configuration change: devices back to their seed, nothing staged, nothing loaded."""
        self.device_configs = {}  # device id -> {(type, key): element}, seeded on first use
        self.config_versions = {}  # device id -> [saved version, active version]
        self.staged = {}  # (user, device id) -> {(type, key): Change}
        self.loaded = set()  # (user, device id) that ran loadConfig

    def config_of(self, device_id):
        """Return the device's configuration as the SDM holds it (the last pushed state)."""
        config = self.device_configs.get(device_id)
        if config is None:
            config = self.device_configs[device_id] = elements.seed_config(self.devices[device_id])
        return config

    def versions_of(self, device_id):
        """Return ``[saved, active]`` configuration versions of the device (1 until a push)."""
        return self.config_versions.setdefault(device_id, [1, 1])

    def view(self, device_id, user, staged=True):
        """Return a copy of the device configuration with ``user``'s staged changes applied when ``staged``."""
        result = dict(self.config_of(device_id))
        for key, change in (self.staged.get((user, device_id), {}) if staged else {}).items():
            if change.element is None:
                result.pop(key, None)
            else:
                result[key] = change.element
        return result

    def read_view(self, device_id, user):
        """The configuration a read shows: with the caller's staged changes unless ``sdm.read_staged=device``."""
        return self.view(device_id, user, staged=self.switches["sdm.read_staged"] == "own")

    # ----------------------------------------------------------------- bodies and answers

    def reply(self, request, root, xml_inner, data, status=200):
        """Answer ``<root>xml_inner</root>`` or ``data`` as JSON, per the Accept header (as SdmInstance.answer)."""
        if accepts_json(request, default="json" in request.content_type.lower()):
            return web.Response(status=status, text=json.dumps(data), content_type="application/json")
        return web.Response(status=status, text=xmlio.XML_DECLARATION + xmlio.tag(root, xml_inner), content_type="application/xml")

    def element_answer(self, request, element, status=200, children=True):
        """Answer one ``configElement`` in the switched list shape."""
        shape = self.switches["sdm.config_list_shape"]
        return self.reply(request, "configElement", elements.element_xml(element, shape, children),
                          elements.element_json(element, children), status)

    def read_element(self, request, body):
        """Return the ``configElement`` of a request body, in the list shapes ``sdm.config_input`` accepts; else 400."""
        shapes = {"flat", "wrapped"} if self.switches["sdm.config_input"] == "both" else {self.switches["sdm.config_list_shape"]}
        content_type = request.content_type.lower()
        if "json" in content_type or ("xml" not in content_type and body.lstrip()[:1] == b"{"):
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise ApiError(400, "Malformed JSON body") from None
            if isinstance(data, dict) and isinstance(data.get("configElement"), dict):
                data = data["configElement"]
            return elements.parse_json(data, shapes)
        try:
            node = xmlio.parse(body)
        except xmlio.BadXml as exc:
            raise ApiError(400, str(exc)) from None
        if node.tag != "configElement":
            raise ApiError(400, "Expected <configElement>, got <%s>" % node.tag)
        return elements.parse_xml(node, shapes, self.switches["sdm.value_spaces"] == "strip")

    def type_request(self, request, body):
        """Return the ElementType an ``elementTypeRequest`` body names (400 for an unknown path)."""
        return elements.element_type(self.parse_body(request, body, "elementTypeRequest").get("elementTypePath"))

    # ----------------------------------------------------------------- finding elements

    def missing(self, element):
        """Return the ``sdm.config_missing`` error for an element that is not there."""
        return ApiError(int(self.switches["sdm.config_missing"]), "Config element %s %s not found" % (
            element["type"], elements.name_of(element)))

    def locate(self, config, element):
        """Return ``(top key, top element, child or None)`` of an element (a sub-element through its parentElement)."""
        etype = elements.element_type(element["type"])
        if "/" not in etype.path:
            elements.check(element, full=False)
            key = (etype.path, elements.key_of(element))
            if key not in config:
                raise self.missing(element)
            return key, config[key], None
        key, top, _child = self.locate(config, self.parent_of(element))
        for child in top["children"]:
            if child["type"] == etype.path and elements.key_of(child) == elements.key_of(element):
                return key, top, child
        raise self.missing(element)

    @staticmethod
    def parent_of(element):
        """Return the parentElement of a sub-element, or raise 400 when it is absent or of another type."""
        parent = element.get("parent")
        if parent is None or element["type"].rsplit("/", 1)[0] != parent["type"]:
            raise ApiError(400, "%s: %s needs a parentElement of its parent type" % (elements.INVALID, element["type"]))
        return parent

    # ----------------------------------------------------------------- reads

    async def element_types(self, request):
        """GET deviceConfigs/{id}/elementTypes: the top-level element types of the device."""
        self.session(request)
        self.device(request)
        shape = self.switches["sdm.config_list_shape"]
        inner = "".join(xmlio.text("elementTypes" if shape == "flat" else "elementType", t) for t in elements.TOP_LEVEL)
        return self.reply(request, "elementTypes", inner, {"elementTypes": list(elements.TOP_LEVEL)})

    async def element_metadata(self, request):
        """POST deviceConfigs/{id}/elementTypes/elementMetadata: one type's attribute metadata."""
        body = await request.read()
        self.session(request)
        self.device(request)
        etype = self.type_request(request, body)
        return self.reply(request, "elementMetadata", elements.metadata_xml(etype, self.switches["sdm.metadata_shape"]),
                          elements.metadata_json(etype))

    async def create_template(self, request):
        """POST deviceConfigs/{id}/configElements/create: a default-filled element, never stored."""
        body = await request.read()
        self.session(request)
        self.device(request)
        return self.element_answer(request, elements.with_defaults(self.type_request(request, body).path))

    async def list_elements(self, request):
        """GET deviceConfigs/{id}/configElements?elementTypePath=T[&limitation=N]: the instances of T."""
        session = self.session(request)
        device = self.device(request)
        etype = elements.element_type(request.query.get("elementTypePath"))
        view = self.read_view(device["id"], session.user)
        if "/" in etype.path:  # a sub-element type: its instances under every parent
            parent = etype.path.rsplit("/", 1)[0]
            found = [c for (t, _k), e in view.items() if t == parent for c in e["children"] if c["type"] == etype.path]
        else:
            found = [e for (t, _k), e in view.items() if t == etype.path]
        found, children = self.limit(found, request.query.get("limitation"))
        shape = self.switches["sdm.config_list_shape"]
        item = "configElements" if shape == "flat" else "configElement"  # 9.0.1 repeats the wrapper's name
        inner = "".join(xmlio.tag(item, elements.element_xml(e, shape, children)) for e in found)
        return self.reply(request, "configElements", inner, {"configElements": [elements.element_json(e, children) for e in found]})

    def limit(self, found, raw):
        """Apply ``limitation`` per ``sdm.limitation``; return ``(elements, include children)``."""
        mode = self.switches["sdm.limitation"]
        if raw is None or mode == "ignored":
            return found, True
        if not raw.strip().isdigit():
            raise ApiError(400, "%s: limitation must be a number, not %r" % (elements.INVALID, raw))
        if mode == "count":
            return found[:int(raw)], True
        return found, int(raw) > 0  # depth: 0 = the elements without their children

    async def retrieve(self, request):
        """POST deviceConfigs/{id}/configElements/retrieve: one element named by its type and key attributes."""
        body = await request.read()
        session = self.session(request)
        device = self.device(request)
        _key, top, child = self.locate(self.read_view(device["id"], session.user), self.read_element(request, body))
        return self.element_answer(request, child or top)

    async def list_changes(self, request):
        """GET deviceConfigs/{id}/configurationChanges: the caller's own staged changes on the device."""
        session = self.session(request)
        device = self.device(request)
        rows = [c.public(k[1], k[0]) for k, c in self.staged.get((session.user, device["id"]), {}).items()]
        flat = self.switches["sdm.config_list_shape"] == "flat"
        item = "changedConfigElements" if flat else "configurationChange"
        # JSON keeps the 9.0.1 name whatever the XML shape, as JSON lists are plain arrays since 8.2.5
        return self.reply(request, "configurationChanges", "".join(xmlio.tag(item, xmlio.fields(r)) for r in rows),
                          {"changedConfigElements": rows})


class ConfigStaging(ConfigReads):
    """The staging routes (add / update / delete / discard), ``loadConfig``, and the control API's provisioning views."""

    def stage(self, user, device_id, key, element):
        """Record ``element`` (None = deleted) as ``user``'s staged state of the top-level element ``key``."""
        area = self.staged.setdefault((user, device_id), {})
        in_device = key in self.config_of(device_id)
        if element is not None:
            area[key] = Change("modified" if in_device else "created", element)
        elif in_device:
            area[key] = Change("deleted", None)
        else:
            area.pop(key, None)  # a staged creation withdrawn: nothing left to push
        if not area:
            del self.staged[(user, device_id)]

    def audit_config(self, device_id, event, session, cause, **extra):
        """Write a provisioning audit event (resource ``config:ID``): stage, discard or push."""
        holder = {"kind": "user", "user": session.user, "id": session.fp}
        self.hub.audit.record("sdm", self.name, "config:" + device_id, event, holder, cause, **extra)

    async def staging_call(self, request, operation):
        """Read the body and run the checks every staging call shares; return ``(session, device id, element)``."""
        body = await request.read()
        session = self.session(request)
        device_id = self.device(request)["id"]
        self.refuse_foreign(device_id, session.user)
        if self.switches["sdm.load_required"] == "on" and (session.user, device_id) not in self.loaded:
            raise ApiError(400, "%s: load the configuration of device %s first" % (elements.INVALID, device_id))
        element = self.read_element(request, body)
        elements.check(element, full=operation == "add")
        return session, device_id, element

    async def add_element(self, request):
        """POST configElements/add: stage a new element (a sub-element through parentElement)."""
        session, device_id, element = await self.staging_call(request, "add")
        config = self.view(device_id, session.user)
        duplicate = ApiError(int(self.switches["sdm.config_duplicate"]), "Config element %s %s already exists" % (
            element["type"], elements.name_of(element)))
        if "/" in element["type"]:
            key, top, _child = self.locate(config, self.parent_of(element))
            if any(c["type"] == element["type"] and elements.key_of(c) == elements.key_of(element) for c in top["children"]):
                raise duplicate
            new, top = elements.complete(element), elements.clone(top)
            top["children"].append(new)
        else:
            key = (element["type"], elements.key_of(element))
            if key in config:
                raise duplicate
            new = top = elements.complete(element)
        self.stage(session.user, device_id, key, top)
        self.audit_config(device_id, "stage", session, "add", elementTypePath=element["type"], name=elements.name_of(element))
        return self.element_answer(request, new)

    async def update_element(self, request):
        """POST configElements/update: stage new attribute values (and children per ``sdm.update_children``)."""
        session, device_id, element = await self.staging_call(request, "update")
        key, top, child = self.locate(self.view(device_id, session.user), element)
        top = elements.clone(top)
        target = next(c for c in top["children"] if c == child) if child is not None else top
        target["attrs"].update(element["attrs"])
        self.update_children(target, element)
        elements.check(target)
        self.stage(session.user, device_id, key, top)
        self.audit_config(device_id, "stage", session, "update", elementTypePath=element["type"], name=elements.name_of(element))
        return self.element_answer(request, target)

    def update_children(self, target, element):
        """Apply the children of an update body to ``target`` per ``sdm.update_children``."""
        mode, sent = self.switches["sdm.update_children"], element["children"]
        if mode == "replace" or (mode == "replace_if_sent" and sent):
            target["children"] = [elements.complete(c) for c in sent]
            return
        for new in sent:
            elements.check(new, full=False)
            same = [c for c in target["children"] if c["type"] == new["type"] and elements.key_of(c) == elements.key_of(new)]
            if same:
                same[0]["attrs"].update(new["attrs"])
            else:
                target["children"].append(elements.complete(new))

    async def delete_element(self, request):
        """POST configElements/delete: stage the removal of an element and its children."""
        session, device_id, element = await self.staging_call(request, "delete")
        key, top, child = self.locate(self.view(device_id, session.user), element)
        if child is not None:
            top = elements.clone(top)
            top["children"] = [c for c in top["children"] if c != child]
            self.stage(session.user, device_id, key, top)
        else:
            self.stage(session.user, device_id, key, None)
        self.audit_config(device_id, "stage", session, "delete", elementTypePath=element["type"], name=elements.name_of(element))
        if self.switches["sdm.delete_answer"] == "204":
            return web.Response(status=204)
        return self.element_answer(request, child or top)

    async def discard_changes(self, request):
        """DELETE deviceConfigs/{id}/configurationChanges: drop the caller's staged changes on the device."""
        session = self.session(request)
        device_id = self.device(request)["id"]
        self.refuse_foreign(device_id, session.user)
        dropped = len(self.staged.pop((session.user, device_id), {}))
        self.audit_config(device_id, "discard", session, "discard", changes=dropped)
        return web.Response(status=int(self.switches["sdm.discard_status"]))

    async def load_config(self, request):
        """GET configuration/devices/{id}/loadConfig: start a provisioning session; the device with its config versions."""
        session = self.session(request)
        device = self.device(request)
        self.loaded.add((session.user, device["id"]))
        if self.switches["sdm.load_config"] == "discard" and self.staged.pop((session.user, device["id"]), None):
            self.audit_config(device["id"], "discard", session, "loadConfig")
        saved, _active = self.versions_of(device["id"])
        payload = {f: device.get(f) for f in self.device_fields}
        payload.update(configVersion=str(saved), loadedConfigVersion=str(saved))
        return self.answer(request, "device", payload)

    # ----------------------------------------------------------------- control API

    def config_state(self, device_id):
        """Return the device configuration as the control API shows it: versions and elements (JSON shape)."""
        saved, active = self.versions_of(device_id)
        return {"device": device_id, "version": saved, "active_version": active, "pushing": device_id in self.pushing,
                "elements": [elements.element_json(e) for e in self.config_of(device_id).values()]}

    def seed_device_config(self, device_id, raw_elements):
        """Replace the device configuration with ``raw_elements`` (REST JSON configElements); 400 (ApiError) if one is bad."""
        config = {}
        for raw in raw_elements:
            element = elements.parse_json(raw, {"flat"})
            elements.check(element)
            if "/" in element["type"]:
                raise ApiError(400, "%s: seed sub-elements inside their parent's childrenElements" % elements.INVALID)
            config[(element["type"], elements.key_of(element))] = elements.complete(element)
        self.device_configs[device_id] = config

    def changes_state(self, device_id):
        """Return ``{user: [change]}``: every user's staged changes on the device."""
        return {user: [c.public(k[1], k[0]) for k, c in area.items()]
                for (user, dev), area in sorted(self.staged.items()) if dev == device_id}

    def config_routes(self, base):
        """Return the provisioning routes under ``base`` (``/rest/{v}``)."""
        configs = base + "/configuration/deviceConfigs/{id}"
        return [
            web.get(configs + "/elementTypes", self.element_types),
            web.post(configs + "/elementTypes/elementMetadata", self.element_metadata),
            web.post(configs + "/configElements/create", self.create_template),
            web.get(configs + "/configElements", self.list_elements),
            web.post(configs + "/configElements/retrieve", self.retrieve),
            web.post(configs + "/configElements/add", self.add_element),
            web.post(configs + "/configElements/update", self.update_element),
            web.post(configs + "/configElements/delete", self.delete_element),
            web.get(configs + "/configurationChanges", self.list_changes),
            web.delete(configs + "/configurationChanges", self.discard_changes),
            web.get(base + "/configuration/devices/{id}/loadConfig", self.load_config),
        ]
