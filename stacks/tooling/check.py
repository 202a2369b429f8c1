"""`python -m stacks check`: plan a stack and report everything wrong with it, all at once.

Schema problems come from the offline engine (botocore's ECS model, the Kubernetes OpenAPI
schema, the DatadogAgent schema, Datadog's dashboard models, the monitor validator), collected
instead of stopping at the first, and listed with the validators' warnings, which fail nothing;
policy violations from the same rules the CrossGuard pack enforces in
`pulumi preview --policy-pack policy`. Monitors and widgets nothing would feed are config
problems when the stack file asks for them (exit 2, all listed), and notes otherwise.
"""

import sys
from collections.abc import Mapping
from pathlib import Path

from policy.rules import StackResource, stack_violations
from stacks.program.errors import StackConfigError
from stacks.tooling.engine import StackOutputs
from stacks.tooling.plan import EXIT_INVALID_CONFIG, resource_findings, run_stack, stack_source


def check(
    stack: str, config_file: Path | None, stack_outputs: Mapping[str, StackOutputs] | None = None
) -> int:
    """Check one stack; `stack_outputs` answers its stack references (`run_stack`)."""
    source = stack_source(stack, config_file)
    try:
        run = run_stack(stack, config_file, strict=False, stack_outputs=stack_outputs)
    except StackConfigError as error:
        print(error.render(source), file=sys.stderr)
        return EXIT_INVALID_CONFIG
    by_name = {r.name: r for r in run.resources}
    lines = resource_findings(run)
    warnings = sum(not p.is_error for problems in run.problems.values() for p in problems)
    resources = [StackResource(r.type, r.name, r.inputs) for r in run.resources]
    for rule, name, violation in stack_violations(resources):
        resource = by_name.get(name)
        where = f"{name} ({resource.type})" if resource else f"stack {stack}"
        lines.append(f"{where}: policy {rule}: {violation}")
    for line in [*run.messages, *lines]:
        print(f"{source}: {line}")
    found = len(lines) - warnings
    verdict = f"{found} problem(s)" if found else "no problems"
    if warnings:
        verdict += f", {warnings} warning(s)"
    print(f"{source}: checked {len(run.resources)} resources: {verdict}")
    return 1 if found else 0
