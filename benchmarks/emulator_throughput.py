"""Requests per second the emulator serves for SBC lock/unlock cycles at 1, 50 and 200 concurrent clients.

Each client is its own aiohttp session with exactly one keep-alive HTTPS connection and its own token;
it repeats ``configuration/lock`` then ``configuration/unlock`` (204, or 423 while another client holds
the lock) for a fixed time. Anything else (other statuses, connection errors) is an error and makes the
run fail. Usage, from the collection root::

    python benchmarks/emulator_throughput.py [--seconds 5] [--levels 1,50,200]

The emulator is started for the run (tests/emulator_harness.py) and stopped afterwards. Client and
server share the machine, so req/s is a floor for the server alone; "server CPU/request" (the
emulator's own CPU time per request, from /proc) is the figure that does not depend on the client.
"""

import argparse
import asyncio
import base64
import os
import pathlib
import re
import ssl
import statistics
import sys
import tempfile
import time

import aiohttp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))

from emulator_harness import start_emulator  # noqa: E402  (needs the path above)

BASIC = "Basic " + base64.b64encode(b"admin:admin-secret-1").decode()
EXPECTED = (204, 423)


class Level:
    """What one concurrency level measured."""

    def __init__(self, clients):
        self.clients = clients
        self.requests = 0
        self.cycles = 0
        self.statuses = {}
        self.errors = []
        self.latencies = []
        self.connections = 0
        self.elapsed = 0.0
        self.server_cpu = None  # CPU seconds the emulator process used during the level, when known


async def _client(base, context, level, start, stop_at, trace):
    """One client: one connection, one token, lock/unlock cycles from ``start`` until ``stop_at``."""
    connector = aiohttp.TCPConnector(ssl=context, limit=1, force_close=False)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as session:
        async with session.post(base + "/auth/token", headers={"Authorization": BASIC}) as response:
            token = re.search(r"<accessToken>([^<]+)<", await response.text()).group(1)
        headers = {"Authorization": "Bearer " + token}
        await start.wait()
        while time.monotonic() < stop_at[0]:
            for path in ("/configuration/lock", "/configuration/unlock"):
                sent = time.monotonic()
                try:
                    async with session.post(base + path, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    level.errors.append(repr(exc))
                    continue
                level.latencies.append(time.monotonic() - sent)
                level.requests += 1
                level.statuses[status] = level.statuses.get(status, 0) + 1
                if status not in EXPECTED:
                    level.errors.append("HTTP %d on %s" % (status, path))
            level.cycles += 1


async def run_level(sbc_url, ca_cert, clients, seconds, server_pid=None):
    """Run ``clients`` concurrent clients for ``seconds`` after all are connected; return a Level."""
    level = Level(clients)
    context = ssl.create_default_context(cafile=ca_cert)
    trace = aiohttp.TraceConfig()

    async def on_connection(session, ctx, params):
        level.connections += 1

    trace.on_connection_create_end.append(on_connection)
    start = asyncio.Event()
    stop_at = [float("inf")]
    tasks = [asyncio.create_task(_client(sbc_url + "/rest/v1.2", context, level, start, stop_at, trace)) for _client_no in range(clients)]
    # start measuring once every client holds its token and its connection
    while level.connections < clients and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    cpu_before = process_cpu_seconds(server_pid) if server_pid else None
    began = time.monotonic()
    stop_at[0] = began + seconds
    start.set()
    await asyncio.gather(*tasks)
    level.elapsed = time.monotonic() - began
    cpu_after = process_cpu_seconds(server_pid) if server_pid else None
    if cpu_before is not None and cpu_after is not None:
        level.server_cpu = cpu_after - cpu_before
    return level


def process_cpu_seconds(pid):
    """Return user+system CPU seconds of process ``pid`` (Linux /proc), or None where unavailable."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(levels):
    """Print the results as a table."""
    print("| clients | connections | requests | req/s | cycles/s | p50 ms | p99 ms | 204 | 423 | errors | server CPU/request |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lv in levels:
        lat = sorted(lv.latencies) or [0.0]
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        cpu = "%.0f us" % (lv.server_cpu / lv.requests * 1e6) if lv.server_cpu is not None and lv.requests else "n/a"
        print("| %d | %d | %d | %.0f | %.0f | %.1f | %.1f | %d | %d | %d | %s |" % (
            lv.clients, lv.connections, lv.requests, lv.requests / lv.elapsed, lv.cycles / lv.elapsed,
            statistics.median(lat) * 1000, p99 * 1000, lv.statuses.get(204, 0), lv.statuses.get(423, 0), len(lv.errors), cpu))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per level (default 5)")
    parser.add_argument("--levels", default="1,50,200", help="comma-separated client counts (default 1,50,200)")
    parser.add_argument("--sbc-url", help="use this running SBC (https://host:port) instead of starting an emulator")
    parser.add_argument("--ca-cert", help="the CA file of --sbc-url")
    options = parser.parse_args()
    levels = [int(n) for n in options.levels.split(",")]
    if options.sbc_url:
        results = [asyncio.run(run_level(options.sbc_url, options.ca_cert, clients, options.seconds)) for clients in levels]
    else:
        results = []
        with tempfile.TemporaryDirectory(prefix="emulator-bench-") as workdir:
            with start_emulator(workdir, "--sdm-instances", "0") as emu:
                for clients in levels:
                    emu.reset()
                    results.append(asyncio.run(run_level(emu.sbc_url(), emu.ca_cert, clients, options.seconds, emu.urls["pid"])))
    report(results)
    errors = [e for lv in results for e in lv.errors]
    if errors:
        print("errors (first 5): %s" % "; ".join(errors[:5]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
