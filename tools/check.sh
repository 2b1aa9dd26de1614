#!/usr/bin/env bash
# The edit loop's check (`make check`), in a few minutes: what most often breaks while editing, before the whole
# suite (`make test`) runs. Three jobs side by side, each with its own log, then one line per job:
#
#   units   pytest on tests/unit and tests/checks/test_layout.py (the limits every file under plugins/ meets)
#   lint    ansible-lint (production profile, .ansible-lint) on the change's YAML files, and antsibull-changelog lint
#   sanity  ansible-test sanity pep8, pylint, validate-modules and import (every module_utils file must import without
#           requests or defusedxml; 2-8 s per Python) (tools/sanity.sh) on the Python files changed since
#           the branch left its base (CHECK_BASE, else the branch's upstream, else main or origin/main) or not yet
#           committed, and on every module (a module_utils change reaches them all).
#           CHECK_ALL=1, or no base found: sanity and ansible-lint on the whole collection.
#
# Usage: tools/check.sh [extra pytest arguments for the unit tests]   (exit 0 only when every job passed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/tools/bootstrap.sh"
BIN="$ROOT/.venv/bin"
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/oracle-comms-check.XXXXXX")"

say() { printf 'check: %s\n' "$*" >&2; }

# The files of this change: committed since the base, or changed and not committed (new ones too), that still exist.
changed_files() {
    local base="" candidate
    for candidate in "${CHECK_BASE:-}" '@{upstream}' main origin/main; do
        [[ -n "$candidate" ]] || continue
        base="$(git merge-base HEAD "$candidate" 2>/dev/null)" && break
        base=""
    done
    [[ -n "$base" ]] || return 1
    say "the change: files changed since $(git rev-parse --short "$base") (where HEAD left $candidate) or not committed"
    { git diff --name-only "$base"; git ls-files --others --exclude-standard; } | sort -u \
        | while IFS= read -r f; do [[ -f "$f" ]] && printf '%s\n' "$f"; done
}

sanity_args=(--test pep8 --test pylint --test validate-modules --test import)
lint_args=()  # ansible-lint's own choice: the whole checkout
scope=all
if [[ "${CHECK_ALL:-0}" != 1 ]] && git rev-parse --is-inside-work-tree >/dev/null 2>&1 && files="$(changed_files)"; then
    scope=change
    # ansible-lint syntax-checks every play with ansible-playbook: on the whole checkout that is minutes of CPU
    mapfile -t lint_args < <(printf '%s\n' "$files" | grep -E '\.ya?ml$' | grep -vE '^(changelogs|\.github)/' || true)
    say "lint: ansible-lint on ${#lint_args[@]} changed YAML file(s)"
    # every module too: validate-modules holds a module's documentation to its argument spec, which lives in
    # module_utils, so any change may reach them (and they are five small files for pep8 and pylint)
    mapfile -t targets < <({ printf '%s\n' "$files" | grep -E '\.py$' || true; git ls-files 'plugins/modules/*.py'; } | sort -u)
    say "sanity: pep8, pylint, validate-modules and import on ${#targets[@]} file(s): the change's Python files and the modules"
    sanity_args+=("${targets[@]}")
else
    say "sanity and lint: pep8, pylint, validate-modules, import and ansible-lint on the whole collection"
fi

run_job() {  # NAME COMMAND...: in the background, output in $LOGS/NAME.log, "exit-code seconds" in $LOGS/NAME.rc
    local name="$1"
    shift
    (
        begun=$SECONDS
        set +e
        "$@" >"$LOGS/$name.log" 2>&1
        rc=$?
        printf '%s %s\n' "$rc" "$(( SECONDS - begun ))" >"$LOGS/$name.rc"
    ) &
}

# shellcheck disable=SC2329  # invoked through run_job
lint() {
    if [[ "$scope" == all ]] || (( ${#lint_args[@]} > 0 )); then
        ANSIBLE_COLLECTIONS_PATH="$ROOT/.venv/collections" "$BIN/ansible-lint" --nocolor "${lint_args[@]}" || return
    fi
    "$BIN/antsibull-changelog" lint \
        && "$BIN/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
}

started=$SECONDS
run_job units "$BIN/pytest" -p no:cacheprovider -q -n 2 tests/unit tests/checks/test_layout.py "$@"
run_job lint lint
run_job sanity "$ROOT/tools/sanity.sh" "${sanity_args[@]}"
wait

failed=0
for name in units lint sanity; do
    read -r rc seconds <"$LOGS/$name.rc"
    if (( rc == 0 )); then
        say "$name: ok (${seconds} s)"
    else
        failed=1
        say "$name: FAILED (exit $rc, ${seconds} s); the end of its log ($LOGS/$name.log):"
        grep -v "^WARNING: Location '.*' is ignored" "$LOGS/$name.log" | tail -n 60 >&2
    fi
done
say "$(( SECONDS - started )) s in all"
if (( failed == 0 )); then
    rm -rf "$LOGS"
fi
exit "$failed"
