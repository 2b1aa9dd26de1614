"""The emulator-only control API (plain HTTP on 127.0.0.1, JSON): see docs/emulator.md, "Control API"."""

import asyncio
import json
import time

from aiohttp import web

from . import switches as switch_table
from .rest import ApiError
from .state import FaultError, log

SBC_HOLDER_KINDS = ("acli", "gui", "sdm")


class ControlError(Exception):
    """A control request that cannot be served: HTTP status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def reply(data, status=200):
    """Return ``data`` as a JSON response."""
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


class ControlApi:
    """Handlers of the control API over the shared Hub."""

    def __init__(self, hub):
        self.hub = hub

    # ----------------------------------------------------------------- helpers

    def instance(self, request, product):
        """Return the ``{inst}`` instance of ``product`` or raise 404."""
        name = request.match_info["inst"]
        inst = self.hub.instances_of(product).get(name)
        if inst is None:
            raise ControlError(404, "no %s instance %r" % (product, name))
        return inst

    def query_instance(self, request):
        """Return the ``?instance=`` name if given and known (404 if unknown), else None."""
        name = request.query.get("instance")
        if name is not None and name not in self.hub.instances:
            raise ControlError(404, "no instance %r" % name)
        return name

    @staticmethod
    async def body(request):
        """Return the JSON object of the request body ({} when empty) or raise 400."""
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise ControlError(400, "body is not JSON") from None
        if not isinstance(data, dict):
            raise ControlError(400, "body must be a JSON object")
        return data

    def tick_all(self):
        """Apply pending expiries first, so the control API never shows a holder that is already gone."""
        now = time.monotonic()
        for inst in self.hub.instances.values():
            inst.tick(now)

    # ----------------------------------------------------------------- general

    async def health(self, request):
        return reply({"ok": True})

    async def state(self, request):
        self.tick_all()
        sbc = {name: dict(inst.lock_state(), tokens=len(inst.tokens)) for name, inst in self.hub.instances_of("sbc").items()}
        sdm = {name: {"locks": {d: lock.user for d, lock in inst.locks.items()}, "sessions": len(inst.sessions)}
               for name, inst in self.hub.instances_of("sdm").items()}
        return reply({"sbc": sbc, "sdm": sdm})

    async def audit(self, request):
        self.tick_all()
        instance = self.query_instance(request)
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            raise ControlError(400, "since must be an integer") from None
        return reply({"events": self.hub.audit.query(instance, since)})

    async def secrets(self, request):
        return reply({"tokens": list(self.hub.tokens_issued), "sessions": list(self.hub.sessions_issued)})

    async def stats(self, request):
        instance = self.query_instance(request)
        names = [instance] if instance else list(self.hub.instances)
        return reply({name: self.hub.instances[name].stats.as_dict() for name in names})

    async def stats_reset(self, request):
        for inst in self.hub.instances.values():
            inst.stats.reset()
        return reply({"ok": True})

    async def reset(self, request):
        self.hub.reset()
        return reply({"ok": True})

    async def get_switches(self, request):
        instance = self.query_instance(request)
        names = [instance] if instance else list(self.hub.instances)
        return reply({name: self.hub.instances[name].switches for name in names})

    async def set_switches(self, request):
        data = await self.body(request)
        instance = data.pop("instance", None)
        if instance is not None and instance not in self.hub.instances:
            raise ControlError(404, "no instance %r" % (instance,))
        try:
            values = switch_table.parse_all(data)
        except switch_table.SwitchError as exc:
            raise ControlError(400, str(exc)) from None
        targets = [self.hub.instances[instance]] if instance else list(self.hub.instances.values())
        for key in values:
            product = key.split(".", 1)[0]
            if instance and self.hub.instances[instance].product != product:
                raise ControlError(400, "%s is not a switch of %s" % (key, instance))
        for inst in targets:
            inst.switches.update({k: v for k, v in values.items() if k.startswith(inst.product + ".")})
        return reply({inst.name: inst.switches for inst in targets})

    # ----------------------------------------------------------------- faults and lifetime

    async def arm_fault(self, request):
        data = await self.body(request)
        try:
            fault = self.hub.faults.arm(data, self.hub.instances)
        except FaultError as exc:
            raise ControlError(400, str(exc)) from None
        return reply(fault)

    async def clear_faults(self, request):
        self.hub.faults.clear()
        return reply({"ok": True})

    async def shutdown(self, request):
        # stop after this answer has gone out
        asyncio.get_running_loop().call_later(0.05, self.hub.request_stop)
        return reply({"ok": True})

    # ----------------------------------------------------------------- SBC

    async def sbc_lock_state(self, request):
        inst = self.instance(request, "sbc")
        self.tick_all()
        return reply(inst.lock_state())

    async def sbc_elements(self, request):
        """GET /sbc/{inst}/elements/{type}: the elements of one type as the SBC holds them (for tests; no token, no stats)."""
        inst = self.instance(request, "sbc")
        elements = inst.store.elements.get(request.match_info["type"])
        if elements is None:
            raise ControlError(404, "no element type %s" % request.match_info["type"])
        return reply({"elements": [dict(element) for element in elements]})

    async def sbc_take_lock(self, request):
        inst = self.instance(request, "sbc")
        data = await self.body(request)
        kind = data.get("kind", "acli")
        if kind not in SBC_HOLDER_KINDS:
            raise ControlError(400, "kind must be one of %s" % ", ".join(SBC_HOLDER_KINDS))
        self.tick_all()
        outcome = inst.take_lock(kind, str(data.get("user") or kind + "-user"))
        if outcome == "held":
            raise ControlError(409, "the configuration lock is held")
        return reply(dict(inst.lock_state(), taken=outcome == "taken"))

    async def sbc_release(self, request):
        inst = self.instance(request, "sbc")
        self.tick_all()
        holder = inst.force_release()
        return reply({"released": holder.public() if holder else None})

    async def sbc_expire_tokens(self, request):
        inst = self.instance(request, "sbc")
        data = await self.body(request)
        return reply({"expired": inst.expire_tokens(data.get("user"))})

    # ----------------------------------------------------------------- SDM

    async def sdm_locks(self, request):
        inst = self.instance(request, "sdm")
        self.tick_all()
        return reply({device_id: lock.user for device_id, lock in inst.locks.items()})

    def sdm_device(self, request, inst):
        device_id = request.match_info["id"]
        if device_id not in inst.devices:
            raise ControlError(404, "no device %r" % device_id)
        return device_id

    async def sdm_take_lock(self, request):
        inst = self.instance(request, "sdm")
        device_id = self.sdm_device(request, inst)
        data = await self.body(request)
        if not isinstance(data.get("user"), str) or not data["user"]:
            raise ControlError(400, "body needs {\"user\": NAME}")
        self.tick_all()
        if inst.inject_lock(device_id, data["user"]) == "held":
            raise ControlError(409, "device %s is held by another user" % device_id)
        return reply({"device": device_id, "user": data["user"]})

    async def sdm_release(self, request):
        inst = self.instance(request, "sdm")
        device_id = self.sdm_device(request, inst)
        self.tick_all()
        return reply({"device": device_id, "released": inst.force_release(device_id)})

    async def sdm_sessions(self, request):
        inst = self.instance(request, "sdm")
        self.tick_all()
        return reply(inst.sessions_view())

    async def sdm_expire_sessions(self, request):
        inst = self.instance(request, "sdm")
        data = await self.body(request)
        return reply({"expired": inst.expire_sessions(data.get("user"))})

    async def sdm_devices(self, request):
        inst = self.instance(request, "sdm")
        return reply(list(inst.devices.values()))

    # ----------------------------------------------------------------- SDM provisioning

    async def sdm_config(self, request):
        inst = self.instance(request, "sdm")
        return reply(inst.config_state(self.sdm_device(request, inst)))

    async def sdm_seed_config(self, request):
        inst = self.instance(request, "sdm")
        device_id = self.sdm_device(request, inst)
        data = await self.body(request)
        if not isinstance(data.get("elements"), list):
            raise ControlError(400, "body needs {\"elements\": [configElement, ...]}")
        try:
            inst.seed_device_config(device_id, data["elements"])
        except ApiError as exc:
            raise ControlError(400, exc.text) from None
        return reply(inst.config_state(device_id))

    async def sdm_changes(self, request):
        inst = self.instance(request, "sdm")
        return reply(inst.changes_state(self.sdm_device(request, inst)))

    async def sdm_arm_push_failure(self, request):
        inst = self.instance(request, "sdm")
        device_id = self.sdm_device(request, inst)
        data = await self.body(request)
        try:
            entry = inst.arm_push_failure(device_id, data.get("step", "validation"), data.get("message"), int(data.get("count", 1)))
        except (TypeError, ValueError) as exc:
            raise ControlError(400, "step must be lock/validation/save/activate and count an integer >= 0: %s" % exc) from None
        return reply(dict(entry, device=device_id))

    async def sdm_clear_push_failures(self, request):
        inst = self.instance(request, "sdm")
        device_id = self.sdm_device(request, inst)
        return reply({"device": device_id, "cleared": inst.clear_push_failures(device_id)})

    def routes(self):
        """Return the control API's routes."""
        return [
            web.get("/health", self.health),
            web.get("/state", self.state),
            web.get("/audit", self.audit),
            web.get("/secrets", self.secrets),
            web.get("/stats", self.stats),
            web.post("/stats/reset", self.stats_reset),
            web.post("/reset", self.reset),
            web.get("/switches", self.get_switches),
            web.post("/switches", self.set_switches),
            web.post("/faults", self.arm_fault),
            web.delete("/faults", self.clear_faults),
            web.post("/shutdown", self.shutdown),
            web.get("/sbc/{inst}/lock", self.sbc_lock_state),
            web.post("/sbc/{inst}/lock", self.sbc_take_lock),
            web.get("/sbc/{inst}/elements/{type}", self.sbc_elements),
            web.post("/sbc/{inst}/release", self.sbc_release),
            web.post("/sbc/{inst}/expire-tokens", self.sbc_expire_tokens),
            web.get("/sdm/{inst}/locks", self.sdm_locks),
            web.post("/sdm/{inst}/devices/{id}/lock", self.sdm_take_lock),
            web.post("/sdm/{inst}/devices/{id}/release", self.sdm_release),
            web.get("/sdm/{inst}/sessions", self.sdm_sessions),
            web.post("/sdm/{inst}/expire-sessions", self.sdm_expire_sessions),
            web.get("/sdm/{inst}/devices", self.sdm_devices),
            web.get("/sdm/{inst}/devices/{id}/config", self.sdm_config),
            web.put("/sdm/{inst}/devices/{id}/config", self.sdm_seed_config),
            web.get("/sdm/{inst}/devices/{id}/changes", self.sdm_changes),
            web.post("/sdm/{inst}/devices/{id}/push-failure", self.sdm_arm_push_failure),
            web.delete("/sdm/{inst}/devices/{id}/push-failure", self.sdm_clear_push_failures),
        ]


@web.middleware
async def control_middleware(request, handler):
    """Answer every control error as ``{"error": message}`` JSON, never as a traceback."""
    try:
        return await handler(request)
    except ControlError as exc:
        return reply({"error": exc.message}, exc.status)
    except web.HTTPException as exc:
        return reply({"error": exc.reason}, exc.status)
    except Exception as exc:
        log("control API error on %s %s: %r" % (request.method, request.path, exc))
        return reply({"error": "internal error: %s" % type(exc).__name__}, 500)


def make_app(hub):
    """Return the control API's aiohttp application."""
    app = web.Application(middlewares=[control_middleware])
    app.add_routes(ControlApi(hub).routes())
    return app
