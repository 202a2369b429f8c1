"""Application Auto Scaling targets and policies checked against botocore's models.

Pulumi's inputs are the API's members in camelCase (`roleArn` for `RoleARN`): each is matched to
its member case-insensitively, guided by the model's shapes, so that a map's keys (tags) stay as
they are and an input the API does not know is reported by botocore as unknown.
"""

import re
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

from components.problems import Problem
from stacks.validation.botocore_requests import input_shape, request_problems

SERVICE: Final = "application-autoscaling"
TARGET_TYPE: Final = "aws:appautoscaling/target:Target"
POLICY_TYPE: Final = "aws:appautoscaling/policy:Policy"

_PULUMI_ONLY: Final = frozenset({"region"})
# An ECS service's ResourceId (RegisterScalableTarget in the API reference).
_ECS_RESOURCE_ID: Final = re.compile(r"service/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,255}")
# PredefinedMetricSpecification: the metric types of an ECS service's task count.
_ECS_METRICS: Final = frozenset(
    {
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
        "ECSServiceAverageCPUUtilizationHighResolution",
        "ECSServiceAverageMemoryUtilizationHighResolution",
        "ALBRequestCountPerTarget",
    }
)
_REQUEST_COUNT: Final = "ALBRequestCountPerTarget"
# `app/<load balancer>/<id>/targetgroup/<target group>/<id>` (PredefinedMetricSpecification).
_RESOURCE_LABEL: Final = re.compile(
    r"app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}"
)


def api_request(inputs: dict[str, Any], shape: StructureShape) -> dict[str, Any]:
    """`inputs` under the API's member names, as the provider sends them."""
    request: dict[str, Any] = _with_member_names(
        {k: v for k, v in inputs.items() if k not in _PULUMI_ONLY}, shape
    )
    return request


def _with_member_names(value: Any, shape: Shape) -> Any:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        renamed = {members.get(key.lower(), key): item for key, item in value.items()}
        return {
            key: _with_member_names(item, shape.members[key]) if key in shape.members else item
            for key, item in renamed.items()
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_with_member_names(item, shape.member) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _with_member_names(item, shape.value) for key, item in value.items()}
    return value


def scalable_target_problems(inputs: dict[str, Any]) -> list[Problem]:
    """What RegisterScalableTarget would reject, at the request's paths."""
    shape = input_shape(SERVICE, "RegisterScalableTarget")
    request = api_request(inputs, shape)
    problems = request_problems(request, shape)
    if problems:
        return problems
    low, high = request.get("MinCapacity"), request.get("MaxCapacity")
    if low is not None and high is not None and low > high:
        problems.append(Problem("MinCapacity", f"{low} is more than MaxCapacity {high}"))
    return problems + _ecs_target_problems(request)


def _ecs_target_problems(request: dict[str, Any]) -> list[Problem]:
    if request["ServiceNamespace"] != "ecs":
        return []
    problems = []
    if not _ECS_RESOURCE_ID.fullmatch(request["ResourceId"]):
        problems.append(
            Problem(
                "ResourceId",
                f"{request['ResourceId']!r} is not service/<cluster name>/<service name>",
            )
        )
    if request["ScalableDimension"] != "ecs:service:DesiredCount":
        problems.append(
            Problem("ScalableDimension", "an ECS service scales ecs:service:DesiredCount")
        )
    return problems


def scaling_policy_problems(inputs: dict[str, Any]) -> list[Problem]:
    """What PutScalingPolicy would reject, at the request's paths."""
    shape = input_shape(SERVICE, "PutScalingPolicy")
    request = api_request(
        {("PolicyName" if k == "name" else k): v for k, v in inputs.items()}, shape
    )
    problems = request_problems(request, shape)
    if problems:
        return problems
    if request.get("PolicyType") != "TargetTrackingScaling":
        return []
    configuration = request.get("TargetTrackingScalingPolicyConfiguration")
    if configuration is None:
        return [
            Problem(
                "TargetTrackingScalingPolicyConfiguration",
                "required by PolicyType TargetTrackingScaling",
            )
        ]
    path = "TargetTrackingScalingPolicyConfiguration"
    problems += [
        Problem(f"{path}.{name}", f"{configuration[name]} is negative")
        for name in ("ScaleInCooldown", "ScaleOutCooldown")
        if configuration.get(name, 0) < 0
    ]
    metric = configuration.get("PredefinedMetricSpecification")
    if metric is not None:
        problems += _predefined_metric_problems(
            metric, request["ServiceNamespace"], f"{path}.PredefinedMetricSpecification"
        )
    return problems


def _predefined_metric_problems(metric: dict[str, Any], namespace: str, path: str) -> list[Problem]:
    metric_type = metric["PredefinedMetricType"]
    label = metric.get("ResourceLabel")
    if namespace == "ecs" and metric_type not in _ECS_METRICS:
        return [
            Problem(
                f"{path}.PredefinedMetricType",
                f"{metric_type} is not a metric of an ECS service "
                f"({', '.join(sorted(_ECS_METRICS))})",
            )
        ]
    if metric_type != _REQUEST_COUNT:
        if label is None:
            return []
        return [Problem(f"{path}.ResourceLabel", f"only with {_REQUEST_COUNT}")]
    if label is None:
        return [
            Problem(
                f"{path}.ResourceLabel",
                f"{_REQUEST_COUNT} needs the load balancer and target group it counts",
            )
        ]
    if not _RESOURCE_LABEL.fullmatch(label):
        return [
            Problem(
                f"{path}.ResourceLabel",
                f"{label!r} is not app/<load balancer>/<id>/targetgroup/<target group>/<id>",
            )
        ]
    return []
