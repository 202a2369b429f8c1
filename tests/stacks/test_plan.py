"""The offline plan of the committed stacks, as a newcomer runs it."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.__main__ import main
from stacks.stack_file import REPO_ROOT

FIELDS = {
    "urn",
    "type",
    "name",
    "parent",
    "custom",
    "protect",
    "inputs",
    "provider",
    "dependencies",
}


def plan(stack: str, out: Path, *extra: str) -> list[dict[str, Any]]:
    assert main(["plan", "--stack", stack, "--out", str(out), *extra]) == 0
    resources: list[dict[str, Any]] = json.loads((out / "resources.json").read_text())
    return resources


def named(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (match,) = [r for r in resources if r["name"] == name]
    return match


def containers(resources: list[dict[str, Any]], service: str) -> dict[str, dict[str, Any]]:
    definitions = json.loads(named(resources, f"{service}-task")["inputs"]["containerDefinitions"])
    return {c["name"]: c for c in definitions}


def env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return plan("dev", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return plan("production", tmp_path_factory.mktemp("production"))


def test_resources_json_lists_registrations_with_their_parents(dev: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for resource in dev:
        assert set(resource) == FIELDS
        assert resource["urn"].startswith("urn:pulumi:dev::observability::")
        assert resource["urn"].endswith(f"::{resource['name']}")
        # Registration order: a parent always comes before its children.
        # A registration order Pulumi could produce: parent, provider and dependencies first.
        for prerequisite in [resource["parent"], resource["provider"], *resource["dependencies"]]:
            assert prerequisite is None or prerequisite in seen
        seen.add(resource["urn"])
    top_level = sorted(r["name"] for r in dev if r["parent"] is None)
    assert top_level == ["checkout-api", "datadog-api-key", "eks", "support-assistant"]
    assert all(not r["custom"] for r in dev if r["parent"] is None)


def test_the_api_key_is_masked_and_never_in_plain_text(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(
        (REPO_ROOT / "Pulumi.dev.yaml").read_text()
        + "  datadog:apiKey:\n    secure: AAABAKdW0c1Ml9eN2TtPf8xSZw==\n"
    )
    resources = plan("dev", tmp_path / "out", "--config-file", str(stack_file))
    text = (tmp_path / "out" / "resources.json").read_text()
    assert "AAABAKdW0c1Ml9eN2TtPf8xSZw" not in text
    assert "offline-placeholder" not in text
    assert named(resources, "datadog-api-key-value")["inputs"]["secretString"] == "[secret]"


def test_dev_stack_services(dev: list[dict[str, Any]]) -> None:
    checkout = containers(dev, "checkout-api")
    assert set(checkout) == {"checkout-api", "datadog-agent", "log-router"}
    assert env(checkout["checkout-api"])["DD_TRACE_SAMPLE_RATE"] == "1.0"
    assert checkout["checkout-api"]["logConfiguration"]["options"]["Host"] == (
        "http-intake.logs.datadoghq.eu"
    )
    assistant = containers(dev, "support-assistant")
    assert set(assistant) == {"support-assistant"}
    assistant_env = env(assistant["support-assistant"])
    assert assistant_env["DD_LLMOBS_AGENTLESS_ENABLED"] == "1"
    assert assistant_env["DD_LLMOBS_ML_APP"] == "support-assistant"
    assert [s["name"] for s in assistant["support-assistant"]["secrets"]] == [
        "DD_API_KEY",
        "OPENAI_API_KEY",
    ]
    assert named(dev, "support-assistant-logs")["inputs"]["retentionInDays"] == 7
    assert all(not r["protect"] for r in dev)


def test_production_differs_where_teams_expect(production: list[dict[str, Any]]) -> None:
    checkout = env(containers(production, "checkout-api")["checkout-api"])
    assert checkout["DD_TRACE_SAMPLE_RATE"] == "0.1"
    assert checkout["DD_ENV"] == "production"
    assert checkout["DD_PROFILING_ENABLED"] == "true"
    assistant = env(containers(production, "support-assistant")["support-assistant"])
    assert assistant["DD_LLMOBS_AGENTLESS_ENABLED"] == "0"
    assert named(production, "checkout-api-service")["inputs"]["desiredCount"] == 3
    protected = sorted(r["name"] for r in production if r["protect"])
    assert protected == ["datadog-api-key-key", "datadog-api-key-secret"]
    secret = named(production, "datadog-api-key-secret")["inputs"]
    assert secret["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    policy = json.loads(named(production, "checkout-api-execution-secrets")["inputs"]["policy"])
    kms_keys = policy["Statement"][1]["Resource"]
    assert len(kms_keys) == 2
    assert "arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-5b6a-4789-8abc-def012345678" in kms_keys


def test_plan_prints_the_tree_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan("dev", tmp_path)
    printed = capsys.readouterr().out
    assert printed.startswith("stack dev (Pulumi.dev.yaml): 43 resources\n")
    assert "├─ checkout-api  (observability:fargate:InstrumentedFargateService)" in printed
    assert "  aws:ecs/taskDefinition:TaskDefinition" in printed
    assert f"wrote {tmp_path / 'resources.json'}" in printed


def kubernetes_objects(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [
        r["inputs"]
        for r in resources
        if r["type"].startswith("kubernetes:") and r["type"].endswith(f":{kind}")
    ]


def agent_spec(resources: list[dict[str, Any]]) -> dict[str, Any]:
    [agent] = kubernetes_objects(resources, "DatadogAgent")
    spec: dict[str, Any] = agent["spec"]
    return spec


def node_collector(resources: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The node collector's configuration and pod spec."""
    data = named(resources, "eks-collector-node-configmap")["inputs"]["data"]
    daemon_set = named(resources, "eks-collector-node-daemonset")["inputs"]
    return yaml.safe_load(data["collector.yaml"]), daemon_set["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    ("stack", "cluster"), [("dev", "platform-dev"), ("production", "platform-production")]
)
def test_both_stacks_deploy_to_their_eks_cluster(
    stack: str, cluster: str, request: pytest.FixtureRequest
) -> None:
    resources: list[dict[str, Any]] = request.getfixturevalue(stack)
    provider = named(resources, "eks-cluster-provider")
    exec_args = json.loads(provider["inputs"]["kubeconfig"])["users"][0]["user"]["exec"]["args"]
    assert exec_args[:4] == ["eks", "get-token", "--cluster-name", cluster]
    on_cluster = [r for r in resources if r["type"].startswith("kubernetes:")]
    assert {r["provider"] for r in on_cluster} == {provider["urn"]}
    assert {r["type"].rsplit(":", 1)[1] for r in on_cluster} == {
        "Namespace",
        "Secret",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "NetworkPolicy",
        "DaemonSet",
        "Service",
        "Deployment",
        "Release",
        "DatadogAgent",
    }
    assert named(resources, "eks-namespace-api-key")["inputs"]["data"] == "[secret]"
    assert agent_spec(resources)["global"]["clusterName"] == cluster


def test_dev_cluster_collector_tails_logs_and_agent_is_small(dev: list[dict[str, Any]]) -> None:
    config, pod = node_collector(dev)
    assert "filelog" in config["service"]["pipelines"]["logs"]["receivers"]
    assert "tolerations" not in pod
    spec = agent_spec(dev)
    assert spec["features"]["logCollection"]["enabled"] is False
    assert [spec["features"][f]["enabled"] for f in ("apm", "npm", "cspm", "cws")] == [
        True,
        False,
        False,
        False,
    ]
    assert spec["override"]["clusterAgent"]["replicas"] == 1
    assert spec["global"]["tags"] == ["env:dev"]


def test_production_cluster_agent_tails_logs_and_monitors_security(
    production: list[dict[str, Any]],
) -> None:
    config, pod = node_collector(production)
    assert "filelog" not in config["receivers"]
    assert pod["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "payments", "effect": "NoSchedule"}
    ]
    assert pod["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    spec = agent_spec(production)
    assert spec["features"]["logCollection"] == {"enabled": True, "containerCollectAll": True}
    assert all(spec["features"][f]["enabled"] for f in ("apm", "npm", "cspm", "cws"))
    assert spec["override"]["clusterAgent"]["replicas"] == 2
    assert spec["override"]["nodeAgent"]["env"][0]["name"] == "DD_LOGS_CONFIG_PROCESSING_RULES"
    assert spec["global"]["tags"] == ["env:production"]
