"""Datadog service level objectives as pure definitions, validated when made.

An `SloDefinition` is one SLO in the shape the provider takes: what counts as good (its SLI:
good and total events of a metric, a condition on each time slice of a metric, or the uptime of
monitors), the targets per timeframe, and its primary timeframe, which SLO alerts and widgets
use. Like a `MonitorDefinition`, it cannot exist invalid: `validate_slo` (the same check the
offline plan runs on every registered SLO) runs when it is made.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from components.datadog_ids import IdRef
from components.monitors.query.vocabulary import Comparator, SloTarget
from components.problems import Problem, errors
from components.slos.validation import validate_slo

TimeSliceInterval = Literal[60, 300]
"""Seconds per time slice: Datadog cuts the timeseries into 1- or 5-minute slices."""


class SloDefinitionError(ValueError):
    """An SLO Datadog would refuse: why, and the problems by field of the SLO JSON."""

    def __init__(self, slo: str, problems: Sequence[Problem]) -> None:
        super().__init__(f"SLO {slo!r}: " + "; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class SloThreshold:
    timeframe: SloTarget
    target: float
    """Percent of good events or time, in (0, 100), e.g. 99.9."""
    warning: float | None = None
    """Percent above the target (stricter): the SLO shows a warning below it."""

    def to_json(self) -> dict[str, object]:
        threshold: dict[str, object] = {"timeframe": self.timeframe, "target": self.target}
        if self.warning is not None:
            threshold["warning"] = self.warning
        return threshold


@dataclass(frozen=True)
class MetricSli:
    """Good events over total events, each a metric query summed as counts."""

    numerator: str
    denominator: str


@dataclass(frozen=True)
class TimeSliceSli:
    """A condition on a metric per time slice: each slice meeting it counts as uptime."""

    query: str
    """A metric query such as `p95:trace.fastapi.request{env:production,service:api}`."""
    comparator: Comparator
    threshold: float
    interval_seconds: TimeSliceInterval = 300


@dataclass(frozen=True)
class MonitorSli:
    """The uptime of monitors of the same service (`${monitor:<role>}`)."""

    monitors: tuple[IdRef, ...]


Sli = MetricSli | TimeSliceSli | MonitorSli


@dataclass(frozen=True)
class SloDefinition:
    name: str
    description: str
    sli: Sli
    thresholds: tuple[SloThreshold, ...]
    """One per timeframe the SLO reports on."""
    timeframe: SloTarget
    """The primary timeframe, which SLO alerts and widgets use; one of the thresholds'."""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        slo = self.to_api_json()
        # Monitor ids exist only once the monitors do; they are checked in Datadog's form.
        if isinstance(self.sli, MonitorSli):
            slo["monitor_ids"] = [int(ref.stand_in()) for ref in self.sli.monitors]
        problems = errors(validate_slo(slo))
        if problems:
            raise SloDefinitionError(self.name, problems)

    @property
    def type(self) -> str:
        match self.sli:
            case MetricSli():
                return "metric"
            case TimeSliceSli():
                return "time_slice"
            case MonitorSli():
                return "monitor"

    @property
    def primary(self) -> SloThreshold:
        return next(t for t in self.thresholds if t.timeframe == self.timeframe)

    @property
    def timeframes(self) -> tuple[SloTarget, ...]:
        return tuple(threshold.timeframe for threshold in self.thresholds)

    @property
    def max_burn_rate(self) -> float:
        """The highest burn rate that can ever be observed, at 100 % bad events:
        1 / (1 - target); Datadog refuses burn rate alerts above it."""
        return 100 / (100 - self.primary.target)

    @property
    def id_refs(self) -> tuple[IdRef, ...]:
        """The monitors whose ids a monitor-based SLO names."""
        return self.sli.monitors if isinstance(self.sli, MonitorSli) else ()

    def to_api_json(self) -> dict[str, object]:
        """The SLO in the form of Datadog's API (`ServiceLevelObjectiveRequest`); a monitor-based
        SLO names its monitors by placeholder."""
        primary = self.primary
        slo: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "thresholds": [threshold.to_json() for threshold in self.thresholds],
            "timeframe": self.timeframe,
            "target_threshold": primary.target,
            "tags": list(self.tags),
        }
        if primary.warning is not None:
            slo["warning_threshold"] = primary.warning
        match self.sli:
            case MetricSli():
                slo["query"] = {
                    "numerator": self.sli.numerator,
                    "denominator": self.sli.denominator,
                }
            case TimeSliceSli():
                slo["sli_specification"] = {
                    "time_slice": {
                        "comparator": self.sli.comparator,
                        "threshold": self.sli.threshold,
                        "query_interval_seconds": self.sli.interval_seconds,
                        "query": {
                            "formulas": [{"formula": "query1"}],
                            "queries": [
                                {
                                    "data_source": "metrics",
                                    "name": "query1",
                                    "query": self.sli.query,
                                }
                            ],
                        },
                    }
                }
            case MonitorSli():
                slo["monitor_ids"] = [str(ref) for ref in self.sli.monitors]
        return slo
