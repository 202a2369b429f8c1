"""The GitHub workflows: linted with actionlint, and the properties reviewers rely on."""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.shared_data import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def actionlint(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert binary is not None, "actionlint is installed by requirements-dev.txt"
    return subprocess.run(
        [binary, "-no-color", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def workflow(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def test_the_workflows_pass_actionlint() -> None:
    result = actionlint()
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.evnt.number }}\n"
    )
    result = actionlint(str(broken))
    assert result.returncode == 1
    assert "broken.yml:6" in result.stdout
    assert 'property "evnt" is not defined' in result.stdout


def test_pull_requests_cancel_stale_runs_and_deploys_never_do() -> None:
    assert workflow("pull-request.yml")["concurrency"]["cancel-in-progress"] is True
    up = workflow("deploy.yml")["jobs"]["up"]
    assert up["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
    assert up["strategy"]["max-parallel"] == 1
    assert up["strategy"]["matrix"]["stack"] == ["dev", "production"]
    assert up["environment"] == "${{ matrix.stack }}"


def test_real_previews_only_for_branches_of_this_repository() -> None:
    preview = workflow("pull-request.yml")["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["permissions"]["id-token"] == "write"
    (pulumi,) = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/")]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] is True


def test_the_offline_preview_needs_no_secrets() -> None:
    job = workflow("pull-request.yml")["jobs"]["offline-preview"]
    assert "secrets." not in yaml.safe_dump(job)
    commands = " ".join(str(step.get("run", "")) for step in job["steps"])
    for command in ("stacks plan", "stacks diff", "stacks check"):
        assert command in commands


@pytest.mark.parametrize("path", sorted(REPO_ROOT.glob(".github/**/*.yml")), ids=lambda p: p.name)
def test_python_versions_are_quoted(path: Path) -> None:
    # Unquoted, YAML reads 3.10 as the number 3.1.
    for line in path.read_text().splitlines():
        if "python-version:" in line:
            assert line.split(":", 1)[1].strip().startswith('"'), line
