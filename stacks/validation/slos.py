"""Datadog SLOs as the provider would send them, and the SLO alerts that watch them.

A `datadog.ServiceLevelObjective` arrives in the provider's wire form (camelCase, a time-slice
query with one `formula`); it is mapped back to the API form and checked twice: its shape against
datadog-api-client's `ServiceLevelObjectiveRequest` model, its rules by `validate_slo` (the check
every `SloDefinition` passes when made).

An `slo alert` monitor names its SLO by id, so its consistency with that SLO can only be checked
across resources: the engine passes the SLOs registered so far. The alert's `.over()` must be one
of the SLO's timeframes, and a burn rate above 1 / (1 - target) could never be reached, which
Datadog refuses ("Burn Rate Alerts": maximum burn rate values).
"""

from collections.abc import Mapping
from typing import Any, Final

from datadog_api_client.v1.model.service_level_objective_request import (
    ServiceLevelObjectiveRequest,
)

from components.monitors.query import QueryError, format_number, parse_monitor_query
from components.problems import Problem, Severity
from components.slos.validation import validate_slo
from stacks.validation.dashboards import api_json_problems
from stacks.validation.monitors import snake_case

SLO_TYPE: Final = "datadog:index/serviceLevelObjective:ServiceLevelObjective"
_PROVIDER_ONLY: Final = frozenset({"validate", "forceDelete", "ignoreTagKeys"})


def slo_json(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A `datadog.ServiceLevelObjective`'s inputs in the API form."""
    slo: dict[str, Any] = {}
    for key, value in inputs.items():
        if key == "sliSpecification":
            slo["sli_specification"] = {"time_slice": _time_slice(value.get("timeSlice", {}))}
        elif key not in _PROVIDER_ONLY:
            slo[snake_case(key)] = value
    return slo


def slo_problems(inputs: dict[str, Any]) -> list[Problem]:
    slo = slo_json(inputs)
    return [*api_json_problems(slo, ServiceLevelObjectiveRequest), *validate_slo(slo)]


def slo_alert_problems(query: str, slos: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """What is wrong with an `slo alert` query given the SLOs of the stack by id."""
    try:
        alert = parse_monitor_query(query)
    except QueryError:
        return []  # the monitor validator reports its syntax
    if alert.slo is None or alert.threshold is None:
        return []
    slo = slos.get(alert.slo.slo_id)
    if slo is None:
        return [
            Problem(
                "query",
                f"names SLO {alert.slo.slo_id!r}, which this stack does not create: the alert "
                "depends on an SLO managed elsewhere",
                Severity.WARNING,
            )
        ]
    thresholds = {t.get("timeframe"): t for t in slo.get("thresholds") or []}
    over = alert.windows[0].text
    if over not in thresholds:
        return [
            Problem(
                "query",
                f".over({over!r}) is not a timeframe of SLO {slo.get('name')!r} "
                f"({', '.join(map(str, thresholds))}): Datadog evaluates the alert over one of the "
                "SLO's own targets",
            )
        ]
    target = thresholds[over].get("target")
    if alert.slo.function == "burn_rate" and isinstance(target, int | float) and target < 100:
        highest = 100 / (100 - target)
        if alert.threshold > highest:
            return [
                Problem(
                    "query",
                    f"a burn rate of {format_number(alert.threshold)} is never reached by SLO "
                    f"{slo.get('name')!r}: at its {over} target of {target:g}% the highest "
                    f"possible burn rate is {highest:.4g}",
                )
            ]
    return []


def _time_slice(wire: Mapping[str, Any]) -> dict[str, Any]:
    query = wire.get("query", {})
    formula = query.get("formula", {})
    return {
        "comparator": wire.get("comparator"),
        "threshold": wire.get("threshold"),
        "query_interval_seconds": wire.get("queryIntervalSeconds", 300),
        "query": {
            "formulas": [{"formula": formula.get("formulaExpression")}],
            "queries": [
                {snake_case(key): value for key, value in q.get("metricQuery", {}).items()}
                for q in query.get("queries", [])
            ],
        },
    }
