"""Log-style searches: logs, events, audits, CI, spans, RUM and error tracking.

    event search    = source "(" string ")" chain condition ;  (* the search, double-quoted *)
    source          = "logs" | "events" | "audits" | "ci-pipelines" | "ci-tests"
                    | "trace-analytics" | "rum" | "error-tracking-" name ;
    name            = { lower | digit | "_" }- { "-" { lower | digit | "_" }- } ;
    chain methods   = "index" "(" strings ")"
                    | "rollup" "(" string [ "," string ] ")"     (* required *)
                    | "by" "(" strings ")"                       (* facets, comma-separated *)
                    | "last" "(" string ")" ;                    (* required; a search window *)

Every argument is double-quoted: Datadog refuses single quotes with an unrelated error. The rollup
is count, or an aggregation of Datadog's API models (api_models.EVENT_AGGREGATIONS) followed by
its measure: `.rollup("avg", "@duration")`.
"""

from typing import Final

from components.monitors.query.api_models import EVENT_AGGREGATIONS
from components.monitors.query.chain import Method, MethodTable, Strings, parse_chain
from components.monitors.query.result import MonitorQuery, QueryKind
from components.monitors.query.scanner import Scanner, Text, join
from components.monitors.query.windows import SEARCH_WINDOW

ERROR_TRACKING_PREFIX: Final = "error-tracking-"

_QUOTED: Final = Strings(explains_single_quotes=True)
_METHODS: Final = MethodTable(
    (
        Method("index", _QUOTED, '.index("*")'),
        Method("rollup", _QUOTED, '.rollup("count")', required=True),
        Method("by", _QUOTED, '.by("service,@http.url")'),
        Method(
            "last",
            Strings(at_least=1, at_most=1, explains_single_quotes=True),
            '.last("5m")',
            required=True,
        ),
    )
)


def parse_event_search(scanner: Scanner, source: str) -> MonitorQuery:
    """The search whose source word has been read."""
    noun = "log" if source == "logs" else source
    scanner.expect("(", f"after {source}")
    scanner.read_double_quoted(f"{noun} search", f"{source}('...')")
    scanner.expect(")", f"to close {source}(...)")
    chain = parse_chain(scanner, _METHODS, f"{source}(...)")
    _check_rollup(scanner, chain.arguments("rollup"))
    (window,) = chain.arguments("last")
    facets = ",".join(value.text for value in chain.arguments("by"))
    condition = scanner.read_final_condition()
    return MonitorQuery(
        kind=QueryKind.EVENT_SEARCH,
        comparator=condition.comparator,
        threshold=condition.value,
        group_by=tuple(facet.strip() for facet in facets.split(",") if facet.strip()),
        windows=(SEARCH_WINDOW.check(scanner.query, window),),
        data_source=source,
    )


def _check_rollup(scanner: Scanner, values: tuple[Text, ...]) -> None:
    if not values:
        raise scanner.error('.rollup() needs an aggregation, e.g. .rollup("count")')
    aggregation = values[0]
    if aggregation.text not in EVENT_AGGREGATIONS:
        raise scanner.error(
            f"unknown rollup aggregation {aggregation.text!r} "
            f"(expected {join(EVENT_AGGREGATIONS)})",
            aggregation.start,
            aggregation.end,
        )
    if aggregation.text == "count" and len(values) > 1:
        raise scanner.error('.rollup("count") takes no measure', values[1].start)
    if aggregation.text != "count" and len(values) != 2:
        raise scanner.error(
            f'.rollup("{aggregation.text}") needs a measure, e.g. '
            f'.rollup("{aggregation.text}", "@duration")',
            aggregation.start,
            aggregation.end,
        )
