"""State shared by every instance: audit log, request statistics, armed faults, issued secrets.

The emulator runs on one asyncio loop and no handler awaits between reading and changing state,
so each request's state change is atomic without a lock ("guarded by one lock" in the spec).
"""

import collections
import fnmatch
import hashlib
import itertools
import json
import sys
import time
import weakref

# Enough for long benchmarks; the oldest events go first beyond it (``dropped`` counts them).
AUDIT_CAPACITY = 500000


def fingerprint(secret):
    """Return the public id of a token or session: the first 12 hex digits of its sha256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


class AuditLog:
    """Every grant, release, expiry and move of a lock, in order, with a seq that never repeats."""

    def __init__(self, path=None):
        self.events = collections.deque(maxlen=AUDIT_CAPACITY)
        self.seq = 0
        self.dropped = 0
        self._file = open(path, "a", encoding="utf-8") if path else None

    def record(self, product, instance, resource, event, holder, cause, **extra):
        """Append one event; ``holder`` is ``{kind, user, id}``. Returns the event."""
        self.seq += 1
        entry = {
            "seq": self.seq,
            "ts": time.time(),
            "product": product,
            "instance": instance,
            "resource": resource,
            "event": event,
            "holder": holder,
            "cause": cause,
        }
        entry.update(extra)
        if len(self.events) == self.events.maxlen:
            self.dropped += 1
        self.events.append(entry)
        if self._file is not None:
            self._file.write(json.dumps(entry, sort_keys=True) + "\n")
            self._file.flush()
        return entry

    def query(self, instance=None, since=0):
        """Return the events with ``seq > since``, optionally of one instance, oldest first."""
        if self.events and since >= self.events[0]["seq"]:
            # seqs are consecutive, so the first wanted event's position is known
            start = since - self.events[0]["seq"] + 1
            selected = itertools.islice(self.events, start, None)
        else:
            selected = iter(self.events)
        return [e for e in selected if instance is None or e["instance"] == instance]

    def clear(self):
        """Forget every event; seq keeps counting so ``since`` values stay meaningful."""
        self.events.clear()
        self.dropped = 0

    def close(self):
        """Close the ``--audit-log`` file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None


class Stats:
    """Request counters of one instance: total, per route template, per status; and the connections that carried
    them (TCP connections, and of those on TLS, full and resumed handshakes)."""

    def __init__(self):
        self.reset()

    def reset(self):
        """Zero every counter (a connection still open is counted again by its next request)."""
        self.total = 0
        self.by_route = collections.Counter()
        self.by_status = collections.Counter()
        self.connections = 0
        self.handshakes = collections.Counter()
        self._seen = weakref.WeakSet()

    def count_connection(self, transport):
        """Count ``transport`` the first time one of its requests arrives (once per reset)."""
        if transport is None or transport in self._seen:
            return
        self._seen.add(transport)
        self.connections += 1
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.handshakes["resumed" if ssl_object.session_reused else "full"] += 1

    def count(self, route, status):
        """Count one request of ``route`` (e.g. ``POST /rest/{v}/configuration/lock``) answered ``status``."""
        self.total += 1
        self.by_route[route] += 1
        self.by_status[str(status)] += 1

    def as_dict(self):
        """Return the counters as plain JSON-ready data."""
        return {"total": self.total, "by_route": dict(self.by_route), "by_status": dict(self.by_status),
                "connections": self.connections, "tls_handshakes": {"full": self.handshakes["full"], "resumed": self.handshakes["resumed"]}}


FAULT_KINDS = ("status", "drop", "html502", "empty200", "latency", "drip")


# latency: seconds before the answer; drip: seconds between two pieces of it
DEFAULT_DELAYS = {"latency": 0.5, "drip": 1.0}


class FaultError(ValueError):
    """A fault description that cannot be armed."""


class Faults:
    """Faults armed through the control API, matched against each /rest request in arming order."""

    def __init__(self):
        self.armed = []
        self.next_id = 0

    def arm(self, spec, instances):
        """Validate ``spec`` (see docs/emulator.md, ``POST /faults``) and arm it; return the stored fault."""
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise FaultError("kind must be one of %s" % ", ".join(FAULT_KINDS))
        instance = spec.get("instance")
        if instance is not None and instance not in instances:
            raise FaultError("unknown instance %r" % (instance,))
        try:
            fault = {
                "instance": instance,
                "method": str(spec["method"]).upper() if spec.get("method") else None,
                "path": str(spec.get("path") or "*"),
                "kind": kind,
                "status": int(spec.get("status", 500)),
                "count": int(spec.get("count", 1)),
                "delay": float(spec.get("delay", DEFAULT_DELAYS.get(kind, 0))),
                "bytes": int(spec.get("bytes", 1)),
                "skip": int(spec.get("skip", 0)),
            }
        except (TypeError, ValueError):
            raise FaultError("status, count, skip and bytes must be integers, delay a number") from None
        if not 100 <= fault["status"] <= 599 or fault["count"] < 0 or fault["delay"] < 0 or fault["skip"] < 0:
            raise FaultError("status must be 100-599, count, skip and delay not negative")
        if fault["bytes"] < 1:
            raise FaultError("bytes must be 1 or more")
        self.next_id += 1
        fault["id"] = self.next_id
        fault["remaining"] = fault["count"]
        self.armed.append(fault)
        return fault

    def take(self, instance, method, path):
        """Return the first armed fault matching this request and use up one of its calls, or None."""
        for fault in self.armed:
            if fault["instance"] not in (None, instance):
                continue
            if fault["method"] not in (None, method):
                continue
            if not fnmatch.fnmatchcase(path, fault["path"]):
                continue
            if fault["skip"]:  # the first matching calls are let through (a fault in the middle of a list)
                fault["skip"] -= 1
                continue
            if fault["count"]:
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    self.armed.remove(fault)
            return fault
        return None

    def clear(self):
        """Disarm every fault."""
        self.armed.clear()


class Hub:
    """What all instances share: the audit log, faults, issued secrets, and the stop signal."""

    def __init__(self, audit_path=None):
        self.audit = AuditLog(audit_path)
        self.faults = Faults()
        self.tokens_issued = []
        self.sessions_issued = []
        self.instances = {}  # name -> SbcInstance | SdmInstance, in creation order
        self.stop_requested = None  # asyncio.Event, set by server.serve

    def instances_of(self, product):
        """Return ``{name: instance}`` of one product."""
        return {name: inst for name, inst in self.instances.items() if inst.product == product}

    def reset(self):
        """Return every instance to its startup state; clear faults and the audit log."""
        self.faults.clear()
        for inst in self.instances.values():
            inst.reset()
            inst.stats.reset()
        self.audit.clear()

    def request_stop(self):
        """Ask the server to shut down (signal, control API, lifetime, watched pid)."""
        if self.stop_requested is not None:
            self.stop_requested.set()


def log(message):
    """Write one diagnostic line to stderr (stdout carries only the startup JSON)."""
    sys.stderr.write("emulator: %s\n" % message)
    sys.stderr.flush()
