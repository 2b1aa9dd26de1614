"""The SDM device lock: the device action state table, device-group actions, and their control-API helpers.

A mixin of SdmInstance (emulator/sdm.py), which owns ``self.locks``, the switches and the audit hub. Oracle only says
that "only the user that applied the lock can run operations on the device"; the statuses and texts of a refusal
are switches (docs/emulator.md).
"""

from aiohttp import web

from .rest import ApiError

# The refusals of the device state table per sdm.error_wording; "*_named" when sdm.error_names_holder is on.
# Oracle documents none of them: "alt" names the holder in another phrasing, "localized" in words no English pattern reads.
LOCK_TEXTS = {
    "default": {
        "foreign": "Device {id} is locked by another user", "foreign_named": "Device {id} is locked by user {user}",
        "relock": "Device {id} is already locked", "relock_named": "Device {id} is already locked by user {user}",
        "free": "Device {id} is not locked",
    },
    "alt": {
        "foreign": "Another user holds the lock on device {id}", "foreign_named": "Device {id} is held by '{user}'",
        "relock": "Device {id} is already locked by you", "relock_named": "Device {id} is already held by '{user}'",
        "free": "No lock to release on device {id}",
    },
    "localized": {
        "foreign": "Gerät {id} ist von einem anderen Benutzer gesperrt", "foreign_named": "Gerät {id} ist von Benutzer {user} gesperrt",
        "relock": "Gerät {id} ist bereits gesperrt", "relock_named": "Gerät {id} ist bereits von Benutzer {user} gesperrt",
        "free": "Gerät {id} ist nicht gesperrt",
    },
}


class DeviceLock:
    """A device lock: owned by a user; ``session`` is the session that took it (None when injected)."""

    __slots__ = ("user", "session")

    def __init__(self, user, session=None):
        self.user = user
        self.session = session

    def holder(self):
        """Return the holder as the audit log shows it."""
        return {"kind": "user", "user": self.user, "id": self.session.fp if self.session else None}


class DeviceLocks:
    """Lock / Unlock of one device or a device group, per the state table of docs/emulator.md."""

    def action_type(self, request, body, root):
        """Return ``Lock`` or ``Unlock`` from an action body (matching per ``sdm.type_match``), else 400."""
        value = self.parse_body(request, body, root).get("type")
        if isinstance(value, str):
            for known in ("Lock", "Unlock"):
                if value == known or (self.switches["sdm.type_match"] == "insensitive" and value.lower() == known.lower()):
                    return known
        raise ApiError(400, "Invalid action type %r" % (value,))

    def _outcome(self, action, device_id, user):
        """Apply the device state table: return ``(status, change, error_text)`` without changing anything."""
        lock = self.locks.get(device_id)
        if lock is not None and lock.user != user:
            key = "sdm.lock_foreign" if action == "Lock" else "sdm.unlock_foreign"
            return int(self.switches[key]), None, self._lock_text("foreign", device_id, lock.user)
        if action == "Lock":
            if lock is None:
                return int(self.switches["sdm.lock_status"]), "grant", None
            return int(self.switches["sdm.relock_same_user"]), None, self._lock_text("relock", device_id, user)
        if lock is None:
            return int(self.switches["sdm.unlock_free"]), None, self._lock_text("free", device_id)
        return 204, "release", None

    def _lock_text(self, case, device_id, holder=None):
        """Return the refusal text of ``case`` in the ``sdm.error_wording`` words, naming the holder when switched on."""
        texts = LOCK_TEXTS[self.switches["sdm.error_wording"]]
        if holder is not None and self.switches["sdm.error_names_holder"] == "on":
            return texts[case + "_named"].format(id=device_id, user=holder)
        return texts[case].format(id=device_id)

    def _apply(self, device_id, change, session, via):
        if change == "grant":
            self.locks[device_id] = DeviceLock(session.user, session)
            self._audit(device_id, "grant", self.locks[device_id], "lock", via=via)
        elif change == "release":
            self._audit(device_id, "release", self.locks.pop(device_id), "unlock", via=via)

    def _audit(self, device_id, event, lock, cause, **extra):
        self.hub.audit.record("sdm", self.name, "device:" + device_id, event, lock.holder(), cause, **extra)

    async def device_action(self, request):
        """POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action: Lock or Unlock one device."""
        body = await request.read()
        session = self.session(request)
        device = self.device(request)
        action = self.action_type(request, body, "deviceAction")
        status, change, text = self._outcome(action, device["id"], session.user)
        if status >= 400:
            raise ApiError(status, text)
        self._apply(device["id"], change, session, "device")
        return web.Response(status=status)

    async def group_action(self, request):
        """POST /rest/{v}/inventory/nfMgmt/nfs/{nfId}/groups/{gid}/action: the device table on every member."""
        body = await request.read()
        session = self.session(request)
        members = self.groups.get((request.match_info["nfId"], request.match_info["gid"]))
        if not members:
            raise ApiError(404, "Device group %s of NF %s not found" % (request.match_info["gid"], request.match_info["nfId"]))
        action = self.action_type(request, body, "deviceGroupAction")
        outcomes = [(device_id,) + self._outcome(action, device_id, session.user) for device_id in members]
        failures = [o for o in outcomes if o[1] >= 400]
        if not failures or self.switches["sdm.group_mode"] == "partial":
            for device_id, status, change, _text in outcomes:
                if status < 400:
                    self._apply(device_id, change, session, "group")
        if failures:
            raise ApiError(failures[0][1], failures[0][3])
        return web.Response(status=204)

    def refuse_foreign(self, device_id, user):
        """Raise the sdm.lock_foreign refusal when a user other than ``user`` holds the device; else return."""
        lock = self.locks.get(device_id)
        if lock is not None and lock.user != user:
            status, _change, text = self._outcome("Lock", device_id, user)
            raise ApiError(status, text)

    def inject_lock(self, device_id, user):
        """Control API: make ``user`` hold the device. Returns ``taken``, ``same`` or ``held`` (by another user)."""
        lock = self.locks.get(device_id)
        if lock is not None:
            return "same" if lock.user == user else "held"
        self.locks[device_id] = DeviceLock(user)
        self._audit(device_id, "grant", self.locks[device_id], "control")
        return "taken"

    def force_release(self, device_id):
        """Control API: unlock the device as an administrator would from the GUI; return the old holder or None."""
        lock = self.locks.pop(device_id, None)
        if lock is not None:
            self._audit(device_id, "release", lock, "forced")
        return lock.user if lock else None
