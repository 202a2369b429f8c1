"""What the offline checks report: one thing wrong, at a path, and what is allowed.

The path is inside a payload (a monitor, a manifest, a collector config) or, for a stack file, the
full config key (`observability:services[1].memory`).

Most findings are errors: what the real API or cluster would refuse. A warning is what it would
accept but that probably does not do what its author meant (an anomaly monitor's seasonality on
an algorithm that models none): reported, and it fails nothing unless asked to
(`lint-monitors --strict`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    """Where: in a payload, e.g. `options.thresholds.warning` or `$.spec.replicas` (empty for the
    payload as a whole), or a stack file's key, e.g. `observability:services[1].memory`."""
    reason: str
    """What is wrong there, and what is allowed."""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        label = "" if self.is_error else f"{self.severity}: "
        return f"{self.path or '(whole document)'}: {label}{self.reason}"


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that are errors, warnings left out."""
    return [problem for problem in problems if problem.is_error]
