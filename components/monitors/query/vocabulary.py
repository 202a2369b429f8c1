"""Every closed word list of the monitor query grammar that Datadog's API models do not hold,
each a `Literal` written once (the lists the models hold are in api_models.py).

The builders in `definitions.py` and the stack model type their fields with these Literals; the
parser reads the same words back through `typing.get_args`, so the two cannot drift apart. Where a
builder offers fewer words than Datadog accepts (percentiles), the wider list is built from the
narrower one or checked against it.
"""

from typing import Final, Literal, get_args

Comparator = Literal[">", ">=", "<", "<=", "==", "!="]
# Longest first, so that `>=` is never read as `>` followed by a stray `=`.
COMPARATORS: Final[tuple[Comparator, ...]] = tuple(
    sorted(get_args(Comparator), key=len, reverse=True)
)

# --- Metric queries -------------------------------------------------------------------------------

Aggregation = Literal["avg", "sum", "min", "max"]
"""What the builders aggregate with, over time and across series."""
PercentileAggregation = Literal["p50", "p75", "p90", "p95", "p99"]
"""The percentiles the builders offer; the parser accepts any pNN on a distribution metric."""
TimeAggregation = Literal[Aggregation, "percentile"]
TIME_AGGREGATIONS: Final = get_args(TimeAggregation)
SpaceAggregation = Literal[Aggregation, "count"]
SPACE_AGGREGATIONS: Final = get_args(SpaceAggregation)
ChangeFunction = Literal["change", "pct_change"]
CHANGE_FUNCTIONS: Final = get_args(ChangeFunction)
MetricRollup = SpaceAggregation
"""`.rollup(sum, 60)` takes the space aggregations' words."""
METRIC_ROLLUPS: Final = get_args(MetricRollup)
FillMode = Literal["null", "zero", "linear", "last"]
FILL_MODES: Final = get_args(FillMode)
ArgumentlessMetricMethod = Literal["as_count", "as_rate", "weighted"]
ARGUMENTLESS_METRIC_METHODS: Final = get_args(ArgumentlessMetricMethod)
MetricFunction = Literal[
    "abs", "log2", "log10", "cumsum", "integral", "default_zero", "exclude_null",
    "hour_before", "day_before", "week_before", "month_before", "timeshift", "calendar_shift",
    "per_second", "per_minute", "per_hour", "dt", "diff", "derivative", "monotonic_diff",
    "ewma_3", "ewma_5", "ewma_7", "ewma_10", "ewma_20",
    "median_3", "median_5", "median_7", "median_9", "autosmooth", "moving_rollup",
    "top", "top_offset", "count_nonzero", "count_not_null",
    "robust_trend", "trend_line", "piecewise_constant",
    "clamp_min", "clamp_max", "cutoff_min", "cutoff_max",
]  # fmt: skip
METRIC_FUNCTIONS: Final = frozenset(get_args(MetricFunction))

# --- Algorithms wrapped around a metric query -----------------------------------------------------

AnomalyAlgorithm = Literal["basic", "agile", "robust"]
ANOMALY_ALGORITHMS: Final = get_args(AnomalyAlgorithm)
SeasonalAlgorithm = Literal["agile", "robust"]
"""The anomaly algorithms that model seasonality; basic ignores seasonality and timezone."""
SEASONAL_ALGORITHMS: Final = get_args(SeasonalAlgorithm)
AnomalyDirection = Literal["above", "below", "both"]
ANOMALY_DIRECTIONS: Final = get_args(AnomalyDirection)
Seasonality = Literal["hourly", "daily", "weekly"]
SEASONALITIES: Final = get_args(Seasonality)
AnomalyOption = Literal[
    "alert_window", "count_default_zero", "direction", "interval", "seasonality", "timezone"
]
ANOMALY_OPTIONS: Final = get_args(AnomalyOption)
ForecastAlgorithm = Literal["linear", "seasonal"]
FORECAST_ALGORITHMS: Final = get_args(ForecastAlgorithm)
ForecastOption = Literal["history", "interval", "model", "seasonality", "timezone"]
FORECAST_OPTIONS: Final = get_args(ForecastOption)
OutlierAlgorithm = Literal["dbscan", "mad", "scaleddbscan", "scaledmad"]
OUTLIER_ALGORITHMS: Final = get_args(OutlierAlgorithm)

# --- Event searches -------------------------------------------------------------------------------

EventSource = Literal[
    "logs", "events", "audits", "ci-pipelines", "ci-tests", "trace-analytics", "rum"
]
"""Sources of `source("...").rollup(..).last(..)`; `error-tracking-*` sources also qualify."""
EVENT_SEARCH_SOURCES: Final = frozenset(get_args(EventSource))
LogPercentile = Literal["pc75", "pc90", "pc95", "pc99"]
LogAggregation = Literal[
    "count", "cardinality", "avg", "sum", "min", "max", "median", LogPercentile
]
"""The rollups the log builders write; an event search takes any of api_models'
EVENT_AGGREGATIONS."""

# --- Windows --------------------------------------------------------------------------------------

LastUnit = Literal["m", "h", "d", "w", "mo"]
"""Units of `last_<N><unit>`, the windows of metric queries."""
LAST_UNITS: Final = get_args(LastUnit)
ForecastUnit = Literal["h", "d", "w", "mo"]
"""Units of `next_<N><unit>`, how far a forecast looks ahead."""
FORECAST_UNITS: Final = get_args(ForecastUnit)
SearchUnit = Literal["m", "h", "d"]
"""Units of `.last("<N><unit>")` in event searches, formulas and SLO alerts."""
SEARCH_UNITS: Final = get_args(SearchUnit)
SloTarget = Literal["7d", "30d", "90d"]
"""The SLO target windows an SLO alert's `.over()` may name."""
SLO_TARGETS: Final = get_args(SloTarget)
