"""The security scanners a reviewer runs, run by the tests on our plans and workflows.

Each scanner's findings must be fixed, or waived in `policy/waivers.yaml`: one entry per
finding, naming the scan, the check, the resource as the scanner names it, and the reason, as
cdk-nag's suppressions do. A finding without a waiver fails, and so does a waiver that matches no
finding any more, so the file stays the exact list of what we accept. The README's "Security
posture" section gives each waiver's reason.

The scanners live in a virtualenv of their own (`venv-scanners`, made by `make test`), as
checkov's pins conflict with the Pulumi SDK's; they run offline.
"""

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCANNERS_BIN = REPO_ROOT / "venv-scanners" / "bin"
WAIVERS_FILE = REPO_ROOT / "policy" / "waivers.yaml"
# One scan per tool and target: a waiver belongs to the scan whose findings it answers, so that
# a scan can tell its stale waivers from another scan's.
SCANS = frozenset({"zizmor", "checkov-github-actions", "checkov-kubernetes", "parliament"})
WAIVER_KEYS = ("scan", "check", "resource", "reason")


@dataclass(frozen=True)
class Finding:
    """One finding, as its scanner reports it."""

    scan: str
    """Which of `SCANS` found it."""
    check: str
    """The scanner's identifier of the check, e.g. `CKV_K8S_38` or `artipacked`."""
    resource: str
    """What the finding is about, as the scanner names it (a manifest's object, a workflow job)."""
    message: str
    """The scanner's own words, shown when the finding has no waiver."""


@dataclass(frozen=True)
class Waiver:
    scan: str
    check: str
    resource: str
    reason: str


def waivers() -> list[Waiver]:
    """The waivers file, each entry checked for its keys, its scan and a reason."""
    entries: Any = yaml.safe_load(WAIVERS_FILE.read_text()) or []
    assert isinstance(entries, list), f"{WAIVERS_FILE.name}: a list of waivers"
    loaded = []
    for index, entry in enumerate(entries):
        where = f"{WAIVERS_FILE.name}[{index}]"
        assert isinstance(entry, dict), f"{where}: a mapping"
        assert sorted(entry) == sorted(WAIVER_KEYS), (
            f"{where}: exactly the keys {', '.join(WAIVER_KEYS)}"
        )
        assert all(isinstance(entry[key], str) and entry[key].strip() for key in WAIVER_KEYS), (
            f"{where}: every key is a non-empty string"
        )
        assert entry["scan"] in SCANS, f"{where}: scan is one of {sorted(SCANS)}"
        loaded.append(Waiver(**entry))
    keys = [(w.scan, w.check, w.resource) for w in loaded]
    assert len(set(keys)) == len(keys), f"{WAIVERS_FILE.name}: a finding waived twice"
    return loaded


def run_scanner(name: str, *args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """Run one scanner from the scanners' virtualenv; its exit status is the caller's to read."""
    executable = SCANNERS_BIN / name
    if not executable.exists():
        pytest.fail(f"{executable} is missing: `make test` installs requirements-scanners.txt")
    # No scanner may reach the network: checkov would otherwise fetch Prisma Cloud's policies.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BC_")}
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        check=False,
        timeout=600,
    )


def assert_all_waived(scan: str, findings: Iterable[Finding]) -> None:
    """Every finding of a whole scan has its waiver, and every waiver of the scan a finding."""
    assert scan in SCANS
    found = list(findings)
    assert all(f.scan == scan for f in found)
    waived = {(w.check, w.resource): w for w in waivers() if w.scan == scan}
    unwaived = [f for f in found if (f.check, f.resource) not in waived]
    stale = sorted(set(waived) - {(f.check, f.resource) for f in found})
    report = [f"{f.check} on {f.resource}: {f.message}" for f in unwaived]
    report += [f"stale waiver, no such finding: {check} on {resource}" for check, resource in stale]
    assert not report, (
        f"{scan}: fix these or waive them with a reason in {WAIVERS_FILE.name}:\n"
        + "\n".join(report)
    )
