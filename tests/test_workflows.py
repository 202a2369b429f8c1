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
    jobs = workflow("deploy.yml")["jobs"]
    for up in (jobs["up"], jobs["up-teams"]):
        assert up["concurrency"] == {
            "group": "deploy-${{ matrix.stack }}",
            "cancel-in-progress": False,
        }
        assert up["environment"] == "${{ matrix.stack }}"


def test_deploys_go_platforms_first_one_at_a_time_then_teams_side_by_side() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    # Every stack of the repository, not only those a push changed.
    (command,) = [s["run"] for s in jobs["stacks"]["steps"] if "run" in s]
    assert "venv/bin/python -m stacks affected --all > stacks.json" in command
    assert jobs["stacks"]["if"] == "github.ref == 'refs/heads/main'"
    up, teams = jobs["up"], jobs["up-teams"]
    assert up["needs"] == "stacks"
    assert up["strategy"] == {
        "max-parallel": 1,
        "fail-fast": True,
        "matrix": {"stack": "${{ fromJSON(needs.stacks.outputs.first) }}"},
    }
    assert teams["needs"] == ["stacks", "up"]
    assert teams["if"] == "needs.stacks.outputs.teams != '[]'"
    assert teams["strategy"] == {
        "fail-fast": False,
        "matrix": {"stack": "${{ fromJSON(needs.stacks.outputs.teams) }}"},
    }
    assert teams["steps"] == up["steps"]


def test_previews_run_for_the_affected_stacks_platforms_before_their_teams() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    (command,) = [s["run"] for s in jobs["affected"]["steps"] if "run" in s]
    assert 'venv/bin/python -m stacks affected --base "$BASE_SHA"' in command
    preview, teams = jobs["preview"], jobs["preview-teams"]
    assert preview["needs"] == ["test", "affected"]
    assert preview["strategy"]["matrix"] == {
        "stack": "${{ fromJSON(needs.affected.outputs.first) }}"
    }
    assert teams["needs"] == ["test", "affected", "preview"]
    assert teams["strategy"]["matrix"] == {"stack": "${{ fromJSON(needs.affected.outputs.teams) }}"}
    # A platform whose preview failed stops its teams'; none at all (skipped) does not.
    assert "needs.preview.result != 'failure'" in teams["if"]
    assert teams["steps"] == preview["steps"]
    offline = jobs["offline-preview"]
    assert offline["needs"] == ["test", "affected"]
    assert offline["env"]["PLANNED"] == "${{ needs.affected.outputs.plan }}"
    assert offline["env"]["AFFECTED"] == "${{ needs.affected.outputs.stacks }}"


def test_the_affected_stacks_become_the_jobs_outputs(tmp_path: Path) -> None:
    """The affected step's shell, run here as the runner runs it: JSON lists for the matrices,
    and the stacks to plan space-separated for `--stack`."""
    (step,) = [s for s in workflow("pull-request.yml")["jobs"]["affected"]["steps"] if "run" in s]
    command = 'venv/bin/python -m stacks affected --base "$BASE_SHA" > affected.json'
    assert command in step["run"]
    (tmp_path / "affected.json").write_text(
        json.dumps({"stacks": ["p", "t"], "first": ["p"], "teams": ["t"], "plan": ["p", "t"]})
    )
    outputs, summary = tmp_path / "output", tmp_path / "summary"
    subprocess.run(
        ["bash", "-e", "-c", step["run"].replace(command, "true")],
        cwd=tmp_path,
        env={**os.environ, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
        check=True,
    )
    assert outputs.read_text().splitlines() == [
        'stacks=["p","t"]',
        'first=["p"]',
        'teams=["t"]',
        "plan=p t",
    ]


def test_real_previews_only_for_branches_of_this_repository() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    for preview in (jobs["preview"], jobs["preview-teams"]):
        assert (
            "github.event.pull_request.head.repo.full_name == github.repository" in (preview["if"])
        )
        assert preview["permissions"]["id-token"] == "write"
        assert pulumi_step(preview)["with"]["command"] == "preview"
    pulumi = pulumi_action_step()
    assert pulumi["with"]["command"] == "${{ inputs.command }}"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] == "${{ inputs.command == 'preview' }}"


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
    # The same steps under an alias (`steps: *preview-steps`) are the same lines.
    assert {line.split("uses:", 1)[1].split("#")[0].strip() for line in lines} == set(uses)
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
    # Every job's but the comment's, which checks out nothing (a team job's are its platform
    # job's steps, under an alias).
    assert len(checkouts) == 9
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_nothing_is_granted_by_default_and_each_job_gets_what_it_needs() -> None:
    granted = {}
    for name, document in workflows().items():
        assert document["permissions"] == {}, name
        for job_name, job in document["jobs"].items():
            granted[f"{name}:{job_name}"] = job["permissions"]
    preview = {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert granted == {
        "deploy.yml:test": {"contents": "read"},
        "deploy.yml:stacks": {"contents": "read"},
        "deploy.yml:up": {"contents": "read", "id-token": "write"},
        "deploy.yml:up-teams": {"contents": "read", "id-token": "write"},
        "pr-comment.yml:comment": {"actions": "read", "pull-requests": "write"},
        "pull-request.yml:test": {"contents": "read"},
        "pull-request.yml:affected": {"contents": "read"},
        "pull-request.yml:offline-preview": {"contents": "read"},
        "pull-request.yml:preview": preview,
        "pull-request.yml:preview-teams": preview,
    }


PULUMI_ACTION = REPO_ROOT / ".github" / "actions" / "pulumi" / "action.yml"


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    """The job's step that runs `.github/actions/pulumi` (preview or up of its stack)."""
    steps: list[dict[str, Any]] = job["steps"]
    (step,) = [s for s in steps if s.get("uses") == "$/.github/actions/pulumi"]
    return step


def pulumi_action_step() -> dict[str, Any]:
    steps = steps_of(yaml.safe_load(PULUMI_ACTION.read_text()))
    (step,) = [s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions@")]
    return step


def test_previews_and_deploys_take_their_credentials_from_their_own_environments() -> None:
    pull_request, deploy = workflow("pull-request.yml")["jobs"], workflow("deploy.yml")["jobs"]
    previews = [pull_request["preview"], pull_request["preview-teams"]]
    ups = [deploy["up"], deploy["up-teams"]]
    for job in previews:
        assert job["environment"] == "preview-${{ matrix.stack }}"
        assert pulumi_step(job)["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
        assert "DEPLOY" not in yaml.safe_dump(job)
    for job in ups:
        assert job["environment"] == "${{ matrix.stack }}"
        assert pulumi_step(job)["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert pulumi_step(job)["with"]["command"] == "up"
    assert deploy["stacks"]["if"] == "github.ref == 'refs/heads/main'"
    for job in (*previews, *ups):
        passed = pulumi_step(job)["with"]
        assert {key: passed[key] for key in passed if "secrets." in passed[key]} == {
            "datadog-api-key": "${{ secrets.DATADOG_API_KEY }}",
            "datadog-app-key": "${{ secrets.DATADOG_APP_KEY }}",
            "pulumi-access-token": "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            "pulumi-config-passphrase": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
        }
    # The action hands the keys to the program as the stack's config, and the Pulumi
    # credentials to the CLI, nothing else.
    pulumi = pulumi_action_step()
    assert yaml.safe_load(pulumi["with"]["config-map"]) == {
        API_KEY_CONFIG: {"value": "${{ inputs.datadog-api-key }}", "secret": True},
        APP_KEY_CONFIG: {"value": "${{ inputs.datadog-app-key }}", "secret": True},
    }
    assert pulumi["env"] == {
        "PULUMI_ACCESS_TOKEN": "${{ inputs.pulumi-access-token }}",
        "PULUMI_CONFIG_PASSPHRASE": "${{ inputs.pulumi-config-passphrase }}",
    }
    (aws,) = [
        s
        for s in steps_of(yaml.safe_load(PULUMI_ACTION.read_text()))
        if str(s.get("uses", "")).startswith("aws-actions/")
    ]
    assert aws["with"]["role-to-assume"] == "${{ inputs.role-to-assume }}"


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


@pytest.mark.parametrize(
    ("planned", "command"),
    [
        (
            "payments-production",
            "plan --stack payments-production --out out/head/payments-production",
        ),
        (
            "platform-production payments-production",
            "plan --stack platform-production payments-production --out out/head",
        ),
    ],
    ids=["one", "several"],
)
def test_the_offline_preview_plans_each_stack_into_its_folder(
    tmp_path: Path, planned: str, command: str
) -> None:
    """The plan step's shell, with a stand-in for the CLI that records its arguments: one
    `--stack` takes its own folder as `--out`, several take the folder of their folders."""
    (step,) = [
        s
        for s in workflow("pull-request.yml")["jobs"]["offline-preview"]["steps"]
        if s.get("name") == "Plan the pull request"
    ]
    cli = tmp_path / "venv" / "bin" / "python"
    cli.parent.mkdir(parents=True)
    cli.write_text('#!/bin/sh\nshift 2\necho "$@" >> called.txt\n')
    cli.chmod(0o755)
    subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={**os.environ, "PLANNED": planned},
        check=True,
    )
    assert (tmp_path / "called.txt").read_text().splitlines() == [command]
