"""The SDM's configuration elements: ACP element types, their metadata, and configElement bodies in both list shapes.

An element is a plain dict ``{"type": path, "attrs": {name: value}, "children": [element]}``; ``type`` is the
camelCase ACP path (``realmConfig``, ``realmConfig/networkInterfaceId``). XML comes in two list shapes
(``sdm.config_list_shape``): ``flat`` (8.2.5p1, 9.0.1+: repeated ``<attributes>`` / ``<childrenElements>``) and
``wrapped`` (up to 8.2.5 and 9.0.0: ``<attributes><attribute>`` / ``<childrenElements><childrenElement>``).
JSON is always the 8.2.5+ form with plain arrays; the 8.2.2 ``{"attributes": {"attribute": [...]}}`` is read too.
"""

import copy

from . import xmlio
from .rest import ApiError

INVALID = "The user input is invalid"
ENABLED = ("enabled", "disabled")


class Attribute:
    """One attribute's metadata: ACP name, ACLI name, value type, default, allowed values (enums)."""

    def __init__(self, name, cli_name, value_type="STRING", default="", values=()):
        self.name = name
        self.cli_name = cli_name
        self.value_type = value_type
        self.default = default
        self.values = ENABLED if value_type == "BOOLEAN" else tuple(values)

    def check(self, value):
        """Raise 400 when ``value`` is no value of this attribute (booleans and enums in any case, integers as digits)."""
        if self.value_type == "INTEGER" and not value.strip().isdigit():
            raise ApiError(400, "%s: %s must be an integer, not %r" % (INVALID, self.name, value))
        if self.values and value.lower() not in (v.lower() for v in self.values):
            raise ApiError(400, "%s: %s must be one of %s, not %r" % (INVALID, self.name, ", ".join(self.values), value))


class ElementType:
    """An ACP element type: its path, key attributes (none for a singleton), attributes and sub-element names."""

    def __init__(self, path, keys, attributes, subs=()):
        self.path = path
        self.keys = tuple(keys)
        self.attributes = {a.name: a for a in attributes}
        self.subs = tuple(subs)

    @property
    def singleton(self):
        """True for a type with one instance and no key attributes."""
        return not self.keys


def _types():
    string, boolean, integer = "STRING", "BOOLEAN", "INTEGER"
    return [
        ElementType("systemConfig", (), [
            Attribute("hostname", "hostname"), Attribute("description", "description"),
            Attribute("snmpEnabled", "snmp-enabled", boolean, "enabled")]),
        ElementType("realmConfig", ("id",), [
            Attribute("id", "identifier"), Attribute("description", "description"),
            Attribute("addrPrefix", "addr-prefix", string, "0.0.0.0"), Attribute("mmInRealm", "mm-in-realm", boolean, "disabled"),
            Attribute("maxBandwidth", "max-bandwidth", integer, "0"), Attribute("options", "options")],
            subs=("networkInterfaceId",)),
        ElementType("realmConfig/networkInterfaceId", ("name", "subPortId"), [
            Attribute("name", "name"), Attribute("subPortId", "sub-port-id", integer, "0"),
            Attribute("family", "family", "ENUM", "4", ("4", "6"))]),
        ElementType("sessionAgent", ("hostname",), [
            Attribute("hostname", "hostname"), Attribute("ipAddress", "ip-address"), Attribute("port", "port", integer, "5060"),
            Attribute("state", "state", boolean, "enabled"), Attribute("realmId", "realm-id"),
            Attribute("transportMethod", "transport-method", "ENUM", "UDP", ("UDP", "UDP+TCP", "DynamicTCP", "StaticTCP"))]),
        ElementType("sessionAgentGroup", ("name",), [
            Attribute("name", "group-name"), Attribute("description", "description"), Attribute("state", "state", boolean, "enabled"),
            Attribute("strategy", "strategy", "ENUM", "Hunt", ("Hunt", "RoundRobin", "LeastBusy", "PropDist"))],
            subs=("sipDest",)),
        ElementType("sessionAgentGroup/sipDest", ("name",), [Attribute("name", "name")]),
        ElementType("mediaPolicy", ("name",), [
            Attribute("name", "name"), Attribute("description", "description")]),
    ]


TYPES = {t.path: t for t in _types()}
TOP_LEVEL = tuple(path for path in TYPES if "/" not in path)


def element_type(path):
    """Return the ElementType of ``path`` or raise 400 (the SDM's answer to input it cannot use)."""
    found = TYPES.get(path or "")
    if found is None:
        raise ApiError(400, "%s: unknown elementTypePath %r" % (INVALID, path))
    return found


def key_of(element):
    """Return the key tuple of an element: its key attributes' values (``()`` for a singleton)."""
    return tuple(element["attrs"].get(k, "") for k in TYPES[element["type"]].keys)


def name_of(element):
    """Return the name the SDM lists a change under: the key values, or the type path of a singleton."""
    return ",".join(key_of(element)) or element["type"]


def check(element, full=True):
    """Raise 400 unless every attribute is known and valid; ``full`` also needs every key attribute and checks children."""
    etype = element_type(element["type"])
    for name, value in element["attrs"].items():
        attribute = etype.attributes.get(name)
        if attribute is None:
            raise ApiError(400, "%s: %s has no attribute %r" % (INVALID, etype.path, name))
        attribute.check(value)
    if full:
        missing = [k for k in etype.keys if not element["attrs"].get(k)]
        if missing:
            raise ApiError(400, "%s: %s needs its key attribute %s" % (INVALID, etype.path, ", ".join(missing)))
        for child in element["children"]:
            if child["type"] not in [etype.path + "/" + s for s in etype.subs]:
                raise ApiError(400, "%s: %s is no sub-element of %s" % (INVALID, child["type"], etype.path))
            check(child)


def with_defaults(path):
    """Return a new element of type ``path`` holding every attribute's default (the ``create`` template)."""
    etype = element_type(path)
    return {"type": path, "attrs": {a.name: a.default for a in etype.attributes.values()}, "children": []}


def complete(element):
    """Return a deep copy of ``element`` with defaults filled in for every attribute it leaves out (children too)."""
    result = with_defaults(element["type"])
    result["attrs"].update(element["attrs"])
    result["children"] = [complete(c) for c in element["children"]]
    return result


def clone(element):
    """Return an independent copy of an element."""
    return copy.deepcopy(element)


def seed_config(device):
    """Return the configuration a fresh emulated device holds: systemConfig, realms ``core`` and ``access``."""
    def realm(name, interface):
        child = {"type": "realmConfig/networkInterfaceId", "attrs": {"name": interface, "subPortId": "0"}, "children": []}
        return complete({"type": "realmConfig", "attrs": {"id": name}, "children": [child]})
    elements = [complete({"type": "systemConfig", "attrs": {"hostname": device["name"]}, "children": []}),
                realm("core", "M00"), realm("access", "M10")]
    return {(e["type"], key_of(e)): e for e in elements}


# ----------------------------------------------------------------- reading bodies


def parse_xml(node, shapes, strip_values=False):
    """Return the element a ``<configElement>`` (or child) node describes; ``shapes`` are the list shapes accepted.

    ``parentElement`` is kept under the ``parent`` key. A shape not accepted is a 400, as a server that cannot read
    the other shape leaves the pairs without names. Values keep their spaces (an XML string), or are stripped with
    ``strip_values``.
    """
    element = {"type": xmlio.child_text(node, "elementTypePath") or "", "attrs": {}, "children": []}
    for block in node.findall("attributes"):
        pairs = block.findall("attribute")
        if pairs:
            _accept("wrapped", shapes)
        elif block.find("name") is not None:
            _accept("flat", shapes)
            pairs = [block]
        for pair in pairs:
            name = xmlio.child_text(pair, "name")
            if not name:
                raise ApiError(400, "%s: an attribute without a name" % INVALID)
            element["attrs"][name] = (xmlio.child_text if strip_values else xmlio.raw_text)(pair, "value") or ""
    for block in node.findall("childrenElements"):
        items = block.findall("childrenElement")
        if items:
            _accept("wrapped", shapes)
        elif block.find("elementTypePath") is not None or block.find("attributes") is not None:
            _accept("flat", shapes)
            items = [block]
        element["children"].extend(parse_xml(item, shapes, strip_values) for item in items)
    parent = node.find("parentElement")
    if parent is not None:
        element["parent"] = parse_xml(parent, shapes, strip_values)
    return element


def _accept(shape, shapes):
    if shape not in shapes:
        raise ApiError(400, "%s: the %s list shape is not accepted here" % (INVALID, shape))


def parse_json(data, shapes):
    """Return the element a JSON object describes (plain arrays; the 8.2.2 ``attribute`` wrapper when ``wrapped`` is accepted)."""
    if not isinstance(data, dict):
        raise ApiError(400, "%s: a configElement is a JSON object" % INVALID)
    attributes = data.get("attributes") or []
    if isinstance(attributes, dict) and "attribute" in attributes:
        _accept("wrapped", shapes)
        attributes = attributes["attribute"]
    children = data.get("childrenElements") or []
    if isinstance(children, dict) and "childrenElement" in children:
        _accept("wrapped", shapes)
        children = children["childrenElement"]
    if not isinstance(attributes, list) or not isinstance(children, list):
        raise ApiError(400, "%s: attributes and childrenElements are arrays" % INVALID)
    element = {"type": str(data.get("elementTypePath") or ""), "attrs": {}, "children": []}
    for pair in attributes:
        if not isinstance(pair, dict) or not isinstance(pair.get("name"), str) or not pair["name"]:
            raise ApiError(400, "%s: every attribute is {name, value}" % INVALID)
        element["attrs"][pair["name"]] = "" if pair.get("value") is None else str(pair["value"])
    element["children"] = [parse_json(child, shapes) for child in children]
    if data.get("parentElement") is not None:
        element["parent"] = parse_json(data["parentElement"], shapes)
    return element


# ----------------------------------------------------------------- writing answers


def element_xml(element, shape, children=True):
    """Return the inner XML of a configElement in list shape ``shape`` (``flat`` or ``wrapped``), JAXB's field order."""
    pairs = [xmlio.text("name", n) + xmlio.text("value", v) for n, v in element["attrs"].items()]
    kids = [element_xml(c, shape) for c in element["children"]] if children else []
    if shape == "wrapped":
        attrs = xmlio.tag("attributes", "".join(xmlio.tag("attribute", p) for p in pairs)) if pairs else ""
        subs = xmlio.tag("childrenElements", "".join(xmlio.tag("childrenElement", k) for k in kids)) if kids else ""
    else:
        attrs = "".join(xmlio.tag("attributes", p) for p in pairs)
        subs = "".join(xmlio.tag("childrenElements", k) for k in kids)
    return attrs + subs + xmlio.text("elementTypePath", element["type"])


def element_json(element, children=True):
    """Return a configElement as JSON-ready data (plain arrays)."""
    data = {"elementTypePath": element["type"],
            "attributes": [{"name": n, "value": v} for n, v in element["attrs"].items()]}
    if children and element["children"]:
        data["childrenElements"] = [element_json(c) for c in element["children"]]
    return data


def metadata_xml(etype, shape):
    """Return the inner XML of ``<elementMetadata>`` for ``etype`` in ``sdm.metadata_shape`` ``shape``."""
    rows = []
    for attribute in etype.attributes.values():
        fields = (xmlio.text("cliName", attribute.cli_name) + xmlio.text("defaultValue", attribute.default)
                  + xmlio.text("key", "true" if attribute.name in etype.keys else "false") + xmlio.text("name", attribute.name)
                  + xmlio.text("required", "true" if attribute.name in etype.keys else "false")
                  + xmlio.text("valueType", attribute.value_type)
                  + "".join(xmlio.text("enumeratedValue", v) for v in attribute.values))
        rows.append(fields)
    if shape == "wrapped":
        body = xmlio.tag("attributeMetadatas", "".join(xmlio.tag("attributeMetadata", r) for r in rows))
    elif shape == "flat":
        body = "".join(xmlio.tag("attributeMetadatas", r) for r in rows)
    else:
        body = "".join(xmlio.tag("attributeMetadata", r) for r in rows)
    subs = "".join(xmlio.text("subElement", etype.path + "/" + s) for s in etype.subs)
    return body + xmlio.text("elementTypePath", etype.path) + subs


def metadata_json(etype):
    """Return the element metadata as JSON-ready data."""
    rows = [{"cliName": a.cli_name, "defaultValue": a.default, "key": "true" if a.name in etype.keys else "false",
             "name": a.name, "required": "true" if a.name in etype.keys else "false", "valueType": a.value_type,
             "enumeratedValue": list(a.values)} for a in etype.attributes.values()]
    return {"attributeMetadatas": rows, "elementTypePath": etype.path,
            "subElement": [etype.path + "/" + s for s in etype.subs]}
