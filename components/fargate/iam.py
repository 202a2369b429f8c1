"""IAM policy documents of an instrumented Fargate task, as plain dicts."""

from collections.abc import Iterable
from typing import Any, Final

PolicyDocument = dict[str, Any]

EXECUTION_ROLE_MANAGED_POLICY: Final = "service-role/AmazonECSTaskExecutionRolePolicy"

# What the agent sidecar asks ECS about its cluster (its ecs_fargate check and task collection for
# the ECS Explorer, which datadog-ci's ECS_TASK_COLLECTION_ACTIONS lists the same way); these
# List/Describe calls accept no resource-level restriction, hence "*".
AGENT_ECS_ACTIONS: Final = (
    "ecs:ListClusters",
    "ecs:ListContainerInstances",
    "ecs:DescribeContainerInstances",
)

# The channel ECS Exec opens from the task to Systems Manager.
ECS_EXEC_ACTIONS: Final = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def _document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def ecs_tasks_assume_role_policy() -> PolicyDocument:
    """Trust policy that lets ECS tasks assume a role."""
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def secrets_read_policy(
    secret_arns: Iterable[str], kms_key_arns: Iterable[str], region: str
) -> PolicyDocument:
    """Read exactly these secrets, and decrypt with these keys only on Secrets Manager's behalf.

    The resources are the secrets' own ARNs: the `:DD_API_KEY::` suffix of a `valueFrom` is not
    part of an ARN and a policy naming it grants nothing.
    """
    secrets = sorted(set(secret_arns))
    if not secrets:
        raise ValueError("a secrets policy needs at least one secret ARN")
    if any("*" in arn or "?" in arn for arn in secrets):
        raise ValueError(f"secret ARNs must be exact, not patterns: {secrets}")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secrets,
        }
    ]
    keys = sorted(set(kms_key_arns))
    if keys:
        statements.append(
            {
                "Sid": "DecryptSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": keys,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            }
        )
    return _document(*statements)


def task_role_policy(*, agent_sidecar: bool, ecs_exec: bool) -> PolicyDocument | None:
    """What the task's containers call AWS for: the agent's ECS reads, ECS Exec's channel."""
    statements = []
    if agent_sidecar:
        statements.append(
            {
                "Sid": "DatadogAgentEcsRead",
                "Effect": "Allow",
                "Action": list(AGENT_ECS_ACTIONS),
                "Resource": "*",
            }
        )
    if ecs_exec:
        statements.append(
            {"Sid": "EcsExec", "Effect": "Allow", "Action": list(ECS_EXEC_ACTIONS), "Resource": "*"}
        )
    return _document(*statements) if statements else None
