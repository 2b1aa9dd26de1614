"""The oldest ansible-core the collection claims: the unit and integration tests pass on it too.

meta/runtime.yml says ``requires_ansible: '>=2.18.0'``; .venv runs the newest core (2.21). tools/compat.sh
makes .venv/core2.18 (ansible-core 2.18 at its newest patch, pinned in tests/requirements-core2.18.txt) and
runs with it tests/unit and a representative set of the integration tests, each chosen for a part of ansible-core it
runs (COMPAT_TESTS in the script, with its reasons; the rest runs on the newest core only), on their own pytest-xdist
workers, while this check occupies one worker of the main run. It fails when any of those tests fails, when the
plays would not run 2.18's ansible-playbook, or when requires_ansible no longer names the core tested here.
The tests tools/compat.sh lists as known to fail on that core are not run, and each becomes a warning here.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import warnings

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
REQUIREMENTS = sorted(ROOT.glob("tests/requirements-core*.txt"))

pytestmark = pytest.mark.checks


def _oldest_claimed() -> str:
    requires = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    match = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)(?:\.\d+)?\s*", requires)
    assert match, f"meta/runtime.yml: requires_ansible {requires!r} is not of the form '>=X.Y.Z'"
    return "%s.%s" % match.groups()


# a deadline, not a duration: 1,175 s seen on a loaded machine when every integration test ran here, 1,690 s with the
# representative set at a load of 12-20 (a new 2.18 venv included); CI's limit is 90 minutes
@pytest.mark.timeout(4200)
def test_unit_and_integration_tests_pass_on_the_oldest_claimed_ansible_core():
    oldest = _oldest_claimed()
    requirements = ROOT / "tests" / f"requirements-core{oldest}.txt"
    assert requirements.is_file(), (f"requires_ansible claims ansible-core {oldest}, but there is no {requirements.name} "
                                    f"(only {[p.name for p in REQUIREMENTS]}): update tools/compat.sh and its requirements")
    pinned = re.search(r"^ansible-core==(\S+)$", requirements.read_text(), flags=re.M)
    assert pinned and pinned.group(1).startswith(oldest + "."), f"{requirements.name} does not pin ansible-core {oldest}.x"

    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "ANSIBLE_"))}
    env["NO_COLOR"] = "1"
    proc = subprocess.run([str(ROOT / "tools" / "compat.sh")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=4000, check=False)
    output = proc.stdout
    # What ran: printed by tools/compat.sh before the tests, so it is there even when they fail.
    header = "\n".join(line for line in output.splitlines() if line.startswith("compat: "))
    print(header)  # in the report of a failing run, and with -s

    venv_bin = ROOT / ".venv" / f"core{oldest}" / "bin"
    playbook = re.search(r"^compat: ansible-playbook \(run by the integration tests\): (\S+): ansible-playbook \[core ([^\]]+)\]",
                         output, flags=re.M)
    assert playbook, f"tools/compat.sh did not say which ansible-playbook the plays use; its output:\n{output[-8000:]}"
    assert playbook.group(1) == str(venv_bin / "ansible-playbook"), f"the plays would run {playbook.group(1)}, not {venv_bin}"
    assert playbook.group(2) == pinned.group(1), f"ansible-playbook is core {playbook.group(2)}, not {pinned.group(1)}"

    # Tests tools/compat.sh names as failing on this core: shown in every run's warnings summary, never silently.
    for known in re.findall(r"^compat: (KNOWN TO FAIL on .*)$", output, flags=re.M):
        warnings.warn(f"ansible-core {playbook.group(2)}: {known}", UserWarning, stacklevel=1)

    summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|errors?)\b", line)]
    if proc.returncode != 0 or not summary or re.search(r"\d+ (failed|errors?)\b", summary[-1]):
        body = "\n".join(line for line in output.splitlines() if not line.startswith("compat: "))
        pytest.fail(f"tests on ansible-core {playbook.group(2)} (tools/compat.sh) exited {proc.returncode}:\n"
                    f"{header}\n{body[-30000:]}", pytrace=False)
    passed = int(re.search(r"(\d+) passed", summary[-1]).group(1))
    assert passed >= 100, f"only {passed} tests ran on ansible-core {oldest}: {summary[-1]}"
