"""The service monitors component, through the inputs the engine receives."""

import dataclasses
import re
from collections.abc import Callable

import pulumi
import pytest

from components.datadog_ids import id_like
from components.datadog_provider import DatadogProviderArgs, datadog_provider
from components.monitors import (
    CompositeSpec,
    CustomMonitor,
    LogFormulaSpec,
    LogQueryVariable,
    MonitorDefinition,
    MonitorSettings,
    Thresholds,
    service_monitors,
)
from components.monitors.monitor_resources import ServiceMonitors, ServiceMonitorsArgs
from stacks.tooling.engine import ProgramRun, run_program
from tests.conftest import PulumiChecks
from tests.factories import monitors_spec

MONITOR = "datadog:index/monitor:Monitor"
FAILED_PAYMENTS = CustomMonitor(
    "failed-payments",
    LogFormulaSpec(
        MonitorSettings("failed payments above 2%", "Payments fail more than usual."),
        formula="failed / total * 100",
        variables=(
            LogQueryVariable(
                "failed",
                "service:checkout-api @payment.status:failed",
                group_by=("@payment.provider",),
            ),
            LogQueryVariable("total", "service:checkout-api", group_by=("@payment.provider",)),
        ),
        thresholds=Thresholds(2, warning=1),
    ),
)


def deploy(monitors: dict[str, MonitorDefinition], *, with_provider: bool = False) -> ProgramRun:
    def program() -> None:
        provider = (
            datadog_provider("datadog", DatadogProviderArgs("datadoghq.eu", "api", "app"))
            if with_provider
            else None
        )
        ServiceMonitors("checkout-api", ServiceMonitorsArgs(monitors, provider))

    return run_program(program, stack="production")


@pytest.fixture(scope="module")
def production() -> dict[str, MonitorDefinition]:
    return service_monitors(monitors_spec(custom=(FAILED_PAYMENTS,)))


@pytest.fixture(scope="module")
def run(production: dict[str, MonitorDefinition]) -> ProgramRun:
    return deploy(production)


def test_one_monitor_per_role_named_after_the_role(run: ProgramRun) -> None:
    component = run.named("checkout-api")
    assert component.type == "observability:monitors:ServiceMonitors"
    monitors = run.by_type(MONITOR)
    assert sorted(monitor.name for monitor in monitors) == [
        "checkout-api-error-logs",
        "checkout-api-error-rate",
        "checkout-api-failed-payments",
        "checkout-api-latency",
        "checkout-api-throughput",
    ]
    assert {monitor.parent for monitor in monitors} == {component.urn}


def test_latency_inputs(run: ProgramRun, production: dict[str, MonitorDefinition]) -> None:
    assert run.named("checkout-api-latency").inputs == {
        "name": "[production] checkout-api: p95 latency above 0.5s",
        "type": "query alert",
        "query": "percentile(last_5m):p95:trace.fastapi.request"
        "{env:production,service:checkout-api} > 0.5",
        "message": production["latency"].message,
        "monitorThresholds": {"critical": "0.5", "warning": "0.4"},
        "notifyNoData": True,
        "noDataTimeframe": 10,
        "renotifyInterval": 60,
        "priority": "1",
        "tags": ["service:checkout-api", "env:production", "team:payments", "managed-by:pulumi"],
    }


def test_options_are_sent_only_when_set(run: ProgramRun) -> None:
    errors = run.named("checkout-api-error-rate").inputs
    assert errors["requireFullWindow"] is False
    assert errors["monitorThresholds"] == {"critical": "0.05", "warning": "0.03"}
    assert "noDataTimeframe" not in errors
    assert "notifyBies" not in errors
    throughput = run.named("checkout-api-throughput").inputs
    assert throughput["monitorThresholds"] == {"critical": "1", "criticalRecovery": "0"}
    assert throughput["monitorThresholdWindows"] == {
        "triggerWindow": "last_30m",
        "recoveryWindow": "last_30m",
    }
    assert throughput["priority"] == "3"
    assert "renotifyInterval" not in throughput
    logs = run.named("checkout-api-error-logs").inputs
    assert logs["type"] == "log alert"
    assert logs["monitorThresholds"] == {"critical": "10", "warning": "5"}
    assert "variables" not in logs


def test_formula_variables_become_event_queries(run: ProgramRun) -> None:
    payments = run.named("checkout-api-failed-payments").inputs
    assert payments["query"] == 'formula("failed / total * 100").last("15m") > 2'
    assert payments["variables"] == {
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
                        "limit": 10,
                        "sort": {"aggregation": "count", "order": "desc"},
                    }
                ],
            },
            {
                "name": "total",
                "dataSource": "logs",
                "indexes": ["*"],
                "computes": [{"aggregation": "count"}],
                "search": {"query": "service:checkout-api"},
                "groupBies": [
                    {
                        "facet": "@payment.provider",
                        "limit": 10,
                        "sort": {"aggregation": "count", "order": "desc"},
                    }
                ],
            },
        ]
    }


def test_notify_by_is_sent_as_notify_bies(production: dict[str, MonitorDefinition]) -> None:
    failed = production["failed-payments"]
    per_provider = dataclasses.replace(failed, notify_by=("@payment.provider",))

    inputs = deploy({"failed-payments": per_provider}).named("checkout-api-failed-payments").inputs

    assert inputs["notifyBies"] == ["@payment.provider"]


def test_every_monitor_goes_through_the_given_provider(
    production: dict[str, MonitorDefinition], provider_references: dict[str, str]
) -> None:
    run = deploy(production, with_provider=True)

    provider = run.named("datadog")
    assert provider.type == "pulumi:providers:datadog"
    monitors = run.by_type(MONITOR)
    assert len(monitors) == len(production)
    for monitor in monitors:
        assert provider_references[monitor.name].startswith(f"{provider.urn}::")


def test_without_a_provider_monitors_use_the_default_one(
    production: dict[str, MonitorDefinition], provider_references: dict[str, str]
) -> None:
    run = deploy(production)

    assert run.by_type("pulumi:providers:datadog") == []
    assert {provider_references[monitor.name] for monitor in run.by_type(MONITOR)} == {""}


def test_a_composite_is_created_after_its_monitors_and_names_their_ids() -> None:
    both = CustomMonitor(
        "slow-and-failing",
        CompositeSpec(
            MonitorSettings("slow and failing", "Both at once."), "latency && error-rate"
        ),
    )
    # Declared first, so that only the ids it names order it after the others.
    monitors = service_monitors(monitors_spec(custom=(both,)))
    run = deploy({"slow-and-failing": monitors["slow-and-failing"], **monitors})

    composite = run.named("checkout-api-slow-and-failing")
    latency, errors = run.named("checkout-api-latency"), run.named("checkout-api-error-rate")
    # The engine answers with integer ids, as Datadog does; the query holds them, not roles.
    assert composite.inputs["query"] == (
        f"{id_like('monitor', latency.name)} && {id_like('monitor', errors.name)}"
    )
    assert composite.inputs["type"] == "composite"
    assert "monitorThresholds" not in composite.inputs
    assert set(composite.dependencies) == {latency.urn, errors.urn}
    order = [resource.name for resource in run.by_type(MONITOR)]
    assert order.index(composite.name) > max(order.index(latency.name), order.index(errors.name))


@pulumi.runtime.test
def test_monitor_ids_are_exported_by_role(
    pulumi_checks: PulumiChecks, production: dict[str, MonitorDefinition]
) -> pulumi.Output[None]:
    component = ServiceMonitors(
        "checkout-api",
        ServiceMonitorsArgs({role: production[role] for role in ("latency", "error-logs")}),
    )

    def check(ids: dict[str, str]) -> None:
        # The offline engine answers with an integer id, as Datadog does, from the resource name.
        assert ids == {
            "latency": id_like("monitor", "checkout-api-latency"),
            "error-logs": id_like("monitor", "checkout-api-error-logs"),
        }
        assert all(value.isdigit() for value in ids.values())

    return pulumi_checks.expect(component.monitor_ids, check)


@pytest.mark.parametrize(
    ("monitors", "message"),
    [
        pytest.param(
            lambda d: {"Latency": d},
            "monitor role 'Latency' must be lowercase words joined by '-'",
            id="role",
        ),
        pytest.param(
            lambda d: {"latency": dataclasses.replace(d, thresholds=Thresholds(0.6))},
            "monitor '[production] checkout-api: p95 latency above 0.5s': "
            "options.thresholds.critical: 0.6 does not match the threshold in the query (0.5)",
            id="hand-built-definition",
        ),
    ],
)
def test_invalid_definitions_are_refused_before_any_registration(
    production: dict[str, MonitorDefinition],
    monitors: Callable[[MonitorDefinition], dict[str, MonitorDefinition]],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ServiceMonitorsArgs(monitors(production["latency"]))
