#!/usr/bin/env bash
# `ansible-test sanity` on a clean copy of this checkout, offline (tools/ansible_test.sh says how).
# Usage: tools/sanity.sh [extra ansible-test sanity arguments, e.g. --test pep8]
exec "$(dirname "${BASH_SOURCE[0]}")/ansible_test.sh" sanity "$@"
