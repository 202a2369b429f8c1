"""The outputs of the stacks a stack references, for the offline engine to answer with.

A team stack's `pulumi.StackReference` to its platform is answered from the platform's own
offline plan (`out/<stack>/outputs.json`, which `plan` writes for every stack) when the platform
is a stack of this repository, or from a file of recorded outputs the user names
(`--stack-outputs`) when it is not. A repository platform without a plan of its current stack
file is planned in process first (its outputs only; nothing is written). Either way secrets stay
secret: a plan's outputs file holds them masked, as `pulumi stack output --json` prints them, and
so does a recorded file.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from components.problems import Problem
from stacks.program.errors import NAMESPACE, StackConfigError
from stacks.tooling.engine import PROJECT, SECRET_MASK, StackOutputs
from stacks.tooling.stack_file import REPO_ROOT, YAML_LOADER, StackFile

OUTPUTS_FILE: Final = "outputs.json"
"""A plan's stack outputs, beside resources.json."""
PLATFORM_KEY: Final = f"{NAMESPACE}:stack.platform"


def outputs_document(exported: StackOutputs, stack_file_digest: str) -> dict[str, Any]:
    """What `plan` writes to outputs.json: the outputs (secrets masked), which are secret, and
    the stack file they were planned from, so that a team stack never reads stale ones."""
    return {
        "outputs": dict(exported.outputs),
        "secretOutputNames": sorted(exported.secret_names),
        "stackFileSha256": stack_file_digest,
    }


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def referenced_stacks(stack_file: StackFile) -> tuple[str, ...]:
    """The fully qualified stacks a stack file's program references: a team's platform.

    Read from the raw file: a malformed `observability:stack` is the program's to report.
    """
    try:
        section = json.loads(stack_file.config.get(f"{NAMESPACE}:stack", "{}"))
    except json.JSONDecodeError:
        return ()
    platform = section.get("platform") if isinstance(section, dict) else None
    is_team = isinstance(section, dict) and section.get("role") == "team"
    return (platform,) if is_team and isinstance(platform, str) else ()


def repository_stack(fully_qualified: str) -> str | None:
    """The `<stack>` of a reference to a stack of this repository, whose file is
    `Pulumi.<stack>.yaml` of this project; None for any other."""
    parts = fully_qualified.split("/")
    if len(parts) != 3 or parts[1] != PROJECT:
        return None
    stack = parts[2]
    return stack if (REPO_ROOT / f"Pulumi.{stack}.yaml").is_file() else None


def recorded_outputs(path: Path) -> dict[str, StackOutputs]:
    """A file of recorded outputs: by fully qualified stack name, each stack's outputs as
    `pulumi stack output --json --stack <name>` prints them. That command prints a secret as
    "[secret]" (MassageSecrets in pkg/backend/display/json.go, pulumi/pulumi at 1b5949891b),
    and so an output holding one is read as a secret. StackConfigError when malformed."""
    source = str(path)

    def refused(reason: str) -> StackConfigError:
        return StackConfigError([Problem("(file)", reason)], source)

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise refused(f"cannot read: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise refused(f"not JSON: {error}") from None
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        raise refused(
            "must map each fully qualified stack name (<organization>/<project>/<stack>) to "
            "its outputs, as `pulumi stack output --json --stack <name>` prints them"
        )
    return {
        name: StackOutputs(
            outputs, frozenset(key for key, value in outputs.items() if _holds_mask(value))
        )
        for name, outputs in document.items()
    }


def _holds_mask(value: Any) -> bool:
    if value == SECRET_MASK:
        return True
    if isinstance(value, dict):
        return any(_holds_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_mask(v) for v in value)
    return False


DEFAULT_PLANS: Final = REPO_ROOT / "out"


def resolve_references(
    stack_file: StackFile,
    plan_stack: Callable[[str], StackOutputs],
    *,
    recorded: Mapping[str, StackOutputs] | None = None,
    plans: Path = DEFAULT_PLANS,
) -> dict[str, StackOutputs]:
    """The outputs of every stack `stack_file` references: from `recorded` first, else from the
    referenced repository stack's plan under `plans` (`<plans>/<stack>/outputs.json`) when it is
    a plan of its current stack file, else from `plan_stack(<stack>)`.

    StackConfigError at observability:stack.platform when a reference cannot be answered: a
    stack neither in the repository nor recorded, or a repository stack that is no platform.
    """
    recorded = recorded or {}
    resolved = {}
    problems = []
    for name in referenced_stacks(stack_file):
        if name in recorded:
            resolved[name] = recorded[name]
            continue
        stack = repository_stack(name)
        if stack is None:
            problems.append(
                Problem(
                    PLATFORM_KEY,
                    f"{name} is not a stack of this repository (no Pulumi.<stack>.yaml of "
                    f"project {PROJECT}), and no file of recorded outputs has it: record its "
                    "outputs (`pulumi stack output --json --stack <name>`) in a JSON file under "
                    "its name and pass it with --stack-outputs",
                )
            )
            continue
        role = _role(REPO_ROOT / f"Pulumi.{stack}.yaml")
        if role != "platform":
            problems.append(
                Problem(
                    PLATFORM_KEY,
                    f"{name} is Pulumi.{stack}.yaml, a {role} stack, not a platform stack "
                    "(observability:stack.role: platform)",
                )
            )
            continue
        planned = planned_outputs(stack, plans)
        resolved[name] = planned if planned is not None else plan_stack(stack)
    if problems:
        raise StackConfigError(problems, stack_file.source)
    return resolved


def planned_outputs(stack: str, plans: Path) -> StackOutputs | None:
    """A stack's outputs from its plan under `plans`, or None when there is none of its current
    stack file (none at all, unreadable, or of an earlier version of the file)."""
    path = REPO_ROOT / f"Pulumi.{stack}.yaml"
    try:
        document = json.loads((plans / stack / OUTPUTS_FILE).read_text(encoding="utf-8"))
        if document["stackFileSha256"] != file_digest(path):
            return None
        return StackOutputs(document["outputs"], frozenset(document["secretOutputNames"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _role(path: Path) -> str:
    """The role a stack file gives itself; `single` without one (or when unreadable: its own
    plan reports why)."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        role = document["config"][f"{NAMESPACE}:stack"]["role"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return "single"
    return role if isinstance(role, str) else "single"
