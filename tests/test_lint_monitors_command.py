"""`python -m stacks lint-monitors FILE...`: monitor JSON files checked offline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.tooling.cli import main
from tests.shared_data import REPO_ROOT, corpus_or_skip

# A warning on the wrong side of the critical threshold, which Datadog rejects at apply time.
BROKEN_MONITOR = {
    "name": "Queue backlog",
    "type": "query alert",
    "query": "avg(last_5m):max:app.queue.depth{env:production} > 1000",
    "message": "Queue backlog @slack-orders",
    "options": {"thresholds": {"critical": 1000, "warning": 1500}},
}


# Datadog accepts seasonality on the basic algorithm and ignores it: a warning, not an error.
BASIC_WEEKLY_QUERY = (
    "avg(last_4h):anomalies(avg:app.signups{*}, 'basic', 2, direction='both', "
    "alert_window='last_15m', interval=60, count_default_zero='true', seasonality='weekly') >= 1"
)
WARNED_MONITOR = {
    "name": "Signups",
    "type": "query alert",
    "query": BASIC_WEEKLY_QUERY,
    "message": "Signups look unusual @slack-growth",
    "options": {
        "thresholds": {"critical": 1, "critical_recovery": 0},
        "threshold_windows": {"trigger_window": "last_15m", "recovery_window": "last_15m"},
    },
}


@pytest.fixture
def warned(tmp_path: Path) -> Path:
    path = tmp_path / "signups.json"
    path.write_text(json.dumps(WARNED_MONITOR), encoding="utf-8")
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "queue-backlog.json"
    path.write_text(json.dumps({"version": 2, "definition": BROKEN_MONITOR}), encoding="utf-8")
    return path


def test_clean_corpus_files_pass_and_say_what_was_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(path) for path in corpus_or_skip("datadog-monitors")[:5]]

    assert main(["lint-monitors", *files]) == 0
    assert capsys.readouterr().out == "lint-monitors: 5 monitors in 5 files: no problems\n"


def test_a_broken_file_is_reported_with_its_field_and_reason(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = str(corpus_or_skip("datadog-monitors")[0])

    assert main(["lint-monitors", clean, str(broken)]) == 1
    assert capsys.readouterr().out == (
        f"{broken}: options.thresholds.warning: must be below critical (1000) for comparator "
        "'>', got 1500\nlint-monitors: 2 monitors in 2 files: 1 problem\n"
    )


def test_warnings_are_printed_and_pass(warned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint-monitors", str(warned)]) == 0
    assert capsys.readouterr().out == (
        f"{warned}: query: warning: seasonality does not apply to the 'basic' algorithm (only "
        "agile and robust are seasonal) (at char "
        f"{BASIC_WEEKLY_QUERY.index('weekly')}: 'weekly')\n"
        "lint-monitors: 1 monitor in 1 file: no problems, 1 warning\n"
    )


def test_strict_makes_warnings_fail(warned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint-monitors", "--strict", str(warned)]) == 1
    assert capsys.readouterr().out.endswith(": no problems, 1 warning\n")


def test_errors_and_warnings_are_counted_apart(
    warned: Path, broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint-monitors", str(warned), str(broken)]) == 1
    assert capsys.readouterr().out.endswith(
        "lint-monitors: 2 monitors in 2 files: 1 problem, 1 warning\n"
    )


def test_the_module_exits_with_the_lint_status(broken: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stacks", "lint-monitors", str(broken)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert result.stdout.startswith(f"{broken}: options.thresholds.warning: ")


def test_files_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["lint-monitors"])

    assert raised.value.code == 2
    assert "the following arguments are required: FILE" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments",
    [pytest.param(["--help"], id="help"), pytest.param(["lint-monitors"], id="lint-monitors")],
)
def test_commands_that_need_no_provider_load_none(arguments: list[str], broken: Path) -> None:
    # Loading pulumi_datadog alone takes seconds: only the commands that plan may pay for it.
    if arguments == ["lint-monitors"]:
        arguments = [*arguments, str(broken)]
    probe = (
        "import sys\n"
        "from stacks.tooling.cli import main\n"
        "try:\n"
        f"    main({arguments!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.splitlines()[-1] == "[]"
