"""Service checks, which count check statuses and carry their thresholds in the options:

service check   = string chain ;                             (* the check name, quoted *)
chain methods   = "over" "(" string { "," string } ")"        (* required; tags or "*" *)
                | "exclude" "(" string { "," string } ")"
                | "by" "(" string { "," string } ")"
                | "last" "(" integer ")"                      (* required; at least 1 *)
                | "count_by_status" "(" ")" ;                 (* required; ends the query *)
"""

from typing import Final

from components.monitors.query.chain import (
    Count,
    Method,
    MethodTable,
    Nothing,
    Strings,
    parse_chain,
)
from components.monitors.query.result import MonitorQuery, QueryKind
from components.monitors.query.scanner import Scanner

_SOME: Final = Strings(at_least=1)
_METHODS: Final = MethodTable(
    (
        Method("over", _SOME, '.over("env:prod", "role:db")', required=True),
        Method("exclude", _SOME, '.exclude("host:a")'),
        Method("by", _SOME, '.by("host")'),
        Method("last", Count("the number of checks to count"), ".last(3)", required=True),
        Method("count_by_status", Nothing(), ".count_by_status()", required=True, final=True),
    )
)


def parse_service_check(scanner: Scanner) -> MonitorQuery:
    scanner.read_double_quoted("service check name")
    chain = parse_chain(scanner, _METHODS, "a service check query")
    scanner.expect_end(".count_by_status(), which ends a service check query (no threshold)")
    return MonitorQuery(
        kind=QueryKind.SERVICE_CHECK,
        comparator=None,
        threshold=None,
        group_by=tuple(value.text for value in chain.arguments("by")),
    )
