"""Scheduled downtimes: validated where they arise, registered as Datadog would take them."""

import copy
from typing import Any

import pytest

from stacks.program.compile import compile_stack
from stacks.program.errors import StackConfigError
from stacks.program.load import StackSecrets, parse_stack_config
from stacks.tooling.plan import run_stack
from stacks.validation.downtimes import DOWNTIME_SCHEDULE_TYPE, downtime_schedule_problems

NIGHTS: dict[str, Any] = {
    "name": "nights",
    "timezone": "Europe/Paris",
    "recurrences": [
        {"rrule": "FREQ=WEEKLY;BYDAY=MO,TU", "start": "2026-01-05T19:00:00", "duration": "12h"}
    ],
}


def problems(downtime: dict[str, Any], env: str = "dev") -> dict[str, str]:
    """The stack file's errors by key path, for a stack with this one downtime."""
    with pytest.raises(StackConfigError) as raised:
        parse_stack_config(
            {"environment": {"name": env, "team": "platform"}, "downtimes": [downtime]}
        )
    return {problem.path: problem.reason for problem in raised.value.problems}


def with_recurrence(**fields: str) -> dict[str, Any]:
    downtime = copy.deepcopy(NIGHTS)
    downtime["recurrences"][0].update(fields)
    return downtime


def test_a_valid_downtime_loads_with_the_stack_env_as_its_default_scope() -> None:
    loaded = parse_stack_config(
        {"environment": {"name": "dev", "team": "platform"}, "downtimes": [NIGHTS]}
    )
    assert loaded.downtimes[0].scope is None
    assert loaded.downtimes[0].recurrences[0].duration == "12h"


@pytest.mark.parametrize(
    ("scope", "reason"),
    [
        ("env:production", "env:dev and no other env"),
        ("env:dev OR env:production", "OR, NOT"),
        ("service:checkout-api", "env:dev and no other env"),
        ("env:dev AND -env:production", "OR, NOT, -"),
        ("env:*", "wildcards"),
        ("(env:dev)", "parentheses"),
        ("env:dev AND", "AND joins two terms"),
    ],
)
def test_a_scope_that_could_mute_another_environment_is_refused(scope: str, reason: str) -> None:
    found = problems({**NIGHTS, "scope": scope})
    assert list(found) == ["observability:downtimes[0].scope"]
    assert reason in found["observability:downtimes[0].scope"]


def test_a_scope_narrower_than_the_environment_is_taken() -> None:
    loaded = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform"},
            "downtimes": [{**NIGHTS, "scope": "env:dev AND service:checkout-api"}],
        }
    )
    assert loaded.downtimes[0].scope == "env:dev AND service:checkout-api"


@pytest.mark.parametrize(
    ("downtime", "key", "reason"),
    [
        (with_recurrence(rrule="FREQ=SOMETIMES"), "recurrences[0].rrule", "not an RFC 5545 RRULE"),
        (with_recurrence(rrule="BYDAY=MO"), "recurrences[0].rrule", "needs FREQ"),
        (with_recurrence(rrule="FREQ=WEEKLY;BYDAY=XX"), "recurrences[0].rrule", "BYDAY"),
        (
            with_recurrence(rrule="FREQ=DAILY;DTSTART=20260105T190000"),
            "recurrences[0].rrule",
            "DTSTART in the RRULE",
        ),
        (with_recurrence(start="2026-01-05T19:00:00Z"), "recurrences[0].start", "UTC offset"),
        (with_recurrence(start="monday evening"), "recurrences[0].start", "not an ISO-8601"),
        (with_recurrence(duration="12 hours"), "recurrences[0].duration", "m, h, d or w"),
        (with_recurrence(duration="0h"), "recurrences[0].duration", "not a duration"),
        ({**NIGHTS, "timezone": "Europe/Parris"}, "timezone", "not a time zone"),
        ({**NIGHTS, "recurrences": []}, "recurrences", "at least 1"),
        ({**NIGHTS, "name": "Nights"}, "name", "lowercase words"),
        ({**NIGHTS, "monitorTags": ["team"]}, "monitorTags", "key:value"),
    ],
)
def test_a_bad_downtime_is_refused_at_its_key(
    downtime: dict[str, Any], key: str, reason: str
) -> None:
    found = problems(downtime)
    path = f"observability:downtimes[0].{key}"
    assert path in found, found
    assert reason in found[path]


def test_downtime_names_are_unique() -> None:
    with pytest.raises(StackConfigError) as raised:
        parse_stack_config(
            {"environment": {"name": "dev", "team": "platform"}, "downtimes": [NIGHTS, NIGHTS]}
        )
    assert [p.path for p in raised.value.problems] == ["observability:downtimes[1].name"]


def test_dev_mutes_its_own_monitors_on_weeknights_and_weekends() -> None:
    run = run_stack("dev")
    [schedule] = [r for r in run.resources if r.type == DOWNTIME_SCHEDULE_TYPE]
    assert schedule.name == "downtimes-nights-and-weekends"
    inputs = schedule.inputs
    assert inputs["scope"] == "env:dev"
    # Only monitors this stack manages in its environment.
    assert inputs["monitorIdentifier"] == {"monitorTags": ["env:dev", "managed-by:pulumi"]}
    assert inputs["displayTimezone"] == inputs["recurringSchedule"]["timezone"] == "Europe/Paris"
    recurrences = inputs["recurringSchedule"]["recurrences"]
    assert [(r["rrule"], r["start"], r["duration"]) for r in recurrences] == [
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH", "2026-01-05T19:00:00", "12h"),
        # Friday 19:00 to Monday 07:00.
        ("FREQ=WEEKLY;BYDAY=FR", "2026-01-09T19:00:00", "60h"),
    ]
    assert downtime_schedule_problems(inputs) == []


def test_production_schedules_no_downtime() -> None:
    run = run_stack("production")
    assert [r for r in run.resources if r.type == DOWNTIME_SCHEDULE_TYPE] == []


def test_downtimes_in_a_stack_without_datadog_resources_are_refused() -> None:
    config = parse_stack_config(
        {"environment": {"name": "dev", "team": "platform"}, "downtimes": [NIGHTS]}
    )
    with pytest.raises(StackConfigError) as raised:
        compile_stack(config, StackSecrets(api_key=None, app_key=None))
    found = {p.path: p.reason for p in raised.value.problems}
    assert "no Datadog provider" in found["observability:downtimes"]


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=HOURLY;BYHOUR=25", "BYHOUR 25 outside 0..23"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY 0 outside -31..31 (0 excluded)"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH 13 outside 1..12"),
    ],
)
def test_a_by_part_out_of_range_is_refused(rule: str, reason: str) -> None:
    found = problems(with_recurrence(rrule=rule))
    assert reason in found["observability:downtimes[0].recurrences[0].rrule"]


def test_by_parts_in_range_are_taken() -> None:
    for rule in ("FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=0;BYMINUTE=59"):
        downtime = with_recurrence(rrule=rule)
        loaded = parse_stack_config(
            {"environment": {"name": "dev", "team": "platform"}, "downtimes": [downtime]}
        )
        assert loaded.downtimes[0].recurrences[0].rrule == rule
