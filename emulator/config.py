"""Built-in data of docs/emulator.md ("Default data") and loading of ``--config`` files.

A config file (YAML or JSON) may override any part; what it leaves out keeps the default::

    sbc:
      users: {admin: {password: s3cret, admin: true}}
      versions: [v1.0, v1.1, v1.2]
      token_ttl: 600
    sdm:
      users: {prov1: {password: x, group: provisioners}}
      versions: [v1.0, v1.1, v1.2, v1.3]
      idle_timeouts: {administrators: 0, provisioners: 1800, monitors: 1800}
      devices: [{id: ID1, name: sbc-a, ip: 192.0.2.1, nfId: ID101, nfName: nf-a, groupId: ID201, sbc: sbc1}]
    switches: {sbc.relock_same_token: "423"}
"""

import copy
import json
import math

from . import switches as switch_table

DEFAULT_SBC = {
    "users": {
        "admin": {"password": "admin-secret-1", "admin": True},
        "admin2": {"password": "admin-secret-2", "admin": True},
        "operator": {"password": "operator-secret", "admin": False},
    },
    "versions": ["v1.0", "v1.1", "v1.2"],
    "token_ttl": 600.0,
}

DEFAULT_SDM = {
    "users": {
        "admin": {"password": "sdm-admin-secret", "group": "administrators"},
        "prov1": {"password": "prov1-secret", "group": "provisioners"},
        "prov2": {"password": "prov2-secret", "group": "provisioners"},
        "monitor": {"password": "monitor-secret", "group": "monitors"},
    },
    "versions": ["v1.0", "v1.1", "v1.2", "v1.3"],
    # seconds of inactivity before a session is gone; 0 = never
    "idle_timeouts": {"administrators": 0, "provisioners": 1800, "monitors": 1800},
    "devices": None,  # None = DEFAULT_DEVICES
}

# The home folder every default device sits under (parentGroupId); groupId is the NF's device group.
DEFAULT_PARENT_GROUP = "ID100"

DEFAULT_DEVICES = [
    {"id": "ID1", "name": "sbc-east-1", "ip": "192.0.2.11", "nfId": "ID101", "nfName": "nf-east", "groupId": "ID201"},
    {"id": "ID2", "name": "sbc-east-2", "ip": "192.0.2.12", "nfId": "ID101", "nfName": "nf-east", "groupId": "ID201"},
    {"id": "ID3", "name": "sbc-west-1", "ip": "192.0.2.21", "nfId": "ID102", "nfName": "nf-west", "groupId": "ID202"},
    {"id": "ID4", "name": "lab-sbc", "ip": "192.0.2.31", "nfId": "ID103", "nfName": "nf-lab", "groupId": "ID203"},
    {"id": "ID5", "name": "lab-sbc", "ip": "192.0.2.32", "nfId": "ID103", "nfName": "nf-lab", "groupId": "ID203"},
]


class ConfigError(ValueError):
    """The config file or a command-line value cannot be used."""


def generated_devices(count):
    """Return ``count`` devices ID1..IDN: name dev-NNNN, unique 198.18.x.y, NFs of two devices, a group per NF."""
    devices = []
    for n in range(1, count + 1):
        nf = (n - 1) // 2 + 1
        devices.append({
            "id": "ID%d" % n,
            "name": "dev-%04d" % n,
            "ip": "198.18.%d.%d" % (n // 254, n % 254 + 1),
            "nfId": "ID%d" % (100000 + nf),
            "nfName": "nf-%04d" % nf,
            "groupId": "ID%d" % (200000 + nf),
            "parentGroupId": "ID100000",
        })
    return devices


def _seconds(value, what):
    """Return ``value`` as non-negative float seconds, or raise ConfigError naming ``what``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError("%s must be a number of seconds, not %r" % (what, value)) from None
    if seconds < 0 or math.isnan(seconds):
        raise ConfigError("%s must not be negative" % what)
    return seconds


def _complete_device(raw):
    """Fill the derived fields of one configured device (key, parentGroupId, info strings)."""
    if not isinstance(raw, dict):
        raise ConfigError("every SDM device is a mapping, not %r" % (raw,))
    device = dict(raw)
    for field in ("id", "name", "ip", "nfId", "nfName", "groupId"):
        if not isinstance(device.get(field), str) or not device[field]:
            raise ConfigError("every SDM device needs a non-empty string %r: %r" % (field, raw))
    if "sbc" in device and device["sbc"] is not None and not isinstance(device["sbc"], str):
        raise ConfigError("an SDM device's sbc is the name of an SBC instance (sbc1, ...) or null: %r" % (raw,))
    device.setdefault("key", "%s_%s" % (device["name"], device["ip"]))
    device.setdefault("parentGroupId", DEFAULT_PARENT_GROUP)
    device.setdefault("platformInfo", "Acme Packet 6300")
    device.setdefault("softwareInfo", "SCZ9.1.0")
    return device


class Config:
    """Everything an emulator run starts from; ``reset`` returns each instance to this."""

    def __init__(self, data=None, token_ttl=None, devices=None, switch_values=None):
        data = data or {}
        if not isinstance(data, dict):
            raise ConfigError("the config file must hold a mapping")
        unknown = set(data) - {"sbc", "sdm", "switches"}
        if unknown:
            raise ConfigError("unknown config sections: %s" % ", ".join(sorted(unknown)))
        for section in ("sbc", "sdm", "switches"):
            if not isinstance(data.get(section) or {}, dict):
                raise ConfigError("config section %r must be a mapping" % section)
        sbc = copy.deepcopy(DEFAULT_SBC)
        sbc.update(data.get("sbc") or {})
        sdm = copy.deepcopy(DEFAULT_SDM)
        sdm.update(data.get("sdm") or {})
        if token_ttl is not None:
            sbc["token_ttl"] = token_ttl
        self.sbc_users = self._users(sbc["users"], "admin")
        self.sbc_versions = self._versions(sbc["versions"])
        self.token_ttl = _seconds(sbc["token_ttl"], "sbc.token_ttl")
        if self.token_ttl <= 0:
            raise ConfigError("token TTL must be positive")
        self.sdm_users = self._users(sdm["users"], "group")
        self.sdm_versions = self._versions(sdm["versions"])
        timeouts = dict(DEFAULT_SDM["idle_timeouts"])
        timeouts.update(sdm["idle_timeouts"] if isinstance(sdm["idle_timeouts"], dict) else {})
        self.idle_timeouts = {str(k): _seconds(v, "sdm.idle_timeouts.%s" % k) for k, v in timeouts.items()}
        if devices is not None:
            raw_devices = generated_devices(devices)
        else:
            raw_devices = sdm["devices"] if sdm["devices"] is not None else DEFAULT_DEVICES
        self.devices = [_complete_device(d) for d in raw_devices]
        if len({d["id"] for d in self.devices}) != len(self.devices):
            raise ConfigError("SDM device ids must be unique")
        raw_switches = dict(data.get("switches") or {})
        raw_switches.update(switch_values or {})
        try:
            self.switches = switch_table.parse_all(raw_switches)
        except switch_table.SwitchError as exc:
            raise ConfigError(str(exc)) from None

    @staticmethod
    def _users(users, attribute):
        if not isinstance(users, dict) or not users:
            raise ConfigError("users must be a non-empty mapping of name to {password, %s}" % attribute)
        result = {}
        for name, user in users.items():
            if not isinstance(user, dict) or not isinstance(user.get("password"), str):
                raise ConfigError("user %r needs a string password" % (name,))
            result[str(name)] = dict(user)
        return result

    @staticmethod
    def _versions(versions):
        if not isinstance(versions, list) or not versions or not all(isinstance(v, str) for v in versions):
            raise ConfigError("versions must be a non-empty list of strings such as v1.2")
        return list(versions)

    def idle_timeout(self, group):
        """Seconds of inactivity after which a session of ``group`` is gone (0 = never)."""
        return self.idle_timeouts.get(group, 1800.0)


def load_file(path):
    """Read a YAML or JSON config file into a mapping (JSON is tried first, YAML otherwise)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError("cannot read config file %s: %s" % (path, exc.strerror)) from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml  # only needed for YAML files

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("config file %s is neither JSON nor YAML: %s" % (path, exc)) from None
