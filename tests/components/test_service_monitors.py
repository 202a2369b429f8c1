"""The default monitors of a service and its custom monitors, per environment."""

import dataclasses
import re
from collections.abc import Callable

import pytest

from components.monitors import (
    AnomalySpec,
    CompositeSpec,
    CustomMonitor,
    ErrorLogSettings,
    ErrorRateSettings,
    LatencySettings,
    LogFormulaSpec,
    LogMonitorSpec,
    LogQueryVariable,
    MetricQuery,
    MetricThresholdSpec,
    MonitorDefinition,
    MonitorSettings,
    ServiceMonitorSettings,
    Thresholds,
    ThresholdWindows,
    ThroughputSettings,
    monitor_builders,
    service_monitors,
)
from components.monitors.query import parse_monitor_query
from components.monitors.validation import validate_monitor
from components.telemetry import Need, Signal
from tests.factories import CHAT, PAGER, RUNBOOK, monitors_spec

PRODUCTION_TAGS = ["service:checkout-api", "env:production", "team:payments", "managed-by:pulumi"]
SCOPE = "{env:production,service:checkout-api}"

CONNECTION_FAILED_LOGS = LogMonitorSpec(
    MonitorSettings("database connection failures", "The app cannot reach its database."),
    search="service:checkout-api @event:connection_failed",
    thresholds=Thresholds(3),
    window="2m",
)
CONNECTION_FAILURES = CustomMonitor("connection-failures", CONNECTION_FAILED_LOGS)


CUSTOM_OF_EACH = (
    CustomMonitor(
        "queue-depth",
        MetricThresholdSpec(
            MonitorSettings("queue backlog", "", tags=("queue:orders",), priority=5),
            MetricQuery("app.queue.depth", "max", ("env:production",), ("queue",)),
            Thresholds(1000, warning=500),
        ),
        severity="low",
    ),
    CustomMonitor(
        "signups",
        AnomalySpec(
            MonitorSettings("signups unusual", "Signups left their usual range."),
            MetricQuery("app.signups", "sum", ("env:production",), as_count=True),
            seasonality="daily",
        ),
    ),
    CustomMonitor(
        "failed-payments",
        LogFormulaSpec(
            MonitorSettings(
                "failed payments above 2%",
                "Payments fail more than usual.",
                renotify_interval=30,
                notify_no_data=True,
                no_data_timeframe=30,
            ),
            formula="failed / total * 100",
            variables=(
                LogQueryVariable("failed", "service:checkout-api @payment.status:failed"),
                LogQueryVariable("total", "service:checkout-api @payment.status:*"),
            ),
            thresholds=Thresholds(2),
        ),
    ),
)


@pytest.fixture(scope="module")
def production() -> dict[str, MonitorDefinition]:
    return service_monitors(monitors_spec("production", custom=(CONNECTION_FAILURES,)))


@pytest.fixture(scope="module")
def dev() -> dict[str, MonitorDefinition]:
    return service_monitors(monitors_spec("dev", custom=(CONNECTION_FAILURES,)))


def test_roles_are_the_defaults_then_the_custom_monitors(
    production: dict[str, MonitorDefinition],
) -> None:
    assert list(production) == [
        "latency", "error-rate", "throughput", "error-logs", "connection-failures",
    ]  # fmt: skip


def test_latency_in_production_pages_and_reports_missing_traces(
    production: dict[str, MonitorDefinition],
) -> None:
    latency = production["latency"]

    assert latency.to_monitor_json() == {
        "name": "[production] checkout-api: p95 latency above 0.5s",
        "type": "query alert",
        "query": f"percentile(last_5m):p95:trace.fastapi.request{SCOPE} > 0.5",
        "message": latency.message,
        "tags": PRODUCTION_TAGS,
        "priority": 1,
        "options": {
            "thresholds": {"critical": 0.5, "warning": 0.4},
            "notify_no_data": True,
            "no_data_timeframe": 10,
            "renotify_interval": 60,
        },
    }
    assert latency.message == (
        "{{#is_alert}}\n"
        "p95 latency of checkout-api is {{value}}s, above the {{threshold}}s alert threshold.\n"
        f"{PAGER}\n"
        "{{/is_alert}}\n"
        "{{#is_warning}}\n"
        "p95 latency of checkout-api is {{value}}s, above the {{warn_threshold}}s warning "
        "threshold.\n"
        f"{CHAT}\n"
        "{{/is_warning}}\n"
        "{{#is_recovery}}\n"
        "p95 latency of checkout-api is back to {{value}}s.\n"
        "{{/is_recovery}}\n"
        f"{{{{#is_alert_recovery}}}}\n{PAGER}\n{{{{/is_alert_recovery}}}}\n"
        f"{{{{#is_warning_recovery}}}}\n{CHAT}\n{{{{/is_warning_recovery}}}}\n"
        "{{#is_no_data}}\n"
        "No request to checkout-api traced for 10 minutes: the service may be down, "
        "unreachable, or no longer sending traces.\n"
        f"{CHAT}\n"
        "{{/is_no_data}}\n"
        f"Runbook: {RUNBOOK}"
    )


def test_error_rate_divides_error_counts_by_hits_without_a_full_window(
    production: dict[str, MonitorDefinition],
) -> None:
    errors = production["error-rate"].to_monitor_json()

    assert errors["name"] == "[production] checkout-api: error rate above 5%"
    assert errors["query"] == (
        f"sum(last_5m):(sum:trace.fastapi.request.errors{SCOPE}.as_count() / "
        f"sum:trace.fastapi.request.hits{SCOPE}.as_count()) > 0.05"
    )
    assert errors["options"] == {
        "thresholds": {"critical": 0.05, "warning": 0.03},
        "notify_no_data": False,
        "renotify_interval": 60,
        "require_full_window": False,
    }
    assert errors["priority"] == 1
    assert f"above the {{{{threshold}}}} alert threshold.\n{PAGER}\n" in str(errors["message"])


def test_throughput_anomaly_follows_the_weekly_pattern_and_only_chats(
    production: dict[str, MonitorDefinition],
) -> None:
    throughput = production["throughput"]

    assert throughput.name == "[production] checkout-api: throughput below its weekly pattern"
    assert throughput.query == (
        f"avg(last_1d):anomalies(sum:trace.fastapi.request.hits{SCOPE}.as_count(), 'agile', 2, "
        "direction='below', alert_window='last_30m', interval=300, count_default_zero='true', "
        "seasonality='weekly') >= 1"
    )
    assert throughput.thresholds == Thresholds(1.0, critical_recovery=0.0)
    assert throughput.threshold_windows == ThresholdWindows("last_30m", "last_30m")
    assert (throughput.priority, throughput.renotify_interval) == (3, None)
    assert throughput.message == (
        "{{#is_alert}}\n"
        "Requests to checkout-api have been below the band expected from its weekly pattern "
        f"for 30 minutes.\n{CHAT}\n"
        "{{/is_alert}}\n"
        "{{#is_recovery}}\nRequests to checkout-api are back within the expected band.\n"
        "{{/is_recovery}}\n"
        f"{{{{#is_alert_recovery}}}}\n{CHAT}\n{{{{/is_alert_recovery}}}}\n"
        f"Runbook: {RUNBOOK}"
    )


def test_error_log_spike_watches_this_environment_only(
    production: dict[str, MonitorDefinition],
) -> None:
    logs = production["error-logs"]

    assert logs.to_monitor_json() == {
        "name": "[production] checkout-api: more than 10 error logs in 5 minutes",
        "type": "log alert",
        "query": 'logs("service:checkout-api env:production status:error").index("*")'
        '.rollup("count").last("5m") > 10',
        "message": logs.message,
        "tags": PRODUCTION_TAGS,
        "priority": 3,
        "options": {"thresholds": {"critical": 10, "warning": 5}, "notify_no_data": False},
    }
    assert PAGER not in logs.message
    assert "checkout-api logged {{value}} errors in 5 minutes" in logs.message


def test_custom_log_monitor_gets_the_service_name_tags_and_routing(
    production: dict[str, MonitorDefinition],
) -> None:
    failures = production["connection-failures"]

    assert failures.to_monitor_json() == {
        "name": "[production] checkout-api: database connection failures",
        "type": "log alert",
        "query": 'logs("service:checkout-api @event:connection_failed").index("*")'
        '.rollup("count").last("2m") > 3',
        "message": (
            "{{#is_alert}}\n"
            "The app cannot reach its database. Value {{value}}, alert threshold {{threshold}}.\n"
            f"{PAGER}\n"
            "{{/is_alert}}\n"
            "{{#is_recovery}}\n"
            "Recovered: database connection failures (value {{value}}).\n"
            "{{/is_recovery}}\n"
            f"{{{{#is_alert_recovery}}}}\n{PAGER}\n{{{{/is_alert_recovery}}}}\n"
            f"Runbook: {RUNBOOK}"
        ),
        "tags": PRODUCTION_TAGS,
        "priority": 1,
        "options": {
            "thresholds": {"critical": 3},
            "notify_no_data": False,
            "renotify_interval": 60,
        },
    }


def test_dev_notifies_nobody_and_ignores_missing_data(dev: dict[str, MonitorDefinition]) -> None:
    for definition in dev.values():
        assert definition.name.startswith("[dev] checkout-api: ")
        assert "@" not in definition.message
        assert "is_no_data" not in definition.message
        assert "is_alert_recovery" not in definition.message
        assert "is_warning_recovery" not in definition.message
        assert not definition.notify_no_data
        assert definition.renotify_interval is None
        assert "env:dev" in definition.tags
    assert dev["latency"].query == (
        "percentile(last_5m):p95:trace.fastapi.request{env:dev,service:checkout-api} > 0.5"
    )
    assert dev["error-logs"].query.startswith('logs("service:checkout-api env:dev status:error")')
    assert {role: definition.priority for role, definition in dev.items()} == {
        "latency": 2,
        "error-rate": 2,
        "throughput": 4,
        "error-logs": 4,
        "connection-failures": 2,
    }


@pytest.mark.parametrize("env", ["production", "dev"])
def test_the_validator_accepts_every_generated_monitor(env: str) -> None:
    grouped = ServiceMonitorSettings(
        latency=LatencySettings(group_by=("resource_name",)),
        error_rate=ErrorRateSettings(group_by=("resource_name",)),
        error_logs=ErrorLogSettings(group_by=("@http.status_code",)),
    )
    for settings in (ServiceMonitorSettings(), grouped):
        monitors = service_monitors(
            monitors_spec(env, settings=settings, custom=(CONNECTION_FAILURES, *CUSTOM_OF_EACH))
        )
        for definition in monitors.values():
            assert validate_monitor(definition.to_monitor_json()) == []


def test_grouped_monitors_alert_per_group_and_say_which(
    production: dict[str, MonitorDefinition],
) -> None:
    monitors = service_monitors(
        monitors_spec(
            settings=ServiceMonitorSettings(
                latency=LatencySettings(group_by=("resource_name",)),
                error_logs=ErrorLogSettings(group_by=("@http.status_code",)),
            )
        )
    )

    latency = monitors["latency"]
    assert parse_monitor_query(latency.query).group_by == ("resource_name",)
    assert latency.message.startswith(
        "{{#is_alert}}\np95 latency of checkout-api on resource_name {{resource_name.name}} is "
    )
    assert '.by("@http.status_code")' in monitors["error-logs"].query
    assert "checkout-api on @http.status_code {{[@http.status_code].name}} logged" in (
        monitors["error-logs"].message
    )
    assert monitors["error-rate"] == production["error-rate"]


def test_every_number_is_configurable() -> None:
    monitors = service_monitors(
        monitors_spec(
            operation="flask.request",
            settings=ServiceMonitorSettings(
                latency=LatencySettings(
                    critical_seconds=2, warning_seconds=None, percentile="p99", window="last_10m"
                ),
                error_rate=ErrorRateSettings(critical=0.1, warning=0.025, window="last_15m"),
                throughput=ThroughputSettings(
                    algorithm="robust",
                    direction="both",
                    seasonality="daily",
                    bounds=3,
                    alert_window="last_1h",
                    interval=600,
                    query_window="last_1w",
                    timezone="europe/paris",
                ),
                error_logs=ErrorLogSettings(critical=50, warning=None, window="15m"),
                no_data_minutes=20,
            ),
        )
    )

    latency = monitors["latency"]
    assert latency.name == "[production] checkout-api: p99 latency above 2s"
    assert latency.query == f"percentile(last_10m):p99:trace.flask.request{SCOPE} > 2"
    assert latency.thresholds == Thresholds(2)
    assert "is_warning" not in latency.message
    assert latency.no_data_timeframe == 20
    assert "traced for 20 minutes" in latency.message
    errors = monitors["error-rate"]
    assert errors.name == "[production] checkout-api: error rate above 10%"
    assert errors.query.startswith("sum(last_15m):(sum:trace.flask.request.errors")
    assert errors.thresholds == Thresholds(0.1, warning=0.025)
    throughput = monitors["throughput"]
    assert throughput.name == "[production] checkout-api: throughput outside its daily pattern"
    assert throughput.query == (
        f"avg(last_1w):anomalies(sum:trace.flask.request.hits{SCOPE}.as_count(), 'robust', 3, "
        "direction='both', alert_window='last_1h', interval=600, count_default_zero='true', "
        "seasonality='daily', timezone='europe/paris') >= 1"
    )
    assert "outside the band expected from its daily pattern for 1 hour." in throughput.message
    logs = monitors["error-logs"]
    assert logs.name == "[production] checkout-api: more than 50 error logs in 15 minutes"
    assert logs.query.endswith('.last("15m") > 50')


def test_default_monitors_can_be_left_out() -> None:
    monitors = service_monitors(
        monitors_spec(
            settings=ServiceMonitorSettings(latency=None, throughput=None, error_logs=None)
        )
    )

    assert list(monitors) == ["error-rate"]


def test_no_data_environments_are_a_setting() -> None:
    settings = ServiceMonitorSettings(no_data_environments=("production", "staging"))

    staging = service_monitors(monitors_spec("staging", settings=settings))["latency"]
    production = service_monitors(
        monitors_spec(settings=ServiceMonitorSettings(no_data_environments=()))
    )["latency"]

    assert (staging.notify_no_data, staging.no_data_timeframe) == (True, 10)
    assert (production.notify_no_data, production.no_data_timeframe) == (False, None)
    assert "is_no_data" not in production.message


def test_extra_tags_and_runbook_are_optional() -> None:
    latency = service_monitors(
        monitors_spec("dev", runbook_url=None, extra_tags=("cost-center:42",))
    )["latency"]

    assert latency.tags == (
        "service:checkout-api", "env:dev", "team:payments", "managed-by:pulumi", "cost-center:42",
    )  # fmt: skip
    assert "Runbook" not in latency.message


def test_custom_monitors_of_each_kind_keep_what_the_team_set() -> None:
    monitors = service_monitors(monitors_spec(custom=CUSTOM_OF_EACH))

    queue = monitors["queue-depth"]
    assert queue.name == "[production] checkout-api: queue backlog"
    assert queue.query == "avg(last_5m):max:app.queue.depth{env:production} by {queue} > 1000"
    assert queue.tags == (*PRODUCTION_TAGS, "queue:orders")
    assert (queue.priority, queue.renotify_interval) == (5, None)
    # Low severity: the alert goes to the chat, never the pager.
    assert f"Queue backlog. Value {{{{value}}}}, alert threshold {{{{threshold}}}}.\n{CHAT}" in (
        queue.message
    )
    assert PAGER not in queue.message
    assert "Queue backlog. Value {{value}}, warning threshold {{warn_threshold}}." in queue.message
    signups = monitors["signups"]
    assert signups.query.startswith("avg(last_4h):anomalies(sum:app.signups{env:production}")
    assert signups.threshold_windows == ThresholdWindows("last_15m", "last_15m")
    assert (signups.priority, signups.renotify_interval) == (1, 60)
    payments = monitors["failed-payments"]
    assert payments.query == 'formula("failed / total * 100").last("15m") > 2'
    assert [variable.name for variable in payments.variables] == ["failed", "total"]
    assert (payments.renotify_interval, payments.no_data_timeframe) == (30, 30)
    assert f"{{{{#is_no_data}}}}\nNo data for failed payments above 2%.\n{CHAT}\n" in (
        payments.message
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: CustomMonitor("Connection Failures", CONNECTION_FAILED_LOGS),
            "monitor role 'Connection Failures' must be lowercase words joined by '-', "
            "e.g. 'error-rate'",
            id="role-format",
        ),
        pytest.param(
            lambda: service_monitors(
                monitors_spec(custom=(dataclasses.replace(CONNECTION_FAILURES, role="latency"),))
            ),
            "custom monitor role 'latency' is already taken by another monitor of checkout-api",
            id="role-taken-by-a-default",
        ),
        pytest.param(
            lambda: service_monitors(monitors_spec(custom=(CONNECTION_FAILURES,) * 2)),
            "custom monitor role 'connection-failures' is already taken",
            id="role-twice",
        ),
        pytest.param(
            lambda: service_monitors(
                monitors_spec(
                    custom=(
                        CustomMonitor(
                            "nameless",
                            dataclasses.replace(
                                CONNECTION_FAILED_LOGS, settings=MonitorSettings(" ", "")
                            ),
                        ),
                    )
                )
            ),
            "custom monitor 'nameless' needs a name",
            id="custom-without-name",
        ),
        pytest.param(
            lambda: service_monitors(
                monitors_spec(
                    settings=ServiceMonitorSettings(
                        latency=LatencySettings(critical_seconds=0.5, warning_seconds=0.8)
                    )
                )
            ),
            "monitor '[production] checkout-api: p95 latency above 0.5s': "
            "options.thresholds.warning: must be below critical (0.5) for comparator '>', got 0.8",
            id="warning-above-critical",
        ),
        pytest.param(
            lambda: service_monitors(
                monitors_spec(settings=ServiceMonitorSettings(error_rate=ErrorRateSettings(5)))
            ),
            "error-rate thresholds are fractions of requests (0.05 is 5 %), got 5",
            id="error-rate-as-percent",
        ),
        pytest.param(
            lambda: service_monitors(
                monitors_spec(
                    settings=ServiceMonitorSettings(
                        throughput=ThroughputSettings(query_window="last_2h")
                    )
                )
            ),
            "query_window 'last_2h' must be at least 5 times alert_window 'last_30m'",
            id="anomaly-history-too-short",
        ),
        pytest.param(
            lambda: service_monitors(
                monitors_spec(
                    custom=(
                        dataclasses.replace(
                            CONNECTION_FAILURES,
                            spec=dataclasses.replace(CONNECTION_FAILED_LOGS, window="3d"),
                        ),
                    )
                )
            ),
            "monitor '[production] checkout-api: database connection failures': query: invalid "
            "window '3d'",
            id="custom-log-window",
        ),
    ],
)
def test_inconsistent_settings_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_each_monitor_is_built_on_its_own_so_a_failure_names_its_role() -> None:
    broken = dataclasses.replace(
        CONNECTION_FAILURES,
        spec=dataclasses.replace(CONNECTION_FAILED_LOGS, thresholds=Thresholds(3, warning=4)),
    )
    builders = monitor_builders(monitors_spec(custom=(broken,)))

    assert list(builders) == [
        "latency", "error-rate", "throughput", "error-logs", "connection-failures",
    ]  # fmt: skip
    assert builders["latency"].build().name == "[production] checkout-api: p95 latency above 0.5s"
    with pytest.raises(ValueError, match=r"options\.thresholds\.warning: must be below critical"):
        builders["connection-failures"].build()


SLOW_AND_FAILING_SPEC = CompositeSpec(
    MonitorSettings("slow and failing", "Checkout is slow and failing at once."),
    expression="latency && (error-rate || connection-failures)",
)
SLOW_AND_FAILING = CustomMonitor("slow-and-failing", SLOW_AND_FAILING_SPEC)


def test_a_composite_combines_the_services_monitors_and_routes_like_the_others() -> None:
    monitors = service_monitors(monitors_spec(custom=(CONNECTION_FAILURES, SLOW_AND_FAILING)))

    composite = monitors["slow-and-failing"]
    assert composite.to_monitor_json() == {
        "name": "[production] checkout-api: slow and failing",
        "type": "composite",
        "query": "${monitor:latency} && (${monitor:error-rate} || ${monitor:connection-failures})",
        "message": (
            "{{#is_alert}}\n"
            "Checkout is slow and failing at once.\n"
            f"{PAGER}\n"
            "{{/is_alert}}\n"
            "{{#is_warning}}\n"
            "Warning, not yet an alert: Checkout is slow and failing at once.\n"
            f"{CHAT}\n"
            "{{/is_warning}}\n"
            "{{#is_recovery}}\n"
            "Recovered: slow and failing.\n"
            "{{/is_recovery}}\n"
            f"{{{{#is_alert_recovery}}}}\n{PAGER}\n{{{{/is_alert_recovery}}}}\n"
            f"{{{{#is_warning_recovery}}}}\n{CHAT}\n{{{{/is_warning_recovery}}}}\n"
            f"Runbook: {RUNBOOK}"
        ),
        "tags": PRODUCTION_TAGS,
        "priority": 1,
        "options": {"notify_no_data": False, "renotify_interval": 60},
    }
    assert {ref.role for ref in composite.id_refs} == {
        "latency", "error-rate", "connection-failures",
    }  # fmt: skip


def test_a_composite_reads_what_the_monitors_it_combines_read() -> None:
    builders = monitor_builders(monitors_spec(custom=(CONNECTION_FAILURES, SLOW_AND_FAILING)))

    composite = builders["slow-and-failing"]
    assert composite.operands == ("latency", "error-rate", "connection-failures")
    assert composite.reads == (
        Need(Signal.TRACES, "checkout-api"),
        Need(Signal.LOGS, "checkout-api"),
    )


@pytest.mark.parametrize(
    ("expression", "operand"),
    [
        pytest.param("latency && error-rates", "error-rates", id="unknown-role"),
        pytest.param("latency && slow-and-failing", "slow-and-failing", id="itself"),
        pytest.param("latency && other", "other", id="another-composite"),
    ],
)
def test_a_composite_combines_only_other_plain_monitors_of_its_service(
    expression: str, operand: str
) -> None:
    composite = dataclasses.replace(
        SLOW_AND_FAILING, spec=dataclasses.replace(SLOW_AND_FAILING_SPEC, expression=expression)
    )
    other = dataclasses.replace(SLOW_AND_FAILING, role="other")

    with pytest.raises(
        ValueError,
        match=re.escape(
            f"composite monitor 'slow-and-failing' names {operand!r}, which is not another "
            "non-composite monitor of checkout-api"
        ),
    ):
        monitor_builders(monitors_spec(custom=(composite, other)))
