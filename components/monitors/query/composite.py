"""Composites, which combine other monitors by id:

composite       = operand { ( "&&" | "||" ) operand } ;
operand         = "!" operand | "(" composite ")" | integer ;

A service's composites are written over the roles of its monitors (`latency && !error-rate`)
before those monitors have ids: the same grammar with `role` (lowercase words joined by `-`) in
place of `integer`.
"""

import re
from typing import Final

from components.monitors.query.result import MonitorQuery, QueryKind
from components.monitors.query.scanner import INTEGER, Scanner, Text, check_balanced

ROLE: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def parse_composite(scanner: Scanner) -> MonitorQuery:
    monitor_ids = _operands(scanner, INTEGER, "a monitor id")
    scanner.expect_end("the composite expression (only ids, &&, ||, ! and parentheses)")
    return MonitorQuery(
        kind=QueryKind.COMPOSITE,
        comparator=None,
        threshold=None,
        monitor_ids=tuple(int(operand.text) for operand in monitor_ids),
    )


def composite_roles(expression: str) -> tuple[Text, ...]:
    """The operands of a composite over roles, in order and where each stands in `expression`;
    QueryError for an expression that is not one."""
    check_balanced(expression)
    scanner = Scanner(expression)
    if scanner.at_end():
        raise scanner.error("the expression is empty")
    roles = _operands(scanner, ROLE, "a monitor role (lowercase words joined by '-')")
    scanner.expect_end("the composite expression (only roles, &&, ||, ! and parentheses)")
    return tuple(roles)


def _operands(scanner: Scanner, operand_token: re.Pattern[str], what: str) -> list[Text]:
    found: list[Text] = []

    def operand() -> None:
        if scanner.accept("!"):
            operand()
        elif scanner.accept("("):
            expression()
            scanner.expect(")", "to close the group")
        else:
            token = scanner.match(operand_token)
            if token is None:
                raise scanner.error(f"expected {what} in the composite")
            found.append(Text(token.group(), token.start(), quoted=False))

    def expression() -> None:
        operand()
        while scanner.accept("&&") or scanner.accept("||"):
            operand()

    expression()
    return found
