"""The offline diff between two plans."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.tooling.cli import main
from stacks.tooling.diff import diff_folders, diff_plans, render_markdown
from stacks.tooling.stack_file import REPO_ROOT


def resource(name: str, inputs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    values = {
        "urn": f"urn:pulumi:dev::observability::{fields.get('type', 't:m:T')}::{name}",
        "type": "t:m:T",
        "name": name,
        "parent": None,
        "custom": True,
        "protect": False,
        "inputs": inputs,
    }
    values.update(fields)
    return values


def plan_of(tmp_path: Path, folder: str, change: Any = None) -> Path:
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    if change:
        change(document["config"])
    stack_file = tmp_path / f"{folder}.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    out = tmp_path / folder
    assert (
        main(["plan", "--stack", "dev", "--config-file", str(stack_file), "--out", str(out)]) == 0
    )
    return out


def test_a_real_change_between_two_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(config: dict[str, Any]) -> None:
        services = config["observability:services"]
        services[0]["traceSampleRate"] = 0.5
        services[0]["env"] = {"LOG_LEVEL": "info"}
        services.pop(1)
        services.append({**services[0], "name": "orders-api"})

    old, new = plan_of(tmp_path, "base"), plan_of(tmp_path, "head", change)
    capsys.readouterr()
    markdown = diff_folders(old, new, "dev")
    assert markdown.startswith("### dev\n\n**27 to add, 12 to remove, 0 to replace, 1 to change**")
    assert "- `orders-api-task` `aws:ecs/taskDefinition:TaskDefinition`" in markdown
    assert "- `support-assistant-service` `aws:ecs/service:Service`" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| `containerDefinitions")]
    assert rows == [
        "| `containerDefinitions[checkout-api].environment[DD_TRACE_SAMPLE_RATE].value` "
        "| `1.0` | `0.5` |",
        # JSON inside a JSON string is compared as JSON too.
        "| `containerDefinitions[checkout-api].environment[DD_TRACE_SAMPLING_RULES].value[0]"
        ".sample_rate` | `1.0` | `0.5` |",
        "| `containerDefinitions[checkout-api].environment[LOG_LEVEL].value` | `debug` | `info` |",
    ]


def test_the_cli_prints_no_changes_for_identical_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = plan_of(tmp_path, "same")
    capsys.readouterr()
    assert main(["diff", str(plan), str(plan)]) == 0
    assert capsys.readouterr().out.strip().endswith("No changes.")


def test_same_name_with_a_new_type_or_parent_looks_like_a_replacement() -> None:
    before = [resource("queue", {}, type="aws:sqs/queue:Queue")]
    after = [resource("queue", {}, type="aws:sns/topic:Topic")]
    diff = diff_plans(before, after)
    assert (diff.added, diff.removed, len(diff.replaced)) == ([], [], 1)
    markdown = render_markdown("dev", diff)
    assert (
        "- `queue` `aws:sns/topic:Topic`: type `aws:sqs/queue:Queue` -> `aws:sns/topic:Topic`"
        in (markdown)
    )


def test_reordered_named_entries_are_not_a_change() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    before = [
        resource(
            "task", {"containerDefinitions": json.dumps([{"name": "app", "environment": env}])}
        )
    ]
    after = [
        resource(
            "task",
            {"containerDefinitions": json.dumps([{"environment": env[::-1], "name": "app"}])},
        )
    ]
    assert diff_plans(before, after).empty


def test_secret_values_stay_masked() -> None:
    before = [resource("key", {"secretString": "[secret]", "name": "a"})]
    after = [resource("key", {"secretString": "[secret]", "name": "b"}, protect=True)]
    markdown = render_markdown("dev", diff_plans(before, after))
    assert "| `name` | `a` | `b` |" in markdown
    assert "| `(protect)` | `false` | `true` |" in markdown
    assert "secretString" not in markdown


def test_inputs_pulumi_stops_applying_are_a_change() -> None:
    # The base branch's plan may predate the engine recording the option.
    before = [resource("service", {"desiredCount": 2})]
    after = [resource("service", {"desiredCount": 2}, ignoreChanges=["desiredCount"])]
    markdown = render_markdown("dev", diff_plans(before, after))
    assert '| `(ignoreChanges)` | `[]` | `["desiredCount"]` |' in markdown
    assert diff_plans(after, after).empty


def test_a_huge_diff_is_summarised_under_the_comment_limit() -> None:
    before = [resource(f"r{i}", {"value": "x" * 200}) for i in range(2000)]
    after = [resource(f"r{i}", {"value": "y" * 200}) for i in range(2000)]
    markdown = render_markdown("dev", diff_plans(before, after))
    assert len(markdown) < 60_000
    assert "**0 to add, 0 to remove, 0 to replace, 2000 to change**" in markdown
    assert "more entries left out to fit a pull-request comment" in markdown


def test_a_renamed_service_shows_as_renames_and_names_what_aws_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = plan_of(tmp_path, "before")

    def rename(config: dict[str, Any]) -> None:
        service = config["observability:services"][0]
        service["previousNames"] = [service["name"]]
        service["name"] = "storefront-api"
        # Its own monitors' searches name it too.
        text = json.dumps(service["monitors"]).replace("checkout-api", "storefront-api")
        service["monitors"] = json.loads(text)

    after = plan_of(tmp_path, "after", rename)
    capsys.readouterr()
    markdown = diff_folders(before, after)

    header, renames = markdown.split("#### Renamed (kept through an alias)\n", 1)
    assert "0 to add, 0 to remove" in header
    renames = renames.split("\n\n", 1)[0]
    lines = renames.splitlines()
    assert all(line.startswith("- `checkout-api") for line in lines)
    assert "- `checkout-api-monitors` -> `storefront-api-monitors`" in renames
    replaced = [line for line in lines if "**replaced all the same**" in line]
    # What holds the service name as its physical name: the task family, the log group, the
    # ECS service.
    assert sorted(line.split(" -> ")[1].split(" ")[1].rstrip(":") for line in replaced) == [
        "`aws:cloudwatch/logGroup:LogGroup`",
        "`aws:ecs/service:Service`",
        "`aws:ecs/taskDefinition:TaskDefinition`",
    ]


def test_a_folder_without_a_plan_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(tmp_path / "missing"), str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"diff: {tmp_path / 'missing'}: no resources.json; give a folder that "
        "`python -m stacks plan --out` wrote\n"
    )
