#!/usr/bin/env bash
# `ansible-test units` on a clean copy of this checkout, offline (tools/ansible_test.sh says how): the unit
# tests under tests/unit/ as ansible-test runs them, on the controller's Python.
# Usage: tools/units.sh [extra ansible-test units arguments]
exec "$(dirname "${BASH_SOURCE[0]}")/ansible_test.sh" units "$@"
