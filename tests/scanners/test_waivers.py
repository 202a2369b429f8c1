"""The waivers file is well formed, stays exact, and the README gives every waiver's reason."""

import re
from pathlib import Path

import pytest

from tests.scanners import scanners
from tests.scanners.scanners import Finding, assert_all_waived, waivers


def test_the_waivers_file_is_well_formed() -> None:
    assert isinstance(waivers(), list)


def test_the_readme_gives_every_waivers_reason() -> None:
    readme = (scanners.REPO_ROOT / "README.md").read_text()
    match = re.search(r"^## Security posture\n(.*?)(?=^## )", readme, re.S | re.M)
    assert match, "README.md has a 'Security posture' section"
    for waiver in waivers():
        assert waiver.check in match.group(1), f"the README's security posture omits {waiver.check}"


@pytest.fixture
def one_waiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    waivers_file = tmp_path / "waivers.yaml"
    waivers_file.write_text(
        "- {scan: zizmor, check: artipacked, resource: 'ci.yml:build', reason: a reason}\n"
    )
    monkeypatch.setattr(scanners, "WAIVERS_FILE", waivers_file)


@pytest.mark.usefixtures("one_waiver")
def test_a_finding_without_a_waiver_fails() -> None:
    findings = [
        Finding("zizmor", "artipacked", "ci.yml:build", "credentials persisted"),
        Finding("zizmor", "excessive-permissions", "ci.yml:build", "write-all"),
    ]
    with pytest.raises(AssertionError, match=r"excessive-permissions on ci\.yml:build: write-all"):
        assert_all_waived("zizmor", findings)


@pytest.mark.usefixtures("one_waiver")
def test_a_waiver_without_its_finding_is_stale() -> None:
    with pytest.raises(AssertionError, match="stale waiver, no such finding: artipacked"):
        assert_all_waived("zizmor", [])


@pytest.mark.usefixtures("one_waiver")
def test_a_waived_finding_passes_and_other_scans_keep_their_waivers() -> None:
    assert_all_waived("zizmor", [Finding("zizmor", "artipacked", "ci.yml:build", "persisted")])
    assert_all_waived("parliament", [])


def test_a_waiver_without_a_reason_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waivers_file = tmp_path / "waivers.yaml"
    waivers_file.write_text("- {scan: zizmor, check: artipacked, resource: x, reason: ' '}\n")
    monkeypatch.setattr(scanners, "WAIVERS_FILE", waivers_file)
    with pytest.raises(AssertionError, match="non-empty string"):
        waivers()
