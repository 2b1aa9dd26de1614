#!/usr/bin/env bash
# Make (or refresh) the development environment in .venv at the repository root:
#   - a virtual environment from the newest Python >= 3.12 on this machine,
#   - every package of requirements-dev.txt (all pinned),
#   - .venv/collections/ansible_collections/oracle_comms/provisioning -> the repository root,
#     so that ANSIBLE_COLLECTIONS_PATH=.venv/collections finds this checkout as the collection.
# Idempotent: when requirements-dev.txt and the interpreter are unchanged it only checks and exits.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQS="$ROOT/requirements-dev.txt"
STAMP="$VENV/.bootstrap-stamp"
MIN_MINOR=12  # ansible-core 2.21 needs Python 3.12+ on the controller

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# One bootstrap at a time (parallel test workers call the tools that call it); the lock is this file.
exec 9<"${BASH_SOURCE[0]}"
flock 9

# Prints "MINOR PATH" when $1 is a working CPython 3.MINOR >= 3.12 with venv and ensurepip.
probe_python() {
    local candidate="$1"
    "$candidate" - "$MIN_MINOR" 2>/dev/null <<'EOF' || return 1
import sys
import ensurepip, venv  # noqa: F401  (Debian splits these into python3-venv)
if sys.version_info[0] != 3 or sys.version_info[1] < int(sys.argv[1]):
    raise SystemExit(1)
print(sys.version_info[1], sys.executable)
EOF
}

find_python() {
    local best_minor=-1 best_path="" candidate line minor path
    local -a candidates=()
    for minor in 15 14 13 12; do
        candidates+=("python3.$minor")
    done
    # pyenv installs, reached directly: their shims only answer for the active version.
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    for path in "$pyenv_root"/versions/3.*/bin/python3.1[2-9]; do
        [[ -x "$path" ]] && candidates+=("$path")
    done
    candidates+=(python3)
    for candidate in "${candidates[@]}"; do
        if [[ "$candidate" != */* ]]; then
            command -v "$candidate" >/dev/null 2>&1 || continue
        fi
        line="$(probe_python "$candidate")" || continue
        minor="${line%% *}"
        path="${line#* }"
        if (( minor > best_minor )); then
            best_minor="$minor"
            best_path="$path"
        fi
    done
    [[ -n "$best_path" ]] || return 1
    printf '%s\n' "$best_path"
}

venv_is_usable() {
    [[ -x "$VENV/bin/python" ]] && probe_python "$VENV/bin/python" >/dev/null
}

if ! venv_is_usable; then
    if ! PYTHON="$(find_python)"; then
        echo "bootstrap: no Python >= 3.$MIN_MINOR with the venv module found (ansible-core 2.21 needs one): install one, e.g. 'pyenv install 3.13' or your distribution's python3.13 and python3.13-venv packages, then run 'make test' again." >&2
        exit 2
    fi
    say "creating .venv with $PYTHON ($("$PYTHON" --version 2>&1))"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

# shellcheck source=tools/pip_pinned.sh
source "$ROOT/tools/pip_pinned.sh"
pip_pinned "$VENV" "$REQS" "$STAMP"
[[ -x "$VENV/bin/ansible-test" && -x "$VENV/bin/pytest" ]] \
    || { say "installation incomplete: remove .venv and run again"; exit 1; }

# The collection, as Ansible looks for it: a relative link, so the checkout may move.
link="$VENV/collections/ansible_collections/oracle_comms/provisioning"
if [[ "$(readlink "$link" 2>/dev/null)" != "../../../.." ]]; then
    mkdir -p "$(dirname "$link")"
    rm -rf "$link"
    ln -s ../../../.. "$link"
    say "linked $link -> repository root"
fi

# etcd for the etcd lease backend's tests (a real single-node etcd on loopback, started by the tests themselves).
# Installed from the distribution as root (CI); otherwise the tests that need it fail and say how to get it.
if ! command -v etcd >/dev/null 2>&1 && [[ ! -x /usr/bin/etcd ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing etcd (Debian package etcd-server) for the etcd lease backend's tests"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null \
            || { say "apt-get install etcd-server failed"; exit 1; }
    else
        say "etcd is not installed and this is not root: the etcd lease backend's tests will fail until it is" \
            "(as root: apt-get install etcd-server, or put an etcd 3.4+ binary on PATH)"
    fi
fi
