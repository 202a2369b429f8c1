"""The task definition check: botocore's model, its enums, and Fargate's rules."""

import copy
import json
from typing import Any

import pytest

from components.fargate.args import DEFAULT_CWS_INSTRUMENTATION_IMAGE, CwsInstrumentation
from components.fargate.container_definitions import container_definitions, task_volume_names
from components.problems import Problem
from stacks.validation.ecs_task_definition import register_request, task_definition_problems
from tests.factories import API_KEY_ARN, task


def inputs(**overrides: Any) -> dict[str, Any]:
    """Wire-form inputs of a valid Fargate task definition, as Pulumi sends them."""
    containers = container_definitions(task(), api_key_secret_arn=API_KEY_ARN, region="eu-west-1")
    values: dict[str, Any] = {
        "family": "dev-checkout-api",
        "cpu": "512",
        "memory": "1024",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "taskRoleArn": "arn:aws:iam::123456789012:role/task",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "volumes": [{"name": name} for name in task_volume_names(task())],
        "containerDefinitions": json.dumps(containers),
        "tags": {"env": "dev"},
        "skipDestroy": False,
    }
    values.update(overrides)
    return values


def with_container_change(change: Any) -> dict[str, Any]:
    containers = json.loads(inputs()["containerDefinitions"])
    change(containers)
    return inputs(containerDefinitions=json.dumps(containers))


def index_of(containers: list[dict[str, Any]], name: str) -> int:
    return next(i for i, c in enumerate(containers) if c["name"] == name)


def test_the_built_task_definition_passes() -> None:
    assert task_definition_problems(inputs()) == []


def test_pulumi_inputs_become_the_api_request() -> None:
    request = register_request(inputs(volumes=[{"name": "v", "hostPath": "/data"}]))
    assert request["tags"] == [{"key": "env", "value": "dev"}]
    assert request["volumes"] == [{"name": "v", "host": {"sourcePath": "/data"}}]
    assert "skipDestroy" not in request
    assert isinstance(request["containerDefinitions"], list)


def test_misspelled_container_field_is_rejected() -> None:
    def misspell(containers: list[dict[str, Any]]) -> None:
        containers[0]["enviroment"] = containers[0].pop("environment")

    problems = task_definition_problems(with_container_change(misspell))
    [misspelled] = [p for p in problems if '"enviroment"' in p.reason]
    assert misspelled.path == "containerDefinitions[0]"
    assert misspelled.reason.startswith('unknown parameter: "enviroment", must be one of: name,')


def test_wrong_type_is_rejected() -> None:
    def stringify(containers: list[dict[str, Any]]) -> None:
        containers[0]["cpu"] = "416"

    problems = task_definition_problems(with_container_change(stringify))
    assert [str(p) for p in problems] == [
        "containerDefinitions[0].cpu: invalid type: value: 416, type: <class 'str'>, "
        "valid types: <class 'int'>"
    ]


def test_missing_required_field_is_rejected() -> None:
    def drop_value_from(containers: list[dict[str, Any]]) -> None:
        del containers[index_of(containers, "datadog-agent")]["secrets"][0]["valueFrom"]

    problems = task_definition_problems(with_container_change(drop_value_from))
    assert problems == [
        Problem("containerDefinitions[2].secrets[0]", 'missing required parameter: "valueFrom"')
    ]


def test_enum_values_are_checked() -> None:
    def bad_condition(containers: list[dict[str, Any]]) -> None:
        containers[0]["dependsOn"][0]["condition"] = "READY"

    problems = task_definition_problems(with_container_change(bad_condition))
    assert problems[0].path == "containerDefinitions[0].dependsOn[0].condition"
    assert problems[0].reason.startswith("'READY' is not one of ")
    assert "HEALTHY" in problems[0].reason
    assert str(task_definition_problems(inputs(networkMode="bridged"))[0]).startswith(
        "networkMode: 'bridged' is not one of bridge, host, awsvpc, none"
    )


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"memory": "3000"}, "cpu, memory: 3000 is not a valid Fargate memory for cpu 512"),
        ({"cpu": "384"}, "cpu, memory: 384 is not a Fargate cpu value"),
        ({"networkMode": "bridge"}, "networkMode: Fargate needs awsvpc, not 'bridge'"),
        ({"volumes": []}, "containerDefinitions[0].mountPoints: no task volume 'dd-sockets'"),
        (
            {"volumes": [{"name": "dd-sockets"}]},
            "containerDefinitions[1].mountPoints: no task volume 'agent-config'",
        ),
    ],
)
def test_fargate_rules(overrides: dict[str, Any], problem: str) -> None:
    found = [str(p) for p in task_definition_problems(inputs(**overrides))]
    assert any(p.startswith(problem) for p in found), found


def test_containers_must_fit_the_task() -> None:
    def grow(containers: list[dict[str, Any]]) -> None:
        containers[0]["memory"] = 2048

    problems = task_definition_problems(with_container_change(grow))
    assert Problem("containerDefinitions", "containers take 2432 MiB of 1024") in problems


def test_waiting_on_a_container_without_health_check_is_rejected() -> None:
    def drop_probe(containers: list[dict[str, Any]]) -> None:
        del containers[index_of(containers, "datadog-agent")]["healthCheck"]
        containers[0]["dependsOn"][0]["condition"] = "HEALTHY"

    problems = task_definition_problems(with_container_change(drop_probe))
    assert problems == [
        Problem(
            "containerDefinitions[0].dependsOn", "'datadog-agent' has no health check to wait for"
        )
    ]


def cws_inputs() -> dict[str, Any]:
    spec = task(cws=CwsInstrumentation(image=DEFAULT_CWS_INSTRUMENTATION_IMAGE))
    containers = container_definitions(spec, api_key_secret_arn=API_KEY_ARN, region="eu-west-1")
    return inputs(
        containerDefinitions=json.dumps(containers),
        volumes=[{"name": v} for v in task_volume_names(spec)],
    )


def test_a_task_with_workload_protection_passes() -> None:
    assert task_definition_problems(cws_inputs()) == []


def test_waiting_for_an_essential_container_to_exit_is_rejected() -> None:
    request = cws_inputs()
    containers = json.loads(request["containerDefinitions"])
    containers[-1]["essential"] = True
    request["containerDefinitions"] = json.dumps(containers)
    assert task_definition_problems(request) == [
        Problem(
            "containerDefinitions[0].dependsOn",
            "'cws-instrumentation-init' is essential; SUCCESS needs one that is not",
        )
    ]


def test_fargate_adds_no_capability_but_sys_ptrace() -> None:
    def add_net_admin(containers: list[dict[str, Any]]) -> None:
        containers[0]["linuxParameters"] = {"capabilities": {"add": ["SYS_PTRACE", "NET_ADMIN"]}}

    assert task_definition_problems(with_container_change(add_net_admin)) == [
        Problem(
            "containerDefinitions[0].linuxParameters",
            "Fargate adds no capability but SYS_PTRACE, not 'NET_ADMIN'",
        )
    ]


def test_an_in_memory_tmp_needs_its_size() -> None:
    [app, *_] = container_definitions(
        task(readonly_root_filesystem=True), api_key_secret_arn=API_KEY_ARN, region="eu-west-1"
    )

    def read_only_app(containers: list[dict[str, Any]]) -> None:
        containers[0] = copy.deepcopy(app)

    def without_size(containers: list[dict[str, Any]]) -> None:
        read_only_app(containers)
        del containers[0]["linuxParameters"]["tmpfs"][0]["size"]

    assert task_definition_problems(with_container_change(read_only_app)) == []
    assert task_definition_problems(with_container_change(without_size)) == [
        Problem(
            "containerDefinitions[0].linuxParameters.tmpfs[0]",
            'missing required parameter: "size"',
        )
    ]


def with_app_health_check(**check: Any) -> dict[str, Any]:
    def add(containers: list[dict[str, Any]]) -> None:
        containers[0]["healthCheck"] = {"command": ["CMD", "/app/healthy"], **check}

    return with_container_change(add)


def test_a_health_check_within_ecss_ranges_passes() -> None:
    assert (
        task_definition_problems(
            with_app_health_check(interval=5, timeout=60, retries=10, startPeriod=300)
        )
        == []
    )


def test_health_check_timings_outside_ecss_ranges_are_rejected() -> None:
    problems = task_definition_problems(
        with_app_health_check(interval=4, timeout=61, retries=0, startPeriod=301)
    )
    assert problems == [
        Problem("containerDefinitions[0].healthCheck.interval", "4 is not in 5..300"),
        Problem("containerDefinitions[0].healthCheck.timeout", "61 is not in 2..60"),
        Problem("containerDefinitions[0].healthCheck.retries", "0 is not in 1..10"),
        Problem("containerDefinitions[0].healthCheck.startPeriod", "301 is not in 0..300"),
    ]


@pytest.mark.parametrize("command", [["curl", "-f", "http://127.0.0.1/"], ["CMD"], []])
def test_a_health_check_command_starts_with_its_form(command: list[str]) -> None:
    def add(containers: list[dict[str, Any]]) -> None:
        containers[0]["healthCheck"] = {"command": command}

    [problem] = task_definition_problems(with_container_change(add))
    assert problem.path == "containerDefinitions[0].healthCheck.command"
