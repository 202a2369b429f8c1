"""SLOs of a service and the alerts on their budgets, on their payloads."""

import dataclasses
import json
from typing import Any

import pytest

from components.dashboards import service_dashboard
from components.dashboards.dashboard_resource import DatadogDashboard, DatadogDashboardArgs
from components.datadog_ids import IdRef, id_like
from components.monitors.monitor_resources import ServiceMonitors, ServiceMonitorsArgs
from components.monitors.service_monitors import service_monitors
from components.slos.definitions import MetricSli, MonitorSli, TimeSliceSli
from components.slos.service_slos import (
    AvailabilitySloSettings,
    BurnRateAlertSettings,
    LatencySloSettings,
    Objective,
    ServiceSloSettings,
    SloBuildError,
    slo_builders,
)
from components.slos.slo_resources import ServiceSlos, ServiceSlosArgs
from components.slos.validation import validate_slo
from stacks.tooling.engine import ResourceValidationError, run_program
from stacks.validation.slos import slo_alert_problems, slo_problems
from tests.factories import full_service_dashboard, monitors_spec, sending_everything

SLO_TYPE = "datadog:index/serviceLevelObjective:ServiceLevelObjective"
MONITOR = "datadog:index/monitor:Monitor"
FILTER = "{env:production,service:checkout-api}"


def built(settings: ServiceSloSettings | None = None) -> dict[str, Any]:
    planned = slo_builders(monitors_spec(), settings or ServiceSloSettings())
    return {role: p.build() for role, p in planned.items()}


def test_availability_counts_requests_that_did_not_fail() -> None:
    slo = built()["availability"].definition
    assert slo.sli == MetricSli(
        numerator=f"sum:trace.fastapi.request.hits{FILTER}.as_count() - "
        f"sum:trace.fastapi.request.errors{FILTER}.as_count()",
        denominator=f"sum:trace.fastapi.request.hits{FILTER}.as_count()",
    )
    api = slo.to_api_json()
    assert api["type"] == "metric"
    assert api["thresholds"] == [
        {"timeframe": timeframe, "target": 99.9, "warning": 99.95}
        for timeframe in ("7d", "30d", "90d")
    ]
    assert (api["timeframe"], api["target_threshold"], api["warning_threshold"]) == (
        "30d",
        99.9,
        99.95,
    )
    assert api["tags"] == [
        "service:checkout-api",
        "env:production",
        "team:payments",
        "managed-by:pulumi",
    ]


def test_latency_is_a_condition_on_each_five_minute_slice() -> None:
    slo = built()["latency"].definition
    assert slo.sli == TimeSliceSli(f"p95:trace.fastapi.request{FILTER}", "<=", 0.5, 300)
    time_slice = slo.to_api_json()["sli_specification"]["time_slice"]
    assert time_slice["query"]["queries"][0]["query"] == f"p95:trace.fastapi.request{FILTER}"
    assert slo.primary.target == 99.0


def test_a_monitor_based_latency_slo_names_the_latency_monitor() -> None:
    settings = ServiceSloSettings(latency=LatencySloSettings(method="monitor"))
    slo = built(settings)["latency"].definition
    assert slo.sli == MonitorSli((IdRef("monitor", "latency"),))
    assert slo.to_api_json()["monitor_ids"] == ["${monitor:latency}"]


def test_the_planned_shape_is_the_built_one() -> None:
    # Dashboards are laid out from the shape before the SLOs are built.
    for method in ("time-slice", "monitor"):
        settings = ServiceSloSettings(latency=LatencySloSettings(method=method))
        for planned in slo_builders(monitors_spec(), settings).values():
            definition = planned.build().definition
            assert planned.shape.type == definition.type
            assert planned.shape.timeframes == definition.timeframes


def test_burn_rate_alerts_follow_the_sre_workbook_and_route_by_severity() -> None:
    alerts = built()["availability"].alerts
    assert {role: alert.query for role, alert in alerts.items()} == {
        "fast-burn": 'burn_rate("${slo:availability}").over("30d").long_window("1h")'
        '.short_window("5m") > 14.4',
        "sustained-burn": 'burn_rate("${slo:availability}").over("30d").long_window("6h")'
        '.short_window("30m") > 6',
        "slow-burn": 'burn_rate("${slo:availability}").over("30d").long_window("24h")'
        '.short_window("2h") > 3',
        "error-budget": 'error_budget("${slo:availability}").over("30d") > 75',
    }
    assert {alert.type for alert in alerts.values()} == {"slo alert"}
    # Fast and sustained burn page the rotation; slow burn and the budget go to its channel.
    assert "@pagerduty-Checkout" in alerts["fast-burn"].message
    assert "@pagerduty-Checkout" in alerts["sustained-burn"].message
    assert "@pagerduty-Checkout" not in alerts["slow-burn"].message
    assert "@slack-checkout-alerts" in alerts["slow-burn"].message
    assert alerts["error-budget"].thresholds.to_json() == {"critical": 75, "warning": 50}
    assert "gone in 50 hours" in alerts["fast-burn"].message


def test_a_burn_rate_that_can_never_be_reached_is_refused() -> None:
    # At 90 % every request failing burns 10x: a 14.4x alert would never fire.
    low = ServiceSloSettings(
        availability=AvailabilitySloSettings(Objective(target=90, warning=95)), latency=None
    )
    with pytest.raises(SloBuildError) as raised:
        built(low)
    assert [part for part, _ in raised.value.problems] == ["fast-burn"]
    assert "every request failing burns 10x" in raised.value.problems[0][1]


def test_alert_windows_datadog_refuses_name_the_alert() -> None:
    objective = Objective(
        target=99.9,
        warning=None,
        burn_rate_alerts={"weekly": BurnRateAlertSettings(2, "72h", "6h", "low")},
        error_budget_alert=None,
    )
    settings = ServiceSloSettings(availability=AvailabilitySloSettings(objective), latency=None)
    with pytest.raises(SloBuildError) as raised:
        built(settings)
    ((part, reason),) = raised.value.problems
    assert part == "weekly"
    assert "the long window of a burn rate alert runs from 1h to 48h" in reason


VALID: dict[str, Any] = built()["availability"].definition.to_api_json()


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (
            {
                "thresholds": [{"timeframe": "30d", "target": 99.9, "warning": 99.9}],
                "warning_threshold": 99.9,
            },
            "thresholds[0].warning",
            "greater than the target",
        ),
        (
            {
                "thresholds": [{"timeframe": "30d", "target": 100, "warning": 99.95}],
                "target_threshold": 100,
            },
            "thresholds[0].target",
            "0 and 100",
        ),
        (
            {"timeframe": "90d", "thresholds": [{"timeframe": "30d", "target": 99}]},
            "timeframe",
            "no threshold",
        ),
        ({"target_threshold": 99.0}, "target_threshold", "must equal the 30d threshold's target"),
        (
            {"query": {"numerator": "sum:a{x} -", "denominator": "sum:a{x}"}},
            "query.numerator",
            "expected a metric query",
        ),
        ({"type": "monitor", "monitor_ids": []}, "monitor_ids", "needs a monitor"),
    ],
)
def test_validate_slo_names_the_field_at_fault(
    change: dict[str, Any], path: str, reason: str
) -> None:
    found = validate_slo({**VALID, **change})
    assert [p.path for p in found] == [path]
    assert reason in found[0].reason


def test_a_time_slice_formula_must_name_its_queries() -> None:
    slo = built()["latency"].definition.to_api_json()
    time_slice = slo["sli_specification"]["time_slice"]
    time_slice["query"]["formulas"] = [{"formula": "query2"}]
    time_slice["query_interval_seconds"] = 120
    assert [(p.path, p.reason) for p in validate_slo(slo)] == [
        (
            "sli_specification.time_slice.query_interval_seconds",
            "time slices are 60 or 300 seconds long",
        ),
        (
            "sli_specification.time_slice.query.formulas[0].formula",
            "names 'query2', which is not one of the queries",
        ),
    ]


def test_slo_alerts_are_checked_against_the_slo_they_name() -> None:
    slo = {"name": "availability", "thresholds": [{"timeframe": "7d", "target": 99.0}]}
    slos = {"abc": slo}
    assert slo_alert_problems('error_budget("abc").over("7d") > 75', slos) == []
    (over,) = slo_alert_problems('error_budget("abc").over("30d") > 75', slos)
    assert ".over('30d') is not a timeframe" in over.reason
    burn = 'burn_rate("abc").over("7d").long_window("1h").short_window("5m") > 120'
    (too_high,) = slo_alert_problems(burn, slos)
    assert "the highest possible burn rate is 100" in too_high.reason
    (elsewhere,) = slo_alert_problems('error_budget("zzz").over("7d") > 75', slos)
    assert not elsewhere.is_error


def deploy_slos(settings: ServiceSloSettings) -> Any:
    slos = built(settings)

    def program() -> None:
        monitors = ServiceMonitors(
            "checkout-api-monitors", ServiceMonitorsArgs(service_monitors(monitors_spec()))
        )
        component = ServiceSlos("checkout-api-slos", ServiceSlosArgs(slos, monitors.ids))
        dashboard = service_dashboard(
            "checkout-api",
            "production",
            telemetry=sending_everything("checkout-api"),
            slos={role: p.shape for role, p in slo_builders(monitors_spec(), settings).items()},
        ).dashboard
        assert dashboard is not None
        DatadogDashboard(
            "checkout-api-apm", DatadogDashboardArgs(dashboard, None, component.slo_ids)
        )

    return run_program(program, stack="production")


def test_registered_slos_and_alerts_carry_the_ids_datadog_gives() -> None:
    run = deploy_slos(ServiceSloSettings(latency=LatencySloSettings(method="monitor")))
    availability = run.named("checkout-api-slos-availability")
    latency = run.named("checkout-api-slos-latency")
    assert slo_problems(availability.inputs) == []
    assert slo_problems(latency.inputs) == []
    # The monitor-based SLO names the latency monitor by its (integer) id.
    assert latency.inputs["monitorIds"] == [
        int(id_like("monitor", "checkout-api-monitors-latency"))
    ]
    fast = run.named("checkout-api-slos-availability-fast-burn")
    slo_id = id_like("slo", "checkout-api-slos-availability")
    assert fast.inputs["query"].startswith(f'burn_rate("{slo_id}").over("30d")')
    assert availability.urn in fast.dependencies
    dashboard = json.loads(run.named("checkout-api-apm-dashboard").inputs["dashboard"])
    widget_ids = {
        w["definition"]["slo_id"]
        for group in dashboard["widgets"]
        for w in group["definition"].get("widgets", [])
        if w["definition"]["type"] == "slo"
    }
    assert widget_ids == {slo_id, id_like("slo", "checkout-api-slos-latency")}


def test_slo_widgets_show_status_budget_and_burn_rate_of_each_slo() -> None:
    shapes = {
        role: p.shape for role, p in slo_builders(monitors_spec(), ServiceSloSettings()).items()
    }
    build = service_dashboard(
        "checkout-api", "production", telemetry=sending_everything("checkout-api"), slos=shapes
    )
    assert build.dashboard is not None
    (section,) = [
        w
        for w in build.dashboard["widgets"]
        if w["definition"]["title"] == "Service level objectives"
    ]
    widgets = [w["definition"] for w in section["definition"]["widgets"]]
    assert [(w["type"], w["title"]) for w in widgets] == [
        ("slo", "Availability SLO"),
        ("query_value", "Availability: error budget left (30d)"),
        ("timeseries", "Availability: burn rate"),
        ("slo", "Latency SLO"),
        ("query_value", "Latency: error budget left (30d)"),
        ("timeseries", "Latency: burn rate"),
    ]
    queries = [w["requests"][0]["queries"][0] for w in widgets if w["type"] != "slo"]
    assert [(q["measure"], q["slo_query_type"]) for q in queries] == [
        ("error_budget_remaining", "metric"),
        ("burn_rate", "metric"),
        ("error_budget_remaining", "time_slice"),
        ("burn_rate", "time_slice"),
    ]
    # Without SLOs there is no such section.
    without = service_dashboard(
        "checkout-api", "production", telemetry=sending_everything("checkout-api")
    )
    assert without.dashboard is not None
    titles = [w["definition"]["title"] for w in without.dashboard["widgets"]]
    assert "Service level objectives" not in titles


def test_a_dashboard_naming_an_slo_without_an_id_is_refused() -> None:
    dashboard = full_service_dashboard()
    dashboard["widgets"].append({"definition": {"type": "slo", "slo_id": "${slo:availability}"}})
    with pytest.raises(ValueError, match=r"names \$\{slo:availability\}, which has no id"):
        DatadogDashboardArgs(dashboard)


def test_the_engine_refuses_an_alert_over_a_timeframe_its_slo_lacks() -> None:
    slos = built(ServiceSloSettings(latency=None))
    weekly_only = dataclasses.replace(
        slos["availability"].definition,
        thresholds=(dataclasses.replace(slos["availability"].definition.primary, timeframe="7d"),),
        timeframe="7d",
    )
    # The alerts still say 30d: built for the SLO before its timeframes changed.
    mismatched = {"availability": dataclasses.replace(slos["availability"], definition=weekly_only)}

    def program() -> None:
        ServiceSlos("checkout-api-slos", ServiceSlosArgs(mismatched))

    with pytest.raises(ResourceValidationError, match=r"\.over\('30d'\) is not a timeframe"):
        run_program(program, stack="production")
