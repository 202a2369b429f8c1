"""Application Auto Scaling of an ECS service's task count, as plain values.

The names and formats are those of the Application Auto Scaling API reference
(RegisterScalableTarget, PutScalingPolicy, PredefinedMetricSpecification).
"""

from typing import Final

from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationArgsDict,
    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgsDict,
)

from components.fargate.args import ScalingMetric, ScalingTarget, ServiceAutoscaling

SERVICE_NAMESPACE: Final = "ecs"
SCALABLE_DIMENSION: Final = "ecs:service:DesiredCount"

POLICY_ROLES: Final[dict[ScalingMetric, str]] = {
    "ECSServiceAverageCPUUtilization": "cpu",
    "ECSServiceAverageMemoryUtilization": "memory",
    "ALBRequestCountPerTarget": "requests",
}
"""Each policy's role: the last part of its resource's and its policy's name."""


def scalable_resource_id(cluster_arn: str, service_name: str) -> str:
    """`service/<cluster name>/<service name>`: how Application Auto Scaling names an ECS
    service."""
    return f"service/{cluster_arn.rsplit('/', 1)[-1]}/{service_name}"


def request_count_resource_label(load_balancer_arn: str, target_group_arn: str) -> str:
    """ALBRequestCountPerTarget's `ResourceLabel`: the final portions of the load balancer's ARN
    (`app/<name>/<id>`) and of the target group's (`targetgroup/<name>/<id>`), joined by `/`."""
    load_balancer = load_balancer_arn.split(":loadbalancer/", 1)[1]
    target_group = target_group_arn.split(":", 5)[5]
    return f"{load_balancer}/{target_group}"


def policy_name(environment: str, service: str, target: ScalingTarget) -> str:
    """The scaling policy's name, unique among the policies of one scalable target."""
    return f"{environment}-{service}-{POLICY_ROLES[target.metric]}"


def target_tracking_configuration(
    target: ScalingTarget, autoscaling: ServiceAutoscaling
) -> PolicyTargetTrackingScalingPolicyConfigurationArgsDict:
    """The policy's `target_tracking_scaling_policy_configuration`."""
    metric: PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgsDict = {
        "predefined_metric_type": target.metric
    }
    if target.resource_label is not None:
        metric["resource_label"] = target.resource_label
    return {
        "target_value": target.target_value,
        "predefined_metric_specification": metric,
        "scale_in_cooldown": autoscaling.scale_in_cooldown,
        "scale_out_cooldown": autoscaling.scale_out_cooldown,
    }
