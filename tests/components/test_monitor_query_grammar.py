"""The productions written in the docstrings of components.monitors.query, family by family."""

from typing import get_args

import pytest

from components.monitors.query import QueryError, QueryKind, Window, parse_monitor_query
from components.monitors.query.api_models import EVENT_AGGREGATIONS
from components.monitors.query.composite import composite_roles
from components.monitors.query.vocabulary import (
    Comparator,
    LogAggregation,
    PercentileAggregation,
)
from tests.components.query_errors import query_error

# --- chain.py: one rule for repeated methods ----------------------------------------------------
# Datadog's API reference (create-a-monitor, "Service Check Query" and "Logs Alert Query";
# https://docs.datadoghq.com/api/latest/monitors/create-a-monitor/, the create_monitor docstring of
# DataDog/datadog-api-client-python) writes each chained method once and puts several values into
# one call, `.over("env:prod", "role:db")`: a second call of a method is refused in every family.


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        pytest.param(
            '"http.can_connect".over("env:prod").over("role:db").by("host").last(3)'
            ".count_by_status()",
            ".over() may appear only once in a service check query",
            36,
            id="service-check-over-twice",
        ),
        pytest.param(
            'logs("a").rollup("count").last("5m").last("10m") > 1',
            ".last() may appear only once in logs(...)",
            37,
            id="log-last-twice",
        ),
        pytest.param(
            'formula("a / b").last("5m").last("5m") > 1',
            ".last() may appear only once in formula(...)",
            28,
            id="formula-last-twice",
        ),
        pytest.param(
            'error_budget("x").over("7d").over("30d") > 1',
            ".over() may appear only once in error_budget(...)",
            29,
            id="slo-over-twice",
        ),
    ],
)
def test_a_chained_method_may_appear_only_once(query: str, message: str, position: int) -> None:
    error = query_error(query)

    assert (error.reason, error.position) == (message, position)


def test_several_service_check_tags_go_into_one_over() -> None:
    parsed = parse_monitor_query(
        '"http.can_connect".over("env:prod", "role:db").by("host").last(3).count_by_status()'
    )

    assert (parsed.kind, parsed.group_by) == (QueryKind.SERVICE_CHECK, ("host",))


def test_metric_methods_may_repeat_on_either_side_of_the_group_by() -> None:
    parsed = parse_monitor_query(
        "avg(last_5m):avg:x{*}.rollup(sum, 60).rollup(max, 120) by {host}.fill(zero).as_count() > 1"
    )

    assert parsed.group_by == ("host",)


def test_event_search_methods_may_come_in_any_order() -> None:
    parsed = parse_monitor_query(
        'logs("a").last("5m").by("service").rollup("pc98", "@duration").index("main") > 1'
    )

    assert (parsed.group_by, parsed.windows) == (("service",), (Window("5m", 300),))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            'logs("a").rollup("count").last("5m", "10m") > 1',
            '.last() takes exactly 1 argument, e.g. .last("5m")',
            id="strings-too-many",
        ),
        pytest.param(
            'logs("a").rollup("count").last() > 1',
            '.last() takes exactly 1 argument, e.g. .last("5m")',
            id="strings-none",
        ),
        pytest.param(
            '"c".over().last(3).count_by_status()',
            '.over() takes at least 1 argument, e.g. .over("env:prod", "role:db")',
            id="strings-at-least-one",
        ),
        pytest.param(
            '"c".over("*").last(0).count_by_status()',
            ".last() takes the number of checks to count, e.g. .last(3)",
            id="count-zero",
        ),
        pytest.param(
            '"c".over("*").last(3).count_by_status(1)',
            "expected ')' (.count_by_status() takes no arguments)",
            id="nothing-given-something",
        ),
        pytest.param(
            "avg(last_5m):avg:x{*}.rollup(sum, 0) > 1",
            "the rollup interval in seconds must be a whole number of at least 1",
            id="word-and-count-below-minimum",
        ),
        pytest.param(
            'burn_rate("x").over("7d").long_window("1h") > 1',
            'burn_rate(...) needs .short_window(...), e.g. .short_window("5m")',
            id="required-method-missing",
        ),
        pytest.param(
            '"c".over("*").frobnicate(3).count_by_status()',
            "unknown method .frobnicate() for a service check query "
            "(expected by, count_by_status, exclude, last or over)",
            id="unknown-method",
        ),
        pytest.param(
            'logs("a").rollup("count").last("5m"). > 1',
            "expected a method name after '.' (by, index, last or rollup for logs(...))",
            id="dot-without-method",
        ),
        pytest.param(
            '"c".over("*").by("host").last(3).count_by_status().by("x")',
            "unexpected text after .count_by_status(), which ends a service check query "
            "(no threshold)",
            id="final-method-followed",
        ),
        pytest.param(
            "error_budget(\"x\").over('7d') > 1",
            "argument of .over() must be double-quoted",
            id="slo-single-quotes",
        ),
    ],
)
def test_chain_arguments_follow_each_methods_table_entry(query: str, message: str) -> None:
    assert query_error(query).reason == message


def test_burn_rate_methods_come_in_any_order_and_keep_their_windows_in_table_order() -> None:
    parsed = parse_monitor_query(
        'burn_rate("x").short_window("5m").long_window("1h").over("7d") > 1'
    )

    assert parsed.windows == (Window("7d", 604800), Window("1h", 3600), Window("5m", 300))


# --- windows.py -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "window"),
    [
        ('logs("a").rollup("count").last("2880m") > 1', Window("2880m", 172800)),
        ('logs("a").rollup("count").last("48h") > 1', Window("48h", 172800)),
        ("avg(last_7d):avg:x{*} > 1", Window("last_7d", 604800)),
        ("max(next_12h):forecast(avg:x{*}, 'linear', 1) > 1", Window("next_12h", 43200)),
        ("max(next_3mo):forecast(avg:x{*}, 'seasonal', 1) > 1", Window("next_3mo", 7776000)),
    ],
)
def test_windows_at_the_edges_of_their_range_are_accepted(query: str, window: Window) -> None:
    assert parse_monitor_query(query).windows[0] == window


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ('logs("a").rollup("count").last("2881m") > 1', "windows run from 1m to 2880m (48h)"),
        ('logs("a").rollup("count").last("1w") > 1', "windows run from 1m to 2880m (48h)"),
        ("avg(last_31d):avg:x{*} > 1", "metric windows run from last_1m to last_1mo"),
        ("max(next_11h):forecast(avg:x{*}, 'linear', 1) > 1", "forecast windows run from next_12h"),
        (
            'burn_rate("x").over("7d").long_window("90d").short_window("91d") > 1',
            "SLO windows run from 1m to 90d",
        ),
    ],
)
def test_windows_outside_their_range_are_refused(query: str, description: str) -> None:
    assert description in query_error(query).reason


# --- metric_query.py, expressions.py, algorithms.py ----------------------------------------------


@pytest.mark.parametrize("percentile", get_args(PercentileAggregation))
def test_every_builder_percentile_is_a_space_aggregator(percentile: str) -> None:
    parsed = parse_monitor_query(f"percentile(last_5m):{percentile}:trace.http.request{{*}} > 1")

    assert parsed.time_aggregator == "percentile"


def test_a_percentile_may_have_decimals() -> None:
    assert parse_monitor_query("percentile(last_5m):p99.9:x{*} > 1").kind is QueryKind.METRIC


@pytest.mark.parametrize("aggregator", ["p0", "p100"])
def test_percentiles_lie_strictly_between_0_and_100(aggregator: str) -> None:
    error = query_error(f"percentile(last_5m):{aggregator}:x{{*}} > 1")

    assert error.reason.startswith(f"unknown space aggregator {aggregator!r}")


def test_a_formula_operand_is_a_variable_not_a_metric() -> None:
    error = query_error('formula("errors / trace.hits").last("5m") > 1')

    assert error.reason == "expected a variable named in options.variables, not 'trace.hits'"
    assert error.fragment == "trace.hits"


def test_formula_function_arguments_are_formula_expressions() -> None:
    parsed = parse_monitor_query(
        'formula("default_zero(errors) / clamp_min(hits, 1)").last("5m") > 1'
    )

    assert parsed.variables == ("errors", "hits")


def test_an_algorithm_in_a_formula_is_refused() -> None:
    error = query_error('formula("anomalies(avg:x{*}, \'basic\', 2)").last("5m") > 1')

    assert (error.reason, error.position) == ("anomalies() is not a formula function", 9)


def test_an_algorithm_may_not_nest_inside_another() -> None:
    error = query_error("avg(last_1h):anomalies(anomalies(avg:x{*}, 'basic', 2), 'basic', 2) > 1")

    assert (error.reason, error.position) == (
        "anomalies() cannot be nested inside anomalies()",
        23,
    )


def test_outliers_take_a_percentage_after_the_bounds_and_no_options() -> None:
    assert parse_monitor_query(
        "avg(last_1h):outliers(avg:x{*} by {host}, 'dbscan', 3, 20) > 0"
    ).kind is (QueryKind.OUTLIER)
    assert query_error("avg(last_1h):outliers(avg:x{*}, 'dbscan', 3, interval=60) > 0").reason == (
        "unknown outliers() option 'interval' (expected no options)"
    )


# --- event_search.py ------------------------------------------------------------------------------


@pytest.mark.parametrize("aggregation", [a for a in EVENT_AGGREGATIONS if a != "count"])
def test_every_measure_rollup_takes_a_measure(aggregation: str) -> None:
    parsed = parse_monitor_query(
        f'rum("@type:view").rollup("{aggregation}", "@view.loading_time").last("5m") > 1'
    )

    assert parsed.data_source == "rum"


def test_every_builder_log_aggregation_is_an_event_rollup() -> None:
    assert set(get_args(LogAggregation)) <= set(EVENT_AGGREGATIONS)


def test_count_takes_no_measure() -> None:
    error = query_error('logs("a").rollup("count", "@duration").last("5m") > 1')

    assert (error.reason, error.position) == ('.rollup("count") takes no measure', 27)


# --- composite.py, scanner.py ---------------------------------------------------------------------


def test_composites_nest_negations_and_groups() -> None:
    assert parse_monitor_query("!(1 || 2) && 3").monitor_ids == (1, 2, 3)


def test_composites_over_roles_read_each_role_where_it_stands() -> None:
    expression = "!(latency || error-rate) && latency"
    roles = composite_roles(expression)
    assert [(role.text, role.start) for role in roles] == [
        ("latency", 2),
        ("error-rate", 13),
        ("latency", 28),
    ]
    assert all(expression[role.start : role.end] == role.text for role in roles)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("", "the expression is empty (at the end, after char 0: '')", id="empty"),
        pytest.param(
            "latency & error-rate",
            "unexpected text after the composite expression (only roles, &&, ||, ! and "
            "parentheses) (at char 8: '& error-rate')",
            id="single-ampersand",
        ),
        pytest.param(
            "Latency && error-rate",
            "expected a monitor role (lowercase words joined by '-') in the composite "
            "(at char 0: 'Latency && error-rate')",
            id="upper-case",
        ),
        pytest.param(
            "(latency && error-rate",
            "unbalanced parentheses: '(' is never closed (at char 0: '(latency && error-rate')",
            id="unclosed",
        ),
    ],
)
def test_composites_over_roles_refuse_what_is_not_one(expression: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        composite_roles(expression)
    assert str(error.value) == message


# Read longest first: `>=` read as `>` would leave `= 1`, which is no threshold.
@pytest.mark.parametrize("comparator", get_args(Comparator))
def test_every_comparator_is_read_whole(comparator: str) -> None:
    assert parse_monitor_query(f"avg(last_5m):avg:x{{*}} {comparator} 1").comparator == comparator
