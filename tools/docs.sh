#!/usr/bin/env bash
# Render the collection's documentation (every module, plugin and role page) as HTML with
# antsibull-docs and Sphinx, the way docs.ansible.com renders a collection, offline.
#
#   1. `antsibull-docs sphinx-init --use-current` writes a Sphinx site for oracle_comms.provisioning
#      (conf.py, rst/index.rst); the theme is alabaster, the one Sphinx ships.
#   2. `antsibull-docs collection --use-current --fail-on-error` turns the plugin and role docs into rst/,
#      reading this checkout through .venv/collections (the link tools/bootstrap.sh makes).
#   3. `sphinx-build -W --keep-going` makes the HTML: every Sphinx warning fails the build.
#
# The pages link to a few pages of Ansible's own docs (common return values, action plugins,
# configuration settings). Sphinx resolves those through an intersphinx inventory of docs.ansible.com,
# which this network cannot fetch, so the script writes a small local inventory of exactly those
# labels (ANSIBLE_LABELS below). A new label shows up as "undefined label" and fails the build: add it there.
#
# Usage: tools/docs.sh [DEST]   (default build/docs; the pages are DEST/html/, start at DEST/html/index.html)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/tools/bootstrap.sh"
BIN="$ROOT/.venv/bin"
COLLECTION="oracle_comms.provisioning"
DEST="${1:-$ROOT/build/docs}"
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"
SITE="$DEST/site"

export PATH="$BIN:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.venv/collections"
export ANSIBLE_NOCOLOR=1
export ANSIBLE_LOCAL_TEMP="$DEST/ansible-tmp"
trap 'rm -rf "$ANSIBLE_LOCAL_TEMP"' EXIT

# 1. The Sphinx site. antsibull-docs wants its directories owned by us and writable by nobody else.
rm -rf "$SITE" "$DEST/html" "$DEST/doctrees" "$DEST/ansible-tmp"
mkdir -p "$SITE"
chmod 0755 "$SITE"
version="$(sed -n 's/^version: *//p' "$ROOT/galaxy.yml")"
echo "docs: antsibull-docs sphinx-init --use-current $COLLECTION ($version)" >&2
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$SITE" \
    --sphinx-theme alabaster \
    --project "$COLLECTION" --copyright "Oracle Communications provisioning collection contributors" \
    --title "Oracle Communications Provisioning Collection $version" --html-short-title "$COLLECTION" \
    "$COLLECTION" >/dev/null

# Ansible's docs, as far as our pages point into them: (label, page#anchor, title).
ANSIBLE_DOCS="https://docs.ansible.com/projects/ansible/devel/"
"$BIN/python" - "$SITE/ansible_devel.inv" <<'EOF'
import sys, zlib
ANSIBLE_LABELS = [
    ("action_plugins", "plugins/action.html#action-plugins", "Action plugins"),
    ("ansible_configuration_settings", "reference_appendices/config.html#ansible-configuration-settings",
     "Ansible Configuration Settings"),
    ("common_return_values", "reference_appendices/common_return_values.html#common-return-values",
     "Return Values"),
]
body = "".join(f"{name} std:label -1 {uri} {title}\n" for name, uri, title in ANSIBLE_LABELS)
with open(sys.argv[1], "wb") as out:
    out.write(b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
              b"# The remainder of this file is compressed using zlib.\n")
    out.write(zlib.compress(body.encode()))
EOF
# Replace the generated mapping (python, jinja2, ansible_devel; all fetched over the network) by the local one.
cat >>"$SITE/conf.py" <<EOF

# Added by tools/docs.sh: offline, only Ansible's own docs, from a local inventory of the labels we use.
intersphinx_mapping = {
    'ansible_devel': ('$ANSIBLE_DOCS', '$SITE/ansible_devel.inv'),
}
EOF

# 2. The collection's pages as reStructuredText.
echo "docs: antsibull-docs collection --use-current --fail-on-error $COLLECTION" >&2
mkdir -p "$SITE/rst"
chmod og-w "$SITE/rst"
(cd "$SITE" && antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything \
    --fail-on-error --use-current --dest-dir rst "$COLLECTION")

# 3. HTML; any warning is an error (-W), and all of them are reported (--keep-going).
echo "docs: sphinx-build -M html -W --keep-going" >&2
sphinx-build -M html "$SITE/rst" "$DEST" -c "$SITE" -W --keep-going -q
[[ -f "$DEST/html/index.html" ]] || { echo "docs: $DEST/html/index.html was not written" >&2; exit 1; }
echo "docs: OK, open $DEST/html/index.html" >&2
