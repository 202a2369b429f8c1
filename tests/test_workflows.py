"""The GitHub workflows: linted with actionlint, and the properties reviewers rely on."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.program.load import API_KEY_CONFIG, APP_KEY_CONFIG
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


def workflows() -> dict[str, dict[Any, Any]]:
    return {path.name: workflow(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps_of(document: dict[Any, Any]) -> list[dict[str, Any]]:
    """Every step of a workflow's jobs, or of a composite action."""
    if "runs" in document:
        steps: list[dict[str, Any]] = document["runs"]["steps"]
        return steps
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


GITHUB_FILES = sorted(REPO_ROOT.glob(".github/**/*.yml"))
# owner/repo[/path]@<full commit SHA> # v<tag>: the tag says which release the SHA was taken from.
PINNED = re.compile(
    r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+(?:/[\w./-]+)?)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$"
)


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: str(p.relative_to(WORKFLOWS.parent)))
def test_every_action_is_pinned_to_a_full_commit_with_its_tag(path: Path) -> None:
    uses = [step["uses"] for step in steps_of(yaml.safe_load(path.read_text())) if "uses" in step]
    assert uses, "a file with no action to check"
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert len(lines) == len(uses)
    for line in lines:
        # `$/` is this repository at the workflow's own commit, pinned by construction.
        assert line.strip().removeprefix("- ").startswith("uses: $/") or PINNED.match(line), line


def test_each_action_has_one_pin_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in GITHUB_FILES:
        for match in filter(None, map(PINNED.match, path.read_text().splitlines())):
            pins.setdefault(match[1], set()).add(f"{match[2]} {match[3]}")
    assert {name for name, pinned in pins.items() if len(pinned) > 1} == set()
    assert {"actions/checkout", "pulumi/actions", "aws-actions/configure-aws-credentials"} <= set(
        pins
    )


def test_no_checkout_leaves_the_token_in_the_workspace() -> None:
    checkouts = [
        step
        for path in GITHUB_FILES
        for step in steps_of(yaml.safe_load(path.read_text()))
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]
    assert len(checkouts) == 5
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_nothing_is_granted_by_default_and_each_job_gets_what_it_needs() -> None:
    granted = {}
    for name, document in workflows().items():
        assert document["permissions"] == {}, name
        for job_name, job in document["jobs"].items():
            granted[f"{name}:{job_name}"] = job["permissions"]
    assert granted == {
        "deploy.yml:test": {"contents": "read"},
        "deploy.yml:up": {"contents": "read", "id-token": "write"},
        "pr-comment.yml:comment": {"actions": "read", "pull-requests": "write"},
        "pull-request.yml:test": {"contents": "read"},
        "pull-request.yml:offline-preview": {"contents": "read"},
        "pull-request.yml:preview": {
            "contents": "read",
            "id-token": "write",
            "pull-requests": "write",
        },
    }


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    steps: list[dict[str, Any]] = job["steps"]
    (step,) = [s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions@")]
    return step


def test_previews_and_deploys_take_their_credentials_from_their_own_environments() -> None:
    preview = workflow("pull-request.yml")["jobs"]["preview"]
    up = workflow("deploy.yml")["jobs"]["up"]
    assert preview["environment"] == "preview-${{ matrix.stack }}"
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "production"]
    assert up["environment"] == "${{ matrix.stack }}"
    assert up["if"] == "github.ref == 'refs/heads/main'"
    preview_text = yaml.safe_dump(preview)
    assert "AWS_PREVIEW_ROLE_ARN" in preview_text
    assert "DEPLOY" not in preview_text
    for job in (preview, up):
        config = yaml.safe_load(pulumi_step(job)["with"]["config-map"])
        assert config == {
            API_KEY_CONFIG: {"value": "${{ secrets.DATADOG_API_KEY }}", "secret": True},
            APP_KEY_CONFIG: {"value": "${{ secrets.DATADOG_APP_KEY }}", "secret": True},
        }
        assert sorted(pulumi_step(job)["env"]) == [
            "PULUMI_ACCESS_TOKEN",
            "PULUMI_CONFIG_PASSPHRASE",
        ]


def test_secrets_are_only_read_by_jobs_with_an_environment() -> None:
    for name, document in workflows().items():
        for job_name, job in document["jobs"].items():
            secrets = set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job))) - {"GITHUB_TOKEN"}
            assert not secrets or "environment" in job, f"{name}:{job_name} reads {secrets}"


def test_the_comment_workflow_runs_nothing_of_the_pull_request() -> None:
    document = workflow("pr-comment.yml")
    # YAML 1.1 reads the key `on` as true.
    assert document[True] == {
        "workflow_run": {"workflows": ["pull-request"], "types": ["completed"]}
    }
    assert workflow("pull-request.yml")["name"] == "pull-request"
    (job,) = document["jobs"].values()
    assert job["if"].startswith("github.event.workflow_run.event == 'pull_request'")
    assert [step["uses"].split("@")[0] for step in job["steps"]] == [
        "actions/download-artifact",
        "actions/github-script",
    ]
    download, script = job["steps"]
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    # The artifact lands outside the workspace, and the script reads it from there.
    assert download["with"]["path"] == "${{ runner.temp }}/offline-preview"
    assert script["env"] == {"PREVIEW_DIR": download["with"]["path"]}


HEAD = "1" * 40
OURS = "acme/observability"
MARKER = "<!-- offline-preview -->"


def run_comment_script(
    tmp_path: Path,
    *,
    number: str,
    pulls: dict[str, Any],
    comments: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The comment step of pr-comment.yml on an artifact and a scenario of GitHub's answers."""
    node = shutil.which("node")
    if node is None:
        # GitHub's runners have Node (github-script itself runs on it): there it must run.
        if os.environ.get("CI"):
            pytest.fail("node is not on PATH")
        pytest.skip("node is not on PATH")
    (job,) = workflow("pr-comment.yml")["jobs"].values()
    step = job["steps"][1]
    (tmp_path / "pr-number.txt").write_text(number)
    (tmp_path / "offline-preview.md").write_text("## Offline preview\n")
    scenario = {
        "script": step["with"]["script"],
        "context": {
            "repo": {"owner": "acme", "repo": "observability"},
            "payload": {"workflow_run": {"head_sha": HEAD, "head_repository": {"full_name": OURS}}},
        },
        "pulls": pulls,
        "comments": list(comments),
    }
    result = subprocess.run(
        [node, str(REPO_ROOT / "tests" / "github_script.js")],
        input=json.dumps(scenario),
        env={**os.environ, "PREVIEW_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def pull(sha: str = HEAD, repository: str = OURS) -> dict[str, Any]:
    return {"head": {"sha": sha, "repo": {"full_name": repository}}}


def writes(outcome: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (call["name"], call["params"].get("issue_number") or call["params"].get("comment_id"))
        for call in outcome["calls"]
        if call["name"] in ("issues.createComment", "issues.updateComment")
    ]


def test_the_preview_is_posted_on_the_pull_request_the_run_was_for(tmp_path: Path) -> None:
    outcome = run_comment_script(tmp_path, number="7\n", pulls={"7": pull()})
    assert outcome["failed"] is None
    assert writes(outcome) == [("issues.createComment", 7)]
    (create,) = [c for c in outcome["calls"] if c["name"] == "issues.createComment"]
    assert create["params"]["body"] == f"{MARKER}\n## Offline preview\n"


@pytest.mark.parametrize(
    ("number", "pulls", "failure"),
    [
        # A fork's run names another pull request, whose head is another commit.
        ("8", {"8": pull(sha="2" * 40)}, "is at acme/observability@2222"),
        # The same commit pushed to another repository is not the run's pull request either.
        ("8", {"8": pull(repository="mallory/observability")}, "is at mallory/observability@1111"),
        # An issue, or a number that is nothing at all.
        ("9", {}, "threw: Not Found"),
        ("7; echo", {"7": pull()}, "does not name a pull request"),
    ],
    ids=["other-head", "other-repository", "not-a-pull-request", "not-a-number"],
)
def test_no_comment_where_the_artifact_names_another_pull_request(
    tmp_path: Path, number: str, pulls: dict[str, Any], failure: str
) -> None:
    outcome = run_comment_script(tmp_path, number=number, pulls=pulls)
    assert failure in outcome["failed"]
    assert writes(outcome) == []


def comment(comment_id: int, login: str, kind: str) -> dict[str, Any]:
    return {"id": comment_id, "user": {"login": login, "type": kind}, "body": f"{MARKER}\nold"}


def test_the_earlier_comment_is_found_by_its_author_not_only_its_marker(tmp_path: Path) -> None:
    impostors = [comment(1, "mallory", "User"), comment(2, "some-app[bot]", "Bot")]
    outcome = run_comment_script(tmp_path, number="7", pulls={"7": pull()}, comments=impostors)
    assert writes(outcome) == [("issues.createComment", 7)]
    ours = [*impostors, comment(3, "github-actions[bot]", "Bot")]
    outcome = run_comment_script(tmp_path, number="7", pulls={"7": pull()}, comments=ours)
    assert writes(outcome) == [("issues.updateComment", 3)]
