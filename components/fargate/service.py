"""An ECS Fargate service for a Python app traced by ddtrace, with its roles, logs and task."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.fargate.args import (
    EXECUTION_ROLE_SUFFIX,
    InstrumentedServiceArgs,
    ServiceAutoscaling,
    ServicePlacement,
)
from components.fargate.container_definitions import (
    container_budget,
    container_definitions,
    log_group_name,
    log_retention_days,
    start_process,
    task_volume_names,
)
from components.fargate.iam import (
    execution_role_policy,
    execution_role_trust_policy,
    secrets_read_policy,
    task_role_policy,
    task_role_trust_policy,
)
from components.fargate.scaling import (
    POLICY_ROLES,
    SCALABLE_DIMENSION,
    SERVICE_NAMESPACE,
    policy_name,
    scalable_resource_id,
    target_tracking_configuration,
)

# JSON-key secrets in `valueFrom` need Fargate platform 1.4.0 or later; pinning it (rather than
# LATEST) keeps deployments reproducible.
FARGATE_PLATFORM_VERSION = "1.4.0"


def referenced_secret_arns(containers: list[Any]) -> set[str]:
    """Secret ARNs that the containers read, with any `:json-key:stage:id` suffix cut off."""
    value_froms = [
        entry["valueFrom"]
        for container in containers
        for entry in [
            *container.get("secrets", []),
            *container.get("logConfiguration", {}).get("secretOptions", []),
        ]
    ]
    # arn:partition:secretsmanager:region:account:secret:name-AbCdEf is seven fields.
    return {":".join(value.split(":")[:7]) for value in value_froms}


class InstrumentedFargateService(pulumi.ComponentResource):
    """Task definition (and service) with ddtrace, unified service tagging and Datadog logs."""

    task_definition_arn: pulumi.Output[str]
    """ARN of the task definition revision."""
    container_definitions: pulumi.Output[str]
    """The container definitions as registered (JSON)."""
    execution_role_arn: pulumi.Output[str]
    """Role ECS uses to pull images, read secrets and write logs."""
    task_role_arn: pulumi.Output[str]
    """Role the containers run as."""
    service_name: pulumi.Output[str | None]
    """Name of the ECS service, or None when only the task definition is registered."""

    def __init__(
        self, name: str, args: InstrumentedServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        task = args.task
        # Reject an impossible task before anything, the component included, is registered.
        container_budget(task)
        start_process(task)
        super().__init__("observability:fargate:InstrumentedFargateService", name, None, opts)

        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke_opts).region
        partition = aws.get_partition_output(opts=invoke_opts).partition
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        tags = dict(args.tags)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(task),
            retention_in_days=log_retention_days(task),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.container_definitions = pulumi.Output.all(
            api_key_secret_arn=args.api_key.secret_arn, region=region
        ).apply(lambda v: json.dumps(container_definitions(task, **v)))

        self.execution_role_arn = (
            pulumi.Output.from_input(args.execution_role_arn)
            if args.execution_role_arn is not None
            else self._execution_role(name, args, region, partition, account_id)
        )
        self.task_role_arn = (
            pulumi.Output.from_input(args.task_role_arn)
            if args.task_role_arn is not None
            else self._task_role(name, args, region, partition, account_id)
        )
        task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{task.environment}-{task.service}",
            cpu=str(task.cpu),
            memory=str(task.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture=task.cpu_architecture
            ),
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
            container_definitions=self.container_definitions,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=v) for v in task_volume_names(task)],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        self.task_definition_arn = task_definition.arn
        self.service_name = pulumi.Output.from_input(None)
        if args.placement is not None:
            service = self._service(name, args.placement, task_definition, args)
            self.service_name = service.name
            if args.placement.autoscaling is not None:
                self._autoscaling(name, args.placement.autoscaling, service, args)
        self.register_outputs(
            {
                "task_definition_arn": self.task_definition_arn,
                "execution_role_arn": self.execution_role_arn,
                "task_role_arn": self.task_role_arn,
                "service_name": self.service_name,
            }
        )

    def _execution_role(
        self,
        name: str,
        args: InstrumentedServiceArgs,
        region: pulumi.Output[str],
        partition: pulumi.Output[str],
        account_id: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        role = aws.iam.Role(
            f"{name}{EXECUTION_ROLE_SUFFIX}",
            assume_role_policy=account_id.apply(
                lambda account: json.dumps(execution_role_trust_policy(account_id=account))
            ),
            description=f"ECS execution role of {args.task.service} ({args.task.environment})",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Both policies name exactly what the container definitions use (images, log groups,
        # secrets), so the two cannot drift apart.
        containers = self.container_definitions.apply(json.loads)
        self._inline_policy(
            f"{name}-execution-pull-logs",
            role,
            pulumi.Output.all(containers=containers, partition=partition, account=account_id).apply(
                lambda v: execution_role_policy(
                    v["containers"], partition=v["partition"], account_id=v["account"]
                )
            ),
        )
        extra_keys = [s.kms_key_arn for s in args.task.secrets if s.kms_key_arn]
        self._inline_policy(
            f"{name}-execution-secrets",
            role,
            pulumi.Output.all(
                containers=containers, api_key_kms=args.api_key.kms_key_arn, region=region
            ).apply(
                lambda v: secrets_read_policy(
                    referenced_secret_arns(v["containers"]),
                    [k for k in [v["api_key_kms"], *extra_keys] if k],
                    v["region"],
                )
            ),
        )
        return role.arn

    def _task_role(
        self,
        name: str,
        args: InstrumentedServiceArgs,
        region: pulumi.Output[str],
        partition: pulumi.Output[str],
        account_id: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        role = aws.iam.Role(
            f"{name}-task-role",
            assume_role_policy=pulumi.Output.all(
                partition=partition, region=region, account_id=account_id
            ).apply(lambda v: json.dumps(task_role_trust_policy(**v))),
            description=f"Task role of {args.task.service} ({args.task.environment})",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = task_role_policy(
            ecs_exec=args.placement is not None and args.placement.enable_execute_command
        )
        if policy is not None:
            self._inline_policy(f"{name}-task-policy", role, policy)
        return role.arn

    def _inline_policy(
        self, name: str, role: aws.iam.Role, document: pulumi.Input[dict[str, Any]]
    ) -> None:
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=pulumi.Output.from_input(document).apply(json.dumps),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _service(
        self,
        name: str,
        placement: ServicePlacement,
        task_definition: aws.ecs.TaskDefinition,
        args: InstrumentedServiceArgs,
    ) -> aws.ecs.Service:
        target = placement.load_balancer
        return aws.ecs.Service(
            f"{name}-service",
            name=args.task.service,
            cluster=placement.cluster_arn,
            task_definition=task_definition.arn,
            desired_count=placement.desired_count,
            launch_type="FARGATE",
            platform_version=FARGATE_PLATFORM_VERSION,
            network_configuration={
                "subnets": list(placement.subnet_ids),
                "security_groups": list(placement.security_group_ids),
                "assign_public_ip": placement.assign_public_ip,
            },
            load_balancers=None
            if target is None
            else [
                {
                    "target_group_arn": target.target_group_arn,
                    "container_name": args.task.service,
                    "container_port": target.container_port,
                }
            ],
            health_check_grace_period_seconds=None
            if target is None
            else target.health_check_grace_period_seconds,
            # A deployment whose tasks never become healthy rolls back instead of looping.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_execute_command=placement.enable_execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Once the scaling policies own the task count, a deployment setting it back to
                # desired_count would undo their work.
                ignore_changes=["desiredCount"] if placement.autoscaling is not None else None,
            ),
        )

    def _autoscaling(
        self,
        name: str,
        autoscaling: ServiceAutoscaling,
        service: aws.ecs.Service,
        args: InstrumentedServiceArgs,
    ) -> None:
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace=SERVICE_NAMESPACE,
            scalable_dimension=SCALABLE_DIMENSION,
            # From the service's outputs, so that the target waits for the service to exist.
            resource_id=pulumi.Output.all(service.cluster, service.name).apply(
                lambda cluster_and_name: scalable_resource_id(*cluster_and_name)
            ),
            min_capacity=autoscaling.min_capacity,
            max_capacity=autoscaling.max_capacity,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for tracked in autoscaling.targets:
            aws.appautoscaling.Policy(
                f"{name}-scale-{POLICY_ROLES[tracked.metric]}",
                name=policy_name(args.task.environment, args.task.service, tracked),
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=target_tracking_configuration(
                    tracked, autoscaling
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
