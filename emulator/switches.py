"""The behaviour switches of docs/emulator.md: their allowed values, defaults and parsing.

Values are kept in one canonical form per switch: the table's word for a choice (``"204"``,
``"move"``, ``"on"``), a float or an int for the numeric ones. ``GET /switches`` shows exactly that.
"""

import math

_TRUE_WORDS = ("true", "on", "yes", "1")
_FALSE_WORDS = ("false", "off", "no", "0")


class SwitchError(ValueError):
    """An unknown switch name or a value the switch does not allow."""


class Choice:
    """A switch with a fixed set of values; the first listed is the default."""

    def __init__(self, *values):
        self.values = tuple(values)
        self.default = values[0]

    def parse(self, raw):
        """Return the canonical value for ``raw`` or raise SwitchError."""
        text = str(raw).strip()
        if isinstance(raw, bool):
            text = "true" if raw else "false"
        for value in self.values:
            if text.lower() == value.lower():
                return value
        # on/off and true/false switches also take the other spelling of a boolean
        if set(v.lower() for v in self.values) in ({"on", "off"}, {"true", "false"}):
            truthy = self.values[0] if self.values[0].lower() in _TRUE_WORDS else self.values[1]
            falsy = self.values[1] if truthy == self.values[0] else self.values[0]
            if text.lower() in _TRUE_WORDS:
                return truthy
            if text.lower() in _FALSE_WORDS:
                return falsy
        raise SwitchError("must be one of %s, not %r" % ("/".join(self.values), raw))


class Number:
    """A numeric switch (``integer`` selects int, otherwise float), never negative."""

    def __init__(self, default, integer=False):
        self.default = default
        self.integer = integer

    def parse(self, raw):
        """Return the number for ``raw`` or raise SwitchError."""
        try:
            value = int(str(raw).strip()) if self.integer else float(str(raw).strip())
        except ValueError:
            raise SwitchError("must be a%s number, not %r" % ("n integer" if self.integer else "", raw)) from None
        if value < 0 or (isinstance(value, float) and math.isnan(value)):
            raise SwitchError("must not be negative, not %r" % (raw,))
        return value


SWITCHES = {
    "sbc.relock_same_token": Choice("204", "423"),
    "sbc.refresh_mode": Choice("move", "revoke", "extend", "stay"),
    "sbc.refresh_field": Choice("any", "token", "accessToken"),
    "sbc.message_shape": Choice("message", "errorMessage", "reasonPhrase"),
    "sbc.lock_foreign_text": Choice("default", "alt"),
    "sbc.unlock_free_text": Choice("documented", "generic", "other", "localized"),
    "sbc.unlock_foreign_text": Choice("documented", "generic", "other", "localized"),
    "sbc.supportedversions_anonymous": Choice("false", "true"),
    "sbc.post_status": Choice("200", "201"),
    "sbc.async_result": Choice("success", "fail", "verify_fail"),
    "sbc.async_link": Choice("shared", "per_job"),
    "sbc.async_error": Choice("errorMessage", "additionalInfo", "absent"),
    "sbc.link_host": Choice("request", "other", "relative"),
    "sbc.metadata_shape": Choice("attributeMetadata", "attribute", "none"),
    "sbc.keyed_missing": Choice("empty", "404"),
    "sbc.values": Choice("echo", "canonical"),
    "sbc.value_spaces": Choice("keep", "strip"),
    "sbc.change_answer": Choice("element", "empty"),
    "sbc.singleton_post": Choice("type_only", "attributes"),
    "sbc.page_size": Number(100, integer=True),
    "sbc.async_delay": Number(0.2),
    "sbc.acli_shares_lock": Choice("on", "off"),
    "sbc.max_tokens": Number(0, integer=True),
    "sdm.lock_status": Choice("204", "200"),
    "sdm.unlock_free": Choice("400", "204", "409"),
    "sdm.relock_same_user": Choice("204", "400", "409"),
    "sdm.lock_foreign": Choice("400", "409", "423", "403", "500"),
    "sdm.unlock_foreign": Choice("400", "403", "409", "423"),
    "sdm.type_match": Choice("exact", "insensitive"),
    "sdm.error_body": Choice("text", "empty", "html", "xml", "json"),
    "sdm.error_names_holder": Choice("off", "on"),
    "sdm.error_wording": Choice("default", "alt", "localized"),
    "sdm.lock_lifetime": Choice("survive", "logout", "expiry"),
    "sdm.expose_lock_fields": Choice("off", "on"),
    "sdm.list_shape": Choice("9.0.1", "9.0.0"),
    "sdm.group_mode": Choice("all", "partial"),
    "sdm.cookie_bare_id": Choice("off", "on"),
    "sdm.www_authenticate": Choice("on", "off"),
    "sdm.config_list_shape": Choice("flat", "wrapped"),
    "sdm.config_input": Choice("strict", "both"),
    "sdm.value_spaces": Choice("keep", "strip"),
    "sdm.metadata_shape": Choice("wrapped", "flat", "bare"),
    "sdm.limitation": Choice("count", "depth", "ignored"),
    "sdm.read_staged": Choice("own", "device"),
    "sdm.config_duplicate": Choice("400", "409"),
    "sdm.config_missing": Choice("404", "400"),
    "sdm.update_children": Choice("replace", "merge", "replace_if_sent"),
    "sdm.delete_answer": Choice("200", "204"),
    "sdm.discard_status": Choice("204", "200"),
    "sdm.load_required": Choice("off", "on"),
    "sdm.load_config": Choice("keep", "discard"),
    "sdm.push_types": Choice("all", "save_activate"),
    "sdm.push_empty": Choice("push", "noop", "400"),
    "sdm.push_scope": Choice("own", "all"),
    "sdm.push_failure_status": Choice("200", "400", "500"),
    "sdm.push_fail_word": Choice("FAILURE", "UNKNOWN"),
    "sdm.push_failed_staging": Choice("keep", "clear"),
    "sdm.push_delay": Number(0.0),
}


def defaults(product):
    """Return ``{key: default}`` for every switch of ``product`` (``"sbc"`` or ``"sdm"``)."""
    return {key: sw.default for key, sw in SWITCHES.items() if key.startswith(product + ".")}


def startup(product, configured):
    """Return the switches an instance of ``product`` starts (and resets) with: defaults, then ``configured``."""
    values = defaults(product)
    values.update((k, v) for k, v in configured.items() if k.startswith(product + "."))
    return values


def parse(key, raw):
    """Return the canonical value of switch ``key`` set to ``raw``; raise SwitchError if either is wrong."""
    switch = SWITCHES.get(key)
    if switch is None:
        raise SwitchError("unknown switch %r" % (key,))
    try:
        return switch.parse(raw)
    except SwitchError as exc:
        raise SwitchError("%s %s" % (key, exc)) from None


def parse_all(values):
    """Validate a ``{key: raw}`` mapping as a whole; return it canonical or raise on the first bad entry."""
    return {key: parse(key, raw) for key, raw in values.items()}
