"""Arithmetic over operands, shared by metric monitors and formulas; they differ in the operand:

    expression      = term { ( "+" | "-" ) term } ;
    term            = factor { ( "*" | "/" ) factor } ;
    factor          = "-" factor | "(" expression ")" | number | function call | operand ;
    function call   = algorithm call                            (* see algorithms.py *)
                    | function "(" [ argument { "," argument } ] ")" ;
    function        = metric function | rank function ;         (* abs, per_minute, top5_max... *)
    argument        = option "=" ( string | signed number ) | string | expression ;
    metric operand  = metric query ;                            (* see metric_query.py *)
    formula operand = variable ;                                (* a name without dots *)

A formula names the queries of `options.variables`; its expression may hold no algorithm call.
"""

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Final

from components.monitors.query.algorithms import (
    ALGORITHMS,
    AlgorithmCall,
    parse_algorithm_call,
    read_literal,
)
from components.monitors.query.metric_query import MetricQueryFacts, parse_metric_query
from components.monitors.query.scanner import KEYWORD_ARGUMENT, NUMBER, Scanner, Text
from components.monitors.query.vocabulary import METRIC_FUNCTIONS

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# The legacy top/bottom shorthands: top5, bottom10_mean, top_max, ...
_RANK_FUNCTION: Final = re.compile(
    r"(?:top|bottom)(?:5|10|15|20)?(?:_(?:max|min|last|area|l2norm|norm|mean))?"
)

# Loosest first: `a + b * c` adds a to the product.
_OPERATOR_LEVELS: Final = (("+", "-"), ("*", "/"))


@dataclass
class ExpressionFacts:
    """What parsing an expression found, beyond its validity."""

    group_by: list[str] = field(default_factory=list)
    metric_queries: list[MetricQueryFacts] = field(default_factory=list)
    algorithm_calls: list[AlgorithmCall] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    def add_group_by(self, keys: tuple[str, ...]) -> None:
        self.group_by.extend(key for key in keys if key not in self.group_by)


def parse_metric_expression(scanner: Scanner, facts: ExpressionFacts) -> AlgorithmCall | None:
    """A metric monitor's expression; returns the algorithm call when it is the whole of it."""
    return _MetricExpression(scanner, facts).expression()


def parse_formula_expression(scanner: Scanner, facts: ExpressionFacts) -> None:
    _FormulaExpression(scanner, facts).expression()


class _Expression(ABC):
    """The grammar both kinds share; a subclass reads the operand its kind allows."""

    operand_description = ""

    def __init__(self, scanner: Scanner, facts: ExpressionFacts) -> None:
        self.scanner = scanner
        self.facts = facts

    def expression(self) -> AlgorithmCall | None:
        return self._operation(0)

    def _operation(self, level: int) -> AlgorithmCall | None:
        """Operands joined by the operators of `level` and tighter ones."""
        if level == len(_OPERATOR_LEVELS):
            return self._factor()
        whole = self._operation(level + 1)
        while any(self.scanner.accept(operator) for operator in _OPERATOR_LEVELS[level]):
            self._operation(level + 1)
            whole = None
        return whole

    def _factor(self) -> AlgorithmCall | None:
        scanner = self.scanner
        if scanner.accept("-"):
            self._factor()
            return None
        if scanner.accept("("):
            inner = self.expression()
            scanner.expect(")", "to close the parenthesised expression")
            return inner
        if scanner.match(NUMBER):
            return None
        word = scanner.match(_WORD)
        if word is None:
            raise scanner.error(f"expected {self.operand_description}, a function, a number or '('")
        if scanner.peek("("):
            return self._function(word)
        self._operand(word)
        return None

    @abstractmethod
    def _operand(self, word: re.Match[str]) -> None:
        """Read the operand that starts with `word`, which was not followed by '('."""

    def _function(self, name: re.Match[str]) -> AlgorithmCall | None:
        scanner = self.scanner
        function = name.group()
        if function in ALGORITHMS:
            call = parse_algorithm_call(scanner, name, self._algorithm_query)
            self.facts.algorithm_calls.append(call)
            return call
        if function not in METRIC_FUNCTIONS and not _RANK_FUNCTION.fullmatch(function):
            raise scanner.error(f"unknown function {function!r}", name.start(), name.end())
        scanner.expect("(", f"after {function}")
        if not scanner.accept(")"):
            self._argument()
            while scanner.accept(","):
                self._argument()
            scanner.expect(")", f"to close {function}(...)")
        return None

    def _algorithm_query(self) -> list[AlgorithmCall]:
        # An algorithm always wraps metric queries, whichever kind of expression it sits in.
        before = len(self.facts.algorithm_calls)
        _MetricExpression(self.scanner, self.facts).expression()
        return self.facts.algorithm_calls[before:]

    def _argument(self) -> None:
        if self.scanner.match(KEYWORD_ARGUMENT):
            read_literal(self.scanner)
        elif self.scanner.current() in ("'", '"'):
            self.scanner.read_string()
        else:
            self.expression()


class _MetricExpression(_Expression):
    operand_description = "a metric query"

    def _operand(self, word: re.Match[str]) -> None:
        if not (self.scanner.peek(":") or self.scanner.peek("{")):
            raise self.scanner.error(
                f"expected a metric query such as avg:{word.group()}{{*}}",
                word.start(),
                word.end(),
            )
        query = parse_metric_query(self.scanner, Text(word.group(), word.start(), quoted=False))
        self.facts.metric_queries.append(query)
        self.facts.add_group_by(query.group_by)


class _FormulaExpression(_Expression):
    operand_description = "a variable"

    def _operand(self, word: re.Match[str]) -> None:
        if "." in word.group():
            # The name of a query in options.variables, which holds no dots; a metric name here
            # means a metric query was written where a formula wants the variable naming it.
            raise self.scanner.error(
                f"expected a variable named in options.variables, not {word.group()!r}",
                word.start(),
                word.end(),
            )
        self.facts.variables.append(word.group())
