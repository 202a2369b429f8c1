"""Time windows, the one part of the grammar every threshold family shares.

    metric window   = "last_" integer ( "m" | "h" | "d" | "w" | "mo" ) ; (* 1m to 1mo *)
    change window   = "last_" integer ( "m" | "h" | "d" | "w" | "mo" ) ; (* 1m to 1w *)
    anomaly window  = "last_" integer ( "m" | "h" | "d" | "w" | "mo" ) ; (* 1m to 2w *)
    forecast window = "next_" integer ( "h" | "d" | "w" | "mo" ) ;     (* 12h to 3mo *)
    search window   = integer ( "m" | "h" | "d" ) ;                    (* 1m to 48h *)
    slo window      = integer ( "m" | "h" | "d" ) ;                    (* 1m to 90d *)

The range of each is checked after reading, so that `last_0m` is refused with the range it broke.
A threshold metric monitor looks back up to a month ("a custom time window of up to 1 month",
DataDog/documentation, content/en/monitors/configuration/_index.md, "Rolling time windows"); a
month is 30 days here, as in forecast windows. Change and outlier monitors keep the week the
API reference gives them.
"""

import re
from dataclasses import dataclass
from typing import Final

from components.monitors.query.scanner import QueryError, Scanner, Text
from components.monitors.query.vocabulary import FORECAST_UNITS, LAST_UNITS, SEARCH_UNITS

_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 604800
_MONTH = 30 * _DAY
_UNIT_SECONDS: Final = {"m": _MINUTE, "h": _HOUR, "d": _DAY, "w": _WEEK, "mo": _MONTH}
_WINDOW_TOKEN = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Window:
    text: str
    """The window as written in the query: `last_5m`, `next_1w`, `5m`, `7d`."""
    seconds: int


@dataclass(frozen=True)
class WindowRule:
    prefix: str
    units: tuple[str, ...]
    min_seconds: int
    max_seconds: int
    description: str

    def check(self, query: str, written: Text) -> Window:
        units = "|".join(self.units)
        found = re.fullmatch(rf"{self.prefix}(\d+)({units})", written.text)
        seconds = int(found.group(1)) * _UNIT_SECONDS[found.group(2)] if found else 0
        if not self.min_seconds <= seconds <= self.max_seconds:
            raise QueryError(
                f"invalid window {written.text!r}: {self.description}",
                query,
                written.start,
                written.end,
            )
        return Window(written.text, seconds)


METRIC_WINDOW: Final = WindowRule(
    "last_",
    LAST_UNITS,
    _MINUTE,
    _MONTH,
    "metric windows run from last_1m to last_1mo (at most last_43200m, last_720h or last_30d)",
)
CHANGE_WINDOW: Final = WindowRule(
    "last_",
    LAST_UNITS,
    _MINUTE,
    _WEEK,
    "change and outlier windows run from last_1m to last_1w (at most last_10080m, last_168h "
    "or last_7d)",
)
# Anomaly monitors look further back than threshold monitors: two weeks of history is common.
ANOMALY_WINDOW: Final = WindowRule(
    "last_", LAST_UNITS, _MINUTE, 2 * _WEEK, "anomaly windows run from last_1m to last_2w"
)
FORECAST_WINDOW: Final = WindowRule(
    "next_",
    FORECAST_UNITS,
    12 * _HOUR,
    3 * _MONTH,
    "forecast windows run from next_12h to next_3mo",
)
SEARCH_WINDOW: Final = WindowRule(
    "", SEARCH_UNITS, _MINUTE, 2 * _DAY, "windows run from 1m to 2880m (48h)"
)
SLO_WINDOW: Final = WindowRule(
    "", SEARCH_UNITS, _MINUTE, 90 * _DAY, "SLO windows run from 1m to 90d"
)


def parse_window(text: str) -> Window:
    """A `last_<N><unit>` window on its own, such as an anomaly monitor's recovery_window."""
    return ANOMALY_WINDOW.check(text, Text(text, 0))


def read_window_token(scanner: Scanner) -> Text:
    found = scanner.match(_WINDOW_TOKEN)
    if found is None:
        raise scanner.error("expected a window such as last_5m")
    return Text(found.group(), found.start(), quoted=False)
