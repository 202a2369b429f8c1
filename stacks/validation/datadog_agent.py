"""Offline validation of a DatadogAgent (datadoghq.com/v2alpha1) object against its CRD schema.

The vendored schema (schemas/datadoghq.com_datadogagents_v2alpha1.json, Datadog Operator v1.29)
forbids unknown fields, so a misspelled feature or override key is reported here instead of being
rejected only when the object reaches the API server.
"""

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from components.problems import Problem
from stacks.validation.kubernetes import json_path

SCHEMA_PATH = Path(__file__).parent / "schemas" / "datadoghq.com_datadogagents_v2alpha1.json"
API_VERSION = "datadoghq.com/v2alpha1"
KIND = "DatadogAgent"


def check_datadog_agent(obj: Mapping[str, Any]) -> list[Problem]:
    """Every schema violation of a DatadogAgent object, sorted by path."""
    problems = [
        Problem(json_path(error.absolute_path), error.message)
        for error in _validator().iter_errors(obj)
    ]
    if obj.get("apiVersion") != API_VERSION:
        problems.append(Problem(json_path(["apiVersion"]), f"must be {API_VERSION!r}"))
    if obj.get("kind") != KIND:
        problems.append(Problem(json_path(["kind"]), f"must be {KIND!r}"))
    return sorted(problems, key=lambda problem: (problem.path, problem.reason))


@cache
def _validator() -> Any:
    # Loaded once: the schema is 700 KB of JSON.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)
