"""From the validated stack model to the components' Args: the one place that maps the two."""

import pulumi

from components.api_key_secret import DatadogApiKeySecretArgs
from components.fargate.args import (
    AgentSidecar,
    ApiKeySecretRef,
    CloudWatchLogs,
    DatadogLogs,
    InstrumentedServiceArgs,
    LlmObservability,
    LogShipping,
    SecretEnv,
    ServicePlacement,
    TaskSpec,
    TraceSettings,
)
from stacks.model import ServiceSettings, StackConfig


def resource_tags(config: StackConfig, service: ServiceSettings | None = None) -> dict[str, str]:
    """Tags of every AWS resource: environment, owner, what manages it, and the service."""
    environment = config.environment
    tags = {
        **environment.tags,
        "env": environment.name,
        "team": (service.team if service and service.team else environment.team),
        "managed-by": "pulumi",
    }
    if service is not None:
        tags["service"] = service.name
    return tags


def api_key_secret_args(
    config: StackConfig, api_key: pulumi.Input[str] | None
) -> DatadogApiKeySecretArgs:
    settings = config.datadog.api_key_secret
    existing = settings.existing_arn
    return DatadogApiKeySecretArgs(
        secret_name=settings.name or f"datadog/{config.environment.name}/api-key",
        api_key=None if existing else api_key,
        existing_secret_arn=existing,
        existing_kms_key_arn=settings.existing_kms_key_arn,
        customer_managed_key=settings.customer_managed_key,
        protect=config.environment.protect_resources,
        recovery_window_days=settings.recovery_window_days,
        tags=resource_tags(config),
    )


def task_spec(config: StackConfig, service: ServiceSettings) -> TaskSpec:
    ecs = config.ecs
    logs: LogShipping = (
        DatadogLogs(
            router_image=ecs.log_router_image,
            router_cpu=ecs.log_router.cpu,
            router_memory=ecs.log_router.memory,
            router_log_retention_days=service.logs.retention_days,
            source=service.logs.source,
        )
        if service.logs.destination == "datadog"
        else CloudWatchLogs(retention_days=service.logs.retention_days)
    )
    agent = (
        AgentSidecar(
            image=ecs.agent_image,
            cpu=ecs.agent.cpu,
            memory=ecs.agent.memory,
            transport=service.agent_transport,
        )
        if service.agent == "sidecar"
        else None
    )
    llm = service.llm_observability
    return TaskSpec(
        service=service.name,
        environment=config.environment.name,
        version=service.version,
        image=service.image,
        command=tuple(service.command),
        cpu=service.cpu,
        memory=service.memory,
        datadog_site=config.datadog.site,
        logs=logs,
        agent=agent,
        port=service.port,
        wrap_with_ddtrace=service.wrap_with_ddtrace,
        env=dict(service.env),
        secrets=tuple(
            SecretEnv(name=name, secret_arn=s.arn, json_key=s.json_key, kms_key_arn=s.kms_key_arn)
            for name, s in sorted(service.secrets.items())
        ),
        trace=TraceSettings(
            enabled=service.trace_enabled,
            sample_rate=service.trace_sample_rate,
            profiling=service.profiling,
        ),
        llm_observability=LlmObservability(ml_app=llm.ml_app or service.name) if llm else None,
        cpu_architecture=service.cpu_architecture,
    )


def service_args(
    config: StackConfig, service: ServiceSettings, api_key: ApiKeySecretRef
) -> InstrumentedServiceArgs:
    ecs = config.ecs
    placement = (
        ServicePlacement(
            cluster_arn=ecs.cluster_arn,
            subnet_ids=tuple(ecs.subnet_ids),
            security_group_ids=tuple(ecs.security_group_ids),
            assign_public_ip=ecs.assign_public_ip,
            desired_count=service.desired_count,
            enable_execute_command=service.enable_execute_command,
        )
        if ecs.cluster_arn is not None
        else None
    )
    return InstrumentedServiceArgs(
        task=task_spec(config, service),
        api_key=api_key,
        placement=placement,
        execution_role_arn=service.execution_role_arn,
        task_role_arn=service.task_role_arn,
        tags=resource_tags(config, service),
    )
