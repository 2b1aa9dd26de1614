"""The SBC configuration element store: a few element types with key attributes, as configElements serves them."""

from . import xmlio
from .rest import ApiError


ENABLED = ("enabled", "disabled")


class ElementType:
    """One configuration element type: its attributes (with defaults), key attributes, integer, enum and boolean attributes.

    ``enums`` maps an attribute to its values as the SBC spells them; ``booleans`` are enabled/disabled attributes.
    """

    def __init__(self, name, attributes, keys=(), integers=(), singleton=False, enums=None, booleans=()):
        self.name = name
        self.attributes = dict(attributes)
        self.keys = tuple(keys)
        self.integers = frozenset(integers)
        self.singleton = singleton
        self.enums = dict(enums or {})
        self.enums.update((attribute, ENABLED) for attribute in booleans)
        self.booleans = frozenset(booleans)

    def value_type(self, attribute):
        """The metadata's valueType of ``attribute``: integer, boolean, enum or string."""
        if attribute in self.integers:
            return "integer"
        if attribute in self.booleans:
            return "boolean"
        return "enum" if attribute in self.enums else "string"

    def canonical(self, attribute, value):
        """``value`` as an SBC that canonicalises keeps it: an enum in its listed spelling, an integer without padding."""
        if attribute in self.integers:
            return str(int(value))
        for allowed in self.enums.get(attribute, ()):
            if allowed.lower() == value.lower():
                return allowed
        return value


ELEMENT_TYPES = {t.name: t for t in (
    ElementType("realm-config", {
        "identifier": "", "description": "", "addr-prefix": "0.0.0.0", "network-interfaces": "",
        "mm-in-realm": "disabled", "max-bandwidth": "0", "access-control-trust-level": "none",
    }, keys=("identifier",), integers=("max-bandwidth",), booleans=("mm-in-realm",),
        enums={"access-control-trust-level": ("none", "low", "medium", "high")}),
    ElementType("sip-interface", {
        "realm-id": "", "description": "", "state": "enabled", "sip-ip-address": "", "sip-port": "5060",
        "transport-protocol": "UDP",
    }, keys=("realm-id",), integers=("sip-port",), booleans=("state",), enums={"transport-protocol": ("UDP", "TCP", "TLS", "SCTP")}),
    ElementType("local-policy", {
        "from-address": "", "to-address": "", "source-realm": "*", "description": "", "state": "enabled",
        "next-hop": "", "realm": "", "cost": "0",
    }, keys=("from-address", "to-address"), integers=("cost",), booleans=("state",)),
    ElementType("session-agent", {
        "hostname": "", "ip-address": "", "port": "5060", "state": "enabled", "realm-id": "", "description": "",
    }, keys=("hostname",), integers=("port",), booleans=("state",)),
    ElementType("system-config", {
        "hostname": "", "description": "", "location": "", "default-gateway": "0.0.0.0", "snmp-enabled": "enabled",
    }, singleton=True, booleans=("snmp-enabled",)),
)}


def seed_elements(instance_name):
    """Return the elements a fresh SBC starts with: its system-config, two realms, one SIP interface."""
    return [
        ("system-config", {"hostname": "%s.emulator.invalid" % instance_name, "description": "emulated SBC"}),
        ("realm-config", {"identifier": "core", "addr-prefix": "192.0.2.0/24", "network-interfaces": "M00:0"}),
        ("realm-config", {"identifier": "access", "addr-prefix": "198.51.100.0/24", "network-interfaces": "M10:0"}),
        ("sip-interface", {"realm-id": "core", "sip-ip-address": "192.0.2.10"}),
    ]


class ElementStore:
    """Elements per type, in insertion order; every method either changes nothing or succeeds."""

    def __init__(self, seed):
        self.elements = {name: [] for name in ELEMENT_TYPES}
        #: switch ``sbc.values``: keep values as given (echo) or in the SBC's own spelling (canonical); set per request
        self.canonical = False
        for type_name, values in seed:
            self.add(type_name, values)

    @staticmethod
    def element_type(name, missing_status=400):
        """Return the ElementType called ``name``; 400 when absent, ``missing_status`` when unknown."""
        if not name:
            raise ApiError(400, "Missing required parameter elementType")
        etype = ELEMENT_TYPES.get(name)
        if etype is None:
            raise ApiError(missing_status, "Unknown elementType %s" % name)
        return etype

    def find(self, etype, criteria):
        """Return the elements of ``etype`` whose attributes equal every ``criteria`` item."""
        return [e for e in self.elements[etype.name] if all(e.get(k) == v for k, v in criteria.items())]

    def add(self, type_name, values):
        """Add a new element (values checked, defaults filled); 409 on a duplicate key or second singleton."""
        etype = self.element_type(type_name)
        element = self._validated(etype, values, canonical=self.canonical)
        if etype.singleton and self.elements[etype.name]:
            raise ApiError(409, "Element %s already exists" % etype.name)
        if self.find(etype, self._key_of(etype, element)):
            raise ApiError(409, "Element %s with the same key already exists" % etype.name)
        self.elements[etype.name].append(element)
        return element

    def update(self, type_name, values):
        """Update the element the key attributes in ``values`` name; 404 when there is none."""
        etype = self.element_type(type_name)
        changed = self._validated(etype, values, fill_defaults=False, canonical=self.canonical)
        matches = self.find(etype, self._key_of(etype, changed))
        if not matches:
            raise ApiError(404, "Element %s not found" % etype.name)
        matches[0].update(changed)
        return matches[0]

    def delete(self, type_name, criteria):
        """Delete the one element ``criteria`` (its key attributes) names; 400 incomplete, 404 absent."""
        etype = self.element_type(type_name)
        unknown = set(criteria) - set(etype.attributes)
        if unknown:
            raise ApiError(400, "Unknown attribute %s for %s" % (sorted(unknown)[0], etype.name))
        missing = [k for k in etype.keys if k not in criteria]
        if missing:
            raise ApiError(400, "Missing key attribute %s" % missing[0])
        matches = self.find(etype, criteria)
        if not matches:
            raise ApiError(404, "Element %s not found" % etype.name)
        self.elements[etype.name].remove(matches[0])

    @staticmethod
    def _key_of(etype, element):
        missing = [k for k in etype.keys if not element.get(k)]
        if missing:
            raise ApiError(400, "Missing key attribute %s" % missing[0])
        return {k: element[k] for k in etype.keys}

    @staticmethod
    def _validated(etype, values, fill_defaults=True, canonical=False):
        for name, value in values.items():
            if name not in etype.attributes:
                raise ApiError(400, "Invalid attribute %s for %s" % (name, etype.name))
            if name in etype.integers and not value.lstrip("-").isdigit():
                raise ApiError(400, "Invalid value %s for attribute %s" % (value, name))
            allowed = etype.enums.get(name)
            if allowed and value.lower() not in [v.lower() for v in allowed]:
                raise ApiError(400, "Invalid value %s for attribute %s; valid values: %s" % (value, name, ", ".join(allowed)))
        if canonical:
            values = {name: etype.canonical(name, value) for name, value in values.items()}
        if not fill_defaults:
            return dict(values)
        element = dict(etype.attributes)
        element.update(values)
        return element


def parse_element(body, strip_values=False):
    """Parse a ``<configElement>`` request body into ``(elementType, {attribute: value})``; 400 if malformed. Values are
    kept as sent (an XML string keeps its spaces), or stripped with ``strip_values``."""
    try:
        root = xmlio.parse(body)
    except xmlio.BadXml as exc:
        raise ApiError(400, str(exc)) from None
    if root.tag != "configElement":
        raise ApiError(400, "Expected a configElement, got %s" % root.tag)
    type_name = xmlio.child_text(root, "elementType")
    values = {}
    for attribute in root.findall("attribute"):
        name = xmlio.child_text(attribute, "name")
        value = (xmlio.child_text if strip_values else xmlio.raw_text)(attribute, "value")
        if not name or value is None:
            raise ApiError(400, "Every attribute needs a name and a value")
        values[name] = value
    return type_name, values


def element_xml(type_name, element):
    """Return one element as ``<configElement>`` XML."""
    attributes = "".join(
        xmlio.tag("attribute", xmlio.text("name", name) + xmlio.text("value", value)) for name, value in element.items()
    )
    return xmlio.tag("configElement", xmlio.text("elementType", type_name) + attributes)


def metadata_xml(etype, shape="attributeMetadata"):
    """Return what ``elementTypes/metadata`` says about a type, in the shape switch ``sbc.metadata_shape`` names.

    ``attributeMetadata``: Oracle's documented answer, ``<elementType>``, ``<singleInstance>`` and one
    ``<attributeMetadata>`` per attribute (name, help, required, key, valueType, defaultValue, an
    ``<enumeratedValues>`` per allowed value) directly in ``<data>``. ``attribute``: the shape this emulator
    invented before, ``<elementTypeMetadata>`` with ``<singleton>`` and ``<attribute>`` rows (name, type, key, default).
    ``none``: the type's name and nothing about its attributes (a shape no client can read keys from).
    """
    if shape == "none":
        return xmlio.text("elementType", etype.name)
    if shape == "attribute":
        rows = "".join(
            xmlio.tag("attribute", xmlio.text("name", name) + xmlio.text("type", etype.value_type(name))
                      + xmlio.text("key", "true" if name in etype.keys else "false") + xmlio.text("default", default))
            for name, default in etype.attributes.items()
        )
        return xmlio.tag("elementTypeMetadata", xmlio.text("name", etype.name) + xmlio.text("singleton", str(etype.singleton).lower()) + rows)
    rows = "".join(
        xmlio.tag("attributeMetadata", xmlio.text("name", name) + xmlio.text("help", "%s of %s" % (name, etype.name))
                  + xmlio.text("required", "true" if name in etype.keys else "false")
                  + xmlio.text("key", "true" if name in etype.keys else "false") + xmlio.text("valueType", etype.value_type(name))
                  + xmlio.text("defaultValue", default)
                  + "".join(xmlio.text("enumeratedValues", value) for value in etype.enums.get(name, ())))
        for name, default in etype.attributes.items()
    )
    return xmlio.text("elementType", etype.name) + xmlio.text("singleInstance", str(etype.singleton).lower()) + rows
