"""SLO alerts, on an SLO's remaining error budget or on its burn rate:

slo alert       = ( "error_budget" | "burn_rate" ) "(" string ")" chain condition ;
error_budget methods = "over" "(" string ")" ;               (* required; 7d, 30d or 90d *)
burn_rate methods    = "over" "(" string ")"                 (* required; 7d, 30d or 90d *)
                     | "long_window" "(" string ")"          (* required; an SLO window *)
                     | "short_window" "(" string ")" ;       (* required; an SLO window *)
"""

from typing import Final

from components.monitors.query.chain import Method, MethodTable, Strings, parse_chain
from components.monitors.query.result import MonitorQuery, QueryKind
from components.monitors.query.scanner import Scanner, join
from components.monitors.query.vocabulary import SLO_TARGETS
from components.monitors.query.windows import SLO_WINDOW

_ONE: Final = Strings(at_least=1, at_most=1)
_OVER: Final = Method("over", _ONE, '.over("30d")', required=True)
SLO_METHODS: Final = {
    "error_budget": MethodTable((_OVER,)),
    "burn_rate": MethodTable(
        (
            _OVER,
            Method("long_window", _ONE, '.long_window("1h")', required=True),
            Method("short_window", _ONE, '.short_window("5m")', required=True),
        )
    ),
}


def parse_slo(scanner: Scanner, function: str) -> MonitorQuery:
    """The alert whose function word, a key of SLO_METHODS, has been read."""
    scanner.expect("(", f"after {function}")
    scanner.read_double_quoted("SLO id")
    scanner.expect(")", f"to close {function}(...)")
    table = SLO_METHODS[function]
    chain = parse_chain(scanner, table, f"{function}(...)")
    (target,) = chain.arguments("over")
    if target.text not in SLO_TARGETS:
        raise scanner.error(
            f"the SLO window in .over() must be {join(SLO_TARGETS)}", target.start, target.end
        )
    windows = tuple(
        SLO_WINDOW.check(scanner.query, chain.arguments(method)[0]) for method in table.names
    )
    condition = scanner.read_final_condition()
    return MonitorQuery(
        kind=QueryKind.SLO,
        comparator=condition.comparator,
        threshold=condition.value,
        windows=windows,
    )
