"""Offline validation of Datadog dashboard JSON against the API models of datadog-api-client.

The client's own entry point, `validate_and_convert_types(dashboard, (Dashboard,), ...)`, is not
used on the whole dashboard, for two reasons measured on the shared corpus of exported dashboards:
- It resolves every widget definition by trying all 43 widget classes in turn (its shortcut on
  the `type` field is off because two classes claim `funnel`): about 30 s for the corpus.
- A variant that fails deep inside (an unknown `display_type` in a request) does not raise: the
  whole definition silently becomes an `UnparsedObject`, so the path to the cause is lost.

So the walk over the JSON is done here, guided by the models' own metadata (`openapi_types`,
`attribute_map`, required `__init__` parameters, `validations`), choosing a variant of a `oneOf`
by its discriminating enum field. Every scalar is still judged by `validate_and_convert_types`,
and an enum value it marks unparsed is reported. Unknown keys are accepted wherever the model
accepts additional properties, as the client does: exports carry keys newer than the models
(`should_exclude_missing` in 351 event queries of the corpus, `color_order` in request styles).
Where several variants of a `oneOf` fit, the dashboard is accepted (the client would call it
ambiguous); where none fits, the problems of the closest one are reported.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from datadog_api_client import Configuration
from datadog_api_client.exceptions import ApiTypeError
from datadog_api_client.model_utils import (
    ModelComposed,
    ModelNormal,
    ModelSimple,
    OpenApiModel,
    check_validations,
    none_type,
    validate_and_convert_types,
)
from datadog_api_client.v1.model.dashboard import Dashboard
from datadog_api_client.v1.model.formula_and_function_events_data_source import (
    FormulaAndFunctionEventsDataSource,
)
from datadog_api_client.v1.model.formula_and_function_metric_query_definition import (
    FormulaAndFunctionMetricQueryDefinition,
)
from datadog_api_client.v1.model.formula_and_function_query_definition import (
    FormulaAndFunctionQueryDefinition,
)
from datadog_api_client.v1.model.widget_conditional_format import WidgetConditionalFormat
from datadog_api_client.v1.model.widget_definition import WidgetDefinition
from datadog_api_client.v1.model.widget_layout import WidgetLayout

from components.problems import Problem

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class _UnmodelledForm:
    """Objects of `model` with `field` set (to one of `values`, if given) follow a schema that
    datadog-api-client 2.62 lacks, so they are accepted without looking inside."""

    model: type
    field: str
    values: frozenset[str] | None = None


# What Datadog exports, and so accepts, although datadog-api-client 2.62 does not model it. Each
# entry is seen in the shared corpus of exported dashboards; anything else unknown is a mistake.
_UNMODELLED_FORMS = (
    # Custom widgets of UI Extensions (embrace_mobile, flagsmith, rookout): the extension owns them.
    _UnmodelledForm(WidgetDefinition, "type", frozenset({"custom"})),
    # Gradient ("range") conditional formats of the newer query table (redis_enterprise).
    _UnmodelledForm(WidgetConditionalFormat, "type", frozenset({"range"})),
    # Metric queries of the newer query table name the metric and filter apart (external_secrets).
    _UnmodelledForm(FormulaAndFunctionMetricQueryDefinition, "metric_name"),
    # Trace queries search a graph of spans ("a -> b") rather than one query string (vercel).
    _UnmodelledForm(FormulaAndFunctionQueryDefinition, "data_source", frozenset({"traces"})),
)
_ENUM_VALUES_UNKNOWN_TO_CLIENT: Mapping[type, frozenset[Any]] = {
    # NetFlow (vns3) and Application Security (sqreen) events.
    FormulaAndFunctionEventsDataSource: frozenset({"network_device_flows", "app_sec_events"}),
}
_BOUNDS_NOT_ENFORCED: frozenset[tuple[type, str]] = frozenset(
    {
        # Free-layout dashboards from the old editor place widgets at x = -1 (perimeterx).
        (WidgetLayout, "x"),
    }
)

_ANY_JSON = OpenApiModel.additional_properties_type
_SCALAR_NAMES: Mapping[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    datetime: "date-time string",
    date: "date string",
    UUID: "UUID string",
    dict: "object",
    list: "list",
    none_type: "null",
}


def validate_dashboard(dashboard: Mapping[str, Any]) -> list[Problem]:
    """Every problem found in a dashboard in Datadog's JSON form; empty when it is valid."""
    return _problems(dict(dashboard), (Dashboard,), ())


def api_json_problems(value: Mapping[str, Any], model: type) -> list[Problem]:
    """Every problem found in `value` against one datadog-api-client model, walked as a
    dashboard is (other Datadog payloads use the same client models)."""
    return _problems(dict(value), (model,), ())


def dashboard_json_problems(inputs: dict[str, Any]) -> list[Problem]:
    """What Datadog would refuse in a `datadog.DashboardJson`, whose `dashboard` is JSON text."""
    try:
        dashboard = json.loads(inputs["dashboard"])
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        return [Problem("dashboard", f"not a JSON document ({error!r})")]
    if not isinstance(dashboard, dict):
        return [Problem("dashboard", f"expected a JSON object, got {_json_kind(dashboard)}")]
    return validate_dashboard(dashboard)


def _problems(value: Any, types: tuple[Any, ...], path: JsonPath) -> list[Problem]:
    """Problems of `value` against an `openapi_types` entry: it must fit one of `types`."""
    if value is None:
        if any(_accepts_null(kind) for kind in types):
            return []
        return [_problem(path, f"must not be null: expected {_describe(types)}")]
    scalar_types = tuple(kind for kind in types if _is_scalar_type(kind) and _fits(kind, value))
    structured_types = [kind for kind in types if not _is_scalar_type(kind) and _fits(kind, value)]
    if not scalar_types and not structured_types:
        return [_problem(path, f"expected {_describe(types)}, got {_json_kind(value)}")]
    alternatives = [
        functools.partial(_structured_problems, value, kind, path) for kind in structured_types
    ]
    if scalar_types:
        alternatives.append(functools.partial(_scalar_problems, value, scalar_types, path))
    return _fewest(alternative() for alternative in alternatives)


def _structured_problems(value: Any, kind: Any, path: JsonPath) -> list[Problem]:
    if isinstance(kind, list):
        item_types = tuple(kind)
        return [
            problem
            for index, item in enumerate(value)
            for problem in _problems(item, item_types, (*path, index))
        ]
    if isinstance(kind, dict):
        value_types = kind[str]
        return [
            problem
            for key, item in value.items()
            for problem in _problems(item, value_types, (*path, key))
        ]
    if _is_unmodelled_form(kind, value):
        return []
    if _is_subclass(kind, ModelComposed):
        return _one_of_problems(value, kind, path)
    return _object_problems(value, kind, path)


def _is_unmodelled_form(model: Any, value: dict[str, Any]) -> bool:
    for form in _UNMODELLED_FORMS:
        if form.model is not model or form.field not in value:
            continue
        tag = value[form.field]
        if form.values is None or (isinstance(tag, str) and tag in form.values):
            return True
    return False


def _object_problems(value: dict[str, Any], model: Any, path: JsonPath) -> list[Problem]:
    python_names = _python_names(model)
    problems = [
        _problem((*path, field), "required field is missing")
        for field in _required_fields(model)
        if field not in value
    ]
    for key, item in value.items():
        python_name = python_names.get(key)
        if python_name is None:
            problems += _additional_property_problems(item, model, (*path, key))
            continue
        item_problems = _problems(item, model.openapi_types[python_name], (*path, key))
        if not item_problems and python_name in model.validations:
            item_problems = _validation_problems(item, model, python_name, (*path, key))
        problems += item_problems
    return problems


def _additional_property_problems(value: Any, model: Any, path: JsonPath) -> list[Problem]:
    allowed = model.additional_properties_type
    if allowed is None:
        return [_problem(path, f"unknown field for {model.__name__}")]
    if allowed == _ANY_JSON:
        return []
    return _problems(value, allowed, path)


def _validation_problems(value: Any, model: Any, python_name: str, path: JsonPath) -> list[Problem]:
    if (model, python_name) in _BOUNDS_NOT_ENFORCED:
        return []
    try:
        check_validations(  # type: ignore[no-untyped-call]
            model.validations[python_name], path[-1], value, _configuration()
        )
    except ValueError as error:
        return [_problem(path, str(error))]
    return []


def _one_of_problems(value: Any, composed: Any, path: JsonPath) -> list[Problem]:
    """A `oneOf` is satisfied by any of its variants; the discriminator narrows which ones."""
    variants = _variants(composed)
    discriminator = _discriminator(composed)
    if discriminator is not None and isinstance(value, dict):
        field, variants_by_value = discriminator
        tag = value.get(field)
        if isinstance(tag, str | int):
            named = variants_by_value.get(tag)
            if named is None:
                return [_unknown_value_problem((*path, field), tag, variants_by_value)]
            variants = named
    return _fewest(_problems(value, (variant,), path) for variant in variants)


def _scalar_problems(value: Any, types: tuple[Any, ...], path: JsonPath) -> list[Problem]:
    if type(value) in types or any(_is_allowed_enum_value(kind, value) for kind in types):
        # What the client would accept unchanged; asking it costs most of a dashboard's check.
        return []
    try:
        # The client names the failing field after the last step of the path: it can't be empty.
        converted = validate_and_convert_types(  # type: ignore[no-untyped-call]
            value, types, ["dashboard", *path], True, True, _configuration()
        )
    except (ApiTypeError, ValueError):
        return [_problem(path, f"expected {_describe(types)}, got {_json_kind(value)} {value!r}")]
    if isinstance(converted, ModelSimple) and converted._unparsed:
        enum = type(converted)
        if value in _ENUM_VALUES_UNKNOWN_TO_CLIENT.get(enum, ()):
            return []
        return [_unknown_value_problem(path, value, enum.allowed_values)]
    return []


def _is_allowed_enum_value(kind: Any, value: Any) -> bool:
    return _is_subclass(kind, ModelSimple) and value in kind.allowed_values


def _unknown_value_problem(path: JsonPath, value: Any, allowed: Iterable[Any]) -> Problem:
    choices = sorted(str(choice) for choice in allowed)
    reason = f"unknown value {value!r}"
    close = difflib.get_close_matches(str(value), choices, n=1)
    if close:
        reason += f" (did you mean {close[0]!r}?)"
    return _problem(path, f"{reason}; expected one of: {', '.join(choices)}")


def _fewest(outcomes: Iterable[list[Problem]]) -> list[Problem]:
    """No problem if any alternative fits; otherwise those of the closest alternative."""
    closest: list[Problem] | None = None
    for problems in outcomes:
        if not problems:
            return []
        if closest is None or len(problems) < len(closest):
            closest = problems
    return closest or []


def _problem(path: JsonPath, reason: str) -> Problem:
    rendered = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return Problem(rendered.removeprefix("."), reason)


def _is_subclass(kind: Any, base: type | tuple[type, ...]) -> bool:
    """Whether an `openapi_types` entry is a class deriving from `base` (not a list or dict)."""
    return isinstance(kind, type) and issubclass(kind, base)


def _is_scalar_type(kind: Any) -> bool:
    return not isinstance(kind, list | dict) and not _is_subclass(
        kind, (ModelNormal, ModelComposed)
    )


def _fits(kind: Any, value: Any) -> bool:
    """Whether `value` has the JSON shape `kind` needs; the finer checks come later."""
    if isinstance(kind, list):
        return isinstance(value, list)
    if isinstance(kind, dict):
        return isinstance(value, dict)
    if _is_subclass(kind, ModelComposed):
        return any(_fits(variant, value) for variant in _variants(kind))
    if _is_subclass(kind, ModelNormal) or kind is dict:
        return isinstance(value, dict)
    if kind is list:
        return isinstance(value, list)
    return kind is not none_type and not isinstance(value, dict | list)


def _accepts_null(kind: Any) -> bool:
    if kind is none_type:
        return True
    if _is_subclass(kind, ModelComposed):
        return none_type in kind._composed_schemas["oneOf"]
    return _is_subclass(kind, OpenApiModel) and bool(kind._nullable)


def _describe(types: tuple[Any, ...]) -> str:
    names = dict.fromkeys(_type_name(kind) for kind in types)
    return " or ".join(names)


def _type_name(kind: Any) -> str:
    if isinstance(kind, list):
        return "list"
    if isinstance(kind, dict) or _is_subclass(kind, (ModelNormal, ModelComposed)):
        return "object"
    if _is_subclass(kind, ModelSimple):
        return "string"
    return _SCALAR_NAMES.get(kind, kind.__name__)


def _json_kind(value: Any) -> str:
    return _SCALAR_NAMES.get(type(value), type(value).__name__)


@functools.cache
def _configuration() -> Configuration:
    return Configuration()  # type: ignore[no-untyped-call]


@functools.cache
def _python_names(model: Any) -> Mapping[str, str]:
    return {json_name: python_name for python_name, json_name in model.attribute_map.items()}


@functools.cache
def _required_fields(model: Any) -> tuple[str, ...]:
    """JSON names of the model's required fields: its `__init__` parameters without default."""
    parameters = list(inspect.signature(model.__init__).parameters.values())[1:]
    return tuple(
        model.attribute_map[parameter.name]
        for parameter in parameters
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        and parameter.default is inspect.Parameter.empty
    )


@functools.cache
def _variants(composed: Any) -> tuple[Any, ...]:
    return tuple(kind for kind in composed._composed_schemas["oneOf"] if kind is not none_type)


@functools.cache
def _discriminator(composed: Any) -> tuple[str, Mapping[Any, tuple[Any, ...]]] | None:
    """The enum field shared by all variants that tells most of them apart, with its values."""
    variants = _variants(composed)
    fields = {field for variant in variants for field in _json_fields(variant)}
    best: tuple[str, Mapping[Any, tuple[Any, ...]]] | None = None
    for field in sorted(fields):
        values_per_variant = [_enum_values(variant, field) for variant in variants]
        if any(values is None for values in values_per_variant):
            continue
        variants_by_value: dict[Any, tuple[Any, ...]] = {}
        for variant, values in zip(variants, values_per_variant, strict=True):
            for value in values or ():
                variants_by_value[value] = (*variants_by_value.get(value, ()), variant)
        groups = len(set(variants_by_value.values()))
        if groups > 1 and (best is None or groups > len(set(best[1].values()))):
            best = (field, variants_by_value)
    return best


def _json_fields(variant: Any) -> Iterable[str]:
    if _is_subclass(variant, ModelNormal):
        return _python_names(variant).keys()
    if _is_subclass(variant, ModelComposed):
        return (field for inner in _variants(variant) for field in _json_fields(inner))
    return ()


def _enum_values(variant: Any, field: str) -> frozenset[Any] | None:
    """The values a variant allows for an enum field; None when the field is not an enum."""
    if _is_subclass(variant, ModelComposed):
        per_inner = [_enum_values(inner, field) for inner in _variants(variant)]
        if any(values is None for values in per_inner):
            return None
        return frozenset().union(*(values for values in per_inner if values is not None))
    if not _is_subclass(variant, ModelNormal):
        return None
    python_name = _python_names(variant).get(field)
    if python_name is None:
        return None
    enums = [kind for kind in variant.openapi_types[python_name] if kind is not none_type]
    if not enums or not all(
        _is_subclass(kind, ModelSimple) and kind.allowed_values for kind in enums
    ):
        return None
    return frozenset().union(
        *(enum.allowed_values for enum in enums),
        *(_ENUM_VALUES_UNKNOWN_TO_CLIENT.get(enum, ()) for enum in enums),
    )
