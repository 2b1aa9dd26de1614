"""The release's changelog: the committed one is current, and the next release is rehearsed.

``make changelog`` runs ``antsibull-changelog release`` on the checkout at release time; it consumes
changelogs/fragments/ (``keep_fragments: false``), so the rehearsal here runs on a temporary copy of what it
reads: galaxy.yml (the version), changelogs/ (config, changelog.yaml, fragments) and the collection's
content, whose plugin and role docs it reads with ansible-doc for the "New Modules / Plugins / Roles"
sections. docs/development.md, "Releasing", is the procedure these tests hold to.
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
COPIED = ("galaxy.yml", "README.md", "meta", "plugins", "roles", "changelogs", "CHANGELOG.md")

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


def _copy(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A copy of what antsibull-changelog reads, and an empty collections path to run it with."""
    collections = tmp_path / "collections"
    collections.mkdir()
    copy = tmp_path / "provisioning"
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", ".plugin-cache.yaml"))
        elif source.exists():
            shutil.copy2(source, copy / name)
    return copy, collections


def _plain(text: str) -> str:
    """Text without markup, for comparing a fragment's rst with the rendered Markdown."""
    text = re.sub(r"<[^>]+>", "", text)          # <code>x</code>, <a id=...></a>
    text = re.sub(r"\\(.)", r"\1", text)          # Markdown escapes: v0\.1\.0
    text = text.replace("``", "")                 # rst literals: ``x``
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _version_added(path: pathlib.Path) -> str | None:
    match = re.search(r"^version_added: *['\"]?([^'\"\s]+)", path.read_text(encoding="utf-8"), flags=re.M)
    return match.group(1) if match else None


def _content_versions() -> list[tuple[str, pathlib.Path, str | None]]:
    """(FQCN, file, version_added) of every module, plugin and role of the collection."""
    found = [(f"{COLLECTION}.{p.stem}", p, _version_added(p))
             for kind in ("modules", "lookup", "filter", "inventory", "callback")
             for p in sorted((ROOT / "plugins" / kind).glob("*.py")) if not p.name.startswith("_")]
    for spec in sorted((ROOT / "roles").glob("*/meta/argument_specs.y*ml")):
        main = yaml.safe_load(spec.read_text())["argument_specs"].get("main") or {}
        version = main.get("version_added")
        found.append((f"{COLLECTION}.{spec.parents[1].name}", spec, None if version is None else str(version)))
    return found


def _releases(changelog_yaml: pathlib.Path) -> dict:
    return {str(version): release for version, release in (yaml.safe_load(changelog_yaml.read_text())["releases"] or {}).items()}


def _pending_fragments() -> list[pathlib.Path]:
    return sorted(p for p in (ROOT / "changelogs" / "fragments").glob("*")
                  if p.suffix in (".yml", ".yaml") and not p.name.startswith("."))


def _next_minor(version: str) -> str:
    major, minor = (int(part) for part in version.split(".")[:2])
    return f"{major}.{minor + 1}.0"


def _not_announced(md: str, version: str) -> list[str]:
    """Modules, plugins and roles whose ``version_added`` is ``version`` but that the Markdown does not list as new."""
    plain_md = _plain(md)
    return [f"{fqcn} ({path.relative_to(ROOT)})" for fqcn, path, added in _content_versions()
            if added == version and f"{fqcn} - " not in plain_md]


@pytest.mark.timeout(300)
def test_the_committed_changelog_is_current(tmp_path):
    """CHANGELOG.md is what antsibull-changelog makes of changelogs/changelog.yaml, which it accepts; every
    ``version_added`` names a released version or the one galaxy.yml prepares, and each released one's
    new content is announced."""
    version = str(yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"])
    releases = _releases(ROOT / "changelogs" / "changelog.yaml")
    assert (ROOT / "CHANGELOG.md").is_file(), "no CHANGELOG.md: make changelog writes it at release time (docs/development.md, Releasing)"
    copy, collections = _copy(tmp_path)
    lint_yaml = _run("antsibull-changelog", "lint-changelog-yaml", copy / "changelogs" / "changelog.yaml", cwd=copy, collections=collections)
    assert lint_yaml.returncode == 0, f"antsibull-changelog lint-changelog-yaml:\n{lint_yaml.stdout}"
    generate = _run("antsibull-changelog", "generate", cwd=copy, collections=collections)
    assert generate.returncode == 0, f"antsibull-changelog generate exited {generate.returncode}:\n{generate.stdout}"
    assert (copy / "CHANGELOG.md").read_text(encoding="utf-8") == (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), (
        "CHANGELOG.md differs from what antsibull-changelog generates from changelogs/changelog.yaml: "
        "do not edit it by hand; run antsibull-changelog generate and commit the result")

    unknown = [f"{fqcn} ({path.relative_to(ROOT)}): version_added {added}" for fqcn, path, added in _content_versions()
               if added not in releases and added != version]
    assert not unknown, (f"version_added names neither a release ({sorted(releases)}) nor galaxy.yml's version {version}:\n"
                         + "\n".join(unknown))
    md = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    for released in releases:
        assert f"v{released}" in _plain(md), f"CHANGELOG.md has no heading for v{released}"
        missing = _not_announced(md, released)
        assert not missing, f"CHANGELOG.md does not list these as new in {released}:\n" + "\n".join(missing)


@pytest.mark.timeout(300)
def test_the_next_release_holds_every_pending_fragment(tmp_path):
    """``antsibull-changelog release`` on a copy turns every pending fragment into the next release.

    The next release is galaxy.yml's version if it is not released yet, else (as it will have to be) a newer
    one. With no fragment pending, galaxy.yml's version must be released already: otherwise a release would
    have nothing to say.
    """
    version = str(yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"])
    releases = _releases(ROOT / "changelogs" / "changelog.yaml")
    fragments = _pending_fragments()
    if not fragments:
        assert version in releases, (f"galaxy.yml's version {version} is not in changelogs/changelog.yaml and no fragment "
                                     "is pending: add the fragments of what changed (docs/development.md, Releasing)")
        return
    if version in releases:
        version = _next_minor(version)

    config = yaml.safe_load((ROOT / "changelogs" / "config.yaml").read_text())
    outputs = {entry["file"]: entry["format"] for entry in config.get("output") or []}
    assert outputs.get("CHANGELOG.md") == "md", f"changelogs/config.yaml must write CHANGELOG.md as Markdown: {outputs}"
    section_titles = dict(config["sections"])
    entries = []  # (fragment, section, text)
    for fragment in fragments:
        for section, items in (yaml.safe_load(fragment.read_text()) or {}).items():
            if section == config.get("trivial_section_name", "trivial"):
                continue
            for item in [items] if isinstance(items, str) else items:
                entries.append((fragment.name, section, item))
    assert entries, "no pending fragment has a changelog entry"

    copy, collections = _copy(tmp_path)
    lint = _run("antsibull-changelog", "lint", cwd=copy, collections=collections)
    assert lint.returncode == 0, f"antsibull-changelog lint:\n{lint.stdout}"
    release = _run("antsibull-changelog", "release", "--version", version, cwd=copy, collections=collections)
    assert release.returncode == 0, f"antsibull-changelog release --version {version} exited {release.returncode}:\n{release.stdout}"

    changelog_yaml = copy / "changelogs" / "changelog.yaml"
    changelog_md = copy / "CHANGELOG.md"
    assert changelog_md.is_file(), f"no CHANGELOG.md after the release; antsibull-changelog said:\n{release.stdout}"
    lint_yaml = _run("antsibull-changelog", "lint-changelog-yaml", changelog_yaml, cwd=copy, collections=collections)
    assert lint_yaml.returncode == 0, f"antsibull-changelog lint-changelog-yaml:\n{lint_yaml.stdout}"

    after = _releases(changelog_yaml)
    assert version in after, f"changelog.yaml has no release {version}: {sorted(after)}"
    for released, before in releases.items():
        assert after.get(released) == before, f"the rehearsal changed the published release {released}"
    this = after[version]
    assert this.get("release_date"), f"release {version} has no date"
    assert sorted(this.get("fragments") or []) == [f.name for f in fragments], "not every fragment went into the release"
    assert not list((copy / "changelogs" / "fragments").glob("*.y*ml")), "the release left fragments behind"

    md = changelog_md.read_text(encoding="utf-8")
    plain_md = _plain(md)
    assert f"v{version}" in plain_md, f"CHANGELOG.md has no heading for v{version}"
    missing_yaml, missing_md = [], []
    for fragment, section, text in entries:
        if section == config.get("prelude_section_name", "release_summary"):
            if this.get("changes", {}).get(section) != text:
                missing_yaml.append(f"{fragment} ({section}): {text[:80]}")
        elif text not in ((this.get("changes") or {}).get(section) or []):
            missing_yaml.append(f"{fragment} ({section}): {text[:80]}")
        if section in section_titles and section_titles[section] not in md:
            missing_md.append(f"{fragment}: no '{section_titles[section]}' section")
        if _plain(text) not in plain_md:
            missing_md.append(f"{fragment} ({section}): {text[:80]}")
    assert not missing_yaml, "changelog.yaml lacks these entries:\n" + "\n".join(missing_yaml)
    assert not missing_md, "CHANGELOG.md lacks these entries:\n" + "\n".join(missing_md)
    not_announced = _not_announced(md, version)
    assert not not_announced, "CHANGELOG.md does not list these as new in this release:\n" + "\n".join(not_announced)
