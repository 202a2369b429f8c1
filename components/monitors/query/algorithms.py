"""The algorithm functions that turn a metric monitor into an anomaly, forecast or outlier one:

    algorithm call  = algorithm "(" metric expression "," string "," signed number
                      [ "," signed number ]                     (* outliers only: a percentage *)
                      { "," option "=" ( string | signed number ) } ")" ;
    algorithm       = "anomalies" | "forecast" | "outliers" ;
    option          = anomaly option | forecast option ;        (* outliers takes none *)

The string names the algorithm (case-insensitive): basic, agile or robust for anomalies; linear or
seasonal for forecast; dbscan, mad, scaleddbscan or scaledmad for outliers. The first number is
the bounds and must be positive. An algorithm call may not nest inside another.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from components.monitors.query.result import AnomalyParams, QueryKind
from components.monitors.query.scanner import (
    KEYWORD_ARGUMENT,
    SIGNED_NUMBER,
    Scanner,
    Text,
    join,
)
from components.monitors.query.vocabulary import (
    ANOMALY_ALGORITHMS,
    ANOMALY_DIRECTIONS,
    ANOMALY_OPTIONS,
    FORECAST_ALGORITHMS,
    FORECAST_OPTIONS,
    OUTLIER_ALGORITHMS,
    SEASONAL_ALGORITHMS,
    SEASONALITIES,
)
from components.monitors.query.windows import ANOMALY_WINDOW


@dataclass(frozen=True)
class _Algorithm:
    kind: QueryKind
    names: tuple[str, ...]
    options: tuple[str, ...]


ALGORITHMS: Final = {
    "anomalies": _Algorithm(QueryKind.ANOMALY, ANOMALY_ALGORITHMS, ANOMALY_OPTIONS),
    "forecast": _Algorithm(QueryKind.FORECAST, FORECAST_ALGORITHMS, FORECAST_OPTIONS),
    "outliers": _Algorithm(QueryKind.OUTLIER, OUTLIER_ALGORITHMS, ()),
}


@dataclass(frozen=True)
class AlgorithmCall:
    name: str
    start: int
    algorithm: str
    bounds: float
    options: dict[str, Text]

    @property
    def kind(self) -> QueryKind:
        return ALGORITHMS[self.name].kind


def parse_algorithm_call(
    scanner: Scanner, name: re.Match[str], read_query: Callable[[], list[AlgorithmCall]]
) -> AlgorithmCall:
    """The call whose name has been read; `read_query` parses the wrapped metric expression and
    returns the algorithm calls found inside it."""
    function = name.group()
    scanner.expect("(", f"after {function}")
    nested = read_query()
    if nested:
        raise scanner.error(
            f"{nested[0].name}() cannot be nested inside {function}()", nested[0].start
        )
    scanner.expect(",", f"after the query inside {function}(), then the algorithm")
    algorithm = read_literal(scanner)
    allowed = ALGORITHMS[function].names
    if not algorithm.quoted or algorithm.text.lower() not in allowed:
        raise scanner.error(
            f"unknown {function} algorithm {algorithm.text!r} (expected {join(allowed)})",
            algorithm.start,
            algorithm.end,
        )
    scanner.expect(",", f"after the {function} algorithm, then its bounds")
    bounds = _read_positive_number(scanner, f"{function} bounds")
    options: dict[str, Text] = {}
    while scanner.accept(","):
        option = scanner.match(KEYWORD_ARGUMENT)
        if option is None and function == "outliers" and not options:
            # outliers takes a second number: the percentage of series that must be outliers.
            _read_positive_number(scanner, "outliers percentage")
            continue
        if option is None:
            raise scanner.error(f"expected name=value options in {function}()")
        known = ALGORITHMS[function].options
        if option.group(1) not in known:
            raise scanner.error(
                f"unknown {function}() option {option.group(1)!r}"
                f" (expected {join(known) if known else 'no options'})",
                option.start(),
                option.end(1),
            )
        options[option.group(1)] = read_literal(scanner)
    scanner.expect(")", f"to close {function}(...)")
    return AlgorithmCall(function, name.start(), algorithm.text.lower(), bounds, options)


def read_literal(scanner: Scanner) -> Text:
    if scanner.current() in ("'", '"'):
        return scanner.read_string()
    number = scanner.match(SIGNED_NUMBER)
    if number is None:
        raise scanner.error("expected a number or a quoted string")
    return Text(number.group(), number.start(), quoted=False)


def _read_positive_number(scanner: Scanner, what: str) -> float:
    number = scanner.match(SIGNED_NUMBER)
    if number is None:
        raise scanner.error(f"expected a number for the {what}")
    if float(number.group()) <= 0:
        raise scanner.error(f"the {what} must be positive", number.start(), number.end())
    return float(number.group())


def anomaly_params(scanner: Scanner, call: AlgorithmCall) -> AnomalyParams:
    """The options of an anomalies() call, checked against one another."""
    options = call.options
    written_window = options.get("alert_window")
    if written_window is None:
        raise scanner.error(
            "anomalies() needs alert_window='last_<N>m', the recent window that must be anomalous",
            call.start,
        )
    for seasonal_option in ("seasonality", "timezone"):
        value = options.get(seasonal_option)
        if value is not None and call.algorithm not in SEASONAL_ALGORITHMS:
            # Datadog accepts it and ignores it: its anomaly monitor reference says to leave
            # seasonality out with basic (DataDog/documentation, content/en/monitors/types/
            # anomaly.md, "seasonality"), and time zones only shift seasonal patterns.
            scanner.warn(
                f"{seasonal_option} does not apply to the {call.algorithm!r} algorithm"
                " (only agile and robust are seasonal)",
                value.start,
                value.end,
            )

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        value = options.get(name)
        if value is not None and (not value.quoted or value.text not in allowed):
            raise scanner.error(
                f"anomalies() {name} must be one of {join(allowed)}", value.start, value.end
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
        alert_window=ANOMALY_WINDOW.check(scanner.query, written_window),
        direction=choice("direction", ANOMALY_DIRECTIONS),
        interval=None if interval is None else int(interval.text),
        count_default_zero=None if count_default_zero is None else count_default_zero == "true",
        seasonality=choice("seasonality", SEASONALITIES),
        timezone=None if timezone is None else timezone.text,
    )
