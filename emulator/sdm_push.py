"""The SDM push: ``POST configuration/devices/{id}/action`` saves and/or activates staged changes on the device.

A mixin of SdmInstance. Oracle documents the answer as a 200 ``saveActivateResult`` whose fields are all strings
(``SUCCESS``, ``Not Applicable``, ``false``), and ``isLockSuccess`` as the SBC's configuration lock, which the SDM
takes for the push and releases after it. A device linked to an emulated SBC (docs/emulator.md, "Provisioning
through the SDM") takes that SBC's lock, so a holder of it there makes the push fail.
"""

import asyncio
import re

from .rest import ApiError

SUCCESS = "SUCCESS"
NOT_APPLICABLE = "Not Applicable"
PUSH_TYPES = ("SaveActivateConfig", "SaveConfig", "ActivateConfig")
FAILURE_STEPS = ("lock", "validation", "save", "activate")
LOCK_BUSY = "Failed to lock the device configuration: it is locked by another user or session"
DEFAULT_FAILURE_TEXT = {
    "lock": LOCK_BUSY,
    "validation": "Configuration validation failed",
    "save": "Failed to save the configuration on the device",
    "activate": "Failed to activate the configuration on the device",
}


class ConfigPush:
    """The push and its control-API helpers (injected failures, linked SBCs)."""

    def reset_push(self):
        """No injected failures, no push under way, task ids from 1."""
        self.push_failures = {}  # device id -> [{"step", "message", "remaining"}]
        self.pushing = set()  # device ids with a push under way
        self.next_task = 0

    # ----------------------------------------------------------------- control API

    def arm_push_failure(self, device_id, step, message=None, count=1):
        """Make the next ``count`` pushes of the device fail at ``step`` (0 = until cleared); return the armed entry."""
        if step not in FAILURE_STEPS:
            raise ValueError("step must be one of %s" % ", ".join(FAILURE_STEPS))
        entry = {"step": step, "message": message or DEFAULT_FAILURE_TEXT[step], "remaining": int(count)}
        self.push_failures.setdefault(device_id, []).append(entry)
        return dict(entry)

    def clear_push_failures(self, device_id):
        """Disarm every injected failure of the device; return how many there were."""
        return len(self.push_failures.pop(device_id, []))

    def _take_failure(self, device_id, step=None):
        """Use up one call of the first armed failure of the device (only if it is at ``step``, when given); return it."""
        armed = self.push_failures.get(device_id)
        if not armed or (step is not None and armed[0]["step"] != step):
            return None
        entry = armed[0]
        if entry["remaining"]:
            entry["remaining"] -= 1
            if entry["remaining"] <= 0:
                armed.pop(0)
        return entry

    def linked_sbc(self, device):
        """Return the emulated SBC instance the device is, or None: its ``sbc`` field, else ``sbcN`` for ``IDN``."""
        name = device["sbc"] if "sbc" in device else "sbc" + "".join(re.findall(r"\d+", device["id"])[-1:])
        return self.hub.instances_of("sbc").get(name) if name else None

    # ----------------------------------------------------------------- the push

    def push_type(self, request, body):
        """Return the push type of a ``deviceAction`` body (per ``sdm.push_types`` and ``sdm.type_match``), else 400."""
        value = self.parse_body(request, body, "deviceAction").get("type")
        allowed = PUSH_TYPES if self.switches["sdm.push_types"] == "all" else PUSH_TYPES[:1]
        if isinstance(value, str):
            for known in allowed:
                if value == known or (self.switches["sdm.type_match"] == "insensitive" and value.lower() == known.lower()):
                    return known
        raise ApiError(400, "Invalid action type %r" % (value,))

    def push_areas(self, device_id, user):
        """Return the staging-area keys a push of ``user`` applies: the user's own, or every user's (``sdm.push_scope``)."""
        if self.switches["sdm.push_scope"] == "own":
            return [(user, device_id)] if (user, device_id) in self.staged else []
        return sorted(k for k in self.staged if k[1] == device_id)

    async def device_push(self, request):
        """POST configuration/devices/{id}/action: SaveActivateConfig, SaveConfig or ActivateConfig."""
        body = await request.read()
        session = self.session(request)
        device = self.device(request)
        self.refuse_foreign(device["id"], session.user)
        action = self.push_type(request, body)
        saves = action != "ActivateConfig"
        snapshot = {area: dict(self.staged[area]) for area in self.push_areas(device["id"], session.user)} if saves else {}
        if saves and not snapshot and self.switches["sdm.push_empty"] != "push":
            if self.switches["sdm.push_empty"] == "400":
                raise ApiError(400, "There are no configuration changes to push to device %s" % device["id"])
            return self.push_answer(request, session, device["id"], self.new_result(action, noop=True), snapshot)
        result = self.new_result(action)
        sbc = self.linked_sbc(device)
        holder = self.take_device_config(device["id"], sbc, session.user, result)
        if holder is not None:
            failure = self._take_failure(device["id"])
            try:
                if self.switches["sdm.push_delay"]:
                    await asyncio.sleep(self.switches["sdm.push_delay"])
                self.run_steps(device["id"], snapshot, failure, result, saves, action != "SaveConfig")
            finally:
                result["isUnlockSuccess"] = self.release_device_config(device["id"], sbc, holder)
        return self.push_answer(request, session, device["id"], result, snapshot)

    def new_result(self, action, noop=False):
        """Return a ``saveActivateResult`` before any step: every flag Not Applicable (a no-op push stays so)."""
        self.next_task += 1
        flags = ("isActivateConfigSuccess", "isCreateSuccess", "isEraseCacheSuccess", "isIntegrityCheckSuccess", "isLockSuccess",
                 "isRestoreConfigSuccess", "isSaveConfigSuccess", "isUnlockSuccess", "isValidationSuccess")
        result = dict.fromkeys(flags, NOT_APPLICABLE)
        result.update(action=action, errorMessage="", isDeviceFirmwareChangedFailure="false", status=SUCCESS if noop else "",
                      taskId=str(self.next_task), validationErrorMessage="")
        return dict(sorted(result.items()))

    def take_device_config(self, device_id, sbc, user, result):
        """Take the device's configuration lock (the linked SBC's, if any); return a holder token, or None when refused.

        Refused by an injected ``lock`` failure, a push of the device under way, or another holder of the SBC lock.
        """
        fail = self.switches["sdm.push_fail_word"]
        failure = self._take_failure(device_id, "lock")
        if failure is not None:
            result.update(isLockSuccess=fail, errorMessage=failure["message"])
            return None
        outcome = "held" if device_id in self.pushing else "not-linked"
        if sbc is not None and outcome != "held":
            outcome = sbc.take_lock("sdm", user, cause="sdm-push")
        if outcome == "held":
            result.update(isLockSuccess=fail, errorMessage=LOCK_BUSY)
            return None
        self.pushing.add(device_id)
        result["isLockSuccess"] = SUCCESS
        return sbc.lock if outcome == "taken" else outcome

    def release_device_config(self, device_id, sbc, holder):
        """Release what take_device_config took; return isUnlockSuccess (the fail word if the SBC lock was taken away)."""
        self.pushing.discard(device_id)
        if isinstance(holder, str):  # nothing taken on an SBC: not linked, or sbc.acli_shares_lock=off
            return SUCCESS
        if sbc.lock is holder:
            sbc.force_release(cause="sdm-push")
            return SUCCESS
        return self.switches["sdm.push_fail_word"]

    def run_steps(self, device_id, snapshot, failure, result, saves, activates):
        """Validate, save (apply the snapshot of staged changes) and activate, stopping at an injected failure."""
        fail = self.switches["sdm.push_fail_word"]
        step = failure["step"] if failure else None
        if step == "validation":
            result.update(isValidationSuccess=fail, validationErrorMessage=failure["message"])
            return
        result["isValidationSuccess"] = SUCCESS
        versions = self.versions_of(device_id)
        if saves:
            if step == "save":
                result.update(isSaveConfigSuccess=fail, errorMessage=failure["message"])
                return
            self.apply_snapshot(device_id, snapshot)
            versions[0] += 1
            result.update(isSaveConfigSuccess=SUCCESS, isIntegrityCheckSuccess=SUCCESS)
        if activates:
            if step == "activate":
                result.update(isActivateConfigSuccess=fail, errorMessage=failure["message"])
                return
            versions[1] = versions[0]
            result["isActivateConfigSuccess"] = SUCCESS

    def apply_snapshot(self, device_id, snapshot):
        """Write the pushed changes into the device configuration and clear them from their staging areas.

        A change staged again while the push ran (``sdm.push_delay``) is newer than the pushed one and stays staged.
        """
        config = self.config_of(device_id)
        for area_key, changes in snapshot.items():
            area = self.staged.get(area_key, {})
            for key, change in changes.items():
                if change.element is None:
                    config.pop(key, None)
                else:
                    config[key] = change.element
                if area.get(key) is change:
                    del area[key]
            if area_key in self.staged and not area:
                del self.staged[area_key]

    def push_answer(self, request, session, device_id, result, snapshot):
        """Finish a push: its status, the staging areas of a failed push, the audit event and the HTTP answer."""
        flags = [v for k, v in result.items() if k.startswith("is") and k != "isDeviceFirmwareChangedFailure"]
        failed = any(v not in (SUCCESS, NOT_APPLICABLE) for v in flags)
        result["status"] = "FAILURE" if failed else SUCCESS
        if failed and self.switches["sdm.push_failed_staging"] == "clear":
            for area_key in snapshot:
                self.staged.pop(area_key, None)
        self.audit_config(device_id, "push", session, result["action"], status=result["status"], taskId=result["taskId"],
                          changes=sum(len(c) for c in snapshot.values()))
        status = int(self.switches["sdm.push_failure_status"]) if failed else 200
        return self.answer(request, "saveActivateResult", result, status)
