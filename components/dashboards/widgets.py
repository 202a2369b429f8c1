"""Builders for Datadog dashboards in the JSON form of the dashboard API (the form Datadog exports).

Every builder returns plain dicts, so a dashboard is data that can be validated offline
(`stacks.validation.dashboards`) and rendered deterministically
(`components.dashboards.render`). They emit only what differs from Datadog's defaults, so the
JSON stays short and reviewable.

A dashboard is laid out as `Fed` widgets (each with the signals it shows) and `Section`s of them;
`fed_dashboard` keeps the widgets that the stack's telemetry feeds, and says which it left out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.telemetry import Gap, Need, Telemetry

Json = dict[str, Any]


@dataclass(frozen=True)
class MetricQuery:
    """A named metric query that formulas refer to, such as `MetricQuery("hits", "sum:...")`.

    `aggregator` is how widgets showing one number per group (query value, toplist) reduce the
    series over the time frame: `avg`, `sum`, `min`, `max`, `last`, or `percentile` for a `pXX:`
    query on a distribution.
    """

    name: str
    query: str
    aggregator: str = "avg"

    def to_json(self, *, scalar: bool) -> Json:
        query: Json = {"data_source": "metrics", "name": self.name, "query": self.query}
        if scalar:
            query["aggregator"] = self.aggregator
        return query


@dataclass(frozen=True)
class SloQuery:
    """A named query of one measure of an SLO (`burn_rate`, `error_budget_remaining`, ...),
    whose id is written as `${slo:<role>}` until the SLO exists."""

    name: str
    slo_id: str
    measure: str
    slo_type: str
    """metric, time_slice or monitor: Datadog's `slo_query_type`, the SLO's own type."""

    def to_json(self, *, scalar: bool) -> Json:
        del scalar  # an SLO measure is one value per point already; no aggregator applies
        return {
            "data_source": "slo",
            "name": self.name,
            "slo_id": self.slo_id,
            "measure": self.measure,
            "slo_query_type": self.slo_type,
            "group_mode": "overall",
        }


@dataclass(frozen=True)
class Formula:
    """An expression over query names, such as `Formula("100 * errors / hits", "error %")`."""

    expression: str
    alias: str | None = None

    def to_json(self) -> Json:
        formula: Json = {"formula": self.expression}
        if self.alias is not None:
            formula["alias"] = self.alias
        return formula


def timeseries(
    title: str,
    queries: Sequence[MetricQuery | SloQuery],
    formulas: Sequence[Formula],
    *,
    display_type: str = "line",
) -> Json:
    """A timeseries widget plotting each formula as its own line (or bars, or area)."""
    request = _formula_request(queries, formulas, "timeseries")
    request["display_type"] = display_type
    return _widget("timeseries", title=title, requests=[request])


def query_value(
    title: str,
    queries: Sequence[MetricQuery | SloQuery],
    formula: Formula,
    *,
    precision: int = 2,
    unit: str | None = None,
) -> Json:
    """A query value widget: one number, the formula over the whole time frame."""
    definition: Json = {
        "title": title,
        "requests": [_formula_request(queries, [formula], "scalar")],
        "precision": precision,
    }
    if unit is not None:
        definition["custom_unit"] = unit
    return _widget("query_value", **definition)


def toplist(
    title: str,
    queries: Sequence[MetricQuery],
    formula: Formula,
    *,
    limit: int = 10,
) -> Json:
    """A toplist widget: the `limit` groups with the highest value of the formula."""
    request = _formula_request(queries, [formula], "scalar")
    request["sort"] = {
        "count": limit,
        "order_by": [{"type": "formula", "index": 0, "order": "desc"}],
    }
    return _widget("toplist", title=title, requests=[request])


def slo_status(title: str, slo_id: str, time_windows: Sequence[str]) -> Json:
    """An SLO widget: status and remaining error budget in each of `time_windows`."""
    return _widget(
        "slo",
        title=title,
        slo_id=slo_id,
        view_type="detail",
        view_mode="overall",
        time_windows=list(time_windows),
        show_error_budget=True,
    )


def log_stream(
    title: str,
    search: str,
    *,
    columns: Sequence[str] = ("status_line", "timestamp", "host", "service", "content"),
) -> Json:
    """A stream of the logs matching a search, newest first.

    Built as a `list_stream` widget over `logs_stream`: the older `log_stream` widget type only
    works on free-layout dashboards, and these dashboards use the ordered layout.
    """
    request = {
        "response_format": "event_list",
        "query": {"data_source": "logs_stream", "query_string": search, "indexes": []},
        "columns": [{"field": column, "width": "auto"} for column in columns],
    }
    return _widget("list_stream", title=title, requests=[request])


def monitor_summary(title: str, search: str) -> Json:
    """Counts and list of the monitors matching a Manage Monitors search, e.g. `tag:"team:x"`."""
    return _widget(
        "manage_status",
        title=title,
        query=search,
        summary_type="monitors",
        display_format="countsAndList",
    )


def check_status(title: str, check: str, *, tags: Sequence[str]) -> Json:
    """The worst status of a service check over all the sources matching `tags`."""
    return _widget(
        "check_status", title=title, check=check, grouping="cluster", tags=list(tags), group_by=[]
    )


def note(content: str) -> Json:
    """A note widget showing Markdown text."""
    return _widget("note", content=content)


def group(title: str, widgets: Sequence[Json]) -> Json:
    """A titled group laying out its widgets in order."""
    return _widget("group", title=title, layout_type="ordered", widgets=list(widgets))


def template_variable(name: str, *, prefix: str, default: str) -> Json:
    """A template variable `$name` filtering on the tag `prefix`, set to `default` on load."""
    return {"name": name, "prefix": prefix, "defaults": [default]}


@dataclass(frozen=True)
class Fed:
    """A widget and the signals it shows: without all of them it would stay empty."""

    reads: tuple[Need, ...]
    widget: Json

    @property
    def title(self) -> str:
        definition = self.widget["definition"]
        return str(definition.get("title") or definition["type"])


def fed(reads: tuple[Need, ...], *widgets: Json) -> tuple[Fed, ...]:
    """`widgets`, each showing `reads`."""
    return tuple(Fed(reads, widget) for widget in widgets)


@dataclass(frozen=True)
class Section:
    """A titled group of widgets, shown when at least one of them has data."""

    title: str
    widgets: tuple[Fed, ...]
    feature: bool = False
    """A section for a feature that not every source uses (LLM Observability): left out without
    a word where nothing feeds it, rather than reported missing."""


@dataclass(frozen=True)
class LeftOut:
    """A widget or a whole section left off a dashboard: nothing in the stack sends what it
    shows."""

    what: str
    """The widget's title in quotes, or a section's: `'Resources' section`."""
    gap: Gap


@dataclass(frozen=True)
class DashboardBuild:
    """A dashboard with only the widgets that have data, and those it left out."""

    dashboard: Json | None
    """None when no widget would have data: such a dashboard is not worth creating."""
    left_out: tuple[LeftOut, ...]


def fed_dashboard(
    title: str,
    *,
    description: str,
    template_variables: Sequence[Json],
    layout: Sequence[Fed | Section],
    telemetry: Telemetry,
) -> DashboardBuild:
    """An ordered dashboard of the widgets in `layout` that `telemetry` feeds."""
    left_out: list[LeftOut] = []
    widgets: list[Json] = []
    for entry in layout:
        section, items = (entry, entry.widgets) if isinstance(entry, Section) else (None, (entry,))
        judged = [(item, telemetry.gap(item.reads)) for item in items]
        shown = [item.widget for item, gap in judged if gap is None]
        missing = [(item, gap) for item, gap in judged if gap is not None]
        if section is not None and not shown:
            if not section.feature:
                left_out += _section_left_out(section.title, [gap for _, gap in missing])
            continue
        left_out += [LeftOut(f"'{item.title}'", gap) for item, gap in missing]
        if section is None:
            widgets += shown
        else:
            widgets.append(group(section.title, shown))
    dashboard = (
        ordered_dashboard(
            title,
            description=description,
            widgets=widgets,
            template_variables=template_variables,
        )
        if widgets
        else None
    )
    return DashboardBuild(dashboard, tuple(left_out))


def _section_left_out(title: str, gaps: list[Gap]) -> list[LeftOut]:
    # A section missing for one reason is one entry, not one per widget.
    reasons = {gap.reason: gap for gap in gaps}
    return [LeftOut(f"'{title}' section", gap) for gap in reasons.values()]


def ordered_dashboard(
    title: str,
    *,
    description: str,
    widgets: Sequence[Json],
    template_variables: Sequence[Json],
) -> Json:
    """A dashboard whose widgets flow in order and reflow to the screen width."""
    return {
        "title": title,
        "description": description,
        "layout_type": "ordered",
        "reflow_type": "auto",
        "template_variables": list(template_variables),
        "widgets": list(widgets),
    }


def _formula_request(
    queries: Sequence[MetricQuery | SloQuery], formulas: Sequence[Formula], response_format: str
) -> Json:
    scalar = response_format == "scalar"
    return {
        "response_format": response_format,
        "queries": [query.to_json(scalar=scalar) for query in queries],
        "formulas": [formula.to_json() for formula in formulas],
    }


def _widget(widget_type: str, **definition: Any) -> Json:
    return {"definition": {"type": widget_type, **definition}}
