import pytest

from components.monitors.query import (
    AnomalyParams,
    MonitorQuery,
    QueryError,
    QueryKind,
    Window,
    format_number,
    formula_variables,
    parse_monitor_query,
    parse_window,
)
from components.monitors.query.metric_query import (
    group_key_problem,
    metric_name_problem,
    tag_filter_problem,
)
from components.monitors.query.result import SloAlertTarget
from tests.components.query_errors import query_error

LAST_5M = Window("last_5m", 300)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            "avg(last_5m):avg:system.cpu.user{env:prod,service:api} by {host} > 90",
            MonitorQuery(QueryKind.METRIC, ">", 90.0, ("host",), (LAST_5M,), time_aggregator="avg"),
            id="metric-threshold",
        ),
        pytest.param(
            "percentile(last_5m):p95:trace.fastapi.request{env:production,service:x} > 0.5",
            MonitorQuery(QueryKind.METRIC, ">", 0.5, (), (LAST_5M,), time_aggregator="percentile"),
            id="apm-latency-percentile",
        ),
        pytest.param(
            "sum(last_5m):(sum:trace.fastapi.request.errors{env:prod,service:x}.as_count() / "
            "sum:trace.fastapi.request.hits{env:prod,service:x}.as_count()) > 0.05",
            MonitorQuery(QueryKind.METRIC, ">", 0.05, (), (LAST_5M,), time_aggregator="sum"),
            id="apm-error-rate",
        ),
        pytest.param(
            "avg(last_15m):avg:postgresql.percent_usage_connections{*} > 0.9 by {host}",
            MonitorQuery(
                QueryKind.METRIC,
                ">",
                0.9,
                ("host",),
                (Window("last_15m", 900),),
                time_aggregator="avg",
            ),
            id="old-form-group-by-after-threshold",
        ),
        pytest.param(
            "max(last_1h):max:k8s.restarts{env:prod AND (service:a OR service:b),!host:c,"
            "state NOT IN (x,y),code IN (4*,5*),(kube_namespace:app OR !team:*)} "
            "by {kube_namespace,pod_name}.rollup(max, 60).fill(zero, 0) >= 3",
            MonitorQuery(
                QueryKind.METRIC,
                ">=",
                3.0,
                ("kube_namespace", "pod_name"),
                (Window("last_1h", 3600),),
                time_aggregator="max",
            ),
            id="tag-filter-grammar",
        ),
        pytest.param(
            "avg(last_10m):default_zero(per_minute(sum:a.b{*} by {host}.as_rate())) "
            "- abs(log2(avg:c.d{*} by {zone})) * 2 != -1.5",
            MonitorQuery(
                QueryKind.METRIC,
                "!=",
                -1.5,
                ("host", "zone"),
                (Window("last_10m", 600),),
                time_aggregator="avg",
            ),
            id="functions-and-arithmetic",
        ),
        pytest.param(
            "pct_change(avg(last_5m),last_1h):avg:queue.depth{*} by {queue} < -50",
            MonitorQuery(
                QueryKind.CHANGE,
                "<",
                -50.0,
                ("queue",),
                (LAST_5M, Window("last_1h", 3600)),
                time_aggregator="avg",
            ),
            id="pct-change",
        ),
        pytest.param(
            "max(next_1w):forecast(avg:system.disk.in_use{*} by {host}, 'linear', 1, "
            "interval='60m', history='1w', model='default') >= 0.95",
            MonitorQuery(
                QueryKind.FORECAST,
                ">=",
                0.95,
                ("host",),
                (Window("next_1w", 604800),),
                time_aggregator="max",
            ),
            id="forecast",
        ),
        pytest.param(
            "avg(last_1h):outliers(avg:cpu{*} by {host}, 'MAD', 3, 20) > 0",
            MonitorQuery(
                QueryKind.OUTLIER,
                ">",
                0.0,
                ("host",),
                (Window("last_1h", 3600),),
                time_aggregator="avg",
            ),
            id="outliers",
        ),
        pytest.param(
            'logs("service:x status:error").index("*").rollup("count").by("service,@http.url")'
            '.last("5m") > 10',
            MonitorQuery(
                QueryKind.EVENT_SEARCH,
                ">",
                10.0,
                ("service", "@http.url"),
                (Window("5m", 300),),
                data_source="logs",
            ),
            id="log-count",
        ),
        pytest.param(
            'trace-analytics("service:x").rollup("pc99", "@duration").last("2h") >= 2e9',
            MonitorQuery(
                QueryKind.EVENT_SEARCH,
                ">=",
                2e9,
                (),
                (Window("2h", 7200),),
                data_source="trace-analytics",
            ),
            id="spans-measure",
        ),
        pytest.param(
            'error-tracking-rum("service:web").rollup("cardinality", "@usr.id").last("1h") > 5',
            MonitorQuery(
                QueryKind.EVENT_SEARCH,
                ">",
                5.0,
                (),
                (Window("1h", 3600),),
                data_source="error-tracking-rum",
            ),
            id="error-tracking",
        ),
        pytest.param(
            'formula("errors / (total + 1) * 100").last("15m") > 0.8',
            MonitorQuery(
                QueryKind.FORMULA,
                ">",
                0.8,
                windows=(Window("15m", 900),),
                variables=("errors", "total"),
            ),
            id="formula",
        ),
        pytest.param(
            '"http.can_connect".over("env:prod").exclude("host:a").by("url","host").last(4)'
            ".count_by_status()",
            MonitorQuery(QueryKind.SERVICE_CHECK, None, None, ("url", "host")),
            id="service-check",
        ),
        pytest.param(
            'error_budget("a1b2c3").over("7d") > 75',
            MonitorQuery(
                QueryKind.SLO,
                ">",
                75.0,
                windows=(Window("7d", 604800),),
                slo=SloAlertTarget("error_budget", "a1b2c3"),
            ),
            id="slo-error-budget",
        ),
        pytest.param(
            'burn_rate("a1b2c3").over("30d").long_window("1h").short_window("5m") > 14.4',
            MonitorQuery(
                QueryKind.SLO,
                ">",
                14.4,
                windows=(Window("30d", 2592000), Window("1h", 3600), Window("5m", 300)),
                slo=SloAlertTarget("burn_rate", "a1b2c3"),
            ),
            id="slo-burn-rate",
        ),
        pytest.param(
            "123 && (456 || !789)",
            MonitorQuery(QueryKind.COMPOSITE, None, None, monitor_ids=(123, 456, 789)),
            id="composite",
        ),
    ],
)
def test_parses_each_query_family(query: str, expected: MonitorQuery) -> None:
    assert parse_monitor_query(query) == expected


def test_anomaly_parameters_are_exposed() -> None:
    parsed = parse_monitor_query(
        "avg(last_1d):anomalies(avg:emnify.endpoint.volume{*} by {host}.as_count()"
        ".fill(zero, 0).rollup(sum, 900), 'robust', 2, direction='below', interval=300, "
        "alert_window='last_1h', seasonality='hourly', timezone='utc', count_default_zero='true')"
        " >= 0.5"
    )

    assert parsed.kind is QueryKind.ANOMALY
    assert (parsed.comparator, parsed.threshold, parsed.group_by) == (">=", 0.5, ("host",))
    assert parsed.windows == (Window("last_1d", 86400), Window("last_1h", 3600))
    assert parsed.anomaly == AnomalyParams(
        algorithm="robust",
        bounds=2.0,
        alert_window=Window("last_1h", 3600),
        direction="below",
        interval=300,
        count_default_zero=True,
        seasonality="hourly",
        timezone="utc",
    )


def _anomaly(algorithm: str, extra: str = "", threshold: str = "1") -> str:
    return (
        f"avg(last_4h):anomalies(avg:x{{*}}, '{algorithm}', 2, alert_window='last_15m'{extra})"
        f" >= {threshold}"
    )


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        pytest.param(
            'logs(\'service:x status:error\').index("*").rollup("count").last("5m") > 10',
            "log search must be double-quoted (Datadog rejects logs('...') with 'invalid operator "
            "specified') (at char 5: \"'service:x status:error'\")",
            5,
            id="single-quoted-log-search",
        ),
        pytest.param(
            'logs("a").rollup(\'count\').last("5m") > 1',
            "argument of .rollup() must be double-quoted (Datadog rejects .rollup('...') with "
            "'invalid operator specified') (at char 17: \"'count'\")",
            17,
            id="single-quoted-chain-argument",
        ),
        pytest.param(
            "avg(last_0m):avg:system.cpu.user{*} > 1",
            "invalid window 'last_0m': metric windows run from last_1m to last_1mo (at most "
            "last_43200m, last_720h or last_30d) (at char 4: 'last_0m')",
            4,
            id="window-zero",
        ),
        pytest.param(
            "avg(last_800h):avg:system.cpu.user{*} > 1",
            "invalid window 'last_800h': metric windows run from last_1m to last_1mo (at most "
            "last_43200m, last_720h or last_30d) (at char 4: 'last_800h')",
            4,
            id="window-too-long",
        ),
        pytest.param(
            "avg(last_5x):avg:system.cpu.user{*} > 1",
            "invalid window 'last_5x': metric windows run from last_1m to last_1mo (at most "
            "last_43200m, last_720h or last_30d) (at char 4: 'last_5x')",
            4,
            id="window-unknown-unit",
        ),
        pytest.param(
            'logs("a").rollup("count").last("3d") > 1',
            "invalid window '3d': windows run from 1m to 2880m (48h) (at char 32: '3d')",
            32,
            id="log-window-too-long",
        ),
        pytest.param(
            "avg(last_5m):avg:system.cpu.user{*}",
            "missing comparator (one of >=, <=, ==, !=, >, <) after the query (at the end, after "
            "char 35: '):avg:system.cpu.user{*}')",
            35,
            id="missing-comparator",
        ),
        pytest.param(
            "avg(last_5m):avg:system.cpu.user{*} => 1",
            "missing comparator (one of >=, <=, ==, !=, >, <) after the query (at char 36: '=> 1')",
            36,
            id="bad-comparator",
        ),
        pytest.param(
            "avg(last_5m):avg:system.cpu.user{*} >",
            "missing threshold number after '>' (at the end, after char 37: "
            "'avg:system.cpu.user{*} >')",
            37,
            id="missing-threshold",
        ),
        pytest.param(
            _anomaly("fast"),
            "unknown anomalies algorithm 'fast' (expected agile, basic or robust) (at char 34: "
            "'fast')",
            34,
            id="unknown-anomaly-algorithm",
        ),
        pytest.param(
            _anomaly("agile", threshold="2"),
            "anomaly threshold must be a fraction in (0, 1], got 2 (at char 73: '2')",
            73,
            id="anomaly-threshold-above-one",
        ),
        pytest.param(
            _anomaly("agile", threshold="0"),
            "anomaly threshold must be a fraction in (0, 1], got 0 (at char 73: '0')",
            73,
            id="anomaly-threshold-zero",
        ),
        pytest.param(
            "avg(last_4h):anomalies(avg:x{*}, 'agile', 2) >= 1",
            "anomalies() needs alert_window='last_<N>m', the recent window that must be "
            'anomalous (at char 13: "anomalies(avg:x{*}, \'agi")',
            13,
            id="anomaly-without-alert-window",
        ),
        pytest.param(
            _anomaly("agile", ", speed='fast'"),
            "unknown anomalies() option 'speed' (expected alert_window, count_default_zero, "
            "direction, interval, seasonality or timezone) (at char 70: 'speed')",
            70,
            id="unknown-anomaly-option",
        ),
        pytest.param(
            "avg(last_5m):anomalies(avg:x{*}, 'basic', 2, alert_window='last_5m') * 2 > 1",
            "anomalies() must wrap the whole query, not part of it (at char 13: "
            '"anomalies(avg:x{*}, \'bas")',
            13,
            id="anomaly-inside-arithmetic",
        ),
        pytest.param(
            "avg(last_5m:avg:x{*} > 1",
            "unbalanced parentheses: '(' is never closed (at char 3: '(last_5m:avg:x{*} > 1')",
            3,
            id="parenthesis-never-closed",
        ),
        pytest.param(
            "avg(last_5m)):avg:x{*} > 1",
            "unbalanced parentheses: ')' has no matching '(' (at char 12: '):avg:x{*} > 1')",
            12,
            id="parenthesis-without-opener",
        ),
        pytest.param(
            "avg(last_5m):avg:x{env:prod > 1",
            "unbalanced braces: '{' is never closed (at char 18: '{env:prod > 1')",
            18,
            id="brace-never-closed",
        ),
        pytest.param(
            "mean(last_5m):avg:x{*} > 1",
            "unknown time aggregator 'mean' (expected avg, max, min, percentile or sum; change "
            "and pct_change wrap one for change alerts) (at char 0: 'mean')",
            0,
            id="unknown-time-aggregator",
        ),
        pytest.param(
            "avg(last_5m):median:x{*} > 1",
            "unknown space aggregator 'median' (expected avg, count, max, min or sum or a "
            "percentile such as p95) (at char 13: 'median')",
            13,
            id="unknown-space-aggregator",
        ),
        pytest.param(
            "percentile(last_5m):avg:trace.http.request{*} > 1",
            "percentile() needs a percentile space aggregator on a distribution metric, e.g. "
            "percentile(last_5m):p95:trace.http.request{*} (at char 20: 'avg')",
            20,
            id="percentile-without-pNN",
        ),
        pytest.param(
            "avg(last_5m):smooth(avg:x{*}) > 1",
            "unknown function 'smooth' (at char 13: 'smooth')",
            13,
            id="unknown-function",
        ),
        pytest.param(
            "avg(last_5m):avg:x{*}.as_counts() > 1",
            "unknown method .as_counts() for a metric query (expected as_count, as_rate, fill, "
            "rollup or weighted) (at char 22: 'as_counts')",
            22,
            id="unknown-method",
        ),
        pytest.param(
            "avg(last_5m):avg:x{*}.rollup(mean, 60) > 1",
            "unknown rollup aggregation (expected avg, count, max, min or sum) "
            "(at char 29: 'mean')",
            29,
            id="unknown-rollup",
        ),
        pytest.param(
            "avg(last_5m):avg:x > 1",
            "metric 'x' needs a tag filter in braces, e.g. x{*} (at char 19: '> 1')",
            19,
            id="metric-without-tags",
        ),
        pytest.param(
            "avg(last_5m):avg:x{host:a b} > 1",
            "expected ',', AND, OR or '}' in the tag filter (at char 26: 'b} > 1')",
            26,
            id="tag-filter-missing-operator",
        ),
        pytest.param(
            "avg(last_5m):avg:x{env:prod IN (a,b)} > 1",
            "IN takes a tag key, not 'env:prod': write key IN (a,b) (at char 19: 'env:prod')",
            19,
            id="in-after-key-value",
        ),
        pytest.param(
            "avg(next_1w):avg:x{*} > 1",
            "next_ windows only apply to forecast() queries (at char 4: 'next_1w')",
            4,
            id="next-window-without-forecast",
        ),
        pytest.param(
            "avg(last_5m):avg:x{*} > 1 junk",
            "unexpected text after the threshold (at char 26: 'junk')",
            26,
            id="trailing-text",
        ),
        pytest.param(
            'spans("a").rollup("count").last("5m") > 1',
            "unknown data source 'spans' (expected audits, ci-pipelines, ci-tests, events, logs, "
            "rum, trace-analytics, error-tracking-*) (at char 0: 'spans')",
            0,
            id="unknown-data-source",
        ),
        pytest.param(
            'logs("a").rollup("avg").last("5m") > 1',
            '.rollup("avg") needs a measure, e.g. .rollup("avg", "@duration") '
            "(at char 18: 'avg')",
            18,
            id="log-rollup-without-measure",
        ),
        pytest.param(
            'logs("a").rollup("count") > 1',
            "logs(...) needs .last(...), e.g. .last(\"5m\") (at char 26: '> 1')",
            26,
            id="log-without-window",
        ),
        pytest.param(
            'formula("errors /").last("5m") > 1',
            "expected a variable, a function, a number or '(' (at char 17: '\").last(\"5m\") > 1')",
            17,
            id="formula-incomplete",
        ),
        pytest.param(
            '"http.can_connect".over("*").last(2) > 1',
            "a service check query needs .count_by_status(...), e.g. .count_by_status() "
            "(at char 37: '> 1')",
            37,
            id="service-check-with-comparator",
        ),
        pytest.param(
            'error_budget("abc").over("14d") > 75',
            "the SLO window in .over() must be 30d, 7d or 90d (at char 26: '14d')",
            26,
            id="slo-window",
        ),
        pytest.param(
            'burn_rate("abc").over("30d").long_window("72h").short_window("6h") > 1',
            "the long window of a burn rate alert runs from 1h to 48h (at char 42: '72h')",
            42,
            id="burn-rate-long-window",
        ),
        pytest.param(
            'burn_rate("abc").over("30d").long_window("1h").short_window("1h") > 14.4',
            "the short window (1h) must be shorter than the long window (1h) (at char 42: '1h')",
            42,
            id="burn-rate-short-window",
        ),
        pytest.param(
            'burn_rate("abc").over("30d").long_window("1h").short_window("5m") > 0',
            "a burn rate threshold must be above 0 (at char 68: '0')",
            68,
            id="burn-rate-threshold",
        ),
        pytest.param(
            "123 && abc",
            "expected a monitor id in the composite (at char 7: 'abc')",
            7,
            id="composite-non-id",
        ),
        pytest.param(
            "   ",
            "the query is empty (at the end, after char 3: '   ')",
            3,
            id="empty",
        ),
    ],
)
def test_rejects_bad_queries_with_position_and_fragment(
    query: str, message: str, position: int
) -> None:
    error = query_error(query)

    assert str(error) == message
    assert error.position == position


def test_error_fragment_is_the_offending_text() -> None:
    error = query_error("avg(last_800h):avg:x{*} > 1")

    assert error.fragment == "last_800h"
    assert error.reason.startswith("invalid window 'last_800h'")


def test_quotes_inside_a_log_search_may_be_escaped() -> None:
    parsed = parse_monitor_query(
        'logs("message:\\"disk (full)\\" service:x").rollup("count").last("5m") > 0'
    )

    assert (parsed.kind, parsed.threshold) == (QueryKind.EVENT_SEARCH, 0.0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("last_1m", 60),
        ("last_15m", 900),
        ("last_4h", 14400),
        ("last_2d", 172800),
        ("last_2w", 1209600),
    ],
)
def test_parse_window_accepts_anomaly_windows(text: str, seconds: int) -> None:
    assert parse_window(text) == Window(text, seconds)


@pytest.mark.parametrize("text", ["last_0m", "last_3w", "15m", "last_15", ""])
def test_parse_window_rejects_other_text(text: str) -> None:
    with pytest.raises(QueryError, match="anomaly windows run from last_1m to last_2w"):
        parse_window(text)


@pytest.mark.parametrize(
    ("value", "text"), [(10.0, "10"), (0.05, "0.05"), (-1.5, "-1.5"), (1e9, "1000000000")]
)
def test_format_number_writes_numbers_as_datadog_does(value: float, text: str) -> None:
    assert format_number(value) == text


def test_a_formula_names_its_variables_in_order() -> None:
    # The stack model checks these against its `variables` keys, at that key.
    assert formula_variables("failed / total * 100") == ("failed", "total")
    assert formula_variables("abs(a - b) / a") == ("a", "b")
    with pytest.raises(QueryError, match="the formula is empty"):
        formula_variables("  ")
    with pytest.raises(QueryError):
        formula_variables("failed / / total")


@pytest.mark.parametrize(
    "text", ["env:prod", "!host:a", "env:a OR env:b", "service IN (a,b)", "queue:*-eu"]
)
def test_a_tag_filter_item_may_be_spliced(text: str) -> None:
    assert tag_filter_problem(text) is None


@pytest.mark.parametrize(
    "text", ["service:x} + avg:other{*", "env:prod,queue:a", "env:prod}", "", "a b"]
)
def test_text_that_would_change_the_query_is_not_a_tag_filter(text: str) -> None:
    problem = tag_filter_problem(text)
    assert problem is not None
    assert problem.startswith(f"{text!r} is not a tag filter")


def test_group_keys_and_metric_names_are_tokens() -> None:
    assert group_key_problem("@http.status_code") is None
    assert group_key_problem("queue} by {host") is not None
    assert metric_name_problem("app.queue.depth") is None
    assert metric_name_problem("app{*} + other") is not None
