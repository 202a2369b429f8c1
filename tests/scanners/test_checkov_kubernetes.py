"""checkov's Kubernetes checks on the manifests both stacks render, and what checkov cannot see.

checkov judges the objects the stack writes itself (the collectors, their RBAC, the API key
Secret). The Datadog Operator writes the node Agent's DaemonSet, the Cluster Agent's Deployment,
their NetworkPolicies and the Cluster Agent's PodDisruptionBudget in the cluster from the
DatadogAgent object, and Helm writes the Operator's Deployment from its chart: checkov has no
checks for either custom resource, so the second half of this module holds the values of those
two objects that decide what the Operator and Helm deploy.
"""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scanners.conftest import CLUSTER_STACKS
from tests.scanners.scanners import Finding, assert_all_waived, run_scanner

SCAN = "checkov-kubernetes"
COLLECTOR_WORKLOADS = {
    "DaemonSet.datadog.otel-collector-node",
    "Deployment.datadog.otel-collector-cluster",
}


def checkov(manifests: Path) -> dict[str, Any]:
    """checkov's report on one folder of manifests, offline."""
    result = run_scanner(
        "checkov",
        *("--directory", str(manifests), "--framework", "kubernetes"),
        *("--skip-download", "--soft-fail", "--output", "json"),
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["check_type"] == "kubernetes"
    assert report["summary"]["parsing_errors"] == 0
    return report


@pytest.fixture(scope="module")
def reports(plans: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {stack: checkov(plans[stack] / "kubernetes") for stack in CLUSTER_STACKS}


def test_checkov_finds_nothing_unwaived_in_either_stack(
    reports: dict[str, dict[str, Any]],
) -> None:
    findings = [
        Finding(SCAN, check["check_id"], check["resource"], check["check_name"])
        for report in reports.values()
        for check in report["results"]["failed_checks"]
    ]
    assert_all_waived(SCAN, findings)


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_checkov_judged_both_collector_workloads(
    reports: dict[str, dict[str, Any]], stack: str
) -> None:
    results = reports[stack]["results"]
    judged = {check["resource"] for kind in results.values() for check in kind}
    assert judged >= COLLECTOR_WORKLOADS


# What the Operator and Helm deploy, decided by the two objects checkov does not check.


def manifest(plan: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((plan / "kubernetes" / name).read_text())
    return loaded


def datadog_agent(plan: Path) -> dict[str, Any]:
    spec: dict[str, Any] = manifest(plan, "datadogagent-datadog-datadog.yaml")["spec"]
    return spec


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_the_operator_writes_network_policies_for_the_agents(
    plans: dict[str, Path], stack: str
) -> None:
    spec = datadog_agent(plans[stack])

    assert spec["global"]["networkPolicy"] == {"create": True, "flavor": "kubernetes"}


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_the_agent_and_the_collector_verify_kubelet_tls(plans: dict[str, Path], stack: str) -> None:
    config_map = manifest(plans[stack], "configmap-datadog-otel-collector-node.yaml")
    config = yaml.safe_load(config_map["data"]["collector.yaml"])

    assert config["receivers"]["kubeletstats"]["insecure_skip_verify"] is False
    assert datadog_agent(plans[stack])["global"]["kubelet"] == {"tlsVerify": True}


def test_the_cluster_agent_has_a_disruption_budget_where_it_has_replicas_to_spare(
    plans: dict[str, Path],
) -> None:
    dev, production = (
        datadog_agent(plans[stack])["override"]["clusterAgent"] for stack in ("dev", "production")
    )

    assert (dev["replicas"], production["replicas"]) == (1, 2)
    assert "createPodDisruptionBudget" not in dev
    assert production["createPodDisruptionBudget"] is True


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_the_operators_pod_is_the_one_its_network_policy_selects(
    plans: dict[str, Path], stack: str
) -> None:
    release = manifest(plans[stack], "helm-release-eks-agent-operator.yaml")
    policy = manifest(plans[stack], "networkpolicy-datadog-datadog-operator.yaml")

    assert policy["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": release["chart"],
        "app.kubernetes.io/instance": release["name"],
    }
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_no_rendered_manifest_puts_a_secret_in_an_environment_variable(
    plans: dict[str, Path], stack: str
) -> None:
    texts = [path.read_text() for path in sorted((plans[stack] / "kubernetes").glob("*.yaml"))]
    assert texts
    assert not [text for text in texts if "secretKeyRef" in text]
