"""The typed model of a stack's `observability:*` configuration.

Each top-level field is one config key (`observability:services`, ...). Field checks live here;
rules that span sections or list items live in `stacks.config`, which also turns every failure
into a message naming the stack file and the key path.
"""

import dataclasses
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.datadog_site import DatadogSite
from components.eks.args import DEFAULT_NAMESPACE
from components.eks.collector_config import BatchSettings
from components.eks.datadog_agent import (
    DEFAULT_CLUSTER_AGENT_RESOURCES,
    DEFAULT_NODE_AGENT_RESOURCES,
    AgentFeatures,
)
from components.eks.manifests import (
    ContainerResources,
    Toleration,
    cpu_millicores,
    go_memory_limit,
    memory_bytes,
)
from components.fargate.args import DEFAULT_AGENT_IMAGE, DEFAULT_LOG_ROUTER_IMAGE
from components.fargate.container_definitions import RESERVED_ENV
from components.fargate.sizes import FARGATE_MEMORY_BY_CPU, fargate_size_problem
from components.monitors.definitions import (
    Aggregation,
    AnomalyAlgorithm,
    AnomalyDirection,
    AnomalySpec,
    Comparator,
    LogAggregation,
    LogFormulaSpec,
    LogMonitorSpec,
    LogQueryVariable,
    MetricQuery,
    MetricThresholdSpec,
    PercentileAggregation,
    Seasonality,
)
from components.monitors.messages import HANDLE, Notifications, Severity, SeverityPolicy
from components.monitors.service_monitors import (
    CustomMonitor,
    ErrorLogSettings,
    ErrorRateSettings,
    LatencySettings,
    ServiceMonitorSettings,
    ServiceMonitorsSpec,
    ThroughputSettings,
    check_role,
)
from components.versions import DEFAULT_KUBERNETES_VERSION

_PARTITION = r"arn:aws(?:-[a-z]+)*"


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _pinned_image(image: str) -> str:
    reference = image.split("@", 1)
    name = reference[0]
    has_digest = len(reference) == 2
    last_part = name.rsplit("/", 1)[-1]
    tag = last_part.split(":", 1)[1] if ":" in last_part else None
    if tag == "latest":
        raise ValueError(f"{image!r} uses the tag 'latest'; pin a version (e.g. repo/app:1.4.2)")
    if tag is None and not has_digest:
        raise ValueError(f"{image!r} has no tag; pin a version (e.g. repo/app:1.4.2)")
    return image


PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
ServiceName = Annotated[
    str,
    AfterValidator(
        _matching(r"[a-z][a-z0-9-]{0,62}", "a service name (lowercase letters, digits, hyphens)")
    ),
]
EnvName = Annotated[
    str, AfterValidator(_matching(r"[a-z][a-z0-9_.-]{0,99}", "a Datadog env tag (lowercase)"))
]
EnvVarName = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name"))
]
Version = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}", "a version string"))
]
SecretArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION
            + r":secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}",
            "a full Secrets Manager secret ARN (with its six-character suffix)",
        )
    ),
]
KmsKeyArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION + r":kms:[a-z0-9-]+:\d{12}:key/(?:mrk-[a-f0-9]{32}|[a-f0-9-]{36})",
            "a KMS key ARN",
        )
    ),
]
RoleArn = Annotated[
    str,
    AfterValidator(_matching(_PARTITION + r":iam::\d{12}:role/[\w+=,.@/-]+", "an IAM role ARN")),
]
ClusterArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION + r":ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]+", "an ECS cluster ARN"
        )
    ),
]
SubnetId = Annotated[str, AfterValidator(_matching(r"subnet-[0-9a-f]{8,17}", "a subnet id"))]
SecurityGroupId = Annotated[
    str, AfterValidator(_matching(r"sg-[0-9a-f]{8,17}", "a security group id"))
]
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
]  # fmt: skip

EksClusterName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}",
            "an EKS cluster name (letters, digits, hyphens, underscores; at most 100)",
        )
    ),
]
# Namespaces every cluster already has: the stack creates its namespace, so these would clash.
_BUILT_IN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _own_namespace(name: str) -> str:
    if name in _BUILT_IN_NAMESPACES:
        raise ValueError(
            f"{name!r} exists in every cluster, and the stack creates its namespace; "
            f"use a namespace of its own (default {DEFAULT_NAMESPACE!r})"
        )
    return name


NamespaceName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?",
            "a namespace name (lowercase letters, digits and hyphens, at most 63)",
        )
    ),
    AfterValidator(_own_namespace),
]
SecretName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            "a Secret name (lowercase letters, digits, '-' and '.')",
        )
    ),
]


def _quoted_version(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f'{value!r} is a number: quote the version (kubernetesVersion: "1.30"), YAML reads '
            "an unquoted 1.30 as 1.3"
        )
    return value


KUBERNETES_MINOR_VERSION = re.compile(r"1\.\d{1,2}")
KubernetesVersion = Annotated[
    str,
    BeforeValidator(_quoted_version),
    AfterValidator(
        _matching(KUBERNETES_MINOR_VERSION.pattern, 'a Kubernetes minor version such as "1.30"')
    ),
]


def _number_as_quantity(value: object) -> object:
    # YAML reads `cpu: 1` or `memory: 1073741824` as numbers; Kubernetes quantities are strings.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _quantity(parse: Callable[[str], Fraction], examples: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a quantity such as {examples}") from None
        return value

    return check


CpuQuantity = Annotated[
    str,
    BeforeValidator(_number_as_quantity),
    AfterValidator(_quantity(cpu_millicores, "250m or 1")),
]
MemoryQuantity = Annotated[
    str,
    BeforeValidator(_number_as_quantity),
    AfterValidator(_quantity(memory_bytes, "512Mi or 1Gi")),
]
HostPort = Annotated[int, Field(ge=1, le=65535)]

NotificationHandle = Annotated[
    str,
    AfterValidator(
        _matching(
            HANDLE.pattern,
            "a notification handle (@slack-<channel>, @pagerduty-<service>, @opsgenie-<service>, "
            "@team-<handle>, @webhook-<name> or @<email address>)",
        )
    ),
]
SpanOperation = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+",
            "a ddtrace span operation such as fastapi.request, flask.request or django.request",
        )
    ),
]
WebUrl = Annotated[str, AfterValidator(_matching(r"https?://[^\s/]+\S*", "an http(s) URL"))]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Title = Annotated[str, AfterValidator(_not_blank)]

# Environments that are production whatever their protectResources says.
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})

# Credentials in plain `env` would sit readable in the task definition.
_CREDENTIAL_LIKE = re.compile(r"(API|APP)_?KEY|PASSWORD|SECRET|TOKEN|PRIVATE_KEY", re.IGNORECASE)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        use_attribute_docstrings=True,
    )


class EnvironmentSettings(Model):
    """`observability:environment`: who and what this stack is."""

    name: EnvName
    """The Datadog `env` tag (DD_ENV) of everything in the stack."""
    team: str = Field(min_length=1)
    """Team that owns the stack's resources, for the `team` tag."""
    protect_resources: bool = False
    """Protect stateful resources (the key secret, KMS key) from deletion with the stack; such a
    stack is production-like: its monitors must page someone."""
    tags: dict[str, str] = {}
    """Extra tags on every AWS resource."""

    @property
    def production_like(self) -> bool:
        """Protected, or named production or prod: a stack whose alerts must reach someone."""
        return self.protect_resources or self.name in PRODUCTION_ENVIRONMENTS


class ApiKeySecretSettings(Model):
    """Where the Datadog API key is kept in Secrets Manager."""

    name: str | None = None
    """Name of the secret to create; defaults to `datadog/<env>/api-key`."""
    existing_arn: SecretArn | None = None
    """Use this existing JSON secret (key `DD_API_KEY`) instead of creating one."""
    existing_kms_key_arn: KmsKeyArn | None = None
    """Customer-managed key of the existing secret, if any."""
    customer_managed_key: bool = False
    """Encrypt a created secret with its own KMS key."""
    recovery_window_days: int = Field(30, ge=7, le=30)
    """Days a deleted secret can be restored."""

    @field_validator("existing_kms_key_arn")
    @classmethod
    def _kms_key_needs_existing_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("existing_arn") is None:
            raise ValueError("only applies together with existingArn")
        return value

    @field_validator("customer_managed_key")
    @classmethod
    def _cmk_needs_created_secret(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("existing_arn") is not None:
            raise ValueError("applies to a created secret, not to existingArn")
        return value


def _builder_default(builder: Any, field: str) -> Any:
    """The default a builder dataclass gives `field`, so that the model documents the real one."""
    return next(f.default for f in dataclasses.fields(builder) if f.name == field)


class SeverityPolicySettings(Model):
    """Priority and reminders of the monitors of one severity."""

    priority: int | None = Field(ge=1, le=5)
    """Datadog priority, 1 (highest) to 5; null for none."""
    renotify_minutes: int | None = Field(None, gt=0)
    """Minutes between reminders while a monitor stays in alert; omitted, it notifies once."""

    @classmethod
    def of(cls, policy: SeverityPolicy) -> "SeverityPolicySettings":
        """Settings equal to a builder default, so the model documents the real default."""
        return cls.model_validate(
            {"priority": policy.priority, "renotifyMinutes": policy.renotify_minutes}
        )


_NOTIFICATIONS = Notifications()


class NotificationSettings(Model):
    """Who hears about monitors, and how loudly. Datadog notifies exactly the handles in a
    message: with none, monitors change state in Datadog without notifying anyone."""

    alert: list[NotificationHandle] = []
    """Paged when a high-severity monitor alerts, and when it recovers."""
    warning: list[NotificationHandle] = []
    """Told about warnings and low-severity alerts, and about their recoveries."""
    no_data: list[NotificationHandle] = []
    """Told when a monitor that watches for missing data stops receiving any."""
    high: SeverityPolicySettings = SeverityPolicySettings.of(_NOTIFICATIONS.high)
    """Priority and reminders of high-severity monitors (by default latency and error rate)."""
    low: SeverityPolicySettings = SeverityPolicySettings.of(_NOTIFICATIONS.low)
    """Priority and reminders of low-severity monitors (by default throughput and error logs)."""


_MONITOR_SETTINGS = ServiceMonitorSettings()


class MonitorDefaultSettings(Model):
    """How the monitors of every service of the stack watch for missing data."""

    no_data_minutes: int = Field(_MONITOR_SETTINGS.no_data_minutes, gt=0)
    """Minutes without traces before a service's latency monitor reports missing data."""
    no_data_environments: list[EnvName] = list(_MONITOR_SETTINGS.no_data_environments)
    """Environments where missing traces notify; elsewhere a quiet service is normal."""


class DatadogSettings(Model):
    """`observability:datadog`: the Datadog organisation the stack reports to."""

    site: DatadogSite = "datadoghq.com"
    """Datadog site; every intake and API endpoint is derived from it."""
    api_key_secret: ApiKeySecretSettings = ApiKeySecretSettings()
    """The API key secret."""
    notifications: NotificationSettings = NotificationSettings()
    """Who hears about the monitors of every service: production pages, dev usually notifies no
    one. A production-like stack (environment.protectResources, or env production or prod)
    must have alert handles for every service with monitors."""
    monitor_defaults: MonitorDefaultSettings = MonitorDefaultSettings()
    """Monitor behaviour shared by every service."""


class SidecarSize(Model):
    """CPU units and hard memory limit (MiB) of a sidecar container."""

    cpu: int = Field(gt=0)
    memory: int = Field(gt=0)


class EcsSettings(Model):
    """`observability:ecs`: where services run and the shared sidecar settings."""

    cluster_arn: ClusterArn | None = None
    """ECS cluster; without it only task definitions are registered (no services)."""
    subnet_ids: list[SubnetId] = []
    """Subnets of the tasks; required with clusterArn."""
    security_group_ids: list[SecurityGroupId] = []
    """Security groups of the tasks."""
    assign_public_ip: bool = False
    """Public IPs on tasks (public subnets without a NAT only)."""
    agent_image: PinnedImage = DEFAULT_AGENT_IMAGE
    """Datadog Agent sidecar image, pinned."""
    agent: SidecarSize = SidecarSize(cpu=64, memory=256)
    """Agent sidecar size, taken out of each task's size."""
    log_router_image: PinnedImage = DEFAULT_LOG_ROUTER_IMAGE
    """FireLens log router image, pinned."""
    log_router: SidecarSize = SidecarSize(cpu=32, memory=128)
    """Log router size, taken out of each task's size."""

    @field_validator("subnet_ids")
    @classmethod
    def _subnets_with_cluster(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("cluster_arn") is not None and not value:
            raise ValueError("required when clusterArn is set (the tasks' network interfaces)")
        return value


class SecretSettings(Model):
    """An environment variable read from Secrets Manager at container start."""

    arn: SecretArn
    """Full ARN of the secret."""
    json_key: str | None = None
    """Key inside a JSON secret; omit to inject the whole secret string."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer-managed key of the secret, if any."""


class LlmObservabilitySettings(Model):
    """LLM Observability for LangChain/OpenAI apps."""

    ml_app: str | None = None
    """ML application name; defaults to the service name."""
    agentless: bool | None = None
    """Send LLM Observability data straight to Datadog; follows the agent mode when omitted."""


class LogSettings(Model):
    """Where a service's logs go."""

    destination: Literal["datadog", "cloudwatch"] = "datadog"
    """`datadog` through a FireLens router, or `cloudwatch` (not both: that doubles the cost)."""
    retention_days: LogRetentionDays = 14
    """CloudWatch retention of the logs (with datadog: of the router's own logs)."""
    source: str = "python"
    """Datadog `source`, which picks the log pipeline."""


_LATENCY = LatencySettings()


class LatencyMonitorSettings(Model):
    """A latency percentile of the ddtrace root span, in seconds."""

    critical_seconds: float = Field(_LATENCY.critical_seconds, gt=0)
    """Alert when the percentile is above this many seconds."""
    warning_seconds: float | None = Field(_LATENCY.warning_seconds, gt=0)
    """Warn above this many seconds, below criticalSeconds; null for no warning."""
    percentile: PercentileAggregation = _LATENCY.percentile
    """p50, p75, p90, p95 or p99."""
    window: str = _LATENCY.window
    """Evaluation window, `last_<N>m`."""
    group_by: list[str] = list(_LATENCY.group_by)
    """E.g. [resource_name] for one alert per endpoint; empty watches the whole service."""
    severity: Severity = _LATENCY.severity
    """high reaches the alert handles; low, the warning handles."""


_ERROR_RATE = ErrorRateSettings()
ErrorFraction = Annotated[float, Field(gt=0, le=1)]


class ErrorRateMonitorSettings(Model):
    """Failed requests over all requests (`trace.<operation>.errors / .hits`)."""

    critical: ErrorFraction = _ERROR_RATE.critical
    """Alert above this fraction of requests (0.05 is 5 %)."""
    warning: ErrorFraction | None = _ERROR_RATE.warning
    """Warn above this fraction, below critical; null for no warning."""
    window: str = _ERROR_RATE.window
    """Evaluation window, `last_<N>m`."""
    group_by: list[str] = list(_ERROR_RATE.group_by)
    """E.g. [resource_name] for one alert per endpoint; empty watches the whole service."""
    severity: Severity = _ERROR_RATE.severity
    """high reaches the alert handles; low, the warning handles."""


_THROUGHPUT = ThroughputSettings()


class ThroughputMonitorSettings(Model):
    """An anomaly monitor on requests (`trace.<operation>.hits`)."""

    algorithm: AnomalyAlgorithm = _THROUGHPUT.algorithm
    """basic, agile (follows the seasonal pattern, adapts to level shifts) or robust."""
    direction: AnomalyDirection = _THROUGHPUT.direction
    """below (a drop in traffic), above or both."""
    seasonality: Seasonality = _THROUGHPUT.seasonality
    """hourly, daily or weekly (the model wants three periods of history)."""
    bounds: float = Field(_THROUGHPUT.bounds, gt=0)
    """Width of the expected band in deviations."""
    alert_window: str = _THROUGHPUT.alert_window
    """How long traffic must stay outside the band before alerting, `last_<N>m`."""
    interval: int = Field(_THROUGHPUT.interval, gt=0)
    """Seconds per evaluated point."""
    query_window: str = _THROUGHPUT.query_window
    """Window evaluated at each run, at least five alert windows."""
    timezone: str | None = _THROUGHPUT.timezone
    """Timezone of the seasonal pattern; UTC when omitted."""
    severity: Severity = _THROUGHPUT.severity
    """high reaches the alert handles; low, the warning handles."""


_ERROR_LOGS = ErrorLogSettings()


class ErrorLogMonitorSettings(Model):
    """A spike of `status:error` logs of the service in the stack's environment."""

    critical: float = Field(_ERROR_LOGS.critical, ge=0)
    """Alert on more than this many error logs in the window."""
    warning: float | None = Field(_ERROR_LOGS.warning, ge=0)
    """Warn on more than this many, below critical; null for no warning."""
    window: str = _ERROR_LOGS.window
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""
    group_by: list[str] = list(_ERROR_LOGS.group_by)
    """Log facets to split by, e.g. ["@error.kind"]."""
    severity: Severity = _ERROR_LOGS.severity
    """high reaches the alert handles; low, the warning handles."""


class CustomMonitorBase(Model):
    """What every custom monitor has besides its query."""

    kind: str
    """metric, anomaly, log or formula: which keys follow."""
    name: Title
    """Title; the monitor is named `[<env>] <service>: <name>`."""
    message: str = ""
    """What the alert means, in a sentence; the state blocks, handles and runbook are added."""
    severity: Severity = _builder_default(CustomMonitor, "severity")
    """high reaches the alert handles; low, the warning handles."""
    tags: list[str] = []
    """Tags besides service, env, team and managed-by."""
    priority: int | None = Field(None, ge=1, le=5)
    """Overrides the severity's priority."""
    renotify_minutes: int | None = Field(None, gt=0)
    """Overrides the severity's reminders."""
    no_data_minutes: int | None = Field(None, gt=0)
    """Tell the noData handles after this many minutes without data; omitted, missing data does
    not notify."""
    notify_by: list[str] = []
    """Group-by keys that split notifications (some of groupBy), or ["*"]."""


class ThresholdFields(Model):
    """Thresholds of a custom monitor compared with `comparator`."""

    comparator: Comparator = _builder_default(MetricThresholdSpec, "comparator")
    """How the value is compared with the thresholds: >, >=, <, <=."""
    critical: float
    """Alert threshold, written into the query."""
    warning: float | None = None
    """Warning threshold, on the recovering side of critical."""
    critical_recovery: float | None = None
    """Value the monitor must cross back over before an alert resolves."""
    warning_recovery: float | None = None
    """Value the monitor must cross back over before a warning resolves."""


class MetricQueryFields(Model):
    """The metric a metric or anomaly monitor watches."""

    metric: str = Field(min_length=1)
    """Metric name, e.g. app.queue.depth."""
    aggregation: Aggregation | PercentileAggregation = _builder_default(
        MetricQuery, "space_aggregation"
    )
    """Across sources: avg, sum, min, max, or pXX for a distribution."""
    filters: list[str] = []
    """Tag filters, e.g. [env:production, queue:orders]; none means every source."""
    group_by: list[str] = []
    """Tags giving one alert per group, e.g. [queue]."""
    as_count: bool = _builder_default(MetricQuery, "as_count")
    """Sum counts over the window instead of averaging per-second rates."""


class MetricMonitorSettings(ThresholdFields, MetricQueryFields, CustomMonitorBase):
    """A metric compared with thresholds over a window."""

    kind: Literal["metric"]
    time_aggregation: Aggregation = _builder_default(MetricThresholdSpec, "time_aggregation")
    """Over the window: avg, sum, min or max."""
    window: str = _builder_default(MetricThresholdSpec, "window")
    """Evaluation window, `last_<N>m`."""
    require_full_window: bool | None = None
    """Wait for a full window of points; false suits sparse metrics."""
    evaluation_delay_seconds: int | None = Field(None, gt=0)
    """Seconds to wait for late points, e.g. 900 for CloudWatch metrics."""


_ANOMALY_THRESHOLDS = _builder_default(AnomalySpec, "thresholds")


class AnomalyMonitorSettings(MetricQueryFields, CustomMonitorBase):
    """A metric outside the band an anomaly model expects."""

    kind: Literal["anomaly"]
    algorithm: AnomalyAlgorithm = _builder_default(AnomalySpec, "algorithm")
    """basic (no seasonality), agile or robust."""
    bounds: float = Field(_builder_default(AnomalySpec, "bounds"), gt=0)
    """Width of the expected band in deviations."""
    direction: AnomalyDirection = _builder_default(AnomalySpec, "direction")
    """above, below or both."""
    alert_window: str = _builder_default(AnomalySpec, "alert_window")
    """How long the metric must be anomalous before alerting, `last_<N>m`."""
    interval: int = Field(_builder_default(AnomalySpec, "interval"), gt=0)
    """Seconds between evaluated points."""
    seasonality: Seasonality | None = _builder_default(AnomalySpec, "seasonality")
    """hourly, daily or weekly; agile and robust only."""
    timezone: str | None = _builder_default(AnomalySpec, "timezone")
    """Timezone of the seasonal pattern; UTC when omitted."""
    count_default_zero: bool = _builder_default(AnomalySpec, "count_default_zero")
    """Treat missing points of count metrics as zero."""
    query_window: str = _builder_default(AnomalySpec, "query_window")
    """History evaluated each time; at least five alert windows."""
    time_aggregation: Aggregation = _builder_default(AnomalySpec, "time_aggregation")
    """Over the window: avg, sum, min or max."""
    critical: float = Field(_ANOMALY_THRESHOLDS.critical, gt=0, le=1)
    """Share of the alert window that must be anomalous, in (0, 1]."""
    critical_recovery: float | None = Field(_ANOMALY_THRESHOLDS.critical_recovery, ge=0, le=1)
    """Share below which the alert resolves."""
    recovery_window: str | None = _builder_default(AnomalySpec, "recovery_window")
    """How long the metric must look normal before the alert resolves; the alert window when
    omitted."""


class LogMonitorSettings(ThresholdFields, CustomMonitorBase):
    """Logs matching a search, counted or aggregated over a window."""

    kind: Literal["log"]
    search: str = Field(min_length=1)
    """Log search as typed in the Log Explorer, e.g. `service:checkout-api @event:x`."""
    index: str = _builder_default(LogMonitorSpec, "index")
    """Log index, `*` for all."""
    aggregation: LogAggregation = _builder_default(LogMonitorSpec, "aggregation")
    """count, cardinality, or avg/sum/min/max/median/pcXX of `measure`."""
    measure: str | None = None
    """Facet to aggregate, e.g. @duration; required for every aggregation but count."""
    group_by: list[str] = []
    """Facets giving one alert per group."""
    window: str = _builder_default(LogMonitorSpec, "window")
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""


class LogVariableSettings(Model):
    """One named log query of a formula."""

    search: str = Field(min_length=1)
    """Log search, e.g. `service:checkout-api @payment.status:failed`."""
    aggregation: LogAggregation = _builder_default(LogQueryVariable, "aggregation")
    """count, cardinality, or avg/sum/min/max/median/pcXX of `measure`."""
    measure: str | None = None
    """Facet to aggregate, e.g. @duration; required for every aggregation but count."""
    indexes: list[str] = list(_builder_default(LogQueryVariable, "indexes"))
    """Log indexes searched."""
    group_by: list[str] = []
    """Facets to split by."""
    group_limit: int = Field(_builder_default(LogQueryVariable, "group_limit"), gt=0)
    """Most groups kept per facet."""


class FormulaMonitorSettings(ThresholdFields, CustomMonitorBase):
    """Arithmetic over named log queries, e.g. a share of failed payments."""

    kind: Literal["formula"]
    formula: str = Field(min_length=1)
    """Expression over the variable names, e.g. `failed / total * 100`."""
    variables: dict[str, LogVariableSettings] = Field(min_length=1)
    """The log queries the formula names, by name."""
    window: str = _builder_default(LogFormulaSpec, "window")
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""


CustomMonitorSettings = Annotated[
    MetricMonitorSettings | AnomalyMonitorSettings | LogMonitorSettings | FormulaMonitorSettings,
    Field(discriminator="kind"),
]


class MonitorsSettings(Model):
    """A service's monitors: the defaults, each configurable or turned off with null, and the
    team's own."""

    latency: LatencyMonitorSettings | None = LatencyMonitorSettings()
    """Slow requests (pages by default)."""
    error_rate: ErrorRateMonitorSettings | None = ErrorRateMonitorSettings()
    """Failing requests (pages by default)."""
    throughput: ThroughputMonitorSettings | None = ThroughputMonitorSettings()
    """Traffic outside its usual pattern; off where traffic has none (dev)."""
    error_logs: ErrorLogMonitorSettings | None = ErrorLogMonitorSettings()
    """A burst of error logs; off for services whose logs do not reach Datadog."""
    custom: dict[str, CustomMonitorSettings] = {}
    """The team's monitors by role; the role names the monitor's resource, so keep it stable:
    lowercase words joined by '-', e.g. connection-failures. `kind` is metric, anomaly, log or
    formula."""

    @property
    def any_enabled(self) -> bool:
        """Whether the service has any monitor."""
        defaults = (self.latency, self.error_rate, self.throughput, self.error_logs)
        return bool(self.custom) or any(monitor is not None for monitor in defaults)

    @field_validator("custom")
    @classmethod
    def _stable_roles(
        cls, value: dict[str, CustomMonitorSettings]
    ) -> dict[str, CustomMonitorSettings]:
        for role in value:
            check_role(role)
        return value


class ServiceSettings(Model):
    """One Python service on Fargate (an item of `observability:services`)."""

    name: ServiceName
    """DD_SERVICE and the ECS service name."""
    previous_names: list[ServiceName] = []
    """Names this service had before, so that renaming it keeps its resources (aliases) rather
    than deleting and recreating them: monitors keep their history and downtimes."""
    image: PinnedImage
    """Container image with a pinned tag or digest."""
    version: Version
    """DD_VERSION: the version the image carries."""
    wrap_with_ddtrace: bool = True
    """Start the command under ddtrace-run."""
    command: list[str] = Field(min_length=1)
    """Start command of the app, e.g. [uvicorn, app.main:app, --port, "8000"]."""
    port: int | None = Field(None, ge=1, le=65535)
    """Port the app listens on."""
    cpu: int
    """Task CPU units (256, 512, 1024, ...)."""
    memory: int
    """Task memory in MiB, valid for `cpu` on Fargate."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """Architecture the image is built for."""
    env: dict[EnvVarName, str] = {}
    """Plain environment variables (no credentials: use `secrets`)."""
    secrets: dict[EnvVarName, SecretSettings] = {}
    """Environment variables read from Secrets Manager."""
    agent: Literal["sidecar", "agentless"] = "sidecar"
    """Datadog Agent sidecar in the task, or agentless (LLM Observability straight to Datadog)."""
    agent_transport: Literal["unix-socket", "loopback"] = "unix-socket"
    """How the app reaches the sidecar agent."""
    logs: LogSettings = LogSettings()
    """Log shipping."""
    trace_enabled: bool = True
    """DD_TRACE_ENABLED."""
    trace_sample_rate: float = Field(1.0, ge=0, le=1)
    """Share of traces the tracer keeps, 0..1."""
    profiling: bool = False
    """Continuous profiler."""
    llm_observability: LlmObservabilitySettings | None = Field(None, validate_default=True)
    """LLM Observability; omit to leave it off."""
    desired_count: int = Field(1, ge=0)
    """Number of tasks of the ECS service."""
    enable_execute_command: bool = False
    """ECS Exec into the tasks."""
    team: str | None = None
    """Owning team, if not the stack's."""
    execution_role_arn: RoleArn | None = None
    """Bring-your-own execution role (it must already read the secrets)."""
    task_role_arn: RoleArn | None = None
    """Bring-your-own task role."""
    operation: SpanOperation = _builder_default(ServiceMonitorsSpec, "operation")
    """ddtrace root span operation (fastapi.request, flask.request, django.request, ...): it names
    the `trace.<operation>.*` metrics the monitors and the dashboard read."""
    runbook_url: WebUrl | None = None
    """Runbook linked from every monitor message."""
    dashboard: bool = True
    """A Datadog dashboard of the service's requests, latency, errors and monitors."""
    monitors: MonitorsSettings = MonitorsSettings()
    """The service's Datadog monitors."""
    notifications: NotificationSettings | None = None
    """Who hears about this service's monitors; the keys given replace those of
    observability:datadog.notifications."""

    @field_validator("command")
    @classmethod
    def _wrapped_once(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("wrap_with_ddtrace", True) and value and value[0] == "ddtrace-run":
            raise ValueError(
                "starts with ddtrace-run while wrapWithDdtrace is true; drop it from the command "
                "or set wrapWithDdtrace: false (wrapping twice patches every library twice)"
            )
        return value

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY_BY_CPU:
            allowed = ", ".join(str(c) for c in FARGATE_MEMORY_BY_CPU)
            raise ValueError(f"{value} is not a Fargate cpu value (allowed: {allowed})")
        return value

    @field_validator("memory")
    @classmethod
    def _fargate_memory(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        problem = fargate_size_problem(cpu, value) if cpu is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("env")
    @classmethod
    def _no_managed_or_secret_env(cls, value: dict[str, str]) -> dict[str, str]:
        managed = sorted(set(value) & RESERVED_ENV)
        if managed:
            raise ValueError(f"{', '.join(managed)} set by the project; remove from env")
        credentials = sorted(name for name in value if _CREDENTIAL_LIKE.search(name))
        if credentials:
            raise ValueError(
                f"{', '.join(credentials)} look like credentials; put them under secrets "
                "(plain env values are readable in the task definition)"
            )
        return value

    @field_validator("llm_observability")
    @classmethod
    def _llm_observability_matches_agent(
        cls, value: LlmObservabilitySettings | None, info: ValidationInfo
    ) -> LlmObservabilitySettings | None:
        agent = info.data.get("agent")
        if agent == "agentless" and value is None:
            raise ValueError(
                "required with agent: agentless (without an agent only LLM Observability data "
                "has somewhere to go); enable it or use agent: sidecar"
            )
        if value is not None and value.agentless is True and agent == "sidecar":
            raise ValueError(
                "agentless LLM Observability cannot run with an agent sidecar: set agent: "
                "agentless or drop agentless: true (the sidecar then forwards LLM data)"
            )
        if value is not None and value.agentless is False and agent == "agentless":
            raise ValueError("agentless: false needs an agent; set agent: sidecar")
        return value


class QuantitySettings(Model):
    """CPU and memory, as Kubernetes quantities."""

    cpu: CpuQuantity
    """CPU, e.g. 250m (a quarter core) or 1."""
    memory: MemoryQuantity
    """Memory, e.g. 512Mi or 1Gi."""


class ResourceSettings(Model):
    """Requests and limits of a container."""

    requests: QuantitySettings
    """What the scheduler reserves on the node."""
    limits: QuantitySettings
    """Ceilings: CPU is throttled above its limit, the container is killed above its memory."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Self:
        # The builder's own rule; raises when a request exceeds its limit.
        ContainerResources(
            self.requests.cpu, self.requests.memory, self.limits.cpu, self.limits.memory
        )
        return self

    @classmethod
    def of(cls, resources: ContainerResources) -> "ResourceSettings":
        """Settings equal to a builder default, so the model documents the real default."""
        return cls.model_validate(
            {
                "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
                "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
            }
        )


class TolerationSettings(Model):
    """A taint the node collector tolerates, as in a pod spec."""

    key: str | None = None
    """Taint key; omitted with operator Exists, every taint is tolerated."""
    operator: Literal["Exists", "Equal"] = "Exists"
    """Exists matches any value; Equal needs `value`."""
    value: str | None = None
    """Taint value, with operator Equal."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect; omitted, every effect."""

    @model_validator(mode="after")
    def _valid_toleration(self) -> Self:
        Toleration(key=self.key, operator=self.operator, value=self.value, effect=self.effect)
        return self


_BATCH = BatchSettings()


class CollectorBatchSettings(Model):
    """Batching before the Datadog exporter. Batches that are too large get HTTP 413 from the
    intake; the defaults are Datadog's own example."""

    send_batch_size: int = Field(_BATCH.send_batch_size, gt=0)
    """Items that trigger a send."""
    send_batch_max_size: int = Field(_BATCH.send_batch_max_size, gt=0)
    """Upper bound of one batch."""
    timeout_seconds: int = Field(_BATCH.timeout_seconds, gt=0)
    """Longest wait before a partial batch is sent."""

    @model_validator(mode="after")
    def _size_within_max(self) -> Self:
        if self.send_batch_size > self.send_batch_max_size:
            raise ValueError(
                f"sendBatchSize {self.send_batch_size} is larger than sendBatchMaxSize "
                f"{self.send_batch_max_size}"
            )
        return self


def _collector_memory(value: ResourceSettings) -> ResourceSettings:
    # GOMEMLIMIT is derived from the memory limit and must leave the collector something.
    go_memory_limit(value.limits.memory)
    return value


CollectorResources = Annotated[ResourceSettings, AfterValidator(_collector_memory)]


class EksCollectorSettings(Model):
    """The OpenTelemetry Collectors: a DaemonSet on every EC2 node (OTLP, logs, kubelet and
    Prometheus metrics) and one Deployment for the cluster-wide metrics and events."""

    enabled: bool = True
    """Deploy the collectors."""
    container_logs: bool = True
    """Tail every pod's log files on each node. Off when the Agent collects logs."""
    prometheus_scrape: bool = True
    """Scrape pods annotated `prometheus.io/scrape: "true"` on the collector's node."""
    kubelet_stats: bool = True
    """Pod and container resource metrics from each node's kubelet."""
    kubernetes_events: bool = True
    """Ship Kubernetes events as logs (from the cluster collector, once per cluster)."""
    batch: CollectorBatchSettings = CollectorBatchSettings()
    """Batching before export."""
    resources: CollectorResources = ResourceSettings.of(ContainerResources())
    """Resources of each node collector pod; GOMEMLIMIT is 80 % of the memory limit."""
    cluster_collector_resources: CollectorResources = ResourceSettings.of(ContainerResources())
    """Resources of the cluster collector pod."""
    tolerations: list[TolerationSettings] = []
    """Taints the node collector tolerates, e.g. [{operator: Exists}] to run on every node."""


_AGENT_FEATURES = AgentFeatures()


class AgentOtlpSettings(Model):
    """The Agent's own OTLP receiver (applications normally send OTLP to the collector)."""

    grpc: bool = _AGENT_FEATURES.otlp.grpc
    """Accept OTLP/gRPC."""
    http: bool = _AGENT_FEATURES.otlp.http
    """Accept OTLP/HTTP."""
    grpc_host_port: HostPort | None = None
    """Open this host port for OTLP/gRPC; omitted, no host port."""
    http_host_port: HostPort | None = None
    """Open this host port for OTLP/HTTP; omitted, no host port."""

    @field_validator("grpc_host_port", "http_host_port")
    @classmethod
    def _port_of_an_open_receiver(cls, value: int | None, info: ValidationInfo) -> int | None:
        protocol = "grpc" if info.field_name == "grpc_host_port" else "http"
        if value is not None and not info.data.get(protocol):
            raise ValueError(f"needs {protocol}: true (a host port of a closed receiver)")
        if value is not None and protocol == "http" and value == info.data.get("grpc_host_port"):
            raise ValueError(f"{value} is grpcHostPort too; gRPC and HTTP need a port each")
        return value


class AgentLogCollectionSettings(Model):
    """Container log collection by the Agent."""

    enabled: bool = _AGENT_FEATURES.log_collection
    """Tail container logs (drops DEBUG lines and health checks). Only one of the Agent and the
    collector may tail them."""
    container_collect_all: bool = _AGENT_FEATURES.container_collect_all
    """Every container, not only those annotated for log collection."""


class AgentFeatureSettings(Model):
    """Agent features, each switchable."""

    apm: bool = _AGENT_FEATURES.apm
    """Receive ddtrace traces over the Agent's Unix socket."""
    otlp: AgentOtlpSettings = AgentOtlpSettings()
    """The Agent's OTLP receiver."""
    log_collection: AgentLogCollectionSettings = AgentLogCollectionSettings()
    """Container logs."""
    npm: bool = _AGENT_FEATURES.npm
    """Network Performance Monitoring (system-probe, privileged)."""
    cspm: bool = _AGENT_FEATURES.cspm
    """Cloud Security Posture Management."""
    cws: bool = _AGENT_FEATURES.cws
    """Cloud Workload Security (system-probe, privileged)."""


class EksAgentSettings(Model):
    """The Datadog Agent, through the Datadog Operator."""

    enabled: bool = True
    """Deploy the Operator and the Agent."""
    features: AgentFeatureSettings = AgentFeatureSettings()
    """What the Agent collects."""
    cluster_agent_replicas: int = Field(2, ge=1)
    """Cluster Agent replicas; two keep admission control and cluster checks up through a node
    drain, one is enough for a dev cluster."""
    node_agent_resources: ResourceSettings = ResourceSettings.of(DEFAULT_NODE_AGENT_RESOURCES)
    """Resources of the node Agent's main container."""
    cluster_agent_resources: ResourceSettings = ResourceSettings.of(DEFAULT_CLUSTER_AGENT_RESOURCES)
    """Resources of each Cluster Agent."""


class EksSettings(Model):
    """`observability:eks`: telemetry workloads on an existing EKS cluster; omit for none."""

    cluster_name: EksClusterName
    """The cluster: looked up for its endpoint and CA, and its name tags all telemetry."""
    kubeconfig_context: str | None = Field(None, min_length=1)
    """Reach the cluster through this context of the kubeconfig of whoever runs Pulumi, instead
    of the EKS lookup and `aws eks get-token`."""
    kubernetes_version: KubernetesVersion = DEFAULT_KUBERNETES_VERSION
    """The cluster's Kubernetes minor version, quoted; objects are validated against it."""
    namespace: NamespaceName = DEFAULT_NAMESPACE
    """Namespace the stack creates for the collectors, the Operator and the Agent."""
    existing_api_key_secret_name: SecretName | None = None
    """A Secret in the namespace holding the API key under `api-key` (e.g. synced from Secrets
    Manager); omitted, the stack creates `datadog-api-key` from datadog:apiKey."""
    collector: EksCollectorSettings = EksCollectorSettings()
    """The OpenTelemetry Collectors."""
    agent: EksAgentSettings = EksAgentSettings()
    """The Datadog Agent."""
    dashboard: bool = True
    """A Datadog dashboard of the Collectors and the Agent: accepted and refused data, exporter
    queues and failures, memory."""


class StackConfig(Model):
    """All `observability:*` keys of one stack file."""

    environment: EnvironmentSettings
    """`observability:environment`."""
    datadog: DatadogSettings = DatadogSettings()
    """`observability:datadog`."""
    ecs: EcsSettings = EcsSettings()
    """`observability:ecs`."""
    services: list[ServiceSettings] = []
    """`observability:services`."""
    eks: EksSettings | None = None
    """`observability:eks`."""
