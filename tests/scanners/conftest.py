"""The offline plans of every committed stack, which the scanners read as a reviewer would."""

import contextlib
import io
from pathlib import Path

import pytest

from stacks.tooling.cli import main
from stacks.tooling.stack_file import REPO_ROOT

STACKS = tuple(sorted(path.name.split(".")[1] for path in REPO_ROOT.glob("Pulumi.*.yaml")))
"""Every stack file of the repository: a new one is scanned without a change here."""
CLUSTER_STACKS = ("dev", "platform-production", "production")
"""The stacks with an EKS cluster, whose Kubernetes objects checkov reads."""


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each stack's plan folder: resources.json, ecs/, kubernetes/ and datadog/ artifacts."""
    root = tmp_path_factory.mktemp("plans")
    # One selection, so that the team stacks plan from the platform's plan beside them.
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["plan", *(("--stack", *STACKS)), "--out", str(root)]) == 0
    return {stack: root / stack for stack in STACKS}
