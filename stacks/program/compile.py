"""From the validated stack model to everything the stack registers, in one pass.

`compile_stack` turns a `StackConfig` into a `CompiledStack`: the components' Args, each
service's monitors built (and so validated) once, its dashboard, the EKS telemetry pipeline's
dashboard, and notes on what was left out for want of data. A rule that needs more than the model
(a monitor's query, which signals feed it, whether the Datadog keys are set) fails at the key it
was compiled from, and every failure is reported at once: `deploy` registers nothing unless the
whole stack compiles. This is the one place that maps the model to the components.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from components.api_key_secret import DatadogApiKeySecretArgs
from components.dashboards.widgets import Json
from components.datadog_provider import DatadogProviderArgs
from components.datadog_tags import datadog_tag
from components.downtime_schedules import Downtime, Recurrence
from components.eks.args import (
    DEFAULT_API_KEY_SECRET_NAME,
    AgentArgs,
    ClusterAccessArgs,
    CollectorArgs,
    DatadogNamespaceArgs,
    EksObservabilityArgs,
)
from components.eks.collector_config import (
    BatchSettings,
    ClusterCollectorSettings,
    CollectorSettings,
    NodeCollectorSettings,
)
from components.eks.datadog_agent import (
    AgentFeatures,
    AgentOtlpReceiver,
    ApmInstrumentation,
    DatadogAgentSettings,
    OperatorSettings,
)
from components.eks.manifests import (
    CollectorParameters,
    ContainerResources,
    NodePlacement,
    Toleration,
)
from components.fargate.args import (
    AgentSidecar,
    ApiKeySecretRef,
    CloudWatchLogs,
    ContainerHealthCheck,
    CwsInstrumentation,
    DatadogLogs,
    InstrumentedServiceArgs,
    LlmObservability,
    LoadBalancerTarget,
    LogShipping,
    ScalingTarget,
    SecretEnv,
    ServiceAutoscaling,
    ServicePlacement,
    TaskSpec,
    TraceSettings,
)
from components.fargate.container_definitions import (
    TaskTooSmallError,
    container_budget,
    http_health_check_command,
    task_definition_size_problem,
    tmp_size_problem,
)
from components.fargate.scaling import request_count_resource_label
from components.monitors import (
    AnomalySpec,
    CompositeSpec,
    CustomMonitor,
    ErrorLogSettings,
    ErrorRateSettings,
    LatencySettings,
    LogFormulaSpec,
    LogMonitorSpec,
    LogQueryVariable,
    MetricQuery,
    MetricThresholdSpec,
    MonitorSettings,
    Notifications,
    ServiceMonitorSettings,
    ServiceMonitorsSpec,
    SeverityPolicy,
    Thresholds,
    ThroughputSettings,
)
from components.monitors.definitions import MonitorDefinition, MonitorDefinitionError
from components.monitors.service_monitors import (
    MANAGED_BY_TAG,
    CustomSpec,
    PlannedMonitor,
    monitor_builders,
    monitor_resource_name,
)
from components.problems import Problem
from components.slos.service_slos import (
    AvailabilitySloSettings,
    BuiltSlo,
    BurnRateAlertSettings,
    ErrorBudgetAlertSettings,
    LatencySloSettings,
    Objective,
    ServiceSloSettings,
    SloBuildError,
    slo_builders,
)
from components.telemetry import scope_terms
from components.wire import whole_numbers_as_int
from stacks.program.errors import NAMESPACE, StackConfigError, stack_file_name
from stacks.program.load import API_KEY_CONFIG, APP_KEY_CONFIG, StackSecrets, load_stack
from stacks.program.model import StackConfig
from stacks.program.model.datadog import NotificationSettings, SeverityPolicySettings
from stacks.program.model.downtimes import DowntimeSettings
from stacks.program.model.eks import AgentFeatureSettings, EksSettings, ResourceSettings
from stacks.program.model.monitors import (
    AnomalyMonitorSettings,
    CompositeMonitorSettings,
    CustomMonitorSettings,
    FormulaMonitorSettings,
    LogMonitorSettings,
    MetricMonitorSettings,
    MetricQueryFields,
    MonitorsSettings,
    ThresholdFields,
)
from stacks.program.model.services import (
    AutoscalingSettings,
    HealthCheckSettings,
    LoadBalancerSettings,
    ServiceSettings,
)
from stacks.program.model.slos import ObjectiveSettings
from stacks.program.model.stack import StackRole
from stacks.program.telemetry import ServicePlan, TelemetryPlan, monitor_key, telemetry_plan


def resource_tags(config: StackConfig, service: ServiceSettings | None = None) -> dict[str, str]:
    """Tags of every AWS resource: environment, owner, what manages it, and the service."""
    environment = config.environment
    tags = {
        **environment.tags,
        "env": environment.name,
        "team": team(config, service),
        "managed-by": "pulumi",
    }
    if service is not None:
        tags["service"] = service.name
    return tags


def datadog_tags(config: StackConfig, service: ServiceSettings) -> tuple[str, ...]:
    """The Datadog tags of everything a service's task sends, besides env, service and version:
    the stack's tags and the owning team."""
    tags = {**config.environment.tags, "team": team(config, service)}
    return tuple(datadog_tag(key, value) for key, value in sorted(tags.items()))


def team(config: StackConfig, service: ServiceSettings | None = None) -> str:
    """The team owning a service: its own, or the stack's."""
    return service.team if service and service.team else config.environment.team


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
            parse_json=service.logs.parse_json,
            router_readonly_root_filesystem=ecs.log_router.readonly_root_filesystem,
            router_env=dict(ecs.log_router.env),
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
            readonly_root_filesystem=ecs.agent.readonly_root_filesystem,
            dogstatsd_origin_detection=ecs.agent.dogstatsd_origin_detection,
            dogstatsd_tag_cardinality=ecs.agent.dogstatsd_tag_cardinality,
            app_waits_until_healthy=service.waits_for_healthy_agent,
            env=dict(ecs.agent.env),
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
        entry_point=None if service.entry_point is None else tuple(service.entry_point),
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
        cws=CwsInstrumentation(image=ecs.cws_instrumentation_image) if service.cws else None,
        readonly_root_filesystem=service.readonly_root_filesystem,
        tmp_size_mib=service.tmp_size_mib,
        user=service.user,
        datadog_tags=datadog_tags(config, service),
        health_check=None
        if service.health_check is None
        else container_health_check(service.health_check, service.port),
    )


def container_health_check(settings: HealthCheckSettings, port: int | None) -> ContainerHealthCheck:
    """The app container's health check; a `path` becomes an HTTP GET of the app's port (the
    model made sure there is one)."""
    if settings.path is not None:
        assert port is not None
        command = http_health_check_command(port, settings.path, settings.timeout)
    else:
        command = tuple(settings.command or ())
    return ContainerHealthCheck(
        command=command,
        interval=settings.interval,
        timeout=settings.timeout,
        retries=settings.retries,
        start_period=settings.start_period,
    )


def service_placement(config: StackConfig, service: ServiceSettings) -> ServicePlacement | None:
    """Where the service runs: None registers its task definition only."""
    ecs = config.ecs
    if ecs.cluster_arn is None:
        return None
    return ServicePlacement(
        cluster_arn=ecs.cluster_arn,
        subnet_ids=tuple(ecs.subnet_ids),
        security_group_ids=tuple(ecs.security_group_ids),
        assign_public_ip=ecs.assign_public_ip,
        desired_count=service.desired_count,
        enable_execute_command=service.enable_execute_command,
        load_balancer=None
        if service.load_balancer is None
        else load_balancer_target(service.load_balancer, service.port),
        autoscaling=None
        if service.autoscaling is None
        else service_autoscaling(service.autoscaling, service.load_balancer),
    )


def load_balancer_target(settings: LoadBalancerSettings, port: int | None) -> LoadBalancerTarget:
    """The target group wiring; traffic goes to the app's port (the model made sure there is
    one)."""
    assert port is not None
    return LoadBalancerTarget(
        target_group_arn=settings.target_group_arn,
        container_port=port,
        health_check_grace_period_seconds=settings.health_check_grace_period_seconds,
    )


def service_autoscaling(
    settings: AutoscalingSettings, load_balancer: LoadBalancerSettings | None
) -> ServiceAutoscaling:
    """One target tracking policy per target given."""
    targets = []
    if settings.cpu_utilization is not None:
        targets.append(ScalingTarget("ECSServiceAverageCPUUtilization", settings.cpu_utilization))
    if settings.memory_utilization is not None:
        targets.append(
            ScalingTarget("ECSServiceAverageMemoryUtilization", settings.memory_utilization)
        )
    if settings.request_count_per_target is not None:
        # The model made sure the load balancer and its ARN are there.
        assert load_balancer is not None
        assert load_balancer.load_balancer_arn is not None
        targets.append(
            ScalingTarget(
                "ALBRequestCountPerTarget",
                settings.request_count_per_target,
                resource_label=request_count_resource_label(
                    load_balancer.load_balancer_arn, load_balancer.target_group_arn
                ),
            )
        )
    return ServiceAutoscaling(
        min_capacity=settings.min_capacity,
        max_capacity=settings.max_capacity,
        targets=tuple(targets),
        scale_in_cooldown=settings.scale_in_cooldown,
        scale_out_cooldown=settings.scale_out_cooldown,
    )


def eks_args(
    config: StackConfig, eks: EksSettings, api_key: pulumi.Input[str] | None
) -> EksObservabilityArgs:
    return EksObservabilityArgs(
        access=ClusterAccessArgs(
            cluster_name=eks.cluster_name,
            kubeconfig_context=eks.kubeconfig_context,
            kubernetes_version=eks.kubernetes_version,
        ),
        namespace=eks_namespace_args(eks, api_key),
        collector=collector_args(config, eks),
        agent=agent_args(config, eks),
    )


def eks_namespace_args(eks: EksSettings, api_key: pulumi.Input[str] | None) -> DatadogNamespaceArgs:
    existing = eks.existing_api_key_secret_name
    return DatadogNamespaceArgs(
        name=eks.namespace,
        api_key=None if existing else api_key,
        existing_api_key_secret_name=existing,
    )


def collector_args(config: StackConfig, eks: EksSettings) -> CollectorArgs | None:
    settings = eks.collector
    if not settings.enabled:
        return None
    batch = settings.batch
    shared = CollectorSettings(
        environment=config.environment.name,
        cluster_name=eks.cluster_name,
        datadog_site=config.datadog.site,
        batch=BatchSettings(
            send_batch_size=batch.send_batch_size,
            send_batch_max_size=batch.send_batch_max_size,
            timeout_seconds=batch.timeout_seconds,
        ),
    )
    return CollectorArgs(
        params=CollectorParameters(
            namespace=eks.namespace,
            api_key_secret_name=_api_key_secret_name(eks),
            node_resources=container_resources(settings.resources),
            cluster_resources=container_resources(settings.cluster_collector_resources),
            node_placement=node_placement(eks),
        ),
        node=NodeCollectorSettings(
            shared,
            collect_container_logs=settings.container_logs,
            scrape_prometheus_pods=settings.prometheus_scrape,
            collect_kubelet_stats=settings.kubelet_stats,
            verify_kubelet_tls=eks.kubelet_tls_verify,
        ),
        cluster=ClusterCollectorSettings(shared, collect_events=settings.kubernetes_events),
    )


def agent_args(config: StackConfig, eks: EksSettings) -> AgentArgs | None:
    settings = eks.agent
    if not settings.enabled:
        return None
    secret_name = _api_key_secret_name(eks)
    return AgentArgs(
        operator=OperatorSettings(
            namespace=eks.namespace,
            api_key_secret_name=secret_name,
            cluster_name=eks.cluster_name,
            site=config.datadog.site,
        ),
        agent=DatadogAgentSettings(
            namespace=eks.namespace,
            cluster_name=eks.cluster_name,
            environment=config.environment.name,
            api_key_secret_name=secret_name,
            site=config.datadog.site,
            features=agent_features(settings.features),
            node_agent_resources=container_resources(settings.node_agent_resources),
            cluster_agent_resources=container_resources(settings.cluster_agent_resources),
            cluster_agent_replicas=settings.cluster_agent_replicas,
            kubelet_tls_verify=eks.kubelet_tls_verify,
            node_placement=node_placement(eks),
        ),
    )


def node_placement(eks: EksSettings) -> NodePlacement:
    """The one placement of both node workloads (the collector DaemonSet and the node Agent)."""
    settings = eks.node_daemon_sets
    return NodePlacement(
        tolerations=tuple(
            Toleration(key=t.key, operator=t.operator, value=t.value, effect=t.effect)
            for t in settings.tolerations
        ),
        priority_class_name=settings.priority_class_name,
    )


def agent_features(features: AgentFeatureSettings) -> AgentFeatures:
    otlp = features.otlp
    instrumentation = features.apm_instrumentation
    return AgentFeatures(
        apm=features.apm,
        apm_instrumentation=None
        if instrumentation is None
        else ApmInstrumentation(
            namespaces=tuple(instrumentation.namespaces),
            ddtrace_version=instrumentation.ddtrace_version,
        ),
        otlp=AgentOtlpReceiver(
            grpc=otlp.grpc,
            http=otlp.http,
            grpc_host_port=otlp.grpc_host_port,
            http_host_port=otlp.http_host_port,
        ),
        log_collection=features.log_collection.enabled,
        container_collect_all=features.log_collection.container_collect_all,
        npm=features.npm,
        cspm=features.cspm,
        cws=features.cws,
    )


def container_resources(settings: ResourceSettings) -> ContainerResources:
    return ContainerResources(
        cpu_request=settings.requests.cpu,
        memory_request=settings.requests.memory,
        cpu_limit=settings.limits.cpu,
        memory_limit=settings.limits.memory,
    )


def _api_key_secret_name(eks: EksSettings) -> str:
    return eks.existing_api_key_secret_name or DEFAULT_API_KEY_SECRET_NAME


def datadog_provider_args(
    config: StackConfig, api_key: pulumi.Input[str], app_key: pulumi.Input[str]
) -> DatadogProviderArgs:
    return DatadogProviderArgs(site=config.datadog.site, api_key=api_key, app_key=app_key)


def service_notifications(config: StackConfig, service: ServiceSettings) -> NotificationSettings:
    """The stack's notifications, with the keys the service sets replaced."""
    stack = config.datadog.notifications
    own = service.notifications
    if own is None:
        return stack
    return stack.model_copy(update={key: getattr(own, key) for key in own.model_fields_set})


def monitors_spec(config: StackConfig, service: ServiceSettings) -> ServiceMonitorsSpec:
    notifications = service_notifications(config, service)
    return ServiceMonitorsSpec(
        service=service.name,
        env=config.environment.name,
        team=team(config, service),
        notifications=Notifications(
            alert=tuple(notifications.alert),
            warning=tuple(notifications.warning),
            no_data=tuple(notifications.no_data),
            high=severity_policy(notifications.high),
            low=severity_policy(notifications.low),
        ),
        operation=service.operation,
        runbook_url=service.runbook_url,
        settings=monitor_settings(config, service.monitors),
        custom=tuple(
            custom_monitor(role, settings) for role, settings in service.monitors.custom.items()
        ),
    )


def severity_policy(settings: SeverityPolicySettings) -> SeverityPolicy:
    return SeverityPolicy(priority=settings.priority, renotify_minutes=settings.renotify_minutes)


def monitor_settings(config: StackConfig, monitors: MonitorsSettings) -> ServiceMonitorSettings:
    latency, errors = monitors.latency, monitors.error_rate
    throughput, logs = monitors.throughput, monitors.error_logs
    defaults = config.datadog.monitor_defaults
    return ServiceMonitorSettings(
        latency=None
        if latency is None
        else LatencySettings(
            critical_seconds=latency.critical_seconds,
            warning_seconds=latency.warning_seconds,
            percentile=latency.percentile,
            window=latency.window,
            group_by=tuple(latency.group_by),
            severity=latency.severity,
        ),
        error_rate=None
        if errors is None
        else ErrorRateSettings(
            critical=errors.critical,
            warning=errors.warning,
            window=errors.window,
            group_by=tuple(errors.group_by),
            severity=errors.severity,
        ),
        throughput=None
        if throughput is None
        else ThroughputSettings(
            algorithm=throughput.algorithm,
            direction=throughput.direction,
            seasonality=throughput.seasonality,
            bounds=throughput.bounds,
            alert_window=throughput.alert_window,
            interval=throughput.interval,
            query_window=throughput.query_window,
            timezone=throughput.timezone,
            severity=throughput.severity,
        ),
        error_logs=None
        if logs is None
        else ErrorLogSettings(
            critical=logs.critical,
            warning=logs.warning,
            window=logs.window,
            group_by=tuple(logs.group_by),
            severity=logs.severity,
        ),
        no_data_minutes=defaults.no_data_minutes,
        no_data_environments=tuple(defaults.no_data_environments),
    )


def custom_monitor(role: str, settings: CustomMonitorSettings) -> CustomMonitor:
    monitor = MonitorSettings(
        name=settings.name,
        message=settings.message,
        tags=tuple(settings.tags),
        priority=settings.priority,
        renotify_interval=settings.renotify_minutes,
    )
    if isinstance(settings, CompositeMonitorSettings):
        return CustomMonitor(
            role=role,
            spec=CompositeSpec(settings=monitor, expression=settings.expression),
            severity=settings.severity,
        )
    monitor = dataclasses.replace(
        monitor,
        notify_no_data=settings.no_data_minutes is not None,
        no_data_timeframe=settings.no_data_minutes,
        notify_by=tuple(settings.notify_by),
    )
    spec: CustomSpec
    match settings:
        case MetricMonitorSettings():
            spec = MetricThresholdSpec(
                settings=monitor,
                query=_metric_query(settings),
                thresholds=_thresholds(settings),
                comparator=settings.comparator,
                time_aggregation=settings.time_aggregation,
                window=settings.window,
                require_full_window=settings.require_full_window,
                evaluation_delay=settings.evaluation_delay_seconds,
            )
        case AnomalyMonitorSettings():
            spec = AnomalySpec(
                settings=monitor,
                query=_metric_query(settings),
                algorithm=settings.algorithm,
                bounds=settings.bounds,
                direction=settings.direction,
                alert_window=settings.alert_window,
                interval=settings.interval,
                seasonality=settings.seasonality,
                timezone=settings.timezone,
                count_default_zero=settings.count_default_zero,
                query_window=settings.query_window,
                time_aggregation=settings.time_aggregation,
                thresholds=Thresholds(
                    settings.critical, critical_recovery=settings.critical_recovery
                ),
                recovery_window=settings.recovery_window,
            )
        case LogMonitorSettings():
            spec = LogMonitorSpec(
                settings=monitor,
                search=settings.search,
                thresholds=_thresholds(settings),
                comparator=settings.comparator,
                index=settings.index,
                aggregation=settings.aggregation,
                measure=settings.measure,
                group_by=tuple(settings.group_by),
                window=settings.window,
            )
        case FormulaMonitorSettings():
            spec = LogFormulaSpec(
                settings=monitor,
                formula=settings.formula,
                variables=tuple(
                    LogQueryVariable(
                        name=name,
                        search=variable.search,
                        aggregation=variable.aggregation,
                        measure=variable.measure,
                        indexes=tuple(variable.indexes),
                        group_by=tuple(variable.group_by),
                        group_limit=variable.group_limit,
                    )
                    for name, variable in settings.variables.items()
                ),
                thresholds=_thresholds(settings),
                comparator=settings.comparator,
                window=settings.window,
            )
    return CustomMonitor(
        role=role, spec=spec, severity=settings.severity, external_source=settings.external_source
    )


def _metric_query(settings: MetricQueryFields) -> MetricQuery:
    return MetricQuery(
        metric=settings.metric,
        space_aggregation=settings.aggregation,
        filters=tuple(settings.filters),
        group_by=tuple(settings.group_by),
        as_count=settings.as_count,
    )


def _thresholds(settings: ThresholdFields) -> Thresholds:
    return Thresholds(
        critical=settings.critical,
        warning=settings.warning,
        critical_recovery=settings.critical_recovery,
        warning_recovery=settings.warning_recovery,
    )


PLATFORM_OUTPUTS: Final = {
    "datadogApiKeySecretArn": "the Datadog API key secret's ARN, which the services' tasks read",
    "environment": "the environment (observability:environment.name), which a team must share",
    "datadogSite": "the Datadog site (observability:datadog.site) of the API key's organisation",
    "notifications": "the notification defaults of its team stacks",
    "notificationHandles": "every handle its team stacks may notify",
}
"""What a platform stack exports for its team stacks, all required, and why."""
PLATFORM_KMS_KEY_OUTPUT: Final = "datadogApiKeyKmsKeyArn"
"""The customer-managed key of the API key secret: exported only when the secret has one."""


@dataclass(frozen=True)
class PlatformOutputs:
    """What a team stack uses of its platform stack's outputs."""

    stack: str
    """The platform, fully qualified."""
    api_key_secret_arn: pulumi.Input[str]
    """Its Datadog API key secret."""
    api_key_kms_key_arn: pulumi.Input[str] | None
    """The secret's customer-managed key, which the services' execution roles decrypt with."""
    environment: str
    datadog_site: str
    notifications: NotificationSettings
    """The defaults of every team stack, which a team stack or a service overrides by key."""
    notification_handles: frozenset[str]
    """The handles a team's monitors may notify."""

    def api_key(self) -> ApiKeySecretRef:
        """How the team's services refer to the platform's API key secret."""
        return ApiKeySecretRef(
            secret_arn=self.api_key_secret_arn, kms_key_arn=self.api_key_kms_key_arn
        )


@dataclass(frozen=True)
class OutputValue:
    """One output of a stack as a stack reference reads it."""

    value: Any
    secret: bool = False


@dataclass(frozen=True)
class CompiledService:
    """One service as the stack registers it."""

    name: str
    previous_names: tuple[str, ...]
    """Earlier names, which its components are aliased to."""
    task: TaskSpec
    placement: ServicePlacement | None
    execution_role_arn: str | None
    task_role_arn: str | None
    tags: dict[str, str]
    monitors: dict[str, MonitorDefinition]
    """Its monitors by role, built and validated; only those that will have data."""
    slos: dict[str, BuiltSlo]
    """Its SLOs by role with their alerts, built and validated; only those that will have
    data."""
    dashboard: Json | None
    """Its dashboard, None when turned off or when nothing on it would have data."""

    @property
    def monitors_name(self) -> str:
        """The name of its `ServiceMonitors` component."""
        return f"{self.name}-monitors"

    @property
    def slos_name(self) -> str:
        """The name of its `ServiceSlos` component."""
        return f"{self.name}-slos"

    @property
    def dashboard_name(self) -> str:
        """The name of its dashboard component."""
        return f"{self.name}-apm"

    def args(self, api_key: ApiKeySecretRef) -> InstrumentedServiceArgs:
        """The component's Args, with the API key secret the stack created or names."""
        return InstrumentedServiceArgs(
            task=self.task,
            api_key=api_key,
            placement=self.placement,
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
            tags=self.tags,
        )


@dataclass(frozen=True)
class CompiledStack:
    """Everything a stack registers; `deploy` only wires it into components."""

    role: StackRole
    """What it exports follows from it (`deploy`)."""
    api_key_secret: DatadogApiKeySecretArgs | None
    """The secret the stack creates or names; None in a team stack."""
    platform: PlatformOutputs | None
    """A team stack's platform, as its outputs say; None otherwise."""
    services: tuple[CompiledService, ...]
    eks: EksObservabilityArgs | None
    datadog_provider: DatadogProviderArgs | None
    """The provider of the monitors and dashboards; None when the stack has neither."""
    platform_dashboard: Json | None
    """The EKS telemetry pipeline's dashboard, None without EKS or when turned off."""
    notes: tuple[str, ...]
    """One line per default monitor or dashboard left out, and why."""
    downtimes: dict[str, Downtime]
    """Scheduled downtimes of the stack's monitors by name; empty for none."""
    platform_exports: Mapping[str, object]
    """A platform stack's outputs for its team stacks besides the API key secret's ARNs
    (`PLATFORM_OUTPUTS`); empty in other stacks."""


def compile_running_stack() -> CompiledStack:
    """The running stack's configuration, read, validated and compiled (StackConfigError).

    Not for a team stack, whose platform's outputs come from a stack reference
    (`compile_stack` with `platform`)."""
    stack = load_stack()
    return compile_stack(stack.config, stack.secrets)


def compile_stack(
    config: StackConfig, secrets: StackSecrets, platform: PlatformOutputs | None = None
) -> CompiledStack:
    """The whole stack, or StackConfigError with every problem at its key.

    A team stack needs its platform's outputs: its monitors notify the platform's defaults, and
    only the handles the platform defines.
    """
    problems: list[Problem] = []
    if config.stack.role == "team":
        if platform is None:
            raise ValueError("a team stack compiles with its platform stack's outputs")
        problems += platform_problems(config, platform)
        config = with_platform_defaults(config, platform)
    specs = {service.name: monitors_spec(config, service) for service in config.services}
    planned = {
        service.name: _planned_monitors(config, index, service, specs[service.name], problems)
        for index, service in enumerate(config.services)
    }
    planned_slos = {
        service.name: slo_builders(specs[service.name], slo_settings(service))
        for service in config.services
    }
    plan = telemetry_plan(config, planned, planned_slos)
    problems += plan.problems
    services = tuple(
        _compile_service(config, index, service, plan, problems)
        for index, service in enumerate(config.services)
    )
    problems += _unnotified_production_problems(config, plan)
    problems += _monitor_name_collisions(services)
    manages_datadog = plan.manages_datadog_resources
    problems += _missing_key_problems(config, secrets, manages_datadog)
    if config.downtimes and not manages_datadog:
        problems.append(
            Problem(
                f"{NAMESPACE}:downtimes",
                "the stack registers no monitors or dashboards, so no Datadog provider to "
                "schedule downtimes with; remove downtimes",
            )
        )
    if problems:
        raise StackConfigError(problems, stack_file_name())
    provider = (
        datadog_provider_args(config, secrets.api_key, secrets.app_key)
        if manages_datadog and secrets.api_key is not None and secrets.app_key is not None
        else None
    )
    return CompiledStack(
        role=config.stack.role,
        api_key_secret=None
        if config.stack.role == "team"
        else api_key_secret_args(config, secrets.api_key),
        platform=platform,
        services=services,
        eks=None if config.eks is None else eks_args(config, config.eks, secrets.api_key),
        datadog_provider=provider,
        platform_dashboard=plan.platform_dashboard,
        notes=plan.notes,
        downtimes={d.name: downtime(config, d) for d in config.downtimes},
        platform_exports=platform_exports(config) if config.stack.role == "platform" else {},
    )


def platform_exports(config: StackConfig) -> dict[str, object]:
    """The plain outputs of a platform stack, as its team stacks read them back
    (`platform_outputs`): notifications as their stack file key writes them."""
    return {
        "environment": config.environment.name,
        "datadogSite": config.datadog.site,
        "notifications": config.datadog.notifications.model_dump(mode="json", by_alias=True),
        "notificationHandles": list(config.datadog.defined_handles),
    }


def downtime(config: StackConfig, settings: DowntimeSettings) -> Downtime:
    """A downtime that mutes only monitors this stack manages in its environment: the monitor
    tags always include the stack's own, whatever else selects."""
    env = config.environment.name
    own = (f"env:{env}", MANAGED_BY_TAG)
    return Downtime(
        scope=settings.scope or f"env:{env}",
        monitor_tags=own + tuple(tag for tag in settings.monitor_tags if tag not in own),
        timezone=settings.timezone,
        recurrences=tuple(
            Recurrence(rrule=r.rrule, start=r.start, duration=r.duration)
            for r in settings.recurrences
        ),
        message=settings.message,
    )


def slo_settings(service: ServiceSettings) -> ServiceSloSettings:
    """The service's SLOs; the latency SLO follows the latency monitor's percentile and
    threshold unless it sets its own."""
    availability, latency = service.slos.availability, service.slos.latency
    monitor = service.monitors.latency
    defaults = LatencySloSettings()
    return ServiceSloSettings(
        availability=None
        if availability is None
        else AvailabilitySloSettings(objective(availability)),
        latency=None
        if latency is None
        else LatencySloSettings(
            objective(latency),
            threshold_seconds=latency.threshold_seconds
            or (defaults.threshold_seconds if monitor is None else monitor.critical_seconds),
            percentile=latency.percentile
            or (defaults.percentile if monitor is None else monitor.percentile),
            method=latency.method,
            interval_seconds=latency.interval_seconds,
        ),
    )


def objective(settings: ObjectiveSettings) -> Objective:
    budget = settings.error_budget_alert
    return Objective(
        target=settings.target,
        warning=settings.warning,
        timeframe=settings.timeframe,
        timeframes=tuple(settings.timeframes),
        burn_rate_alerts={
            role: BurnRateAlertSettings(
                burn_rate=alert.burn_rate,
                long_window=alert.long_window,
                short_window=alert.short_window,
                severity=alert.severity,
            )
            for role, alert in settings.alerts().items()
        },
        error_budget_alert=None
        if budget is None
        else ErrorBudgetAlertSettings(
            critical=budget.critical, warning=budget.warning, severity=budget.severity
        ),
    )


def _monitor_name_collisions(services: Sequence[CompiledService]) -> list[Problem]:
    """Monitors of two services whose resources would get the same name, and so one URN."""
    first: dict[str, str] = {}
    problems = []
    for index, service in enumerate(services):
        for role in service.monitors:
            name = monitor_resource_name(service.monitors_name, role)
            key = f"{NAMESPACE}:services[{index}].monitors.{monitor_key(role)}"
            if name in first:
                problems.append(
                    Problem(
                        key,
                        f"its resource would be named {name!r}, as {first[name]}'s is: Pulumi "
                        "refuses two resources of one name; choose another role",
                    )
                )
            first.setdefault(name, key)
    return problems


def _planned_monitors(
    config: StackConfig,
    index: int,
    service: ServiceSettings,
    spec: ServiceMonitorsSpec,
    problems: list[Problem],
) -> dict[str, PlannedMonitor]:
    """The service's monitors, unbuilt; problems of their scope and roles go to `problems`."""
    path = f"{NAMESPACE}:services[{index}].monitors"
    for role, custom in service.monitors.custom.items():
        problems += _scope_problems(config, f"{path}.custom.{role}", custom)
    try:
        return monitor_builders(spec)
    except ValueError as error:  # a custom role taken by a default monitor
        problems.append(Problem(f"{path}.custom", str(error)))
        return {}


def _compile_service(
    config: StackConfig,
    index: int,
    service: ServiceSettings,
    plan: TelemetryPlan,
    problems: list[Problem],
) -> CompiledService:
    path = f"{NAMESPACE}:services[{index}]"
    task = task_spec(config, service)
    try:
        container_budget(task)
    except TaskTooSmallError as error:
        problems.append(Problem(f"{path}.{error.field}", str(error)))
    else:
        too_large = task_definition_size_problem(task)
        if too_large is not None:
            problems.append(Problem(f"{path}.env", too_large))
        tmp_too_large = tmp_size_problem(task)
        if tmp_too_large is not None:
            problems.append(Problem(f"{path}.tmpSizeMib", tmp_too_large))
    service_plan = plan.services[service.name]
    monitors = {}
    for role, monitor in service_plan.monitors.items():
        try:
            monitors[role] = monitor.build()
        except MonitorDefinitionError as error:
            key = f"{path}.monitors.{monitor_key(role)}"
            problems += [Problem(key, str(p)) for p in error.problems] or [
                Problem(key, error.reason)
            ]
    return CompiledService(
        name=service.name,
        previous_names=tuple(service.previous_names),
        task=task,
        placement=service_placement(config, service),
        execution_role_arn=service.execution_role_arn,
        task_role_arn=service.task_role_arn,
        tags=resource_tags(config, service),
        monitors=monitors,
        slos=_built_slos(path, service_plan, problems),
        dashboard=service_plan.dashboard,
    )


def _built_slos(
    path: str, service_plan: ServicePlan, problems: list[Problem]
) -> dict[str, BuiltSlo]:
    """The service's SLOs with their alerts; what Datadog would refuse goes to `problems` at
    the key of the SLO or alert it comes from."""
    slos = {}
    for role, slo in service_plan.slos.items():
        key = f"{path}.slos.{role}"
        if slo.follows_monitors - service_plan.monitors.keys():
            problems.append(
                Problem(
                    f"{key}.method",
                    "a monitor-based SLO follows the service's latency monitor, which this "
                    "stack does not make; use time-slice or turn the monitor on",
                )
            )
            continue
        try:
            slos[role] = slo.build()
        except SloBuildError as error:
            problems += [
                Problem(_slo_part_key(key, part), reason) for part, reason in error.problems
            ]
    return slos


def _slo_part_key(key: str, part: str) -> str:
    """Where the part of an SLO that a build problem names is configured."""
    if not part:
        return key
    if part == "error-budget":
        return f"{key}.errorBudgetAlert"
    return f"{key}.burnRateAlerts.{part}"


def _scope_problems(
    config: StackConfig, path: str, monitor: CustomMonitorSettings
) -> list[Problem]:
    """A custom monitor must watch services of the stack in the stack's environment: another
    name is a typo or a block copied from another stack file, and the monitor would stay silent
    or watch someone else's data. One on data from outside the stack (`externalSource`) names
    that system's services and environments, which the stack cannot know. A composite names
    only monitors of its own service."""
    if isinstance(monitor, CompositeMonitorSettings) or monitor.external_source is not None:
        return []
    texts: list[tuple[str, str]] = []
    match monitor:
        case MetricMonitorSettings() | AnomalyMonitorSettings():
            texts = [(f"filters[{i}]", text) for i, text in enumerate(monitor.filters)]
        case LogMonitorSettings():
            texts = [("search", monitor.search)]
        case FormulaMonitorSettings():
            texts = [
                (f"variables.{name}.search", v.search) for name, v in monitor.variables.items()
            ]
    services = [service.name for service in config.services]
    env = config.environment.name
    problems = []
    for key, text in texts:
        for tag, value in scope_terms(text):
            if "*" in value or "?" in value:
                continue
            if tag == "service" and value not in services:
                problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"service:{value} is not a service of this stack ({', '.join(services)}); "
                        "the monitor would never see data",
                    )
                )
            elif tag == "env" and value != env:
                problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"env:{value} is not this stack's environment ({env}); the monitor "
                        "would watch another environment",
                    )
                )
    return problems


def _unnotified_production_problems(config: StackConfig, plan: TelemetryPlan) -> list[Problem]:
    """In a production-like stack, every service with monitors must page someone."""
    environment = config.environment
    if not environment.production_like:
        return []
    why = (
        "protectResources is true"
        if environment.protect_resources
        else f"environment {environment.name}"
    )
    problems = []
    stack_services = []
    for index, service in enumerate(config.services):
        service_plan = plan.services[service.name]
        alerting = service_plan.monitors or service_plan.slos
        if service_notifications(config, service).alert or not alerting:
            continue
        own = service.notifications
        if own is not None and "alert" in own.model_fields_set:
            problems.append(
                Problem(
                    f"{NAMESPACE}:services[{index}].notifications.alert",
                    f"no handle in a production stack ({why}): {service.name}'s alerts would "
                    "page no one; add one such as @pagerduty-<service>",
                )
            )
        else:
            stack_services.append(service.name)
    if stack_services:
        problems.append(
            Problem(
                f"{NAMESPACE}:datadog.notifications.alert",
                f"no handle in a production stack ({why}): alerts of "
                f"{', '.join(stack_services)} would page no one; add one such as "
                "@pagerduty-<service>",
            )
        )
    return problems


def _missing_key_problems(
    config: StackConfig, secrets: StackSecrets, datadog_resources: bool
) -> list[Problem]:
    """The Datadog keys that something in the stack needs and the stack file does not set."""
    # A team stack stores no key: only its Datadog provider needs one.
    needs_api_key = datadog_resources or config.stack.role != "team"
    problems = (
        _missing_api_key(config, datadog_resources)
        if secrets.api_key is None and needs_api_key
        else []
    )
    if datadog_resources and secrets.app_key is None:
        problems.append(
            Problem(
                APP_KEY_CONFIG,
                "missing; run `pulumi config set --secret datadog:appKey <key>` with an "
                "application key allowed to manage monitors and dashboards (the stack's Datadog "
                "provider needs it)",
            )
        )
    return problems


def _missing_api_key(config: StackConfig, datadog_resources: bool) -> list[Problem]:
    """The problem when something needs `datadog:apiKey` and the stack has none."""
    set_it = "missing; run `pulumi config set --secret datadog:apiKey <key>`"
    if datadog_resources:
        # Existing secrets serve the agents, not the provider that manages monitors and dashboards.
        return [
            Problem(
                API_KEY_CONFIG,
                f"{set_it} (the stack's Datadog provider needs it for the monitors and dashboards)",
            )
        ]
    alternatives = []
    if config.datadog.api_key_secret.existing_arn is None:
        alternatives.append(f"an existing secret in {NAMESPACE}:datadog.apiKeySecret.existingArn")
    if config.eks is not None and config.eks.existing_api_key_secret_name is None:
        alternatives.append(
            f"an existing Kubernetes Secret in {NAMESPACE}:eks.existingApiKeySecretName"
        )
    if not alternatives:
        return []
    return [Problem(API_KEY_CONFIG, f"{set_it} or name " + " and ".join(alternatives))]


def platform_outputs(config: StackConfig, outputs: Mapping[str, OutputValue]) -> PlatformOutputs:
    """The platform's outputs a team stack reads, or StackConfigError naming each that is
    missing or malformed and the platform stack (at observability:stack.platform)."""
    platform = config.stack.platform
    assert platform is not None  # the model requires it of a team stack
    key = f"{NAMESPACE}:stack.platform"
    missing = sorted(set(PLATFORM_OUTPUTS) - set(outputs))
    problems = [
        Problem(
            key,
            f"the platform stack {platform} exports no output {name!r} ({PLATFORM_OUTPUTS[name]}); "
            "is it a platform stack (observability:stack.role: platform), deployed (or planned) "
            "since it was made one?",
        )
        for name in missing
    ]
    if problems:
        raise StackConfigError(problems, stack_file_name())

    def plain(name: str) -> Any:
        return outputs[name].value

    def maybe_secret(name: str) -> pulumi.Input[str]:
        output = outputs[name]
        return pulumi.Output.secret(output.value) if output.secret else output.value

    try:
        notifications = NotificationSettings.model_validate(
            whole_numbers_as_int(plain("notifications"))
        )
    except ValidationError as error:
        problems.append(
            Problem(
                key,
                f"{platform}'s output 'notifications' is not what observability:datadog."
                f"notifications allows: {error.errors(include_url=False)[0]['msg']}",
            )
        )
    handles = plain("notificationHandles")
    texts = {"environment": plain("environment"), "datadogSite": plain("datadogSite")}
    if not isinstance(handles, list) or not all(isinstance(h, str) for h in handles):
        problems.append(Problem(key, f"{platform}'s output 'notificationHandles' is not a list"))
    for name, text in texts.items():
        if not isinstance(text, str):
            problems.append(Problem(key, f"{platform}'s output {name!r} is not a string"))
    if problems:
        raise StackConfigError(problems, stack_file_name())
    kms_key = outputs.get(PLATFORM_KMS_KEY_OUTPUT)
    return PlatformOutputs(
        stack=platform,
        api_key_secret_arn=maybe_secret("datadogApiKeySecretArn"),
        api_key_kms_key_arn=None if kms_key is None else maybe_secret(PLATFORM_KMS_KEY_OUTPUT),
        environment=texts["environment"],
        datadog_site=texts["datadogSite"],
        notifications=notifications,
        notification_handles=frozenset(handles),
    )


def platform_problems(config: StackConfig, platform: PlatformOutputs) -> list[Problem]:
    """What a team stack must share with its platform: the environment, the Datadog site, and
    only the notification handles the platform defines."""
    problems = []
    name = config.environment.name
    if name != platform.environment:
        problems.append(
            Problem(
                f"{NAMESPACE}:environment.name",
                f"{name}, but its platform stack {platform.stack} is {platform.environment}: "
                "a team stack belongs to its platform's environment",
            )
        )
    site = config.datadog.site
    if site != platform.datadog_site:
        problems.append(
            Problem(
                f"{NAMESPACE}:datadog.site",
                f"{site}, but its platform stack {platform.stack} reports to "
                f"{platform.datadog_site}, whose organisation the API key belongs to; set "
                f"site: {platform.datadog_site}",
            )
        )
    settings = [(f"{NAMESPACE}:datadog.notifications", config.datadog.notifications)] + [
        (f"{NAMESPACE}:services[{index}].notifications", service.notifications)
        for index, service in enumerate(config.services)
        if service.notifications is not None
    ]
    defined = platform.notification_handles
    for path, notifications in settings:
        for key in ("alert", "warning", "no_data"):
            for index, handle in enumerate(getattr(notifications, key)):
                if handle not in defined:
                    problems.append(
                        Problem(
                            f"{path}.{to_camel(key)}[{index}]",
                            f"{handle} is not a handle its platform stack {platform.stack} "
                            "defines (its notifications and notificationHandles: "
                            f"{', '.join(sorted(defined)) or 'none'})",
                        )
                    )
    return problems


def with_platform_defaults(config: StackConfig, platform: PlatformOutputs) -> StackConfig:
    """The team stack's config with its platform's notification defaults under its own: each
    key the team stack sets replaces the platform's, as a service's replace the stack's."""
    own = config.datadog.notifications
    notifications = platform.notifications.model_copy(
        update={key: getattr(own, key) for key in own.model_fields_set}
    )
    datadog = config.datadog.model_copy(update={"notifications": notifications})
    return config.model_copy(update={"datadog": datadog})
