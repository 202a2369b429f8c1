"""Offline parser for Datadog monitor queries.

Datadog only checks a monitor query when the provider calls `/monitor/validate` with live keys, and
its answers are vague ("query is invalid", "invalid operator specified"). This parser reads every
query family a monitor can carry (metric, change, anomaly, forecast, outlier, log-style searches,
formulas, service checks, SLO alerts, composites) and either returns a `MonitorQuery` or raises a
`QueryError` that names the problem, its character offset and the offending fragment. Anything it
does not understand is an error, never a silent pass.
"""

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class QueryKind(StrEnum):
    METRIC = "metric"
    CHANGE = "change"
    ANOMALY = "anomaly"
    FORECAST = "forecast"
    OUTLIER = "outlier"
    EVENT_SEARCH = "event_search"
    FORMULA = "formula"
    SERVICE_CHECK = "service_check"
    SLO = "slo"
    COMPOSITE = "composite"


METRIC_KINDS: Final = frozenset(
    {QueryKind.METRIC, QueryKind.CHANGE, QueryKind.ANOMALY, QueryKind.FORECAST, QueryKind.OUTLIER}
)
"""Kinds written as TIME_AGGR(WINDOW):EXPRESSION, the `query alert` family."""

EVENT_SEARCH_SOURCES: Final = frozenset(
    {"logs", "events", "audits", "ci-pipelines", "ci-tests", "trace-analytics", "rum"}
)
"""Sources of the logs("...").rollup(..).last(..) chain; `error-tracking-*` sources also qualify."""

ERROR_TRACKING_PREFIX: Final = "error-tracking-"

COMPARATORS: Final = (">=", "<=", "==", "!=", ">", "<")

_FRAGMENT_LENGTH = 24


def format_number(value: float) -> str:
    """A number as Datadog writes it in a query: `10`, not `10.0`; `0.05` stays `0.05`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class QueryError(ValueError):
    """A query Datadog would reject, with the 0-based character offset and the fragment at fault."""

    def __init__(self, reason: str, query: str, position: int, end: int | None = None) -> None:
        self.reason = reason
        self.query = query
        self.position = position
        at_end = position >= len(query)
        if at_end:
            self.fragment = query[-_FRAGMENT_LENGTH:]
        elif end is not None and end > position:
            self.fragment = query[position:end]
        else:
            self.fragment = query[position : position + _FRAGMENT_LENGTH]
        where = "at the end, after" if at_end else "at"
        super().__init__(f"{reason} ({where} char {position}: {self.fragment!r})")


@dataclass(frozen=True)
class Window:
    text: str
    """The window as written in the query: `last_5m`, `next_1w`, `5m`, `7d`."""
    seconds: int


@dataclass(frozen=True)
class AnomalyParams:
    algorithm: str
    """basic, agile or robust."""
    bounds: float
    """Width of the expected band, in deviations."""
    alert_window: Window
    """Recent window that must be anomalous; the monitor's trigger_window repeats it."""
    direction: str | None = None
    interval: int | None = None
    """Seconds between evaluated points."""
    count_default_zero: bool | None = None
    seasonality: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class MonitorQuery:
    kind: QueryKind
    comparator: str | None
    """None for service checks and composites, which carry no threshold in the query."""
    threshold: float | None
    group_by: tuple[str, ...] = ()
    windows: tuple[Window, ...] = ()
    """The evaluation window first, then any others (change comparison, anomaly alert window)."""
    time_aggregator: str | None = None
    data_source: str | None = None
    """For event searches: logs, events, rum, ..."""
    anomaly: AnomalyParams | None = None
    variables: tuple[str, ...] = ()
    """Variable names a formula refers to."""
    monitor_ids: tuple[int, ...] = ()
    """Monitors a composite combines."""


# --- Scanning -------------------------------------------------------------------------------------


class _Scanner:
    """A cursor over the query; `end` bounds it when a formula string is parsed in place."""

    def __init__(self, query: str, start: int = 0, end: int | None = None) -> None:
        self.query = query
        self.pos = start
        self.end = len(query) if end is None else end

    def error(self, reason: str, start: int | None = None, end: int | None = None) -> QueryError:
        return QueryError(reason, self.query, self.pos if start is None else start, end)

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

    def match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        self.skip_spaces()
        found = pattern.match(self.query, self.pos, self.end)
        if found:
            self.pos = found.end()
        return found


_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SIGNED_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_INTEGER = re.compile(r"\d+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SOURCE_WORD = re.compile(r"[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*")
_WINDOW_TOKEN = re.compile(r"[A-Za-z0-9_]+")
_METRIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")
_KEYWORD_ARGUMENT = re.compile(r"([a-z_]+)\s*=(?!=)")
_COMPARATOR = re.compile("|".join(re.escape(op) for op in COMPARATORS))
_GROUP_KEY = re.compile(r"[A-Za-z0-9_.\-/@:]+")
_TAG = re.compile(r"[A-Za-z0-9_.\-/:*@?]+")
_BY = re.compile(r"by(?=\s*\{)")
_TAG_OR = re.compile(r"OR(?=[\s(!])")
_TAG_AND = re.compile(r"AND(?=[\s(!])")
_TAG_NOT = re.compile(r"NOT\s+(?!IN\b)")
_TAG_IN = re.compile(r"(?:NOT\s+)?IN(?=\s*\()")


def _join(options: tuple[str, ...] | frozenset[str]) -> str:
    ordered = sorted(options)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _string_end(query: str, start: int) -> int:
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


def _check_balanced(query: str) -> None:
    # Checked up front: a missing ')' otherwise surfaces as a confusing error far from its cause.
    openers: list[int] = []
    pos = 0
    while pos < len(query):
        char = query[pos]
        if char in "\"'":
            pos = _string_end(query, pos)
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


@dataclass(frozen=True)
class _Text:
    """A string or number as written, with where its text sits in the query."""

    text: str
    start: int
    quoted: bool = True

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def _read_string(scanner: _Scanner) -> _Text:
    """The quoted string at the cursor (either quote), unescaped."""
    scanner.skip_spaces()
    start = scanner.pos
    scanner.pos = _string_end(scanner.query, start)
    return _Text(re.sub(r"\\(.)", r"\1", scanner.query[start + 1 : scanner.pos - 1]), start + 1)


def _read_double_quoted(scanner: _Scanner, what: str, rejected_form: str | None = None) -> _Text:
    """A double-quoted string; `rejected_form` shows how Datadog fails on single quotes."""
    char = scanner.current()
    if char == "'":
        start = scanner.pos
        why = (
            f" (Datadog rejects {rejected_form} with 'invalid operator specified')"
            if rejected_form
            else ""
        )
        raise scanner.error(
            f"{what} must be double-quoted{why}", start, _string_end(scanner.query, start)
        )
    if char != '"':
        raise scanner.error(f"expected a double-quoted {what}")
    return _read_string(scanner)


@dataclass(frozen=True)
class _Condition:
    comparator: str
    threshold: _Text

    @property
    def value(self) -> float:
        return float(self.threshold.text)


def _parse_condition(scanner: _Scanner) -> _Condition:
    comparator = scanner.match(_COMPARATOR)
    if comparator is None:
        raise scanner.error(
            "missing comparator (one of " + ", ".join(COMPARATORS) + ") after the query"
        )
    number = scanner.match(_SIGNED_NUMBER)
    if number is None:
        raise scanner.error(f"missing threshold number after '{comparator.group()}'")
    return _Condition(comparator.group(), _Text(number.group(), number.start(), quoted=False))


def _expect_end(scanner: _Scanner, after: str) -> None:
    if not scanner.at_end():
        raise scanner.error(f"unexpected text after {after}")


# --- Windows --------------------------------------------------------------------------------------

_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 604800
_MONTH = 30 * _DAY


@dataclass(frozen=True)
class _WindowRule:
    pattern: re.Pattern[str]
    units: dict[str, int]
    min_seconds: int
    max_seconds: int
    description: str

    def check(self, query: str, written: _Text) -> Window:
        found = self.pattern.fullmatch(written.text)
        seconds = int(found.group(1)) * self.units[found.group(2)] if found else 0
        if not self.min_seconds <= seconds <= self.max_seconds:
            raise QueryError(
                f"invalid window {written.text!r}: {self.description}",
                query,
                written.start,
                written.end,
            )
        return Window(written.text, seconds)


_LAST_UNITS: Final = {"m": _MINUTE, "h": _HOUR, "d": _DAY, "w": _WEEK}
_METRIC_WINDOW = _WindowRule(
    re.compile(r"last_(\d+)([mhdw])"),
    _LAST_UNITS,
    _MINUTE,
    _WEEK,
    "metric windows run from last_1m to last_1w (at most last_10080m, last_168h or last_7d)",
)
# Anomaly monitors look further back than threshold monitors: two weeks of history is common.
_ANOMALY_WINDOW = _WindowRule(
    _METRIC_WINDOW.pattern,
    _LAST_UNITS,
    _MINUTE,
    2 * _WEEK,
    "anomaly windows run from last_1m to last_2w",
)
_FORECAST_WINDOW = _WindowRule(
    re.compile(r"next_(\d+)(mo|[hdw])"),
    {"h": _HOUR, "d": _DAY, "w": _WEEK, "mo": _MONTH},
    12 * _HOUR,
    3 * _MONTH,
    "forecast windows run from next_12h to next_3mo",
)
_SEARCH_UNITS: Final = {"m": _MINUTE, "h": _HOUR, "d": _DAY}
_EVENT_WINDOW = _WindowRule(
    re.compile(r"(\d+)([mhd])"),
    _SEARCH_UNITS,
    _MINUTE,
    2 * _DAY,
    "windows run from 1m to 2880m (48h)",
)
_SLO_WINDOW = _WindowRule(
    _EVENT_WINDOW.pattern, _SEARCH_UNITS, _MINUTE, 90 * _DAY, "SLO windows run from 1m to 90d"
)
_SLO_TARGET_WINDOWS: Final = ("7d", "30d", "90d")


def parse_window(text: str) -> Window:
    """A `last_<N><unit>` window on its own, such as an anomaly monitor's recovery_window."""
    return _ANOMALY_WINDOW.check(text, _Text(text, 0))


def _read_window_token(scanner: _Scanner) -> _Text:
    found = scanner.match(_WINDOW_TOKEN)
    if found is None:
        raise scanner.error("expected a window such as last_5m")
    return _Text(found.group(), found.start(), quoted=False)


# --- Metric expressions ---------------------------------------------------------------------------

_TIME_AGGREGATORS: Final = ("avg", "sum", "min", "max", "percentile")
_CHANGE_FUNCTIONS: Final = ("change", "pct_change")
_SPACE_AGGREGATORS: Final = frozenset({"avg", "sum", "min", "max", "count"})
_PERCENTILE_AGGREGATOR = re.compile(r"p(\d{1,2}(?:\.\d+)?)")
_FUNCTIONS: Final = frozenset(
    {
        "abs", "log2", "log10", "cumsum", "integral", "default_zero", "exclude_null",
        "hour_before", "day_before", "week_before", "month_before", "timeshift", "calendar_shift",
        "per_second", "per_minute", "per_hour", "dt", "diff", "derivative", "monotonic_diff",
        "ewma_3", "ewma_5", "ewma_7", "ewma_10", "ewma_20",
        "median_3", "median_5", "median_7", "median_9", "autosmooth", "moving_rollup",
        "top", "top_offset", "count_nonzero", "count_not_null",
        "robust_trend", "trend_line", "piecewise_constant",
        "clamp_min", "clamp_max", "cutoff_min", "cutoff_max",
    }
)  # fmt: skip
# The legacy top/bottom shorthands: top5, bottom10_mean, top_max, ...
_RANK_FUNCTION = re.compile(
    r"(?:top|bottom)(?:5|10|15|20)?(?:_(?:max|min|last|area|l2norm|norm|mean))?"
)
_ALGORITHM_KINDS: Final = {
    "anomalies": QueryKind.ANOMALY,
    "forecast": QueryKind.FORECAST,
    "outliers": QueryKind.OUTLIER,
}
_ALGORITHMS: Final = {
    "anomalies": ("agile", "basic", "robust"),
    "forecast": ("linear", "seasonal"),
    "outliers": ("dbscan", "mad", "scaleddbscan", "scaledmad"),
}
_ALGORITHM_OPTIONS: Final = {
    "anomalies": (
        "alert_window", "count_default_zero", "direction", "interval", "seasonality", "timezone",
    ),
    "forecast": ("history", "interval", "model", "seasonality", "timezone"),
    "outliers": (),
}  # fmt: skip
_ANOMALY_DIRECTIONS: Final = ("above", "below", "both")
_SEASONALITIES: Final = ("hourly", "daily", "weekly")
_SEASONAL_ALGORITHMS: Final = ("agile", "robust")
_METHODS_WITHOUT_ARGUMENTS: Final = ("as_count", "as_rate", "weighted")
_ROLLUP_AGGREGATIONS: Final = ("avg", "sum", "min", "max", "count")
_FILL_MODES: Final = ("null", "zero", "linear", "last")


@dataclass(frozen=True)
class _AlgorithmCall:
    name: str
    start: int
    algorithm: str
    bounds: float
    options: dict[str, _Text]


@dataclass
class _ExpressionFacts:
    """What parsing an expression found, beyond its validity."""

    group_by: list[str] = field(default_factory=list)
    space_aggregators: list[_Text] = field(default_factory=list)
    algorithm_calls: list[_AlgorithmCall] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    def add_group_by(self, keys: list[str]) -> None:
        self.group_by.extend(key for key in keys if key not in self.group_by)


def _parse_expression(
    scanner: _Scanner, facts: _ExpressionFacts, formula: bool
) -> _AlgorithmCall | None:
    """Arithmetic over operands; returns the algorithm call when it is the whole expression."""
    whole = _parse_term(scanner, facts, formula)
    while scanner.accept("+") or scanner.accept("-"):
        _parse_term(scanner, facts, formula)
        whole = None
    return whole


def _parse_term(scanner: _Scanner, facts: _ExpressionFacts, formula: bool) -> _AlgorithmCall | None:
    whole = _parse_factor(scanner, facts, formula)
    while scanner.accept("*") or scanner.accept("/"):
        _parse_factor(scanner, facts, formula)
        whole = None
    return whole


def _parse_factor(
    scanner: _Scanner, facts: _ExpressionFacts, formula: bool
) -> _AlgorithmCall | None:
    if scanner.accept("-"):
        _parse_factor(scanner, facts, formula)
        return None
    if scanner.accept("("):
        inner = _parse_expression(scanner, facts, formula)
        scanner.expect(")", "to close the parenthesised expression")
        return inner
    if scanner.match(_NUMBER):
        return None
    word = scanner.match(_WORD)
    if word is None:
        operand = "a variable" if formula else "a metric query"
        raise scanner.error(f"expected {operand}, a function, a number or '('")
    if scanner.peek("("):
        return _parse_function(scanner, word, facts, formula)
    if not formula and scanner.peek(":"):
        _parse_metric_query(scanner, _Text(word.group(), word.start(), quoted=False), facts)
        return None
    if formula and "." not in word.group():
        facts.variables.append(word.group())
        return None
    raise scanner.error(
        f"expected a metric query such as avg:{word.group()}{{*}}", word.start(), word.end()
    )


def _check_space_aggregator(scanner: _Scanner, aggregator: _Text) -> None:
    percentile = _PERCENTILE_AGGREGATOR.fullmatch(aggregator.text)
    if aggregator.text in _SPACE_AGGREGATORS or (
        percentile and 0 < float(percentile.group(1)) < 100
    ):
        return
    raise scanner.error(
        f"unknown space aggregator {aggregator.text!r} (expected {_join(_SPACE_AGGREGATORS)} or a "
        "percentile such as p95)",
        aggregator.start,
        aggregator.end,
    )


def _parse_metric_query(scanner: _Scanner, aggregator: _Text, facts: _ExpressionFacts) -> None:
    _check_space_aggregator(scanner, aggregator)
    facts.space_aggregators.append(aggregator)
    scanner.expect(":", "after the space aggregator")
    metric = scanner.match(_METRIC_NAME)
    if metric is None:
        raise scanner.error(f"expected a metric name after '{aggregator.text}:'")
    if not scanner.peek("{"):
        raise scanner.error(
            f"metric {metric.group()!r} needs a tag filter in braces, e.g. {metric.group()}{{*}}"
        )
    _parse_tag_filter(scanner)
    grouped = False
    while True:
        if scanner.accept("."):
            _parse_method(scanner)
        elif not grouped and scanner.match(_BY):
            facts.add_group_by(_parse_group_keys(scanner))
            grouped = True
        else:
            return


def _parse_group_keys(scanner: _Scanner) -> list[str]:
    scanner.expect("{", "after 'by'")
    keys: list[str] = []
    while True:
        key = scanner.match(_GROUP_KEY)
        if key is None:
            raise scanner.error("expected a tag key to group by, e.g. by {host}")
        keys.append(key.group())
        if not scanner.accept(","):
            scanner.expect("}", "to close the group-by")
            return keys


def _parse_tag_filter(scanner: _Scanner) -> None:
    scanner.expect("{", "to open the tag filter")
    if not scanner.accept("*"):
        _parse_tag_or(scanner)
        while scanner.accept(","):
            _parse_tag_or(scanner)
    if not scanner.accept("}"):
        raise scanner.error("expected ',', AND, OR or '}' in the tag filter")


def _parse_tag_or(scanner: _Scanner) -> None:
    _parse_tag_and(scanner)
    while scanner.match(_TAG_OR):
        _parse_tag_and(scanner)


def _parse_tag_and(scanner: _Scanner) -> None:
    _parse_tag_not(scanner)
    while scanner.match(_TAG_AND):
        _parse_tag_not(scanner)


def _parse_tag_not(scanner: _Scanner) -> None:
    if scanner.accept("!") or scanner.match(_TAG_NOT):
        _parse_tag_not(scanner)
    elif scanner.accept("("):
        _parse_tag_or(scanner)
        scanner.expect(")", "to close the tag group")
    else:
        _parse_tag_term(scanner)


def _parse_tag_term(scanner: _Scanner) -> None:
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


def _parse_method(scanner: _Scanner) -> None:
    name = scanner.match(_IDENTIFIER)
    if name is None:
        raise scanner.error("expected a method name after '.'")
    method = name.group()
    scanner.expect("(", f"after .{method}")
    if method in _METHODS_WITHOUT_ARGUMENTS:
        scanner.expect(")", f"(.{method}() takes no arguments)")
    elif method == "rollup":
        _parse_method_word(scanner, "rollup aggregation", _ROLLUP_AGGREGATIONS)
        _parse_optional_count(scanner, method, "rollup interval in seconds", minimum=1)
    elif method == "fill":
        _parse_method_word(scanner, "fill mode", _FILL_MODES)
        _parse_optional_count(scanner, method, "fill limit in seconds", minimum=0)
    else:
        known = (*_METHODS_WITHOUT_ARGUMENTS, "fill", "rollup")
        raise scanner.error(
            f"unknown method .{method}() (expected {_join(known)})", name.start(), name.end()
        )


def _parse_method_word(scanner: _Scanner, what: str, allowed: tuple[str, ...]) -> None:
    word = scanner.match(_IDENTIFIER)
    if word is None or word.group() not in allowed:
        start = scanner.pos if word is None else word.start()
        raise scanner.error(
            f"unknown {what} (expected {_join(allowed)})", start, word.end() if word else None
        )


def _parse_optional_count(scanner: _Scanner, method: str, what: str, minimum: int) -> None:
    if scanner.accept(","):
        count = scanner.match(_INTEGER)
        if count is None or int(count.group()) < minimum:
            raise scanner.error(f"the {what} must be a whole number of at least {minimum}")
    scanner.expect(")", f"to close .{method}(...)")


def _parse_function(
    scanner: _Scanner, name: re.Match[str], facts: _ExpressionFacts, formula: bool
) -> _AlgorithmCall | None:
    function = name.group()
    if function in _ALGORITHMS:
        call = _parse_algorithm(scanner, name, facts)
        facts.algorithm_calls.append(call)
        return call
    if function not in _FUNCTIONS and not _RANK_FUNCTION.fullmatch(function):
        raise scanner.error(f"unknown function {function!r}", name.start(), name.end())
    scanner.expect("(", f"after {function}")
    if not scanner.accept(")"):
        _parse_argument(scanner, facts, formula)
        while scanner.accept(","):
            _parse_argument(scanner, facts, formula)
        scanner.expect(")", f"to close {function}(...)")
    return None


def _parse_argument(scanner: _Scanner, facts: _ExpressionFacts, formula: bool) -> None:
    if scanner.match(_KEYWORD_ARGUMENT):
        _read_literal(scanner)
    elif scanner.current() in ("'", '"'):
        _read_string(scanner)
    else:
        _parse_expression(scanner, facts, formula)


def _read_literal(scanner: _Scanner) -> _Text:
    if scanner.current() in ("'", '"'):
        return _read_string(scanner)
    number = scanner.match(_SIGNED_NUMBER)
    if number is None:
        raise scanner.error("expected a number or a quoted string")
    return _Text(number.group(), number.start(), quoted=False)


def _read_positive_number(scanner: _Scanner, what: str) -> float:
    number = scanner.match(_SIGNED_NUMBER)
    if number is None:
        raise scanner.error(f"expected a number for the {what}")
    if float(number.group()) <= 0:
        raise scanner.error(f"the {what} must be positive", number.start(), number.end())
    return float(number.group())


def _parse_algorithm(
    scanner: _Scanner, name: re.Match[str], facts: _ExpressionFacts
) -> _AlgorithmCall:
    """anomalies/forecast/outliers(QUERY, 'algorithm', number[, number], name=value, ...)."""
    function = name.group()
    scanner.expect("(", f"after {function}")
    calls_before = len(facts.algorithm_calls)
    _parse_expression(scanner, facts, formula=False)
    if len(facts.algorithm_calls) > calls_before:
        nested = facts.algorithm_calls[calls_before]
        raise scanner.error(f"{nested.name}() cannot be nested inside {function}()", nested.start)
    scanner.expect(",", f"after the query inside {function}(), then the algorithm")
    algorithm = _read_literal(scanner)
    allowed = _ALGORITHMS[function]
    if not algorithm.quoted or algorithm.text.lower() not in allowed:
        raise scanner.error(
            f"unknown {function} algorithm {algorithm.text!r} (expected {_join(allowed)})",
            algorithm.start,
            algorithm.end,
        )
    scanner.expect(",", f"after the {function} algorithm, then its bounds")
    bounds = _read_positive_number(scanner, f"{function} bounds")
    options: dict[str, _Text] = {}
    while scanner.accept(","):
        option = scanner.match(_KEYWORD_ARGUMENT)
        if option is None and function == "outliers" and not options:
            # outliers takes a second number: the percentage of series that must be outliers.
            _read_positive_number(scanner, "outliers percentage")
            continue
        if option is None:
            raise scanner.error(f"expected name=value options in {function}()")
        known = _ALGORITHM_OPTIONS[function]
        if option.group(1) not in known:
            raise scanner.error(
                f"unknown {function}() option {option.group(1)!r}"
                f" (expected {_join(known) if known else 'no options'})",
                option.start(),
                option.end(1),
            )
        options[option.group(1)] = _read_literal(scanner)
    scanner.expect(")", f"to close {function}(...)")
    return _AlgorithmCall(function, name.start(), algorithm.text.lower(), bounds, options)


def _anomaly_params(scanner: _Scanner, call: _AlgorithmCall) -> AnomalyParams:
    options = call.options
    written_window = options.get("alert_window")
    if written_window is None:
        raise scanner.error(
            "anomalies() needs alert_window='last_<N>m', the recent window that must be anomalous",
            call.start,
        )
    for seasonal_option in ("seasonality", "timezone"):
        value = options.get(seasonal_option)
        if value is not None and call.algorithm not in _SEASONAL_ALGORITHMS:
            raise scanner.error(
                f"{seasonal_option} does not apply to the {call.algorithm!r} algorithm"
                " (only agile and robust are seasonal)",
                value.start,
                value.end,
            )

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        value = options.get(name)
        if value is not None and (not value.quoted or value.text not in allowed):
            raise scanner.error(
                f"anomalies() {name} must be one of {_join(allowed)}", value.start, value.end
            )
        return None if value is None else value.text

    interval = options.get("interval")
    if interval is not None and (
        interval.quoted or not interval.text.isdigit() or interval.text == "0"
    ):
        raise scanner.error(
            "anomalies() interval must be a positive whole number of seconds",
            interval.start,
            interval.end,
        )
    count_default_zero = choice("count_default_zero", ("true", "false"))
    timezone = options.get("timezone")
    return AnomalyParams(
        algorithm=call.algorithm,
        bounds=call.bounds,
        alert_window=_ANOMALY_WINDOW.check(scanner.query, written_window),
        direction=choice("direction", _ANOMALY_DIRECTIONS),
        interval=None if interval is None else int(interval.text),
        count_default_zero=None if count_default_zero is None else count_default_zero == "true",
        seasonality=choice("seasonality", _SEASONALITIES),
        timezone=None if timezone is None else timezone.text,
    )


# --- Query families -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TimeSpec:
    """`avg(last_5m)` or `change(avg(last_5m),last_5m)` before the colon."""

    aggregator: str
    changed: bool
    windows: tuple[_Text, ...]


def _parse_time_spec(scanner: _Scanner, leading: re.Match[str]) -> _TimeSpec:
    changed = leading.group() in _CHANGE_FUNCTIONS
    scanner.expect("(", f"after {leading.group()}")
    aggregator = scanner.match(_IDENTIFIER) if changed else leading
    if aggregator is None:
        raise scanner.error(f"expected a time aggregation inside {leading.group()}(...)")
    if changed:
        scanner.expect("(", f"after {aggregator.group()}")
    if aggregator.group() not in _TIME_AGGREGATORS:
        raise scanner.error(
            f"unknown time aggregator {aggregator.group()!r} (expected "
            f"{_join(_TIME_AGGREGATORS)}; change and pct_change wrap one for change alerts)",
            aggregator.start(),
            aggregator.end(),
        )
    windows = [_read_window_token(scanner)]
    scanner.expect(")", "after the window")
    if changed:
        scanner.expect(",", "then the window to compare with, e.g. change(avg(last_5m),last_5m)")
        windows.append(_read_window_token(scanner))
        scanner.expect(")", f"to close {leading.group()}(...)")
    scanner.expect(":", "after the time aggregation, e.g. avg(last_5m):")
    return _TimeSpec(aggregator.group(), changed, tuple(windows))


def _parse_metric_monitor(scanner: _Scanner, leading: re.Match[str]) -> MonitorQuery:
    time_spec = _parse_time_spec(scanner, leading)
    facts = _ExpressionFacts()
    algorithm = _whole_query_algorithm(scanner, facts, _parse_expression(scanner, facts, False))
    if time_spec.aggregator == "percentile":
        _check_percentile_aggregators(scanner, facts)
    condition = _parse_condition(scanner)
    if scanner.match(_BY):  # the older form puts the group-by after the threshold
        facts.add_group_by(_parse_group_keys(scanner))
    _expect_end(scanner, "the threshold")

    kind = QueryKind.CHANGE if time_spec.changed else QueryKind.METRIC
    if algorithm is not None:
        if time_spec.changed:
            raise scanner.error(
                f"{algorithm.name}() cannot be used in a {leading.group()} alert", algorithm.start
            )
        kind = _ALGORITHM_KINDS[algorithm.name]
    windows = _check_time_windows(scanner.query, kind, time_spec.windows)
    anomaly = None
    if kind is QueryKind.ANOMALY and algorithm is not None:
        anomaly = _anomaly_params(scanner, algorithm)
        windows.append(anomaly.alert_window)
        if not 0 < condition.value <= 1:
            raise scanner.error(
                "anomaly threshold must be a fraction in (0, 1], got "
                + format_number(condition.value),
                condition.threshold.start,
                condition.threshold.end,
            )
    return MonitorQuery(
        kind=kind,
        comparator=condition.comparator,
        threshold=condition.value,
        group_by=tuple(facts.group_by),
        windows=tuple(windows),
        time_aggregator=time_spec.aggregator,
        anomaly=anomaly,
    )


def _check_time_windows(query: str, kind: QueryKind, written: tuple[_Text, ...]) -> list[Window]:
    forward = written[0].text.startswith("next_")
    if kind is QueryKind.FORECAST and not forward:
        raise QueryError(
            "forecast() needs a next_<N> window such as next_1w",
            query,
            written[0].start,
            written[0].end,
        )
    if kind is not QueryKind.FORECAST and forward:
        raise QueryError(
            "next_ windows only apply to forecast() queries",
            query,
            written[0].start,
            written[0].end,
        )
    rule = {QueryKind.FORECAST: _FORECAST_WINDOW, QueryKind.ANOMALY: _ANOMALY_WINDOW}.get(
        kind, _METRIC_WINDOW
    )
    return [rule.check(query, window) for window in written]


def _whole_query_algorithm(
    scanner: _Scanner, facts: _ExpressionFacts, whole: _AlgorithmCall | None
) -> _AlgorithmCall | None:
    if not facts.algorithm_calls:
        return None
    call = facts.algorithm_calls[0]
    if whole is not call or len(facts.algorithm_calls) > 1:
        raise scanner.error(f"{call.name}() must wrap the whole query, not part of it", call.start)
    return call


def _check_percentile_aggregators(scanner: _Scanner, facts: _ExpressionFacts) -> None:
    for aggregator in facts.space_aggregators:
        if not _PERCENTILE_AGGREGATOR.fullmatch(aggregator.text):
            raise scanner.error(
                "percentile() needs a percentile space aggregator on a distribution metric,"
                " e.g. percentile(last_5m):p95:trace.http.request{*}",
                aggregator.start,
                aggregator.end,
            )


_EVENT_METHODS: Final = ("by", "index", "last", "rollup")
_COUNT_ROLLUP: Final = "count"
_MEASURE_ROLLUPS: Final = (
    "cardinality", "avg", "sum", "min", "max", "median", "pc75", "pc90", "pc95", "pc98", "pc99",
)  # fmt: skip


def _parse_chain(
    scanner: _Scanner, source: str, allowed: tuple[str, ...], quoting_hint: bool
) -> dict[str, list[_Text]]:
    """`.name("arg", ...)` calls after a source: each method at most once, arguments in "..."."""
    arguments: dict[str, list[_Text]] = {}
    while scanner.accept("."):
        name = scanner.match(_IDENTIFIER)
        if name is None or name.group() not in allowed:
            raise scanner.error(
                f"unknown method for {source}(...) (expected {_join(allowed)})",
                scanner.pos if name is None else name.start(),
                None if name is None else name.end(),
            )
        method = name.group()
        if method in arguments:
            raise scanner.error(f".{method}() appears twice", name.start(), name.end())
        scanner.expect("(", f"after .{method}")
        values: list[_Text] = []
        while not scanner.accept(")"):
            if values:
                scanner.expect(",", f"between the arguments of .{method}()")
            rejected_form = f".{method}('...')" if quoting_hint else None
            values.append(_read_double_quoted(scanner, f"argument of .{method}()", rejected_form))
        arguments[method] = values
    return arguments


def _one_argument(scanner: _Scanner, arguments: dict[str, list[_Text]], method: str) -> _Text:
    values = arguments[method]
    if len(values) != 1:
        raise scanner.error(f'.{method}() takes one window, e.g. .{method}("5m")')
    return values[0]


def _parse_event_search(scanner: _Scanner, source: str) -> MonitorQuery:
    noun = "log" if source == "logs" else source
    scanner.expect("(", f"after {source}")
    _read_double_quoted(scanner, f"{noun} search", f"{source}('...')")
    scanner.expect(")", f"to close {source}(...)")
    arguments = _parse_chain(scanner, source, _EVENT_METHODS, quoting_hint=True)
    for required in ("rollup", "last"):
        if required not in arguments:
            raise scanner.error(f"{source}(...) needs .{required}(...)")
    _check_rollup(scanner, arguments["rollup"])
    window = _EVENT_WINDOW.check(scanner.query, _one_argument(scanner, arguments, "last"))
    facets = ",".join(value.text for value in arguments.get("by", []))
    condition = _parse_condition(scanner)
    _expect_end(scanner, "the threshold")
    return MonitorQuery(
        kind=QueryKind.EVENT_SEARCH,
        comparator=condition.comparator,
        threshold=condition.value,
        group_by=tuple(facet.strip() for facet in facets.split(",") if facet.strip()),
        windows=(window,),
        data_source=source,
    )


def _check_rollup(scanner: _Scanner, values: list[_Text]) -> None:
    if not values:
        raise scanner.error('.rollup() needs an aggregation, e.g. .rollup("count")')
    aggregation = values[0]
    if aggregation.text == _COUNT_ROLLUP:
        if len(values) > 1:
            raise scanner.error('.rollup("count") takes no measure', values[1].start)
    elif aggregation.text in _MEASURE_ROLLUPS:
        if len(values) != 2:
            raise scanner.error(
                f'.rollup("{aggregation.text}") needs a measure, e.g. '
                f'.rollup("{aggregation.text}", "@duration")',
                aggregation.start,
                aggregation.end,
            )
    else:
        raise scanner.error(
            f"unknown rollup aggregation {aggregation.text!r} "
            f"(expected {_join((_COUNT_ROLLUP, *_MEASURE_ROLLUPS))})",
            aggregation.start,
            aggregation.end,
        )


def _parse_formula(scanner: _Scanner) -> MonitorQuery:
    scanner.expect("(", "after formula")
    formula = _read_double_quoted(scanner, "formula", "formula('...')")
    # Parsed in place, between the quotes, so that errors point into the original query.
    inner = _Scanner(scanner.query, formula.start, scanner.pos - 1)
    if inner.at_end():
        raise inner.error("the formula is empty", formula.start)
    facts = _ExpressionFacts()
    _parse_expression(inner, facts, formula=True)
    _expect_end(inner, "the formula expression")
    if facts.algorithm_calls:
        call = facts.algorithm_calls[0]
        raise inner.error(f"{call.name}() is not a formula function", call.start)
    scanner.expect(")", "to close formula(...)")
    arguments = _parse_chain(scanner, "formula", ("last",), quoting_hint=True)
    if "last" not in arguments:
        raise scanner.error('formula(...) needs .last("<window>"), e.g. .last("15m")')
    window = _EVENT_WINDOW.check(scanner.query, _one_argument(scanner, arguments, "last"))
    condition = _parse_condition(scanner)
    _expect_end(scanner, "the threshold")
    return MonitorQuery(
        kind=QueryKind.FORMULA,
        comparator=condition.comparator,
        threshold=condition.value,
        windows=(window,),
        variables=tuple(dict.fromkeys(facts.variables)),
    )


_SERVICE_CHECK_METHODS: Final = ("by", "count_by_status", "exclude", "last", "over")


def _parse_service_check(scanner: _Scanner) -> MonitorQuery:
    """`"check".over("tags").by("tag").last(N).count_by_status()`; last() takes a bare count."""
    _read_double_quoted(scanner, "service check name")
    arguments: dict[str, list[str]] = {}
    while not scanner.at_end():
        if "count_by_status" in arguments:
            raise scanner.error("unexpected text after .count_by_status(), which must come last")
        scanner.expect(".", "between service check methods")
        name = scanner.match(_IDENTIFIER)
        if name is None or name.group() not in _SERVICE_CHECK_METHODS:
            raise scanner.error(
                f"unknown service check method (expected {_join(_SERVICE_CHECK_METHODS)})",
                scanner.pos if name is None else name.start(),
                None if name is None else name.end(),
            )
        method = name.group()
        scanner.expect("(", f"after .{method}")
        arguments[method] = (
            [] if method == "count_by_status" else _service_check_values(scanner, method)
        )
        scanner.expect(")", f"to close .{method}(...)")
    for required in ("over", "last", "count_by_status"):
        if required not in arguments:
            raise scanner.error(f"a service check query needs .{required}(...)")
    return MonitorQuery(
        kind=QueryKind.SERVICE_CHECK,
        comparator=None,
        threshold=None,
        group_by=tuple(arguments.get("by", ())),
    )


def _service_check_values(scanner: _Scanner, method: str) -> list[str]:
    if method == "last":
        count = scanner.match(_INTEGER)
        if count is None or int(count.group()) == 0:
            raise scanner.error(".last() takes the number of checks to count, e.g. .last(3)")
        return [count.group()]
    values = [_read_double_quoted(scanner, f"argument of .{method}()").text]
    while scanner.accept(","):
        values.append(_read_double_quoted(scanner, f"argument of .{method}()").text)
    return values


def _parse_slo(scanner: _Scanner, function: str) -> MonitorQuery:
    scanner.expect("(", f"after {function}")
    _read_double_quoted(scanner, "SLO id")
    scanner.expect(")", f"to close {function}(...)")
    methods = ("over",) if function == "error_budget" else ("over", "long_window", "short_window")
    arguments = _parse_chain(scanner, function, methods, quoting_hint=False)
    missing = [method for method in methods if method not in arguments]
    if missing:
        raise scanner.error(f"{function}(...) needs .{missing[0]}(...)")
    target = _one_argument(scanner, arguments, "over")
    if target.text not in _SLO_TARGET_WINDOWS:
        raise scanner.error(
            f"the SLO window in .over() must be {_join(_SLO_TARGET_WINDOWS)}",
            target.start,
            target.end,
        )
    windows = tuple(
        _SLO_WINDOW.check(scanner.query, _one_argument(scanner, arguments, method))
        for method in methods
    )
    condition = _parse_condition(scanner)
    _expect_end(scanner, "the threshold")
    return MonitorQuery(
        kind=QueryKind.SLO,
        comparator=condition.comparator,
        threshold=condition.value,
        windows=windows,
    )


def _parse_composite(scanner: _Scanner) -> MonitorQuery:
    monitor_ids: list[int] = []

    def operand() -> None:
        if scanner.accept("!"):
            operand()
        elif scanner.accept("("):
            expression()
            scanner.expect(")", "to close the group")
        else:
            monitor_id = scanner.match(_INTEGER)
            if monitor_id is None:
                raise scanner.error("expected a monitor id in the composite")
            monitor_ids.append(int(monitor_id.group()))

    def expression() -> None:
        operand()
        while scanner.accept("&&") or scanner.accept("||"):
            operand()

    expression()
    _expect_end(scanner, "the composite expression (only ids, &&, ||, ! and parentheses)")
    return MonitorQuery(
        kind=QueryKind.COMPOSITE, comparator=None, threshold=None, monitor_ids=tuple(monitor_ids)
    )


def parse_monitor_query(query: str) -> MonitorQuery:
    """Parse any monitor query.

    Raises QueryError for anything Datadog would reject and for anything not understood.
    """
    _check_balanced(query)
    scanner = _Scanner(query)
    first = scanner.current()
    if not first:
        raise scanner.error("the query is empty")
    if first in "\"'":
        return _parse_service_check(scanner)
    if first.isdigit() or first in "!(":
        return _parse_composite(scanner)
    leading = scanner.match(_SOURCE_WORD)
    if leading is None or not scanner.peek("("):
        raise scanner.error(
            'expected a query such as avg(last_5m):avg:metric{*} > 1, logs("...")..., '
            'formula("..."), a double-quoted service check, error_budget("...") or monitor ids',
            0 if leading is None else leading.start(),
            None if leading is None else leading.end(),
        )
    word = leading.group()
    if word in ("error_budget", "burn_rate"):
        return _parse_slo(scanner, word)
    if word == "formula":
        return _parse_formula(scanner)
    if word in EVENT_SEARCH_SOURCES or word.startswith(ERROR_TRACKING_PREFIX):
        return _parse_event_search(scanner, word)
    if query[scanner.pos + 1 :].lstrip()[:1] in ("'", '"'):
        sources = (*sorted(EVENT_SEARCH_SOURCES), ERROR_TRACKING_PREFIX + "*")
        raise scanner.error(
            f"unknown data source {word!r} (expected {', '.join(sources)})",
            leading.start(),
            leading.end(),
        )
    return _parse_metric_monitor(scanner, leading)
