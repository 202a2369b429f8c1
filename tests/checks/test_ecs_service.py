"""The ECS service check: Pulumi's inputs as CreateService, botocore's model and ECS's rules."""

from typing import Any

from components.problems import Problem
from stacks.validation.ecs_service import create_service_request, service_problems

TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dev-checkout/6d0ecf831eec9f09"
)


def inputs(**overrides: Any) -> dict[str, Any]:
    """Wire-form inputs of a Fargate service behind a target group, as Pulumi sends them."""
    values: dict[str, Any] = {
        "name": "checkout-api",
        "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/dev",
        "taskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/dev-checkout-api:1",
        "desiredCount": 2,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "networkConfiguration": {
            "subnets": ["subnet-0a1b2c3d4e5f60718"],
            "securityGroups": ["sg-0c3d4e5f60718293a"],
            "assignPublicIp": False,
        },
        "loadBalancers": [
            {
                "targetGroupArn": TARGET_GROUP_ARN,
                "containerName": "checkout-api",
                "containerPort": 8000,
            }
        ],
        "healthCheckGracePeriodSeconds": 60,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentMinimumHealthyPercent": 100,
        "deploymentMaximumPercent": 200,
        "enableExecuteCommand": False,
        "enableEcsManagedTags": True,
        "propagateTags": "SERVICE",
        "tags": {"env": "dev"},
        "waitForSteadyState": False,
    }
    values.update(overrides)
    return values


def test_a_load_balanced_service_passes() -> None:
    assert service_problems(inputs()) == []


def test_pulumi_inputs_become_the_api_request() -> None:
    request, untranslated = create_service_request(inputs())
    assert untranslated == []
    assert request["serviceName"] == "checkout-api"
    assert request["enableECSManagedTags"] is True
    assert request["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-0a1b2c3d4e5f60718"],
            "securityGroups": ["sg-0c3d4e5f60718293a"],
            "assignPublicIp": "DISABLED",
        }
    }
    assert request["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "minimumHealthyPercent": 100,
        "maximumPercent": 200,
    }
    assert request["tags"] == [{"key": "env", "value": "dev"}]
    assert "waitForSteadyState" not in request


def test_a_classic_load_balancer_goes_by_its_api_name() -> None:
    request, _ = create_service_request(
        inputs(loadBalancers=[{"elbName": "legacy", "containerName": "a", "containerPort": 80}])
    )
    assert request["loadBalancers"] == [
        {"loadBalancerName": "legacy", "containerName": "a", "containerPort": 80}
    ]


def test_an_input_without_a_translation_is_reported_not_skipped() -> None:
    problems = service_problems(inputs(capacityProviderStrategies=[{"capacityProvider": "x"}]))
    assert [p.path for p in problems] == ["capacityProviderStrategies"]
    assert "no translation into CreateService" in problems[0].reason


def test_enums_and_types_are_the_models() -> None:
    problems = service_problems(inputs(launchType="SPOT", desiredCount="2"))
    assert Problem(
        "launchType", "'SPOT' is not one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES"
    ) in (problems)
    assert any(p.path == "desiredCount" and "invalid type" in p.reason for p in problems)


def test_a_grace_period_needs_a_load_balancer() -> None:
    problems = service_problems(inputs(loadBalancers=[]))
    assert [p.path for p in problems] == ["healthCheckGracePeriodSeconds"]
    assert problems[0].reason.startswith("only with loadBalancers")
    without = inputs()
    del without["loadBalancers"], without["healthCheckGracePeriodSeconds"]
    assert service_problems(without) == []


def test_a_grace_period_is_bounded_as_ecs_bounds_it() -> None:
    assert service_problems(inputs(healthCheckGracePeriodSeconds=-1)) == [
        Problem("healthCheckGracePeriodSeconds", "-1 is not in 0..2147483647")
    ]


def test_a_target_group_needs_the_container_and_its_port() -> None:
    problems = service_problems(inputs(loadBalancers=[{"targetGroupArn": TARGET_GROUP_ARN}]))
    assert problems == [
        Problem("loadBalancers[0]", "a target group needs containerName"),
        Problem("loadBalancers[0]", "a target group needs containerPort"),
    ]
