"""The reviewer-facing files a plan writes beside resources.json."""

import json
from pathlib import Path

import pytest
import yaml

from stacks.__main__ import main


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("production")
    assert main(["plan", "--stack", "production", "--out", str(out)]) == 0
    return out


def test_container_definitions_per_service(production: Path) -> None:
    files = sorted(p.name for p in (production / "ecs").iterdir())
    assert files == [
        "production-checkout-api.container-definitions.json",
        "production-support-assistant.container-definitions.json",
    ]
    containers = json.loads((production / "ecs" / files[0]).read_text())
    assert [c["name"] for c in containers] == ["checkout-api", "datadog-agent", "log-router"]


def test_every_kubernetes_object_as_a_manifest(production: Path) -> None:
    manifests = {
        p.name: yaml.safe_load(p.read_text()) for p in (production / "kubernetes").iterdir()
    }
    daemon_set = manifests["daemonset-datadog-otel-collector-node.yaml"]
    assert (daemon_set["apiVersion"], daemon_set["kind"]) == ("apps/v1", "DaemonSet")
    assert manifests["datadogagent-datadog-datadog.yaml"]["kind"] == "DatadogAgent"
    secret = manifests["secret-datadog-datadog-api-key.yaml"]
    assert secret["data"] == "[secret]"
    assert manifests["helm-release-eks-agent-operator.yaml"]["chart"] == "datadog-operator"


def test_artifacts_are_stable_and_a_failed_plan_removes_them(
    production: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    assert main(["plan", "--stack", "production", "--out", str(again)]) == 0
    for path in production.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(production)).read_bytes() == path.read_bytes()
    broken = tmp_path / "broken.yaml"
    broken.write_text("config:\n  observability:environment: {}\n")
    assert (
        main(["plan", "--stack", "production", "--config-file", str(broken), "--out", str(again)])
        == 2
    )
    assert sorted(p.name for p in again.iterdir()) == []
