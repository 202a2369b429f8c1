"""The `query alert` family: a time aggregation, then a metric expression and a threshold.

    metric monitor  = time spec ":" metric expression condition [ group by ] ;
    time spec       = time aggregation "(" window ")"
                    | change function "(" time aggregation "(" window ")" "," window ")" ;
    time aggregation = "avg" | "sum" | "min" | "max" | "percentile" ;
    change function = "change" | "pct_change" ;
    window          = metric window | change window | anomaly window | forecast window ;
                                                                    (* windows.py *)

`metric expression` and `group by` are in expressions.py and metric_query.py; the group-by after
the condition is the older form Datadog still accepts. The kind follows the expression: an
algorithm call wrapping all of it makes an anomaly, forecast or outlier monitor (never a change
one), and then:
- forecast needs a forecast window (`next_1w`), every other kind a `last_` window;
- anomalies() needs alert_window, and its threshold is a fraction in (0, 1];
- percentile() needs a percentile space aggregator (p95) on every metric query.
"""

import re
from dataclasses import dataclass

from components.monitors.query.algorithms import AlgorithmCall, anomaly_params
from components.monitors.query.expressions import ExpressionFacts, parse_metric_expression
from components.monitors.query.metric_query import BY, PERCENTILE_AGGREGATOR, parse_group_keys
from components.monitors.query.result import MonitorQuery, QueryKind, format_number
from components.monitors.query.scanner import IDENTIFIER, QueryError, Scanner, Text, join
from components.monitors.query.vocabulary import CHANGE_FUNCTIONS, TIME_AGGREGATIONS
from components.monitors.query.windows import (
    ANOMALY_WINDOW,
    CHANGE_WINDOW,
    FORECAST_WINDOW,
    METRIC_WINDOW,
    Window,
    read_window_token,
)


@dataclass(frozen=True)
class _TimeSpec:
    """`avg(last_5m)` or `change(avg(last_5m),last_5m)` before the colon."""

    aggregator: str
    changed: bool
    windows: tuple[Text, ...]


def parse_metric_monitor(scanner: Scanner, leading: re.Match[str]) -> MonitorQuery:
    """The monitor whose first word, `leading`, has been read."""
    time_spec = _parse_time_spec(scanner, leading)
    facts = ExpressionFacts()
    algorithm = _whole_query_algorithm(scanner, facts, parse_metric_expression(scanner, facts))
    if time_spec.aggregator == "percentile":
        _check_percentile_aggregators(scanner, facts)
    condition = scanner.read_condition()
    if scanner.match(BY):
        facts.add_group_by(parse_group_keys(scanner))
    scanner.expect_end("the threshold")

    kind = QueryKind.CHANGE if time_spec.changed else QueryKind.METRIC
    if algorithm is not None:
        if time_spec.changed:
            raise scanner.error(
                f"{algorithm.name}() cannot be used in a {leading.group()} alert", algorithm.start
            )
        kind = algorithm.kind
    windows = _check_time_windows(scanner.query, kind, time_spec.windows)
    anomaly = None
    if kind is QueryKind.ANOMALY and algorithm is not None:
        anomaly = anomaly_params(scanner, algorithm)
        windows.append(anomaly.alert_window)
        if not 0 < condition.value <= 1:
            raise scanner.error(
                "anomaly threshold must be a fraction in (0, 1], got "
                + format_number(condition.value),
                condition.threshold.start,
                condition.threshold.end,
            )
    return MonitorQuery(
        kind=kind,
        comparator=condition.comparator,
        threshold=condition.value,
        group_by=tuple(facts.group_by),
        windows=tuple(windows),
        time_aggregator=time_spec.aggregator,
        anomaly=anomaly,
    )


def _parse_time_spec(scanner: Scanner, leading: re.Match[str]) -> _TimeSpec:
    changed = leading.group() in CHANGE_FUNCTIONS
    scanner.expect("(", f"after {leading.group()}")
    aggregator = scanner.match(IDENTIFIER) if changed else leading
    if aggregator is None:
        raise scanner.error(f"expected a time aggregation inside {leading.group()}(...)")
    if changed:
        scanner.expect("(", f"after {aggregator.group()}")
    if aggregator.group() not in TIME_AGGREGATIONS:
        raise scanner.error(
            f"unknown time aggregator {aggregator.group()!r} (expected "
            f"{join(TIME_AGGREGATIONS)}; change and pct_change wrap one for change alerts)",
            aggregator.start(),
            aggregator.end(),
        )
    windows = [read_window_token(scanner)]
    scanner.expect(")", "after the window")
    if changed:
        scanner.expect(",", "then the window to compare with, e.g. change(avg(last_5m),last_5m)")
        windows.append(read_window_token(scanner))
        scanner.expect(")", f"to close {leading.group()}(...)")
    scanner.expect(":", "after the time aggregation, e.g. avg(last_5m):")
    return _TimeSpec(aggregator.group(), changed, tuple(windows))


def _check_time_windows(query: str, kind: QueryKind, written: tuple[Text, ...]) -> list[Window]:
    forward = written[0].text.startswith("next_")
    if kind is QueryKind.FORECAST and not forward:
        raise QueryError(
            "forecast() needs a next_<N> window such as next_1w",
            query,
            written[0].start,
            written[0].end,
        )
    if kind is not QueryKind.FORECAST and forward:
        raise QueryError(
            "next_ windows only apply to forecast() queries",
            query,
            written[0].start,
            written[0].end,
        )
    rule = {
        QueryKind.FORECAST: FORECAST_WINDOW,
        QueryKind.ANOMALY: ANOMALY_WINDOW,
        QueryKind.CHANGE: CHANGE_WINDOW,
        QueryKind.OUTLIER: CHANGE_WINDOW,
    }.get(kind, METRIC_WINDOW)
    return [rule.check(query, window) for window in written]


def _whole_query_algorithm(
    scanner: Scanner, facts: ExpressionFacts, whole: AlgorithmCall | None
) -> AlgorithmCall | None:
    if not facts.algorithm_calls:
        return None
    call = facts.algorithm_calls[0]
    if whole is not call or len(facts.algorithm_calls) > 1:
        raise scanner.error(f"{call.name}() must wrap the whole query, not part of it", call.start)
    return call


def _check_percentile_aggregators(scanner: Scanner, facts: ExpressionFacts) -> None:
    for query in facts.metric_queries:
        aggregator = query.space_aggregator
        if aggregator is None or not PERCENTILE_AGGREGATOR.fullmatch(aggregator.text):
            at_fault = query.metric if aggregator is None else aggregator
            raise scanner.error(
                "percentile() needs a percentile space aggregator on a distribution metric,"
                " e.g. percentile(last_5m):p95:trace.http.request{*}",
                at_fault.start,
                at_fault.end,
            )
