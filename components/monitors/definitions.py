"""Typed builders for Datadog monitor definitions, pure functions with no Pulumi resources.

Each builder writes the query and the options from one set of inputs, so the threshold in the
query, `options.thresholds` and the anomaly windows cannot drift apart. The result then goes
through the same offline validator as `lint-monitors`: inconsistent input (a warning above the
critical for `>`, seasonality with the basic algorithm) fails here with a ValueError rather than at
apply time.
Messages arrive ready-made: `messages.py` composes the state blocks and notification handles.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from components.datadog_ids import IdRef, id_refs, with_stand_ins
from components.monitors.query import QueryError, format_number, parse_window
from components.monitors.query.composite import composite_roles
from components.monitors.query.metric_query import (
    group_key_problem,
    metric_name_problem,
    tag_filter_problem,
)
from components.monitors.query.vocabulary import (
    Aggregation,
    AnomalyAlgorithm,
    AnomalyDirection,
    Comparator,
    LogAggregation,
    PercentileAggregation,
    Seasonality,
    SloTarget,
)
from components.monitors.validation import validate_monitor
from components.problems import Problem, errors

# The anomaly model needs history around the alert window; Datadog's guidance is about five times.
_ANOMALY_HISTORY_FACTOR = 5


class MonitorDefinitionError(ValueError):
    """Input a builder refuses: why, and the validator's problems by field of the monitor JSON
    (none when the input was refused before a monitor could be written)."""

    def __init__(self, monitor: str, reason: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(f"monitor {monitor!r}: {reason}")
        self.reason = reason
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Thresholds:
    critical: float
    """Value that triggers the alert; it is also the number written into the query."""
    warning: float | None = None
    """On the recovering side of critical: below it for `>`, above it for `<`."""
    critical_recovery: float | None = None
    """Value the metric must cross back over before the alert resolves."""
    warning_recovery: float | None = None

    def to_json(self) -> dict[str, float]:
        values = {
            "critical": self.critical,
            "warning": self.warning,
            "critical_recovery": self.critical_recovery,
            "warning_recovery": self.warning_recovery,
        }
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class ThresholdWindows:
    trigger_window: str
    """How long the anomaly must last before alerting; equals the query's alert_window."""
    recovery_window: str
    """How long the metric must look normal again before the alert resolves."""


@dataclass(frozen=True)
class LogQueryVariable:
    """One named log query that a formula refers to (an entry of `options.variables`)."""

    name: str
    """Name used in the formula, e.g. `errors` in `formula("errors / hits")`."""
    search: str
    """Log search, e.g. `service:api status:error`."""
    aggregation: LogAggregation = "count"
    measure: str | None = None
    """Facet to aggregate, e.g. `@duration`; required for every aggregation but count."""
    indexes: tuple[str, ...] = ("*",)
    group_by: tuple[str, ...] = ()
    """Facets to split by, e.g. `service`."""
    group_limit: int = 10
    """Most groups kept per facet."""

    def to_json(self) -> dict[str, object]:
        compute: dict[str, object] = {"aggregation": self.aggregation}
        if self.measure is not None:
            compute["metric"] = self.measure
        variable: dict[str, object] = {
            "data_source": "logs",
            "name": self.name,
            "indexes": list(self.indexes),
            "compute": compute,
            "search": {"query": self.search},
        }
        if self.group_by:
            variable["group_by"] = [
                {"facet": facet, "limit": self.group_limit, "sort": {"order": "desc", **compute}}
                for facet in self.group_by
            ]
        return variable


@dataclass(frozen=True)
class MonitorDefinition:
    """A complete monitor, ready for `datadog.Monitor` or for the offline validator."""

    name: str
    type: str
    query: str
    """The query, with `${monitor:<role>}` or `${slo:<role>}` where it names another object of
    the service by id (`components.datadog_ids`)."""
    message: str
    thresholds: Thresholds | None
    """None for composites, whose states are those of the monitors they combine."""
    tags: tuple[str, ...] = ()
    priority: int | None = None
    """1 (highest) to 5."""
    threshold_windows: ThresholdWindows | None = None
    """Anomaly monitors only."""
    notify_no_data: bool = False
    no_data_timeframe: int | None = None
    """Minutes without data before a no-data alert; only with notify_no_data."""
    renotify_interval: int | None = None
    """Minutes between reminders while the alert stays open."""
    require_full_window: bool | None = None
    evaluation_delay: int | None = None
    """Seconds to wait for late metric points; metric monitors only."""
    new_group_delay: int | None = None
    """Seconds before a new group (a new host, a new service) may alert."""
    notify_by: tuple[str, ...] = ()
    """Group-by keys that split notifications; a subset of the query's group-by."""
    variables: tuple[LogQueryVariable, ...] = ()
    """Named queries of a formula monitor."""

    def __post_init__(self) -> None:
        # Valid by construction, however it was made: checked once, here, so that whatever
        # registers a definition need not check it again. A warning does not stop it: the
        # plan's check of the registered monitor shows it, as lint-monitors does. Ids of other
        # objects are checked in the form Datadog gives them.
        monitor = {**self.to_monitor_json(), "query": with_stand_ins(self.query)}
        problems = errors(validate_monitor(monitor))
        if problems:
            reason = "; ".join(str(problem) for problem in problems)
            raise MonitorDefinitionError(self.name, reason, problems)

    @property
    def id_refs(self) -> tuple[IdRef, ...]:
        """The monitors and SLOs whose ids the query names (`${monitor:<role>}`), which must
        exist before this monitor."""
        return id_refs(self.query)

    def to_monitor_json(self) -> dict[str, object]:
        """The monitor in Datadog's flat API form; unset options are left out, not emptied,
        because empty values show as permanent diffs."""
        optional_options: dict[str, object | None] = {
            "threshold_windows": None
            if self.threshold_windows is None
            else {
                "trigger_window": self.threshold_windows.trigger_window,
                "recovery_window": self.threshold_windows.recovery_window,
            },
            "no_data_timeframe": self.no_data_timeframe,
            "renotify_interval": self.renotify_interval,
            "require_full_window": self.require_full_window,
            "evaluation_delay": self.evaluation_delay,
            "new_group_delay": self.new_group_delay,
            "notify_by": list(self.notify_by) or None,
            "variables": [variable.to_json() for variable in self.variables] or None,
        }
        options: dict[str, object] = {"notify_no_data": self.notify_no_data}
        if self.thresholds is not None:
            options["thresholds"] = self.thresholds.to_json()
        options.update({key: value for key, value in optional_options.items() if value is not None})
        monitor: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "query": self.query,
            "message": self.message,
            "options": options,
        }
        if self.tags:
            monitor["tags"] = list(self.tags)
        if self.priority is not None:
            monitor["priority"] = self.priority
        return monitor


@dataclass(frozen=True)
class MonitorSettings:
    """What every monitor has besides its query: naming, routing and notification behaviour."""

    name: str
    message: str
    """Notification text, built elsewhere (templates, @handles)."""
    tags: tuple[str, ...] = ()
    priority: int | None = None
    """1 (highest) to 5."""
    notify_no_data: bool = False
    no_data_timeframe: int | None = None
    """Minutes without data before a no-data alert; requires notify_no_data."""
    renotify_interval: int | None = None
    new_group_delay: int | None = None
    notify_by: tuple[str, ...] = ()
    """Group-by keys that split notifications, or ("*",)."""


@dataclass(frozen=True)
class MetricQuery:
    """One metric query, e.g. `sum:trace.fastapi.request.hits{env:prod,service:api} by {host}`."""

    metric: str
    space_aggregation: Aggregation | PercentileAggregation = "avg"
    """Percentiles apply to distribution metrics only."""
    filters: tuple[str, ...] = ()
    """Tag filters such as `env:prod`; none means every source (`{*}`)."""
    group_by: tuple[str, ...] = ()
    as_count: bool = False
    """Sum counts over the window instead of averaging per-second rates."""

    def problems(self) -> list[str]:
        """Why the query's parts would not stay the tokens they are once spliced into it."""
        checks = [
            metric_name_problem(self.metric),
            *(tag_filter_problem(text) for text in self.filters),
            *(group_key_problem(key) for key in self.group_by),
        ]
        return [problem for problem in checks if problem is not None]

    def render(self) -> str:
        tags = ",".join(self.filters) or "*"
        group = f" by {{{','.join(self.group_by)}}}" if self.group_by else ""
        count = ".as_count()" if self.as_count else ""
        return f"{self.space_aggregation}:{self.metric}{{{tags}}}{group}{count}"


@dataclass(frozen=True)
class MetricThresholdSpec:
    settings: MonitorSettings
    query: MetricQuery
    thresholds: Thresholds
    comparator: Comparator = ">"
    time_aggregation: Aggregation = "avg"
    window: str = "last_5m"
    require_full_window: bool | None = None
    evaluation_delay: int | None = None
    """Seconds to wait for late points, e.g. 900 for AWS CloudWatch metrics."""


@dataclass(frozen=True)
class ApmService:
    """A traced service: its spans feed the `trace.<operation>.*` metrics."""

    service: str
    env: str
    operation: str
    """Top-level span operation, e.g. `fastapi.request`, `flask.request`, `django.request`."""

    @property
    def filters(self) -> tuple[str, ...]:
        return (f"env:{self.env}", f"service:{self.service}")


@dataclass(frozen=True)
class ApmLatencySpec:
    settings: MonitorSettings
    target: ApmService
    thresholds: Thresholds
    """Latency in seconds."""
    percentile: PercentileAggregation = "p95"
    window: str = "last_5m"
    group_by: tuple[str, ...] = ()
    """E.g. ("resource_name",) for one alert per endpoint."""


@dataclass(frozen=True)
class ApmErrorRateSpec:
    settings: MonitorSettings
    target: ApmService
    thresholds: Thresholds
    """Fractions of requests: 0.05 is 5 %."""
    window: str = "last_5m"
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnomalySpec:
    settings: MonitorSettings
    query: MetricQuery
    algorithm: AnomalyAlgorithm = "agile"
    """basic for metrics without a repeating pattern; agile and robust follow seasonality."""
    bounds: float = 2.0
    """Width of the normal band in deviations; 2 or 3 keeps most normal points inside."""
    direction: AnomalyDirection = "both"
    alert_window: str = "last_15m"
    """How long the metric must be anomalous before alerting."""
    interval: int = 60
    """Seconds between points the model evaluates."""
    seasonality: Seasonality | None = None
    """agile and robust only; Datadog assumes weekly when unset."""
    timezone: str | None = None
    """Timezone for daily or weekly seasonality, e.g. `europe/paris`; agile and robust only."""
    count_default_zero: bool = True
    """Treat missing points of count metrics as zero rather than unknown."""
    query_window: str = "last_4h"
    """History evaluated each time; at least five alert windows."""
    time_aggregation: Aggregation = "avg"
    thresholds: Thresholds = Thresholds(critical=1.0, critical_recovery=0.0)
    """Fractions of the alert window that must be anomalous, in (0, 1]."""
    recovery_window: str | None = None
    """Defaults to the alert window."""


@dataclass(frozen=True)
class LogMonitorSpec:
    settings: MonitorSettings
    search: str
    """Log search as typed in the Log Explorer, e.g. `service:api status:error`."""
    thresholds: Thresholds
    comparator: Comparator = ">"
    index: str = "*"
    aggregation: LogAggregation = "count"
    measure: str | None = None
    """Facet to aggregate, e.g. `@duration`; required for every aggregation but count."""
    group_by: tuple[str, ...] = ()
    window: str = "5m"
    """1m to 2880m, or 1h to 48h."""


@dataclass(frozen=True)
class LogFormulaSpec:
    settings: MonitorSettings
    formula: str
    """Arithmetic over variable names, e.g. `errors / total * 100`."""
    variables: tuple[LogQueryVariable, ...]
    thresholds: Thresholds
    comparator: Comparator = ">"
    window: str = "15m"


@dataclass(frozen=True)
class BurnRateSpec:
    """A burn rate alert: the SLO's error budget spent `burn_rate` times as fast as its timeframe
    allows, over both windows."""

    settings: MonitorSettings
    slo: IdRef
    """The SLO, whose id exists once it does."""
    timeframe: SloTarget
    """One of the SLO's timeframes, normally its primary one."""
    burn_rate: float
    long_window: str
    """1h to 48h: long enough that a blip does not alert."""
    short_window: str
    """Below the long window (about a twelfth): the alert resolves soon after the burn stops."""


@dataclass(frozen=True)
class ErrorBudgetSpec:
    """An error budget alert: more than a share of the SLO's budget spent over its timeframe."""

    settings: MonitorSettings
    slo: IdRef
    timeframe: SloTarget
    thresholds: Thresholds
    """Percent of the budget spent, e.g. 75 (alert) and 50 (warning)."""


def burn_rate_monitor(spec: BurnRateSpec) -> MonitorDefinition:
    """`burn_rate("<slo>").over("30d").long_window("1h").short_window("5m") > 14.4`."""
    query = (
        f"burn_rate({_quoted(str(spec.slo))}).over({_quoted(spec.timeframe)})"
        f".long_window({_quoted(spec.long_window)}).short_window({_quoted(spec.short_window)})"
        f" > {format_number(spec.burn_rate)}"
    )
    return _build(spec.settings, "slo alert", query, Thresholds(spec.burn_rate))


def error_budget_monitor(spec: ErrorBudgetSpec) -> MonitorDefinition:
    """`error_budget("<slo>").over("30d") > 75`."""
    query = (
        f"error_budget({_quoted(str(spec.slo))}).over({_quoted(spec.timeframe)}) "
        f"{_condition('>', spec.thresholds)}"
    )
    return _build(spec.settings, "slo alert", query, spec.thresholds)


@dataclass(frozen=True)
class CompositeSpec:
    settings: MonitorSettings
    expression: str
    """Over the roles of the service's other monitors, e.g. `latency && error-rate`: `&&`,
    `||`, `!` and parentheses, as in Datadog's composite queries."""


def metric_threshold_monitor(spec: MetricThresholdSpec) -> MonitorDefinition:
    """`avg(last_5m):avg:metric{tags} by {keys} > critical`."""
    condition = _condition(spec.comparator, spec.thresholds)
    return _build(
        spec.settings,
        "query alert",
        f"{spec.time_aggregation}({spec.window}):{_rendered(spec.settings, spec.query)} "
        f"{condition}",
        spec.thresholds,
        require_full_window=spec.require_full_window,
        evaluation_delay=spec.evaluation_delay,
    )


def apm_latency_monitor(spec: ApmLatencySpec) -> MonitorDefinition:
    """A latency percentile on the `trace.<operation>` distribution, in seconds."""
    latency = MetricQuery(
        f"trace.{spec.target.operation}",
        space_aggregation=spec.percentile,
        filters=spec.target.filters,
        group_by=spec.group_by,
    )
    return _build(
        spec.settings,
        "query alert",
        f"percentile({spec.window}):{latency.render()} {_condition('>', spec.thresholds)}",
        spec.thresholds,
    )


def apm_error_rate_monitor(spec: ApmErrorRateSpec) -> MonitorDefinition:
    """Errors over hits, both as counts over the window."""
    above_one = [value for value in spec.thresholds.to_json().values() if value > 1]
    if above_one:
        raise _invalid(
            spec.settings,
            "error-rate thresholds are fractions of requests (0.05 is 5 %), got "
            + format_number(above_one[0]),
        )

    def count(suffix: str) -> str:
        return MetricQuery(
            f"trace.{spec.target.operation}.{suffix}",
            space_aggregation="sum",
            filters=spec.target.filters,
            group_by=spec.group_by,
            as_count=True,
        ).render()

    return _build(
        spec.settings,
        "query alert",
        f"sum({spec.window}):({count('errors')} / {count('hits')}) "
        f"{_condition('>', spec.thresholds)}",
        spec.thresholds,
        # Errors are sparse: waiting for a full window of points would hide real error bursts.
        require_full_window=False,
    )


def anomaly_monitor(spec: AnomalySpec) -> MonitorDefinition:
    """`avg(last_4h):anomalies(QUERY, 'agile', 2, direction=.., alert_window=.., ...) >= 1`."""
    try:
        history, alert = parse_window(spec.query_window), parse_window(spec.alert_window)
    except QueryError as error:
        raise _invalid(spec.settings, error.reason) from error
    if history.seconds < _ANOMALY_HISTORY_FACTOR * alert.seconds:
        raise _invalid(
            spec.settings,
            f"query_window {spec.query_window!r} must be at least {_ANOMALY_HISTORY_FACTOR} times "
            f"alert_window {spec.alert_window!r}, so the model has history to compare with",
        )
    arguments = [
        _rendered(spec.settings, spec.query),
        f"'{spec.algorithm}'",
        format_number(spec.bounds),
        f"direction='{spec.direction}'",
        f"alert_window='{spec.alert_window}'",
        f"interval={spec.interval}",
        f"count_default_zero='{str(spec.count_default_zero).lower()}'",
    ]
    if spec.seasonality is not None:
        arguments.append(f"seasonality='{spec.seasonality}'")
    if spec.timezone is not None:
        arguments.append(f"timezone='{spec.timezone}'")
    query = (
        f"{spec.time_aggregation}({spec.query_window}):anomalies({', '.join(arguments)}) "
        f"{_condition('>=', spec.thresholds)}"
    )
    windows = ThresholdWindows(spec.alert_window, spec.recovery_window or spec.alert_window)
    return _build(spec.settings, "query alert", query, spec.thresholds, threshold_windows=windows)


def log_monitor(spec: LogMonitorSpec) -> MonitorDefinition:
    """`logs("search").index("*").rollup("count").by("facets").last("5m") > critical`."""
    rollup = [spec.aggregation] if spec.measure is None else [spec.aggregation, spec.measure]
    chain = [
        f"logs({_quoted(spec.search)})",
        f"index({_quoted(spec.index)})",
        f"rollup({', '.join(_quoted(argument) for argument in rollup)})",
    ]
    if spec.group_by:
        chain.append(f"by({_quoted(','.join(spec.group_by))})")
    chain.append(f"last({_quoted(spec.window)})")
    query = f"{'.'.join(chain)} {_condition(spec.comparator, spec.thresholds)}"
    return _build(spec.settings, "log alert", query, spec.thresholds)


def log_formula_monitor(spec: LogFormulaSpec) -> MonitorDefinition:
    """`formula("a / b * 100").last("15m") > critical` over named log queries."""
    query = (
        f"formula({_quoted(spec.formula)}).last({_quoted(spec.window)}) "
        f"{_condition(spec.comparator, spec.thresholds)}"
    )
    return _build(spec.settings, "log alert", query, spec.thresholds, variables=spec.variables)


def composite_monitor(spec: CompositeSpec) -> MonitorDefinition:
    """`${monitor:latency} && ${monitor:error-rate}` from `latency && error-rate`: the ids of the
    service's monitors of those roles, which whatever registers it fills in."""
    try:
        roles = composite_roles(spec.expression)
    except QueryError as error:
        raise _invalid(spec.settings, f"expression: {error}") from None
    query = spec.expression
    for role in reversed(roles):
        query = f"{query[: role.start]}{IdRef('monitor', role.text)}{query[role.end :]}"
    return _build(spec.settings, "composite", query.strip(), None)


def _invalid(
    settings: MonitorSettings, reason: str, problems: Sequence[Problem] = ()
) -> MonitorDefinitionError:
    return MonitorDefinitionError(settings.name.strip(), reason, problems)


def _rendered(settings: MonitorSettings, query: MetricQuery) -> str:
    problems = query.problems()
    if problems:
        raise _invalid(settings, "; ".join(problems))
    return query.render()


def _quoted(text: str) -> str:
    """A double-quoted string for log-style queries, which reject single quotes."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _condition(comparator: Comparator, thresholds: Thresholds) -> str:
    return f"{comparator} {format_number(thresholds.critical)}"


def _build(
    settings: MonitorSettings,
    monitor_type: str,
    query: str,
    thresholds: Thresholds | None,
    *,
    threshold_windows: ThresholdWindows | None = None,
    require_full_window: bool | None = None,
    evaluation_delay: int | None = None,
    variables: tuple[LogQueryVariable, ...] = (),
) -> MonitorDefinition:
    name = settings.name.strip()
    if not name:
        raise ValueError("a monitor needs a name")
    return MonitorDefinition(
        # Datadog trims the name and message; untrimmed values would show as permanent diffs.
        name=name,
        type=monitor_type,
        query=query,
        message=settings.message.strip(),
        thresholds=thresholds,
        tags=settings.tags,
        priority=settings.priority,
        threshold_windows=threshold_windows,
        notify_no_data=settings.notify_no_data,
        no_data_timeframe=settings.no_data_timeframe,
        renotify_interval=settings.renotify_interval,
        require_full_window=require_full_window,
        evaluation_delay=evaluation_delay,
        new_group_delay=settings.new_group_delay,
        notify_by=settings.notify_by,
        variables=variables,
    )
