"""Formulas over named queries, whose definitions sit in the monitor's `options.variables`:

    formula         = "formula" "(" '"' formula expression '"' ")" chain condition ;
    chain methods   = "last" "(" string ")" ;                    (* required; a search window *)

The formula expression (expressions.py) is parsed in place between its quotes, so that errors
point into the query as written.
"""

from typing import Final

from components.monitors.query.chain import Method, MethodTable, Strings, parse_chain
from components.monitors.query.expressions import ExpressionFacts, parse_formula_expression
from components.monitors.query.result import MonitorQuery, QueryKind
from components.monitors.query.scanner import Scanner
from components.monitors.query.windows import SEARCH_WINDOW

_METHODS: Final = MethodTable(
    (
        Method(
            "last",
            Strings(at_least=1, at_most=1, explains_single_quotes=True),
            '.last("15m")',
            required=True,
        ),
    )
)


def parse_formula(scanner: Scanner) -> MonitorQuery:
    """The formula whose `formula` word has been read."""
    scanner.expect("(", "after formula")
    formula = scanner.read_double_quoted("formula", "formula('...')")
    facts = _formula_expression(Scanner(scanner.query, formula.start, scanner.pos - 1))
    scanner.expect(")", "to close formula(...)")
    (window,) = parse_chain(scanner, _METHODS, "formula(...)").arguments("last")
    condition = scanner.read_final_condition()
    return MonitorQuery(
        kind=QueryKind.FORMULA,
        comparator=condition.comparator,
        threshold=condition.value,
        windows=(SEARCH_WINDOW.check(scanner.query, window),),
        variables=tuple(dict.fromkeys(facts.variables)),
    )


def formula_variables(formula: str) -> tuple[str, ...]:
    """The variable names a formula expression (`failed / total * 100`) uses, in order;
    QueryError when it is not a formula expression."""
    return tuple(dict.fromkeys(_formula_expression(Scanner(formula)).variables))


def _formula_expression(inner: Scanner) -> ExpressionFacts:
    start = inner.pos
    if inner.at_end():
        raise inner.error("the formula is empty", start)
    facts = ExpressionFacts()
    parse_formula_expression(inner, facts)
    inner.expect_end("the formula expression")
    if facts.algorithm_calls:
        call = facts.algorithm_calls[0]
        raise inner.error(f"{call.name}() is not a formula function", call.start)
    return facts
