import itertools
import re
from collections.abc import Callable
from typing import get_args

import pytest

from components.datadog_ids import IdRef, with_stand_ins
from components.monitors import (
    AnomalySpec,
    ApmErrorRateSpec,
    ApmLatencySpec,
    ApmService,
    CompositeSpec,
    LogFormulaSpec,
    LogMonitorSpec,
    LogQueryVariable,
    MetricQuery,
    MetricThresholdSpec,
    MonitorDefinition,
    MonitorDefinitionError,
    MonitorSettings,
    Thresholds,
    ThresholdWindows,
    anomaly_monitor,
    apm_error_rate_monitor,
    apm_latency_monitor,
    composite_monitor,
    log_formula_monitor,
    log_monitor,
    metric_threshold_monitor,
)
from components.monitors.query import QueryKind, parse_monitor_query
from components.monitors.query.vocabulary import AnomalyAlgorithm, Comparator, Seasonality
from components.monitors.validation import validate_monitor
from components.problems import Problem, Severity

SETTINGS = MonitorSettings(name="Checkout API", message="Checkout is degraded @slack-checkout")
CHECKOUT = ApmService(service="checkout", env="production", operation="fastapi.request")


def test_metric_threshold_monitor() -> None:
    definition = metric_threshold_monitor(
        MetricThresholdSpec(
            settings=MonitorSettings(
                name="  Disk almost full ",
                message="Disk is filling up\n",
                tags=("team:platform", "service:checkout"),
                priority=2,
                notify_no_data=True,
                no_data_timeframe=20,
                renotify_interval=60,
                new_group_delay=300,
                notify_by=("host",),
            ),
            query=MetricQuery(
                "system.disk.in_use",
                "max",
                filters=("env:production",),
                group_by=("host", "device"),
            ),
            thresholds=Thresholds(0.9, warning=0.8, critical_recovery=0.85, warning_recovery=0.75),
            comparator=">=",
            time_aggregation="max",
            window="last_15m",
            require_full_window=True,
            evaluation_delay=60,
        )
    )

    assert definition.to_monitor_json() == {
        "name": "Disk almost full",
        "type": "query alert",
        "query": "max(last_15m):max:system.disk.in_use{env:production} by {host,device} >= 0.9",
        "message": "Disk is filling up",
        "tags": ["team:platform", "service:checkout"],
        "priority": 2,
        "options": {
            "thresholds": {
                "critical": 0.9,
                "warning": 0.8,
                "critical_recovery": 0.85,
                "warning_recovery": 0.75,
            },
            "notify_no_data": True,
            "no_data_timeframe": 20,
            "renotify_interval": 60,
            "require_full_window": True,
            "evaluation_delay": 60,
            "new_group_delay": 300,
            "notify_by": ["host"],
        },
    }


def test_metric_threshold_monitor_leaves_unset_options_out() -> None:
    definition = metric_threshold_monitor(
        MetricThresholdSpec(SETTINGS, MetricQuery("system.load.1"), Thresholds(4))
    )

    assert definition.to_monitor_json() == {
        "name": "Checkout API",
        "type": "query alert",
        "query": "avg(last_5m):avg:system.load.1{*} > 4",
        "message": "Checkout is degraded @slack-checkout",
        "options": {"thresholds": {"critical": 4}, "notify_no_data": False},
    }


def test_apm_latency_monitor_uses_the_trace_distribution() -> None:
    definition = apm_latency_monitor(
        ApmLatencySpec(SETTINGS, CHECKOUT, Thresholds(0.5, warning=0.3), percentile="p99")
    )

    assert definition.query == (
        "percentile(last_5m):p99:trace.fastapi.request{env:production,service:checkout} > 0.5"
    )
    assert definition.thresholds == Thresholds(0.5, warning=0.3)
    assert definition.type == "query alert"


def test_apm_latency_monitor_per_resource() -> None:
    definition = apm_latency_monitor(
        ApmLatencySpec(
            SETTINGS,
            CHECKOUT,
            Thresholds(1),
            window="last_10m",
            group_by=("resource_name",),
        )
    )

    assert definition.query == (
        "percentile(last_10m):p95:trace.fastapi.request{env:production,service:checkout} "
        "by {resource_name} > 1"
    )


def test_apm_error_rate_monitor_divides_error_counts_by_hit_counts() -> None:
    definition = apm_error_rate_monitor(
        ApmErrorRateSpec(SETTINGS, CHECKOUT, Thresholds(0.05, warning=0.02))
    )

    assert definition.query == (
        "sum(last_5m):(sum:trace.fastapi.request.errors{env:production,service:checkout}"
        ".as_count() / sum:trace.fastapi.request.hits{env:production,service:checkout}"
        ".as_count()) > 0.05"
    )
    assert definition.to_monitor_json()["options"] == {
        "thresholds": {"critical": 0.05, "warning": 0.02},
        "notify_no_data": False,
        "require_full_window": False,
    }


def test_anomaly_monitor_sets_query_thresholds_and_windows_together() -> None:
    definition = anomaly_monitor(
        AnomalySpec(
            SETTINGS,
            MetricQuery(
                "trace.fastapi.request.hits",
                "sum",
                filters=("env:production", "service:checkout"),
                as_count=True,
            ),
            algorithm="agile",
            bounds=3,
            direction="below",
            alert_window="last_30m",
            interval=120,
            seasonality="weekly",
            timezone="europe/paris",
            query_window="last_1d",
            thresholds=Thresholds(0.8, warning=0.5, critical_recovery=0.2),
            recovery_window="last_1h",
        )
    )

    assert definition.query == (
        "avg(last_1d):anomalies(sum:trace.fastapi.request.hits"
        "{env:production,service:checkout}.as_count(), 'agile', 3, direction='below', "
        "alert_window='last_30m', interval=120, count_default_zero='true', "
        "seasonality='weekly', timezone='europe/paris') >= 0.8"
    )
    assert definition.threshold_windows == ThresholdWindows("last_30m", "last_1h")
    assert definition.to_monitor_json()["options"] == {
        "thresholds": {"critical": 0.8, "warning": 0.5, "critical_recovery": 0.2},
        "notify_no_data": False,
        "threshold_windows": {"trigger_window": "last_30m", "recovery_window": "last_1h"},
    }


def test_anomaly_monitor_defaults() -> None:
    definition = anomaly_monitor(
        AnomalySpec(SETTINGS, MetricQuery("postgresql.connections"), algorithm="basic")
    )

    assert definition.query == (
        "avg(last_4h):anomalies(avg:postgresql.connections{*}, 'basic', 2, direction='both', "
        "alert_window='last_15m', interval=60, count_default_zero='true') >= 1"
    )
    assert definition.thresholds == Thresholds(critical=1.0, critical_recovery=0.0)
    assert definition.threshold_windows == ThresholdWindows("last_15m", "last_15m")
    parsed = parse_monitor_query(definition.query)
    assert parsed.anomaly is not None
    assert (parsed.anomaly.algorithm, parsed.anomaly.alert_window.text) == ("basic", "last_15m")


def test_log_monitor_double_quotes_and_escapes_the_search() -> None:
    definition = log_monitor(
        LogMonitorSpec(
            SETTINGS,
            search='service:checkout status:error @error.message:"card \\ declined"',
            thresholds=Thresholds(10, warning=5),
            group_by=("service", "@http.status_code"),
        )
    )

    assert definition.query == (
        'logs("service:checkout status:error @error.message:\\"card \\\\ declined\\"")'
        '.index("*").rollup("count").by("service,@http.status_code").last("5m") > 10'
    )
    assert definition.type == "log alert"
    assert definition.thresholds == Thresholds(10, warning=5)


def test_log_monitor_with_a_measure() -> None:
    definition = log_monitor(
        LogMonitorSpec(
            SETTINGS,
            search="service:checkout",
            thresholds=Thresholds(2000000000),
            aggregation="pc99",
            measure="@duration",
            index="main",
            window="15m",
            comparator=">=",
        )
    )

    assert definition.query == (
        'logs("service:checkout").index("main").rollup("pc99", "@duration").last("15m")'
        " >= 2000000000"
    )


def test_log_formula_monitor_declares_its_variables() -> None:
    definition = log_formula_monitor(
        LogFormulaSpec(
            SETTINGS,
            formula="errors / total * 100",
            variables=(
                LogQueryVariable("errors", "service:checkout status:error", group_by=("service",)),
                LogQueryVariable("total", "service:checkout"),
            ),
            thresholds=Thresholds(5, warning=2),
        )
    )

    monitor = definition.to_monitor_json()
    assert monitor["query"] == 'formula("errors / total * 100").last("15m") > 5'
    assert monitor["type"] == "log alert"
    assert monitor["options"] == {
        "thresholds": {"critical": 5, "warning": 2},
        "notify_no_data": False,
        "variables": [
            {
                "data_source": "logs",
                "name": "errors",
                "indexes": ["*"],
                "compute": {"aggregation": "count"},
                "search": {"query": "service:checkout status:error"},
                "group_by": [
                    {
                        "facet": "service",
                        "limit": 10,
                        "sort": {"order": "desc", "aggregation": "count"},
                    }
                ],
            },
            {
                "data_source": "logs",
                "name": "total",
                "indexes": ["*"],
                "compute": {"aggregation": "count"},
                "search": {"query": "service:checkout"},
            },
        ],
    }


def test_composite_monitor_names_the_monitors_of_its_roles_by_id() -> None:
    definition = composite_monitor(
        CompositeSpec(SETTINGS, " !(latency || error-rate) && error-logs && latency ")
    )

    # Placeholders for the ids, which whatever registers the monitor fills in.
    assert definition.query == (
        "!(${monitor:latency} || ${monitor:error-rate}) && ${monitor:error-logs} && "
        "${monitor:latency}"
    )
    assert definition.id_refs == (
        IdRef("monitor", "latency"),
        IdRef("monitor", "error-rate"),
        IdRef("monitor", "error-logs"),
    )
    # No thresholds at all: a composite's states are its monitors'.
    assert definition.thresholds is None
    assert definition.to_monitor_json() == {
        "name": "Checkout API",
        "type": "composite",
        "query": definition.query,
        "message": SETTINGS.message,
        "options": {"notify_no_data": False},
    }
    parsed = parse_monitor_query(with_stand_ins(definition.query))
    assert parsed.kind is QueryKind.COMPOSITE
    assert len(set(parsed.monitor_ids)) == 3


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(SETTINGS, MetricQuery("cpu"), Thresholds(90, warning=95))
            ),
            "monitor 'Checkout API': options.thresholds.warning: must be below critical (90) "
            "for comparator '>', got 95",
            id="warning-above-critical",
        ),
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(
                    SETTINGS,
                    MetricQuery("cpu"),
                    Thresholds(10, critical_recovery=5),
                    comparator="<",
                )
            ),
            "monitor 'Checkout API': options.thresholds.critical_recovery: must be at or above "
            "critical (10) for comparator '<', got 5",
            id="recovery-on-the-alerting-side",
        ),
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(
                    MonitorSettings("CPU", "m", no_data_timeframe=10),
                    MetricQuery("cpu"),
                    Thresholds(1),
                )
            ),
            "monitor 'CPU': options.no_data_timeframe: only applies with notify_no_data: true",
            id="no-data-timeframe-without-notify",
        ),
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(
                    MonitorSettings("CPU", "m", notify_by=("host",)),
                    MetricQuery("cpu", group_by=("service",)),
                    Thresholds(1),
                )
            ),
            "monitor 'CPU': options.notify_by: 'host' is not a group-by key of the query "
            "(group-by: service)",
            id="notify-by-outside-group-by",
        ),
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(
                    MonitorSettings("CPU", "m", priority=7), MetricQuery("cpu"), Thresholds(1)
                )
            ),
            "monitor 'CPU': priority: must be 1 (highest) to 5, got 7",
            id="priority",
        ),
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(SETTINGS, MetricQuery("cpu"), Thresholds(1), window="last_2mo")
            ),
            "monitor 'Checkout API': query: invalid window 'last_2mo': metric windows run from "
            "last_1m to last_1mo (at most last_43200m, last_720h or last_30d) (at char 4: "
            "'last_2mo')",
            id="window-too-long",
        ),
        pytest.param(
            lambda: apm_error_rate_monitor(ApmErrorRateSpec(SETTINGS, CHECKOUT, Thresholds(5))),
            "monitor 'Checkout API': error-rate thresholds are fractions of requests (0.05 is 5 %),"
            " got 5",
            id="error-rate-as-percent",
        ),
        pytest.param(
            lambda: anomaly_monitor(
                AnomalySpec(SETTINGS, MetricQuery("cpu"), query_window="last_1h")
            ),
            "monitor 'Checkout API': query_window 'last_1h' must be at least 5 times alert_window "
            "'last_15m', so the model has history to compare with",
            id="anomaly-history-too-short",
        ),
        pytest.param(
            lambda: anomaly_monitor(AnomalySpec(SETTINGS, MetricQuery("cpu"), alert_window="15m")),
            "monitor 'Checkout API': invalid window '15m': anomaly windows run from last_1m to "
            "last_2w",
            id="anomaly-window-format",
        ),
        pytest.param(
            lambda: anomaly_monitor(
                AnomalySpec(SETTINGS, MetricQuery("cpu"), thresholds=Thresholds(2))
            ),
            "monitor 'Checkout API': query: anomaly threshold must be a fraction in (0, 1], got 2 "
            "(at char 133: '2')",
            id="anomaly-threshold-not-a-fraction",
        ),
        pytest.param(
            lambda: log_monitor(
                LogMonitorSpec(SETTINGS, "service:checkout", Thresholds(1), aggregation="avg")
            ),
            "monitor 'Checkout API': query: .rollup(\"avg\") needs a measure, e.g. "
            '.rollup("avg", "@duration") (at char 44: \'avg\')',
            id="log-measure-missing",
        ),
        pytest.param(
            lambda: log_formula_monitor(
                LogFormulaSpec(
                    SETTINGS,
                    "errors / total",
                    (LogQueryVariable("errors", "status:error"),),
                    Thresholds(1),
                )
            ),
            "monitor 'Checkout API': options.variables: the formula uses 'total' but no variable "
            "has that name",
            id="formula-variable-missing",
        ),
        pytest.param(
            lambda: composite_monitor(CompositeSpec(SETTINGS, "latency &&& error-rate")),
            "monitor 'Checkout API': expression: expected a monitor role (lowercase words "
            "joined by '-') in the composite (at char 10: '& error-rate')",
            id="composite-syntax",
        ),
        pytest.param(
            lambda: metric_threshold_monitor(
                MetricThresholdSpec(MonitorSettings("  ", "m"), MetricQuery("cpu"), Thresholds(1))
            ),
            "a monitor needs a name",
            id="empty-name",
        ),
    ],
)
def test_inconsistent_input_raises_value_error(
    build: Callable[[], MonitorDefinition], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        build()

    assert str(raised.value) == message


def test_refused_input_carries_the_validators_problems_by_field() -> None:
    spec = MetricThresholdSpec(SETTINGS, MetricQuery("cpu"), Thresholds(1, warning=2))

    with pytest.raises(MonitorDefinitionError) as raised:
        metric_threshold_monitor(spec)

    problem = Problem(
        "options.thresholds.warning", "must be below critical (1) for comparator '>', got 2"
    )
    assert raised.value.problems == (problem,)
    assert raised.value.reason == str(problem)


COMPARATORS: tuple[Comparator, ...] = get_args(Comparator)
GROUPINGS = ((), ("host",), ("service", "resource_name"))
CRITICALS = (0.0, 0.05, 1.0, 90.0, 1234.5, -3.0)


@pytest.mark.parametrize(
    ("comparator", "critical", "group_by"),
    list(itertools.product(COMPARATORS, CRITICALS, GROUPINGS)),
)
def test_metric_and_log_builders_round_trip_through_the_parser(
    comparator: Comparator, critical: float, group_by: tuple[str, ...]
) -> None:
    metric = metric_threshold_monitor(
        MetricThresholdSpec(
            SETTINGS,
            MetricQuery("app.queue.depth", "sum", ("env:production",), group_by),
            Thresholds(critical),
            comparator=comparator,
        )
    )
    logs = log_monitor(
        LogMonitorSpec(
            SETTINGS, "service:checkout", Thresholds(critical), comparator, group_by=group_by
        )
    )

    for definition, kind in ((metric, QueryKind.METRIC), (logs, QueryKind.EVENT_SEARCH)):
        parsed = parse_monitor_query(definition.query)
        assert (parsed.kind, parsed.comparator, parsed.threshold, parsed.group_by) == (
            kind,
            comparator,
            critical,
            group_by,
        )
        assert validate_monitor(definition.to_monitor_json()) == []


@pytest.mark.parametrize(
    ("critical", "group_by"), list(itertools.product((0.25, 0.5, 2.0), GROUPINGS))
)
def test_apm_builders_round_trip_through_the_parser(
    critical: float, group_by: tuple[str, ...]
) -> None:
    latency = apm_latency_monitor(
        ApmLatencySpec(SETTINGS, CHECKOUT, Thresholds(critical), group_by=group_by)
    )
    parsed = parse_monitor_query(latency.query)

    assert (parsed.comparator, parsed.threshold, parsed.group_by) == (">", critical, group_by)
    if critical <= 1:
        rate = apm_error_rate_monitor(
            ApmErrorRateSpec(SETTINGS, CHECKOUT, Thresholds(critical), group_by=group_by)
        )
        parsed = parse_monitor_query(rate.query)
        assert (parsed.comparator, parsed.threshold, parsed.group_by) == (">", critical, group_by)


@pytest.mark.parametrize(
    ("algorithm", "seasonality", "critical"),
    [("basic", None, 1.0), ("agile", "hourly", 0.5), ("robust", "weekly", 0.75)],
)
def test_anomaly_builder_round_trips_through_the_parser(
    algorithm: AnomalyAlgorithm, seasonality: Seasonality | None, critical: float
) -> None:
    definition = anomaly_monitor(
        AnomalySpec(
            SETTINGS,
            MetricQuery("app.requests", group_by=("service",)),
            algorithm=algorithm,
            seasonality=seasonality,
            thresholds=Thresholds(critical, critical_recovery=0),
        )
    )
    parsed = parse_monitor_query(definition.query)

    assert parsed.anomaly is not None
    assert (parsed.comparator, parsed.threshold, parsed.group_by) == (">=", critical, ("service",))
    assert (parsed.anomaly.algorithm, parsed.anomaly.seasonality) == (algorithm, seasonality)
    assert definition.threshold_windows == ThresholdWindows(
        parsed.anomaly.alert_window.text, parsed.anomaly.alert_window.text
    )


def test_a_definition_datadog_would_accept_with_a_warning_is_built() -> None:
    # Datadog ignores seasonality on basic: the plan shows the warning and goes on.
    definition = anomaly_monitor(
        AnomalySpec(SETTINGS, MetricQuery("cpu"), algorithm="basic", seasonality="daily")
    )

    assert validate_monitor(definition.to_monitor_json()) == [
        Problem(
            "query",
            "seasonality does not apply to the 'basic' algorithm (only agile and robust are "
            "seasonal) (at char 143: 'daily')",
            Severity.WARNING,
        )
    ]
