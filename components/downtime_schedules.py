"""Scheduled downtimes as data, and the rules their recurrences follow (no Pulumi imports: the
stack model and the offline checks use them).

Datadog's v2 downtime API (datadog-api-client 2.62, `DowntimeScheduleRecurrenceCreateUpdateRequest`)
takes per recurrence an RRULE without DTSTART, DTEND or DURATION (the start and the duration are
fields of their own), a start in local time without a UTC offset and a duration of `<N>` followed
by m, h, d or w; the schedule's timezone places the starts.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from dateutil.rrule import rrulestr

DURATION_PATTERN: Final = re.compile(r"[1-9][0-9]*[mhdw]")
# Datadog: "Attributes specifying the duration in RRULE are not supported (for example, DTSTART,
# DTEND, DURATION)"; UNTIL and COUNT end a rule and are RRULE parts proper, so they stay allowed.
_REFUSED_RRULE_PARTS: Final = ("DTSTART", "DTEND", "DURATION")
# RFC 5545 3.3.10: the ranges of the BYxxx parts, which dateutil parses without checking (a rule
# with BYHOUR=25 never occurs).
_BY_PART_RANGES: Final = {
    "BYSECOND": (0, 60),
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366),
    "BYWEEKNO": (-53, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (-366, 366),
}


def start_problem(start: str) -> str | None:
    """Why `start` is not a recurrence's start (ISO-8601 local time, no offset); None if it is."""
    try:
        parsed = datetime.fromisoformat(start)
    except ValueError:
        return f"{start!r} is not an ISO-8601 date and time, e.g. 2026-01-05T19:00:00"
    if parsed.tzinfo is not None:
        return f"{start!r} has a UTC offset; Datadog wants local time, placed by the timezone"
    return None


def rrule_problem(rule: str, start: str) -> str | None:
    """Why `rule` is not an RRULE Datadog schedules from `start`; None if it is."""
    upper = rule.upper()
    refused = [part for part in _REFUSED_RRULE_PARTS if part in upper]
    if refused:
        return (
            f"{', '.join(refused)} in the RRULE: Datadog takes the start and the duration as "
            "their own keys (start, duration)"
        )
    if upper.startswith("RRULE:") or "\n" in rule:
        return "one RRULE's parts only, e.g. FREQ=WEEKLY;BYDAY=SA,SU (no RRULE: prefix)"
    if "FREQ=" not in upper:
        return "an RRULE needs FREQ (RFC 5545), e.g. FREQ=DAILY"
    try:
        rrulestr(rule, dtstart=datetime.fromisoformat(start))
    except (ValueError, TypeError) as error:
        return f"{rule!r} is not an RFC 5545 RRULE: {error}"
    return _by_part_problem(rule)


def _by_part_problem(rule: str) -> str | None:
    for part in rule.upper().split(";"):
        name, _, values = part.partition("=")
        if name not in _BY_PART_RANGES:
            continue
        low, high = _BY_PART_RANGES[name]
        # dateutil has parsed the rule, so every value is an integer; where negative values
        # count from the end, 0 is no position.
        wrong = [
            value
            for value in values.split(",")
            if not low <= int(value) <= high or (int(value) == 0 and low < 0)
        ]
        if wrong:
            return (
                f"{rule!r} is not an RFC 5545 RRULE: {name} {','.join(wrong)} outside "
                f"{low}..{high}" + (" (0 excluded)" if low < 0 else "")
            )
    return None


def duration_problem(duration: str) -> str | None:
    """Why `duration` is not a downtime's length; None if it is."""
    if DURATION_PATTERN.fullmatch(duration):
        return None
    return f"{duration!r} is not a duration: a whole number and m, h, d or w, e.g. 12h"


@dataclass(frozen=True)
class Recurrence:
    rrule: str
    """RFC 5545 RRULE parts, e.g. `FREQ=WEEKLY;BYDAY=SA`."""
    start: str
    """First start, local time in the schedule's timezone (ISO-8601, no offset)."""
    duration: str
    """Length of each window, `<N>m|h|d|w`."""


@dataclass(frozen=True)
class Downtime:
    scope: str
    """Datadog scope query of the monitor groups muted, e.g. `env:dev`."""
    monitor_tags: tuple[str, ...]
    """Monitors muted: those with all of these monitor tags."""
    timezone: str
    """tz database name that places the recurrences' starts."""
    recurrences: tuple[Recurrence, ...]
    """The windows; at least one."""
    message: str | None = None
    """Sent with the notifications about the downtime; None for none."""

    def __post_init__(self) -> None:
        if not self.recurrences or not self.monitor_tags:
            raise ValueError("a downtime needs recurrences and monitor tags")
