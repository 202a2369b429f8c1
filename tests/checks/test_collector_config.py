from typing import Any

import pytest

from components.eks.collector_config import (
    ClusterCollectorSettings,
    CollectorSettings,
    NodeCollectorSettings,
    cluster_collector_config,
    node_collector_config,
)
from components.problems import Problem
from stacks.validation.collector_config import check_collector_config


def valid_config() -> dict[str, Any]:
    return {
        "receivers": {"otlp": {}},
        "processors": {"memory_limiter": {}, "batch": {}},
        "connectors": {"datadog/connector": {}},
        "exporters": {"datadog": {}},
        "extensions": {"health_check": {}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": ["datadog/connector", "datadog"],
                },
                "metrics/apm": {
                    "receivers": ["datadog/connector"],
                    "processors": ["memory_limiter"],
                    "exporters": ["datadog"],
                },
            },
        },
    }


def test_valid_config_has_no_problems() -> None:
    assert check_collector_config(valid_config()) == []


SETTINGS = CollectorSettings(environment="production", cluster_name="main")


@pytest.mark.parametrize(
    "node",
    [
        NodeCollectorSettings(SETTINGS),
        NodeCollectorSettings(
            SETTINGS,
            collect_container_logs=False,
            scrape_prometheus_pods=False,
            collect_kubelet_stats=False,
        ),
    ],
)
def test_built_node_configs_are_consistent(node: NodeCollectorSettings) -> None:
    assert check_collector_config(node_collector_config(node, own_log_glob="/x/*.log")) == []


@pytest.mark.parametrize("collect_events", [True, False])
def test_built_cluster_configs_are_consistent(collect_events: bool) -> None:
    settings = ClusterCollectorSettings(SETTINGS, collect_events=collect_events)
    assert check_collector_config(cluster_collector_config(settings)) == []


def test_undeclared_receiver() -> None:
    config = valid_config()
    config["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "jaeger"]

    assert check_collector_config(config) == [
        Problem(
            "$.service.pipelines.traces.receivers[1]",
            "'jaeger' is not declared in receivers or connectors",
        )
    ]


def test_undeclared_processor() -> None:
    config = valid_config()
    config["service"]["pipelines"]["traces"]["processors"].append("k8sattributes")

    assert check_collector_config(config) == [
        Problem(
            "$.service.pipelines.traces.processors[2]",
            "'k8sattributes' is not declared in processors",
        )
    ]


def test_undeclared_exporter() -> None:
    config = valid_config()
    config["service"]["pipelines"]["metrics/apm"]["exporters"] = ["datadog", "debug"]

    assert check_collector_config(config) == [
        Problem(
            '$.service.pipelines["metrics/apm"].exporters[1]',
            "'debug' is not declared in exporters or connectors",
        )
    ]


@pytest.mark.parametrize("section", ["receivers", "processors", "exporters"])
def test_declared_component_that_no_pipeline_uses(section: str) -> None:
    config = valid_config()
    config[section]["spare"] = {}

    assert check_collector_config(config) == [
        Problem(f"$.{section}.spare", "declared but used by no pipeline")
    ]


def test_memory_limiter_not_first() -> None:
    config = valid_config()
    config["service"]["pipelines"]["traces"]["processors"] = ["batch", "memory_limiter"]

    assert check_collector_config(config) == [
        Problem(
            "$.service.pipelines.traces.processors", "memory_limiter must be the first processor"
        )
    ]


def test_pipeline_without_processors_has_no_memory_limiter() -> None:
    config = valid_config()
    del config["service"]["pipelines"]["metrics/apm"]["processors"]

    assert check_collector_config(config) == [
        Problem(
            '$.service.pipelines["metrics/apm"].processors',
            "memory_limiter must be the first processor",
        )
    ]


def test_connector_that_only_exports() -> None:
    config = valid_config()
    config["service"]["pipelines"]["metrics/apm"]["receivers"] = ["otlp"]

    assert check_collector_config(config) == [
        Problem('$.connectors["datadog/connector"]', "connector is not a receiver of any pipeline")
    ]


def test_connector_that_only_receives() -> None:
    config = valid_config()
    config["service"]["pipelines"]["traces"]["exporters"] = ["datadog"]

    assert check_collector_config(config) == [
        Problem('$.connectors["datadog/connector"]', "connector is not an exporter of any pipeline")
    ]


def test_connector_looping_within_one_pipeline() -> None:
    config = valid_config()
    config["service"]["pipelines"]["traces"]["receivers"].append("datadog/connector")

    assert check_collector_config(config) == [
        Problem(
            '$.connectors["datadog/connector"]',
            "connector both receives and exports in pipeline 'traces'",
        )
    ]


def test_enabled_extension_that_is_not_declared() -> None:
    config = valid_config()
    config["service"]["extensions"].append("pprof")

    assert check_collector_config(config) == [
        Problem("$.service.extensions[1]", "'pprof' is not declared")
    ]


def test_declared_extension_that_is_not_enabled() -> None:
    config = valid_config()
    config["service"]["extensions"] = []

    assert check_collector_config(config) == [
        Problem("$.extensions.health_check", "declared but not in service.extensions")
    ]


def test_unknown_pipeline_type() -> None:
    config = valid_config()
    pipelines = config["service"]["pipelines"]
    pipelines["trace"] = pipelines.pop("traces")

    assert check_collector_config(config) == [
        Problem(
            "$.service.pipelines.trace",
            "pipeline type 'trace' is not one of ['logs', 'metrics', 'profiles', 'traces']",
        )
    ]


def test_pipeline_without_exporters() -> None:
    config = valid_config()
    config["service"]["pipelines"]["metrics/apm"]["exporters"] = []
    config["exporters"]["datadog"] = {}

    assert check_collector_config(config) == [
        Problem('$.service.pipelines["metrics/apm"].exporters', "a pipeline needs exporters")
    ]


def test_config_without_pipelines() -> None:
    assert check_collector_config({"receivers": {"otlp": {}}}) == [
        Problem("$.service.pipelines", "no pipelines are defined")
    ]
