"""Deterministic JSON for the `DashboardJson` resource, so a preview only shows real changes.

The provider stores the dashboard Datadog returns, less the fields Datadog computes (`id`,
`author_handle`, `author_name`, `created_at`, `modified_at`, `url`) and every widget `id`. Those
are left out here too, along with what the Datadog editor writes out although it is the default
(a 16px left-aligned title, an empty widget time meaning "the dashboard's"), so that a dashboard
exported from the UI and one built in code render the same.
"""

import json
from collections.abc import Mapping
from typing import Any

_COMPUTED_FIELDS = frozenset(
    {"id", "author_handle", "author_name", "created_at", "modified_at", "url"}
)
# Keys that only ever appear in widget definitions and requests, with the value Datadog assumes
# when they are absent.
_EDITOR_DEFAULTS: Mapping[str, Any] = {
    "title_size": "16",
    "title_align": "left",
    "time": {},
    "legend_layout": "auto",
    "line_type": "solid",
    "line_width": "normal",
}


def render_dashboard(dashboard: Mapping[str, Any]) -> str:
    """The dashboard as JSON with sorted keys, without computed fields or editor defaults.

    Compact: Pulumi shows a change to a JSON string as a diff of the decoded values, so
    indenting would only cost time (much of it, for hundreds of dashboards); the plan writes each
    dashboard indented for reviewers (stacks/tooling/artifacts.py).
    """
    rendered = {key: value for key, value in dashboard.items() if key not in _COMPUTED_FIELDS}
    # Tabs list the widgets they hold by widget id: there the ids are content, not noise.
    keep_widget_ids = bool(dashboard.get("tabs"))
    rendered["widgets"] = [
        _render_widget(widget, keep_widget_ids) for widget in dashboard.get("widgets", [])
    ]
    return json.dumps(rendered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _render_widget(widget: Mapping[str, Any], keep_ids: bool) -> dict[str, Any]:
    return {
        key: _render_definition(item, keep_ids)
        if key == "definition"
        else _without_editor_defaults(item)
        for key, item in widget.items()
        if keep_ids or key != "id"
    }


def _render_definition(definition: Mapping[str, Any], keep_ids: bool) -> dict[str, Any]:
    # Groups hold widgets of their own, whose ids go too.
    return {
        key: [_render_widget(widget, keep_ids) for widget in item]
        if key == "widgets"
        else _without_editor_defaults(item)
        for key, item in definition.items()
        if not _is_editor_default(key, item)
    }


def _without_editor_defaults(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _without_editor_defaults(item)
            for key, item in value.items()
            if not _is_editor_default(key, item)
        }
    if isinstance(value, list | tuple):
        return [_without_editor_defaults(item) for item in value]
    return value


def _is_editor_default(key: str, value: Any) -> bool:
    return key in _EDITOR_DEFAULTS and value == _EDITOR_DEFAULTS[key]
