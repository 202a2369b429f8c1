"""From the monitors, notifications and dashboards of a stack file to the builders' inputs."""

from typing import Any

import pytest

from components.monitors import (
    MonitorDefinition,
    Notifications,
    ServiceMonitorSettings,
    SeverityPolicy,
    service_monitors,
)
from stacks.program.compile import monitor_settings, monitors_spec
from stacks.program.load import parse_stack_config
from stacks.program.model import StackConfig
from stacks.program.model.monitors import MonitorsSettings
from tests.factories import SERVICE_CONFIG, planned_telemetry

SERVICE: dict[str, Any] = dict(SERVICE_CONFIG)
NO_DEFAULT_MONITORS = {"latency": None, "errorRate": None, "throughput": None, "errorLogs": None}
NO_SLOS = {"availability": None, "latency": None}


def stack(env: str = "dev", **sections: Any) -> StackConfig:
    return parse_stack_config({"environment": {"name": env, "team": "platform"}, **sections})


def checkout_monitors(config: StackConfig) -> dict[str, MonitorDefinition]:
    return service_monitors(monitors_spec(config, config.services[0]))


def test_the_models_defaults_are_the_builders_defaults() -> None:
    config = stack(services=[SERVICE])

    spec = monitors_spec(config, config.services[0])

    assert monitor_settings(config, MonitorsSettings()) == ServiceMonitorSettings()
    assert spec.settings == ServiceMonitorSettings()
    assert spec.notifications == Notifications()
    assert spec.operation == "fastapi.request"


def test_every_custom_kind_is_built_from_its_keys() -> None:
    config = stack(
        services=[
            {
                **SERVICE,
                "monitors": {
                    **NO_DEFAULT_MONITORS,
                    "custom": {
                        "queue-depth": {
                            "kind": "metric",
                            "name": "queue backlog",
                            "metric": "app.queue.depth",
                            "aggregation": "max",
                            "filters": ["env:dev", "service:checkout-api"],
                            "groupBy": ["queue"],
                            "critical": 1000,
                            "warning": 500,
                            "window": "last_10m",
                            "evaluationDelaySeconds": 60,
                            "notifyBy": ["queue"],
                            "severity": "low",
                        },
                        "signups": {
                            "kind": "anomaly",
                            "name": "signups unusual",
                            "metric": "app.signups",
                            "aggregation": "sum",
                            "filters": ["env:dev"],
                            "asCount": True,
                            "seasonality": "daily",
                            "direction": "below",
                            "recoveryWindow": "last_30m",
                        },
                        "slow-payments": {
                            "kind": "log",
                            "name": "slow payment calls",
                            "search": "service:checkout-api @payment.provider:*",
                            "aggregation": "pc95",
                            "measure": "@duration",
                            "groupBy": ["@payment.provider"],
                            "critical": 2e9,
                            "window": "10m",
                            "noDataMinutes": 30,
                            "priority": 2,
                            "renotifyMinutes": 120,
                            "tags": ["component:payments"],
                        },
                        "failed-payments": {
                            "kind": "formula",
                            "name": "failed payments above 2%",
                            "formula": "failed / total * 100",
                            "variables": {
                                "failed": {
                                    "search": "service:checkout-api @payment.status:failed",
                                    "groupBy": ["@payment.provider"],
                                },
                                "total": {
                                    "search": "service:checkout-api",
                                    "groupBy": ["@payment.provider"],
                                    "groupLimit": 5,
                                },
                            },
                            "critical": 2,
                        },
                    },
                },
            }
        ]
    )

    built: dict[str, dict[str, Any]] = {
        role: m.to_monitor_json() for role, m in checkout_monitors(config).items()
    }

    assert list(built) == ["queue-depth", "signups", "slow-payments", "failed-payments"]
    queue = built["queue-depth"]
    assert queue["query"] == (
        "avg(last_10m):max:app.queue.depth{env:dev,service:checkout-api} by {queue} > 1000"
    )
    assert queue["options"] == {
        "thresholds": {"critical": 1000, "warning": 500},
        "notify_no_data": False,
        "evaluation_delay": 60,
        "notify_by": ["queue"],
    }
    assert queue["priority"] == 4  # low severity
    signups = built["signups"]
    assert signups["query"] == (
        "avg(last_4h):anomalies(sum:app.signups{env:dev}.as_count(), 'agile', 2, "
        "direction='below', alert_window='last_15m', interval=60, count_default_zero='true', "
        "seasonality='daily') >= 1"
    )
    assert signups["options"]["threshold_windows"] == {
        "trigger_window": "last_15m",
        "recovery_window": "last_30m",
    }
    assert signups["options"]["thresholds"] == {"critical": 1, "critical_recovery": 0}
    slow = built["slow-payments"]
    assert slow["query"] == (
        'logs("service:checkout-api @payment.provider:*").index("*")'
        '.rollup("pc95", "@duration").by("@payment.provider").last("10m") > 2000000000'
    )
    assert slow["options"] == {
        "thresholds": {"critical": 2e9},
        "notify_no_data": True,
        "no_data_timeframe": 30,
        "renotify_interval": 120,
    }
    assert (slow["priority"], slow["tags"][-1]) == (2, "component:payments")
    assert "{{#is_no_data}}\nNo data for slow payment calls.\n{{/is_no_data}}" in slow["message"]
    failed = built["failed-payments"]
    assert failed["query"] == 'formula("failed / total * 100").last("15m") > 2'
    variables = failed["options"]["variables"]
    assert [(v["name"], v["group_by"][0]["limit"]) for v in variables] == [
        ("failed", 10),
        ("total", 5),
    ]


def test_a_service_replaces_only_the_notification_keys_it_sets() -> None:
    config = stack(
        "production",
        datadog={
            "notifications": {
                "alert": ["@pagerduty-Platform"],
                "warning": ["@slack-platform-alerts"],
                "noData": ["@slack-platform-alerts"],
                "high": {"priority": 1, "renotifyMinutes": 60},
                "low": {"priority": 3},
            }
        },
        services=[
            {**SERVICE, "notifications": {"alert": ["@pagerduty-Checkout"]}},
            {**SERVICE, "name": "orders-api"},
        ],
    )

    checkout, orders = (monitors_spec(config, s).notifications for s in config.services)

    assert checkout == Notifications(
        alert=("@pagerduty-Checkout",),
        warning=("@slack-platform-alerts",),
        no_data=("@slack-platform-alerts",),
        high=SeverityPolicy(priority=1, renotify_minutes=60),
        low=SeverityPolicy(priority=3),
    )
    assert orders.alert == ("@pagerduty-Platform",)


def test_the_team_falls_back_to_the_environment_team() -> None:
    config = stack(services=[{**SERVICE, "team": "payments"}, {**SERVICE, "name": "orders-api"}])

    teams = [monitors_spec(config, s).team for s in config.services]

    assert teams == ["payments", "platform"]


@pytest.mark.parametrize(
    ("env", "defaults", "no_data_minutes"),
    [
        ("production", {}, 10),
        ("dev", {}, None),
        ("staging", {"noDataMinutes": 20, "noDataEnvironments": ["production", "staging"]}, 20),
    ],
)
def test_missing_traces_alert_where_monitor_defaults_say(
    env: str, defaults: dict[str, Any], no_data_minutes: int | None
) -> None:
    notifications = {"alert": ["@pagerduty-Platform"]}
    config = stack(
        env,
        datadog={"notifications": notifications, "monitorDefaults": defaults},
        services=[SERVICE],
    )

    latency = checkout_monitors(config)["latency"]

    assert latency.notify_no_data is (no_data_minutes is not None)
    assert latency.no_data_timeframe == no_data_minutes


def test_dashboards_follow_their_switches() -> None:
    eks = {"clusterName": "platform-dev"}
    config = stack(services=[{**SERVICE, "operation": "django.request"}], eks=eks)

    plan = planned_telemetry(config)
    dashboard = plan.services["checkout-api"].dashboard
    platform = plan.platform_dashboard

    assert dashboard is not None
    assert dashboard["title"] == "checkout-api (dev)"
    assert "trace.django.request" in str(dashboard)
    assert platform is not None
    assert platform["title"] == "Telemetry pipeline (platform-dev)"
    assert plan.manages_datadog_resources
    quiet = planned_telemetry(
        stack(
            services=[
                {**SERVICE, "dashboard": False, "monitors": NO_DEFAULT_MONITORS, "slos": NO_SLOS}
            ],
            eks={**eks, "dashboard": False},
        )
    )
    assert quiet.services["checkout-api"].dashboard is None
    assert quiet.platform_dashboard is None
    assert not quiet.manages_datadog_resources
