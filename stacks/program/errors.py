"""How problems with a stack's config are reported: the stack file, the key, what is wrong.

They are `components.problems.Problem`s, as payload findings are, with the full key path
(`observability:services[1].memory`) as their path.
"""

from collections.abc import Sequence

import pulumi

from components.problems import Problem

NAMESPACE = "observability"
"""The project's config namespace: keys are `observability:<section>`."""


def stack_file_name() -> str:
    """Pulumi's name for the running stack's file, which messages name."""
    return f"Pulumi.{pulumi.get_stack()}.yaml"


class StackConfigError(pulumi.RunError):
    """Invalid stack configuration; Pulumi prints a RunError without a stack trace."""

    def __init__(self, problems: Sequence[Problem], source: str) -> None:
        self.problems = list(problems)
        super().__init__(self.render(source))

    def render(self, source: str) -> str:
        """The problems, one line each, attributed to `source` (the stack file)."""
        return "\n".join(f"{source}: {p.path}: {p.reason}" for p in self.problems)
