"""Datadog monitors as the provider would send them, checked by the same validator as
`python -m stacks lint-monitors`.

The engine sees a `datadog.Monitor` in the provider's wire form: camelCase, options at the top
level, thresholds and the priority as strings, formula queries under `variables.eventQueries`.
The validator reads Datadog's API form, so the inputs are mapped back to it first.
"""

import re
from collections.abc import Mapping
from typing import Any, Final

from components.monitors.validation import validate_monitor
from components.problems import Problem

MONITOR_TYPE: Final = "datadog:index/monitor:Monitor"

# Inputs that are fields of the monitor itself in the API form; the rest are its options.
_TOP_LEVEL: Final = {
    "name": "name",
    "type": "type",
    "query": "query",
    "message": "message",
    "tags": "tags",
    "priority": "priority",
    "restrictedRoles": "restricted_roles",
    "draftStatus": "draft_status",
}
# Inputs of the provider alone, with no API counterpart.
_PROVIDER_ONLY: Final = frozenset({"validate", "forceDelete"})
_WORDS: Final = re.compile(r"(?<!^)(?=[A-Z])")


def monitor_json(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A `datadog.Monitor`'s inputs as the monitor JSON of Datadog's API.

    Strings that are not numbers are kept as they are, so that the validator names them.
    """
    monitor: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in _TOP_LEVEL:
            monitor[_TOP_LEVEL[key]] = _number(value) if key == "priority" else value
        elif key == "monitorThresholds":
            options["thresholds"] = {snake_case(k): _number(v) for k, v in value.items()}
        elif key == "monitorThresholdWindows":
            options["threshold_windows"] = {snake_case(k): v for k, v in value.items()}
        elif key == "notifyBies":
            options["notify_by"] = value
        elif key == "variables":
            options["variables"] = [_event_query(q) for q in value.get("eventQueries", [])]
        elif key not in _PROVIDER_ONLY:
            options[snake_case(key)] = value
    monitor["options"] = options
    return monitor


def monitor_problems(inputs: dict[str, Any]) -> list[Problem]:
    """What Datadog would refuse in a `datadog.Monitor`; empty when it would accept it."""
    return validate_monitor(monitor_json(inputs))


def _event_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """One formula query: the provider lists `computes` and `groupBies`, the API has one
    `compute` and a `group_by` list."""
    mapped: dict[str, Any] = {
        snake_case(key): value
        for key, value in query.items()
        if key not in ("dataSource", "computes", "groupBies")
    }
    mapped["data_source"] = query.get("dataSource")
    computes = query.get("computes") or []
    if computes:
        mapped["compute"] = computes[0]
    if query.get("groupBies"):
        mapped["group_by"] = query["groupBies"]
    return mapped


def snake_case(key: str) -> str:
    """A provider input's camelCase name as the API's snake_case one."""
    return _WORDS.sub("_", key).lower()


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for parse in (int, float):
        try:
            return parse(value)
        except ValueError:
            continue
    return value
