#!/usr/bin/env bash
# The whole suite in one pytest run (`make test` and .ci/run): emulator conformance, unit,
# integration and the ecosystem checks under tests/. Assumes tools/bootstrap.sh has run.
# pytest-xdist with work stealing: each worker gets one contiguous part of the tests, and tests/conftest.py
# puts the longest ones (the checks, the oldest-core run, ...) at the heads of those parts, spread over the
# workers, so that they start at once, side by side, while the rest is shared and stolen around them.
#
# Two workers per core (at most 8): most tests wait on the emulator's sockets and timers, not on
# the CPU, so on 2 cores 4 workers finish the suite in about two thirds of the time 2 workers take
# (docs/development.md, Timings).
#
# Usage: tools/test.sh [pytest arguments]   (PYTEST_WORKERS=N sets the worker count; 0 = no xdist;
#        CPU_REPORT=DIR writes each test's CPU seconds there)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
workers="${PYTEST_WORKERS:-}"
if [[ -z "$workers" ]]; then
    cores="$(nproc 2>/dev/null || echo 2)"
    workers=$(( cores * 2 > 8 ? 8 : cores * 2 ))
fi
# CPU_REPORT=DIR: also measure the CPU each test costs (tests/cpu_report.py; `python -m tests.cpu_report DIR` prints it)
report=()
if [[ -n "${CPU_REPORT:-}" ]]; then
    report=(-p tests.cpu_report)
fi
exec "$ROOT/.venv/bin/pytest" -n "$workers" --dist worksteal "${report[@]}" "$@"
