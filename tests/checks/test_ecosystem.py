"""Ecosystem checks: what Galaxy, Automation Hub and Ansible's own CI would run on this collection.

Each test runs one tool the way a release would, asserts that it exits 0 (and, for the importer,
that it printed no warning), and on failure shows the tool's own output.
The tools come from .venv (made by tools/bootstrap.sh; `make test` runs it first).
Skip them in a quick edit-test loop with `pytest -m "not checks"`.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
COLLECTION_LINK = ROOT / ".venv" / "collections" / "ansible_collections" / "oracle_comms" / "provisioning"

pytestmark = pytest.mark.checks

# Every timeout here is a deadline, not a duration: these tools share 2 cores with the rest of the suite, and at a load
# average of 12-20 ansible-lint took over 550 s (43 s alone), sanity 1,490 s and the importer check 315 s. CI's own limit
# is 90 minutes.

# What the artifact must ship, and what must never get into it.
REQUIRED_IN_ARTIFACT = ("MANIFEST.json", "FILES.json", "README.md", "LICENSE", "meta/runtime.yml",
                        "changelogs/changelog.yaml", "changelogs/config.yaml", "docs/", "plugins/",
                        "emulator/", "roles/lock_session/meta/argument_specs.yml")
FORBIDDEN_AT_TOP = (".venv/", ".ansible/", ".git/", ".ci/", "build/", "tests/output/", "benchmarks/results/")
FORBIDDEN_ANYWHERE = ("__pycache__/", ".pytest_cache/")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env["ANSIBLE_NOCOLOR"] = "1"
    # This checkout is oracle_comms.provisioning (the link tools/bootstrap.sh makes), whatever else is installed.
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".venv" / "collections")
    return env


def _run(*cmd: str | os.PathLike, timeout: float, cwd: pathlib.Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    """Run cmd with .venv/bin first on PATH (and ``env`` added), stdout and stderr merged into one text."""
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=dict(_env(), **env), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)


# pip's progress chatter inside ansible-test's virtual environments hides the errors that matter.
_NOISE = ("WARNING: Location 'file:", "Collecting ", "  Downloading ", "Processing ", "Looking in ", "     \u2501")


def _tail(text: str, lines: int = 300) -> str:
    kept = [line for line in text.splitlines() if not line.startswith(_NOISE)][-lines:]
    return "\n".join(kept)


def _assert_ok(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        pytest.fail(f"{what} exited {proc.returncode}; its output:\n{_tail(proc.stdout)}", pytrace=False)


@pytest.mark.timeout(3300)
def test_ansible_test_sanity():
    """ansible-test sanity, every test, on a clean copy of what git would ship (tools/sanity.sh)."""
    _assert_ok(_run(ROOT / "tools" / "sanity.sh", timeout=3200), "ansible-test sanity")


@pytest.mark.timeout(1900)
def test_ansible_test_units():
    """ansible-test units on a clean copy (tools/units.sh): the unit tests as ansible-test runs them, none skipped."""
    proc = _run(ROOT / "tools" / "units.sh", "--python", "%d.%d" % sys.version_info[:2], timeout=1800)
    _assert_ok(proc, "ansible-test units")
    ran = [int(count) for count in re.findall(r"=+ (\d+) passed", proc.stdout)]
    # module_utils tests (the modules' context) and plugin_utils tests (the controller's): both must run something
    assert len(ran) == 2 and min(ran) > 0, proc.stdout[-3000:]


@pytest.mark.timeout(1900)
def test_galaxy_build_and_importer(tmp_path):
    """ansible-galaxy builds a clean artifact, and galaxy-importer accepts it without a single warning.

    The importer's own ansible-lint is off here: the lint check below runs the same profile on a superset of files.
    """
    build = _run("ansible-galaxy", "collection", "build", "--force", "--output-path", tmp_path, ROOT, timeout=600)
    _assert_ok(build, "ansible-galaxy collection build")
    artifacts = sorted(tmp_path.glob("oracle_comms-provisioning-*.tar.gz"))
    assert len(artifacts) == 1, f"expected one artifact, found {artifacts}:\n{build.stdout}"

    with tarfile.open(artifacts[0]) as tar:
        names = [m.name + ("/" if m.isdir() else "") for m in tar.getmembers()]
    problems = []
    missing = [r for r in REQUIRED_IN_ARTIFACT if not any(n == r or n.startswith(r) for n in names)]
    if missing:
        problems.append(f"the artifact lacks {missing}")
    forbidden = sorted(n for n in names if n.startswith(FORBIDDEN_AT_TOP) or n.endswith((".pyc", ".tar.gz"))
                       or any(n.startswith(f) or f"/{f}" in n for f in FORBIDDEN_ANYWHERE))
    if forbidden:
        problems.append("the artifact holds files that build_ignore in galaxy.yml should keep out:\n  "
                        + "\n  ".join(forbidden[:50]))

    # Without the importer's own ansible-lint: test_ansible_lint_production_profile runs it once, with the same
    # .ansible-lint (shipped in the artifact) on the whole checkout, a superset of the artifact's files
    importer = _run(ROOT / "tools" / "importer.sh", artifacts[0], timeout=1200, IMPORTER_ANSIBLE_LINT="0")
    if importer.returncode != 0:
        problems.append(f"galaxy-importer exited {importer.returncode} (every WARNING counts as a failure); "
                        f"its output:\n{_tail(importer.stdout)}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.timeout(1900)
def test_ansible_lint_production_profile():
    """ansible-lint with the production profile, as Galaxy and Automation Hub certification run it."""
    _assert_ok(_run("ansible-lint", "--nocolor", timeout=1800), "ansible-lint --profile production (see .ansible-lint)")


@pytest.mark.timeout(700)
def test_changelog_lint():
    """antsibull-changelog accepts the fragments and changelogs/changelog.yaml."""
    _assert_ok(_run("antsibull-changelog", "lint", timeout=300), "antsibull-changelog lint")
    _assert_ok(_run("antsibull-changelog", "lint-changelog-yaml", "changelogs/changelog.yaml", timeout=300),
               "antsibull-changelog lint-changelog-yaml")


@pytest.mark.timeout(1300)
def test_antsibull_docs_lint():
    """antsibull-docs renders and validates every plugin's and role's documentation for the docsite."""
    assert COLLECTION_LINK.is_dir(), f"{COLLECTION_LINK} is missing: run tools/bootstrap.sh"
    _assert_ok(_run("antsibull-docs", "lint-collection-docs", "--plugin-docs", COLLECTION_LINK, timeout=1200),
               "antsibull-docs lint-collection-docs --plugin-docs")
