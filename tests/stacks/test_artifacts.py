"""The reviewer-facing files a plan writes beside resources.json."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from stacks.tooling import plan as plan_module
from stacks.tooling.artifacts import MANIFEST_FILE
from stacks.tooling.cli import main
from stacks.tooling.references import OUTPUTS_FILE


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
    # Production's checkout-api runs with Workload Protection.
    assert [c["name"] for c in containers] == [
        "checkout-api",
        "datadog-agent-init",
        "datadog-agent",
        "log-router",
        "cws-instrumentation-init",
    ]


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


def folder_bytes(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_artifacts_are_stable_and_a_refused_plan_touches_nothing(
    production: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    assert main(["plan", "--stack", "production", "--out", str(again)]) == 0
    assert folder_bytes(again) == folder_bytes(production)
    broken = tmp_path / "broken.yaml"
    broken.write_text("config:\n  observability:environment: {}\n")
    assert (
        main(["plan", "--stack", "production", "--config-file", str(broken), "--out", str(again)])
        == 2
    )
    assert folder_bytes(again) == folder_bytes(production)


def file_identities(folder: Path) -> dict[Path, tuple[int, int]]:
    return {
        path.relative_to(folder): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_replan_rewrites_what_changed_and_removes_only_what_a_plan_wrote(
    production: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    shutil.copytree(production, again)
    for path in again.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    edited = again / "ecs" / "production-checkout-api.container-definitions.json"
    edited.write_text("[]\n")
    # What an earlier plan wrote and this one does not: listed in the manifest.
    stale = ["ecs/stale.container-definitions.json", "datadog/retired/old.json"]
    for relative in stale:
        (again / relative).parent.mkdir(parents=True, exist_ok=True)
        (again / relative).write_text("{}\n")
    with (again / MANIFEST_FILE).open("a") as manifest:
        manifest.write("".join(f"{relative}\n" for relative in stale))
    # What no plan wrote: the folder's own files, which a plan leaves alone.
    (again / "ecs" / "notes.md").write_text("mine\n")
    (again / "kubernetes" / "linked.yaml").symlink_to(edited)
    before = file_identities(again)

    assert main(["plan", "--stack", "production", "--out", str(again)]) == 0

    after = file_identities(again)
    own = {Path("ecs/notes.md"), Path("kubernetes/linked.yaml")}
    assert sorted(set(after) - own) == sorted(file_identities(production))
    assert (again / "ecs" / "notes.md").read_text() == "mine\n"
    assert (again / "kubernetes" / "linked.yaml").is_symlink()
    assert {p: b for p, b in folder_bytes(again).items() if p not in own} == folder_bytes(
        production
    )
    artifacts = {p for p in after if p.parts[0] not in ("resources.json", MANIFEST_FILE)} - own
    unchanged = artifacts - {edited.relative_to(again)}
    assert {p: after[p] for p in unchanged} == {p: before[p] for p in unchanged}
    assert not (again / "datadog" / "retired").exists()


def test_a_plan_never_overwrites_a_file_no_plan_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    (mine / "ecs").mkdir(parents=True)
    theirs = mine / "ecs" / "production-checkout-api.container-definitions.json"
    theirs.write_text("kept\n")

    assert main(["plan", "--stack", "production", "--out", str(mine)]) == 2

    assert capsys.readouterr().err.endswith(
        f"{theirs} exists and no plan wrote it; plan into another --out\n"
    )
    assert sorted(p.relative_to(mine) for p in mine.rglob("*")) == [
        Path("ecs"),
        theirs.relative_to(mine),
    ]
    assert theirs.read_text() == "kept\n"


def test_a_plan_folder_from_before_manifests_is_still_a_plans(
    production: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    shutil.copytree(production, again)
    # Such a plan wrote no manifest, nor outputs.json, which came with stack references.
    (again / MANIFEST_FILE).unlink()
    (again / OUTPUTS_FILE).unlink()
    (again / "ecs" / "retired.container-definitions.json").write_text("[]\n")

    assert main(["plan", "--stack", "production", "--out", str(again)]) == 0

    assert folder_bytes(again) == folder_bytes(production)


def test_a_plan_that_raises_leaves_the_earlier_output(
    production: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    again = tmp_path / "again"
    shutil.copytree(production, again)

    def broken_program(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the program")

    monkeypatch.setattr(plan_module, "run_stack", broken_program)
    with pytest.raises(RuntimeError):
        main(["plan", "--stack", "production", "--out", str(again)])
    assert folder_bytes(again) == folder_bytes(production)
