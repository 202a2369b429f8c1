"""`observability:downtimes`: recurring windows in which the stack's monitors notify no one."""

from pydantic import Field

from components.downtime_schedules import duration_problem, rrule_problem, start_problem
from components.monitors.service_monitors import ROLE_PATTERN
from stacks.program.model.types import Model, Timezone


class RecurrenceSettings(Model):
    """One recurring window."""

    rrule: str = Field(min_length=1)
    """RFC 5545 RRULE parts without DTSTART, DTEND or DURATION, e.g. `FREQ=WEEKLY;BYDAY=SA`."""
    start: str
    """First start, local time in the downtime's timezone, ISO-8601 without offset (quote it in
    YAML), e.g. "2026-01-05T19:00:00"; the rule repeats it at this time of day."""
    duration: str
    """Length of each window: a whole number and m, h, d or w, e.g. 12h."""

    def field_problems(self) -> dict[str, str]:
        problems = {}
        if (problem := start_problem(self.start)) is not None:
            problems["start"] = problem
        elif (problem := rrule_problem(self.rrule, self.start)) is not None:
            problems["rrule"] = problem
        if (problem := duration_problem(self.duration)) is not None:
            problems["duration"] = problem
        return problems


class DowntimeSettings(Model):
    """A scheduled downtime of the stack's monitors."""

    name: str
    """Lowercase words joined by '-'; names the resource (`downtimes-<name>`), so keep it."""
    scope: str | None = None
    """Datadog scope query of the monitor groups muted: `env:<the stack's env>`, optionally with
    more `key:value` terms joined by AND; omitted, the stack's whole environment."""
    monitor_tags: list[str] = []
    """Monitor tags (`key:value`) that select the muted monitors besides the stack's own
    (`env:<env>`, `managed-by:pulumi`), e.g. ["service:checkout-api"]."""
    timezone: Timezone = "UTC"
    """tz database name that places the starts, e.g. europe/paris."""
    recurrences: list[RecurrenceSettings] = Field(min_length=1)
    """One or more windows."""
    message: str | None = Field(None, min_length=1)
    """Sent with the notifications about the downtime."""

    def field_problems(self) -> dict[str, str]:
        problems = {}
        if not ROLE_PATTERN.fullmatch(self.name):
            problems["name"] = f"{self.name!r}: lowercase words joined by '-', e.g. nights"
        bad_tags = [tag for tag in self.monitor_tags if not _is_tag(tag)]
        if bad_tags:
            problems["monitor_tags"] = (
                f"{', '.join(map(repr, bad_tags))}: monitor tags are key:value, e.g. service:api"
            )
        return problems


def _is_tag(tag: str) -> bool:
    key, _, value = tag.partition(":")
    return bool(key[:1].isalpha() and value and " " not in tag and "*" not in tag)


def scope_problem(scope: str, env: str) -> str | None:
    """Why `scope` could mute monitor groups outside environment `env`; None if it cannot.

    Only a conjunction of `key:value` terms is taken, one of them `env:<env>`: an OR, a negation,
    a wildcard or parentheses could reach beyond the stack's environment.
    """
    terms = [term for term in scope.split(" ") if term]
    words = [term for term in terms if term != "AND"]
    if not words or any(term in ("OR", "NOT") or not _is_tag(term) for term in words):
        return (
            f"{scope!r}: key:value terms joined by AND, one of them env:{env}; OR, NOT, -, "
            "wildcards and parentheses could mute other environments"
        )
    if terms[0] == "AND" or terms[-1] == "AND" or "AND AND" in " ".join(terms):
        return f"{scope!r}: AND joins two terms"
    envs = {term.partition(":")[2] for term in words if term.partition(":")[0] == "env"}
    if envs != {env}:
        return f"{scope!r} must restrict to this stack's environment: env:{env} and no other env"
    return None
