"""Where the team's shared reference data (the Datadog corpus) lives.

The corpus is not vendored: it sits beside the repository in `../shared/` (as in the team's CI),
or wherever OBSERVABILITY_SHARED_DIR points. Without it the corpus tests show as skipped, never
as passed; with OBSERVABILITY_REQUIRE_CORPUS set (the team's CI sets it) a missing corpus is an
error, so a corpus check can never silently not run there.
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIRE_CORPUS = "OBSERVABILITY_REQUIRE_CORPUS"


def shared_dir() -> Path:
    configured = os.environ.get("OBSERVABILITY_SHARED_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def corpus_files(kind: str) -> list[Path]:
    """Every JSON file of one corpus kind ('datadog-monitors' or 'datadog-dashboards').

    Empty when the corpus is absent, so tests parametrized over it are reported as skipped.
    """
    files = sorted((shared_dir() / "corpus" / kind).rglob("*.json"))
    if not files and os.environ.get(REQUIRE_CORPUS):
        raise FileNotFoundError(
            f"no {kind} corpus under {shared_dir()}: put the team's shared/ folder beside the "
            "repository or point OBSERVABILITY_SHARED_DIR at it"
        )
    return files


def corpus_or_skip(kind: str) -> list[Path]:
    """The corpus files for a test that needs them, skipping it visibly when there are none."""
    files = corpus_files(kind)
    if not files:
        pytest.skip(f"no {kind} corpus under {shared_dir()} (set OBSERVABILITY_SHARED_DIR)")
    return files
