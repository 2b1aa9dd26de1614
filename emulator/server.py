"""Listeners, TLS and lifetime: one process, one event loop, one port per instance plus the control port."""

import asyncio
import ipaddress
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import tempfile
import time

from aiohttp import web

from . import control
from .rest import make_middleware
from .sbc import SbcInstance
from .sdm import SdmInstance
from .state import Hub, log

DEFAULT_SANS = ("127.0.0.1", "localhost", "::1")
HOUSEKEEPING_INTERVAL = 0.5  # seconds between reaper runs and watch-pid / lifetime checks
BACKLOG = 1024  # many clients connect at once in the benchmarks
KEEPALIVE_TIMEOUT = 75.0


def is_loopback(address):
    """True for ``localhost`` and loopback IP addresses."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _write_file(path, data, mode):
    """Write ``data`` to ``path`` atomically (temp file + rename) with permission ``mode``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def make_tls(ca_dir, sans):
    """Create a CA (written to ``ca_dir/ca.pem``) and a server TLS context whose cert covers ``sans``."""
    import trustme  # imported here so --help works without it

    ca = trustme.CA(organization_name="oracle_comms.provisioning emulator")
    cert = ca.issue_cert(*sans, common_name="oracle-comms-emulator")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)  # the key never touches the disk
    ca_path = os.path.join(ca_dir, "ca.pem")
    _write_file(ca_path, ca.cert_pem.bytes(), 0o644)
    return context, ca_path


def bind_socket(host, port):
    """Return a listening-ready TCP socket bound to ``host:port`` (IPv4 or IPv6)."""
    family, _type, _proto, _canonname, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def url(scheme, sock):
    """Return ``scheme://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return "%s://%s:%d" % (scheme, "[%s]" % host if ":" in host else host, port)


def raise_fd_limit():
    """Lift the soft open-files limit to the hard one: hundreds of keep-alive clients need descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            pass


def pid_alive(pid):
    """True while process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


class PortPlan:
    """Hands out ports: all 0 (the system picks), or consecutive from a base port."""

    def __init__(self, base):
        self.next = base

    def take(self):
        """Return the next port to bind."""
        if not self.next:
            return 0
        port, self.next = self.next, self.next + 1
        return port


async def _start_runner(app, sites):
    """Start ``app`` on ``sites`` = [(socket, ssl_context or None)]; return the runner."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None, keepalive_timeout=KEEPALIVE_TIMEOUT, shutdown_timeout=2.0)
    await runner.setup()
    for sock, context in sites:
        await web.SockSite(runner, sock, ssl_context=context, backlog=BACKLOG).start()
    return runner


def _product_app(instance, hub):
    app = web.Application(middlewares=[make_middleware(instance, hub)], client_max_size=1024 * 1024)
    app.add_routes(instance.routes())
    return app


async def _housekeeping(hub, options, started):
    """Expire tokens and sessions without traffic; stop at --max-lifetime or when --watch-pid is gone."""
    while not hub.stop_requested.is_set():
        try:
            await asyncio.wait_for(hub.stop_requested.wait(), HOUSEKEEPING_INTERVAL)
        except asyncio.TimeoutError:
            pass
        now = time.monotonic()
        for inst in hub.instances.values():
            inst.tick(now)
        if options.max_lifetime and now - started >= options.max_lifetime:
            log("max lifetime of %gs reached, stopping" % options.max_lifetime)
            hub.request_stop()
        if options.watch_pid and not pid_alive(options.watch_pid):
            log("watched process %d is gone, stopping" % options.watch_pid)
            hub.request_stop()


async def serve(options, config):
    """Run the emulator until it is told to stop; return the process exit status."""
    started = time.monotonic()
    raise_fd_limit()
    hub = Hub(options.audit_log)
    hub.stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, hub.request_stop)

    sans = list(DEFAULT_SANS) + [s for s in options.san if s not in DEFAULT_SANS]
    if options.bind not in sans:
        sans.append(options.bind)
    tls, ca_path = make_tls(options.ca_dir, sans)

    for n in range(1, options.sbc_instances + 1):
        hub.instances["sbc%d" % n] = SbcInstance("sbc%d" % n, config, hub)
    for n in range(1, options.sdm_instances + 1):
        hub.instances["sdm%d" % n] = SdmInstance("sdm%d" % n, config, hub)

    ports = PortPlan(options.port)
    info = {"sbc": {}, "sdm": {}}
    runners = []
    try:
        plain = {}
        sockets = {}
        for name, inst in hub.instances.items():
            sockets[name] = bind_socket(options.bind, ports.take())
            info[inst.product][name] = url("https", sockets[name])
        control_sock = bind_socket("127.0.0.1", ports.take())
        for name, inst in hub.instances.items():
            if (inst.product == "sbc" and options.sbc_http) or (inst.product == "sdm" and options.sdm_http):
                plain[name] = bind_socket(options.bind, ports.take())
                info.setdefault(inst.product + "_http", {})[name] = url("http", plain[name])
        for name, inst in hub.instances.items():
            sites = [(sockets[name], tls)] + ([(plain[name], None)] if name in plain else [])
            runners.append(await _start_runner(_product_app(inst, hub), sites))
        runners.append(await _start_runner(control.make_app(hub), [(control_sock, None)]))
    except OSError as exc:
        log("cannot listen on %s: %s" % (options.bind, exc.strerror or exc))
        for runner in runners:
            await runner.cleanup()
        return 1

    info.update(control=url("http", control_sock), ca_cert=ca_path, pid=os.getpid())
    line = json.dumps(info)
    if options.state_file:
        _write_file(options.state_file, (line + "\n").encode(), 0o600)
    print(line, flush=True)

    await _housekeeping(hub, options, started)
    for runner in runners:
        await runner.cleanup()
    hub.audit.close()
    return 0


def prepare_ca_dir(path):
    """Return ``(ca_dir, remove_at_exit)``: the given directory (created 0700) or a fresh private temp dir."""
    if not path:
        return tempfile.mkdtemp(prefix="oracle-comms-emulator-"), True
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700)
        os.chmod(path, 0o700)  # makedirs' mode is filtered by the umask
    return path, False


def run(options, config):
    """Run the emulator in a fresh event loop; clean up a temporary CA directory afterwards."""
    options.ca_dir, remove = prepare_ca_dir(options.ca_dir)
    try:
        return asyncio.run(serve(options, config))
    finally:
        if remove:
            shutil.rmtree(options.ca_dir, ignore_errors=True)
