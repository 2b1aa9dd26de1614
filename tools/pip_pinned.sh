# Sourced by tools/bootstrap.sh and tools/compat.sh: install a pinned requirements file into a venv once,
# and again only when the file or the venv's Python changes (a stamp file records both).
# Needs `say` from the caller. Usage: pip_pinned VENV REQUIREMENTS STAMP
# shellcheck shell=bash

pip_pinned() {
    local venv="$1" reqs="$2" stamp="$3" wanted status
    wanted="$(sha256sum "$reqs" | cut -d' ' -f1) $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])')"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        say "$venv is up to date ($("$venv/bin/python" --version 2>&1), $(basename "$reqs") unchanged)"
        return 0
    fi
    say "installing $(basename "$reqs") into $venv (pip's own index settings apply)"
    rm -f "$stamp"
    # The local index mirrors print one harmless "Location ... is ignored" line per missing name.
    set +e
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$reqs" 2>&1 \
        | grep -v "^WARNING: Location '.*' is ignored" >&2
    status="${PIPESTATUS[0]}"
    set -e
    (( status == 0 )) || { say "pip install failed (exit $status)"; exit 1; }
    "$venv/bin/python" -m pip check >/dev/null \
        || { "$venv/bin/python" -m pip check >&2; say "pip check failed"; exit 1; }
    printf '%s\n' "$wanted" > "$stamp"
    say "installed $(grep -cE '^[A-Za-z0-9_.-]+==' "$reqs") pinned packages"
}
