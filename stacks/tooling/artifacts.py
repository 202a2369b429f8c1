"""Reviewer-friendly files written beside resources.json by `python -m stacks plan`.

One file per payload a reviewer reads, under stable names, so a pull request's diff of the plan
output is a diff of exactly what changed: ECS container definitions, Kubernetes manifests (YAML),
Datadog monitors and dashboards (JSON). Values are the recorded inputs, secrets already masked.
"""

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import yaml

from stacks.tooling.engine import RecordedResource

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


def _monitor(resource: RecordedResource) -> tuple[str, str]:
    return f"datadog/monitors/{_file_name(resource.name)}.json", _json(resource.inputs)


def _dashboard(resource: RecordedResource) -> tuple[str, str]:
    dashboard = json.loads(resource.inputs["dashboard"])
    return f"datadog/dashboards/{_file_name(resource.name)}.json", _json(dashboard)


_WRITERS: Final[dict[str, Callable[[RecordedResource], tuple[str, str]]]] = {
    "aws:ecs/taskDefinition:TaskDefinition": _container_definitions,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "datadog:index/monitor:Monitor": _monitor,
    "datadog:index/dashboardJson:DashboardJson": _dashboard,
}


def _writer(resource: RecordedResource) -> Callable[[RecordedResource], tuple[str, str]] | None:
    writer = _WRITERS.get(resource.type)
    if writer is None and resource.custom and resource.type.startswith("kubernetes:"):
        return _kubernetes_manifest
    return writer


def clear_plan_output(out_dir: Path) -> None:
    """Remove an earlier plan's output, so a failed plan never leaves it looking current."""
    (out_dir / RESOURCES_FILE).unlink(missing_ok=True)
    for folder in ARTIFACT_DIRS:
        shutil.rmtree(out_dir / folder, ignore_errors=True)


def write_artifacts(resources: list[RecordedResource], out_dir: Path) -> list[Path]:
    """Leave in the artifact folders exactly the artifacts of a plan; return their paths.

    A file that already holds its content is not written again, and whatever else is there is
    removed: a re-plan costs what changed (a stack of 500 services has thousands of files, most
    of them the same from one plan to the next) and its folder is the same as a fresh plan's.
    """
    planned: dict[Path, bytes] = {}
    for resource in resources:
        writer = _writer(resource)
        if writer is None:
            continue
        relative, text = writer(resource)
        path = out_dir / relative
        if path in planned:
            raise ValueError(f"two resources would write {relative}")
        # Compared as bytes, so that a file that differs only in its line endings is rewritten.
        # Every artifact is ASCII (JSON and YAML escape the rest): the bytes are write_text's.
        planned[path] = text.encode()
    folders: set[Path] = set()
    for path in planned:
        # Up to the first folder already known: Path.parents of every file costs more than
        # writing the few that changed.
        folder = path.parent
        while folder not in folders:
            folders.add(folder)
            folder = folder.parent
    _prune(out_dir, set(planned), folders, only=ARTIFACT_DIRS)
    made: set[Path] = set()
    for path, content in planned.items():
        if _content(path) != content:
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_bytes(content)
    return list(planned)


def _prune(
    folder: Path, files: set[Path], folders: set[Path], only: tuple[str, ...] | None = None
) -> None:
    """Remove under `folder` (its entries named in `only`, if given) all but `files` and the
    `folders` that lead to them. A link is never an artifact: writing through it would change
    its target."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if only is not None and entry.name not in only:
                continue
            path = folder / entry.name
            if entry.is_dir(follow_symlinks=False):
                if path in folders:
                    _prune(path, files, folders)
                else:
                    shutil.rmtree(path)
            elif entry.is_symlink() or path not in files:
                path.unlink()


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
