"""Stack files that are not what they seem: each refused in one line, exit 2, no traceback, and
nothing written."""

from pathlib import Path

import pytest

from stacks.tooling.cli import main
from stacks.tooling.stack_file import MAX_FILE_BYTES

VALID_HEAD = (
    "config:\n"
    "  aws:region: eu-west-1\n"
    "  observability:environment:\n"
    "    name: dev\n"
    "    team: platform\n"
)


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path) -> str:
    out = tmp_path / "out"
    status = main(["plan", "--stack", "dev", "--config-file", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 2
    assert not out.exists()
    [line] = captured.err.strip().splitlines()
    assert line.startswith(f"{path}: ")
    return line.removeprefix(f"{path}: ")


def stack_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "Pulumi.odd.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_a_file_nested_thousands_deep_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # libyaml's composer would overflow the C stack on this; the events are read first.
    deep = VALID_HEAD + "  observability:eks: " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert refused(tmp_path, capsys, stack_file(tmp_path, deep)).endswith(
        "nested more than 64 levels deep"
    )


def test_aliases_that_expand_without_bound_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["  x:a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  x:a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = VALID_HEAD + "\n".join(lines) + "\n"
    reason = refused(tmp_path, capsys, stack_file(tmp_path, bomb))
    assert reason.endswith(
        "its aliases expand to more than 100,000 values; write the values out instead"
    )


def test_a_few_aliases_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared = (
        VALID_HEAD
        + "  observability:ecs: &ecs {}\n"
        + "  observability:datadog:\n    notifications:\n      alert: &pager ['@pagerduty-x']\n"
        + "      noData: *pager\n"
    )
    out = tmp_path / "out"
    status = main(
        [
            "plan",
            "--stack",
            "dev",
            "--config-file",
            str(stack_file(tmp_path, shared)),
            "--out",
            str(out),
        ]
    )
    assert status == 0, capsys.readouterr().err


def test_a_key_given_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twice = VALID_HEAD + "    team: payments\n"
    assert refused(tmp_path, capsys, stack_file(tmp_path, twice)) == (
        "line 6, column 5: 'team' is given twice in this mapping (also line 5); only the last "
        "would count"
    )


def test_a_secure_value_inside_the_projects_config_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secure = VALID_HEAD + "    tags:\n      owner:\n        secure: AAABAMzv\n"
    reason = refused(tmp_path, capsys, stack_file(tmp_path, secure))
    assert reason.startswith("observability:environment: holds a `secure:` value")
    assert "AAABAMzv" not in reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(
            VALID_HEAD.replace("platform", "équipe").encode("latin-1"),
            "(file): not UTF-8 (byte 0xe9 at offset 85); save it as UTF-8, as Pulumi writes it",
            id="latin-1",
        ),
        pytest.param(
            VALID_HEAD + "#" * MAX_FILE_BYTES,
            "(file): larger than 4 MiB; not a stack file",
            id="too-large",
        ),
    ],
)
def test_a_file_that_is_not_a_stack_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, reason: str
) -> None:
    assert refused(tmp_path, capsys, stack_file(tmp_path, content)) == reason


def test_a_folder_is_not_a_stack_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "Pulumi.dev.yaml"
    folder.mkdir()
    assert refused(tmp_path, capsys, folder) == "(file): cannot read: Is a directory"


def test_an_out_folder_that_cannot_be_written_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--stack", "dev", "--out", "/dev/null/plan"]) == 2
    assert capsys.readouterr().err == (
        "Pulumi.dev.yaml: cannot write the plan into /dev/null/plan: Not a directory\n"
    )


@pytest.mark.parametrize("name", ["../etc", "a/b", ".."])
def test_a_stack_name_is_a_name_not_a_path(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["urns", "--stack", name])
    assert exited.value.code == 2
    assert "is not a stack name" in capsys.readouterr().err
