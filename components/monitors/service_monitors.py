"""The monitors of one traced Python service, and the custom monitors its team adds.

Defaults (each one configurable or removable per stack):
- p95 latency of the ddtrace root span over 5 minutes: warning 0.4 s, alert 0.5 s;
- error rate (errors / hits) over 5 minutes: warning 3 %, alert 5 %;
- throughput anomaly: requests below the band an agile model expects from the weekly pattern;
- error-log spike: more than 10 `status:error` logs in 5 minutes (warning above 5);
- no data: the latency monitor reports missing traces after 10 minutes, in production only.

Latency, errors and logs are watched for the service as a whole, not per endpoint: over 5 minutes
a low-traffic endpoint turns one slow or failed request into a p95 spike or a 50 % error rate, and
a multi alert would page once per endpoint. The dashboard ranks endpoints instead; a service whose
few endpoints matter on their own sets `group_by: (resource_name,)` and gets a multi alert whose
messages name the endpoint.

The latency and error-rate monitors page (`high` severity); the throughput anomaly and the log
spike are early signs worth a look, not a page, so they default to `low`.
"""

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Final

from components.monitors.definitions import (
    AnomalySpec,
    ApmErrorRateSpec,
    ApmLatencySpec,
    ApmService,
    CompositeSpec,
    LogFormulaSpec,
    LogMonitorSpec,
    MetricQuery,
    MetricThresholdSpec,
    MonitorDefinition,
    MonitorSettings,
    Thresholds,
    anomaly_monitor,
    apm_error_rate_monitor,
    apm_latency_monitor,
    composite_monitor,
    log_formula_monitor,
    log_monitor,
    metric_threshold_monitor,
)
from components.monitors.messages import (
    MessageText,
    Notifications,
    Severity,
    above_thresholds,
    monitor_message,
)
from components.monitors.query import format_number
from components.monitors.query.composite import composite_roles
from components.monitors.query.vocabulary import (
    AnomalyAlgorithm,
    AnomalyDirection,
    PercentileAggregation,
    Seasonality,
)
from components.telemetry import Need, Signal, metric_signal, named_services

MANAGED_BY_TAG: Final = "managed-by:pulumi"
ROLE_PATTERN: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SPOKEN_WINDOW: Final = re.compile(r"(?:last_)?(\d+)([mhdw])")
_SPOKEN_UNITS: Final = {"m": "minute", "h": "hour", "d": "day", "w": "week"}


@dataclass(frozen=True)
class LatencySettings:
    critical_seconds: float = 0.5
    """Alert when the percentile is above this many seconds."""
    warning_seconds: float | None = 0.4
    """Warn above this many seconds; below the critical one."""
    percentile: PercentileAggregation = "p95"
    window: str = "last_5m"
    """Evaluation window, `last_<N>m`."""
    group_by: tuple[str, ...] = ()
    """E.g. ("resource_name",) for one alert per endpoint."""
    severity: Severity = "high"
    """Slow responses page."""


@dataclass(frozen=True)
class ErrorRateSettings:
    critical: float = 0.05
    """Alert above this fraction of failed requests (0.05 is 5 %)."""
    warning: float | None = 0.03
    """Warn above this fraction; below the critical one."""
    window: str = "last_5m"
    group_by: tuple[str, ...] = ()
    """E.g. ("resource_name",) for one alert per endpoint."""
    severity: Severity = "high"
    """Failing requests page."""


@dataclass(frozen=True)
class ThroughputSettings:
    """An anomaly monitor on `trace.<operation>.hits`, counted per interval."""

    algorithm: AnomalyAlgorithm = "agile"
    """agile follows the seasonal pattern and adapts quickly to a lasting level shift."""
    direction: AnomalyDirection = "below"
    """Below: a drop in traffic is the outage sign; a surge shows in latency and errors."""
    seasonality: Seasonality = "weekly"
    """Weekly compares a Monday with past Mondays; the model wants three weeks of history."""
    bounds: float = 2.0
    """Width of the expected band in deviations."""
    alert_window: str = "last_30m"
    """How long traffic must stay outside the band before alerting."""
    interval: int = 300
    """Seconds per evaluated point: six points in the alert window, so one quiet interval of a
    small service does not alert on its own."""
    query_window: str = "last_1d"
    """Window evaluated at each run, at least five alert windows; the seasonal model draws on
    the metric's weeks of history by itself, so this window need not span a week."""
    timezone: str | None = None
    """Timezone of the weekly pattern, e.g. `europe/paris`; UTC when unset."""
    severity: Severity = "low"
    """Anomaly bands misfire on holidays and launches: a look, not a page."""


@dataclass(frozen=True)
class ErrorLogSettings:
    critical: float = 10
    """Alert on more than this many error logs in the window."""
    warning: float | None = 5
    window: str = "5m"
    """`<N>m` (up to 2880m) or `<N>h` (up to 48h)."""
    group_by: tuple[str, ...] = ()
    """Log facets to split by, e.g. ("@error.kind",)."""
    severity: Severity = "low"
    """A burst of error logs often comes with failing requests, which page already."""


@dataclass(frozen=True)
class ServiceMonitorSettings:
    """Which default monitors a service gets and their numbers; None leaves a monitor out."""

    latency: LatencySettings | None = LatencySettings()
    error_rate: ErrorRateSettings | None = ErrorRateSettings()
    throughput: ThroughputSettings | None = ThroughputSettings()
    error_logs: ErrorLogSettings | None = ErrorLogSettings()
    no_data_minutes: int = 10
    """Minutes without traces before the latency monitor reports missing data."""
    no_data_environments: tuple[str, ...] = ("production",)
    """Environments where missing traces notify; elsewhere a quiet service is normal."""


CustomSpec = MetricThresholdSpec | AnomalySpec | LogMonitorSpec | LogFormulaSpec | CompositeSpec


@dataclass(frozen=True)
class CustomMonitor:
    """A monitor a team adds to its service, built by the typed builder of its spec.

    The spec's settings describe the monitor rather than finish it: `name` is the title (the
    monitor is named `[<env>] <service>: <name>`), `message` explains the alert in a sentence, and
    the service adds its tags, the state blocks, the handles and the runbook. A priority or a
    renotify interval set in the spec wins over the severity's.
    """

    role: str
    """Stable key naming the monitor's resource, e.g. `connection-failures`."""
    spec: CustomSpec
    """The query, thresholds and options, as for the builder of the same spec."""
    severity: Severity = "high"
    external_source: str | None = None
    """What sends the monitor's data when nothing in the stack does (another system's metric),
    e.g. `the AWS integration's RDS metrics`; None when the stack's services send it."""

    def __post_init__(self) -> None:
        check_role(self.role)

    @property
    def operands(self) -> tuple[str, ...]:
        """The roles of the monitors a composite combines, each once; () for other monitors
        (ValueError for an expression that is not one)."""
        if not isinstance(self.spec, CompositeSpec):
            return ()
        return tuple(dict.fromkeys(role.text for role in composite_roles(self.spec.expression)))

    def reads(self, service: str) -> tuple[Need, ...]:
        """What the monitor needs from the stack, as a monitor of `service`: the signal its query
        reads, from the services it names (`service:` terms), or else from `service`. A
        composite reads nothing itself: what its monitors read (`monitor_builders`)."""
        if self.external_source is not None:
            return ()
        spec = self.spec
        match spec:
            case CompositeSpec():
                return ()
            case MetricThresholdSpec() | AnomalySpec():
                signal, texts = metric_signal(spec.query.metric), spec.query.filters
            case LogMonitorSpec():
                signal, texts = Signal.LOGS, (spec.search,)
            case LogFormulaSpec():
                signal, texts = Signal.LOGS, tuple(v.search for v in spec.variables)
        return tuple(Need(signal, name) for name in named_services(texts) or [service])


@dataclass(frozen=True)
class ServiceMonitorsSpec:
    """One service in one environment, and how its monitors behave there."""

    service: str
    """The `service` tag ddtrace reports (DD_SERVICE)."""
    env: str
    """The `env` tag ddtrace reports (DD_ENV)."""
    team: str
    """Owning team, for the `team` tag."""
    notifications: Notifications
    """Who hears about the monitors in this environment."""
    operation: str = "fastapi.request"
    """ddtrace root span operation, which names the `trace.<operation>.*` metrics."""
    runbook_url: str | None = None
    """Linked from every message."""
    settings: ServiceMonitorSettings = ServiceMonitorSettings()
    custom: tuple[CustomMonitor, ...] = ()
    """The team's own monitors, after the defaults."""
    extra_tags: tuple[str, ...] = ()
    """Tags added to every monitor besides service, env, team and managed-by."""

    @property
    def tags(self) -> tuple[str, ...]:
        return (
            f"service:{self.service}",
            f"env:{self.env}",
            f"team:{self.team}",
            MANAGED_BY_TAG,
            *self.extra_tags,
        )

    def monitor_name(self, title: str) -> str:
        return f"[{self.env}] {self.service}: {title}"


def monitor_resource_name(component: str, role: str) -> str:
    """The name of the `datadog.Monitor` of `role` under the `ServiceMonitors` named `component`:
    distinct components can give the same name (`a` with role `x-monitors-y` and `a-monitors-x`
    with `y`), which Pulumi refuses as a duplicate URN."""
    return f"{component}-{role}"


def check_role(role: str) -> None:
    """Roles become resource names, so they must stay short, lowercase and stable."""
    if not ROLE_PATTERN.fullmatch(role):
        raise ValueError(
            f"monitor role {role!r} must be lowercase words joined by '-', e.g. 'error-rate'"
        )


@dataclass(frozen=True)
class PlannedMonitor:
    """A monitor of a service, not built yet, and what it reads."""

    build: Callable[[], MonitorDefinition]
    """Builds the definition; ValueError (MonitorDefinitionError) for input it refuses."""
    reads: tuple[Need, ...]
    """The signals its query needs; without any of them the monitor sees no data."""
    title: str
    """What the monitor is, for messages: `APM latency monitor`."""
    operands: tuple[str, ...] = ()
    """The roles of the monitors it combines, for a composite: it needs all of them."""


def service_monitors(spec: ServiceMonitorsSpec) -> dict[str, MonitorDefinition]:
    """The service's monitors by role: the defaults first, then the custom ones."""
    return {role: planned.build() for role, planned in monitor_builders(spec).items()}


def monitor_builders(spec: ServiceMonitorsSpec) -> dict[str, PlannedMonitor]:
    """What `service_monitors` builds, one unbuilt monitor per role, so that a caller can tell
    which monitor a ValueError is about (and report them all) and leave out those nothing feeds.
    A custom role already taken raises."""
    settings = spec.settings
    traces = (Need(Signal.TRACES, spec.service),)
    builders: dict[str, PlannedMonitor] = {}
    if settings.latency is not None:
        builders["latency"] = PlannedMonitor(
            partial(_latency, spec, settings.latency), traces, "APM latency monitor"
        )
    if settings.error_rate is not None:
        builders["error-rate"] = PlannedMonitor(
            partial(_error_rate, spec, settings.error_rate), traces, "APM error-rate monitor"
        )
    if settings.throughput is not None:
        builders["throughput"] = PlannedMonitor(
            partial(_throughput, spec, settings.throughput), traces, "throughput anomaly monitor"
        )
    if settings.error_logs is not None:
        builders["error-logs"] = PlannedMonitor(
            partial(_error_logs, spec, settings.error_logs),
            (Need(Signal.LOGS, spec.service),),
            "error-log monitor",
        )
    for custom in spec.custom:
        if custom.role in builders:
            raise ValueError(
                f"custom monitor role {custom.role!r} is already taken by another monitor of "
                f"{spec.service}"
            )
        builders[custom.role] = PlannedMonitor(
            partial(_custom, spec, custom),
            custom.reads(spec.service),
            f"{custom.role} monitor",
            custom.operands,
        )
    # A composite reads what the monitors it combines read, once all roles are known.
    for role, planned in builders.items():
        if planned.operands:
            builders[role] = dataclasses.replace(
                planned, reads=_composite_reads(spec.service, role, builders)
            )
    return builders


def _composite_reads(
    service: str, role: str, builders: Mapping[str, PlannedMonitor]
) -> tuple[Need, ...]:
    """What the composite of `role` reads; ValueError when it names a role that is not another
    non-composite monitor of the service, which Datadog could not combine."""
    reads: list[Need] = []
    for operand in builders[role].operands:
        planned = builders.get(operand)
        if operand == role or planned is None or planned.operands:
            raise ValueError(
                f"composite monitor {role!r} names {operand!r}, which is not another "
                f"non-composite monitor of {service}"
            )
        reads += planned.reads
    return tuple(dict.fromkeys(reads))


def routed_settings(
    spec: ServiceMonitorsSpec,
    title: str,
    text: MessageText,
    severity: Severity,
    *,
    no_data_minutes: int | None = None,
) -> MonitorSettings:
    """A monitor of the service titled `title`, tagged as the service's monitors are and routed
    to the handles of `severity` in its environment; SLO alerts are made the same way."""
    policy = spec.notifications.policy(severity)
    return MonitorSettings(
        name=spec.monitor_name(title),
        message=monitor_message(text, spec.notifications, severity, spec.runbook_url),
        tags=spec.tags,
        priority=policy.priority,
        notify_no_data=no_data_minutes is not None,
        no_data_timeframe=no_data_minutes,
        renotify_interval=policy.renotify_minutes,
    )


def _latency(spec: ServiceMonitorsSpec, latency: LatencySettings) -> MonitorDefinition:
    what = f"{latency.percentile} latency of {spec.service}{_groups(latency.group_by)}"
    no_data_minutes = (
        spec.settings.no_data_minutes if spec.env in spec.settings.no_data_environments else None
    )
    alert, warning = above_thresholds(
        f"{what} is {{{{value}}}}s", unit="s", warns=latency.warning_seconds is not None
    )
    text = MessageText(
        alert=alert,
        warning=warning,
        recovery=f"{what} is back to {{{{value}}}}s.",
        no_data=None
        if no_data_minutes is None
        else (
            f"No request to {spec.service} traced for {no_data_minutes} minutes: the service may "
            "be down, unreachable, or no longer sending traces."
        ),
    )
    title = f"{latency.percentile} latency above {format_number(latency.critical_seconds)}s"
    return apm_latency_monitor(
        ApmLatencySpec(
            settings=routed_settings(
                spec, title, text, latency.severity, no_data_minutes=no_data_minutes
            ),
            target=_apm(spec),
            thresholds=Thresholds(latency.critical_seconds, warning=latency.warning_seconds),
            percentile=latency.percentile,
            window=latency.window,
            group_by=latency.group_by,
        )
    )


def _error_rate(spec: ServiceMonitorsSpec, errors: ErrorRateSettings) -> MonitorDefinition:
    what = f"Error rate of {spec.service}{_groups(errors.group_by)}"
    alert, warning = above_thresholds(
        f"{what} is {{{{value}}}} of requests", warns=errors.warning is not None
    )
    text = MessageText(
        alert=alert,
        warning=warning,
        recovery=f"{what} is back to {{{{value}}}} of requests.",
    )
    return apm_error_rate_monitor(
        ApmErrorRateSpec(
            settings=routed_settings(
                spec, f"error rate above {_percent(errors.critical)}", text, errors.severity
            ),
            target=_apm(spec),
            thresholds=Thresholds(errors.critical, warning=errors.warning),
            window=errors.window,
            group_by=errors.group_by,
        )
    )


def _throughput(spec: ServiceMonitorsSpec, throughput: ThroughputSettings) -> MonitorDefinition:
    side = {"below": "below", "above": "above", "both": "outside"}[throughput.direction]
    pattern = f"its {throughput.seasonality} pattern"
    text = MessageText(
        alert=(
            f"Requests to {spec.service} have been {side} the band expected from {pattern} "
            f"for {_spoken(throughput.alert_window)}."
        ),
        recovery=f"Requests to {spec.service} are back within the expected band.",
    )
    hits = MetricQuery(
        f"trace.{spec.operation}.hits", "sum", filters=_apm(spec).filters, as_count=True
    )
    return anomaly_monitor(
        AnomalySpec(
            settings=routed_settings(
                spec, f"throughput {side} {pattern}", text, throughput.severity
            ),
            query=hits,
            algorithm=throughput.algorithm,
            bounds=throughput.bounds,
            direction=throughput.direction,
            alert_window=throughput.alert_window,
            interval=throughput.interval,
            seasonality=throughput.seasonality,
            timezone=throughput.timezone,
            query_window=throughput.query_window,
        )
    )


def _error_logs(spec: ServiceMonitorsSpec, logs: ErrorLogSettings) -> MonitorDefinition:
    window = _spoken(logs.window)
    what = f"{spec.service}{_groups(logs.group_by)} logged {{{{value}}}} errors in {window}"
    alert, warning = above_thresholds(what, warns=logs.warning is not None)
    text = MessageText(
        alert=alert,
        warning=warning,
        recovery=f"Error logs of {spec.service} are back to {{{{value}}}} in {window}.",
    )
    title = f"more than {format_number(logs.critical)} error logs in {window}"
    return log_monitor(
        LogMonitorSpec(
            settings=routed_settings(spec, title, text, logs.severity),
            # The environment is part of the search: each stack's monitor watches its own logs.
            search=f"service:{spec.service} env:{spec.env} status:error",
            thresholds=Thresholds(logs.critical, warning=logs.warning),
            group_by=logs.group_by,
            window=logs.window,
        )
    )


def _custom(spec: ServiceMonitorsSpec, custom: CustomMonitor) -> MonitorDefinition:
    given = custom.spec.settings
    title = given.name.strip()
    if not title:
        raise ValueError(f"custom monitor {custom.role!r} needs a name")
    description = given.message.strip() or f"{title[0].upper()}{title[1:]}."
    if isinstance(custom.spec, CompositeSpec):
        # No value or threshold of its own. Datadog puts a composite in Warn when the monitors
        # that decide it warn (`a && b` takes the less severe of their states), so it warns too.
        text = MessageText(
            alert=description,
            warning=f"Warning, not yet an alert: {description}",
            recovery=f"Recovered: {title}.",
        )
    else:
        thresholds = custom.spec.thresholds
        text = MessageText(
            alert=f"{description} Value {{{{value}}}}, alert threshold {{{{threshold}}}}.",
            warning=None
            if thresholds.warning is None
            else f"{description} Value {{{{value}}}}, warning threshold {{{{warn_threshold}}}}.",
            recovery=f"Recovered: {title} (value {{{{value}}}}).",
            no_data=f"No data for {title}." if given.notify_no_data else None,
        )
    base = routed_settings(spec, title, text, custom.severity)
    settings = dataclasses.replace(
        given,
        name=base.name,
        message=base.message,
        tags=(*base.tags, *given.tags),
        priority=base.priority if given.priority is None else given.priority,
        renotify_interval=(
            base.renotify_interval if given.renotify_interval is None else given.renotify_interval
        ),
    )
    match custom.spec:
        case MetricThresholdSpec():
            return metric_threshold_monitor(dataclasses.replace(custom.spec, settings=settings))
        case AnomalySpec():
            return anomaly_monitor(dataclasses.replace(custom.spec, settings=settings))
        case LogMonitorSpec():
            return log_monitor(dataclasses.replace(custom.spec, settings=settings))
        case LogFormulaSpec():
            return log_formula_monitor(dataclasses.replace(custom.spec, settings=settings))
        case CompositeSpec():
            return composite_monitor(dataclasses.replace(custom.spec, settings=settings))


def _apm(spec: ServiceMonitorsSpec) -> ApmService:
    return ApmService(service=spec.service, env=spec.env, operation=spec.operation)


def _groups(group_by: tuple[str, ...]) -> str:
    """` on resource_name {{resource_name.name}}`: which group of a multi alert fired."""
    if not group_by:
        return ""
    return " on " + ", ".join(f"{key} {{{{{_template_key(key)}.name}}}}" for key in group_by)


def _template_key(key: str) -> str:
    # Datadog wants keys with dots or a facet's @ in brackets: {{[@http.status_code].name}}.
    return f"[{key}]" if "." in key or "@" in key else key


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _spoken(window: str) -> str:
    """`last_30m` or `30m` as `30 minutes`."""
    found = _SPOKEN_WINDOW.fullmatch(window)
    if found is None:
        return window
    count, unit = int(found.group(1)), _SPOKEN_UNITS[found.group(2)]
    return f"{count} {unit}{'' if count == 1 else 's'}"
