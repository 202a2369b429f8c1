"""The Fargate service component, through the inputs the engine receives."""

import dataclasses
import json
import re
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.api_key_secret import DatadogApiKeySecret, DatadogApiKeySecretArgs
from components.fargate.args import (
    ApiKeySecretRef,
    InstrumentedServiceArgs,
    LlmObservability,
    LoadBalancerTarget,
    ScalingTarget,
    SecretEnv,
    ServiceAutoscaling,
    ServicePlacement,
    TaskSpec,
)
from components.fargate.service import InstrumentedFargateService, referenced_secret_arns
from stacks.tooling.engine import ProgramRun, ResourceValidationError, run_program
from tests.conftest import PulumiChecks
from tests.factories import API_KEY_ARN, CLOUDWATCH, CMK_ARN, DB_SECRET_ARN, SIDECAR, task

PLACEMENT = ServicePlacement(
    cluster_arn="arn:aws:ecs:eu-west-1:123456789012:cluster/dev",
    subnet_ids=("subnet-0a1b2c3d4e5f60718",),
    security_group_ids=("sg-0c3d4e5f60718293a",),
    desired_count=2,
)


def deploy(spec: TaskSpec, **args: Any) -> ProgramRun:
    args.setdefault("api_key", ApiKeySecretRef(secret_arn=API_KEY_ARN))
    return run_program(
        lambda: InstrumentedFargateService(
            spec.service, InstrumentedServiceArgs(task=spec, **args)
        ),
        stack="dev",
        config={"aws:region": "eu-west-1"},
    )


def policy(run: ProgramRun, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(run.named(name).inputs["policy"])
    return document


def test_task_definition_is_a_fargate_task_with_the_built_containers() -> None:
    run = deploy(task())
    inputs = run.named("checkout-api-task").inputs
    assert inputs["family"] == "dev-checkout-api"
    assert (inputs["cpu"], inputs["memory"]) == ("512", "1024")
    assert inputs["networkMode"] == "awsvpc"
    assert inputs["requiresCompatibilities"] == ["FARGATE"]
    assert inputs["runtimePlatform"] == {
        "operatingSystemFamily": "LINUX",
        "cpuArchitecture": "X86_64",
    }
    assert inputs["volumes"] == [
        {"name": name} for name in ("dd-sockets", "agent-config", "agent-tmp", "agent-run")
    ]
    names = [c["name"] for c in json.loads(inputs["containerDefinitions"])]
    assert names == ["checkout-api", "datadog-agent-init", "datadog-agent", "log-router"]
    role_arn = r"arn:aws:iam::123456789012:role/checkout-api-{}-role-[0-9a-f]{{7}}"
    assert re.fullmatch(role_arn.format("execution"), inputs["executionRoleArn"])
    assert re.fullmatch(role_arn.format("task"), inputs["taskRoleArn"])


def test_execution_role_reads_exactly_the_secrets_used() -> None:
    extra = SecretEnv(
        name="DATABASE_URL", secret_arn=DB_SECRET_ARN, json_key="url", kms_key_arn=CMK_ARN
    )
    run = deploy(task(secrets=(extra,)))
    statements = policy(run, "checkout-api-execution-secrets")["Statement"]
    assert statements[0] == {
        "Sid": "ReadSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": sorted([API_KEY_ARN, DB_SECRET_ARN]),
    }
    assert statements[1] == {
        "Sid": "DecryptSecrets",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [CMK_ARN],
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
    }
    for resource in statements[0]["Resource"]:
        assert "*" not in resource
        assert not resource.endswith("::")


def test_execution_role_pulls_from_and_logs_to_exactly_what_the_task_uses() -> None:
    run = deploy(task())
    assert run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []
    assert policy(run, "checkout-api-execution-pull-logs")["Statement"] == [
        {
            "Sid": "EcrAuthorization",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ],
            # The app's repository only: the Agent and the log router come from public.ecr.aws.
            "Resource": ["arn:aws:ecr:eu-west-1:123456789012:repository/checkout-api"],
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dev/checkout-api/log-router:*"
            ],
        },
    ]


def test_images_outside_ecr_need_no_pull_permission() -> None:
    run = deploy(task(image="docker.io/library/python:3.12-slim", logs=CLOUDWATCH))
    assert policy(run, "checkout-api-execution-pull-logs")["Statement"] == [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": ["arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dev/checkout-api:*"],
        }
    ]


def test_sidecar_images_mirrored_in_ecr_are_pulled_from_their_repositories() -> None:
    mirror = "210987654321.dkr.ecr.eu-central-1.amazonaws.com/mirror/datadog/agent:7.81.2"
    run = deploy(task(agent=replace(SIDECAR, image=mirror)))
    statements = policy(run, "checkout-api-execution-pull-logs")["Statement"]
    assert statements[1]["Resource"] == [
        "arn:aws:ecr:eu-central-1:210987654321:repository/mirror/datadog/agent",
        "arn:aws:ecr:eu-west-1:123456789012:repository/checkout-api",
    ]


def test_roles_trust_only_ecs_tasks_of_this_account() -> None:
    run = deploy(task())
    trust = {
        role: json.loads(run.named(f"checkout-api-{role}-role").inputs["assumeRolePolicy"])
        for role in ("execution", "task")
    }
    for document in trust.values():
        [statement] = document["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["task"]["Statement"][0]["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*"
    }
    assert "ArnLike" not in trust["execution"]["Statement"][0]["Condition"]


def test_no_kms_statement_without_a_customer_managed_key() -> None:
    statements = policy(deploy(task()), "checkout-api-execution-secrets")["Statement"]
    assert [s["Sid"] for s in statements] == ["ReadSecrets"]


def test_task_role_is_granted_ecs_exec_only_and_nothing_for_the_agent() -> None:
    with_exec = deploy(task(), placement=replace(PLACEMENT, enable_execute_command=True))
    assert policy(with_exec, "checkout-api-task-policy")["Statement"] == [
        {
            "Sid": "EcsExec",
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        }
    ]
    # The Agent sidecar reads its task from the metadata endpoint, with no AWS call.
    with_sidecar = deploy(task(), placement=PLACEMENT)
    assert [r.name for r in with_sidecar.by_type("aws:iam/rolePolicy:RolePolicy")] == [
        "checkout-api-execution-pull-logs",
        "checkout-api-execution-secrets",
    ]


def test_caller_supplied_roles_are_used_as_they_are() -> None:
    execution = "arn:aws:iam::123456789012:role/platform-ecs-execution"
    task_role = "arn:aws:iam::123456789012:role/checkout-task"
    run = deploy(task(), execution_role_arn=execution, task_role_arn=task_role)
    assert run.by_type("aws:iam/role:Role") == []
    inputs = run.named("checkout-api-task").inputs
    assert (inputs["executionRoleArn"], inputs["taskRoleArn"]) == (execution, task_role)


def test_service_rolls_back_failed_deployments() -> None:
    run = deploy(task(), placement=PLACEMENT)
    service = run.named("checkout-api-service").inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["launchType"] == "FARGATE"
    assert service["platformVersion"] == "1.4.0"
    assert service["desiredCount"] == 2
    assert service["networkConfiguration"] == {
        "subnets": ["subnet-0a1b2c3d4e5f60718"],
        "securityGroups": ["sg-0c3d4e5f60718293a"],
        "assignPublicIp": False,
    }
    assert service["taskDefinition"].endswith(":task-definition/dev-checkout-api:1")


TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dev-checkout/6d0ecf831eec9f09"
)
LABEL = "app/dev-public/50dc6c495c0c9188/targetgroup/dev-checkout/6d0ecf831eec9f09"


def test_without_a_load_balancer_or_scaling_the_service_stands_alone() -> None:
    run = deploy(task(), placement=PLACEMENT)
    service = run.named("checkout-api-service")
    assert "loadBalancers" not in service.inputs
    assert "healthCheckGracePeriodSeconds" not in service.inputs
    assert service.ignore_changes == ()
    assert [r for r in run.resources if r.type.startswith("aws:appautoscaling")] == []


def test_the_app_container_registers_in_the_target_group_with_a_grace_period() -> None:
    balanced = dataclasses.replace(
        PLACEMENT,
        load_balancer=LoadBalancerTarget(
            TARGET_GROUP_ARN, 8000, health_check_grace_period_seconds=90
        ),
    )
    service = deploy(task(), placement=balanced).named("checkout-api-service").inputs
    assert service["loadBalancers"] == [
        {"targetGroupArn": TARGET_GROUP_ARN, "containerName": "checkout-api", "containerPort": 8000}
    ]
    assert service["healthCheckGracePeriodSeconds"] == 90


def test_scaling_owns_the_task_count_through_one_policy_per_target() -> None:
    scaled = dataclasses.replace(
        PLACEMENT,
        autoscaling=ServiceAutoscaling(
            min_capacity=2,
            max_capacity=8,
            targets=(
                ScalingTarget("ECSServiceAverageCPUUtilization", 60),
                ScalingTarget("ALBRequestCountPerTarget", 1000, resource_label=LABEL),
            ),
            scale_in_cooldown=600,
            scale_out_cooldown=30,
        ),
    )
    run = deploy(task(), placement=scaled)
    service = run.named("checkout-api-service")
    assert service.ignore_changes == ("desiredCount",)
    target = run.named("checkout-api-scaling")
    assert target.inputs == {
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": "service/dev/checkout-api",
        "minCapacity": 2,
        "maxCapacity": 8,
        "tags": {},
    }
    # The target names the service by its output: it is registered once the service exists.
    assert service.urn in target.dependencies
    cpu, requests = run.named("checkout-api-scale-cpu"), run.named("checkout-api-scale-requests")
    assert cpu.inputs["name"] == "dev-checkout-api-cpu"
    assert requests.inputs["name"] == "dev-checkout-api-requests"
    for policy in (cpu, requests):
        assert policy.inputs["policyType"] == "TargetTrackingScaling"
        assert policy.inputs["resourceId"] == "service/dev/checkout-api"
        assert target.urn in policy.dependencies
    assert cpu.inputs["targetTrackingScalingPolicyConfiguration"] == {
        "targetValue": 60,
        "predefinedMetricSpecification": {
            "predefinedMetricType": "ECSServiceAverageCPUUtilization"
        },
        "scaleInCooldown": 600,
        "scaleOutCooldown": 30,
    }
    assert requests.inputs["targetTrackingScalingPolicyConfiguration"][
        "predefinedMetricSpecification"
    ] == {"predefinedMetricType": "ALBRequestCountPerTarget", "resourceLabel": LABEL}


def test_without_placement_only_the_task_definition_is_registered() -> None:
    assert deploy(task()).by_type("aws:ecs/service:Service") == []


def test_log_group_matches_the_logs_destination() -> None:
    firelens = deploy(task()).named("checkout-api-logs").inputs
    assert (firelens["name"], firelens["retentionInDays"]) == (
        "/ecs/dev/checkout-api/log-router",
        7,
    )
    cloudwatch = deploy(task(logs=CLOUDWATCH)).named("checkout-api-logs").inputs
    assert (cloudwatch["name"], cloudwatch["retentionInDays"]) == ("/ecs/dev/checkout-api", 14)


def test_impossible_task_is_rejected_before_anything_registers() -> None:
    registered: list[str] = []

    def program() -> None:
        try:
            InstrumentedFargateService(
                "tiny",
                InstrumentedServiceArgs(
                    task=task(cpu=256, memory=512), api_key=ApiKeySecretRef(API_KEY_ARN)
                ),
            )
        except ValueError as error:
            registered.append(str(error))

    run = run_program(program, stack="dev")
    assert len(registered) == 1
    assert "leaves 128 MiB for the app" in registered[0]
    assert [r.type for r in run.resources] == []


def test_an_invalid_task_definition_fails_the_run_that_registers_it() -> None:
    with pytest.raises(ResourceValidationError, match="3000 is not a valid Fargate memory"):
        deploy(
            task(
                memory=3000,
                cpu=512,
                agent=None,
                logs=CLOUDWATCH,
                llm_observability=LlmObservability("a"),
            )
        )


def test_referenced_secret_arns_strip_the_json_key_suffix() -> None:
    containers = [
        {"secrets": [{"name": "A", "valueFrom": f"{API_KEY_ARN}:DD_API_KEY::"}]},
        {"logConfiguration": {"secretOptions": [{"name": "apikey", "valueFrom": DB_SECRET_ARN}]}},
    ]
    assert referenced_secret_arns(containers) == {API_KEY_ARN, DB_SECRET_ARN}


@pulumi.runtime.test
def test_api_key_secret_outputs_feed_the_service(
    pulumi_checks: PulumiChecks,
) -> pulumi.Output[None]:
    key = DatadogApiKeySecret(
        "dd",
        DatadogApiKeySecretArgs(
            secret_name="datadog/dev/api-key", api_key="k", customer_managed_key=True
        ),
    )
    reference = key.reference()

    def check(values: list[str]) -> None:
        secret_arn, kms_arn = values
        assert secret_arn.startswith(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/dev/api-key-"
        )
        assert kms_arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")

    return pulumi_checks.expect(
        pulumi.Output.all(reference.secret_arn, reference.kms_key_arn), check
    )
