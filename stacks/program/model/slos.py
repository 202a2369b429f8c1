"""A service's `slos`: its availability and latency objectives and the alerts on their budgets.

The defaults are where a production API service starts (`components.slos.service_slos` says
why); a dev stack sets lower targets or turns an SLO off with null.
"""

from typing import Annotated, Literal

from pydantic import Field, field_validator

from components.monitors.messages import Severity
from components.monitors.query.vocabulary import PercentileAggregation, SloTarget
from components.monitors.service_monitors import check_role
from components.slos.service_slos import (
    SRE_WORKBOOK_BURN_RATES,
    AvailabilitySloSettings,
    LatencySloSettings,
)
from stacks.program.model.monitors import threshold_problems
from stacks.program.model.types import Model

Percent = Annotated[float, Field(gt=0, lt=100)]


class BurnRateAlertSettings(Model):
    """Alert when the error budget is spent `burnRate` times too fast over both windows."""

    burn_rate: float = Field(gt=0)
    """How many times faster than the timeframe allows, e.g. 14.4; at most 1 / (1 - target)."""
    long_window: str = Field(min_length=1)
    """`<N>h` from 1h to 48h, e.g. 1h."""
    short_window: str = Field(min_length=1)
    """Shorter than longWindow, about a twelfth of it, e.g. 5m."""
    severity: Severity = "high"
    """high pages (the alert handles); low opens a ticket (the warning handles)."""


_DEFAULT_BURN_RATE_ALERTS = {
    role: BurnRateAlertSettings.model_validate(
        {
            "burnRate": alert.burn_rate,
            "longWindow": alert.long_window,
            "shortWindow": alert.short_window,
            "severity": alert.severity,
        }
    )
    for role, alert in SRE_WORKBOOK_BURN_RATES.items()
}


class ErrorBudgetAlertSettings(Model):
    """Alert when a share of the timeframe's error budget is spent."""

    critical: float = Field(75, gt=0)
    """Percent of the budget spent, e.g. 75."""
    warning: float | None = Field(50, gt=0)
    """Percent spent for a warning, below critical; null for none."""
    severity: Severity = "low"
    """high reaches the alert handles; low, the warning handles."""

    def field_problems(self) -> dict[str, str]:
        return threshold_problems(self, ">", {"critical": "critical", "warning": "warning"})


class ObjectiveSettings(Model):
    """What both SLOs have: targets, timeframes and alerts."""

    target: Percent
    """Percent of good requests (or time), e.g. 99.9."""
    warning: Percent | None
    """Percent above the target at which the SLO shows a warning; null for none."""
    timeframe: SloTarget = "30d"
    """7d, 30d or 90d: the primary timeframe, which the alerts and the dashboard use."""
    timeframes: list[SloTarget] = ["7d", "30d", "90d"]
    """Every timeframe the SLO reports on, with the same target; includes timeframe."""
    burn_rate_alerts: dict[str, BurnRateAlertSettings | None] = {}
    """Burn rate alerts by role, merged into the defaults (fast-burn 14.4x over 1h/5m and
    sustained-burn 6x over 6h/30m page; slow-burn 3x over 24h/2h opens a ticket); null removes
    one."""
    error_budget_alert: ErrorBudgetAlertSettings | None = ErrorBudgetAlertSettings()
    """Alert on the share of the budget spent; null for none."""

    @field_validator("burn_rate_alerts")
    @classmethod
    def _stable_roles(
        cls, value: dict[str, BurnRateAlertSettings | None]
    ) -> dict[str, BurnRateAlertSettings | None]:
        for role in value:
            check_role(role)
            if role == "error-budget":
                raise ValueError("error-budget names the error budget alert; choose another role")
        return value

    def alerts(self) -> dict[str, BurnRateAlertSettings]:
        """The burn rate alerts: the defaults with the stack file's changes."""
        merged = {**_DEFAULT_BURN_RATE_ALERTS, **self.burn_rate_alerts}
        return {role: alert for role, alert in merged.items() if alert is not None}

    def field_problems(self) -> dict[str, str]:
        problems = {}
        if self.warning is not None and self.warning <= self.target:
            problems["warning"] = (
                f"must be above the target ({self.target:g}): the warning comes before the "
                "target is missed"
            )
        if self.timeframe not in self.timeframes:
            problems["timeframes"] = f"must include the primary timeframe {self.timeframe}"
        elif len(set(self.timeframes)) != len(self.timeframes):
            problems["timeframes"] = "lists a timeframe twice"
        return problems


_AVAILABILITY = AvailabilitySloSettings()
_LATENCY = LatencySloSettings()


class AvailabilityObjectiveSettings(ObjectiveSettings):
    """Requests that do not fail (ddtrace's `.hits` minus `.errors`) over all requests."""

    target: Percent = _AVAILABILITY.objective.target
    """Percent of requests that must not fail, e.g. 99.9."""
    warning: Percent | None = _AVAILABILITY.objective.warning
    """Percent above the target at which the SLO shows a warning; null for none."""


class LatencyObjectiveSettings(ObjectiveSettings):
    """Time slices in which the latency percentile stays under a threshold."""

    target: Percent = _LATENCY.objective.target
    """Percent of time slices that must be fast enough, e.g. 99."""
    warning: Percent | None = _LATENCY.objective.warning
    """Percent above the target at which the SLO shows a warning; null for none."""
    threshold_seconds: float | None = Field(None, gt=0)
    """A slice is good when the percentile is at most this; the latency monitor's
    criticalSeconds when omitted."""
    percentile: PercentileAggregation | None = None
    """p50 to p99; the latency monitor's percentile when omitted."""
    method: Literal["time-slice", "monitor"] = _LATENCY.method
    """time-slice (default), or monitor: the uptime of the service's latency monitor, which
    must then exist."""
    interval_seconds: Literal[60, 300] = _LATENCY.interval_seconds
    """Length of a time slice: 60 or 300 seconds."""


class SlosSettings(Model):
    """A service's SLOs; null turns one off."""

    availability: AvailabilityObjectiveSettings | None = AvailabilityObjectiveSettings()
    """Requests that do not fail."""
    latency: LatencyObjectiveSettings | None = LatencyObjectiveSettings()
    """Time fast enough, on the percentile the latency monitor watches."""
