"""One metric query, the operand of metric expressions:

    metric query    = [ "default_zero" ":" ] [ space aggregator ":" ] metric name tag filter
                      chain [ group by chain ] ;
    space aggregator = "avg" | "sum" | "min" | "max" | "count" | percentile ;
    percentile      = "p" digit [ digit ] [ "." digits ] ;          (* strictly between 0 and 100 *)
    metric name     = letter { letter | digit | "_" | "." } ;
    tag filter      = "{" ( "*" | tag or { "," tag or } ) "}" ;
    tag or          = tag and { or tag and } ;
    tag and         = tag not { and tag not } ;
    tag not         = ( "!" | not ) tag not | "(" tag or ")" | tag term ;
    tag term        = tag [ ( in | not in ) "(" tag { "," tag } ")" ] ;  (* IN after a bare key *)
    or              = "OR" | "or" ;                     (* likewise and, not, in, not in *)
    group by        = "by" "{" group key { "," group key } "}" ;
    tag             = { letter | digit | "_" | "." | "-" | "/" | ":" | "*" | "@" | "?" }- ;
    group key       = { letter | digit | "_" | "." | "-" | "/" | ":" | "@" }- ;
    chain           = { "." metric method } ;                       (* see chain.py *)
    metric method   = ( "as_count" | "as_rate" | "weighted" ) "()"
                    | "rollup" "(" rollup aggregation [ "," integer ] ")"  (* interval >= 1 *)
                    | "fill" "(" fill mode [ "," integer ] ")" ;           (* limit >= 0 *)

Metric methods may repeat and come on either side of the group-by, as the older queries have them.

Datadog takes a metric query without a space aggregator (`system.load.1{*}`): its metric query
API answers for `system.cpu.idle{*}by{host}` (DataDog/documentation,
content/api/metrics/code_snippets/result.api-metrics-query.sh) and its `default_zero()` example
is `default_zero(system.load.1{*})` (https://docs.datadoghq.com/dashboards/functions/
interpolation/). Such a query cannot serve percentile(), which needs a percentile aggregator.
The `default_zero:` prefix is the same as wrapping the query in default_zero(); Datadog's pages
show only the call, but monitors it ships carry the prefix (issue 15).
"""

import re
from dataclasses import dataclass
from typing import Final

from components.monitors.query.chain import Method, MethodTable, Nothing, WordAndCount, parse_chain
from components.monitors.query.scanner import QueryError, Scanner, Text, join
from components.monitors.query.vocabulary import (
    ARGUMENTLESS_METRIC_METHODS,
    FILL_MODES,
    METRIC_ROLLUPS,
    SPACE_AGGREGATIONS,
)

PERCENTILE_AGGREGATOR: Final = re.compile(r"p(\d{1,2}(?:\.\d+)?)")
BY: Final = re.compile(r"by(?=\s*\{)")
_METRIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")
_GROUP_KEY = re.compile(r"[A-Za-z0-9_.\-/@:]+")
_TAG = re.compile(r"[A-Za-z0-9_.\-/:*@?]+")
# Each operator in capitals or in lower case, as Datadog lists them (DataDog/documentation,
# content/en/metrics/advanced-filtering.md: `AND`, `and`, `NOT IN`, `not in`, ...).
_TAG_OR = re.compile(r"(?:OR|or)(?=[\s(!])")
_TAG_AND = re.compile(r"(?:AND|and)(?=[\s(!])")
_TAG_NOT = re.compile(r"(?:NOT\s+(?!IN\b)|not\s+(?!in\b))")
_TAG_IN = re.compile(r"(?:NOT\s+IN|not\s+in|IN|in)(?=\s*\()")

_METRIC_METHODS: Final = MethodTable(
    (
        *(
            Method(name, Nothing(), f".{name}()", repeatable=True)
            for name in ARGUMENTLESS_METRIC_METHODS
        ),
        Method(
            "rollup",
            WordAndCount("rollup aggregation", METRIC_ROLLUPS, "rollup interval in seconds", 1),
            ".rollup(sum, 60)",
            repeatable=True,
        ),
        Method(
            "fill",
            WordAndCount("fill mode", FILL_MODES, "fill limit in seconds", 0),
            ".fill(zero, 0)",
            repeatable=True,
        ),
    )
)


DEFAULT_ZERO_PREFIX: Final = "default_zero"


@dataclass(frozen=True)
class MetricQueryFacts:
    metric: Text
    space_aggregator: Text | None
    """None when the query names none (Datadog then aggregates as it does by default)."""
    group_by: tuple[str, ...]


def parse_metric_query(scanner: Scanner, first: Text) -> MetricQueryFacts:
    """The rest of a metric query whose first word has been read: `default_zero`, the space
    aggregator, or the metric name itself (followed by its tag filter)."""
    if first.text == DEFAULT_ZERO_PREFIX and scanner.accept(":"):
        first = _read_name(scanner, f"after '{DEFAULT_ZERO_PREFIX}:'")
    aggregator = None
    metric = first
    if scanner.accept(":"):
        aggregator = first
        _check_space_aggregator(scanner, aggregator)
        metric = _read_name(scanner, f"after '{aggregator.text}:'")
    problem = metric_name_problem(metric.text)
    if problem is not None:
        raise scanner.error(problem, metric.start, metric.end)
    if not scanner.peek("{"):
        raise scanner.error(
            f"metric {metric.text!r} needs a tag filter in braces, e.g. {metric.text}{{*}}"
        )
    _parse_tag_filter(scanner)
    parse_chain(scanner, _METRIC_METHODS, "a metric query")
    group_by: tuple[str, ...] = ()
    if scanner.match(BY):
        group_by = parse_group_keys(scanner)
        parse_chain(scanner, _METRIC_METHODS, "a metric query")
    return MetricQueryFacts(metric, aggregator, group_by)


def _read_name(scanner: Scanner, where: str) -> Text:
    name = scanner.match(_METRIC_NAME)
    if name is None:
        raise scanner.error(f"expected a metric name {where}")
    return Text(name.group(), name.start(), quoted=False)


def parse_group_keys(scanner: Scanner) -> tuple[str, ...]:
    """`{key, ...}` after a `by` that has been read."""
    scanner.expect("{", "after 'by'")
    keys: list[str] = []
    while True:
        key = scanner.match(_GROUP_KEY)
        if key is None:
            raise scanner.error("expected a tag key to group by, e.g. by {host}")
        keys.append(key.group())
        if not scanner.accept(","):
            scanner.expect("}", "to close the group-by")
            return tuple(keys)


def _check_space_aggregator(scanner: Scanner, aggregator: Text) -> None:
    percentile = PERCENTILE_AGGREGATOR.fullmatch(aggregator.text)
    if aggregator.text in SPACE_AGGREGATIONS or (
        percentile and 0 < float(percentile.group(1)) < 100
    ):
        return
    raise scanner.error(
        f"unknown space aggregator {aggregator.text!r} (expected {join(SPACE_AGGREGATIONS)} or a "
        "percentile such as p95)",
        aggregator.start,
        aggregator.end,
    )


def _parse_tag_filter(scanner: Scanner) -> None:
    scanner.expect("{", "to open the tag filter")
    if not scanner.accept("*"):
        _parse_tag_or(scanner)
        while scanner.accept(","):
            _parse_tag_or(scanner)
    if not scanner.accept("}"):
        raise scanner.error("expected ',', AND, OR or '}' in the tag filter")


def _parse_tag_or(scanner: Scanner) -> None:
    _parse_tag_and(scanner)
    while scanner.match(_TAG_OR):
        _parse_tag_and(scanner)


def _parse_tag_and(scanner: Scanner) -> None:
    _parse_tag_not(scanner)
    while scanner.match(_TAG_AND):
        _parse_tag_not(scanner)


def _parse_tag_not(scanner: Scanner) -> None:
    if scanner.accept("!") or scanner.match(_TAG_NOT):
        _parse_tag_not(scanner)
    elif scanner.accept("("):
        _parse_tag_or(scanner)
        scanner.expect(")", "to close the tag group")
    else:
        _parse_tag_term(scanner)


def _parse_tag_term(scanner: Scanner) -> None:
    tag = scanner.match(_TAG)
    if tag is None:
        raise scanner.error("expected a tag such as env:prod")
    if not scanner.match(_TAG_IN):
        return
    if ":" in tag.group():
        raise scanner.error(
            f"IN takes a tag key, not {tag.group()!r}: write key IN (a,b)", tag.start(), tag.end()
        )
    scanner.expect("(", "after IN")
    while True:
        if scanner.match(_TAG) is None:
            raise scanner.error("expected a tag value in the IN list")
        if not scanner.accept(","):
            scanner.expect(")", "to close the IN list")
            return


def tag_filter_problem(text: str) -> str | None:
    """Why `text` is not one item of a tag filter (`env:prod`, `!host:a`, `env:a OR env:b`),
    which a builder may put between `{` and `}` next to others; None when it is. Anything else
    (`x} + avg:other{*`) would change the query around it."""
    scanner = Scanner(text)
    try:
        _parse_tag_or(scanner)
        scanner.expect_end("the tag filter")
    except QueryError as error:
        return f"{text!r} is not a tag filter such as env:prod or !host:a: {error.reason}"
    return None


def group_key_problem(key: str) -> str | None:
    """Why `key` is not a tag key to group by (`queue`, `@http.status_code`); None when it is."""
    if _GROUP_KEY.fullmatch(key):
        return None
    return f"{key!r} is not a tag key to group by (letters, digits and _.-/@:)"


def metric_name_problem(name: str) -> str | None:
    """Why `name` is not a metric name (`app.queue.depth`); None when it is."""
    if _METRIC_NAME.fullmatch(name):
        return None
    return f"{name!r} is not a metric name (a letter, then letters, digits, _ and .)"
