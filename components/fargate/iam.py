"""IAM policy documents of an instrumented Fargate task, as plain dicts.

Every statement names its resources exactly. The only `*` are the resource of the actions that
take none in the Service Authorization Reference (`WILDCARD_ONLY_ACTIONS`), and the streams of the
task's own log group.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

PolicyDocument = dict[str, Any]

ECS_TASKS_PRINCIPAL: Final = "ecs-tasks.amazonaws.com"

# What the execution role needs to pull from a private ECR repository: the same four actions as
# AWS's AmazonECSTaskExecutionRolePolicy (ECS developer guide, "Amazon ECS task execution IAM
# role"), which grants them on every repository; here, only on the repositories the task's images
# are in. The authorization token is account-wide: the action takes no resource.
ECR_AUTHORIZATION_ACTION: Final = "ecr:GetAuthorizationToken"
ECR_PULL_ACTIONS: Final = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
)
# The awslogs driver creates the container's stream in the task's group and writes to it.
LOGS_ACTIONS: Final = ("logs:CreateLogStream", "logs:PutLogEvents")

# The channel ECS Exec opens from the task to Systems Manager.
ECS_EXEC_ACTIONS: Final = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)

WILDCARD_ONLY_ACTIONS: Final = frozenset({ECR_AUTHORIZATION_ACTION, *ECS_EXEC_ACTIONS})
"""Actions with no resource type in the Service Authorization Reference: `"*"` is their only
possible resource."""

# A private ECR image: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag]
# [@digest] (ECR user guide, "Private registry concepts"). Images anywhere else (public.ecr.aws,
# Docker Hub, gcr.io, ...) are pulled anonymously and need no permission of the execution role.
_ECR_IMAGE: Final = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repository>[^:@]+)(?::[^@]*)?(?:@sha256:[0-9a-f]{64})?"
)


def _document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _ecs_tasks_trust(condition: dict[str, Any]) -> PolicyDocument:
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": ECS_TASKS_PRINCIPAL},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


def task_role_trust_policy(*, partition: str, region: str, account_id: str) -> PolicyDocument:
    """ECS tasks of this account and region, and nothing else, may assume the task role.

    The conditions are the ones the ECS developer guide recommends against the confused deputy
    ("Amazon ECS task IAM role", awsdocs/amazon-ecs-developer-guide task-iam-roles.md at
    49232cf): `aws:SourceAccount`, and `aws:SourceArn` with a wildcard after the account, as ECS
    does not support naming a cluster there.
    """
    return _ecs_tasks_trust(
        {
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account_id}:*"},
            "StringEquals": {"aws:SourceAccount": account_id},
        }
    )


def execution_role_trust_policy(*, account_id: str) -> PolicyDocument:
    """ECS, acting for this account, may assume the execution role.

    The same service principal assumes it for the same task, but the ECS guide documents the
    confused-deputy conditions for the task role only; the execution role takes the account
    condition alone (as, for one, The National Archives' tdr-terraform-environments gives its
    ECS execution roles: templates/iam_policy/ecs_assume_role_policy.json.tpl at ad73b48), not
    an `aws:SourceArn` whose value for it AWS does not document.
    """
    return _ecs_tasks_trust({"StringEquals": {"aws:SourceAccount": account_id}})


def ecr_repository_arn(image: str, partition: str) -> str | None:
    """The private ECR repository `image` is pulled from, or None for any other registry."""
    host = image.split("/", 1)[0]
    if ".dkr.ecr" not in host:
        return None
    match = _ECR_IMAGE.fullmatch(image)
    if match is None:
        raise ValueError(f"{image!r} looks like a private ECR image but is not one")
    region, account, repository = match["region"], match["account"], match["repository"]
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"


def log_group_arn(*, partition: str, region: str, account_id: str, name: str) -> str:
    """Every stream of the group: CreateLogStream and PutLogEvents are authorized on streams
    (`log-group:<name>:log-stream:<stream>` in the Service Authorization Reference)."""
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}:*"


def execution_role_policy(
    containers: Iterable[Mapping[str, Any]], *, partition: str, account_id: str
) -> PolicyDocument:
    """What ECS does with the execution role besides reading secrets: pull the containers'
    images and write the logs of those on the awslogs driver.

    Derived from the container definitions themselves, so that the two cannot drift apart.
    """
    containers = list(containers)
    repositories = sorted(
        {arn for c in containers if (arn := ecr_repository_arn(c["image"], partition))}
    )
    groups = sorted(
        {
            log_group_arn(
                partition=partition,
                region=options["awslogs-region"],
                account_id=account_id,
                name=options["awslogs-group"],
            )
            for c in containers
            if c.get("logConfiguration", {}).get("logDriver") == "awslogs"
            for options in [c["logConfiguration"]["options"]]
        }
    )
    statements: list[dict[str, Any]] = []
    if repositories:
        statements += [
            {
                "Sid": "EcrAuthorization",
                "Effect": "Allow",
                "Action": ECR_AUTHORIZATION_ACTION,
                "Resource": "*",
            },
            {
                "Sid": "PullImages",
                "Effect": "Allow",
                "Action": list(ECR_PULL_ACTIONS),
                "Resource": repositories,
            },
        ]
    if groups:
        statements.append(
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": list(LOGS_ACTIONS),
                "Resource": groups,
            }
        )
    if not statements:
        raise ValueError("no container pulls from ECR or writes to CloudWatch Logs")
    return _document(*statements)


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


def task_role_policy(*, ecs_exec: bool) -> PolicyDocument | None:
    """What the task's containers call AWS for: ECS Exec's channel, when it is on.

    The Agent sidecar needs nothing here. On Fargate it reads its task from the task metadata
    endpoint (v4 with `DD_ECS_TASK_COLLECTION_ENABLED`, v2 otherwise: datadog-agent
    comp/core/workloadmeta/collectors/internal/ecs/sidecar_parser.go at 53e7aa2), an HTTP
    endpoint in the task that takes no AWS credentials. The `ecs:ListClusters`,
    `ecs:ListContainerInstances` and `ecs:DescribeContainerInstances` that Datadog's Fargate
    docs list are for "your Datadog IAM policy", the AWS integration's role (integrations-core
    ecs_fargate/README.md, "Create or modify your IAM policy"), not the task's.
    """
    if not ecs_exec:
        return None
    return _document(
        {"Sid": "EcsExec", "Effect": "Allow", "Action": list(ECS_EXEC_ACTIONS), "Resource": "*"}
    )
