"""Composites, which combine other monitors by id:

composite       = operand { ( "&&" | "||" ) operand } ;
operand         = "!" operand | "(" composite ")" | integer ;
"""

from components.monitors.query.result import MonitorQuery, QueryKind
from components.monitors.query.scanner import INTEGER, Scanner


def parse_composite(scanner: Scanner) -> MonitorQuery:
    monitor_ids: list[int] = []

    def operand() -> None:
        if scanner.accept("!"):
            operand()
        elif scanner.accept("("):
            expression()
            scanner.expect(")", "to close the group")
        else:
            monitor_id = scanner.match(INTEGER)
            if monitor_id is None:
                raise scanner.error("expected a monitor id in the composite")
            monitor_ids.append(int(monitor_id.group()))

    def expression() -> None:
        operand()
        while scanner.accept("&&") or scanner.accept("||"):
            operand()

    expression()
    scanner.expect_end("the composite expression (only ids, &&, ||, ! and parentheses)")
    return MonitorQuery(
        kind=QueryKind.COMPOSITE, comparator=None, threshold=None, monitor_ids=tuple(monitor_ids)
    )
