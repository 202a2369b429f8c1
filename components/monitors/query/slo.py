"""SLO alerts, on an SLO's remaining error budget or on its burn rate:

slo alert       = ( "error_budget" | "burn_rate" ) "(" string ")" chain condition ;
error_budget methods = "over" "(" string ")" ;               (* required; 7d, 30d or 90d *)
burn_rate methods    = "over" "(" string ")"                 (* required; 7d, 30d or 90d *)
                     | "long_window" "(" string ")"          (* required; 1h to 48h *)
                     | "short_window" "(" string ")" ;       (* required; below long_window *)

A burn rate threshold must be above 0: Datadog's "Burn Rate Alerts" page bounds the long window
to 1-48 hours and the short one below it, and blocks thresholds above 1 / (1 - SLO target), which
only the SLO knows (components.slos checks that).
"""

from typing import Final

from components.monitors.query.chain import Method, MethodTable, Strings, parse_chain
from components.monitors.query.result import MonitorQuery, QueryKind, SloAlertTarget
from components.monitors.query.scanner import Scanner, Text, join
from components.monitors.query.vocabulary import SLO_TARGETS
from components.monitors.query.windows import SLO_WINDOW, Window

_HOUR: Final = 3600
_LONG_WINDOW_MAX: Final = 48 * _HOUR

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


def _check_burn_rate_windows(scanner: Scanner, written: Text, long: Window, short: Window) -> None:
    if not _HOUR <= long.seconds <= _LONG_WINDOW_MAX:
        raise scanner.error(
            "the long window of a burn rate alert runs from 1h to 48h", written.start, written.end
        )
    if short.seconds >= long.seconds:
        raise scanner.error(
            f"the short window ({short.text}) must be shorter than the long window ({long.text})",
            written.start,
            written.end,
        )


def parse_slo(scanner: Scanner, function: str) -> MonitorQuery:
    """The alert whose function word, a key of SLO_METHODS, has been read."""
    scanner.expect("(", f"after {function}")
    slo_id = scanner.read_double_quoted("SLO id")
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
    if function == "burn_rate":
        _check_burn_rate_windows(scanner, chain.arguments("long_window")[0], *windows[1:])
    condition = scanner.read_final_condition()
    if function == "burn_rate" and condition.value <= 0:
        raise scanner.error(
            "a burn rate threshold must be above 0",
            condition.threshold.start,
            condition.threshold.end,
        )
    return MonitorQuery(
        kind=QueryKind.SLO,
        comparator=condition.comparator,
        threshold=condition.value,
        windows=windows,
        slo=SloAlertTarget(function, slo_id.text),
    )
