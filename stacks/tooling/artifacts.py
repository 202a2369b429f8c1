"""Reviewer-friendly files written beside resources.json by `python -m stacks plan`.

One file per payload a reviewer reads, under stable names, so a pull request's diff of the plan
output is a diff of exactly what changed: ECS container definitions, Kubernetes manifests (YAML),
Datadog monitors, SLOs, dashboards and downtimes (JSON). Values are the recorded inputs, secrets
already masked.
"""

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import yaml

from stacks.tooling.engine import RecordedResource
from stacks.validation.downtimes import DOWNTIME_SCHEDULE_TYPE
from stacks.validation.slos import SLO_TYPE

RESOURCES_FILE: Final = "resources.json"
ARTIFACT_DIRS: Final = ("ecs", "kubernetes", "datadog")


def _file_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(p for p in parts if p)).strip("-")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def _container_definitions(resource: RecordedResource) -> tuple[str, str]:
    containers = json.loads(resource.inputs["containerDefinitions"])
    name = _file_name(resource.inputs.get("family") or resource.name)
    return f"ecs/{name}.container-definitions.json", _json(containers)


def _kubernetes_manifest(resource: RecordedResource) -> tuple[str, str]:
    metadata = resource.inputs.get("metadata") or {}
    kind = resource.inputs.get("kind") or resource.type.rsplit(":", 1)[-1]
    name = _file_name(
        kind.lower(), metadata.get("namespace", ""), metadata.get("name", resource.name)
    )
    return f"kubernetes/{name}.yaml", yaml.safe_dump(resource.inputs, sort_keys=True)


def _helm_release(resource: RecordedResource) -> tuple[str, str]:
    return f"kubernetes/helm-release-{_file_name(resource.name)}.yaml", yaml.safe_dump(
        resource.inputs, sort_keys=True
    )


def _inputs_in(folder: str) -> Callable[[RecordedResource], tuple[str, str]]:
    """A writer of a resource's inputs as JSON under `datadog/<folder>/`."""

    def write(resource: RecordedResource) -> tuple[str, str]:
        return f"datadog/{folder}/{_file_name(resource.name)}.json", _json(resource.inputs)

    return write


def _dashboard(resource: RecordedResource) -> tuple[str, str]:
    dashboard = json.loads(resource.inputs["dashboard"])
    return f"datadog/dashboards/{_file_name(resource.name)}.json", _json(dashboard)


_WRITERS: Final[dict[str, Callable[[RecordedResource], tuple[str, str]]]] = {
    "aws:ecs/taskDefinition:TaskDefinition": _container_definitions,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "datadog:index/monitor:Monitor": _inputs_in("monitors"),
    "datadog:index/dashboardJson:DashboardJson": _dashboard,
    DOWNTIME_SCHEDULE_TYPE: _inputs_in("downtimes"),
    SLO_TYPE: _inputs_in("slos"),
}


def _writer(resource: RecordedResource) -> Callable[[RecordedResource], tuple[str, str]] | None:
    writer = _WRITERS.get(resource.type)
    if writer is None and resource.custom and resource.type.startswith("kubernetes:"):
        return _kubernetes_manifest
    return writer


MANIFEST_FILE: Final = ".plan-files"
"""The files a plan wrote into its folder, one relative path a line: the only files a later plan
may replace or delete there, whatever else the folder holds."""


class PlanOutputError(ValueError):
    """A plan would overwrite a file that no plan wrote."""


def artifacts(resources: list[RecordedResource]) -> dict[str, bytes]:
    """The artifact files of a plan, by path relative to its folder."""
    planned: dict[str, bytes] = {}
    for resource in resources:
        writer = _writer(resource)
        if writer is None:
            continue
        relative, text = writer(resource)
        if relative in planned:
            raise ValueError(f"two resources would write {relative}")
        # Compared as bytes, so that a file that differs only in its line endings is rewritten.
        # Every artifact is ASCII (JSON and YAML escape the rest): the bytes are write_text's.
        planned[relative] = text.encode()
    return planned


def write_plan_output(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Leave in `out_dir` exactly the plan's `files` among those a plan wrote; return them.

    Only what an earlier plan wrote (its manifest) is replaced or deleted: a folder given as
    `--out` may hold files of its own. A file that already holds its content is not written again,
    so a re-plan costs what changed. resources.json comes last, and until the end the manifest
    names both plans' files, so that an interrupted plan leaves nothing a later one cannot clear.
    """
    previous = previous_plan_files(out_dir)
    foreign = sorted(
        relative
        for relative in files
        if relative not in previous and os.path.lexists(out_dir / relative)
    )
    if foreign:
        raise PlanOutputError(
            f"{out_dir / foreign[0]} exists and no plan wrote it; plan into another --out"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_manifest(out_dir, previous | set(files))
    for relative in sorted(previous - set(files)):
        _remove(out_dir, relative)
    made: set[Path] = set()
    for relative, content in sorted(files.items(), key=lambda item: item[0] == RESOURCES_FILE):
        path = out_dir / relative
        if path.is_symlink():
            path.unlink()  # writing through a link would change its target
        elif _content(path) == content:
            continue
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(content)
    _write_manifest(out_dir, set(files))
    return [out_dir / relative for relative in files if relative != RESOURCES_FILE]


def previous_plan_files(out_dir: Path) -> set[str]:
    """What an earlier plan wrote into `out_dir`, by relative path."""
    try:
        lines = (out_dir / MANIFEST_FILE).read_text().splitlines()
    except FileNotFoundError:
        return _unlisted_plan_files(out_dir)
    return {line for line in lines if line}


def _unlisted_plan_files(out_dir: Path) -> set[str]:
    # A plan of a version that kept no manifest owned resources.json and its artifact folders.
    if not (out_dir / RESOURCES_FILE).is_file():
        return set()
    owned = {RESOURCES_FILE}
    for folder in ARTIFACT_DIRS:
        owned |= {
            str(path.relative_to(out_dir))
            for path in (out_dir / folder).rglob("*")
            if path.is_file() or path.is_symlink()
        }
    return owned


def _write_manifest(out_dir: Path, files: set[str]) -> None:
    (out_dir / MANIFEST_FILE).write_text("".join(f"{relative}\n" for relative in sorted(files)))


def _remove(out_dir: Path, relative: str) -> None:
    """Delete a file a plan wrote, and the folders it leaves empty up to `out_dir`."""
    path = out_dir / relative
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != out_dir and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
