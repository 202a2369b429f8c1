"""The dashboard component, through the JSON the engine receives."""

import json

from components.dashboards import render_dashboard
from components.dashboards.dashboard_resource import DatadogDashboard, DatadogDashboardArgs
from components.dashboards.widgets import Json
from components.datadog_provider import DatadogProviderArgs, datadog_provider
from stacks.tooling.engine import ProgramRun, run_program
from stacks.validation.dashboards import validate_dashboard
from tests.factories import full_platform_dashboard, full_service_dashboard


def deploy(dashboard: Json, *, with_provider: bool = False) -> ProgramRun:
    def program() -> None:
        provider = (
            datadog_provider("datadog", DatadogProviderArgs("datadoghq.com", "api", "app"))
            if with_provider
            else None
        )
        DatadogDashboard("checkout-api", DatadogDashboardArgs(dashboard, provider))

    return run_program(program, stack="production")


def test_service_dashboard_json_parses_back_to_the_validated_dashboard() -> None:
    dashboard = full_service_dashboard()

    run = deploy(dashboard)

    component = run.named("checkout-api")
    resource = run.named("checkout-api-dashboard")
    assert component.type == "observability:dashboards:DatadogDashboard"
    assert resource.type == "datadog:index/dashboardJson:DashboardJson"
    assert resource.parent == component.urn
    assert list(resource.inputs) == ["dashboard"]
    sent = resource.inputs["dashboard"]
    assert sent == render_dashboard(dashboard)
    assert json.loads(sent) == dashboard
    assert validate_dashboard(json.loads(sent)) == []


def test_platform_dashboard_json_is_sent_as_rendered() -> None:
    dashboard = full_platform_dashboard()

    sent = deploy(dashboard).named("checkout-api-dashboard").inputs["dashboard"]

    assert json.loads(sent) == dashboard
    assert validate_dashboard(json.loads(sent)) == []


def test_the_dashboard_goes_through_the_given_provider(
    provider_references: dict[str, str],
) -> None:
    run = deploy(full_service_dashboard(), with_provider=True)

    provider = run.named("datadog")
    assert provider_references["checkout-api-dashboard"].startswith(f"{provider.urn}::")


def test_the_same_dashboard_always_sends_the_same_text() -> None:
    first = deploy(full_service_dashboard())
    second = deploy(full_service_dashboard())

    assert (
        first.named("checkout-api-dashboard").inputs
        == second.named("checkout-api-dashboard").inputs
    )
