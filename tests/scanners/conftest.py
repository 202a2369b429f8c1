"""The offline plans of both committed stacks, which the scanners read as a reviewer would."""

import contextlib
import io
from pathlib import Path

import pytest

from stacks.tooling.cli import main

STACKS = ("dev", "production")


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each stack's plan folder: resources.json, ecs/, kubernetes/ and datadog/ artifacts."""
    folders = {}
    for stack in STACKS:
        folder = tmp_path_factory.mktemp(f"plan-{stack}")
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["plan", "--stack", stack, "--out", str(folder)]) == 0
        folders[stack] = folder
    return folders
