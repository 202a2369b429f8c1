"""What the offline checks report: one thing wrong, at a path, and what is allowed.

The path is inside a payload (a monitor, a manifest, a collector config) or, for a stack file, the
full config key (`observability:services[1].memory`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str
    """Where: in a payload, e.g. `options.thresholds.warning` or `$.spec.replicas` (empty for the
    payload as a whole), or a stack file's key, e.g. `observability:services[1].memory`."""
    reason: str
    """What is wrong there, and what is allowed."""

    def __str__(self) -> str:
        return f"{self.path or '(whole document)'}: {self.reason}"
