"""The Application Auto Scaling checks: RegisterScalableTarget and PutScalingPolicy."""

from typing import Any

from components.problems import Problem
from stacks.validation.app_autoscaling import (
    api_request,
    scalable_target_problems,
    scaling_policy_problems,
)
from stacks.validation.botocore_requests import input_shape

LABEL = "app/dev-public/50dc6c495c0c9188/targetgroup/dev-checkout/6d0ecf831eec9f09"


def target(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": "service/dev/checkout-api",
        "minCapacity": 2,
        "maxCapacity": 8,
        "tags": {"env": "dev", "cost-center": "engineering"},
        "region": "eu-west-1",
    }
    values.update(overrides)
    return values


def policy(metric: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "dev-checkout-api-requests",
        "policyType": "TargetTrackingScaling",
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": "service/dev/checkout-api",
        "targetTrackingScalingPolicyConfiguration": {
            "targetValue": 1000,
            "predefinedMetricSpecification": metric
            or {"predefinedMetricType": "ALBRequestCountPerTarget", "resourceLabel": LABEL},
            "scaleInCooldown": 300,
            "scaleOutCooldown": 60,
        },
    }
    values.update(overrides)
    return values


def test_inputs_take_the_apis_member_names_and_tags_keep_theirs() -> None:
    request = api_request(
        target(roleArn="arn:aws:iam::123456789012:role/scaler"),
        input_shape("application-autoscaling", "RegisterScalableTarget"),
    )
    assert request == {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": "service/dev/checkout-api",
        "MinCapacity": 2,
        "MaxCapacity": 8,
        "RoleARN": "arn:aws:iam::123456789012:role/scaler",
        "Tags": {"env": "dev", "cost-center": "engineering"},
    }


def test_an_ecs_scalable_target_passes() -> None:
    assert scalable_target_problems(target()) == []


def test_a_target_that_could_never_hold_its_range_is_refused() -> None:
    assert scalable_target_problems(target(minCapacity=9)) == [
        Problem("MinCapacity", "9 is more than MaxCapacity 8")
    ]


def test_an_ecs_target_names_a_service_of_a_cluster() -> None:
    problems = scalable_target_problems(
        target(resourceId="checkout-api", scalableDimension="ecs:service:TaskCount")
    )
    assert [p.path for p in problems] == ["ScalableDimension"]
    assert "not one of" in problems[0].reason
    problems = scalable_target_problems(target(resourceId="checkout-api"))
    assert problems == [
        Problem("ResourceId", "'checkout-api' is not service/<cluster name>/<service name>")
    ]


def test_an_unknown_input_is_the_models_unknown_parameter() -> None:
    [problem] = scalable_target_problems(target(minimumCapacity=1))
    assert problem.reason.startswith('unknown parameter: "minimumCapacity"')


def test_request_count_scaling_passes_with_its_resource_label() -> None:
    assert scaling_policy_problems(policy()) == []


def test_request_count_scaling_needs_a_well_formed_resource_label() -> None:
    path = "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel"
    missing = scaling_policy_problems(policy({"predefinedMetricType": "ALBRequestCountPerTarget"}))
    assert [p.path for p in missing] == [path]
    malformed = scaling_policy_problems(
        policy({"predefinedMetricType": "ALBRequestCountPerTarget", "resourceLabel": "x/y"})
    )
    assert [p.path for p in malformed] == [path]


def test_a_resource_label_belongs_to_request_count_only() -> None:
    problems = scaling_policy_problems(
        policy({"predefinedMetricType": "ECSServiceAverageCPUUtilization", "resourceLabel": LABEL})
    )
    assert [p.reason for p in problems] == ["only with ALBRequestCountPerTarget"]


def test_an_ecs_policy_tracks_an_ecs_metric() -> None:
    [problem] = scaling_policy_problems(
        policy({"predefinedMetricType": "DynamoDBReadCapacityUtilization"})
    )
    assert problem.path.endswith("PredefinedMetricType")
    assert "is not a metric of an ECS service" in problem.reason


def test_target_tracking_needs_its_configuration_and_cooldowns_are_not_negative() -> None:
    bare = policy()
    del bare["targetTrackingScalingPolicyConfiguration"]
    assert [p.path for p in scaling_policy_problems(bare)] == [
        "TargetTrackingScalingPolicyConfiguration"
    ]
    negative = policy()
    negative["targetTrackingScalingPolicyConfiguration"]["scaleInCooldown"] = -5
    assert scaling_policy_problems(negative) == [
        Problem("TargetTrackingScalingPolicyConfiguration.ScaleInCooldown", "-5 is negative")
    ]


def test_the_policy_name_is_checked_as_policyname() -> None:
    [problem] = scaling_policy_problems(policy(name=""))
    assert problem.path == "PolicyName"
