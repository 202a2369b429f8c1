"""Offline parser for Datadog monitor queries.

Datadog only checks a monitor query when the provider calls `/monitor/validate` with live keys, and
its answers are vague ("query is invalid", "invalid operator specified"). This parser reads every
query family a monitor can carry and either returns a `MonitorQuery` or raises a `QueryError` that
names the problem, its character offset and the offending fragment. Anything it does not
understand is an error, never a silent pass.

The top of the grammar, in EBNF; each family's module gives its own productions:

    monitor query   = metric monitor                (* metric_monitor.py *)
                    | event search                  (* event_search.py *)
                    | formula                       (* formula.py *)
                    | service check                 (* service_check.py *)
                    | slo alert                     (* slo.py *)
                    | composite ;                   (* composite.py *)

The first token decides the family: a quote opens a service check; a digit, `!` or `(` a
composite; otherwise a word followed by `(`: `error_budget` or `burn_rate`, `formula`, an event
source, or else a time aggregation. Shared pieces live in scanner.py (tokens, the condition),
windows.py, chain.py (the `.method(...)` chains), expressions.py, metric_query.py and
algorithms.py; api_models.py reads the word lists Datadog's API models hold from
datadog-api-client, and vocabulary.py holds every other closed word list as a `Literal`.

Warnings are what Datadog accepts but that probably does not do what its author meant (seasonality
on the basic anomaly algorithm): the parser reports them in `MonitorQuery.warnings` and goes on.
"""

import re
from dataclasses import replace

from components.monitors.query.composite import parse_composite
from components.monitors.query.event_search import ERROR_TRACKING_PREFIX, parse_event_search
from components.monitors.query.expressions import ExpressionFacts, parse_metric_expression
from components.monitors.query.formula import formula_variables, parse_formula
from components.monitors.query.metric_monitor import parse_metric_monitor
from components.monitors.query.result import (
    METRIC_KINDS,
    AnomalyParams,
    MonitorQuery,
    QueryKind,
    format_number,
)
from components.monitors.query.scanner import QueryError, QueryWarning, Scanner, check_balanced
from components.monitors.query.service_check import parse_service_check
from components.monitors.query.slo import SLO_METHODS, parse_slo
from components.monitors.query.vocabulary import COMPARATORS, EVENT_SEARCH_SOURCES
from components.monitors.query.windows import Window, parse_window

__all__ = [
    "COMPARATORS",
    "ERROR_TRACKING_PREFIX",
    "EVENT_SEARCH_SOURCES",
    "METRIC_KINDS",
    "AnomalyParams",
    "MonitorQuery",
    "QueryError",
    "QueryKind",
    "QueryWarning",
    "Window",
    "format_number",
    "formula_variables",
    "parse_metric_expression_text",
    "parse_monitor_query",
    "parse_window",
]

_LEADING_WORD = re.compile(r"[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*")


def parse_monitor_query(query: str) -> MonitorQuery:
    """Parse any monitor query.

    Raises QueryError for anything Datadog would reject and for anything not understood; what
    it accepts but probably does not mean what it says is in the result's `warnings`.
    """
    check_balanced(query)
    scanner = Scanner(query)
    return replace(_parse(scanner), warnings=tuple(scanner.warnings))


def parse_metric_expression_text(text: str) -> ExpressionFacts:
    """A metric expression on its own, as an SLO's numerator, denominator or time-slice query
    holds it: metric queries, functions and arithmetic, with no window and no condition.

    Raises QueryError as `parse_monitor_query` does; anomaly-style algorithm calls are monitors'
    own and are refused here.
    """
    check_balanced(text)
    scanner = Scanner(text)
    facts = ExpressionFacts()
    if not scanner.current():
        raise scanner.error("the query is empty")
    if parse_metric_expression(scanner, facts) is not None or facts.algorithm_calls:
        raise scanner.error("an algorithm such as anomalies() belongs to a monitor, not an SLO", 0)
    scanner.expect_end("the metric expression")
    return facts


def _parse(scanner: Scanner) -> MonitorQuery:
    query = scanner.query
    first = scanner.current()
    if not first:
        raise scanner.error("the query is empty")
    if first in "\"'":
        return parse_service_check(scanner)
    if first.isdigit() or first in "!(":
        return parse_composite(scanner)
    leading = scanner.match(_LEADING_WORD)
    if leading is None or not scanner.peek("("):
        raise scanner.error(
            'expected a query such as avg(last_5m):avg:metric{*} > 1, logs("...")..., '
            'formula("..."), a double-quoted service check, error_budget("...") or monitor ids',
            0 if leading is None else leading.start(),
            None if leading is None else leading.end(),
        )
    word = leading.group()
    if word in SLO_METHODS:
        return parse_slo(scanner, word)
    if word == "formula":
        return parse_formula(scanner)
    if word in EVENT_SEARCH_SOURCES or word.startswith(ERROR_TRACKING_PREFIX):
        return parse_event_search(scanner, word)
    if query[scanner.pos + 1 :].lstrip()[:1] in ("'", '"'):
        sources = (*sorted(EVENT_SEARCH_SOURCES), ERROR_TRACKING_PREFIX + "*")
        raise scanner.error(
            f"unknown data source {word!r} (expected {', '.join(sources)})",
            leading.start(),
            leading.end(),
        )
    return parse_metric_monitor(scanner, leading)
