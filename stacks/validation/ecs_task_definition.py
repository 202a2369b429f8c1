"""ECS task definitions checked against botocore's RegisterTaskDefinition model and Fargate rules.

botocore validates types, required and unknown fields but not enums, so enums are walked here; the
Fargate sizing and wiring rules are AWS's documented constraints that the model cannot express.
"""

import json
from typing import Any

from components.fargate.args import HEALTH_CHECK_FORMS, HEALTH_CHECK_RANGES
from components.fargate.sizes import fargate_size_problem
from components.problems import Problem
from stacks.validation.botocore_requests import (
    enum_problems,
    input_shape,
    model_problems,
    range_problems,
)

# Pulumi-only inputs that never reach the ECS API.
_PULUMI_ONLY = frozenset({"skipDestroy", "trackLatest", "region", "arn", "revision"})


def register_request(inputs: dict[str, Any]) -> dict[str, Any]:
    """The RegisterTaskDefinition request that Pulumi's provider sends for these inputs."""
    request = {k: v for k, v in inputs.items() if k not in _PULUMI_ONLY}
    if isinstance(request.get("containerDefinitions"), str):
        request["containerDefinitions"] = json.loads(request["containerDefinitions"])
    if isinstance(request.get("tags"), dict):
        request["tags"] = [{"key": k, "value": v} for k, v in request["tags"].items()]
    if "volumes" in request:
        request["volumes"] = [_api_volume(v) for v in request["volumes"]]
    return request


def _api_volume(volume: dict[str, Any]) -> dict[str, Any]:
    api_volume = dict(volume)
    if "hostPath" in api_volume:
        api_volume["host"] = {"sourcePath": api_volume.pop("hostPath")}
    return api_volume


def task_definition_problems(inputs: dict[str, Any]) -> list[Problem]:
    """Everything ECS would reject about this task definition, at the request's paths."""
    request = register_request(inputs)
    shape = input_shape("ecs", "RegisterTaskDefinition")
    problems = model_problems(request, shape)
    typed = not problems
    problems += enum_problems(request, shape, "")
    if typed:
        problems += _health_check_problems(request["containerDefinitions"])
    if "FARGATE" in request.get("requiresCompatibilities", []) and typed:
        problems += _fargate_problems(request)
    return problems


def _health_check_problems(containers: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    for index, container in enumerate(containers):
        check = container.get("healthCheck")
        if check is None:
            continue
        path = f"containerDefinitions[{index}].healthCheck"
        problems += range_problems(check, HEALTH_CHECK_RANGES, path)
        command = check["command"]
        if not command or command[0] not in HEALTH_CHECK_FORMS or len(command) < 2:
            problems.append(
                Problem(
                    f"{path}.command",
                    "must be CMD and the program with its arguments, or CMD-SHELL and a "
                    "command line",
                )
            )
    return problems


def _fargate_problems(request: dict[str, Any]) -> list[Problem]:
    problems = []
    if request.get("networkMode") != "awsvpc":
        problems.append(
            Problem("networkMode", f"Fargate needs awsvpc, not {request.get('networkMode')!r}")
        )
    problems += _sizing_problems(request)
    containers = request["containerDefinitions"]
    if not any(c.get("essential", True) for c in containers):
        problems.append(Problem("containerDefinitions", "no container is essential"))
    volumes = {v.get("name") for v in request.get("volumes", [])}
    for index, container in enumerate(containers):
        problems += [
            Problem(f"containerDefinitions[{index}].{field}", reason)
            for field, reason in _wiring_problems(container, containers, volumes)
        ]
    return problems


def _sizing_problems(request: dict[str, Any]) -> list[Problem]:
    try:
        cpu, memory = int(request["cpu"]), int(request["memory"])
    except (KeyError, ValueError):
        return [Problem("cpu, memory", "Fargate needs task-level cpu and memory")]
    problems = []
    size_problem = fargate_size_problem(cpu, memory)
    if size_problem:
        problems.append(Problem("cpu, memory", size_problem))
    containers = request["containerDefinitions"]
    used_cpu = sum(c.get("cpu", 0) for c in containers)
    used_memory = sum(c.get("memory") or c.get("memoryReservation") or 0 for c in containers)
    if used_cpu > cpu:
        problems.append(
            Problem("containerDefinitions", f"containers take {used_cpu} CPU units of {cpu}")
        )
    if used_memory > memory:
        problems.append(
            Problem("containerDefinitions", f"containers take {used_memory} MiB of {memory}")
        )
    return problems


def _wiring_problems(
    container: dict[str, Any], containers: list[dict[str, Any]], volumes: set[str]
) -> list[tuple[str, str]]:
    """(field, reason) pairs of one container."""
    problems = []
    health_checked = {c.get("name") for c in containers if "healthCheck" in c}
    essential = {c.get("name") for c in containers if c.get("essential", True)}
    for dependency in container.get("dependsOn", []):
        target = dependency["containerName"]
        if target not in {c.get("name") for c in containers}:
            problems.append(("dependsOn", f"no container named {target!r}"))
        elif dependency["condition"] == "HEALTHY" and target not in health_checked:
            problems.append(("dependsOn", f"{target!r} has no health check to wait for"))
        elif dependency["condition"] in ("COMPLETE", "SUCCESS") and target in essential:
            # botocore's ECS model, ContainerDependency.condition: "can't be set on an
            # essential container".
            problems.append(
                (
                    "dependsOn",
                    f"{target!r} is essential; {dependency['condition']} needs one that is not",
                )
            )
    added = container.get("linuxParameters", {}).get("capabilities", {}).get("add", [])
    # KernelCapabilities.add in the same model: "Tasks launched on Fargate only support adding
    # the SYS_PTRACE kernel capability."
    for capability in sorted(set(added) - {"SYS_PTRACE"}):
        problems.append(
            ("linuxParameters", f"Fargate adds no capability but SYS_PTRACE, not {capability!r}")
        )
    for mount in container.get("mountPoints", []):
        if mount.get("sourceVolume") not in volumes:
            problems.append(("mountPoints", f"no task volume {mount.get('sourceVolume')!r}"))
    for mapping in container.get("portMappings", []):
        host_port = mapping.get("hostPort")
        if host_port is not None and host_port != mapping.get("containerPort"):
            problems.append(("portMappings", "awsvpc needs hostPort == containerPort"))
    return problems
