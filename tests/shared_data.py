"""Where the team's shared reference data (Datadog corpus) lives.

The corpus is not vendored: it sits beside the repository in `../shared/` (as in CI), or wherever
OBSERVABILITY_SHARED_DIR points. Tests that need it fail loudly when it is missing, because a corpus
check that silently did not run would be worse than none.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    configured = os.environ.get("OBSERVABILITY_SHARED_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared"
    if not (path / "corpus").is_dir():
        raise FileNotFoundError(
            f"shared reference data not found at {path}: clone the team's shared/ folder beside "
            "the repository or set OBSERVABILITY_SHARED_DIR"
        )
    return path


def corpus_files(kind: str) -> list[Path]:
    """Every JSON file of one corpus kind ('datadog-monitors' or 'datadog-dashboards')."""
    files = sorted((shared_dir() / "corpus" / kind).rglob("*.json"))
    if not files:
        raise FileNotFoundError(f"no {kind} corpus files under {shared_dir()}")
    return files
