"""`python -m stacks plan`: run the real program offline and write what it would register."""

import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from components.problems import Problem
from components.versions import DEFAULT_KUBERNETES_VERSION
from stacks.program.errors import NAMESPACE, StackConfigError
from stacks.program.model.types import KUBERNETES_MINOR_VERSION
from stacks.tooling.artifacts import (
    RESOURCES_FILE,
    PlanOutputError,
    artifacts,
    write_plan_output,
)
from stacks.tooling.engine import (
    ProgramRun,
    RecordedResource,
    ResourceValidationError,
    StackOutputs,
    UnresolvedStackReferenceError,
    run_program,
)
from stacks.tooling.references import (
    DEFAULT_PLANS,
    OUTPUTS_FILE,
    file_digest,
    outputs_document,
    resolve_references,
)
from stacks.tooling.stack_file import REPO_ROOT, StackFile, default_stack_path, read_stack_file
from stacks.validation.kubernetes import schema_version

EXIT_INVALID_CONFIG = 2
EXIT_INVALID_RESOURCE = 1
KUBERNETES_VERSION_KEY = f"{NAMESPACE}:eks.kubernetesVersion"
MAIN_MODULE = REPO_ROOT / "__main__.py"


def run_stack(
    stack: str,
    config_file: Path | None = None,
    *,
    strict: bool = True,
    stack_outputs: Mapping[str, StackOutputs] | None = None,
    plans: Path = DEFAULT_PLANS,
) -> ProgramRun:
    """Run `__main__.py` for a stack under the offline engine (raises StackConfigError).

    A stack reference (a team stack's to its platform) is answered from `stack_outputs`, by
    fully qualified name (a file of recorded outputs, or the runs of stacks planned before in
    this process: `ProgramRun.exported()`), else from the referenced repository stack's own
    plan under `plans` (`<plans>/<stack>/outputs.json`) if it is of its current stack file,
    else by planning that stack here first.
    """
    path = config_file or default_stack_path(stack)
    stack_file = read_stack_file(path, stack_source(stack, config_file))
    return run_program(
        run_main_module,
        stack=stack,
        config=stack_file.config,
        secret_keys=stack_file.secret_keys,
        strict=strict,
        kubernetes_version=stack_kubernetes_version(stack_file),
        stack_outputs=resolve_references(
            stack_file,
            lambda referenced: run_stack(referenced).exported(),
            recorded=stack_outputs,
            plans=plans,
        ),
    )


def stack_kubernetes_version(stack_file: StackFile) -> str:
    """The Kubernetes version the stack's objects are validated against.

    The engine needs it before the program reads its config, so it comes from the raw stack file;
    a value the config model rejects falls back to the default and is reported by the program. A
    well-formed version that kubernetes-validate has no schemas for stops the plan here
    (StackConfigError): none of the stack's objects could be validated.
    """
    section = stack_file.config.get(f"{NAMESPACE}:eks")
    try:
        values = json.loads(section) if section else {}
    except json.JSONDecodeError:
        values = {}
    version = values.get("kubernetesVersion") if isinstance(values, dict) else None
    if not isinstance(version, str) or not KUBERNETES_MINOR_VERSION.fullmatch(version):
        return DEFAULT_KUBERNETES_VERSION
    try:
        schema_version(version)
    except ValueError as error:
        problem = Problem(KUBERNETES_VERSION_KEY, f"cannot be validated offline: {error}")
        raise StackConfigError([problem], stack_file.source) from None
    return version


def run_main_module() -> None:
    # Exactly what `pulumi up` runs, so the plan cannot drift from the real program. Executed
    # here rather than through runpy's three frames: every resource sends the engine the Python
    # stack that created it, and each frame of it costs time on every resource.
    code = compile(MAIN_MODULE.read_text(), str(MAIN_MODULE), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(MAIN_MODULE)})


def stack_source(stack: str, config_file: Path | None) -> str:
    """How messages name the stack file: as the user gave it, or Pulumi's own name for it."""
    return str(config_file) if config_file else default_stack_path(stack).name


def plan(
    stack: str,
    config_file: Path | None,
    out: Path | None,
    stack_outputs: Mapping[str, StackOutputs] | None = None,
    *,
    plans: Path = DEFAULT_PLANS,
) -> int:
    """Plan one stack into `out` (default out/<stack>); `stack_outputs` and `plans` as in
    `run_stack`."""
    out_dir = out or REPO_ROOT / "out" / stack
    source = stack_source(stack, config_file)
    # Nothing in the folder is touched unless the plan succeeds: a refused plan leaves the last
    # good output, and the exit status says it is not current.
    try:
        run = run_stack(stack, config_file, stack_outputs=stack_outputs, plans=plans)
    except StackConfigError as error:
        print(error.render(source), file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except UnresolvedStackReferenceError as error:
        print(f"{source}: {error}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except ResourceValidationError as error:
        print(f"{source}: a resource fails its schema: {error}", file=sys.stderr)
        return EXIT_INVALID_RESOURCE
    resources_json = json.dumps([r.to_json() for r in run.resources], indent=2, sort_keys=True)
    outputs = outputs_document(
        run.exported(), file_digest(config_file or default_stack_path(stack))
    )
    files = {
        **artifacts(run.resources),
        RESOURCES_FILE: (resources_json + "\n").encode(),
        OUTPUTS_FILE: (json.dumps(outputs, indent=2, sort_keys=True) + "\n").encode(),
    }
    try:
        written = write_plan_output(out_dir, files)
    except PlanOutputError as error:
        print(f"{source}: {error}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except OSError as error:
        print(f"{source}: cannot write the plan into {out_dir}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    print(render_tree(stack, source, run.resources))
    if run.messages:
        print("\n" + "\n".join(run.messages))
    warnings = resource_findings(run)
    if warnings:
        print("\n" + "\n".join(f"{source}: {line}" for line in warnings))
    print(f"\nwrote {out_dir / RESOURCES_FILE} and {len(written)} artifacts under {out_dir}")
    return 0


def plan_into(
    out_root: Path | None, stack_outputs: Mapping[str, StackOutputs] | None, stack: str
) -> int:
    """Plan `stack` into `<out_root>/<stack>` (default: out/<stack>), as one of several: a team
    reads its platform's outputs from the plan written beside it, the platform's worker having
    finished first."""
    root = out_root or DEFAULT_PLANS
    return plan(stack, None, root / stack, stack_outputs, plans=root)


def resource_findings(run: ProgramRun) -> list[str]:
    """What the checks found in each registered resource, a line each: `NAME (TYPE): schema:
    PATH: REASON`, with `warning: ` before the reason of a warning. A strict run (the plan's)
    holds warnings only."""
    by_urn = {r.urn: r for r in run.resources}
    lines = []
    for urn, problems in run.problems.items():
        resource = by_urn.get(urn)
        where = f"{resource.name} ({resource.type})" if resource else urn
        lines += [f"{where}: schema: {problem}" for problem in problems]
    return lines


def render_tree(stack: str, source: str, resources: list[RecordedResource]) -> str:
    """The resource tree, children under their component, then counts by type."""
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in resources:
        children.setdefault(resource.parent, []).append(resource)
    lines = [f"stack {stack} ({source}): {len(resources)} resources"]

    def walk(parent: str | None, indent: str) -> None:
        siblings = children.get(parent, [])
        for index, resource in enumerate(siblings):
            last = index == len(siblings) - 1
            flags = " [protected]" if resource.protect else ""
            lines.append(
                f"{indent}{'└─' if last else '├─'} {resource.name}  ({resource.type}){flags}"
            )
            walk(resource.urn, indent + ("   " if last else "│  "))

    walk(None, "")
    counts = Counter(r.type for r in resources)
    lines.append("\nresources by type:")
    width = max((len(t) for t in counts), default=0)
    lines += [f"  {t:<{width}}  {n:>4}" for t, n in sorted(counts.items())]
    return "\n".join(lines)


def print_urns(stack: str, stack_outputs: Mapping[str, StackOutputs] | None = None) -> int:
    """Print the stack's URNs, sorted: the record that URN-stability tests compare with."""
    try:
        run = run_stack(stack, stack_outputs=stack_outputs)
    except StackConfigError as error:
        print(error.render(stack_source(stack, None)), file=sys.stderr)
        return EXIT_INVALID_CONFIG
    print("\n".join(sorted(r.urn for r in run.resources)))
    return 0
