"""What Datadog refuses in an SLO, beyond the shape its API models check.

Read from Datadog's SLO pages and API reference: targets are percentages strictly between 0 and
100; a warning must be greater than its target; the primary `timeframe` is one of the thresholds'
and `target_threshold` / `warning_threshold` repeat its values; a metric SLO's numerator and
denominator are metric queries, a time-slice SLO's query names its queries in one formula and
compares each 1- or 5-minute slice with a threshold (`SLOTimeSliceQuery` in datadog-api-client:
"exactly one formula"). The queries are parsed with the monitors'
metric grammar. The shape (field types, enums such as the timeframes) is the API model's to
check: `stacks.validation.slos` runs both on every registered SLO.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Final

from components.monitors.query import (
    QueryError,
    formula_variables,
    parse_metric_expression_text,
)
from components.monitors.query.vocabulary import COMPARATORS
from components.problems import Problem

_TIME_SLICE_INTERVALS: Final = (60, 300)


def validate_slo(slo: Mapping[str, Any]) -> list[Problem]:
    """Every problem of an SLO in the API's JSON form; empty when Datadog would take it."""
    problems = _threshold_problems(slo)
    match slo.get("type"):
        case "metric":
            query = slo.get("query")
            if not isinstance(query, Mapping):
                problems.append(Problem("query", "a metric SLO needs numerator and denominator"))
            else:
                for part in ("numerator", "denominator"):
                    problems += _query_problems(f"query.{part}", query.get(part))
        case "time_slice":
            problems += _time_slice_problems(slo.get("sli_specification"))
        case "monitor":
            if not slo.get("monitor_ids"):
                problems.append(Problem("monitor_ids", "a monitor-based SLO needs a monitor"))
        case other:
            problems.append(
                Problem("type", f"unknown SLO type {other!r}; expected metric, time_slice, monitor")
            )
    return problems


def _threshold_problems(slo: Mapping[str, Any]) -> list[Problem]:
    thresholds = slo.get("thresholds")
    if not isinstance(thresholds, Sequence) or not thresholds:
        return [Problem("thresholds", "an SLO needs at least one target")]
    problems = []
    seen: dict[str, int] = {}
    for index, threshold in enumerate(thresholds):
        path = f"thresholds[{index}]"
        timeframe = threshold.get("timeframe")
        if timeframe in seen:
            problems.append(
                Problem(
                    f"{path}.timeframe",
                    f"{timeframe} has a target already (thresholds[{seen[timeframe]}])",
                )
            )
        seen.setdefault(timeframe, index)
        target, warning = threshold.get("target"), threshold.get("warning")
        if not _percentage(target):
            problems.append(Problem(f"{path}.target", f"must be between 0 and 100, got {target!r}"))
        if warning is not None:
            if not _percentage(warning):
                problems.append(
                    Problem(f"{path}.warning", f"must be between 0 and 100, got {warning!r}")
                )
            elif _percentage(target) and warning <= target:
                problems.append(
                    Problem(
                        f"{path}.warning",
                        f"must be greater than the target ({target:g}): the warning comes "
                        "before the target is missed",
                    )
                )
    primary = slo.get("timeframe")
    if primary not in seen:
        problems.append(
            Problem(
                "timeframe",
                f"{primary!r} has no threshold; the thresholds cover {', '.join(map(str, seen))}",
            )
        )
        return problems
    chosen = thresholds[seen[primary]]
    for field, key in (("target_threshold", "target"), ("warning_threshold", "warning")):
        if field in slo and slo[field] != chosen.get(key):
            problems.append(
                Problem(field, f"must equal the {primary} threshold's {key} ({chosen.get(key)!r})")
            )
    return problems


def _time_slice_problems(specification: Any) -> list[Problem]:
    path = "sli_specification.time_slice"
    time_slice = specification.get("time_slice") if isinstance(specification, Mapping) else None
    if not isinstance(time_slice, Mapping):
        return [Problem(path, "a time-slice SLO needs its time_slice specification")]
    problems = []
    if time_slice.get("comparator") not in COMPARATORS:
        problems.append(Problem(f"{path}.comparator", f"must be one of {', '.join(COMPARATORS)}"))
    if time_slice.get("query_interval_seconds", 300) not in _TIME_SLICE_INTERVALS:
        problems.append(
            Problem(f"{path}.query_interval_seconds", "time slices are 60 or 300 seconds long")
        )
    query = time_slice.get("query") or {}
    names = []
    for index, named in enumerate(query.get("queries") or []):
        names.append(named.get("name"))
        problems += _query_problems(f"{path}.query.queries[{index}].query", named.get("query"))
    formulas = query.get("formulas") or []
    if len(formulas) != 1:
        # SLOTimeSliceQuery: "exactly one formula, as only a single formula may be used".
        problems.append(Problem(f"{path}.query.formulas", "a time-slice SLO has one formula"))
        return problems
    formula_path = f"{path}.query.formulas[0].formula"
    try:
        used = formula_variables(str(formulas[0].get("formula")))
    except QueryError as error:
        return [*problems, Problem(formula_path, str(error))]
    problems += [
        Problem(formula_path, f"names {name!r}, which is not one of the queries")
        for name in used
        if name not in names
    ]
    return problems


def _query_problems(path: str, query: Any) -> list[Problem]:
    if not isinstance(query, str):
        return [Problem(path, "missing metric query")]
    try:
        parse_metric_expression_text(query)
    except QueryError as error:
        return [Problem(path, str(error))]
    return []


def _percentage(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 100
