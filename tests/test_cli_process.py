"""`python -m stacks` as its own process: what it imports, how long it takes."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.shared_data import REPO_ROOT

PROVIDER_SDKS = {"pulumi_aws", "pulumi_datadog", "pulumi_kubernetes"}
# Both take a quarter of a second on the team's 2-core machine; the bound is what a developer
# would notice, with room for a CI machine running other jobs at the same time.
QUICK_SECONDS = 2.0


def monitor_files(folder: Path, count: int) -> list[str]:
    files = []
    for index in range(count):
        monitor = {
            "name": f"Queue backlog {index}",
            "type": "query alert",
            "query": f"avg(last_5m):max:app.queue_{index}.depth{{env:production}} > 1000",
            "message": "Queue backlog @slack-orders",
            "options": {"thresholds": {"critical": 1000, "warning": 500}},
        }
        path = folder / f"monitor-{index:03d}.json"
        path.write_text(json.dumps({"version": 2, "definition": monitor}), encoding="utf-8")
        files.append(str(path))
    return files


@pytest.mark.parametrize("command", ["--help", "lint-monitors"])
def test_commands_that_plan_nothing_are_quick_and_load_no_provider_sdk(
    command: str, tmp_path: Path
) -> None:
    arguments = (
        [command, *monitor_files(tmp_path, 250)] if command == "lint-monitors" else [command]
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stacks", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started

    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "stacks" in imported
    assert imported & PROVIDER_SDKS == set()
    assert seconds < QUICK_SECONDS
