"""`python -m stacks check`: plan a stack and report everything wrong with it, all at once.

Schema problems come from the offline engine (botocore's ECS model, the Kubernetes OpenAPI
schema, the DatadogAgent schema, Datadog's dashboard models, the monitor validator), collected
instead of stopping at the first; policy violations from the same rules the CrossGuard pack
enforces in `pulumi preview --policy-pack policy`. Monitors and widgets nothing would feed are
config problems when the stack file asks for them (exit 2, all listed), and notes otherwise.
"""

import sys
from pathlib import Path

from policy.rules import StackResource, stack_violations
from stacks.program.errors import StackConfigError
from stacks.tooling.plan import EXIT_INVALID_CONFIG, run_stack, stack_source


def check(stack: str, config_file: Path | None) -> int:
    source = stack_source(stack, config_file)
    try:
        run = run_stack(stack, config_file, strict=False)
    except StackConfigError as error:
        print(error.render(source), file=sys.stderr)
        return EXIT_INVALID_CONFIG
    by_urn = {r.urn: r for r in run.resources}
    by_name = {r.name: r for r in run.resources}
    lines = []
    for urn, problems in run.problems.items():
        resource = by_urn.get(urn)
        where = f"{resource.name} ({resource.type})" if resource else urn
        lines += [f"{where}: schema: {problem}" for problem in problems]
    resources = [StackResource(r.type, r.name, r.inputs) for r in run.resources]
    for rule, name, violation in stack_violations(resources):
        resource = by_name.get(name)
        where = f"{name} ({resource.type})" if resource else f"stack {stack}"
        lines.append(f"{where}: policy {rule}: {violation}")
    for line in [*run.messages, *lines]:
        print(f"{source}: {line}")
    verdict = f"{len(lines)} problem(s)" if lines else "no problems"
    print(f"{source}: checked {len(run.resources)} resources: {verdict}")
    return 1 if lines else 0
