#!/usr/bin/env bash
# Build the collection artifact and run Galaxy's importer on it, as Galaxy / Automation Hub would.
#
# galaxy-importer checks galaxy.yml and MANIFEST.json, loads every plugin's documentation with
# ansible-doc, renders the README and runs ansible-lint (production profile) on the artifact.
# .galaxy-importer.cfg turns off the part that needs a container (ansible-test in a container image).
# The importer exits 0 when it only has warnings, so this script fails on every WARNING or ERROR line.
#
# Usage: tools/importer.sh [ARTIFACT.tar.gz]   (without an argument: builds one into a temp dir)
#        IMPORTER_ANSIBLE_LINT=0 turns the importer's own ansible-lint off, for a caller that runs ansible-lint
#        with the same profile on the whole checkout anyway (tests/checks/test_ecosystem.py; docs/development.md)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/tools/bootstrap.sh"
export PATH="$ROOT/.venv/bin:$PATH"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/oracle-comms-importer.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [[ $# -ge 1 ]]; then
    ARTIFACT="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    echo "importer: ansible-galaxy collection build --output-path $WORK $ROOT" >&2
    ansible-galaxy collection build --force --output-path "$WORK" "$ROOT" >&2
    ARTIFACT="$(ls "$WORK"/oracle_comms-provisioning-*.tar.gz)"
fi

CONFIG="$ROOT/.galaxy-importer.cfg"
if [[ "${IMPORTER_ANSIBLE_LINT:-1}" == 0 ]]; then
    CONFIG="$WORK/galaxy-importer.cfg"
    sed 's/^run_ansible_lint *=.*/run_ansible_lint = False/' "$ROOT/.galaxy-importer.cfg" >"$CONFIG"
    grep -q '^run_ansible_lint = False$' "$CONFIG" || { echo "importer: cannot turn ansible-lint off in $CONFIG" >&2; exit 1; }
    echo "importer: without its own ansible-lint (IMPORTER_ANSIBLE_LINT=0)" >&2
fi

echo "importer: python -m galaxy_importer.main $(basename "$ARTIFACT")" >&2
# The importer writes importer_result.json into its working directory: keep that out of the checkout.
cd "$WORK"
set +e
GALAXY_IMPORTER_CONFIG="$CONFIG" ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp" \
    python -m galaxy_importer.main "$ARTIFACT" 2>&1 | tee "$WORK/importer.log"
status="${PIPESTATUS[0]}"
set -e

problems="$(grep -E '^(WARNING|ERROR|CRITICAL)[: ]' "$WORK/importer.log" || true)"
if [[ "$status" -ne 0 ]]; then
    echo "importer: FAILED (exit $status)" >&2
    exit 1
fi
if [[ -n "$problems" ]]; then
    echo "importer: FAILED: $(printf '%s\n' "$problems" | wc -l) warning/error line(s); Galaxy would show each of them:" >&2
    printf '%s\n' "$problems" >&2
    exit 1
fi
echo "importer: OK, no warnings" >&2
