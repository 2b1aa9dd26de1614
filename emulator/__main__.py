"""Command line of the emulator: ``python -m emulator --help`` (docs/emulator.md, "Command line")."""

import argparse
import sys

from .config import Config, ConfigError, load_file


def parse_args(argv):
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Offline HTTPS emulator of the Oracle SBC configuration lock and SDM device lock REST APIs.")
    parser.add_argument("--config", help="YAML or JSON file: users, devices, versions, token TTL, switches")
    parser.add_argument("--bind", default="127.0.0.1", help="address of the SBC/SDM listeners (default 127.0.0.1)")
    parser.add_argument("--allow-non-loopback", action="store_true", help="allow --bind to a non-loopback address")
    parser.add_argument("--port", type=int, default=0, help="base port; 0 = every listener picks a free port")
    parser.add_argument("--sbc-instances", type=int, default=1, metavar="N", help="number of SBCs (sbc1, sbc2, ...)")
    parser.add_argument("--sdm-instances", type=int, default=1, metavar="N", help="number of SDMs (sdm1, ...)")
    parser.add_argument("--devices", type=int, metavar="N", help="generate N SDM devices instead of the default set")
    parser.add_argument("--ca-dir", help="directory for ca.pem (created 0700); default a temporary directory")
    parser.add_argument("--state-file", help="also write the startup JSON line here (0600)")
    parser.add_argument("--audit-log", help="append every audit event to this file as a JSON line")
    parser.add_argument("--token-ttl", type=float, metavar="S", help="SBC token lifetime in seconds (default 600)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="switches",
                        help="set a switch, e.g. sbc.relock_same_token=423 (repeatable)")
    parser.add_argument("--sdm-http", action="store_true", help="also serve each SDM over plain HTTP")
    parser.add_argument("--sbc-http", action="store_true", help="also serve each SBC over plain HTTP (answers 426)")
    parser.add_argument("--max-lifetime", type=float, default=3600, metavar="S", help="exit after S seconds (0 = never)")
    parser.add_argument("--watch-pid", type=int, metavar="PID", help="exit as soon as process PID is gone")
    parser.add_argument("--san", action="append", default=[], metavar="NAME", help="extra subject alt name (repeatable)")
    options = parser.parse_args(argv)
    if options.sbc_instances < 0 or options.sdm_instances < 0 or options.sbc_instances + options.sdm_instances == 0:
        parser.error("--sbc-instances and --sdm-instances must not be negative, and not both 0")
    if options.devices is not None and options.devices < 1:
        parser.error("--devices must be at least 1")
    if not 0 <= options.port <= 65535 or options.max_lifetime < 0:
        parser.error("--port must be 0-65535 and --max-lifetime not negative")
    return parser, options


def main(argv=None):
    """Parse the command line, load the configuration and serve; return the exit status."""
    from .server import is_loopback, run

    parser, options = parse_args(sys.argv[1:] if argv is None else argv)
    if not is_loopback(options.bind) and not options.allow_non_loopback:
        parser.error("--bind %s is not a loopback address; add --allow-non-loopback to really expose the emulator" % options.bind)
    switch_values = {}
    for item in options.switches:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error("--set needs KEY=VALUE, got %r" % item)
        switch_values[key.strip()] = value
    try:
        data = load_file(options.config) if options.config else None
        config = Config(data, token_ttl=options.token_ttl, devices=options.devices, switch_values=switch_values)
    except ConfigError as exc:
        parser.error(str(exc))
    return run(options, config)


if __name__ == "__main__":
    sys.exit(main())
