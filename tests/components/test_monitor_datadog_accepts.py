"""What Datadog accepts is accepted, what it accepts but ignores is a warning, and what it refuses
stays refused: class by class, the monitors the validator used to refuse (issue 15)."""

from typing import Any

import pytest
from datadog_api_client.v1.model.monitor_formula_and_function_events_data_source import (
    MonitorFormulaAndFunctionEventsDataSource,
)
from datadog_api_client.v1.model.monitor_type import MonitorType

from components.monitors.query import QueryKind, Window, parse_monitor_query
from components.monitors.query.api_models import (
    EVENT_AGGREGATIONS,
    FORMULA_DATA_SOURCES,
    MONITOR_TYPES,
)
from components.monitors.validation import FORMULA_SOURCE_MONITOR_TYPES, validate_monitor
from components.problems import Problem, Severity
from tests.components.query_errors import query_error

# --- Lower-case boolean operators in tag filters --------------------------------------------------
# DataDog/documentation, content/en/metrics/advanced-filtering.md: `NOT`, `not`, `AND`, `and`,
# `OR`, `or`, `IN`, `in`, `NOT IN`, `not in`.


@pytest.mark.parametrize(
    "tags",
    [
        "phase:a or phase:b",
        "env:prod and not host:a",
        "env:prod and location not in (atlanta,seattle)",
        "availability-zone in (us-east-1a, us-east-1b)",
        "env:staging and (zone:a or zone:c)",
    ],
)
def test_lower_case_boolean_operators_are_accepted(tags: str) -> None:
    parsed = parse_monitor_query(f"avg(last_5m):avg:system.cpu.user{{{tags}}} by {{host}} > 1")

    assert (parsed.kind, parsed.group_by) == (QueryKind.METRIC, ("host",))


def test_a_lower_case_in_still_takes_a_tag_key() -> None:
    error = query_error("avg(last_5m):avg:x{env:prod in (a,b)} > 1")

    assert error.reason == "IN takes a tag key, not 'env:prod': write key IN (a,b)"


def test_an_operator_in_mixed_case_is_not_one() -> None:
    # Datadog lists each operator in capitals or in lower case, nothing between.
    error = query_error("avg(last_5m):avg:x{phase:a Or phase:b} > 1")

    assert error.reason == "expected ',', AND, OR or '}' in the tag filter"


# --- A metric query without a space aggregator ----------------------------------------------------


def test_a_metric_query_may_name_no_space_aggregator() -> None:
    parsed = parse_monitor_query("avg(last_5m):my.metric{*} by {x} > 1")

    assert (parsed.kind, parsed.group_by, parsed.threshold) == (QueryKind.METRIC, ("x",), 1.0)


def test_datadogs_default_zero_example_names_no_space_aggregator() -> None:
    parsed = parse_monitor_query("avg(last_10m):default_zero(system.load.1{*}) > 2")

    assert parsed.kind is QueryKind.METRIC


def test_percentile_still_needs_a_percentile_aggregator() -> None:
    error = query_error("percentile(last_5m):trace.http.request{*} > 1")

    assert error.reason.startswith("percentile() needs a percentile space aggregator")
    assert error.fragment == "trace.http.request"


def test_a_bare_word_is_still_no_metric_query() -> None:
    error = query_error("avg(last_5m):my.metric > 1")

    assert error.reason == "expected a metric query such as avg:my.metric{*}"


# --- The default_zero: prefix ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric_query",
    ["default_zero:sum:app.errors{*}.as_count()", "default_zero:app.errors{env:prod} by {host}"],
)
def test_the_default_zero_prefix_is_accepted(metric_query: str) -> None:
    assert parse_monitor_query(f"sum(last_5m):{metric_query} > 1").kind is QueryKind.METRIC


def test_the_default_zero_prefix_still_needs_a_real_aggregator() -> None:
    error = query_error("sum(last_5m):default_zero:median:app.errors{*} > 1")

    assert error.reason.startswith("unknown space aggregator 'median'")


# --- Month-long windows ---------------------------------------------------------------------------
# "a custom time window of up to 1 month" (DataDog/documentation,
# content/en/monitors/configuration/_index.md, "Rolling time windows").


@pytest.mark.parametrize(
    ("window", "seconds"),
    [("last_1mo", 2592000), ("last_30d", 2592000), ("last_8d", 691200), ("last_2w", 1209600)],
)
def test_a_metric_monitor_looks_back_up_to_a_month(window: str, seconds: int) -> None:
    parsed = parse_monitor_query(f"sum({window}):sum:app.jobs.succeeded{{*}}.as_count() < 1")

    assert parsed.windows == (Window(window, seconds),)


@pytest.mark.parametrize("window", ["last_31d", "last_2mo", "last_5w"])
def test_a_metric_window_beyond_a_month_is_refused(window: str) -> None:
    error = query_error(f"avg({window}):avg:x{{*}} > 1")

    assert error.reason == (
        f"invalid window {window!r}: metric windows run from last_1m to last_1mo (at most "
        "last_43200m, last_720h or last_30d)"
    )


@pytest.mark.parametrize(
    "query",
    [
        "change(avg(last_8d),last_5m):avg:x{*} > 1",
        "avg(last_8d):outliers(avg:x{*} by {host}, 'dbscan', 3) > 0",
    ],
)
def test_change_and_outlier_windows_keep_their_week(query: str) -> None:
    assert query_error(query).reason.startswith(
        "invalid window 'last_8d': change and outlier windows run from last_1m to last_1w"
    )


# --- Seasonality on the basic anomaly algorithm: a warning ----------------------------------------
# "seasonality: hourly, daily, or weekly. Exclude this parameter when using the basic algorithm"
# (DataDog/documentation, content/en/monitors/types/anomaly.md): Datadog takes it and ignores it.

BASIC_WEEKLY = (
    "avg(last_4h):anomalies(avg:app.signups{*}, 'basic', 2, direction='both', "
    "alert_window='last_15m', interval=60, count_default_zero='true', seasonality='weekly') >= 1"
)


def test_seasonality_on_basic_is_accepted_with_a_warning() -> None:
    parsed = parse_monitor_query(BASIC_WEEKLY)

    assert parsed.kind is QueryKind.ANOMALY
    assert [str(warning) for warning in parsed.warnings] == [
        "seasonality does not apply to the 'basic' algorithm (only agile and robust are "
        f"seasonal) (at char {BASIC_WEEKLY.index('weekly')}: 'weekly')"
    ]


def test_a_timezone_on_basic_is_a_warning_too() -> None:
    parsed = parse_monitor_query(BASIC_WEEKLY.replace("seasonality='weekly'", "timezone='utc'"))

    assert [warning.reason.split(" does")[0] for warning in parsed.warnings] == ["timezone"]


def test_seasonality_on_a_seasonal_algorithm_warns_of_nothing() -> None:
    assert parse_monitor_query(BASIC_WEEKLY.replace("'basic'", "'agile'")).warnings == ()


def test_an_unknown_seasonality_is_still_refused() -> None:
    error = query_error(BASIC_WEEKLY.replace("'weekly'", "'yearly'"))

    assert error.reason == "anomalies() seasonality must be one of daily, hourly or weekly"


def _anomaly_monitor(query: str) -> dict[str, Any]:
    return {
        "type": "query alert",
        "query": query,
        "options": {
            "thresholds": {"critical": 1, "critical_recovery": 0},
            "threshold_windows": {"trigger_window": "last_15m", "recovery_window": "last_15m"},
        },
    }


def test_the_validator_reports_the_warning_at_the_query() -> None:
    position = BASIC_WEEKLY.index("weekly")

    assert validate_monitor(_anomaly_monitor(BASIC_WEEKLY)) == [
        Problem(
            "query",
            "seasonality does not apply to the 'basic' algorithm (only agile and robust are "
            f"seasonal) (at char {position}: 'weekly')",
            Severity.WARNING,
        )
    ]


# --- A recovery threshold equal to its threshold --------------------------------------------------
# For `>` a monitor recovers at or below its recovery threshold (DataDog/documentation,
# content/en/monitors/guide/recovery-thresholds.md): one equal to the threshold can never leave it
# alerting and recovered at once, which is what Datadog refuses.


@pytest.mark.parametrize(
    ("query", "thresholds"),
    [
        (
            "avg(last_5m):avg:app.queue.depth{*} > 100",
            {"critical": 100, "critical_recovery": 100, "warning": 80, "warning_recovery": 80},
        ),
        (
            "min(last_10m):sum:app.sessions{*} <= 1",
            {"critical": 1, "critical_recovery": 1, "warning": 3, "warning_recovery": 3},
        ),
    ],
    ids=["above", "below"],
)
def test_a_recovery_may_equal_its_threshold(query: str, thresholds: dict[str, float]) -> None:
    monitor = {"type": "query alert", "query": query, "options": {"thresholds": thresholds}}

    assert validate_monitor(monitor) == []


def test_a_recovery_beyond_its_threshold_is_still_refused() -> None:
    monitor = {
        "type": "query alert",
        "query": "avg(last_5m):avg:app.queue.depth{*} > 100",
        "options": {"thresholds": {"critical": 100, "critical_recovery": 101}},
    }

    assert validate_monitor(monitor) == [
        Problem(
            "options.thresholds.critical_recovery",
            "must be at or below critical (100) for comparator '>', got 101",
        )
    ]


def test_a_warning_equal_to_critical_is_still_refused() -> None:
    monitor = {
        "type": "query alert",
        "query": "avg(last_5m):avg:app.queue.depth{*} > 100",
        "options": {"thresholds": {"critical": 100, "warning": 100}},
    }

    assert validate_monitor(monitor) == [
        Problem(
            "options.thresholds.warning", "must be below critical (100) for comparator '>', got 100"
        )
    ]


# --- evaluation_delay on a log monitor ------------------------------------------------------------


def test_a_log_monitor_may_delay_its_evaluation() -> None:
    monitor = {
        "type": "log alert",
        "query": 'logs("source:cloudtrail status:error").rollup("count").last("15m") > 5',
        "options": {"thresholds": {"critical": 5}, "evaluation_delay": 900},
    }

    assert validate_monitor(monitor) == []


@pytest.mark.parametrize("delay", [-60, 86401, "900", 1.5])
def test_a_delay_outside_a_day_of_whole_seconds_is_refused(delay: object) -> None:
    monitor = {
        "type": "log alert",
        "query": 'logs("status:error").rollup("count").last("5m") > 5',
        "options": {"evaluation_delay": delay},
    }

    assert validate_monitor(monitor) == [
        Problem(
            "options.evaluation_delay",
            f"must be a whole number of seconds from 0 to 86400 (a day), got {delay!r}",
        )
    ]


# --- Formula data sources: those of Datadog's API models ------------------------------------------


def _database_monitor(data_source: str, monitor_type: str) -> dict[str, Any]:
    return {
        "type": monitor_type,
        "query": 'formula("slow").last("10m") > 10',
        "options": {
            "thresholds": {"critical": 10},
            "variables": [
                {
                    "data_source": data_source,
                    "name": "slow",
                    "compute": {"aggregation": "count"},
                    "search": {"query": "@db.query.duration:>1000000000"},
                }
            ],
        },
    }


def test_a_formula_over_database_queries_is_accepted() -> None:
    monitor = _database_monitor("database_queries", "database-monitoring alert")

    assert validate_monitor(monitor) == []


def test_a_formula_over_database_queries_still_needs_its_monitor_type() -> None:
    assert validate_monitor(_database_monitor("database_queries", "log alert")) == [
        Problem(
            "type", "'log alert' does not match the query, which needs 'database-monitoring alert'"
        )
    ]


def test_an_unknown_data_source_is_still_refused() -> None:
    problems = validate_monitor(_database_monitor("database_query", "database-monitoring alert"))

    assert [(p.path, p.reason.split(" (")[0]) for p in problems] == [
        ("options.variables[0].data_source", "unknown data source 'database_query'")
    ]


def test_the_data_sources_are_those_of_the_api_models() -> None:
    # Read from the models rather than written out, so that an upgrade brings the new ones.
    assert set(map(str, MonitorFormulaAndFunctionEventsDataSource.allowed_values)) <= (
        FORMULA_DATA_SOURCES
    )
    assert {"cloud_cost", "data_quality_metrics", "aggregate_filtered_query"} <= (
        FORMULA_DATA_SOURCES
    )
    assert set(FORMULA_SOURCE_MONITOR_TYPES) <= FORMULA_DATA_SOURCES
    assert set(FORMULA_SOURCE_MONITOR_TYPES.values()) <= MONITOR_TYPES


def test_monitor_types_and_event_aggregations_are_those_of_the_api_models() -> None:
    assert set(map(str, MonitorType.allowed_values)) == MONITOR_TYPES
    assert {"count", "cardinality", "pc98", "median"} <= set(EVENT_AGGREGATIONS)
