"""A recognisable fake Datadog key must never appear outside a value Pulumi treats as secret."""

import json
from pathlib import Path

import pytest

from stacks.program.errors import StackConfigError
from stacks.tooling.artifacts import artifacts
from stacks.tooling.cli import main
from stacks.tooling.diff import diff_folders
from stacks.tooling.engine import ProgramRun, run_program
from stacks.tooling.plan import run_main_module
from stacks.tooling.stack_file import default_stack_path, read_stack_file

FAKE_API_KEY = "0123456789abcdef0123456789abcdef"
FAKE_APP_KEY = "fedcba9876543210fedcba9876543210fedcba98"
FAKES = (FAKE_API_KEY, FAKE_APP_KEY)


def run_with_fake_keys(stack: str, path: Path | None = None) -> ProgramRun:
    """Run the stack as `pulumi up` would, with the keys as decrypted secret config."""
    stack_file = read_stack_file(path or default_stack_path(stack), stack)
    config = {**stack_file.config, "datadog:apiKey": FAKE_API_KEY, "datadog:appKey": FAKE_APP_KEY}
    secret_keys = (*stack_file.secret_keys, "datadog:apiKey", "datadog:appKey")
    return run_program(run_main_module, stack=stack, config=config, secret_keys=secret_keys)


def assert_no_fake_key(text: str, where: str) -> None:
    for fake in FAKES:
        assert fake not in text, f"a fake Datadog key leaked into {where}"


@pytest.mark.parametrize("stack", ["dev", "production"])
def test_keys_stay_secret_in_a_whole_plan(
    stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_with_fake_keys(stack)
    assert run.resources
    recorded = json.dumps([r.to_json() for r in run.resources])
    assert_no_fake_key(recorded, "recorded inputs")
    assert "[secret]" in recorded
    assert_no_fake_key(json.dumps(run.stack_outputs, default=str), "stack outputs")
    out = tmp_path / "out"
    out.mkdir()
    (out / "resources.json").write_text(recorded)
    for relative, content in artifacts(run.resources).items():
        assert_no_fake_key(content.decode(), relative)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "resources.json").write_text("[]")
    assert_no_fake_key(diff_folders(empty, out), "the diff")
    printed = capsys.readouterr()
    assert_no_fake_key(printed.out + printed.err, "printed output")


def test_keys_stay_out_of_error_messages(tmp_path: Path) -> None:
    broken = tmp_path / "Pulumi.dev.yaml"
    broken.write_text(
        default_stack_path("dev").read_text().replace("memory: 1024", "memory: 3000", 1)
    )
    with pytest.raises(StackConfigError) as error:
        run_with_fake_keys("dev", broken)
    assert "memory" in str(error.value)
    assert_no_fake_key(str(error.value), "the error message")


def test_the_commands_print_no_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["plan", "--stack", "production", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr()
    assert "offline-placeholder" not in printed.out + printed.err
