"""What every offline check reports: one thing wrong, at a path inside the payload."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str
    """Where in the payload, e.g. `options.thresholds.warning` or `$.spec.replicas`; empty for
    the payload as a whole."""
    reason: str
    """What is wrong there, and what is allowed."""

    def __str__(self) -> str:
        return f"{self.path or '(whole document)'}: {self.reason}"
