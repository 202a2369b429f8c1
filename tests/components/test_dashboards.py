import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.dashboards import platform_dashboard, render_dashboard, service_dashboard
from components.dashboards.widgets import Formula, MetricQuery, log_stream, timeseries, toplist
from components.telemetry import Need, Signal, Telemetry
from stacks.validation.dashboards import validate_dashboard
from tests.factories import full_platform_dashboard, full_service_dashboard, sending_everything
from tests.shared_data import corpus_or_skip


def _definitions(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every widget definition, groups first and then the widgets they hold."""
    pending = list(dashboard["widgets"])
    while pending:
        definition = pending.pop(0)["definition"]
        yield definition
        pending.extend(definition.get("widgets", []))


def _widget(dashboard: dict[str, Any], widget_type: str, title: str) -> dict[str, Any]:
    (definition,) = [
        definition
        for definition in _definitions(dashboard)
        if definition["type"] == widget_type and definition.get("title") == title
    ]
    return definition


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _sorted_objects(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    assert keys == sorted(keys), keys
    return dict(pairs)


@pytest.fixture
def checkout() -> dict[str, Any]:
    return full_service_dashboard("checkout", "production", operation="flask.request")


@pytest.mark.parametrize("operation", ["fastapi.request", "flask.request"])
def test_the_service_dashboard_passes_the_validator(operation: str) -> None:
    assert (
        validate_dashboard(full_service_dashboard("checkout", "production", operation=operation))
        == []
    )


def test_the_platform_dashboard_passes_the_validator() -> None:
    assert validate_dashboard(full_platform_dashboard()) == []


def test_the_service_dashboard_is_titled_by_service_and_env(checkout: dict[str, Any]) -> None:
    assert checkout["title"] == "checkout (production)"
    assert checkout["layout_type"] == "ordered"
    assert "Managed by Pulumi" in checkout["description"]


def test_the_service_dashboard_template_variables_default_to_the_service(
    checkout: dict[str, Any],
) -> None:
    assert checkout["template_variables"] == [
        {"name": "env", "prefix": "env", "defaults": ["production"]},
        {"name": "service", "prefix": "service", "defaults": ["checkout"]},
    ]


def test_the_latency_widget_plots_percentiles_of_the_trace_distribution(
    checkout: dict[str, Any],
) -> None:
    (request,) = _widget(checkout, "timeseries", "Latency (s)")["requests"]

    assert request["queries"] == [
        {
            "data_source": "metrics",
            "name": "p50",
            "query": "p50:trace.flask.request{$env,$service}",
        },
        {
            "data_source": "metrics",
            "name": "p95",
            "query": "p95:trace.flask.request{$env,$service}",
        },
        {
            "data_source": "metrics",
            "name": "p99",
            "query": "p99:trace.flask.request{$env,$service}",
        },
    ]
    assert request["formulas"] == [
        {"formula": "p50", "alias": "p50"},
        {"formula": "p95", "alias": "p95"},
        {"formula": "p99", "alias": "p99"},
    ]
    assert request["response_format"] == "timeseries"


def test_the_error_rate_is_errors_over_hits_as_counts(checkout: dict[str, Any]) -> None:
    (request,) = _widget(checkout, "timeseries", "Error rate (%)")["requests"]

    assert request["formulas"] == [{"formula": "100 * errors / hits", "alias": "error %"}]
    assert [query["query"] for query in request["queries"]] == [
        "sum:trace.flask.request.errors{$env,$service}.as_count()",
        "sum:trace.flask.request.hits{$env,$service}.as_count()",
    ]


def test_requests_per_second_is_the_hit_rate(checkout: dict[str, Any]) -> None:
    (over_time,) = _widget(checkout, "timeseries", "Requests/s")["requests"]
    (at_a_glance,) = _widget(checkout, "query_value", "Requests/s")["requests"]

    assert over_time["queries"] == [
        {
            "data_source": "metrics",
            "name": "hits",
            "query": "sum:trace.flask.request.hits{$env,$service}.as_rate()",
        }
    ]
    assert at_a_glance["queries"] == [{**over_time["queries"][0], "aggregator": "avg"}]
    assert at_a_glance["response_format"] == "scalar"


def test_top_resources_are_grouped_by_resource_name(checkout: dict[str, Any]) -> None:
    (slowest,) = _widget(checkout, "toplist", "Slowest resources (p95, s)")["requests"]
    (failing,) = _widget(checkout, "toplist", "Resources with most errors")["requests"]

    assert slowest["queries"] == [
        {
            "data_source": "metrics",
            "name": "p95",
            "query": "p95:trace.flask.request{$env,$service} by {resource_name}",
            "aggregator": "percentile",
        }
    ]
    assert failing["queries"] == [
        {
            "data_source": "metrics",
            "name": "errors",
            "query": "sum:trace.flask.request.errors{$env,$service} by {resource_name}.as_count()",
            "aggregator": "sum",
        }
    ]
    assert (
        slowest["sort"]
        == failing["sort"]
        == {
            "count": 10,
            "order_by": [{"type": "formula", "index": 0, "order": "desc"}],
        }
    )


def test_the_error_logs_and_monitors_follow_the_template_variables(
    checkout: dict[str, Any],
) -> None:
    logs = _widget(checkout, "list_stream", "Error logs")
    monitors = _widget(checkout, "manage_status", "Monitors")

    # `$env` expands to `env:<value>` in log and monitor searches, so a shared Datadog org never
    # shows another environment's errors or monitors here.
    assert logs["requests"][0]["query"] == {
        "data_source": "logs_stream",
        "query_string": "$env $service status:error",
        "indexes": [],
    }
    assert monitors["query"] == "$env $service"


def _queries(dashboard: dict[str, Any]) -> Iterator[str]:
    """Every query string and search of a dashboard's widgets."""
    for definition in _definitions(dashboard):
        if definition["type"] == "manage_status":
            yield definition["query"]
        if definition["type"] == "check_status":
            yield " ".join(definition["tags"])
        for request in definition.get("requests", []):
            query = request.get("query")
            if isinstance(query, dict):
                yield query["query_string"]
            yield from (q["query"] for q in request.get("queries", []))


@pytest.mark.parametrize(
    ("dashboard", "variables"),
    [
        pytest.param(full_service_dashboard(), ("$env", "$service"), id="service"),
        pytest.param(full_platform_dashboard(), ("$cluster",), id="platform"),
    ],
)
def test_every_widget_follows_every_template_variable(
    dashboard: dict[str, Any], variables: tuple[str, ...]
) -> None:
    queries = list(_queries(dashboard))
    widgets = [d for d in _definitions(dashboard) if d["type"] not in ("group", "note")]

    assert len(queries) >= len(widgets)
    for query in queries:
        assert all(variable in query for variable in variables), query


def test_the_service_dashboard_groups_its_widgets_in_order(checkout: dict[str, Any]) -> None:
    groups = [widget["definition"] for widget in checkout["widgets"]]

    assert [(group["type"], group["title"]) for group in groups] == [
        ("group", "At a glance"),
        ("group", "Over time"),
        ("group", "Resources"),
        ("group", "LLM Observability"),
        ("group", "Errors and alerts"),
    ]
    assert [[widget["definition"]["type"] for widget in group["widgets"]] for group in groups] == [
        ["query_value", "query_value", "query_value"],
        ["timeseries", "timeseries", "timeseries"],
        ["toplist", "toplist"],
        ["timeseries", "timeseries", "toplist"],
        ["list_stream", "manage_status"],
    ]


def _titles(dashboard: dict[str, Any]) -> list[str]:
    return [d.get("title", d["type"]) for d in _definitions(dashboard)]


AGENTLESS = Telemetry(
    {
        Need(Signal.TRACES, "assistant"): "an agentless service sends no traces",
        Need(Signal.LOGS, "assistant"): "its logs go to CloudWatch, not Datadog",
        Need(Signal.LLM_OBSERVABILITY, "assistant"): None,
        Need(Signal.MONITORS, "assistant"): None,
    }
)


def test_a_service_dashboard_shows_only_what_the_service_sends() -> None:
    build = service_dashboard("assistant", "dev", telemetry=AGENTLESS)

    assert build.dashboard is not None
    assert _titles(build.dashboard) == [
        "LLM Observability",
        "Errors and alerts",
        "LLM traces and errors /s",
        "LLM trace duration (s)",
        "Tokens by model",
        "Monitors",
    ]
    assert validate_dashboard(build.dashboard) == []
    assert [(item.what, item.gap.reason) for item in build.left_out] == [
        ("'At a glance' section", "an agentless service sends no traces"),
        ("'Over time' section", "an agentless service sends no traces"),
        ("'Resources' section", "an agentless service sends no traces"),
        ("'Error logs'", "its logs go to CloudWatch, not Datadog"),
    ]


def test_the_llm_section_is_left_out_quietly_for_a_service_without_llm_observability() -> None:
    telemetry = sending_everything("checkout").extended(
        {Need(Signal.LLM_OBSERVABILITY, "checkout"): "llmObservability is off"}
    )
    build = service_dashboard("checkout", "production", telemetry=telemetry)

    assert build.dashboard is not None
    assert "LLM Observability" not in _titles(build.dashboard)
    assert build.left_out == ()


def test_a_dashboard_nothing_feeds_is_not_built() -> None:
    build = service_dashboard("assistant", "dev", telemetry=Telemetry())

    assert build.dashboard is None
    assert {item.gap.reason for item in build.left_out} == {
        f"nothing in the stack sends {signal} of assistant"
        for signal in (Signal.TRACES, Signal.LOGS, Signal.MONITORS)
    }


def test_the_platform_dashboard_shows_the_parts_that_run() -> None:
    source = "cluster prod-eks"
    without_agent = sending_everything(source).extended(
        {Need(Signal.AGENT_METRICS, source): "the Agent is off (agent.enabled: false)"}
    )
    build = platform_dashboard("prod-eks", source, telemetry=without_agent)

    assert build.dashboard is not None
    assert not any("Agent" in title for title in _titles(build.dashboard))
    assert [item.what for item in build.left_out] == ["'Datadog Agent' section"]


def test_the_collector_widgets_use_the_prometheus_names_of_its_metrics() -> None:
    dashboard = full_platform_dashboard()
    queries = [
        query["query"]
        for definition in _definitions(dashboard)
        for request in definition.get("requests", [])
        for query in request["queries"]
    ]
    collector_metrics = {
        query.split(":")[1].split("{")[0] for query in queries if "otelcol" in query
    }

    assert collector_metrics == {
        "otelcol_receiver_accepted_spans",
        "otelcol_receiver_refused_spans",
        "otelcol_receiver_accepted_metric_points",
        "otelcol_receiver_refused_metric_points",
        "otelcol_receiver_accepted_log_records",
        "otelcol_receiver_refused_log_records",
        "otelcol_exporter_queue_size",
        "otelcol_exporter_queue_capacity",
        "otelcol_exporter_send_failed_spans",
        "otelcol_exporter_send_failed_metric_points",
        "otelcol_exporter_send_failed_log_records",
        "otelcol_process_memory_rss",
    }
    assert all("{$cluster" in query for query in queries)


def test_the_platform_dashboard_watches_the_agent() -> None:
    dashboard = full_platform_dashboard()

    assert dashboard["title"] == "Telemetry pipeline (prod-eks)"
    assert dashboard["template_variables"] == [
        {"name": "cluster", "prefix": "kube_cluster_name", "defaults": ["prod-eks"]}
    ]
    (running,) = _widget(dashboard, "query_value", "Agents running")["requests"]
    assert running["queries"][0]["query"] == "sum:datadog.agent.running{$cluster}"
    health = _widget(dashboard, "check_status", "Agent health")
    assert (health["check"], health["tags"]) == ("datadog.agent.up", ["$cluster"])
    (memory,) = _widget(dashboard, "timeseries", "Agent memory")["requests"]
    assert memory["queries"][0]["query"] == (
        "max:container.memory.usage{$cluster,kube_container_name:agent} by {host}"
    )


@pytest.mark.parametrize(
    "dashboard",
    [
        pytest.param(full_service_dashboard("checkout", "production"), id="service"),
        pytest.param(full_platform_dashboard(), id="platform"),
    ],
)
def test_rendering_is_stable_sorted_and_free_of_ids(dashboard: dict[str, Any]) -> None:
    rendered = render_dashboard(dashboard)

    assert render_dashboard(dashboard) == rendered
    assert render_dashboard(json.loads(rendered)) == rendered
    parsed = json.loads(rendered, object_pairs_hook=_sorted_objects)
    assert parsed == dashboard
    assert "id" not in set(_keys(parsed))


def test_rendering_drops_what_datadog_computes_and_editor_defaults() -> None:
    exported = {
        "id": "abc-def-ghi",
        "author_handle": "someone@example.com",
        "created_at": "2024-03-01T10:00:00.000000+00:00",
        "url": "/dashboard/abc-def-ghi/checkout",
        "title": "checkout",
        "layout_type": "ordered",
        "widgets": [
            {
                "id": 1,
                "definition": {
                    "type": "group",
                    "layout_type": "ordered",
                    "widgets": [
                        {
                            "id": 2,
                            "definition": {
                                "type": "note",
                                "content": "Read me",
                                "title_size": "16",
                                "title_align": "center",
                                "time": {},
                            },
                        }
                    ],
                },
            }
        ],
    }

    assert json.loads(render_dashboard(exported)) == {
        "title": "checkout",
        "layout_type": "ordered",
        "widgets": [
            {
                "definition": {
                    "type": "group",
                    "layout_type": "ordered",
                    "widgets": [
                        {
                            "definition": {
                                "type": "note",
                                "content": "Read me",
                                "title_align": "center",
                            }
                        }
                    ],
                }
            }
        ],
    }


def test_rendering_keeps_widget_ids_that_tabs_refer_to() -> None:
    dashboard = {
        "title": "checkout",
        "layout_type": "ordered",
        "tabs": [{"id": "6f1c1a8e-0b7c-4f36-9d7a-3a8f1f6f7c11", "name": "Main", "widget_ids": [7]}],
        "widgets": [{"id": 7, "definition": {"type": "note", "content": "Read me"}}],
    }

    assert json.loads(render_dashboard(dashboard)) == dashboard


def test_rendered_exports_stay_valid() -> None:
    invalid = [
        path.name
        for path in corpus_or_skip("datadog-dashboards")
        if validate_dashboard(json.loads(render_dashboard(json.loads(path.read_text()))))
    ]

    assert invalid == []


def test_only_scalar_requests_carry_aggregators() -> None:
    query = MetricQuery("hits", "sum:trace.flask.request.hits{*}", "sum")

    (plotted,) = timeseries("Hits", [query], [Formula("hits")])["definition"]["requests"]
    (ranked,) = toplist("Hits", [query], Formula("hits"), limit=5)["definition"]["requests"]

    assert "aggregator" not in plotted["queries"][0]
    assert ranked["queries"][0]["aggregator"] == "sum"
    assert ranked["sort"]["count"] == 5


def test_log_stream_is_a_list_stream_of_logs() -> None:
    definition = log_stream("Errors", "status:error", columns=["timestamp", "content"])[
        "definition"
    ]

    assert definition == {
        "type": "list_stream",
        "title": "Errors",
        "requests": [
            {
                "response_format": "event_list",
                "query": {
                    "data_source": "logs_stream",
                    "query_string": "status:error",
                    "indexes": [],
                },
                "columns": [
                    {"field": "timestamp", "width": "auto"},
                    {"field": "content", "width": "auto"},
                ],
            }
        ],
    }
