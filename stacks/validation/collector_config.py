"""Internal consistency of an OpenTelemetry Collector configuration dict.

The collector refuses to start on most of these mistakes, but only once deployed; an unused
component is silently ignored and a misplaced memory_limiter silently protects less. This check
finds both before anything is applied.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from components.problems import Problem
from stacks.validation.kubernetes import json_path

_PIPELINE_ROLES = ("receivers", "processors", "exporters")
_SIGNALS = frozenset({"traces", "metrics", "logs", "profiles"})


def check_collector_config(config: Mapping[str, Any]) -> list[Problem]:
    """Problems in how pipelines, components and extensions of `config` refer to each other."""
    declared = {
        section: set(config.get(section) or {})
        for section in (*_PIPELINE_ROLES, "connectors", "extensions")
    }
    service = config.get("service") or {}
    pipelines: Mapping[str, Any] = service.get("pipelines") or {}
    if not pipelines:
        return [Problem(json_path(["service", "pipelines"]), "no pipelines are defined")]

    problems: list[Problem] = []
    used: dict[str, set[str]] = {role: set() for role in _PIPELINE_ROLES}
    connector_exporting_pipelines: dict[str, set[str]] = {}
    connector_receiving_pipelines: dict[str, set[str]] = {}
    for pipeline_name, pipeline in pipelines.items():
        path = ["service", "pipelines", pipeline_name]
        problems += _pipeline_shape_problems(path, pipeline_name, pipeline)
        for role in _PIPELINE_ROLES:
            for index, component in enumerate(pipeline.get(role) or []):
                if role != "processors" and component in declared["connectors"]:
                    by_connector = (
                        connector_receiving_pipelines
                        if role == "receivers"
                        else connector_exporting_pipelines
                    )
                    by_connector.setdefault(component, set()).add(pipeline_name)
                elif component in declared[role]:
                    used[role].add(component)
                else:
                    where = role if role == "processors" else f"{role} or connectors"
                    problems.append(
                        Problem(
                            json_path([*path, role, index]),
                            f"{component!r} is not declared in {where}",
                        )
                    )

    for role in _PIPELINE_ROLES:
        for component in sorted(declared[role] - used[role]):
            problems.append(
                Problem(json_path([role, component]), "declared but used by no pipeline")
            )
    for connector in sorted(declared["connectors"]):
        problems += _connector_problems(
            connector,
            connector_exporting_pipelines.get(connector, set()),
            connector_receiving_pipelines.get(connector, set()),
        )
    problems += _extension_problems(declared["extensions"], service.get("extensions") or [])
    return problems


def _pipeline_shape_problems(
    path: Sequence[str | int], pipeline_name: str, pipeline: Mapping[str, Any]
) -> list[Problem]:
    problems: list[Problem] = []
    signal = pipeline_name.split("/", 1)[0]
    if signal not in _SIGNALS:
        problems.append(
            Problem(json_path(path), f"pipeline type {signal!r} is not one of {sorted(_SIGNALS)}")
        )
    for role in ("receivers", "exporters"):
        if not pipeline.get(role):
            problems.append(Problem(json_path([*path, role]), f"a pipeline needs {role}"))
    processors = pipeline.get("processors") or []
    if not processors or _component_type(processors[0]) != "memory_limiter":
        problems.append(
            Problem(json_path([*path, "processors"]), "memory_limiter must be the first processor")
        )
    return problems


def _connector_problems(
    connector: str, exporting_pipelines: set[str], receiving_pipelines: set[str]
) -> list[Problem]:
    path = json_path(["connectors", connector])
    problems: list[Problem] = []
    if not exporting_pipelines:
        problems.append(Problem(path, "connector is not an exporter of any pipeline"))
    if not receiving_pipelines:
        problems.append(Problem(path, "connector is not a receiver of any pipeline"))
    for pipeline_name in sorted(exporting_pipelines & receiving_pipelines):
        problems.append(
            Problem(path, f"connector both receives and exports in pipeline {pipeline_name!r}")
        )
    return problems


def _extension_problems(declared: set[str], enabled: list[str]) -> list[Problem]:
    problems = [
        Problem(json_path(["service", "extensions", index]), f"{extension!r} is not declared")
        for index, extension in enumerate(enabled)
        if extension not in declared
    ]
    problems += [
        Problem(json_path(["extensions", extension]), "declared but not in service.extensions")
        for extension in sorted(declared - set(enabled))
    ]
    return problems


def _component_type(component_id: str) -> str:
    # A component id is `type` or `type/name`.
    return component_id.split("/", 1)[0]
