"""A service's `monitors`: the default monitors' settings and custom monitors by role."""

from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import Field, field_validator

from components.monitors.messages import Severity
from components.monitors.query import QueryError, formula_variables, parse_window
from components.monitors.query.composite import composite_roles
from components.monitors.query.vocabulary import (
    Aggregation,
    AnomalyAlgorithm,
    AnomalyDirection,
    Comparator,
    LogAggregation,
    PercentileAggregation,
    Seasonality,
)
from components.monitors.service_monitors import check_role
from components.monitors.validation import notify_by_problems, threshold_order_problems
from stacks.program.model.types import Model, Timezone, Title


def threshold_problems(model: Model, comparator: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Warnings and recoveries of `model` on the wrong side of what they refer to; `fields`
    names the model's field holding each threshold (`critical`, `warning`, ...)."""
    values = {threshold: getattr(model, field) for threshold, field in fields.items()}
    return {
        fields[problem.path]: problem.reason
        for problem in threshold_order_problems(comparator, values)
    }


_CRITICAL_AND_WARNING = {"critical": "critical", "warning": "warning"}


class LatencyMonitorSettings(Model):
    """A latency percentile of the ddtrace root span, in seconds."""

    critical_seconds: float = Field(0.5, gt=0)
    """Alert when the percentile is above this many seconds."""
    warning_seconds: float | None = Field(0.4, gt=0)
    """Warn above this many seconds, below criticalSeconds; null for no warning."""
    percentile: PercentileAggregation = "p95"
    """p50, p75, p90, p95 or p99."""
    window: str = "last_5m"
    """Evaluation window, `last_<N>m`."""
    group_by: list[str] = []
    """E.g. [resource_name] for one alert per endpoint; empty watches the whole service."""
    severity: Severity = "high"
    """high reaches the alert handles; low, the warning handles."""

    def field_problems(self) -> dict[str, str]:
        # The latency monitor alerts above its thresholds.
        fields = {"critical": "critical_seconds", "warning": "warning_seconds"}
        return threshold_problems(self, ">", fields)


ErrorFraction = Annotated[float, Field(gt=0, le=1)]


class ErrorRateMonitorSettings(Model):
    """Failed requests over all requests (`trace.<operation>.errors / .hits`)."""

    critical: ErrorFraction = 0.05
    """Alert above this fraction of requests (0.05 is 5 %)."""
    warning: ErrorFraction | None = 0.03
    """Warn above this fraction, below critical; null for no warning."""
    window: str = "last_5m"
    """Evaluation window, `last_<N>m`."""
    group_by: list[str] = []
    """E.g. [resource_name] for one alert per endpoint; empty watches the whole service."""
    severity: Severity = "high"
    """high reaches the alert handles; low, the warning handles."""

    def field_problems(self) -> dict[str, str]:
        return threshold_problems(self, ">", _CRITICAL_AND_WARNING)


class ThroughputMonitorSettings(Model):
    """An anomaly monitor on requests (`trace.<operation>.hits`)."""

    algorithm: AnomalyAlgorithm = "agile"
    """basic, agile (follows the seasonal pattern, adapts to level shifts) or robust."""
    direction: AnomalyDirection = "below"
    """below (a drop in traffic), above or both."""
    seasonality: Seasonality = "weekly"
    """hourly, daily or weekly (the model wants three periods of history)."""
    bounds: float = Field(2.0, gt=0)
    """Width of the expected band in deviations."""
    alert_window: str = "last_30m"
    """How long traffic must stay outside the band before alerting, `last_<N>m`."""
    interval: int = Field(300, gt=0)
    """Seconds per evaluated point."""
    query_window: str = "last_1d"
    """Window evaluated at each run, at least five alert windows."""
    timezone: Timezone | None = None
    """Timezone of the seasonal pattern; UTC when omitted."""
    severity: Severity = "low"
    """high reaches the alert handles; low, the warning handles."""


class ErrorLogMonitorSettings(Model):
    """A spike of `status:error` logs of the service in the stack's environment."""

    critical: float = Field(10, ge=0)
    """Alert on more than this many error logs in the window."""
    warning: float | None = Field(5, ge=0)
    """Warn on more than this many, below critical; null for no warning."""
    window: str = "5m"
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""
    group_by: list[str] = []
    """Log facets to split by, e.g. ["@error.kind"]."""
    severity: Severity = "low"
    """high reaches the alert handles; low, the warning handles."""

    def field_problems(self) -> dict[str, str]:
        return threshold_problems(self, ">", _CRITICAL_AND_WARNING)


class CustomMonitorCommon(Model):
    """What every custom monitor has: its title and how it notifies."""

    kind: str
    """metric, anomaly, log, formula or composite: which keys follow."""
    name: Title
    """Title; the monitor is named `[<env>] <service>: <name>`."""
    message: str = ""
    """What the alert means, in a sentence; the state blocks, handles and runbook are added."""
    severity: Severity = "high"
    """high reaches the alert handles; low, the warning handles."""
    tags: list[str] = []
    """Tags besides service, env, team and managed-by."""
    priority: int | None = Field(None, ge=1, le=5)
    """Overrides the severity's priority."""
    renotify_minutes: int | None = Field(None, gt=0)
    """Overrides the severity's reminders."""


class CustomMonitorBase(CustomMonitorCommon):
    """What every custom monitor with a query of its own has besides the query."""

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

    def group_keys(self) -> list[str]:
        """The keys the monitor's query groups by, which notifyBy may name."""
        return []

    def field_problems(self) -> dict[str, str]:
        reasons = notify_by_problems(self.notify_by, self.group_keys()) if self.notify_by else []
        return {"notify_by": "; ".join(reasons)} if reasons else {}


class ThresholdFields(Model):
    """Thresholds of a custom monitor compared with `comparator`."""

    comparator: Comparator = ">"
    """How the value is compared with the thresholds: >, >=, <, <=."""
    critical: float
    """Alert threshold, written into the query."""
    warning: float | None = None
    """Warning threshold, on the recovering side of critical."""
    critical_recovery: float | None = None
    """Value the monitor must cross back over before an alert resolves."""
    warning_recovery: float | None = None
    """Value the monitor must cross back over before a warning resolves."""

    def field_problems(self) -> dict[str, str]:
        thresholds = ("critical", "warning", "critical_recovery", "warning_recovery")
        fields = {threshold: threshold for threshold in thresholds}
        return {**threshold_problems(self, self.comparator, fields), **super().field_problems()}


class MetricQueryFields(Model):
    """The metric a metric or anomaly monitor watches."""

    metric: str = Field(min_length=1)
    """Metric name, e.g. app.queue.depth."""
    aggregation: Aggregation | PercentileAggregation = "avg"
    """Across sources: avg, sum, min, max, or pXX for a distribution."""
    filters: list[str] = []
    """Tag filters, e.g. [env:production, queue:orders]; none means every source."""
    group_by: list[str] = []
    """Tags giving one alert per group, e.g. [queue]."""
    as_count: bool = False
    """Sum counts over the window instead of averaging per-second rates."""

    def group_keys(self) -> list[str]:
        return self.group_by


class MetricMonitorSettings(ThresholdFields, MetricQueryFields, CustomMonitorBase):
    """A metric compared with thresholds over a window."""

    kind: Literal["metric"]
    time_aggregation: Aggregation = "avg"
    """Over the window: avg, sum, min or max."""
    window: str = "last_5m"
    """Evaluation window, `last_<N>m`."""
    require_full_window: bool | None = None
    """Wait for a full window of points; false suits sparse metrics."""
    evaluation_delay_seconds: int | None = Field(None, gt=0)
    """Seconds to wait for late points, e.g. 900 for CloudWatch metrics."""


class AnomalyMonitorSettings(MetricQueryFields, CustomMonitorBase):
    """A metric outside the band an anomaly model expects."""

    kind: Literal["anomaly"]
    algorithm: AnomalyAlgorithm = "agile"
    """basic (no seasonality), agile or robust."""
    bounds: float = Field(2.0, gt=0)
    """Width of the expected band in deviations."""
    direction: AnomalyDirection = "both"
    """above, below or both."""
    alert_window: str = "last_15m"
    """How long the metric must be anomalous before alerting, `last_<N>m`."""
    interval: int = Field(60, gt=0)
    """Seconds between evaluated points."""
    seasonality: Seasonality | None = None
    """hourly, daily or weekly; agile and robust only (basic ignores it: a plan warning)."""
    timezone: Timezone | None = None
    """Timezone of the seasonal pattern; UTC when omitted."""
    count_default_zero: bool = True
    """Treat missing points of count metrics as zero."""
    query_window: str = "last_4h"
    """History evaluated each time; at least five alert windows."""
    time_aggregation: Aggregation = "avg"
    """Over the window: avg, sum, min or max."""
    critical: float = Field(1.0, gt=0, le=1)
    """Share of the alert window that must be anomalous, in (0, 1]."""
    critical_recovery: float | None = Field(0.0, ge=0, le=1)
    """Share below which the alert resolves."""
    recovery_window: str | None = None
    """How long the metric must look normal before the alert resolves; the alert window when
    omitted."""

    @field_validator("recovery_window")
    @classmethod
    def _a_window(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_window(value)
            except QueryError as error:
                raise ValueError(error.reason) from None
        return value

    def field_problems(self) -> dict[str, str]:
        # An anomaly monitor alerts when the anomalous share of its window reaches critical.
        fields = {"critical": "critical", "critical_recovery": "critical_recovery"}
        return {**threshold_problems(self, ">=", fields), **super().field_problems()}


class LogMonitorSettings(ThresholdFields, CustomMonitorBase):
    """Logs matching a search, counted or aggregated over a window."""

    kind: Literal["log"]
    search: str = Field(min_length=1)
    """Log search as typed in the Log Explorer, e.g. `service:checkout-api @event:x`."""
    index: str = "*"
    """Log index, `*` for all."""
    aggregation: LogAggregation = "count"
    """count, cardinality, or avg/sum/min/max/median/pcXX of `measure`."""
    measure: str | None = None
    """Facet to aggregate, e.g. @duration; required for every aggregation but count."""
    group_by: list[str] = []
    """Facets giving one alert per group."""
    window: str = "5m"
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""

    def group_keys(self) -> list[str]:
        return self.group_by


class LogVariableSettings(Model):
    """One named log query of a formula."""

    search: str = Field(min_length=1)
    """Log search, e.g. `service:checkout-api @payment.status:failed`."""
    aggregation: LogAggregation = "count"
    """count, cardinality, or avg/sum/min/max/median/pcXX of `measure`."""
    measure: str | None = None
    """Facet to aggregate, e.g. @duration; required for every aggregation but count."""
    indexes: list[str] = ["*"]
    """Log indexes searched."""
    group_by: list[str] = []
    """Facets to split by."""
    group_limit: int = Field(10, gt=0)
    """Most groups kept per facet."""


class FormulaMonitorSettings(ThresholdFields, CustomMonitorBase):
    """Arithmetic over named log queries, e.g. a share of failed payments."""

    kind: Literal["formula"]
    formula: str = Field(min_length=1)
    """Expression over the variable names, e.g. `failed / total * 100`."""
    variables: dict[str, LogVariableSettings] = Field(min_length=1)
    """The log queries the formula names, by name."""
    window: str = "15m"
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""

    def field_problems(self) -> dict[str, str]:
        problems = super().field_problems()
        try:
            used = formula_variables(self.formula)
        except QueryError:
            return problems  # its syntax is the built monitor's to explain, with the query
        unknown = [name for name in used if name not in self.variables]
        if unknown:
            problems["variables"] = "; ".join(
                f"the formula uses {name!r} but no variable has that name" for name in unknown
            )
        return problems

    def group_keys(self) -> list[str]:
        # A formula groups by the facets of its variables.
        keys = (key for variable in self.variables.values() for key in variable.group_by)
        return list(dict.fromkeys(keys))


MAX_COMPOSITE_MONITORS: Final = 10
"""Datadog combines up to 10 monitors in a composite (DataDog/documentation,
content/en/monitors/types/composite.md, "Select monitors")."""


class CompositeMonitorSettings(CustomMonitorCommon):
    """Other monitors of the service combined, e.g. alert when latency and error rate both do.

    Datadog takes its states from theirs: `a && b` alerts (or warns) at the less severe of
    their states, `a || b` at the more severe, `!a` alerts while `a` is OK. It has no threshold,
    query or missing-data alert of its own (the monitors it combines report missing data), and
    it must not combine other composites, which Datadog refuses.
    """

    kind: Literal["composite"]
    expression: str = Field(min_length=1)
    """Over the roles of the service's monitors: latency, error-rate, throughput, error-logs
    and the custom roles, with `&&`, `||`, `!` and parentheses, e.g. `latency && error-rate`."""

    @field_validator("expression")
    @classmethod
    def _an_expression(cls, value: str) -> str:
        try:
            composite_roles(value)
        except QueryError as error:
            raise ValueError(str(error)) from None
        return value

    def roles(self) -> list[str]:
        """The roles the expression names, each once."""
        return list(dict.fromkeys(role.text for role in composite_roles(self.expression)))


CustomMonitorSettings = Annotated[
    MetricMonitorSettings
    | AnomalyMonitorSettings
    | LogMonitorSettings
    | FormulaMonitorSettings
    | CompositeMonitorSettings,
    Field(discriminator="kind"),
]

DEFAULT_MONITOR_FIELDS: Final = {
    "latency": "latency",
    "error-rate": "error_rate",
    "throughput": "throughput",
    "error-logs": "error_logs",
}
"""The default monitors' roles (components.monitors) and their fields in MonitorsSettings."""


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
    lowercase words joined by '-', e.g. connection-failures. `kind` is metric, anomaly, log,
    formula or composite."""

    @field_validator("custom")
    @classmethod
    def _stable_roles(
        cls, value: dict[str, CustomMonitorSettings]
    ) -> dict[str, CustomMonitorSettings]:
        for role in value:
            check_role(role)
        return value

    def field_problems(self) -> dict[str, str]:
        return {
            f"custom.{role}.expression": "; ".join(reasons)
            for role, monitor in self.custom.items()
            if isinstance(monitor, CompositeMonitorSettings)
            and (reasons := self._composite_problems(role, monitor))
        }

    def _group_keys(self) -> dict[str, list[str] | None]:
        """The keys each monitor of the service groups by, by role; None for a default monitor
        turned off, and for composites, which Datadog will not combine."""
        defaults = {
            "latency": None if self.latency is None else self.latency.group_by,
            "error-rate": None if self.error_rate is None else self.error_rate.group_by,
            "throughput": None if self.throughput is None else [],
            "error-logs": None if self.error_logs is None else self.error_logs.group_by,
        }
        custom = {
            role: None if isinstance(monitor, CompositeMonitorSettings) else monitor.group_keys()
            for role, monitor in self.custom.items()
        }
        return {**defaults, **custom}

    def _composite_problems(self, role: str, composite: CompositeMonitorSettings) -> list[str]:
        groups = self._group_keys()
        operands = composite.roles()
        combinable = [other for other, keys in groups.items() if keys is not None and other != role]
        problems = []
        for operand in operands:
            if operand == role:
                problems.append(f"{operand!r} is this composite itself")
            elif operand in DEFAULT_MONITOR_FIELDS and groups[operand] is None:
                field = DEFAULT_MONITOR_FIELDS[operand]
                alias = type(self).model_fields[field].alias or field
                problems.append(
                    f"{operand!r} is turned off ({alias}: null), so there is no monitor to combine"
                )
            elif isinstance(other := self.custom.get(operand), CompositeMonitorSettings):
                back = ", which names this one back" if role in other.roles() else ""
                problems.append(
                    f"{operand!r} is a composite too{back}, and Datadog does not base "
                    "composites on other composites"
                )
            elif operand not in groups:
                problems.append(
                    f"no monitor of this service has the role {operand!r} (its monitors: "
                    f"{', '.join(combinable)})"
                )
        if len(operands) < 2:
            problems.append(
                f"a composite combines at least two monitors, and this names only {operands[0]!r}"
            )
        if len(operands) > MAX_COMPOSITE_MONITORS:
            problems.append(
                f"names {len(operands)} monitors; Datadog combines at most {MAX_COMPOSITE_MONITORS}"
            )
        problems += _group_problems({o: keys for o in operands if (keys := groups.get(o))})
        return problems


def _group_problems(grouped: Mapping[str, list[str]]) -> list[str]:
    """Multi-alert monitors a composite cannot pair: Datadog matches their groups by tag values,
    so one grouped by `host` pairs with one by `device,host`, but one by `host,url` with neither
    (DataDog/documentation, content/en/monitors/types/composite.md, "Common reporting sources");
    such a composite never triggers."""
    problems = []
    roles = list(grouped)
    for index, first in enumerate(roles):
        for second in roles[index + 1 :]:
            a, b = set(grouped[first]), set(grouped[second])
            if not (a <= b or b <= a):
                problems.append(
                    f"{first!r} is grouped by {', '.join(grouped[first])} and {second!r} by "
                    f"{', '.join(grouped[second])}: Datadog pairs the groups of "
                    "multi-alert monitors by their tag values, so these have none in common and "
                    "the composite would never trigger; group one by some of the other's keys"
                )
    return problems
