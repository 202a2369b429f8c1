"""A service's `monitors`: the default monitors' settings and custom monitors by role."""

from typing import Annotated, Literal

from pydantic import Field, field_validator

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
from components.monitors.messages import Severity
from components.monitors.service_monitors import (
    CustomMonitor,
    ErrorLogSettings,
    ErrorRateSettings,
    LatencySettings,
    ThroughputSettings,
    check_role,
)
from stacks.program.model.datadog import builder_default
from stacks.program.model.types import Model, Title

"""A service's `monitors`: the default monitors' settings and custom monitors by role."""


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
    severity: Severity = builder_default(CustomMonitor, "severity")
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
    external_source: str | None = Field(None, min_length=1)
    """What sends the monitor's data when nothing in this stack does, e.g. `the AWS integration
    (RDS metrics)`. Without it the plan refuses a monitor on data the stack's services do not
    send (an APM metric of an agentless service, logs that go to CloudWatch, a DogStatsD metric
    without an Agent) or on services and environments the stack does not have; with it, neither
    is checked."""


class ThresholdFields(Model):
    """Thresholds of a custom monitor compared with `comparator`."""

    comparator: Comparator = builder_default(MetricThresholdSpec, "comparator")
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
    aggregation: Aggregation | PercentileAggregation = builder_default(
        MetricQuery, "space_aggregation"
    )
    """Across sources: avg, sum, min, max, or pXX for a distribution."""
    filters: list[str] = []
    """Tag filters, e.g. [env:production, queue:orders]; none means every source."""
    group_by: list[str] = []
    """Tags giving one alert per group, e.g. [queue]."""
    as_count: bool = builder_default(MetricQuery, "as_count")
    """Sum counts over the window instead of averaging per-second rates."""


class MetricMonitorSettings(ThresholdFields, MetricQueryFields, CustomMonitorBase):
    """A metric compared with thresholds over a window."""

    kind: Literal["metric"]
    time_aggregation: Aggregation = builder_default(MetricThresholdSpec, "time_aggregation")
    """Over the window: avg, sum, min or max."""
    window: str = builder_default(MetricThresholdSpec, "window")
    """Evaluation window, `last_<N>m`."""
    require_full_window: bool | None = None
    """Wait for a full window of points; false suits sparse metrics."""
    evaluation_delay_seconds: int | None = Field(None, gt=0)
    """Seconds to wait for late points, e.g. 900 for CloudWatch metrics."""


_ANOMALY_THRESHOLDS = builder_default(AnomalySpec, "thresholds")


class AnomalyMonitorSettings(MetricQueryFields, CustomMonitorBase):
    """A metric outside the band an anomaly model expects."""

    kind: Literal["anomaly"]
    algorithm: AnomalyAlgorithm = builder_default(AnomalySpec, "algorithm")
    """basic (no seasonality), agile or robust."""
    bounds: float = Field(builder_default(AnomalySpec, "bounds"), gt=0)
    """Width of the expected band in deviations."""
    direction: AnomalyDirection = builder_default(AnomalySpec, "direction")
    """above, below or both."""
    alert_window: str = builder_default(AnomalySpec, "alert_window")
    """How long the metric must be anomalous before alerting, `last_<N>m`."""
    interval: int = Field(builder_default(AnomalySpec, "interval"), gt=0)
    """Seconds between evaluated points."""
    seasonality: Seasonality | None = builder_default(AnomalySpec, "seasonality")
    """hourly, daily or weekly; agile and robust only."""
    timezone: str | None = builder_default(AnomalySpec, "timezone")
    """Timezone of the seasonal pattern; UTC when omitted."""
    count_default_zero: bool = builder_default(AnomalySpec, "count_default_zero")
    """Treat missing points of count metrics as zero."""
    query_window: str = builder_default(AnomalySpec, "query_window")
    """History evaluated each time; at least five alert windows."""
    time_aggregation: Aggregation = builder_default(AnomalySpec, "time_aggregation")
    """Over the window: avg, sum, min or max."""
    critical: float = Field(_ANOMALY_THRESHOLDS.critical, gt=0, le=1)
    """Share of the alert window that must be anomalous, in (0, 1]."""
    critical_recovery: float | None = Field(_ANOMALY_THRESHOLDS.critical_recovery, ge=0, le=1)
    """Share below which the alert resolves."""
    recovery_window: str | None = builder_default(AnomalySpec, "recovery_window")
    """How long the metric must look normal before the alert resolves; the alert window when
    omitted."""


class LogMonitorSettings(ThresholdFields, CustomMonitorBase):
    """Logs matching a search, counted or aggregated over a window."""

    kind: Literal["log"]
    search: str = Field(min_length=1)
    """Log search as typed in the Log Explorer, e.g. `service:checkout-api @event:x`."""
    index: str = builder_default(LogMonitorSpec, "index")
    """Log index, `*` for all."""
    aggregation: LogAggregation = builder_default(LogMonitorSpec, "aggregation")
    """count, cardinality, or avg/sum/min/max/median/pcXX of `measure`."""
    measure: str | None = None
    """Facet to aggregate, e.g. @duration; required for every aggregation but count."""
    group_by: list[str] = []
    """Facets giving one alert per group."""
    window: str = builder_default(LogMonitorSpec, "window")
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""


class LogVariableSettings(Model):
    """One named log query of a formula."""

    search: str = Field(min_length=1)
    """Log search, e.g. `service:checkout-api @payment.status:failed`."""
    aggregation: LogAggregation = builder_default(LogQueryVariable, "aggregation")
    """count, cardinality, or avg/sum/min/max/median/pcXX of `measure`."""
    measure: str | None = None
    """Facet to aggregate, e.g. @duration; required for every aggregation but count."""
    indexes: list[str] = list(builder_default(LogQueryVariable, "indexes"))
    """Log indexes searched."""
    group_by: list[str] = []
    """Facets to split by."""
    group_limit: int = Field(builder_default(LogQueryVariable, "group_limit"), gt=0)
    """Most groups kept per facet."""


class FormulaMonitorSettings(ThresholdFields, CustomMonitorBase):
    """Arithmetic over named log queries, e.g. a share of failed payments."""

    kind: Literal["formula"]
    formula: str = Field(min_length=1)
    """Expression over the variable names, e.g. `failed / total * 100`."""
    variables: dict[str, LogVariableSettings] = Field(min_length=1)
    """The log queries the formula names, by name."""
    window: str = builder_default(LogFormulaSpec, "window")
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

    @field_validator("custom")
    @classmethod
    def _stable_roles(
        cls, value: dict[str, CustomMonitorSettings]
    ) -> dict[str, CustomMonitorSettings]:
        for role in value:
            check_role(role)
        return value
