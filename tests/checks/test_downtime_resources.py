"""Datadog downtime schedules are checked as the engine receives them."""

import copy
from typing import Any

import pytest

from stacks.validation.downtimes import (
    DOWNTIME_SCHEDULE_TYPE,
    downtime_json,
    downtime_schedule_problems,
)
from stacks.validation.resources import resource_problems

WIRE: dict[str, Any] = {
    "scope": "env:dev",
    "message": "Dev monitors are muted outside working hours.",
    "displayTimezone": "Europe/Paris",
    "monitorIdentifier": {"monitorTags": ["env:dev", "managed-by:pulumi"]},
    "recurringSchedule": {
        "timezone": "Europe/Paris",
        "recurrences": [
            {"rrule": "FREQ=WEEKLY;BYDAY=FR", "start": "2026-01-09T19:00:00", "duration": "60h"}
        ],
    },
}


def test_the_wire_form_maps_to_the_api_form() -> None:
    assert downtime_json(WIRE) == {
        "scope": "env:dev",
        "message": "Dev monitors are muted outside working hours.",
        "display_timezone": "Europe/Paris",
        "monitor_identifier": {"monitor_tags": ["env:dev", "managed-by:pulumi"]},
        "schedule": WIRE["recurringSchedule"],
    }
    assert resource_problems(DOWNTIME_SCHEDULE_TYPE, WIRE) == []


def changed(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    wire = copy.deepcopy(WIRE)
    target: Any = wire
    for part in path[:-1]:
        target = target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return wire


RECURRENCE = ("recurringSchedule", "recurrences", 0)


@pytest.mark.parametrize(
    ("wire", "path", "reason"),
    [
        (changed(("scope",), 3), "scope", "expected string"),
        (changed(("scope",), None), "scope", "required"),
        (changed((*RECURRENCE, "duration"), None), "schedule.recurrences[0].duration", "required"),
        (
            changed((*RECURRENCE, "rrule"), "FREQ=HOURLY;BYHOUR=25"),
            "recurringSchedule.recurrences[0].rrule",
            "not an RFC 5545 RRULE",
        ),
        (
            changed((*RECURRENCE, "start"), "2026-01-09T19:00:00+01:00"),
            "recurringSchedule.recurrences[0].start",
            "UTC offset",
        ),
        (
            changed((*RECURRENCE, "duration"), "60s"),
            "recurringSchedule.recurrences[0].duration",
            "m, h, d or w",
        ),
    ],
)
def test_what_datadog_would_refuse_is_reported_at_its_path(
    wire: dict[str, Any], path: str, reason: str
) -> None:
    found = {problem.path: problem.reason for problem in downtime_schedule_problems(wire)}
    assert path in found, found
    assert reason in found[path]
