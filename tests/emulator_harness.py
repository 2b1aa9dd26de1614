"""Start the offline emulator (``python -m emulator``) for tests and talk to its control API.

Used by tests/conftest.py (fixtures ``emulator_session`` and ``emulator``), benchmarks and any test
that needs its own emulator with extra command-line options::

    with start_emulator(tmp_path, "--token-ttl", "3") as emu:
        requests.post(emu.sbc_url() + "/rest/v1.2/auth/token", auth=("admin", "admin-secret-1"), verify=emu.ca_cert)

The control API is plain HTTP on 127.0.0.1; requests to it ignore proxy and CA environment variables.
"""

import contextlib
import json
import os
import pathlib
import select
import subprocess
import sys
import time

import requests

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
# Deadlines, not durations: each wait ends as soon as the emulator answers. Sized for a 2-core machine at a load
# average of 20 or more (other test runs beside this one), where a Python start alone can take tens of seconds.
STARTUP_TIMEOUT = 180.0
CONTROL_TIMEOUT = 60.0
#: The emulator exits by itself after this long (and as soon as the test process is gone): longer than CI's 90 minutes,
#: so that the session's emulator of a pytest worker outlives the slowest whole run.
MAX_LIFETIME = 3 * 3600


class Emulator:
    """A running emulator: its startup JSON (``urls``), CA file, and control API helpers."""

    def __init__(self, process, urls, log_path=None):
        self.process = process
        self.urls = urls
        self.ca_cert = urls["ca_cert"]
        self.control_url = urls["control"]
        self.log_path = log_path
        self._http = requests.Session()
        self._http.trust_env = False  # no proxies, no REQUESTS_CA_BUNDLE: the control API is local plain HTTP

    # ----------------------------------------------------------------- addresses

    def sbc_url(self, inst="sbc1"):
        """Return ``https://127.0.0.1:PORT`` of an SBC instance."""
        return self.urls["sbc"][inst]

    def sbc_host(self, inst="sbc1"):
        """Return ``127.0.0.1:PORT`` of an SBC instance."""
        return self.sbc_url(inst).split("://", 1)[1]

    def sdm_url(self, inst="sdm1"):
        """Return ``https://127.0.0.1:PORT`` of an SDM instance."""
        return self.urls["sdm"][inst]

    def sdm_host(self, inst="sdm1"):
        """Return ``127.0.0.1:PORT`` of an SDM instance."""
        return self.sdm_url(inst).split("://", 1)[1]

    # ----------------------------------------------------------------- control API

    def control(self, method, path, json=None, **params):  # pylint: disable=redefined-outer-name
        """Call the control API; return the decoded JSON (None if empty). HTTP >= 400 raises AssertionError with the body."""
        response = self._http.request(method, self.control_url + path, json=json, params=params or None,
                                      timeout=CONTROL_TIMEOUT, verify=False)
        if response.status_code >= 400:
            raise AssertionError("control %s %s -> %d: %s" % (method, path, response.status_code, response.text))
        return response.json() if response.content else None

    def reset(self):
        """Back to the startup state: no locks, tokens, sessions, faults; startup switches; stats and audit cleared."""
        self.control("POST", "/reset")

    def set_switches(self, switches, instance=None):
        """Set switches, e.g. ``{"sbc.relock_same_token": "423"}``; on every instance of the product unless ``instance``."""
        body = dict(switches)
        if instance is not None:
            body["instance"] = instance
        self.control("POST", "/switches", json=body)

    def audit(self, instance=None, since=0):
        """Return the audit events (``seq > since``, of ``instance`` if given), oldest first."""
        params = {"since": since}
        if instance is not None:
            params["instance"] = instance
        return self.control("GET", "/audit", **params)["events"]

    def stats(self, instance=None):
        """Return ``{total, by_route, by_status}`` of ``instance``, or ``{instance: {...}}`` of all instances."""
        if instance is None:
            return self.control("GET", "/stats")
        return self.control("GET", "/stats", instance=instance)[instance]

    def reset_stats(self):
        """Zero the request counters of every instance."""
        self.control("POST", "/stats/reset")

    def secrets(self):
        """Return ``{"tokens": [...], "sessions": [...]}``: every SBC token and SDM session id ever issued."""
        return self.control("GET", "/secrets")

    def arm_fault(self, **fault):
        """Arm a fault, e.g. ``arm_fault(instance="sbc1", path="*/configuration/unlock", kind="status", status=500)``."""
        self.control("POST", "/faults", json=fault)

    def clear_faults(self):
        """Disarm every fault."""
        self.control("DELETE", "/faults")

    def sbc_elements(self, element_type, inst="sbc1"):
        """Return the elements of ``element_type`` as an SBC holds them, in its order (attribute name -> text)."""
        return self.control("GET", "/sbc/%s/elements/%s" % (inst, element_type))["elements"]

    def sbc_lock_state(self, inst="sbc1"):
        """Return ``{"held": bool, "holder": {kind, user, id} or None}`` of an SBC's configuration lock."""
        return self.control("GET", "/sbc/%s/lock" % inst)

    def sdm_locks(self, inst="sdm1"):
        """Return ``{device_id: user}`` of an SDM's device locks."""
        return self.control("GET", "/sdm/%s/locks" % inst)

    def sdm_sessions(self, inst="sdm1"):
        """Return ``[{"user", "id", "idle_s"}]`` of an SDM's live sessions."""
        return self.control("GET", "/sdm/%s/sessions" % inst)

    # ----------------------------------------------------------------- lifetime

    def stop(self):
        """Stop the emulator (control ``/shutdown``, then SIGTERM, then SIGKILL) and wait for it."""
        if self.process.poll() is None:
            with contextlib.suppress(requests.RequestException, AssertionError):
                self.control("POST", "/shutdown")
            _wait_or_kill(self.process)
        self._http.close()


def _wait_or_kill(process, grace=5.0):
    """Wait up to ``grace`` seconds for ``process``; then terminate it, then kill it."""
    for action in (None, process.terminate, process.kill):
        if action is not None:
            with contextlib.suppress(ProcessLookupError):
                action()
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _read_startup_line(process, timeout, log_path):
    """Return the startup JSON the emulator prints, or raise RuntimeError with its stderr log."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            break
        ready = select.select([process.stdout], [], [], min(remaining, 0.2))[0]
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
    try:
        return json.loads(line.decode("utf-8"))
    except ValueError:
        log = pathlib.Path(log_path).read_text(encoding="utf-8", errors="replace") if log_path else ""
        raise RuntimeError("emulator did not start (exit status %s); stdout %r; stderr:\n%s" % (process.poll(), line, log)) from None


@contextlib.contextmanager
def start_emulator(workdir, *args, python=sys.executable):
    """Start ``python -m emulator`` with its CA and logs under ``workdir``; yield an Emulator; always stop it.

    ``args`` are extra command-line options (e.g. ``"--token-ttl", "3"``). The emulator also watches
    this process, and lives at most MAX_LIFETIME, so it cannot outlive a crashed test run.
    """
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "emulator.stderr.log"
    command = [python, "-m", "emulator", "--ca-dir", str(workdir / "ca"), "--state-file", str(workdir / "emulator.json"),
               "--watch-pid", str(os.getpid()), "--max-lifetime", str(MAX_LIFETIME)] + list(args)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=str(REPO_ROOT), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    emulator = None
    try:
        urls = _read_startup_line(process, STARTUP_TIMEOUT, log_path)
        emulator = Emulator(process, urls, log_path)
        yield emulator
    finally:
        if emulator is not None:
            emulator.stop()
        else:
            _wait_or_kill(process, grace=0.1)
        process.stdout.close()


# Audit events of SDM provisioning (resource config:ID): they record calls, and no lock changes hands in them.
PROVISIONING_EVENTS = ("stage", "discard", "push")


def assert_never_two_holders(events):
    """Replay audit events per (instance, resource); fail if a lock is granted while held or moved while free."""
    holders = {}
    last_seq = None
    for event in events:
        if last_seq is not None:
            assert event["seq"] > last_seq, "audit events out of order: %r after seq %d" % (event, last_seq)
        last_seq = event["seq"]
        resource = (event["instance"], event["resource"])
        current = holders.get(resource)
        kind = event["event"]
        if kind == "grant":
            assert current is None, "granted %r while %r held %s/%s" % (event["holder"], current, resource[0], resource[1])
            holders[resource] = event["holder"]
        elif kind == "move":
            assert current is not None, "lock %s/%s moved to %r while free" % (resource[0], resource[1], event["holder"])
            holders[resource] = event["holder"]
        elif kind in ("release", "expire"):
            holders[resource] = None
        elif kind in PROVISIONING_EVENTS:
            continue  # an SDM staging or push call, not a lock change
        else:
            raise AssertionError("unknown audit event %r" % (event,))
