"""Several stacks at once: which a change affects, their order, and running them side by side."""

import functools
import json
import subprocess
import time
from pathlib import Path

import pytest

from stacks.tooling.cli import main
from stacks.tooling.parallel import StackResult, run_stacks
from stacks.tooling.selection import (
    affected,
    changed_since,
    in_order,
    read_stacks,
    repository_stacks,
)
from stacks.tooling.stack_file import REPO_ROOT

TEAMS = ["assistant-production", "payments-production"]
EVERY_STACK = ["dev", "platform-production", "production", *TEAMS]
"""The repository's stacks in the order they run: those that reference none, then the teams."""


def test_teams_run_after_the_platform_they_reference() -> None:
    stacks = read_stacks(repository_stacks())
    assert {name: stack.platform for name, stack in stacks.items()} == {
        "dev": None,
        "platform-production": None,
        "production": None,
        "assistant-production": "platform-production",
        "payments-production": "platform-production",
    }
    assert in_order(repository_stacks(), stacks) == EVERY_STACK


def test_a_team_read_without_its_platform_waits_for_nothing() -> None:
    (team,) = read_stacks(["payments-production"]).values()
    assert (team.references, team.platform) == ("platform-production", None)


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["Pulumi.payments-production.yaml"], ["payments-production"]),
        (["Pulumi.platform-production.yaml"], ["platform-production", *TEAMS]),
        (["Pulumi.dev.yaml", "Pulumi.assistant-production.yaml"], ["dev", TEAMS[0]]),
        (["components/fargate/service.py"], EVERY_STACK),
        (["requirements.txt"], EVERY_STACK),
        (["Pulumi.yaml"], EVERY_STACK),
        (["policy/rules.py"], EVERY_STACK),
        (["README.md", "tests/stacks/test_plan.py", "benchmarks/plan_scale.py"], []),
        # Not stack files: the pattern holds at the repository's root only.
        (["tests/fixtures/Pulumi.dev.yaml", "docs/notes.md"], []),
        # A stack file deleted: its stack is gone, the stacks that referenced it are affected.
        (["Pulumi.staging.yaml"], []),
    ],
    ids=[
        "team",
        "platform",
        "single-and-team",
        "code",
        "requirements",
        "project",
        "policy",
        "nothing-planned",
        "not-stack-files",
        "deleted-stack",
    ],
)
def test_a_change_affects_the_stacks_that_plan_from_it(
    changed: list[str], expected: list[str]
) -> None:
    assert affected(changed, read_stacks(repository_stacks())) == expected


def test_the_teams_of_a_deleted_platform_are_affected(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: observability\n")
    team = "config:\n  observability:stack: {role: team, platform: acme/%s/platform}\n"
    (tmp_path / "Pulumi.team-a.yaml").write_text(team % "observability")
    (tmp_path / "Pulumi.team-b.yaml").write_text(team % "other-project")
    stacks = read_stacks(repository_stacks(tmp_path), tmp_path)
    # team-b's platform of that name belongs to another project: not this repository's stack.
    assert affected(["Pulumi.platform.yaml"], stacks) == ["team-a"]


def git(root: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_the_change_is_what_the_branch_did_since_it_left_the_base(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    for name in ("Pulumi.dev.yaml", "Pulumi.old.yaml", "README.md"):
        (tmp_path / name).write_text("config: {}\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-qb", "change")
    git(tmp_path, "mv", "Pulumi.old.yaml", "Pulumi.new.yaml")
    git(tmp_path, "commit", "-qm", "rename")
    # The base moves on after the branch left it: its own changes are not the branch's.
    git(tmp_path, "checkout", "-q", "main")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {aws:region: eu-west-1}\n")
    git(tmp_path, "commit", "-qam", "elsewhere")
    main_head = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-q", "change")

    # A rename is the old stack file deleted and the new one added.
    assert sorted(changed_since(main_head, tmp_path)) == ["Pulumi.new.yaml", "Pulumi.old.yaml"]
    assert sorted(changed_since(base, tmp_path)) == ["Pulumi.new.yaml", "Pulumi.old.yaml"]


def test_affected_prints_json_the_workflows_make_matrices_of(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["affected", "--changed", "Pulumi.platform-production.yaml"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "stacks": ["platform-production", *TEAMS],
        "first": ["platform-production"],
        "teams": TEAMS,
        "plan": ["platform-production", *TEAMS],
    }
    # An offline plan of a team reads its platform's: the platform is planned, not affected.
    assert main(["affected", "--changed", "Pulumi.payments-production.yaml"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "stacks": ["payments-production"],
        "first": [],
        "teams": ["payments-production"],
        "plan": ["platform-production", "payments-production"],
    }
    assert main(["affected", "--all"]) == 0
    assert json.loads(capsys.readouterr().out)["stacks"] == EVERY_STACK
    assert main(["affected", "--base", "no-such-commit"]) == 2
    assert capsys.readouterr().err.startswith("affected: git cannot compare with no-such-commit:")


# The tasks below run in worker processes, which import this module to find them.
def record_start(folder: Path, stack: str) -> int:
    (folder / f"{stack}.started").write_text(str(time.monotonic()))
    # The platform takes longest: a worker is free for a team well before it is done.
    time.sleep(1.0 if "platform" in stack else 0.2)
    print(f"ran {stack}")
    return 2 if stack.startswith("broken") else 0


def test_a_stack_runs_once_the_stack_it_references_is_done(tmp_path: Path) -> None:
    finished: dict[str, float] = {}

    def done(result: StackResult) -> None:
        finished[result.stack] = time.monotonic()

    platforms = {"platform": None, "single": None, "team-a": "platform", "team-b": "platform"}
    results = run_stacks(
        ["platform", "single", "team-a", "team-b"],
        platforms,
        functools.partial(record_start, tmp_path),
        done,
        workers=2,
    )

    assert {stack: r.status for stack, r in results.items()} == dict.fromkeys(platforms, 0)
    assert results["team-a"].stdout == "ran team-a\n"
    started = {path.stem: float(path.read_text()) for path in tmp_path.glob("*.started")}
    assert started["team-a"] > finished["platform"]
    assert started["team-b"] > finished["platform"]
    # Two workers: the single stack ran beside the platform, not after it.
    assert started["single"] < finished["platform"]


def test_the_teams_of_a_failed_platform_do_not_run(tmp_path: Path) -> None:
    results = run_stacks(
        ["broken-platform", "team", "loop"],
        {"broken-platform": None, "team": "broken-platform", "loop": "loop"},
        functools.partial(record_start, tmp_path),
        lambda _result: None,
        workers=2,
    )

    assert {stack: r.status for stack, r in results.items()} == {
        "broken-platform": 2,
        "team": 1,
        "loop": 1,
    }
    assert results["team"].stderr == (
        "Pulumi.team.yaml: not run: it reads stack broken-platform "
        "(Pulumi.broken-platform.yaml), which failed\n"
    )
    assert results["loop"].stderr.endswith("(Pulumi.loop.yaml), which waits on it\n")
    assert sorted(path.stem for path in tmp_path.glob("*.started")) == ["broken-platform"]


@pytest.mark.parametrize(
    "arguments",
    [
        ["plan", "--stack", "dev", "production", "--config-file", "Pulumi.dev.yaml"],
        ["check", "--all", "--config-file", "Pulumi.dev.yaml"],
        ["diff", "out/base", "out/head", "--all", "--title", "mine"],
        ["plan", "--all", "--stack", "dev"],
        ["plan"],
    ],
    ids=["config-file-of-two", "config-file-of-all", "title-of-several", "both", "neither"],
)
def test_selections_that_say_nothing_clear_are_refused(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    assert exit_.value.code == 2


def write_plan(folder: Path, resources: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True)
    (folder / "resources.json").write_text(json.dumps(resources))


def test_diff_of_several_stacks_titles_each_and_names_what_it_cannot_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for side in ("base", "head"):
        write_plan(tmp_path / side / "dev", [])
    write_plan(tmp_path / "head" / "production", [])

    status = main(["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--all"])

    printed = capsys.readouterr()
    assert status == 2
    assert printed.out.startswith("### dev\n")
    assert "No changes." in printed.out
    assert printed.err.startswith(f"diff: Pulumi.platform-production.yaml: {tmp_path}/base/")
    assert f"diff: Pulumi.production.yaml: {tmp_path}/base/production: no resources.json" in (
        printed.err
    )


def test_plan_of_several_stacks_writes_each_and_reports_each_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    selection = ["payments-production", "dev", "no-such-stack", "platform-production"]
    status = main(["plan", "--stack", *selection, "--out", str(tmp_path)])

    printed = capsys.readouterr()
    assert status == 2
    assert "Pulumi.no-such-stack.yaml: (file): no such stack file" in printed.err
    assert printed.err.rstrip().endswith(
        "4 stacks: 3 done, failed: Pulumi.no-such-stack.yaml (exit 2)"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "dev",
        "payments-production",
        "platform-production",
    ]
    # The team planned after its platform, beside it.
    assert printed.out.index("stack platform-production (") < printed.out.index(
        "stack payments-production ("
    )
    # A stack planned among others, in its own process, is the stack `plan --stack dev` plans.
    planned = json.loads((tmp_path / "dev" / "resources.json").read_text())
    record = (REPO_ROOT / "tests" / "urns" / "dev.txt").read_text().split()
    assert sorted(resource["urn"] for resource in planned) == record


def test_a_selection_of_one_stack_runs_as_that_stack_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["urns", "--stack", "dev", "dev"]) == 0
    printed = capsys.readouterr()
    assert printed.out.split() == (REPO_ROOT / "tests" / "urns" / "dev.txt").read_text().split()
    # No summary of several stacks: nothing but what `urns --stack dev` prints.
    assert printed.err == ""
