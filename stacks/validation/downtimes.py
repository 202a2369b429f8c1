"""Datadog downtime schedules as the provider would send them, checked against the v2 API's
`DowntimeCreateRequestAttributes` (datadog-api-client) and the project's RRULE checks.

The engine sees a `datadog.DowntimeSchedule` in the provider's wire form (camelCase,
`recurringSchedule`); the API form is snake_case with the schedule under `schedule`.
"""

from collections.abc import Mapping
from typing import Any, Final

from datadog_api_client.v2.model.downtime_create_request_attributes import (
    DowntimeCreateRequestAttributes,
)

from components.downtime_schedules import duration_problem, rrule_problem, start_problem
from components.problems import Problem
from stacks.validation.dashboards import api_json_problems

DOWNTIME_SCHEDULE_TYPE: Final = "datadog:index/downtimeSchedule:DowntimeSchedule"


def downtime_json(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A `datadog.DowntimeSchedule`'s inputs as the attributes of Datadog's create request."""
    downtime: dict[str, Any] = {}
    for key, api_key in (
        ("scope", "scope"),
        ("message", "message"),
        ("displayTimezone", "display_timezone"),
        ("muteFirstRecoveryNotification", "mute_first_recovery_notification"),
        ("notifyEndStates", "notify_end_states"),
        ("notifyEndTypes", "notify_end_types"),
    ):
        if key in inputs:
            downtime[api_key] = inputs[key]
    identifier = inputs.get("monitorIdentifier") or {}
    downtime["monitor_identifier"] = {
        ("monitor_tags" if key == "monitorTags" else "monitor_id"): value
        for key, value in identifier.items()
    }
    if "recurringSchedule" in inputs:
        downtime["schedule"] = inputs["recurringSchedule"]
    elif "oneTimeSchedule" in inputs:
        downtime["schedule"] = inputs["oneTimeSchedule"]
    return downtime


def downtime_schedule_problems(inputs: dict[str, Any]) -> list[Problem]:
    """What Datadog would refuse in a `datadog.DowntimeSchedule`; empty when it would accept it."""
    problems = api_json_problems(downtime_json(inputs), DowntimeCreateRequestAttributes)
    schedule = inputs.get("recurringSchedule") or {}
    for index, recurrence in enumerate(schedule.get("recurrences") or []):
        path = f"recurringSchedule.recurrences[{index}]"
        start = str(recurrence.get("start") or "")
        checks = {
            "start": start_problem(start),
            "rrule": rrule_problem(str(recurrence.get("rrule") or ""), start),
            "duration": duration_problem(str(recurrence.get("duration") or "")),
        }
        if checks["start"] is not None:
            checks["rrule"] = None
        problems += [
            Problem(f"{path}.{field}", reason)
            for field, reason in checks.items()
            if reason is not None
        ]
    return problems
