"""Datadog monitors and dashboards are checked as the engine receives them."""

import json
from typing import Any

import pulumi_datadog as datadog
import pytest

from components.monitors import (
    CustomMonitor,
    LogFormulaSpec,
    LogMonitorSpec,
    LogQueryVariable,
    MonitorDefinition,
    MonitorSettings,
    Thresholds,
    service_monitors,
)
from components.monitors.monitor_resources import ServiceMonitors, ServiceMonitorsArgs
from stacks.tooling.engine import ResourceValidationError, run_program
from stacks.validation.monitors import MONITOR_TYPE, monitor_json, monitor_problems
from tests.factories import monitors_spec

WIRE: dict[str, Any] = {
    "name": "[production] checkout-api: failed payments above 2%",
    "type": "log alert",
    "query": 'formula("failed / total * 100").last("15m") > 2',
    "message": "Payments fail. @pagerduty-Checkout",
    "tags": ["service:checkout-api", "env:production"],
    "priority": "1",
    "monitorThresholds": {"critical": "2", "warning": "1.5", "criticalRecovery": "1"},
    "notifyNoData": True,
    "noDataTimeframe": 30.0,
    "renotifyInterval": 60.0,
    "newGroupDelay": 300.0,
    "onMissingData": "show_no_data",
    "notifyBies": ["@payment.provider"],
    "validate": True,
    "variables": {
        "eventQueries": [
            {
                "name": "failed",
                "dataSource": "logs",
                "indexes": ["*"],
                "computes": [{"aggregation": "count"}],
                "search": {"query": "service:checkout-api @payment.status:failed"},
                "groupBies": [
                    {
                        "facet": "@payment.provider",
                        "limit": 10.0,
                        "sort": {"aggregation": "count", "order": "desc"},
                    }
                ],
            },
            {
                "name": "total",
                "dataSource": "logs",
                "indexes": ["*"],
                "computes": [{"aggregation": "avg", "metric": "@duration"}],
                "search": {"query": "service:checkout-api"},
            },
        ]
    },
}


def test_wire_inputs_map_to_the_api_form() -> None:
    assert monitor_json(WIRE) == {
        "name": "[production] checkout-api: failed payments above 2%",
        "type": "log alert",
        "query": 'formula("failed / total * 100").last("15m") > 2',
        "message": "Payments fail. @pagerduty-Checkout",
        "tags": ["service:checkout-api", "env:production"],
        "priority": 1,
        "options": {
            "thresholds": {"critical": 2, "warning": 1.5, "critical_recovery": 1},
            "notify_no_data": True,
            "no_data_timeframe": 30.0,
            "renotify_interval": 60.0,
            "new_group_delay": 300.0,
            "on_missing_data": "show_no_data",
            "notify_by": ["@payment.provider"],
            "variables": [
                {
                    "name": "failed",
                    "data_source": "logs",
                    "indexes": ["*"],
                    "compute": {"aggregation": "count"},
                    "search": {"query": "service:checkout-api @payment.status:failed"},
                    "group_by": [
                        {
                            "facet": "@payment.provider",
                            "limit": 10.0,
                            "sort": {"aggregation": "count", "order": "desc"},
                        }
                    ],
                },
                {
                    "name": "total",
                    "data_source": "logs",
                    "indexes": ["*"],
                    "compute": {"aggregation": "avg", "metric": "@duration"},
                    "search": {"query": "service:checkout-api"},
                },
            ],
        },
    }
    assert monitor_problems(WIRE) == []


def test_strings_that_are_not_numbers_reach_the_validator_as_written() -> None:
    wire = {**WIRE, "priority": "urgent", "monitorThresholds": {"critical": "two"}}

    assert [str(problem) for problem in monitor_problems(wire)] == [
        "priority: must be 1 (highest) to 5, got 'urgent'",
        "options.thresholds.critical: must be a number, got 'two'",
    ]


PAYMENTS = (
    CustomMonitor(
        "failed-payments",
        LogFormulaSpec(
            MonitorSettings(
                "failed payments above 2%",
                "Payments fail more than usual.",
                notify_by=("@payment.provider",),
                notify_no_data=True,
                no_data_timeframe=30,
            ),
            formula="failed / total * 100",
            variables=(
                LogQueryVariable(
                    "failed",
                    "service:checkout-api @payment.status:failed",
                    group_by=("@payment.provider",),
                ),
                LogQueryVariable(
                    "total",
                    "service:checkout-api",
                    aggregation="cardinality",
                    measure="@payment.id",
                    group_by=("@payment.provider",),
                ),
            ),
            thresholds=Thresholds(2, warning=1),
        ),
    ),
    CustomMonitor(
        "slow-payments",
        LogMonitorSpec(
            MonitorSettings("slow payment calls", ""),
            search="service:checkout-api",
            thresholds=Thresholds(2.5, warning=1.25, critical_recovery=2),
            aggregation="pc95",
            measure="@duration",
        ),
        severity="low",
    ),
)


@pytest.mark.parametrize("env", ["dev", "production"])
def test_what_the_component_sends_maps_back_to_the_definition(env: str) -> None:
    definitions: dict[str, MonitorDefinition] = service_monitors(
        monitors_spec(env, custom=PAYMENTS)
    )

    run = run_program(
        lambda: ServiceMonitors("checkout-api", ServiceMonitorsArgs(definitions)), stack=env
    )

    for role, definition in definitions.items():
        inputs = run.named(f"checkout-api-{role}").inputs
        assert monitor_json(inputs) == definition.to_monitor_json(), role


def test_a_broken_monitor_fails_the_run_that_registers_it() -> None:
    def program() -> None:
        datadog.Monitor(
            "latency",
            name="p95 latency",
            type="query alert",
            query="percentile(last_5m):p95:trace.fastapi.request{env:dev} > 0.5",
            message="Slow.",
            monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(critical="0.6", warning="0.7"),
        )

    with pytest.raises(ResourceValidationError) as error:
        run_program(program, stack="dev")

    assert str(error.value) == (
        f"urn:pulumi:dev::observability::{MONITOR_TYPE}::latency: "
        "options.thresholds.critical: 0.6 does not match the threshold in the query (0.5); "
        "options.thresholds.warning: must be below critical (0.5) for comparator '>', got 0.7"
    )


def test_a_broken_dashboard_fails_the_run_that_registers_it() -> None:
    dashboard = {
        "title": "checkout-api",
        "layout_type": "ordered",
        "widgets": [
            {"definition": {"type": "timeseries", "requests": [{"q": "x", "display_type": "pie"}]}}
        ],
    }

    def program() -> None:
        datadog.DashboardJson("checkout-api", dashboard=json.dumps(dashboard))

    with pytest.raises(
        ResourceValidationError,
        match=r"widgets\[0\]\.definition\.requests\[0\]\.display_type: unknown value 'pie'",
    ):
        run_program(program, stack="dev")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "dashboard: not a JSON document"),
        ("[]", "dashboard: expected a JSON object, got list"),
    ],
)
def test_dashboard_text_that_is_no_dashboard_fails_the_run(text: str, problem: str) -> None:
    def program() -> None:
        datadog.DashboardJson("broken", dashboard=text)

    with pytest.raises(ResourceValidationError, match=problem):
        run_program(program, stack="dev")
