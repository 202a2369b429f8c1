import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.problems import Problem
from stacks.validation.dashboards import validate_dashboard
from tests.shared_data import corpus_files, shared_dir

CORPUS = corpus_files("datadog-dashboards")


def _corpus_id(path: Path) -> str:
    return str(path.relative_to(shared_dir() / "corpus" / "datadog-dashboards"))


@pytest.mark.parametrize("path", CORPUS, ids=_corpus_id)
def test_every_exported_dashboard_is_valid(path: Path) -> None:
    assert validate_dashboard(json.loads(path.read_text())) == []


def _dashboard() -> dict[str, Any]:
    """A small valid dashboard touching widgets, a group, formulas and template variables."""
    return {
        "title": "checkout",
        "layout_type": "ordered",
        "template_variables": [{"name": "env", "prefix": "env", "defaults": ["production"]}],
        "widgets": [
            {"definition": {"type": "note", "content": "Read me"}},
            {
                "id": 1234,
                "layout": {"x": 0, "y": 0, "width": 4, "height": 2},
                "definition": {
                    "type": "timeseries",
                    "title": "Load",
                    "requests": [{"q": "avg:system.load.1{$env}", "display_type": "line"}],
                },
            },
            {
                "definition": {
                    "type": "group",
                    "layout_type": "ordered",
                    "title": "Traffic",
                    "widgets": [
                        {
                            "definition": {
                                "type": "query_value",
                                "requests": [
                                    {
                                        "response_format": "scalar",
                                        "queries": [
                                            {
                                                "data_source": "metrics",
                                                "name": "hits",
                                                "query": "sum:trace.flask.request.hits{$env}",
                                                "aggregator": "sum",
                                            }
                                        ],
                                        "formulas": [{"formula": "hits"}],
                                    }
                                ],
                            }
                        }
                    ],
                }
            },
        ],
    }


def _parent(dashboard: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    """The object or list holding the last step of `path`."""
    parent: Any = dashboard
    for step in path[:-1]:
        parent = parent[step]
    return parent


def _only_problem(dashboard: dict[str, Any]) -> Problem:
    problems = validate_dashboard(dashboard)
    assert len(problems) == 1, problems
    return problems[0]


def test_the_base_dashboard_is_valid() -> None:
    assert validate_dashboard(_dashboard()) == []


def test_a_misspelled_widget_type_is_reported_at_its_field() -> None:
    dashboard = _dashboard()
    dashboard["widgets"][1]["definition"]["type"] = "timeseriez"

    problem = _only_problem(dashboard)

    assert problem.path == "widgets[1].definition.type"
    assert problem.reason.startswith("unknown value 'timeseriez' (did you mean 'timeseries'?)")
    assert "query_value" in problem.reason


def test_an_unknown_enum_in_a_request_is_reported_at_its_field() -> None:
    dashboard = _dashboard()
    dashboard["widgets"][1]["definition"]["requests"][0]["display_type"] = "lines"

    problem = _only_problem(dashboard)

    assert problem.path == "widgets[1].definition.requests[0].display_type"
    assert problem.reason == (
        "unknown value 'lines' (did you mean 'line'?); expected one of: area, bars, line, overlay"
    )


def test_an_unknown_enum_inside_a_group_and_a_query_is_reported_at_its_field() -> None:
    dashboard = _dashboard()
    inner = dashboard["widgets"][2]["definition"]["widgets"][0]["definition"]
    inner["requests"][0]["queries"][0]["aggregator"] = "average"

    problem = _only_problem(dashboard)

    assert problem.path == (
        "widgets[2].definition.widgets[0].definition.requests[0].queries[0].aggregator"
    )
    assert problem.reason.startswith("unknown value 'average'")


def test_an_unknown_query_data_source_is_reported_at_its_field() -> None:
    dashboard = _dashboard()
    inner = dashboard["widgets"][2]["definition"]["widgets"][0]["definition"]
    inner["requests"][0]["queries"][0]["data_source"] = "metric"

    problem = _only_problem(dashboard)

    assert problem.path == (
        "widgets[2].definition.widgets[0].definition.requests[0].queries[0].data_source"
    )
    assert "did you mean 'metrics'?" in problem.reason


@pytest.mark.parametrize(
    ("path", "value", "expected_path", "expected_reason"),
    [
        pytest.param(("title",), 42, "title", "expected string, got integer 42", id="title"),
        pytest.param(
            ("widgets", 1, "layout", "width"),
            "4",
            "widgets[1].layout.width",
            "expected integer, got string '4'",
            id="layout-width",
        ),
        pytest.param(
            ("widgets", 1, "definition", "requests"),
            {"q": "avg:system.load.1{*}"},
            "widgets[1].definition.requests",
            "expected list, got object",
            id="requests-not-a-list",
        ),
        pytest.param(
            ("template_variables", 0, "defaults"),
            "production",
            "template_variables[0].defaults",
            "expected list, got string",
            id="defaults-not-a-list",
        ),
        pytest.param(
            ("title",), None, "title", "must not be null: expected string", id="null-title"
        ),
        pytest.param(
            ("created_at",),
            "yesterday",
            "created_at",
            "expected date-time string, got string 'yesterday'",
            id="unparseable-date",
        ),
    ],
)
def test_a_wrong_type_is_reported_at_its_field(
    path: tuple[str | int, ...], value: Any, expected_path: str, expected_reason: str
) -> None:
    dashboard = _dashboard()
    _parent(dashboard, path)[path[-1]] = value

    assert validate_dashboard(dashboard) == [Problem(expected_path, expected_reason)]


@pytest.mark.parametrize(
    ("path", "expected_path"),
    [
        pytest.param(("title",), "title", id="dashboard-title"),
        pytest.param(
            ("widgets", 1, "definition", "requests"),
            "widgets[1].definition.requests",
            id="timeseries-requests",
        ),
        pytest.param(
            (
                "widgets",
                2,
                "definition",
                "widgets",
                0,
                "definition",
                "requests",
                0,
                "queries",
                0,
                "name",
            ),
            "widgets[2].definition.widgets[0].definition.requests[0].queries[0].name",
            id="query-name",
        ),
        pytest.param(("widgets", 0, "definition"), "widgets[0].definition", id="definition"),
    ],
)
def test_a_missing_required_field_is_reported_at_its_place(
    path: tuple[str | int, ...], expected_path: str
) -> None:
    dashboard = _dashboard()
    del _parent(dashboard, path)[path[-1]]

    assert validate_dashboard(dashboard) == [Problem(expected_path, "required field is missing")]


def test_every_problem_is_reported() -> None:
    dashboard = _dashboard()
    del dashboard["layout_type"]
    dashboard["widgets"][1]["definition"]["requests"][0]["display_type"] = "lines"

    assert [problem.path for problem in validate_dashboard(dashboard)] == [
        "layout_type",
        "widgets[1].definition.requests[0].display_type",
    ]


def test_the_bounds_of_the_api_are_enforced() -> None:
    dashboard = _dashboard()
    dashboard["widgets"][1]["layout"]["width"] = -4
    dashboard["tags"] = ["team:a", "team:b", "team:c", "team:d", "team:e", "team:f"]

    assert validate_dashboard(dashboard) == [
        Problem(
            "widgets[1].layout.width",
            "Invalid value for `width`, must be a value greater than or equal to `0`",
        ),
        Problem(
            "tags", "Invalid value for `tags`, number of items must be less than or equal to `5`"
        ),
    ]


def test_export_only_fields_are_known_to_the_api_models() -> None:
    dashboard = _dashboard()
    dashboard |= {
        "id": "abc-def-ghi",
        "author_handle": "someone@example.com",
        "author_name": None,
        "created_at": "2024-03-01T10:00:00.000000+00:00",
        "modified_at": "2024-03-02T10:00:00.000000+00:00",
        "url": "/dashboard/abc-def-ghi/checkout",
    }

    assert validate_dashboard(dashboard) == []


def test_unknown_keys_are_kept_as_the_api_does() -> None:
    dashboard = _dashboard()
    dashboard["widgets"][1]["definition"]["legend_colums"] = ["avg"]

    assert validate_dashboard(dashboard) == []


def test_forms_datadog_exports_but_the_client_does_not_model_are_accepted() -> None:
    dashboard = _dashboard()
    query = dashboard["widgets"][2]["definition"]["widgets"][0]["definition"]["requests"][0]
    dashboard["widgets"].append({"definition": {"type": "custom", "custom_widget_key": "x"}})
    query["queries"].append(
        {"data_source": "network_device_flows", "name": "bytes", "compute": {"aggregation": "sum"}}
    )
    query["formulas"][0]["conditional_formats"] = [
        {"type": "range", "palette": "transparent_to_green"}
    ]

    assert validate_dashboard(dashboard) == []


def test_an_unmodelled_form_does_not_hide_its_neighbours() -> None:
    dashboard = _dashboard()
    dashboard["widgets"].append({"definition": {"type": "custom"}})
    dashboard["widgets"].append(copy.deepcopy(dashboard["widgets"][1]))
    dashboard["widgets"][-1]["definition"]["type"] = "timeseriez"

    assert [problem.path for problem in validate_dashboard(dashboard)] == [
        "widgets[4].definition.type"
    ]


def test_a_problem_reads_as_path_and_reason() -> None:
    assert str(Problem("widgets[0].definition", "required field is missing")) == (
        "widgets[0].definition: required field is missing"
    )
    assert str(Problem("", "expected object")) == "(whole document): expected object"
