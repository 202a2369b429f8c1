"""`python -m stacks` as its own process: what it imports, how long it takes, how it ends."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.tooling.cli import main
from stacks.tooling.engine import RecordedResource
from tests.shared_data import REPO_ROOT

PROVIDER_SDKS = {"pulumi_aws", "pulumi_datadog", "pulumi_kubernetes"}
# --help takes a fifth of a second on the team's 2-core machine, lint-monitors on 250 files about
# half a second (most of it importing Datadog's API models); the bound is what a developer would
# notice. It bounds the CPU the process uses, not its wall time: on a machine running other jobs
# at the same time (load 7 on 2 cores, seen here) wall time grows with the queue for the cores.
QUICK_SECONDS = 2.0


def stacks_process(*arguments: str, probe: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m stacks ARGUMENTS`, after `probe` ran in the same interpreter."""
    command = [sys.executable, "-m", "stacks", *arguments]
    if probe:
        run_module = "import runpy; runpy.run_module('stacks', run_name='__main__', alter_sys=True)"
        command = [
            sys.executable,
            "-c",
            f"{probe}\nimport sys; sys.argv = ['stacks', *{arguments!r}]\n{run_module}",
        ]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


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
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stacks", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime

    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "stacks" in imported
    assert imported & PROVIDER_SDKS == set()
    assert cpu_seconds < QUICK_SECONDS


# Stops the process at the first import of the Pulumi SDK, saying whether the collector is on.
COLLECTOR_AT_FIRST_SDK_IMPORT = """
import gc, sys

class FirstSdkImport:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"pulumi", "pulumi_aws", "pulumi_datadog", "pulumi_kubernetes"}:
            print("collector on" if gc.isenabled() else "collector off", flush=True)
            raise SystemExit(0)

sys.meta_path.insert(0, FirstSdkImport())
"""


@pytest.mark.parametrize("command", ["plan", "check", "urns"])
def test_planning_commands_import_the_sdks_with_the_collector_off(
    command: str, tmp_path: Path
) -> None:
    arguments = [command, "--stack", "dev"]
    if command == "plan":
        arguments += ["--out", str(tmp_path)]
    result = stacks_process(*arguments, probe=COLLECTOR_AT_FIRST_SDK_IMPORT)

    assert result.stdout.splitlines() == ["collector off"], result.stderr[-2000:]


def test_the_pulumi_entry_point_imports_the_sdks_with_the_collector_off() -> None:
    # What `pulumi up` runs; the program itself would turn the collector off only after them.
    probe = f"{COLLECTOR_AT_FIRST_SDK_IMPORT}\nimport runpy; runpy.run_path('__main__.py')"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )

    assert result.stdout.splitlines() == ["collector off"], result.stderr[-2000:]


@pytest.fixture
def plans(tmp_path: Path) -> tuple[str, str]:
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, names in ((old, ["a"]), (new, ["a", "b"])):
        folder.mkdir()
        resources = [
            RecordedResource(
                urn=f"urn:pulumi:dev::observability::test:index:Thing::{name}",
                type="test:index:Thing",
                name=name,
                parent=None,
                custom=True,
                protect=False,
                inputs={},
            ).to_json()
            for name in names
        ]
        (folder / "resources.json").write_text(json.dumps(resources))
    return str(old), str(new)


def test_the_process_ends_without_teardown_once_its_output_is_out(
    plans: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", *plans]) == 0
    expected = capsys.readouterr().out

    probe = "import atexit; atexit.register(print, 'interpreter teardown')"
    result = stacks_process("diff", *plans, probe=probe)

    assert (result.returncode, result.stdout, result.stderr) == (0, expected, "")


def test_the_process_exits_with_the_commands_status(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps({"name": "x", "type": "query alert", "query": "avg(", "message": ""})
    )

    result = stacks_process("lint-monitors", str(broken))

    assert result.returncode == 1
    assert result.stdout.startswith(f"{broken}: ")


def test_output_that_cannot_be_written_fails_the_process_as_python_does(
    plans: tuple[str, str],
) -> None:
    # Python's own exit status when it cannot flush stdout at exit (here: a full disk).
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "stacks", "diff", *plans],
            cwd=REPO_ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            check=False,
        )

    assert result.returncode == 120
    assert "No space left on device" in result.stderr
