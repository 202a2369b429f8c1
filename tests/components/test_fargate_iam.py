"""The IAM documents of a Fargate task, as the pure functions build them."""

import pytest

from components.fargate.iam import (
    ECS_EXEC_ACTIONS,
    WILDCARD_ONLY_ACTIONS,
    ecr_repository_arn,
    execution_role_policy,
    task_role_policy,
)

APP_REPOSITORY = "arn:aws:ecr:eu-west-1:123456789012:repository/checkout-api"


@pytest.mark.parametrize(
    ("image", "arn"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.8.2", APP_REPOSITORY),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api@sha256:" + "a" * 64,
            APP_REPOSITORY,
        ),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/checkout-api:1.8.2@sha256:"
            + "0" * 64,
            "arn:aws:ecr:eu-west-1:123456789012:repository/team/checkout-api",
        ),
        (
            "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:1",
            "arn:aws:ecr:us-east-1:123456789012:repository/app",
        ),
        ("public.ecr.aws/datadog/agent:7.81.2", None),
        ("datadog/agent:7.81.2", None),
        ("docker.io/library/python:3.12", None),
        ("gcr.io/datadoghq/agent:7.81.2", None),
        ("registry.example.com:5000/team/app:1.0", None),
    ],
)
def test_only_private_ecr_images_have_a_repository(image: str, arn: str | None) -> None:
    assert ecr_repository_arn(image, "aws") == arn


def test_the_partition_is_the_stacks() -> None:
    image = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1"
    assert ecr_repository_arn(image, "aws-cn") == (
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/app"
    )


def test_an_ecr_host_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="looks like a private ECR image"):
        ecr_repository_arn("12345.dkr.ecr.eu-west-1.amazonaws.com/app:1", "aws")


def container(image: str, log_group: str | None = None) -> dict[str, object]:
    definition: dict[str, object] = {"image": image}
    if log_group:
        definition["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": "eu-west-1"},
        }
    else:
        definition["logConfiguration"] = {"logDriver": "awsfirelens", "options": {}}
    return definition


def test_execution_policy_names_each_repository_and_group_once() -> None:
    containers = [
        container("123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.8.2"),
        container("public.ecr.aws/datadog/agent:7.81.2", "/ecs/dev/checkout-api"),
        container("public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.8", "/ecs/dev/x"),
        container("123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.8.3"),
    ]
    statements = execution_role_policy(containers, partition="aws", account_id="123456789012")[
        "Statement"
    ]
    resources = {s["Sid"]: s["Resource"] for s in statements}
    assert resources == {
        "EcrAuthorization": "*",
        "PullImages": [APP_REPOSITORY],
        "WriteLogs": [
            "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dev/checkout-api:*",
            "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dev/x:*",
        ],
    }


def test_an_execution_policy_with_nothing_to_grant_is_refused() -> None:
    with pytest.raises(ValueError, match="no container pulls from ECR or writes"):
        execution_role_policy(
            [container("public.ecr.aws/datadog/agent:7.81.2")], partition="aws", account_id="1"
        )


def test_the_task_role_needs_a_policy_for_ecs_exec_only() -> None:
    assert task_role_policy(ecs_exec=False) is None
    policy = task_role_policy(ecs_exec=True)
    assert policy is not None
    [statement] = policy["Statement"]
    assert statement["Action"] == list(ECS_EXEC_ACTIONS)
    assert set(statement["Action"]) <= WILDCARD_ONLY_ACTIONS
