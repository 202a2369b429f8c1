"""The reviewer-facing files a plan writes beside resources.json."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from stacks.tooling import plan as plan_module
from stacks.tooling.cli import main


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


def test_whole_numbers_read_as_integers_in_every_artifact(production: Path) -> None:
    # The engine protocol carries every number as a double; a manifest with `containerPort:
    # 4317.0` is what a reviewer could not `kubectl apply`.
    daemon_set_text = (
        production / "kubernetes" / "daemonset-datadog-otel-collector-node.yaml"
    ).read_text()
    assert "containerPort: 4317\n" in daemon_set_text
    assert "runAsUser: 10001\n" in daemon_set_text
    resources = json.loads((production / "resources.json").read_text())
    (daemon_set,) = [r for r in resources if r["type"] == "kubernetes:apps/v1:DaemonSet"]
    (container,) = daemon_set["inputs"]["spec"]["template"]["spec"]["containers"]
    assert [type(port["containerPort"]) for port in container["ports"]] == [int, int, int]
    floats = [
        line
        for path in production.rglob("*")
        if path.suffix in (".yaml", ".json")
        for line in path.read_text().splitlines()
        if re.search(r"(?<![\w.])\d+\.0\b(?![.\d])", line) and "image" not in line
    ]
    assert floats == []


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


def file_identities(folder: Path) -> dict[Path, tuple[int, int]]:
    return {
        path.relative_to(folder): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_replan_rewrites_only_what_changed_and_removes_what_is_stale(
    production: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    shutil.copytree(production, again)
    for path in again.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    edited = again / "ecs" / "production-checkout-api.container-definitions.json"
    edited.write_text("[]\n")
    (again / "ecs" / "stale.container-definitions.json").write_text("[]\n")
    (again / "datadog" / "retired").mkdir()
    (again / "datadog" / "retired" / "old.json").write_text("{}\n")
    (again / "kubernetes" / "linked.yaml").symlink_to(edited)
    before = file_identities(again)

    assert main(["plan", "--stack", "production", "--out", str(again)]) == 0

    after = file_identities(again)
    assert sorted(after) == sorted(file_identities(production))
    for path in production.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(production)).read_bytes() == path.read_bytes()
    artifacts = {p for p in after if p.parts[0] != "resources.json"}
    unchanged = artifacts - {edited.relative_to(again)}
    assert {p: after[p] for p in unchanged} == {p: before[p] for p in unchanged}
    assert not (again / "datadog" / "retired").exists()


def test_a_plan_that_raises_leaves_no_earlier_output(
    production: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    again = tmp_path / "again"
    shutil.copytree(production, again)

    def broken_program(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the program")

    monkeypatch.setattr(plan_module, "run_stack", broken_program)
    with pytest.raises(RuntimeError):
        main(["plan", "--stack", "production", "--out", str(again)])
    assert sorted(p.name for p in again.iterdir()) == []
