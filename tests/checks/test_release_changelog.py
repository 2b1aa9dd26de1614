"""The release's changelog, rehearsed: ``antsibull-changelog release`` on a copy of the collection.

``make changelog`` runs the same command on the checkout at release time; it consumes
changelogs/fragments/ (``keep_fragments: false``), so here it runs on a temporary copy of what it reads:
galaxy.yml (the version), changelogs/ (config, changelog.yaml, fragments) and the collection's content,
whose plugin and role docs it reads with ansible-doc for the "New Modules / Plugins / Roles" sections.
The result must hold every fragment's every entry, in changelogs/changelog.yaml and in CHANGELOG.md,
and pass ``antsibull-changelog lint-changelog-yaml``.
"""

from __future__ import annotations

import html
import os
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
COLLECTION = "oracle_comms.provisioning"
# What antsibull-changelog reads: the version, its own files, and the content whose docs it lists as new.
COPIED = ("galaxy.yml", "README.md", "meta", "plugins", "roles", "changelogs")

pytestmark = pytest.mark.checks


def _run(*cmd: str | os.PathLike, cwd: pathlib.Path, collections: pathlib.Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    # Only the copy is the collection: nothing installed, not the .venv link to the checkout.
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_LOCAL_TEMP"] = str(collections / "ansible-tmp")
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=240, check=False)


def _plain(text: str) -> str:
    """Text without markup, for comparing a fragment's rst with the rendered Markdown."""
    text = re.sub(r"<[^>]+>", "", text)          # <code>x</code>, <a id=...></a>
    text = re.sub(r"\\(.)", r"\1", text)          # Markdown escapes: v0\.1\.0
    text = text.replace("``", "")                 # rst literals: ``x``
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _version_added(path: pathlib.Path) -> str | None:
    match = re.search(r"^version_added: *['\"]?([^'\"\s]+)", path.read_text(encoding="utf-8"), flags=re.M)
    return match.group(1) if match else None


@pytest.mark.timeout(300)
def test_release_changelog_holds_every_fragment(tmp_path):
    collections = tmp_path / "collections"
    collections.mkdir()
    copy = tmp_path / "provisioning"
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", ".plugin-cache.yaml"))
        else:
            copy.mkdir(exist_ok=True)
            shutil.copy2(source, copy / name)

    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    config = yaml.safe_load((ROOT / "changelogs" / "config.yaml").read_text())
    outputs = {entry["file"]: entry["format"] for entry in config.get("output") or []}
    assert outputs.get("CHANGELOG.md") == "md", f"changelogs/config.yaml must write CHANGELOG.md as Markdown: {outputs}"
    section_titles = dict(config["sections"])

    fragments = sorted(p for p in (ROOT / "changelogs" / "fragments").iterdir()
                       if p.suffix in (".yml", ".yaml") and not p.name.startswith("."))
    assert fragments, "changelogs/fragments/ is empty: a release would have nothing to say"
    entries = []  # (fragment, section, text)
    for fragment in fragments:
        for section, items in (yaml.safe_load(fragment.read_text()) or {}).items():
            if section == config.get("trivial_section_name", "trivial"):
                continue
            for item in [items] if isinstance(items, str) else items:
                entries.append((fragment.name, section, item))
    assert entries, "no fragment has a changelog entry"

    lint = _run("antsibull-changelog", "lint", cwd=copy, collections=collections)
    assert lint.returncode == 0, f"antsibull-changelog lint:\n{lint.stdout}"
    release = _run("antsibull-changelog", "release", "--version", version, cwd=copy, collections=collections)
    assert release.returncode == 0, f"antsibull-changelog release --version {version} exited {release.returncode}:\n{release.stdout}"

    changelog_yaml = copy / "changelogs" / "changelog.yaml"
    changelog_md = copy / "CHANGELOG.md"
    assert changelog_md.is_file(), f"no CHANGELOG.md after the release; antsibull-changelog said:\n{release.stdout}"
    lint_yaml = _run("antsibull-changelog", "lint-changelog-yaml", changelog_yaml, cwd=copy, collections=collections)
    assert lint_yaml.returncode == 0, f"antsibull-changelog lint-changelog-yaml:\n{lint_yaml.stdout}"

    releases = yaml.safe_load(changelog_yaml.read_text())["releases"]
    assert str(version) in releases, f"changelog.yaml has no release {version}: {sorted(releases)}"
    this = releases[str(version)]
    assert this.get("release_date"), f"release {version} has no date"
    assert sorted(this.get("fragments") or []) == [f.name for f in fragments], "not every fragment went into the release"
    assert not list((copy / "changelogs" / "fragments").glob("*.y*ml")), "the release left fragments behind"

    md = changelog_md.read_text(encoding="utf-8")
    plain_md = _plain(md)
    assert f"v{version}" in plain_md, f"CHANGELOG.md has no heading for v{version}"
    missing_yaml, missing_md = [], []
    for fragment, section, text in entries:
        if text not in ((this.get("changes") or {}).get(section) or []):
            missing_yaml.append(f"{fragment} ({section}): {text[:80]}")
        if section in section_titles and section_titles[section] not in md:
            missing_md.append(f"{fragment}: no '{section_titles[section]}' section")
        if _plain(text) not in plain_md:
            missing_md.append(f"{fragment} ({section}): {text[:80]}")
    assert not missing_yaml, "changelog.yaml lacks these entries:\n" + "\n".join(missing_yaml)
    assert not missing_md, "CHANGELOG.md lacks these entries:\n" + "\n".join(missing_md)

    # Plugins and roles first released in this version are announced as new, by FQCN.
    new = [(f"{COLLECTION}.{p.stem}", p) for kind in ("modules", "lookup", "filter", "inventory", "callback")
           for p in sorted((ROOT / "plugins" / kind).glob("*.py"))
           if not p.name.startswith("_") and _version_added(p) == str(version)]
    new += [(f"{COLLECTION}.{p.parents[1].name}", p) for p in sorted((ROOT / "roles").glob("*/meta/argument_specs.y*ml"))
            if str(((yaml.safe_load(p.read_text())["argument_specs"].get("main") or {}).get("version_added"))) == str(version)]
    not_announced = [f"{fqcn} ({path.relative_to(ROOT)})" for fqcn, path in new if f"{fqcn} - " not in plain_md]
    assert not not_announced, "CHANGELOG.md does not list these as new in this release:\n" + "\n".join(not_announced)
