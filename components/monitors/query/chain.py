"""The method chain that follows a metric query, an event search, a formula, a service check or
an SLO: one parser, steered by each family's table of the methods it allows.

    chain           = { "." method } ;
    method          = identifier "(" arguments ")" ;   (* a family's "chain methods" production *)
    arguments       = strings | count | word and count | nothing ;
    strings         = [ string { "," string } ] ;           (* double-quoted, as many as allowed *)
    count           = integer ;                             (* at least 1 *)
    word and count  = word [ "," integer ] ;                (* a word from a vocabulary *)
    nothing         = ;

Each table says, per method, which of those argument forms it takes, whether the family requires
it, whether it may repeat, and whether it must end the chain. Methods may come in any order.

A method that is not repeatable may appear once. Datadog's API reference writes every chained
query with each method once and puts several values in one call instead: a service check's tags
go comma-separated into a single `.over("env:prod", "role:db")`, a log search has one
`.last(time_window)` (create-a-monitor, "Service Check Query" and "Logs Alert Query":
https://docs.datadoghq.com/api/latest/monitors/create-a-monitor/, also the create_monitor docstring
of DataDog/datadog-api-client-python, src/datadog_api_client/v1/api/monitors_api.py). A second
call would leave it unclear which value applies, so it is refused rather than guessed at.
"""

from dataclasses import dataclass, field
from typing import Protocol

from components.monitors.query.scanner import IDENTIFIER, INTEGER, Scanner, Text, join


class Arguments(Protocol):
    """How one method reads what sits between its parentheses, the closing one included."""

    def read(self, scanner: Scanner, method: "Method") -> tuple[Text, ...]:
        """The arguments as written; raises QueryError when they do not fit the method."""
        ...


@dataclass(frozen=True)
class Method:
    name: str
    arguments: Arguments
    example: str
    """A correct call, shown when this one is missing or malformed."""
    required: bool = False
    repeatable: bool = False
    final: bool = False
    """Nothing may follow this method in the chain."""


@dataclass(frozen=True)
class MethodTable:
    methods: tuple[Method, ...]

    def find(self, name: str) -> Method | None:
        return next((method for method in self.methods if method.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(method.name for method in self.methods)


@dataclass
class Chain:
    """The arguments of each call read, by method name; a repeated method keeps every call."""

    calls: dict[str, list[tuple[Text, ...]]] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.calls

    def arguments(self, name: str) -> tuple[Text, ...]:
        """The arguments of a method that appears at most once; none when it is absent."""
        calls = self.calls.get(name)
        return calls[0] if calls else ()


def parse_chain(scanner: Scanner, table: MethodTable, owner: str) -> Chain:
    """Read `.method(...)` calls while they last, then insist on the required ones.

    `owner` names what the methods belong to in errors, e.g. `logs(...)`.
    """
    chain = Chain()
    while not _ends_with_final(chain, table) and scanner.accept("."):
        method = _read_method_name(scanner, table, owner)
        if method.name in chain and not method.repeatable:
            raise scanner.error(
                f".{method.name}() may appear only once in {owner}",
                scanner.pos - len(method.name),
                scanner.pos,
            )
        scanner.expect("(", f"after .{method.name}")
        chain.calls.setdefault(method.name, []).append(method.arguments.read(scanner, method))
    for method in table.methods:
        if method.required and method.name not in chain:
            raise scanner.error(f"{owner} needs .{method.name}(...), e.g. {method.example}")
    return chain


def _ends_with_final(chain: Chain, table: MethodTable) -> bool:
    return any(method.final and method.name in chain for method in table.methods)


def _read_method_name(scanner: Scanner, table: MethodTable, owner: str) -> Method:
    name = scanner.match(IDENTIFIER)
    if name is None:
        raise scanner.error(f"expected a method name after '.' ({join(table.names)} for {owner})")
    method = table.find(name.group())
    if method is None:
        raise scanner.error(
            f"unknown method .{name.group()}() for {owner} (expected {join(table.names)})",
            name.start(),
            name.end(),
        )
    return method


@dataclass(frozen=True)
class Strings:
    """Double-quoted strings, between `at_least` and `at_most` of them."""

    at_least: int = 0
    at_most: int | None = None
    explains_single_quotes: bool = False
    """Whether a single-quoted argument is refused with the error Datadog gives for it, which
    does not say that the quotes are at fault."""

    def read(self, scanner: Scanner, method: Method) -> tuple[Text, ...]:
        rejected_form = f".{method.name}('...')" if self.explains_single_quotes else None
        start = scanner.pos
        values: list[Text] = []
        while not scanner.accept(")"):
            if values:
                scanner.expect(",", f"between the arguments of .{method.name}()")
            values.append(
                scanner.read_double_quoted(f"argument of .{method.name}()", rejected_form)
            )
        most = len(values) if self.at_most is None else self.at_most
        if not self.at_least <= len(values) <= most:
            bound = "exactly" if self.at_most == self.at_least else "at least"
            raise scanner.error(
                f".{method.name}() takes {bound} {self.at_least} argument"
                f"{'' if self.at_least == 1 else 's'}, e.g. {method.example}",
                start,
                scanner.pos,
            )
        return tuple(values)


@dataclass(frozen=True)
class Count:
    """One whole number of at least 1, unquoted."""

    what: str

    def read(self, scanner: Scanner, method: Method) -> tuple[Text, ...]:
        count = scanner.match(INTEGER)
        if count is None or int(count.group()) == 0:
            raise scanner.error(f".{method.name}() takes {self.what}, e.g. {method.example}")
        scanner.expect(")", f"to close .{method.name}(...)")
        return (Text(count.group(), count.start(), quoted=False),)


@dataclass(frozen=True)
class Nothing:
    def read(self, scanner: Scanner, method: Method) -> tuple[Text, ...]:
        scanner.expect(")", f"(.{method.name}() takes no arguments)")
        return ()


@dataclass(frozen=True)
class WordAndCount:
    """An unquoted word from `words`, then optionally `, N` with N at least `minimum`."""

    what: str
    words: tuple[str, ...]
    count_what: str
    minimum: int

    def read(self, scanner: Scanner, method: Method) -> tuple[Text, ...]:
        word = scanner.match(IDENTIFIER)
        if word is None or word.group() not in self.words:
            raise scanner.error(
                f"unknown {self.what} (expected {join(self.words)})",
                scanner.pos if word is None else word.start(),
                None if word is None else word.end(),
            )
        values = [Text(word.group(), word.start(), quoted=False)]
        if scanner.accept(","):
            count = scanner.match(INTEGER)
            if count is None or int(count.group()) < self.minimum:
                raise scanner.error(
                    f"the {self.count_what} must be a whole number of at least {self.minimum}"
                )
            values.append(Text(count.group(), count.start(), quoted=False))
        scanner.expect(")", f"to close .{method.name}(...)")
        return tuple(values)
