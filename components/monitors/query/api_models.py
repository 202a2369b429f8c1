"""The word lists that Datadog's API models hold, read from datadog-api-client itself.

Datadog adds monitor types, formula data sources and event aggregations often; taken from the
models, they follow the pinned client, and upgrading it brings the new ones. The client is a
runtime requirement for this (requirements.txt): the builders run the validator inside
`pulumi up`. Words the models do not list (metric functions, the sources of an event search
query, windows) stay in vocabulary.py.
"""

from typing import Final

from datadog_api_client.model_utils import ModelSimple
from datadog_api_client.v1.model.monitor_formula_and_function_event_aggregation import (
    MonitorFormulaAndFunctionEventAggregation,
)
from datadog_api_client.v1.model.monitor_formula_and_function_query_definition import (
    MonitorFormulaAndFunctionQueryDefinition,
)
from datadog_api_client.v1.model.monitor_type import MonitorType


def _values(enum: type[ModelSimple]) -> frozenset[str]:
    return frozenset(map(str, enum.allowed_values))


MONITOR_TYPES: Final = _values(MonitorType)
"""Every monitor `type` the API takes."""

EVENT_AGGREGATIONS: Final = tuple(sorted(_values(MonitorFormulaAndFunctionEventAggregation)))
"""How an event platform query aggregates: the `.rollup()` of an event search, the `compute`
of a formula variable. All but count name the measure (or, for cardinality, the facet)."""


def _formula_data_sources() -> frozenset[str]:
    # A formula variable is one of the query definitions MonitorFormulaAndFunctionQueryDefinition
    # composes (events, cost, data quality, data jobs, aggregate queries, ...); each lists its
    # data sources in the enum of its `data_source` field (data jobs queries have none).
    sources: set[str] = set()
    for definition in MonitorFormulaAndFunctionQueryDefinition._composed_schemas["oneOf"]:
        field = definition.openapi_types.get("data_source")
        if field is not None:
            sources |= _values(field[0])
    return frozenset(sources)


FORMULA_DATA_SOURCES: Final = _formula_data_sources()
"""Every `data_source` a formula variable (`options.variables[]`) may name."""
