"""Monitor messages: what each state means, who hears about it, and how loudly.

A Datadog message is one template rendered per transition; `{{#is_alert}}`-style blocks choose the
text and the @-handles for each state, and Datadog notifies exactly the handles in the rendered
text. Handles come from the stack's `Notifications`, so production can page while dev, with no
handles at all, only records state changes in Datadog.
"""

import re
from dataclasses import dataclass
from typing import Final, Literal

Severity = Literal["high", "low"]
"""How loud a monitor is: `high` alerts reach the alert handles (the pager); `low` alerts never
page and go to the warning handles instead."""

HANDLE: Final = re.compile(
    r"@(?:(?:slack|pagerduty|opsgenie|team|webhook)-[A-Za-z0-9_.\-]+"
    r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
)
"""A handle Datadog notifies: `@slack-<channel>`, `@pagerduty-<service>`, `@opsgenie-<service>`,
`@team-<handle>`, `@webhook-<name>` or `@<email address>`."""
_PRIORITIES: Final = range(1, 6)


def above_thresholds(value: str, *, unit: str = "", warns: bool) -> tuple[str, str | None]:
    """The alert and warning lines of a monitor that alerts above its thresholds, `value` saying
    what the monitor measured (`p95 latency of api is {{value}}s`); no warning line unless it
    `warns`."""
    alert = f"{value}, above the {{{{threshold}}}}{unit} alert threshold."
    warning = f"{value}, above the {{{{warn_threshold}}}}{unit} warning threshold."
    return alert, warning if warns else None


@dataclass(frozen=True)
class SeverityPolicy:
    """Priority and reminders of the monitors of one severity."""

    priority: int | None = None
    """Datadog priority, 1 (highest) to 5; None leaves the monitor without one."""
    renotify_minutes: int | None = None
    """Minutes between reminders while the monitor stays in alert; None notifies once."""

    def __post_init__(self) -> None:
        if self.priority is not None and self.priority not in _PRIORITIES:
            raise ValueError(f"priority must be 1 (highest) to 5, got {self.priority}")
        if self.renotify_minutes is not None and self.renotify_minutes <= 0:
            raise ValueError(f"renotify_minutes must be positive, got {self.renotify_minutes}")


@dataclass(frozen=True)
class Notifications:
    """Who hears about each monitor state in one environment.

    Handles: `@slack-<channel>`, `@pagerduty-<service>`, `@opsgenie-<service>`, `@team-<handle>`,
    `@webhook-<name>` or `@<email address>`. With none at all, monitors change state in Datadog
    without notifying anyone (the usual choice for dev).
    """

    alert: tuple[str, ...] = ()
    """Notified when a high-severity monitor alerts and when it recovers from the alert."""
    warning: tuple[str, ...] = ()
    """Notified on warnings, on low-severity alerts, and when either recovers."""
    no_data: tuple[str, ...] = ()
    """Notified when a monitor that watches for missing data stops receiving any."""
    high: SeverityPolicy = SeverityPolicy(priority=2)
    low: SeverityPolicy = SeverityPolicy(priority=4)

    def __post_init__(self) -> None:
        invalid = [
            handle
            for handle in (*self.alert, *self.warning, *self.no_data)
            if not HANDLE.fullmatch(handle)
        ]
        if invalid:
            raise ValueError(
                "unknown notification handle(s) "
                + ", ".join(repr(handle) for handle in invalid)
                + ": expected @slack-<channel>, @pagerduty-<service>, @opsgenie-<service>, "
                "@team-<handle>, @webhook-<name> or @<email address>"
            )

    def policy(self, severity: Severity) -> SeverityPolicy:
        return self.high if severity == "high" else self.low

    def alert_handles(self, severity: Severity) -> tuple[str, ...]:
        return self.alert if severity == "high" else self.warning


@dataclass(frozen=True)
class MessageText:
    """The words of a monitor's message per state; Datadog fills in `{{value}}` and thresholds."""

    alert: str
    """What the alert means, e.g. `p95 latency is {{value}}s, above {{threshold}}s.`"""
    recovery: str
    """What recovering means, e.g. `p95 latency is back to {{value}}s.`"""
    warning: str | None = None
    """Shown on warnings; None for monitors without a warning threshold."""
    no_data: str | None = None
    """Shown when data stops; None for monitors that do not watch for missing data."""


def monitor_message(
    text: MessageText,
    notifications: Notifications,
    severity: Severity,
    runbook_url: str | None = None,
) -> str:
    """The message template: one block per state, each naming the handles it notifies, and the
    runbook under every state.

    Recoveries go to whoever heard about the state being left (an alert recovery resolves the
    page), so the warning handles never receive a PagerDuty resolve for an incident never opened.
    """
    alert_handles = notifications.alert_handles(severity)
    blocks = [_block("is_alert", text.alert, alert_handles)]
    if text.warning is not None:
        blocks.append(_block("is_warning", text.warning, notifications.warning))
    blocks.append(_block("is_recovery", text.recovery, ()))
    if alert_handles:
        blocks.append(_block("is_alert_recovery", None, alert_handles))
    if text.warning is not None and notifications.warning:
        blocks.append(_block("is_warning_recovery", None, notifications.warning))
    if text.no_data is not None:
        blocks.append(_block("is_no_data", text.no_data, notifications.no_data))
    if runbook_url is not None:
        blocks.append(f"Runbook: {runbook_url}")
    return "\n".join(blocks)


def _block(condition: str, text: str | None, handles: tuple[str, ...]) -> str:
    lines = [line for line in (text, " ".join(handles)) if line]
    return "\n".join([f"{{{{#{condition}}}}}", *lines, f"{{{{/{condition}}}}}"])
