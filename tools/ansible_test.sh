#!/usr/bin/env bash
# Run `ansible-test sanity` or `ansible-test units` on this checkout, offline.
#
# ansible-test wants the collection at .../ansible_collections/oracle_comms/provisioning and looks at
# every file there, so we copy what git would ship (tracked + untracked-not-ignored files) into a
# temporary tree of that shape and run it there: .venv, caches and build output never reach it.
#
# ansible-test builds one virtual environment per sanity test (pylint, validate-modules, ...), and
# bootstraps pip in each from a script it downloads from a host this machine cannot reach. We put an
# equivalent script in its cache (~/.ansible/test/cache/get_pip_<version>.py) that installs the
# pip wheel of the same version from PyPI; the packages themselves come through pip's own settings.
#
# Usage: tools/ansible_test.sh sanity|units [extra ansible-test arguments, e.g. --test pep8]
set -euo pipefail
COMMAND="${1:?usage: tools/ansible_test.sh sanity|units [ansible-test arguments]}"
shift
case "$COMMAND" in sanity|units) ;; *) echo "ansible_test: sanity or units, not $COMMAND" >&2; exit 2 ;; esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/tools/bootstrap.sh"
PY="$ROOT/.venv/bin/python"
PY_VERSION="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# 1. The pip bootstrap script ansible-test would download.
"$PY" - <<'EOF'
import pathlib, re, subprocess, sys
import ansible_test

source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
match = re.search(r"""\bpip=['"]([0-9][^'"]*)['"]""", source.read_text())
if not match:
    sys.exit(f"ansible-test: cannot find the pip version ansible-test wants in {source}")
version = match.group(1)
cache = pathlib.Path.home() / ".ansible" / "test" / "cache"
cache.mkdir(parents=True, exist_ok=True)
wheel = cache / f"pip-{version}-py3-none-any.whl"
if not wheel.is_file():
    print(f"ansible-test: fetching the pip {version} wheel for ansible-test's virtual environments", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--only-binary=:all:", f"pip=={version}", "-d", str(cache)], check=True)
if not wheel.is_file():
    sys.exit(f"ansible-test: pip download did not produce {wheel}")
script = f'''\
# Written by tools/sanity.sh of oracle_comms.provisioning: stands in for
# https://ci-files.testing.ansible.com/ansible-test/get-pip-{version}.py, which is out of reach here.
# Called as: python get_pip.py [pip options] pip=={version} [--no-setuptools] [--no-wheel]
import sys
WHEEL = {str(wheel)!r}
sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
args = [WHEEL if a.startswith("pip==") else a for a in args]
sys.exit(main(["install"] + args))
'''
target = cache / f"get_pip_{version.replace('.', '_')}.py"
if not target.is_file() or target.read_text() != script:
    target.write_text(script)
    print(f"ansible-test: wrote {target}", file=sys.stderr)
EOF

# 2. The collection as ansible-test expects to find it.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/oracle-comms-ansible-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
COLL="$WORK/ansible_collections/oracle_comms/provisioning"
mkdir -p "$COLL"
(
    cd "$ROOT"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done \
            | xargs -0 -r cp --parents -P -t "$COLL"
    else
        # Not a git checkout (an installed collection, an unpacked artifact): all but local state.
        tar -c --exclude=./.venv --exclude=./build --exclude=./tests/output --exclude=__pycache__ \
            --exclude=.pytest_cache --exclude='./*.tar.gz' . | tar -x -C "$COLL"
    fi
)
echo "ansible-test: $(find "$COLL" -type f | wc -l) files copied to $COLL" >&2

# 3. Every other Python a module may meet on a managed host (tests/config.yml: >= 3.9), so that the
#    compile and import tests run on each of them. pyenv's shims only answer for the active version,
#    so link the interpreters themselves. A version not found here is skipped with a warning.
mkdir -p "$WORK/bin"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for minor in 9 10 11 12 13 14; do
    version="3.$minor"
    [[ "$version" == "$PY_VERSION" ]] && continue  # the controller's own: our .venv
    for candidate in "$pyenv_root"/versions/"$version".*/bin/python"$version" "$(command -v "python$version" || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
            ln -sf "$candidate" "$WORK/bin/python$version"
            break
        fi
    done
done
found="$(find "$WORK/bin" -mindepth 1 -printf '%f ')"
echo "ansible-test: target Pythons besides the controller's $PY_VERSION: ${found:-none}" >&2

# 4. Run it. --local: the controller is our .venv; each test's own requirements go to its own venv.
cd "$COLL"
unset ANSIBLE_COLLECTIONS_PATH  # the copy is the collection under test, not .venv's link to the checkout
echo "ansible-test: ansible-test $COMMAND --local $*" >&2
PATH="$WORK/bin:$ROOT/.venv/bin:$PATH" "$ROOT/.venv/bin/ansible-test" "$COMMAND" --local --color no "$@"
