"""What a parsed query tells the monitor validator."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from components.monitors.query.scanner import QueryWarning
from components.monitors.query.windows import Window


class QueryKind(StrEnum):
    METRIC = "metric"
    CHANGE = "change"
    ANOMALY = "anomaly"
    FORECAST = "forecast"
    OUTLIER = "outlier"
    EVENT_SEARCH = "event_search"
    FORMULA = "formula"
    SERVICE_CHECK = "service_check"
    SLO = "slo"
    COMPOSITE = "composite"


METRIC_KINDS: Final = frozenset(
    {QueryKind.METRIC, QueryKind.CHANGE, QueryKind.ANOMALY, QueryKind.FORECAST, QueryKind.OUTLIER}
)
"""Kinds written as TIME_AGGR(WINDOW):EXPRESSION, the `query alert` family."""


@dataclass(frozen=True)
class AnomalyParams:
    algorithm: str
    """basic, agile or robust."""
    bounds: float
    """Width of the expected band, in deviations."""
    alert_window: Window
    """Recent window that must be anomalous; the monitor's trigger_window repeats it."""
    direction: str | None = None
    interval: int | None = None
    """Seconds between evaluated points."""
    count_default_zero: bool | None = None
    seasonality: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class SloAlertTarget:
    """The SLO an SLO alert watches, and how."""

    function: str
    """burn_rate or error_budget."""
    slo_id: str


@dataclass(frozen=True)
class MonitorQuery:
    kind: QueryKind
    comparator: str | None
    """None for service checks and composites, which carry no threshold in the query."""
    threshold: float | None
    group_by: tuple[str, ...] = ()
    windows: tuple[Window, ...] = ()
    """The evaluation window first, then any others (change comparison, anomaly alert window)."""
    time_aggregator: str | None = None
    data_source: str | None = None
    """For event searches: logs, events, rum, ..."""
    anomaly: AnomalyParams | None = None
    variables: tuple[str, ...] = ()
    """Variable names a formula refers to."""
    monitor_ids: tuple[int, ...] = ()
    """Monitors a composite combines."""
    slo: SloAlertTarget | None = None
    """The SLO of an SLO alert; its windows are `.over()` first."""
    warnings: tuple[QueryWarning, ...] = ()
    """What Datadog accepts in the query but probably does not do what its author meant."""


def format_number(value: float) -> str:
    """A number as Datadog writes it in a query: `10`, not `10.0`; `0.05` stays `0.05`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
