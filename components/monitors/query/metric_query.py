"""One metric query, the operand of metric expressions:

    metric query    = space aggregator ":" metric name tag filter chain
                      [ group by chain ] ;
    space aggregator = "avg" | "sum" | "min" | "max" | "count" | percentile ;
    percentile      = "p" digit [ digit ] [ "." digits ] ;          (* strictly between 0 and 100 *)
    metric name     = letter { letter | digit | "_" | "." } ;
    tag filter      = "{" ( "*" | tag or { "," tag or } ) "}" ;
    tag or          = tag and { "OR" tag and } ;
    tag and         = tag not { "AND" tag not } ;
    tag not         = ( "!" | "NOT" ) tag not | "(" tag or ")" | tag term ;
    tag term        = tag [ [ "NOT" ] "IN" "(" tag { "," tag } ")" ] ;  (* IN after a bare key *)
    group by        = "by" "{" group key { "," group key } "}" ;
    tag             = { letter | digit | "_" | "." | "-" | "/" | ":" | "*" | "@" | "?" }- ;
    group key       = { letter | digit | "_" | "." | "-" | "/" | ":" | "@" }- ;
    chain           = { "." metric method } ;                       (* see chain.py *)
    metric method   = ( "as_count" | "as_rate" | "weighted" ) "()"
                    | "rollup" "(" rollup aggregation [ "," integer ] ")"  (* interval >= 1 *)
                    | "fill" "(" fill mode [ "," integer ] ")" ;           (* limit >= 0 *)

Metric methods may repeat and come on either side of the group-by, as the older queries have them.
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
_TAG_OR = re.compile(r"OR(?=[\s(!])")
_TAG_AND = re.compile(r"AND(?=[\s(!])")
_TAG_NOT = re.compile(r"NOT\s+(?!IN\b)")
_TAG_IN = re.compile(r"(?:NOT\s+)?IN(?=\s*\()")

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


@dataclass(frozen=True)
class MetricQueryFacts:
    space_aggregator: Text
    group_by: tuple[str, ...]


def parse_metric_query(scanner: Scanner, aggregator: Text) -> MetricQueryFacts:
    """The rest of a metric query whose space aggregator has been read."""
    _check_space_aggregator(scanner, aggregator)
    scanner.expect(":", "after the space aggregator")
    metric = scanner.match(_METRIC_NAME)
    if metric is None:
        raise scanner.error(f"expected a metric name after '{aggregator.text}:'")
    if not scanner.peek("{"):
        raise scanner.error(
            f"metric {metric.group()!r} needs a tag filter in braces, e.g. {metric.group()}{{*}}"
        )
    _parse_tag_filter(scanner)
    parse_chain(scanner, _METRIC_METHODS, "a metric query")
    group_by: tuple[str, ...] = ()
    if scanner.match(BY):
        group_by = parse_group_keys(scanner)
        parse_chain(scanner, _METRIC_METHODS, "a metric query")
    return MetricQueryFacts(aggregator, group_by)


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
