"""The service level objectives of one traced Python service and the alerts on their budgets.

Two objectives per service, from the same ddtrace root-span metrics its monitors read:
- availability, metric-based: good events are requests that did not fail (`trace.<op>.hits`
  minus `trace.<op>.errors`), total events all requests; 99.9 % over 30 days by default. Trace
  metrics count every request whatever the sampling (Datadog's "Trace Metrics" page: "calculated
  based on 100% of the application's traffic"), so `traceSampleRate` does not skew it;
- latency, time-slice: each 5-minute slice whose p95 is at most the latency threshold counts as
  good time; 99 % by default. Where a time slice does not fit (a team wants the SLO to follow the
  latency monitor exactly, with its grouping), it is monitor-based on the latency monitor.

Time-slice SLOs count missing data as uptime (Datadog's "Time Slice SLOs" page): a service that
stops sending traces looks perfect there, which is why the latency monitor's no-data alert stays
on in production and SLOs are only made for services that send traces.

Each SLO gets multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs",
table 5-8, as Datadog's "Burn Rate Alerts" page adapts it): two that page, 14.4x over 1 h
(checked over the last 5 minutes too) and 6x over 6 h (30 minutes), and one that opens a ticket.
The workbook's ticket burns 1x over 3 days, which Datadog cannot express (a long window is at
most 48 h); 3x over 24 h (2 h) is Datadog's row for the same 10 % of a 30-day budget. An error
budget alert tells the team when three quarters of the budget is spent (a warning at half).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Final, Literal

from components.datadog_ids import IdRef
from components.monitors.definitions import (
    ApmService,
    BurnRateSpec,
    ErrorBudgetSpec,
    MetricQuery,
    MonitorDefinition,
    MonitorDefinitionError,
    Thresholds,
    burn_rate_monitor,
    error_budget_monitor,
)
from components.monitors.messages import MessageText, Severity, above_thresholds
from components.monitors.query import format_number
from components.monitors.query.vocabulary import PercentileAggregation, SloTarget
from components.monitors.service_monitors import ServiceMonitorsSpec, routed_settings
from components.slos.definitions import (
    MetricSli,
    MonitorSli,
    Sli,
    SloDefinition,
    SloDefinitionError,
    SloThreshold,
    TimeSliceInterval,
    TimeSliceSli,
)
from components.telemetry import Need, Signal

_HOURS: Final[Mapping[SloTarget, int]] = {"7d": 7 * 24, "30d": 30 * 24, "90d": 90 * 24}


@dataclass(frozen=True)
class BurnRateAlertSettings:
    burn_rate: float
    """How many times faster than the timeframe allows the budget is spent."""
    long_window: str
    """`<N>h` from 1h to 48h (or minutes, `90m`)."""
    short_window: str
    """Shorter than the long window, about a twelfth of it."""
    severity: Severity
    """high pages (the alert handles); low opens a ticket (the warning handles)."""


SRE_WORKBOOK_BURN_RATES: Final[Mapping[str, BurnRateAlertSettings]] = {
    "fast-burn": BurnRateAlertSettings(14.4, "1h", "5m", "high"),
    "sustained-burn": BurnRateAlertSettings(6, "6h", "30m", "high"),
    "slow-burn": BurnRateAlertSettings(3, "24h", "2h", "low"),
}
"""2 %, 5 % and 10 % of a 30-day budget in the long window; see the module docstring."""


@dataclass(frozen=True)
class ErrorBudgetAlertSettings:
    critical: float = 75
    """Alert when more than this percent of the budget is spent over the timeframe."""
    warning: float | None = 50
    severity: Severity = "low"
    """A spent budget calls for slowing releases, not for waking someone."""


@dataclass(frozen=True)
class Objective:
    """What every SLO has: targets, timeframes and the alerts on its budget."""

    target: float
    """Percent, in (0, 100)."""
    warning: float | None
    """Percent above the target; None for no warning."""
    timeframe: SloTarget = "30d"
    """Primary timeframe: the alerts and the dashboard use it."""
    timeframes: tuple[SloTarget, ...] = ("7d", "30d", "90d")
    """Every timeframe the SLO reports on, with the same target; includes the primary one."""
    burn_rate_alerts: Mapping[str, BurnRateAlertSettings] = field(
        default_factory=lambda: dict(SRE_WORKBOOK_BURN_RATES)
    )
    """By role (`fast-burn`), which names the alert's resource."""
    error_budget_alert: ErrorBudgetAlertSettings | None = ErrorBudgetAlertSettings()


@dataclass(frozen=True)
class AvailabilitySloSettings:
    objective: Objective = Objective(target=99.9, warning=99.95)


LatencySloMethod = Literal["time-slice", "monitor"]


@dataclass(frozen=True)
class LatencySloSettings:
    objective: Objective = Objective(target=99.0, warning=99.5)
    threshold_seconds: float = 0.5
    """A slice is good when the percentile is at most this many seconds."""
    percentile: PercentileAggregation = "p95"
    method: LatencySloMethod = "time-slice"
    """time-slice, or monitor: the uptime of the service's latency monitor."""
    interval_seconds: TimeSliceInterval = 300


@dataclass(frozen=True)
class ServiceSloSettings:
    """Which SLOs a service gets; None leaves one out."""

    availability: AvailabilitySloSettings | None = AvailabilitySloSettings()
    latency: LatencySloSettings | None = LatencySloSettings()


class SloBuildError(ValueError):
    """What Datadog would refuse in an SLO or in its alerts: (part, reason) pairs, where the
    part is "" for the SLO itself, otherwise the role of the alert at fault (`fast-burn`,
    `error-budget`)."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{part or 'SLO'}: {reason}" for part, reason in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class BuiltSlo:
    definition: SloDefinition
    alerts: dict[str, MonitorDefinition]
    """Its alerts by role (`fast-burn`, `error-budget`)."""


@dataclass(frozen=True)
class SloShape:
    """What a dashboard needs to know of an SLO before it is built."""

    type: str
    """metric, time_slice or monitor."""
    timeframe: SloTarget
    timeframes: tuple[SloTarget, ...]


@dataclass(frozen=True)
class PlannedSlo:
    """An SLO of a service, not built yet, and what it reads."""

    build: Callable[[], BuiltSlo]
    """Builds it and its alerts; SloBuildError for settings Datadog would refuse."""
    reads: tuple[Need, ...]
    title: str
    shape: SloShape
    follows_monitors: frozenset[str] = frozenset()
    """Roles of the service's monitors that a monitor-based SLO is made of."""


def slo_builders(spec: ServiceMonitorsSpec, settings: ServiceSloSettings) -> dict[str, PlannedSlo]:
    """The service's SLOs by role (`availability`, `latency`), unbuilt."""
    traces = (Need(Signal.TRACES, spec.service),)
    builders = {}
    if settings.availability is not None:
        builders["availability"] = PlannedSlo(
            partial(_availability, spec, settings.availability.objective),
            traces,
            "availability SLO",
            _shape("metric", settings.availability.objective),
        )
    if settings.latency is not None:
        builders["latency"] = PlannedSlo(
            partial(_latency, spec, settings.latency),
            traces,
            "latency SLO",
            _shape(
                "monitor" if settings.latency.method == "monitor" else "time_slice",
                settings.latency.objective,
            ),
            frozenset({"latency"}) if settings.latency.method == "monitor" else frozenset(),
        )
    return builders


def _shape(slo_type: str, objective: Objective) -> SloShape:
    return SloShape(slo_type, objective.timeframe, objective.timeframes)


def slo_resource_name(component: str, role: str) -> str:
    """The name of an SLO, or of an alert (`<slo>-<alert>`), under the `ServiceSlos` named
    `component`."""
    return f"{component}-{role}"


def _availability(spec: ServiceMonitorsSpec, objective: Objective) -> BuiltSlo:
    target = _apm(spec)

    def count(suffix: str) -> str:
        return MetricQuery(
            f"trace.{spec.operation}.{suffix}", "sum", filters=target.filters, as_count=True
        ).render()

    sli = MetricSli(numerator=f"{count('hits')} - {count('errors')}", denominator=count("hits"))
    description = (
        f"Share of requests to {spec.service} that do not fail: ddtrace's "
        f"trace.{spec.operation}.hits minus .errors, over .hits."
    )
    return _built(spec, "availability", objective, sli, description)


def _latency(spec: ServiceMonitorsSpec, settings: LatencySloSettings) -> BuiltSlo:
    seconds = format_number(settings.threshold_seconds)
    sli: Sli
    if settings.method == "monitor":
        sli = MonitorSli((IdRef("monitor", "latency"),))
        description = f"Share of time the latency monitor of {spec.service} is not alerting."
    else:
        query = MetricQuery(
            f"trace.{spec.operation}", settings.percentile, filters=_apm(spec).filters
        ).render()
        sli = TimeSliceSli(query, "<=", settings.threshold_seconds, settings.interval_seconds)
        minutes = settings.interval_seconds // 60
        description = (
            f"Share of {minutes}-minute slices in which the {settings.percentile} latency of "
            f"{spec.service} is at most {seconds}s."
        )
    return _built(spec, "latency", settings.objective, sli, description)


def _built(
    spec: ServiceMonitorsSpec,
    role: str,
    settings: Objective,
    sli: Sli,
    description: str,
) -> BuiltSlo:
    try:
        definition = SloDefinition(
            name=spec.monitor_name(f"{role} {format_number(settings.target)}%"),
            description=f"{description} Managed by Pulumi.",
            sli=sli,
            thresholds=tuple(
                SloThreshold(timeframe, settings.target, settings.warning)
                for timeframe in settings.timeframes
            ),
            timeframe=settings.timeframe,
            tags=spec.tags,
        )
    except SloDefinitionError as error:
        raise SloBuildError([("", str(problem)) for problem in error.problems]) from error
    objective = _Objective(spec, role, settings, definition.max_burn_rate)
    builds: dict[str, Callable[[], MonitorDefinition]] = {
        alert_role: partial(objective.burn_rate_alert, alert)
        for alert_role, alert in settings.burn_rate_alerts.items()
    }
    if settings.error_budget_alert is not None:
        builds["error-budget"] = partial(objective.error_budget_alert, settings.error_budget_alert)
    alerts = {}
    problems: list[tuple[str, str]] = []
    for alert_role, build in builds.items():
        try:
            alerts[alert_role] = build()
        except MonitorDefinitionError as error:
            reasons = [str(problem) for problem in error.problems] or [error.reason]
            problems += [(alert_role, reason) for reason in reasons]
        except ValueError as error:
            problems.append((alert_role, str(error)))
    if problems:
        raise SloBuildError(problems)
    return BuiltSlo(definition, alerts)


@dataclass(frozen=True)
class _Objective:
    """One SLO of a service, for the alerts on it."""

    spec: ServiceMonitorsSpec
    role: str
    settings: Objective
    max_burn_rate: float

    @property
    def slo(self) -> IdRef:
        return IdRef("slo", self.role)

    @property
    def what(self) -> str:
        target = format_number(self.settings.target)
        return (
            f"the {self.role} SLO of {self.spec.service} ({target}% over {self.settings.timeframe})"
        )

    def burn_rate_alert(self, alert: BurnRateAlertSettings) -> MonitorDefinition:
        burn = format_number(alert.burn_rate)
        if alert.burn_rate > self.max_burn_rate:
            raise ValueError(
                f"a burn rate of {burn} cannot be reached: at a target of "
                f"{format_number(self.settings.target)}% every request failing burns "
                f"{self.max_burn_rate:.4g}x, and Datadog refuses alerts above that"
            )
        hours_left = _HOURS[self.settings.timeframe] / alert.burn_rate
        text = MessageText(
            alert=(
                f"The error budget of {self.what} is being spent {burn}x as fast as the target "
                f"allows, over the last {alert.long_window} and {alert.short_window}: at this "
                f"rate it is gone in {hours_left:.3g} hours."
            ),
            recovery=f"The error budget of {self.what} is no longer spent {burn}x too fast.",
        )
        title = f"{self.role} SLO budget burning {burn}x over {alert.long_window}"
        return burn_rate_monitor(
            BurnRateSpec(
                settings=routed_settings(self.spec, title, text, alert.severity),
                slo=self.slo,
                timeframe=self.settings.timeframe,
                burn_rate=alert.burn_rate,
                long_window=alert.long_window,
                short_window=alert.short_window,
            )
        )

    def error_budget_alert(self, alert: ErrorBudgetAlertSettings) -> MonitorDefinition:
        spent = f"{{{{value}}}}% of the error budget of {self.what} is spent"
        alert_line, warning_line = above_thresholds(
            spent, unit="%", warns=alert.warning is not None
        )
        text = MessageText(
            alert=alert_line, warning=warning_line, recovery=f"{spent}, back below the thresholds."
        )
        title = f"{self.role} SLO error budget {format_number(alert.critical)}% spent"
        return error_budget_monitor(
            ErrorBudgetSpec(
                settings=routed_settings(self.spec, title, text, alert.severity),
                slo=self.slo,
                timeframe=self.settings.timeframe,
                thresholds=Thresholds(alert.critical, warning=alert.warning),
            )
        )


def _apm(spec: ServiceMonitorsSpec) -> ApmService:
    return ApmService(service=spec.service, env=spec.env, operation=spec.operation)
