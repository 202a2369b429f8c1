"""`python -m stacks check`: schema problems and policy violations, all reported at once."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.fargate import container_definitions as builders
from stacks.tooling.cli import main
from stacks.tooling.stack_file import REPO_ROOT


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["check", *args])
    return status, capsys.readouterr().out.strip().splitlines()


def stack_file(tmp_path: Path, change: Any) -> Path:
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    change(document["config"])
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize("stack", ["dev", "production"])
def test_the_committed_stacks_are_clean(capsys: pytest.CaptureFixture[str], stack: str) -> None:
    status, lines = check(capsys, "--stack", stack)
    assert lines[-1].startswith(f"Pulumi.{stack}.yaml: checked ")
    assert lines[-1].endswith(" resources: no problems")
    assert status == 0


def test_check_lists_what_it_left_out_for_want_of_data(capsys: pytest.CaptureFixture[str]) -> None:
    _, lines = check(capsys, "--stack", "dev")
    left_out = [line for line in lines if line.startswith("Pulumi.dev.yaml: info: ")]
    assert len(left_out) == 8
    assert left_out[0] == (
        "Pulumi.dev.yaml: info: support-assistant: no APM latency monitor: an agentless service "
        "sends no traces"
    )


def test_policy_violations_name_the_resource_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def unwrap(config: dict[str, Any]) -> None:
        config["observability:services"][0]["wrapWithDdtrace"] = False

    path = stack_file(tmp_path, unwrap)
    status, lines = check(capsys, "--stack", "dev", "--config-file", str(path))
    assert status == 1
    assert (
        f"{path}: checkout-api-task (aws:ecs/taskDefinition:TaskDefinition): policy "
        "ecs-apps-traced-and-tagged: container 'checkout-api' does not start under ddtrace-run"
    ) in lines
    assert lines[-1].endswith("problem(s)")


def test_schema_problems_are_collected_not_fatal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build = builders.container_definitions

    def misspelled(*args: Any, **kwargs: Any) -> list[Any]:
        containers = build(*args, **kwargs)
        containers[0]["enviroment"] = containers[0].pop("environment")
        return containers

    monkeypatch.setattr(builders, "container_definitions", misspelled)
    monkeypatch.setattr("components.fargate.service.container_definitions", misspelled)
    status, lines = check(capsys, "--stack", "dev")
    assert status == 1
    schema = [line for line in lines if ": schema: " in line]
    # Both services' task definitions are reported: the first problem does not stop the check.
    assert sorted(line.split(": ")[1] for line in schema if "enviroment" in line) == [
        "checkout-api-task (aws:ecs/taskDefinition:TaskDefinition)",
        "support-assistant-task (aws:ecs/taskDefinition:TaskDefinition)",
    ]


def basic_with_seasonality(config: dict[str, Any]) -> None:
    # Datadog accepts seasonality on the basic anomaly algorithm and ignores it.
    config["observability:services"][0]["monitors"]["custom"]["signups"] = {
        "kind": "anomaly",
        "name": "signups",
        "message": "Signups look unusual.",
        "metric": "app.signups",
        "algorithm": "basic",
        "seasonality": "daily",
    }


SIGNUPS_WARNING = (
    "checkout-api-monitors-signups (datadog:index/monitor:Monitor): schema: query: warning: "
    "seasonality does not apply to the 'basic' algorithm (only agile and robust are seasonal) "
    "(at char "
)


def test_warnings_are_listed_and_fail_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(tmp_path, basic_with_seasonality)
    status, lines = check(capsys, "--stack", "dev", "--config-file", str(path))
    assert [line for line in lines if "warning: " in line] == [
        f"{path}: {SIGNUPS_WARNING}151: 'daily')"
    ]
    assert lines[-1].endswith(" resources: no problems, 1 warning(s)")
    assert status == 0


def test_invalid_config_is_exit_status_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(tmp_path, lambda config: config.pop("observability:environment"))
    assert main(["check", "--stack", "dev", "--config-file", str(path)]) == 2
    assert "observability:environment: required key is missing" in capsys.readouterr().err
