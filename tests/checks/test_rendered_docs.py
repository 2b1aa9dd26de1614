"""The rendered documentation: tools/docs.sh (``make docs``) builds HTML pages with antsibull-docs and Sphinx.

The build treats every Sphinx warning as an error (``sphinx-build -W``) and antsibull-docs fails instead of
writing error pages (``--fail-on-error``). This test builds into a temporary directory and then reads the
pages a user would read: one per module and lookup plugin, with every option and return value as an anchor,
and one per role that has ``meta/argument_specs.yml``, with every entry point and its options.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
import re
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
COLLECTION = "oracle_comms.provisioning"
# Plugin directories whose files are one documented plugin each, and the page suffix antsibull-docs gives them.
PAGE_TYPES = {"modules": "module", "lookup": "lookup", "inventory": "inventory", "callback": "callback",
              "connection": "connection", "become": "become", "cache": "cache", "vars": "vars"}

pytestmark = pytest.mark.checks


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".venv" / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["NO_COLOR"] = "1"
    return env


def _plugins() -> dict[str, list[str]]:
    """Plugin type (ansible-doc's name) -> the collection's plugin names of that type, from plugins/."""
    found = {}
    for directory, plugin_type in PAGE_TYPES.items():
        names = sorted(p.stem for p in (ROOT / "plugins" / directory).glob("*.py")
                       if not p.name.startswith("_") and p.name != "__init__.py")
        if names:
            found[plugin_type] = names
    return found


def _roles() -> dict[str, dict]:
    """Role name -> its argument_specs (entry point -> spec), for every role that documents its arguments."""
    roles = {}
    for specs in sorted((ROOT / "roles").glob("*/meta/argument_specs.y*ml")):
        roles[specs.parents[1].name] = yaml.safe_load(specs.read_text())["argument_specs"]
    return roles


def _paths(options: dict | None, prefix: str = "") -> list[str]:
    """Every option (and suboption) as antsibull-docs names its anchor: ``group/group_id``."""
    paths = []
    for name, spec in (options or {}).items():
        paths.append(prefix + name)
        spec = spec or {}
        paths += _paths(spec.get("suboptions") or spec.get("options") or spec.get("contains"), prefix + name + "/")
    return paths


def _text(page: pathlib.Path) -> str:
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """tools/docs.sh into a temporary directory: (its output, the html directory)."""
    dest = tmp_path_factory.mktemp("docs")
    proc = subprocess.run([str(ROOT / "tools" / "docs.sh"), str(dest)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=540, check=False)
    if proc.returncode != 0:
        pytest.fail(f"tools/docs.sh exited {proc.returncode}; its output:\n{proc.stdout[-12000:]}", pytrace=False)
    return proc.stdout, dest / "html"


@pytest.mark.timeout(600)
def test_docs_build_without_warnings_and_has_every_plugin_and_role_page(built):
    output, site = built
    problems = [line for line in output.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)
                and "does not have a MANIFEST.json file" not in line]  # ansible-core's own internal collection
    assert not problems, "the docs build printed warnings or errors:\n" + "\n".join(problems)
    assert (site / "index.html").is_file()
    pages = site / "collections" / "oracle_comms" / "provisioning"
    collection_index = (pages / "index.html").read_text(encoding="utf-8")

    plugins = _plugins()
    assert "module" in plugins and {"config_lock", "device_lock"} <= set(plugins["module"]), plugins
    for plugin_type, names in plugins.items():
        fqcns = [f"{COLLECTION}.{name}" for name in names]
        proc = subprocess.run([str(VENV_BIN / "ansible-doc"), "--json", "-t", plugin_type, *fqcns], cwd=ROOT, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
        assert proc.returncode == 0, f"ansible-doc -t {plugin_type} {fqcns}:\n{proc.stderr}"
        docs = json.loads(proc.stdout)
        for name, fqcn in zip(names, fqcns):
            page = pages / f"{name}_{plugin_type}.html"
            assert page.is_file(), f"no page for the {plugin_type} {fqcn}: {sorted(p.name for p in pages.iterdir())}"
            source = page.read_text(encoding="utf-8")
            text = _text(page)
            assert f"{fqcn} {plugin_type}" in text, f"{page.name} does not name {fqcn} in its title"
            assert f'href="{page.name}#' in collection_index, f"the collection index does not link to {page.name}"
            doc = docs[fqcn]["doc"]
            short = re.sub(r"\b[A-Z]{1,3}\(([^)]*)\)", r"\1", doc["short_description"])  # C(x), O(x) are rendered as x
            assert short in text, f"{page.name} lacks the short description {short!r}"
            expected = [("parameter-" + p, p.rsplit("/", 1)[-1]) for p in _paths(doc.get("options"))]
            expected += [("return-" + p, p.rsplit("/", 1)[-1]) for p in _paths(docs[fqcn].get("return"))]
            assert expected, f"ansible-doc shows no option of {fqcn}"
            # A lookup's _terms and _raw are shown as "Terms" and "Return value": their anchors are enough.
            missing = [anchor for anchor, word in expected
                       if f'id="{anchor}"' not in source or (not word.startswith("_") and word not in text)]
            assert not missing, f"{page.name} lacks these options or return values: {missing}"

    # The options every lock task is about, by name, on the module pages.
    for module in ("config_lock", "device_lock"):
        text = _text(pages / f"{module}_module.html")
        for option in ("wait_timeout", "state", "host", "validate_certs", "lease_dir"):
            assert re.search(rf"\b{option}\b", text), f"{module}_module.html does not document {option}"

    # Every role with meta/argument_specs.yml (lock_session once it lands): a page, every entry point, every option.
    for role, entry_points in _roles().items():
        page = pages / f"{role}_role.html"
        assert page.is_file(), f"roles/{role} has meta/argument_specs.yml but no page was rendered"
        source, text = page.read_text(encoding="utf-8"), _text(page)
        assert f"{COLLECTION}.{role} role" in text, f"{page.name} does not name {COLLECTION}.{role}"
        assert f'href="{page.name}#' in collection_index, f"the collection index does not link to {page.name}"
        for entry_point, spec in entry_points.items():
            assert f"Entry point {entry_point}" in text, f"{page.name} lacks the entry point {entry_point}"
            missing = [p for p in _paths(spec.get("options"))
                       if f'id="parameter-{entry_point}--{p}"' not in source or p.rsplit("/", 1)[-1] not in text]
            assert not missing, f"{page.name}, entry point {entry_point}, lacks these options: {missing}"
