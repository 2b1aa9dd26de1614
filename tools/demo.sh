#!/usr/bin/env bash
# The demo: start the emulator, run examples/demo.yml against it with this checkout as the collection,
# then show the emulator's audit log (every lock granted, released, expired or moved) as a table.
#
# Usage: tools/demo.sh [extra ansible-playbook arguments, e.g. -v]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/tools/bootstrap.sh"
PY="$ROOT/.venv/bin/python"
PLAYBOOK="$ROOT/examples/demo.yml"
[[ -f "$PLAYBOOK" ]] || { echo "demo: $PLAYBOOK is missing" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/oracle-comms-demo.XXXXXX")"
EMULATOR_PID=""
# shellcheck disable=SC2329  # invoked by the EXIT trap below
stop_emulator() {
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill -TERM "$EMULATOR_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$EMULATOR_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$EMULATOR_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap stop_emulator EXIT

# 1. The emulator: it prints one JSON line on stdout once every listener is up, and exits by itself
#    when this script is gone (--watch-pid) or after ten minutes at the latest.
echo "demo: starting the emulator (python -m emulator)" >&2
(cd "$ROOT" && exec "$PY" -m emulator --ca-dir "$WORK/ca" --port 0 --max-lifetime 600 --watch-pid $$ \
    >"$WORK/emulator.json" 2>"$WORK/emulator.log") &
EMULATOR_PID=$!
for _ in $(seq 300); do
    [[ -s "$WORK/emulator.json" ]] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ ! -s "$WORK/emulator.json" ]]; then
    echo "demo: the emulator did not start; its log:" >&2
    cat "$WORK/emulator.log" >&2
    exit 1
fi

# 2. Where it listens, as the modules' environment variables.
eval "$("$PY" - "$WORK/emulator.json" <<'EOF'
import json, shlex, sys
with open(sys.argv[1]) as f:
    info = json.loads(f.readline())
values = {
    "SBC_HOST": next(iter(info["sbc"].values())),
    "SBC_USERNAME": "admin",
    "SBC_PASSWORD": "admin-secret-1",
    "SBC_CA_PATH": info["ca_cert"],
    "SDM_HOST": next(iter(info["sdm"].values())),
    "SDM_USERNAME": "prov1",
    "SDM_PASSWORD": "prov1-secret",
    "SDM_CA_PATH": info["ca_cert"],
    "EMULATOR_CONTROL": info["control"],
}
for name, value in values.items():
    print(f"export {name}={shlex.quote(value)}")
EOF
)"
echo "demo: emulator up: SBC $SBC_HOST, SDM $SDM_HOST, control $EMULATOR_CONTROL" >&2

# 3. The play, with this checkout as oracle_comms.provisioning.
echo "demo: ansible-playbook examples/demo.yml" >&2
set +e
# Modules that run on "localhost" (uri) use this venv's Python; leases live in the demo's own directory.
(cd "$ROOT" && ANSIBLE_COLLECTIONS_PATH="$ROOT/.venv/collections" ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}" \
    ANSIBLE_PYTHON_INTERPRETER="$PY" ORACLE_COMMS_LEASE_DIR="$WORK/leases" \
    "$ROOT/.venv/bin/ansible-playbook" -i localhost, -c local "$PLAYBOOK" "$@")
play_status=$?
set -e

# 4. What the emulator saw.
echo
echo "Audit log of the emulator (GET $EMULATOR_CONTROL/audit):"
"$PY" - "$EMULATOR_CONTROL" <<'EOF'
import datetime, json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/audit", timeout=10) as answer:
    events = json.load(answer)["events"]
if not events:
    print("  (no lock events)")
    raise SystemExit(0)

def when(ts):
    try:
        return datetime.datetime.fromtimestamp(float(ts)).strftime("%H:%M:%S.%f")[:-3]
    except (TypeError, ValueError):
        return str(ts)

def holder(h):
    if not h:
        return "-"
    text = f"{h.get('user') or '?'} ({h.get('kind') or '?'})"
    return text + (f" #{h['id'][:8]}" if h.get("id") else "")

head = ("seq", "time", "instance", "resource", "event", "holder", "cause")
rows = [(str(e.get("seq", "")), when(e.get("ts")), str(e.get("instance", "")), str(e.get("resource", "")),
         str(e.get("event", "")), holder(e.get("holder")), str(e.get("cause") or "")) for e in events]
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
line = "  ".join
print(line(h.ljust(w) for h, w in zip(head, widths)))
print(line("-" * w for w in widths))
for row in rows:
    print(line(c.ljust(w) for c, w in zip(row, widths)))
EOF

if (( play_status != 0 )); then
    echo "demo: ansible-playbook failed (exit $play_status)" >&2
fi
exit "$play_status"
