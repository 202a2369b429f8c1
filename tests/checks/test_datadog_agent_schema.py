from dataclasses import replace
from typing import Any

import pytest

from components.eks.datadog_agent import (
    AgentFeatures,
    AgentOtlpReceiver,
    DatadogAgentSettings,
    datadog_agent,
)
from components.problems import Problem
from stacks.validation.datadog_agent import check_datadog_agent

SETTINGS = DatadogAgentSettings(
    namespace="datadog",
    cluster_name="main",
    environment="production",
    api_key_secret_name="datadog-api-key",
)
EVERYTHING = AgentFeatures(
    apm=True,
    otlp=AgentOtlpReceiver(grpc=True, http=True, grpc_host_port=14317, http_host_port=14318),
    log_collection=True,
    container_collect_all=False,
    npm=True,
    cspm=True,
    cws=True,
)


def agent(features: AgentFeatures | None = None) -> dict[str, Any]:
    return datadog_agent(replace(SETTINGS, features=features or AgentFeatures()))


@pytest.mark.parametrize(
    "features",
    [AgentFeatures(), EVERYTHING, AgentFeatures(apm=False)],
    ids=["default", "all", "min"],
)
def test_built_agents_match_the_schema(features: AgentFeatures) -> None:
    assert check_datadog_agent(agent(features)) == []


def test_misspelled_feature_is_reported() -> None:
    obj = agent()
    obj["spec"]["features"]["logsCollection"] = {"enabled": True}

    assert check_datadog_agent(obj) == [
        Problem(
            "$.spec.features",
            "Additional properties are not allowed ('logsCollection' was unexpected)",
        )
    ]


def test_misspelled_nested_key_is_reported() -> None:
    obj = agent()
    obj["spec"]["global"]["credentials"]["apiSecret"]["keyname"] = "api-key"

    [problem] = check_datadog_agent(obj)

    assert problem.path == "$.spec.global.credentials.apiSecret"
    assert "'keyname' was unexpected" in problem.reason


def test_wrong_type_is_reported() -> None:
    obj = agent()
    obj["spec"]["override"]["clusterAgent"]["replicas"] = "2"

    assert check_datadog_agent(obj) == [
        Problem("$.spec.override.clusterAgent.replicas", "'2' is not of type 'integer'")
    ]


def test_missing_required_field_is_reported() -> None:
    obj = agent()
    del obj["spec"]["global"]["credentials"]["apiSecret"]["secretName"]

    assert check_datadog_agent(obj) == [
        Problem("$.spec.global.credentials.apiSecret", "'secretName' is a required property")
    ]


def test_every_problem_is_reported_sorted_by_path() -> None:
    obj = agent()
    obj["spec"]["override"]["nodeAgent"]["replicas"] = "one"
    obj["spec"]["features"]["npm"]["enabled"] = "yes"

    assert [problem.path for problem in check_datadog_agent(obj)] == [
        "$.spec.features.npm.enabled",
        "$.spec.override.nodeAgent.replicas",
    ]


def test_wrong_kind_and_api_version() -> None:
    obj = {**agent(), "apiVersion": "datadoghq.com/v1alpha1", "kind": "DatadogAgents"}

    assert check_datadog_agent(obj) == [
        Problem("$.apiVersion", "must be 'datadoghq.com/v2alpha1'"),
        Problem("$.kind", "must be 'DatadogAgent'"),
    ]
