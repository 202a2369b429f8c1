"""Which schema check applies to which registered resource type."""

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import yaml

from components.eks.manifests import COLLECTOR_APP_NAME, CONFIG_FILE
from components.problems import Problem
from components.versions import DEFAULT_KUBERNETES_VERSION
from stacks.validation.app_autoscaling import (
    POLICY_TYPE,
    TARGET_TYPE,
    scalable_target_problems,
    scaling_policy_problems,
)
from stacks.validation.collector_config import check_collector_config
from stacks.validation.dashboards import dashboard_json_problems
from stacks.validation.datadog_agent import API_VERSION as DATADOG_AGENT_API_VERSION
from stacks.validation.datadog_agent import KIND as DATADOG_AGENT_KIND
from stacks.validation.datadog_agent import check_datadog_agent
from stacks.validation.downtimes import DOWNTIME_SCHEDULE_TYPE, downtime_schedule_problems
from stacks.validation.ecs_service import service_problems
from stacks.validation.ecs_task_definition import task_definition_problems
from stacks.validation.kubernetes import check_kubernetes_object, json_path
from stacks.validation.monitors import MONITOR_TYPE, monitor_problems
from stacks.validation.slos import SLO_TYPE, slo_problems

ResourceCheck = Callable[[dict[str, Any]], list[Problem]]

_CHECKS_BY_TYPE: dict[str, ResourceCheck] = {
    "aws:ecs/taskDefinition:TaskDefinition": task_definition_problems,
    "aws:ecs/service:Service": service_problems,
    TARGET_TYPE: scalable_target_problems,
    POLICY_TYPE: scaling_policy_problems,
    "datadog:index/dashboardJson:DashboardJson": dashboard_json_problems,
    MONITOR_TYPE: monitor_problems,
    DOWNTIME_SCHEDULE_TYPE: downtime_schedule_problems,
    SLO_TYPE: slo_problems,
}

HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CONFIG_MAP_TYPE = "kubernetes:core/v1:ConfigMap"
# Components that render their objects outside the program: under the offline engine they
# register nothing that could be checked, and their preview needs the chart and a live cluster.
_UNCHECKABLE_KUBERNETES_TYPES = frozenset(
    {
        "kubernetes:helm.sh/v3:Chart",
        "kubernetes:helm.sh/v4:Chart",
        "kubernetes:kustomize:Directory",
        "kubernetes:kustomize/v2:Directory",
        "kubernetes:yaml:ConfigFile",
        "kubernetes:yaml:ConfigGroup",
        "kubernetes:yaml/v2:ConfigFile",
        "kubernetes:yaml/v2:ConfigGroup",
    }
)


def resource_problems(
    type_: str, inputs: dict[str, Any], *, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
) -> list[Problem]:
    """Problems with a resource's inputs (secrets unwrapped); empty when all checks pass.

    Every `kubernetes:*` type is checked: an object the project cannot validate fails, so nothing
    reaches a cluster unchecked. `kubernetes_version` picks the Kubernetes schemas.
    """
    if type_.startswith("kubernetes:"):
        return kubernetes_resource_problems(type_, inputs, kubernetes_version)
    check = _CHECKS_BY_TYPE.get(type_)
    return check(inputs) if check is not None else []


def kubernetes_resource_problems(
    type_: str, inputs: dict[str, Any], kubernetes_version: str
) -> list[Problem]:
    if type_ in _UNCHECKABLE_KUBERNETES_TYPES:
        return [
            Problem(
                "",
                "renders its objects outside the program, so none of them can be checked; "
                "register typed resources built from dicts (components/eks/kubernetes_objects.py)",
            )
        ]
    if type_ == HELM_RELEASE_TYPE:
        return helm_release_problems(inputs)
    if type_ == f"kubernetes:{DATADOG_AGENT_API_VERSION}:{DATADOG_AGENT_KIND}":
        return check_datadog_agent(inputs)
    # Built-in kinds; any other custom resource has no schema here and is reported as such.
    problems = list(
        _kubernetes_object_problems(json.dumps(inputs, sort_keys=True), kubernetes_version)
    )
    if type_ == CONFIG_MAP_TYPE:
        problems += collector_config_map_problems(inputs)
    return problems


def collector_config_map_problems(inputs: dict[str, Any]) -> list[Problem]:
    """A collector's ConfigMap must hold a configuration whose pipelines and components agree:
    the collector would refuse to start on most mistakes, but only once deployed."""
    labels = (inputs.get("metadata") or {}).get("labels") or {}
    config_text = (inputs.get("data") or {}).get(CONFIG_FILE)
    if labels.get("app.kubernetes.io/name") != COLLECTOR_APP_NAME or config_text is None:
        return []
    path = json_path(["data", CONFIG_FILE])
    try:
        config = yaml.safe_load(config_text)
    except yaml.YAMLError as error:
        return [Problem(path, f"not YAML: {error}")]
    if not isinstance(config, dict):
        return [Problem(path, "not a collector configuration (a mapping)")]
    # The configuration's own paths continue the ConfigMap's: $.data["config.yaml"].service...
    return [
        Problem(path + problem.path.removeprefix("$"), problem.reason)
        for problem in check_collector_config(config)
    ]


@lru_cache(maxsize=1024)
def _kubernetes_object_problems(serialized: str, kubernetes_version: str) -> tuple[Problem, ...]:
    # Plans and tests register the same objects again and again, and each validation reloads
    # the version's schema files.
    return tuple(check_kubernetes_object(json.loads(serialized), kubernetes_version))


def helm_release_problems(inputs: dict[str, Any]) -> list[Problem]:
    """A release must pin its chart version and fetch the chart over HTTPS (or from OCI)."""
    problems = []
    chart = str(inputs.get("chart") or "")
    if not chart:
        problems.append(Problem("$.chart", "no chart"))
    if not inputs.get("version"):
        problems.append(
            Problem("$.version", "the chart version is not pinned (each deploy could differ)")
        )
    repository = str((inputs.get("repositoryOpts") or {}).get("repo") or "")
    if not chart.startswith("oci://") and not repository.startswith("https://"):
        problems.append(
            Problem("$.repositoryOpts.repo", f"{repository!r} is not an HTTPS chart repository")
        )
    return problems
