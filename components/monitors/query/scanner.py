"""The cursor every family's parser reads with, the error it raises, and the shared tokens.

Lexical productions used by every family (whitespace may separate any two tokens):

    string          = '"' { char | "\\" any } '"' | "'" { char | "\\" any } "'" ;
    number          = digits [ "." { digit } ] [ exponent ] | "." digits [ exponent ] ;
    signed number   = [ "+" | "-" ] number ;
    integer         = digits ;
    identifier      = letter_ { letter_ | digit } ;
    condition       = comparator signed number ;
    comparator      = ">=" | "<=" | "==" | "!=" | ">" | "<" ;

Parentheses and braces must balance outside strings; that is checked before any family parses.
"""

import re
from dataclasses import dataclass
from typing import Final

from components.monitors.query.vocabulary import COMPARATORS

_FRAGMENT_LENGTH = 24

NUMBER: Final = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
SIGNED_NUMBER: Final = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
INTEGER: Final = re.compile(r"\d+")
IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEYWORD_ARGUMENT: Final = re.compile(r"([a-z_]+)\s*=(?!=)")
_COMPARATOR = re.compile("|".join(re.escape(op) for op in COMPARATORS))


def _fragment(query: str, position: int, end: int | None) -> str:
    if position >= len(query):
        return query[-_FRAGMENT_LENGTH:]
    if end is not None and end > position:
        return query[position:end]
    return query[position : position + _FRAGMENT_LENGTH]


def _located(reason: str, query: str, position: int, fragment: str) -> str:
    where = "at the end, after" if position >= len(query) else "at"
    return f"{reason} ({where} char {position}: {fragment!r})"


class QueryError(ValueError):
    """A query Datadog would reject, with the 0-based character offset and the fragment at fault."""

    def __init__(self, reason: str, query: str, position: int, end: int | None = None) -> None:
        self.reason = reason
        self.query = query
        self.position = position
        self.fragment = _fragment(query, position, end)
        super().__init__(_located(reason, query, position, self.fragment))


@dataclass(frozen=True)
class QueryWarning:
    """Something Datadog accepts that probably does not do what its author meant, located as a
    QueryError is."""

    reason: str
    query: str
    position: int
    end: int | None = None

    @property
    def fragment(self) -> str:
        return _fragment(self.query, self.position, self.end)

    def __str__(self) -> str:
        return _located(self.reason, self.query, self.position, self.fragment)


def join(options: tuple[str, ...] | frozenset[str]) -> str:
    """Options as an error message lists them: sorted, `a, b or c`."""
    ordered = sorted(options)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


@dataclass(frozen=True)
class Text:
    """A string or number as written, with where its text sits in the query."""

    text: str
    start: int
    quoted: bool = True

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Condition:
    comparator: str
    threshold: Text

    @property
    def value(self) -> float:
        return float(self.threshold.text)


class Scanner:
    """A cursor over the query; `end` bounds it when a formula string is parsed in place."""

    def __init__(self, query: str, start: int = 0, end: int | None = None) -> None:
        self.query = query
        self.pos = start
        self.end = len(query) if end is None else end
        self.warnings: list[QueryWarning] = []

    def error(self, reason: str, start: int | None = None, end: int | None = None) -> QueryError:
        return QueryError(reason, self.query, self.pos if start is None else start, end)

    def warn(self, reason: str, start: int, end: int | None = None) -> None:
        self.warnings.append(QueryWarning(reason, self.query, start, end))

    def skip_spaces(self) -> None:
        while self.pos < self.end and self.query[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_spaces()
        return self.pos >= self.end

    def current(self) -> str:
        self.skip_spaces()
        return self.query[self.pos] if self.pos < self.end else ""

    def peek(self, literal: str) -> bool:
        self.skip_spaces()
        return self.query.startswith(literal, self.pos, self.end)

    def accept(self, literal: str) -> bool:
        if self.peek(literal):
            self.pos += len(literal)
            return True
        return False

    def expect(self, literal: str, context: str) -> None:
        if not self.accept(literal):
            raise self.error(f"expected '{literal}' {context}")

    def expect_end(self, after: str) -> None:
        if not self.at_end():
            raise self.error(f"unexpected text after {after}")

    def match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        self.skip_spaces()
        found = pattern.match(self.query, self.pos, self.end)
        if found:
            self.pos = found.end()
        return found

    def read_string(self) -> Text:
        """The quoted string at the cursor (either quote), unescaped."""
        self.skip_spaces()
        start = self.pos
        self.pos = string_end(self.query, start)
        return Text(re.sub(r"\\(.)", r"\1", self.query[start + 1 : self.pos - 1]), start + 1)

    def read_double_quoted(self, what: str, rejected_form: str | None = None) -> Text:
        """A double-quoted string; `rejected_form` shows how Datadog fails on single quotes."""
        char = self.current()
        if char == "'":
            start = self.pos
            why = (
                f" (Datadog rejects {rejected_form} with 'invalid operator specified')"
                if rejected_form
                else ""
            )
            raise self.error(
                f"{what} must be double-quoted{why}", start, string_end(self.query, start)
            )
        if char != '"':
            raise self.error(f"expected a double-quoted {what}")
        return self.read_string()

    def read_condition(self) -> Condition:
        comparator = self.match(_COMPARATOR)
        if comparator is None:
            raise self.error(
                "missing comparator (one of " + ", ".join(COMPARATORS) + ") after the query"
            )
        number = self.match(SIGNED_NUMBER)
        if number is None:
            raise self.error(f"missing threshold number after '{comparator.group()}'")
        return Condition(comparator.group(), Text(number.group(), number.start(), quoted=False))

    def read_final_condition(self) -> Condition:
        """The `> 10` that ends most queries: nothing may follow it."""
        condition = self.read_condition()
        self.expect_end("the threshold")
        return condition


def string_end(query: str, start: int) -> int:
    """Offset just past the string that opens at `start`, honouring backslash escapes."""
    quote = query[start]
    pos = start + 1
    while pos < len(query):
        if query[pos] == "\\":
            pos += 2
            continue
        if query[pos] == quote:
            return pos + 1
        pos += 1
    raise QueryError("unterminated string", query, start)


def check_balanced(query: str) -> None:
    # Checked up front: a missing ')' otherwise surfaces as a confusing error far from its cause.
    openers: list[int] = []
    pos = 0
    while pos < len(query):
        char = query[pos]
        if char in "\"'":
            pos = string_end(query, pos)
            continue
        if char in "({":
            openers.append(pos)
        elif char in ")}":
            opener = "(" if char == ")" else "{"
            if openers and query[openers[-1]] != opener:
                raise _never_closed(query, openers[-1])
            if not openers:
                kind = "parentheses" if char == ")" else "braces"
                raise QueryError(
                    f"unbalanced {kind}: '{char}' has no matching '{opener}'", query, pos
                )
            openers.pop()
        pos += 1
    if openers:
        raise _never_closed(query, openers[-1])


def _never_closed(query: str, position: int) -> QueryError:
    char = query[position]
    kind = "parentheses" if char == "(" else "braces"
    return QueryError(f"unbalanced {kind}: '{char}' is never closed", query, position)
