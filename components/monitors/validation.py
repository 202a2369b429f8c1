"""Offline validation of whole Datadog monitors: type, query, options, and how they agree.

Datadog rejects a monitor whose parts contradict each other (a critical threshold that differs from
the query's, a warning on the wrong side of it, an anomaly monitor without threshold windows), but
only when the provider reaches the API. These rules run on the monitor JSON itself, in either export
format, so `python -m stacks lint-monitors FILE...` can explain the mistake before any plan.

A rule refuses only what Datadog refuses. What it accepts but probably does not do what its author
meant (seasonality on the basic anomaly algorithm) is a warning: reported, failing nothing unless
`lint-monitors --strict`.
"""

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final, TextIO

from components.monitors.query import (
    ERROR_TRACKING_PREFIX,
    METRIC_KINDS,
    MonitorQuery,
    QueryError,
    QueryKind,
    format_number,
    parse_monitor_query,
    parse_window,
)
from components.monitors.query.api_models import FORMULA_DATA_SOURCES, MONITOR_TYPES
from components.problems import Problem, Severity

METRIC_MONITOR_TYPES: Final = ("query alert", "metric alert")
"""`metric alert` is the legacy name; Datadog stores both as metric monitors."""

EVENT_SEARCH_MONITOR_TYPES: Final = {
    "logs": "log alert",
    "events": "event-v2 alert",
    "audits": "audit alert",
    "ci-pipelines": "ci-pipelines alert",
    "ci-tests": "ci-tests alert",
    "trace-analytics": "trace-analytics alert",
    "rum": "rum alert",
}
"""The monitor type each `source("...")` search needs (error-tracking-* sources aside)."""

FORMULA_SOURCE_MONITOR_TYPES: Final = {
    "logs": "log alert",
    "events": "event-v2 alert",
    "audit": "audit alert",
    "ci_pipelines": "ci-pipelines alert",
    "ci_tests": "ci-tests alert",
    "spans": "trace-analytics alert",
    "rum": "rum alert",
    # The API reference's monitor types: "database-monitoring: database-monitoring alert",
    # "network-performance: ...", "network-path: ..." (create_monitor's docstring in
    # datadog-api-client 2.62, v1/api/monitors_api.py); its examples pair cloud_cost with a cost
    # alert and data_quality_metrics with a data-quality alert (examples/v1/monitors).
    "database_queries": "database-monitoring alert",
    "network": "network-performance alert",
    "network_path": "network-path alert",
    "cloud_cost": "cost alert",
    "data_quality_metrics": "data-quality alert",
}
"""The monitor type a formula needs, by the `data_source` of its `options.variables`. The other
sources of Datadog's models (FORMULA_DATA_SOURCES: metrics, aggregate queries, ...) are accepted
without judging the type."""

_KIND_MONITOR_TYPES: Final = {  # also the kinds that take no on_missing_data
    QueryKind.SERVICE_CHECK: ("service check",),
    QueryKind.SLO: ("slo alert",),
    QueryKind.COMPOSITE: ("composite",),
}
_THRESHOLD_KEYS: Final = ("critical", "warning", "critical_recovery", "warning_recovery")
_SERVICE_CHECK_THRESHOLD_KEYS: Final = ("ok", "unknown")
_SIDE_OF_CRITICAL: Final = {">": "below", ">=": "below", "<": "above", "<=": "above"}
"""Where warnings and recoveries sit for each comparator; == and != have no sides."""
_PRIORITIES: Final = range(1, 6)
_EVALUATION_DELAYS: Final = range(86401)


def validate_monitor(monitor: Mapping[str, object]) -> list[Problem]:
    """Every problem with one monitor in the flat API form: errors where Datadog would refuse it,
    warnings where it would accept what probably does not do what was meant."""
    monitor_type = monitor.get("type")
    raw_options = monitor.get("options")
    options: Mapping[str, object] = raw_options if isinstance(raw_options, Mapping) else {}
    problems = [*_check_type_name(monitor_type), *_check_priority(monitor.get("priority"))]
    if raw_options is not None and not isinstance(raw_options, Mapping):
        problems.append(Problem("options", "must be an object"))
    problems.extend(_check_option_dependencies(options))

    query_text = monitor.get("query")
    if not isinstance(query_text, str):
        return [*problems, Problem("query", "required: the monitor query as a string")]
    try:
        query = parse_monitor_query(query_text)
    except QueryError as error:
        return [*problems, Problem("query", str(error))]
    problems.extend(Problem("query", str(warning), Severity.WARNING) for warning in query.warnings)
    if isinstance(monitor_type, str) and monitor_type in MONITOR_TYPES:
        problems.extend(_check_type_matches_query(monitor_type, query, options))
    problems.extend(_check_thresholds(query, options))
    problems.extend(_check_threshold_windows(query, options))
    problems.extend(_check_notify_by(query, options))
    problems.extend(_check_formula_variables(query, options))
    problems.extend(_check_missing_data(query, options))
    return problems


def monitor_file(path: Path) -> tuple[int, list[Problem]]:
    """How many monitors a JSON file holds, and their problems. The file is one monitor (flat,
    or a `version: 2` export with `definition`) or a list of them, as `GET /api/v1/monitor`
    returns; a listed monitor's problems are at `[index].field`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return 0, [Problem("file", f"cannot read: {error.strerror or error}")]
    except UnicodeDecodeError as error:
        return 0, [Problem("file", f"cannot read as UTF-8: {error.reason}")]
    except json.JSONDecodeError as error:
        reason = f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        return 0, [Problem("file", reason)]
    if not isinstance(document, list):
        return 1, _document_problems(document)
    problems = [
        replace(problem, path=f"[{index}].{problem.path}" if problem.path else f"[{index}]")
        for index, item in enumerate(document)
        for problem in _document_problems(item)
    ]
    return len(document), problems


def _document_problems(document: object) -> list[Problem]:
    if not isinstance(document, dict):
        return [
            Problem(
                "file",
                "expected a JSON object (a monitor, or an export with 'definition') or a list "
                "of them",
            )
        ]
    monitor = document.get("definition", document)
    if not isinstance(monitor, dict):
        return [Problem("definition", "must be an object: the monitor of a version 2 export")]
    return validate_monitor(monitor)


def lint_monitor_files(
    paths: Iterable[str | Path], out: TextIO | None = None, *, strict: bool = False
) -> int:
    """Print each problem as `FILE: field: reason` (`FILE: field: warning: reason` for a
    warning), then what was checked; exit status 1 when there are errors, or warnings and
    `strict`, 0 otherwise."""
    stream = sys.stdout if out is None else out
    files = [Path(path) for path in paths]
    if not files:
        # An empty file list usually means a glob that matched nothing: a lint that checked
        # nothing must not pass.
        print("lint-monitors: no monitor files given", file=stream)
        return 1
    monitors = errors = warnings = 0
    for path in files:
        count, problems = monitor_file(path)
        monitors += count
        for problem in problems:
            errors += problem.is_error
            warnings += not problem.is_error
            print(f"{path}: {problem}", file=stream)
    checked = f"{_count(monitors, 'monitor')} in {_count(len(files), 'file')}"
    verdict = _count(errors, "problem") if errors else "no problems"
    if warnings:
        verdict += ", " + _count(warnings, "warning")
    print(f"lint-monitors: {checked}: {verdict}", file=stream)
    return 1 if errors or (strict and warnings) else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _check_type_name(monitor_type: object) -> Iterator[Problem]:
    if not isinstance(monitor_type, str):
        yield Problem("type", "required: a Datadog monitor type such as 'query alert'")
    elif monitor_type not in MONITOR_TYPES:
        yield Problem(
            "type",
            f"unknown monitor type {monitor_type!r} (expected one of "
            + ", ".join(sorted(MONITOR_TYPES))
            + ")",
        )


def _check_priority(priority: object) -> Iterator[Problem]:
    # pulumi-datadog takes the priority as a string, the API as a number: accept both spellings.
    spelled = (
        str(priority) if isinstance(priority, int | str) and not isinstance(priority, bool) else ""
    )
    if priority is not None and not (spelled.isdigit() and int(spelled) in _PRIORITIES):
        yield Problem("priority", f"must be 1 (highest) to 5, got {priority!r}")


def _check_option_dependencies(options: Mapping[str, object]) -> Iterator[Problem]:
    if options.get("no_data_timeframe") is not None and options.get("notify_no_data") is not True:
        yield Problem("options.no_data_timeframe", "only applies with notify_no_data: true")
    # Any monitor may delay its evaluation: the API's MonitorOptions ties evaluation_delay to no
    # type, and the log and anomaly monitor pages list it among their advanced options
    # (DataDog/documentation, content/en/monitors/types/log.md). Its bounds are in
    # content/en/monitors/configuration/_index.md, "Evaluation delay".
    delay = options.get("evaluation_delay")
    if delay is not None and not (
        isinstance(delay, int) and not isinstance(delay, bool) and delay in _EVALUATION_DELAYS
    ):
        yield Problem(
            "options.evaluation_delay",
            f"must be a whole number of seconds from 0 to 86400 (a day), got {delay!r}",
        )


def _variables(options: Mapping[str, object]) -> list[Mapping[str, object]]:
    variables = options.get("variables")
    if not isinstance(variables, list):
        return []
    return [variable for variable in variables if isinstance(variable, Mapping)]


def _check_type_matches_query(
    monitor_type: str, query: MonitorQuery, options: Mapping[str, object]
) -> Iterator[Problem]:
    if query.kind is QueryKind.FORMULA:
        expected, problems = _formula_monitor_types(options)
        yield from problems
    else:
        expected = _monitor_types_for(query)
    if expected and monitor_type not in expected:
        yield Problem(
            "type",
            f"{monitor_type!r} does not match the query, which needs "
            + " or ".join(repr(name) for name in expected),
        )


def _monitor_types_for(query: MonitorQuery) -> tuple[str, ...]:
    if query.kind in METRIC_KINDS:
        return METRIC_MONITOR_TYPES
    if query.kind is QueryKind.EVENT_SEARCH:
        source = query.data_source or ""
        if source.startswith(ERROR_TRACKING_PREFIX):
            return ("error-tracking alert",)
        return (EVENT_SEARCH_MONITOR_TYPES[source],)
    return _KIND_MONITOR_TYPES.get(query.kind, ())


def _formula_monitor_types(
    options: Mapping[str, object],
) -> tuple[tuple[str, ...], list[Problem]]:
    """The type a formula needs follows the data source of its variables."""
    expected: list[str] = []
    problems: list[Problem] = []
    for index, variable in enumerate(_variables(options)):
        source = variable.get("data_source")
        if not isinstance(source, str) or source not in FORMULA_DATA_SOURCES:
            problems.append(
                Problem(
                    f"options.variables[{index}].data_source",
                    f"unknown data source {source!r} (expected "
                    + ", ".join(sorted(FORMULA_DATA_SOURCES))
                    + ")",
                )
            )
        elif source in FORMULA_SOURCE_MONITOR_TYPES:
            expected.append(FORMULA_SOURCE_MONITOR_TYPES[source])
    return tuple(dict.fromkeys(expected)), problems


def _check_missing_data(query: MonitorQuery, options: Mapping[str, object]) -> Iterator[Problem]:
    if options.get("on_missing_data") is not None and query.kind in _KIND_MONITOR_TYPES:
        yield Problem(
            "options.on_missing_data",
            "does not apply to service checks, composites or SLO alerts",
        )


def _check_thresholds(query: MonitorQuery, options: Mapping[str, object]) -> Iterator[Problem]:
    thresholds = options.get("thresholds")
    if thresholds is None:
        return
    if not isinstance(thresholds, Mapping):
        yield Problem("options.thresholds", "must be an object")
        return
    values: dict[str, float] = {}
    for key in (*_THRESHOLD_KEYS, *_SERVICE_CHECK_THRESHOLD_KEYS):
        value = thresholds.get(key)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            yield Problem(f"options.thresholds.{key}", f"must be a number, got {value!r}")
        elif key in _SERVICE_CHECK_THRESHOLD_KEYS and query.kind is not QueryKind.SERVICE_CHECK:
            yield Problem(f"options.thresholds.{key}", "only applies to service checks")
        else:
            values[key] = float(value)
    if query.threshold is None or query.comparator is None:
        return
    critical = values.get("critical")
    if critical is not None and critical != query.threshold:
        yield Problem(
            "options.thresholds.critical",
            f"{format_number(critical)} does not match the threshold in the query "
            f"({format_number(query.threshold)})",
        )
    for problem in threshold_order_problems(
        query.comparator, {**values, "critical": query.threshold}
    ):
        yield Problem(f"options.thresholds.{problem.path}", problem.reason)


def threshold_order_problems(
    comparator: str, thresholds: Mapping[str, float | None]
) -> list[Problem]:
    """Warnings and recoveries on the recovering side of what they refer to, for `comparator`.

    `thresholds` holds `critical` and any of `warning`, `critical_recovery`, `warning_recovery`;
    each problem's path is the name of the threshold at fault. The stack model checks its
    thresholds with this at their own keys, and whole monitors are checked with it too.
    """
    side = _SIDE_OF_CRITICAL.get(comparator)
    critical = thresholds.get("critical")
    if side is None or critical is None:
        return []
    problems = []
    # A recovery may equal its threshold: for `>` the monitor recovers at or below the recovery
    # threshold (DataDog/documentation, content/en/monitors/guide/recovery-thresholds.md), so only
    # one beyond it would let the monitor alert and recover at once, which Datadog refuses ("alert
    # and alert recovery criteria are such that the monitor can be simultaneously in alert and
    # alert recovery states", DataDog/datadog-api-client-typescript#754).
    references = (
        ("warning", "critical", critical, False),
        ("critical_recovery", "critical", critical, True),
        ("warning_recovery", "warning", thresholds.get("warning"), True),
    )
    for key, reference_name, reference, may_equal in references:
        value = thresholds.get(key)
        if value is None:
            continue
        if reference is None:
            problems.append(Problem(key, f"needs a {reference_name} threshold"))
            continue
        beyond = (value > reference) if side == "below" else (value < reference)
        if beyond or (value == reference and not may_equal):
            where = f"at or {side}" if may_equal else side
            problems.append(
                Problem(
                    key,
                    f"must be {where} {reference_name} ({format_number(reference)}) "
                    f"for comparator '{comparator}', got {format_number(value)}",
                )
            )
    return problems


def _check_threshold_windows(
    query: MonitorQuery, options: Mapping[str, object]
) -> Iterator[Problem]:
    windows = options.get("threshold_windows")
    if query.anomaly is None:
        if windows is not None:
            yield Problem("options.threshold_windows", "only applies to anomaly monitors")
        return
    alert_window = query.anomaly.alert_window.text
    if not isinstance(windows, Mapping):
        yield Problem(
            "options.threshold_windows",
            f"required for anomaly monitors: trigger_window '{alert_window}' (the query's "
            "alert_window) and a recovery_window",
        )
        return
    trigger = windows.get("trigger_window")
    if trigger != alert_window:
        yield Problem(
            "options.threshold_windows.trigger_window",
            f"must equal the query's alert_window ('{alert_window}'), got {trigger!r}",
        )
    recovery = windows.get("recovery_window")
    if not isinstance(recovery, str):
        yield Problem(
            "options.threshold_windows.recovery_window",
            "required for anomaly monitors, e.g. 'last_15m'",
        )
        return
    try:
        parse_window(recovery)
    except QueryError as error:
        yield Problem("options.threshold_windows.recovery_window", error.reason)


def _group_by_keys(query: MonitorQuery, options: Mapping[str, object]) -> list[str]:
    if query.kind is not QueryKind.FORMULA:
        return list(query.group_by)
    # A formula groups by the facets of its variables.
    facets: list[str] = []
    for variable in _variables(options):
        group_by = variable.get("group_by")
        for group in group_by if isinstance(group_by, list) else []:
            facet = group.get("facet") if isinstance(group, Mapping) else None
            if isinstance(facet, str) and facet not in facets:
                facets.append(facet)
    return facets


def _check_notify_by(query: MonitorQuery, options: Mapping[str, object]) -> Iterator[Problem]:
    notify_by = options.get("notify_by")
    if notify_by is None or notify_by == ["*"]:
        return
    if not isinstance(notify_by, list) or not all(isinstance(key, str) for key in notify_by):
        yield Problem("options.notify_by", 'must be a list of group-by keys, or ["*"]')
        return
    for reason in notify_by_problems(notify_by, _group_by_keys(query, options)):
        yield Problem("options.notify_by", reason)


def notify_by_problems(notify_by: Sequence[str], group_keys: Sequence[str]) -> list[str]:
    """Why `notify_by` does not split the notifications of a query grouped by `group_keys`:
    each entry must be one of them, or `*` alone."""
    if list(notify_by) == ["*"]:
        return []
    available = "group-by: " + ", ".join(group_keys) if group_keys else "the query has no group-by"
    return [
        "'*' must be the only entry"
        if key == "*"
        else f"{key!r} is not a group-by key of the query ({available})"
        for key in notify_by
        if key == "*" or key not in group_keys
    ]


def _check_formula_variables(
    query: MonitorQuery, options: Mapping[str, object]
) -> Iterator[Problem]:
    if query.kind is not QueryKind.FORMULA:
        return
    variables = _variables(options)
    if not variables:
        yield Problem(
            "options.variables", "required for formula queries: one query per formula name"
        )
        return
    declared = {variable.get("name") for variable in variables}
    for name in query.variables:
        if name not in declared:
            yield Problem(
                "options.variables", f"the formula uses {name!r} but no variable has that name"
            )
