"""How a problem with a stack's config is reported: the stack file, the key, what is wrong."""

from collections.abc import Sequence
from typing import NamedTuple

import pulumi

NAMESPACE = "observability"
"""The project's config namespace: keys are `observability:<section>`."""


class ConfigProblem(NamedTuple):
    path: str
    """Full key path, e.g. `observability:services[1].memory`."""
    message: str


class StackConfigError(pulumi.RunError):
    """Invalid stack configuration; Pulumi prints a RunError without a stack trace."""

    def __init__(self, problems: Sequence[ConfigProblem], source: str) -> None:
        self.problems = list(problems)
        super().__init__(self.render(source))

    def render(self, source: str) -> str:
        """The problems, one line each, attributed to `source` (the stack file)."""
        return "\n".join(f"{source}: {p.path}: {p.message}" for p in self.problems)
