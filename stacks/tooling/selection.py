"""Which stacks a command works on, and in which order: `--stack NAME...` or `--all`.

The stacks of the repository are its stack files (`Pulumi.<stack>.yaml`). A team stack reads its
platform stack (`observability:stack.platform`, `<organization>/<project>/<stack>`) through a
stack reference, so where that platform is a stack of this repository it is planned, previewed
and deployed first; stacks that reference none (platforms, and the single stacks of a small
organisation) come first, in name order, then the teams.
"""

import fnmatch
import json
import subprocess
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from stacks.program.errors import NAMESPACE, StackConfigError
from stacks.program.model.stack import StackSettings
from stacks.tooling.stack_file import REPO_ROOT, YAML_LOADER, read_stack_file

STACK_FILE_PATTERN = "Pulumi.*.yaml"

UNPLANNED_PATHS = ("*.md", "tests/*", "benchmarks/*", "LICENSE")
"""Changes no stack's plan depends on. Every other file may change what the program registers
(code, requirements, Pulumi.yaml, the policy pack, the workflows that run it), so it affects
every stack."""


@dataclass(frozen=True)
class RepositoryStack:
    name: str
    references: str | None
    """The stack of this project it references by `<stack>` name (a team's platform), whether or
    not its stack file is here."""
    platform: str | None
    """That stack if it is one of those read with it, which then runs first."""


def stack_file_stack(path: str) -> str | None:
    """The stack a path of the repository is the stack file of, if it is one."""
    if "/" in path or not fnmatch.fnmatchcase(path, STACK_FILE_PATTERN):
        return None
    return path.removeprefix("Pulumi.").removesuffix(".yaml")


def repository_stacks(root: Path = REPO_ROOT) -> list[str]:
    """The names of every stack of the repository, sorted."""
    return sorted(
        filter(None, (stack_file_stack(path.name) for path in root.glob(STACK_FILE_PATTERN)))
    )


def read_stacks(names: Collection[str], root: Path = REPO_ROOT) -> dict[str, RepositoryStack]:
    """The stacks `names`, each with the one of them it references.

    Only the order depends on what a stack references: a stack file that cannot be read, or whose
    `observability:stack` the model refuses, is ordered as a stack that references none, and its
    own plan reports what is wrong, naming the file and the key path."""
    project = yaml.load((root / "Pulumi.yaml").read_text(), Loader=YAML_LOADER)["name"]
    stacks = {}
    for name in names:
        references = referenced_stack(root / f"Pulumi.{name}.yaml", project)
        stacks[name] = RepositoryStack(
            name, references, references if references in names else None
        )
    return stacks


def referenced_stack(path: Path, project: str) -> str | None:
    """The stack of `project` a team stack references (its platform), by `<stack>` name."""
    try:
        value = read_stack_file(path, path.name).config.get(f"{NAMESPACE}:stack")
        settings = StackSettings.model_validate(json.loads(value) if value else {})
    except (StackConfigError, ValidationError, json.JSONDecodeError):
        return None
    if settings.platform is None or settings.platform.split("/")[1] != project:
        return None
    return settings.platform_stack


def in_order(names: Iterable[str], stacks: Mapping[str, RepositoryStack]) -> list[str]:
    """`names` in the order they run: stacks that reference none first, then the teams."""
    return sorted(set(names), key=lambda name: (stacks[name].platform is not None, name))


class SelectionError(Exception):
    """The change to select stacks by cannot be read."""


def affected(changed: Collection[str], stacks: Mapping[str, RepositoryStack]) -> list[str]:
    """The stacks of `stacks` (the repository's) a change of the files `changed` (paths from the
    repository root) affects, in order: a stack file's change affects its stack and the stacks
    that reference it (also when it was deleted: they reference a stack that is gone); any other
    file that plans depend on affects every stack."""
    if any(_affects_every_stack(path) for path in changed):
        return in_order(stacks, stacks)
    changed_stacks = {stack_file_stack(path) for path in changed} - {None}
    return in_order(
        (
            name
            for name, stack in stacks.items()
            if name in changed_stacks or stack.references in changed_stacks
        ),
        stacks,
    )


def _affects_every_stack(path: str) -> bool:
    if stack_file_stack(path) is not None:
        return False
    return not any(fnmatch.fnmatchcase(path, pattern) for pattern in UNPLANNED_PATHS)


def changed_since(base: str, root: Path = REPO_ROOT) -> list[str]:
    """The files a change made since the commit `base` (both sides of a rename), from git.

    `base...HEAD` is the change since the branches' common ancestor: what a pull request's own
    commits did, whether HEAD is its head or GitHub's merge commit of it into `base`."""
    result = subprocess.run(
        ["git", "diff", "--name-only", "--no-renames", "-z", f"{base}...HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SelectionError(f"git cannot compare with {base}: {result.stderr.strip()}")
    return [path for path in result.stdout.split("\0") if path]


def print_affected(base: str | None, changed: list[str] | None) -> int:
    """`python -m stacks affected`: JSON on stdout, status 0; a base git cannot compare with is
    refused in one line, status 2.

    `stacks`: the affected stacks in the order they run, split into `first` (those that
    reference no stack of the repository) and `teams` (each after the platform it references);
    `plan`: those and the platforms they reference, which their offline plans read."""
    try:
        paths = changed if changed is not None else changed_since(base or "")
    except SelectionError as error:
        print(f"affected: {error}", file=sys.stderr)
        return 2
    stacks = read_stacks(repository_stacks())
    order = affected(paths, stacks)
    platforms = {stacks[name].platform for name in order}
    planned = {*order, *(platform for platform in platforms if platform is not None)}
    print(
        json.dumps(
            {
                "stacks": order,
                "first": [name for name in order if stacks[name].platform is None],
                "teams": [name for name in order if stacks[name].platform is not None],
                "plan": in_order(planned, stacks),
            }
        )
    )
    return 0
