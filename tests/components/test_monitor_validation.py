import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from datadog_api_client.v1.model.monitor_type import MonitorType

from components.monitors.query import EVENT_SEARCH_SOURCES
from components.monitors.query.api_models import FORMULA_DATA_SOURCES
from components.monitors.validation import (
    EVENT_SEARCH_MONITOR_TYPES,
    FORMULA_SOURCE_MONITOR_TYPES,
    lint_monitor_files,
    monitor_file,
    validate_monitor,
)
from components.problems import Problem
from tests.shared_data import corpus_files

CORPUS = corpus_files("datadog-monitors")

METRIC_MONITOR: dict[str, Any] = {
    "name": "CPU high",
    "type": "query alert",
    "query": "avg(last_5m):avg:system.cpu.user{env:prod} by {host,service} > 90",
    "message": "CPU is high",
    "priority": 2,
    "options": {
        "thresholds": {
            "critical": 90,
            "warning": 80,
            "critical_recovery": 85,
            "warning_recovery": 75,
        },
        "notify_no_data": True,
        "no_data_timeframe": 10,
        "evaluation_delay": 60,
        "notify_by": ["host"],
    },
}
BELOW_MONITOR: dict[str, Any] = {
    "type": "query alert",
    "query": "min(last_10m):sum:zenoh.router.sessions{*} by {name} < 1",
    "options": {"thresholds": {"critical": 1, "warning": 3, "critical_recovery": 2}},
}
ANOMALY_MONITOR: dict[str, Any] = {
    "type": "query alert",
    "query": (
        "avg(last_4h):anomalies(avg:trace.fastapi.request.hits{env:prod}, 'agile', 2, "
        "direction='above', alert_window='last_15m', interval=60, count_default_zero='true', "
        "seasonality='daily') >= 1"
    ),
    "options": {
        "thresholds": {"critical": 1, "critical_recovery": 0},
        "threshold_windows": {"trigger_window": "last_15m", "recovery_window": "last_30m"},
    },
}
LOG_MONITOR: dict[str, Any] = {
    "type": "log alert",
    "query": 'logs("service:api status:error").index("*").rollup("count").by("service").last("5m")'
    " > 10",
    "options": {"thresholds": {"critical": 10}, "notify_by": ["service"]},
}
FORMULA_MONITOR: dict[str, Any] = {
    "type": "log alert",
    "query": 'formula("errors / total * 100").last("15m") > 5',
    "options": {
        "thresholds": {"critical": 5},
        "notify_by": ["service"],
        "variables": [
            {
                "data_source": "logs",
                "name": "errors",
                "search": {"query": "status:error"},
                "group_by": [{"facet": "service"}],
            },
            {"data_source": "logs", "name": "total", "search": {"query": "*"}},
        ],
    },
}
SERVICE_CHECK_MONITOR: dict[str, Any] = {
    "type": "service check",
    "query": '"http.can_connect".over("*").by("url").last(3).count_by_status()',
    "options": {"thresholds": {"critical": 2, "warning": 1, "ok": 1}},
}


def _with(monitor: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of `monitor` with the dotted `path` set (or removed when value is ...)."""
    changed = copy.deepcopy(monitor)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return changed


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
def test_every_corpus_monitor_is_valid(path: Path) -> None:
    assert monitor_file(path)[1] == []


@pytest.mark.parametrize(
    "monitor",
    [
        METRIC_MONITOR,
        BELOW_MONITOR,
        ANOMALY_MONITOR,
        LOG_MONITOR,
        FORMULA_MONITOR,
        SERVICE_CHECK_MONITOR,
        {"type": "slo alert", "query": 'error_budget("abc").over("7d") > 75'},
        {"type": "composite", "query": "123 && !456"},
        _with(METRIC_MONITOR, "type", "metric alert"),
        _with(METRIC_MONITOR, "priority", "5"),
        _with(METRIC_MONITOR, "options.notify_by", ["*"]),
        _with(LOG_MONITOR, "options.on_missing_data", "show_no_data"),
    ],
    ids=[
        "metric",
        "metric-below",
        "anomaly",
        "log",
        "formula",
        "service-check",
        "slo",
        "composite",
        "legacy-metric-alert",
        "priority-as-string",
        "notify-by-star",
        "on-missing-data-on-log-monitor",
    ],
)
def test_consistent_monitors_have_no_problems(monitor: dict[str, Any]) -> None:
    assert validate_monitor(monitor) == []


@pytest.mark.parametrize(
    ("monitor", "problems"),
    [
        pytest.param(
            _with(METRIC_MONITOR, "type", "query_alert"),
            [
                Problem(
                    "type",
                    "unknown monitor type 'query_alert' (expected one of "
                    + ", ".join(sorted(map(str, MonitorType.allowed_values)))
                    + ")",
                )
            ],
            id="unknown-type",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "type", ...),
            [Problem("type", "required: a Datadog monitor type such as 'query alert'")],
            id="missing-type",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "type", "log alert"),
            [
                Problem(
                    "type",
                    "'log alert' does not match the query, which needs 'query alert' or "
                    "'metric alert'",
                ),
            ],
            id="metric-query-in-log-alert",
        ),
        pytest.param(
            _with(LOG_MONITOR, "type", "query alert"),
            [Problem("type", "'query alert' does not match the query, which needs 'log alert'")],
            id="log-query-in-query-alert",
        ),
        pytest.param(
            _with(
                LOG_MONITOR,
                "query",
                'events("source:x").rollup("count").last("5m") > 10',
            ),
            [
                Problem(
                    "type", "'log alert' does not match the query, which needs 'event-v2 alert'"
                ),
                Problem(
                    "options.notify_by",
                    "'service' is not a group-by key of the query (the query has no group-by)",
                ),
            ],
            id="events-query-in-log-alert",
        ),
        pytest.param(
            _with(FORMULA_MONITOR, "type", "rum alert"),
            [Problem("type", "'rum alert' does not match the query, which needs 'log alert'")],
            id="formula-over-logs-in-rum-alert",
        ),
        pytest.param(
            _with(SERVICE_CHECK_MONITOR, "type", "query alert"),
            [
                Problem(
                    "type", "'query alert' does not match the query, which needs 'service check'"
                )
            ],
            id="service-check-in-query-alert",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "query", "avg(last_5m):avg:system.cpu.user{env:prod} >"),
            [
                Problem(
                    "query",
                    "missing threshold number after '>' (at the end, after char 44: "
                    "'tem.cpu.user{env:prod} >')",
                )
            ],
            id="query-error",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "query", ...),
            [Problem("query", "required: the monitor query as a string")],
            id="missing-query",
        ),
        pytest.param(
            _with(BELOW_MONITOR, "options.thresholds.critical", 0.66),
            [
                Problem(
                    "options.thresholds.critical",
                    "0.66 does not match the threshold in the query (1)",
                ),
            ],
            id="critical-differs-from-query",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.thresholds.critical", "90"),
            [Problem("options.thresholds.critical", "must be a number, got '90'")],
            id="critical-not-a-number",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.thresholds.warning", 95),
            [
                Problem(
                    "options.thresholds.warning",
                    "must be below critical (90) for comparator '>', got 95",
                )
            ],
            id="warning-above-critical-for-above",
        ),
        pytest.param(
            _with(BELOW_MONITOR, "options.thresholds.warning", 0.5),
            [
                Problem(
                    "options.thresholds.warning",
                    "must be above critical (1) for comparator '<', got 0.5",
                )
            ],
            id="warning-below-critical-for-below",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.thresholds.critical_recovery", 91),
            [
                Problem(
                    "options.thresholds.critical_recovery",
                    "must be at or below critical (90) for comparator '>', got 91",
                )
            ],
            id="critical-recovery-above-critical",
        ),
        pytest.param(
            _with(BELOW_MONITOR, "options.thresholds.critical_recovery", 0),
            [
                Problem(
                    "options.thresholds.critical_recovery",
                    "must be at or above critical (1) for comparator '<', got 0",
                )
            ],
            id="critical-recovery-below-critical-for-below",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.thresholds.warning_recovery", 81),
            [
                Problem(
                    "options.thresholds.warning_recovery",
                    "must be at or below warning (80) for comparator '>', got 81",
                )
            ],
            id="warning-recovery-above-warning",
        ),
        pytest.param(
            _with(
                _with(METRIC_MONITOR, "options.thresholds.warning", ...),
                "options.thresholds.warning_recovery",
                70,
            ),
            [Problem("options.thresholds.warning_recovery", "needs a warning threshold")],
            id="warning-recovery-without-warning",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.thresholds.ok", 1),
            [Problem("options.thresholds.ok", "only applies to service checks")],
            id="ok-threshold-outside-service-checks",
        ),
        pytest.param(
            _with(ANOMALY_MONITOR, "options.threshold_windows", ...),
            [
                Problem(
                    "options.threshold_windows",
                    "required for anomaly monitors: trigger_window 'last_15m' (the query's "
                    "alert_window) and a recovery_window",
                )
            ],
            id="anomaly-without-threshold-windows",
        ),
        pytest.param(
            _with(ANOMALY_MONITOR, "options.threshold_windows.trigger_window", "last_5m"),
            [
                Problem(
                    "options.threshold_windows.trigger_window",
                    "must equal the query's alert_window ('last_15m'), got 'last_5m'",
                )
            ],
            id="trigger-window-differs-from-alert-window",
        ),
        pytest.param(
            _with(ANOMALY_MONITOR, "options.threshold_windows.recovery_window", ...),
            [
                Problem(
                    "options.threshold_windows.recovery_window",
                    "required for anomaly monitors, e.g. 'last_15m'",
                )
            ],
            id="anomaly-without-recovery-window",
        ),
        pytest.param(
            _with(ANOMALY_MONITOR, "options.threshold_windows.recovery_window", "15 minutes"),
            [
                Problem(
                    "options.threshold_windows.recovery_window",
                    "invalid window '15 minutes': anomaly windows run from last_1m to last_2w",
                )
            ],
            id="recovery-window-not-a-window",
        ),
        pytest.param(
            _with(ANOMALY_MONITOR, "options.thresholds.critical", 0.5),
            [
                Problem(
                    "options.thresholds.critical",
                    "0.5 does not match the threshold in the query (1)",
                )
            ],
            id="anomaly-critical-differs",
        ),
        pytest.param(
            _with(
                METRIC_MONITOR,
                "options.threshold_windows",
                {"trigger_window": "last_5m", "recovery_window": "last_5m"},
            ),
            [Problem("options.threshold_windows", "only applies to anomaly monitors")],
            id="threshold-windows-outside-anomaly",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.notify_no_data", False),
            [Problem("options.no_data_timeframe", "only applies with notify_no_data: true")],
            id="no-data-timeframe-without-notify-no-data",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.evaluation_delay", -1),
            [
                Problem(
                    "options.evaluation_delay",
                    "must be a whole number of seconds from 0 to 86400 (a day), got -1",
                )
            ],
            id="evaluation-delay-negative",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "priority", 6),
            [Problem("priority", "must be 1 (highest) to 5, got 6")],
            id="priority-above-five",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "priority", 0),
            [Problem("priority", "must be 1 (highest) to 5, got 0")],
            id="priority-zero",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "priority", True),
            [Problem("priority", "must be 1 (highest) to 5, got True")],
            id="priority-boolean",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.notify_by", ["host", "team"]),
            [
                Problem(
                    "options.notify_by",
                    "'team' is not a group-by key of the query (group-by: host, service)",
                )
            ],
            id="notify-by-outside-group-by",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.notify_by", ["*", "host"]),
            [Problem("options.notify_by", "'*' must be the only entry")],
            id="notify-by-star-with-keys",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options.notify_by", "host"),
            [Problem("options.notify_by", 'must be a list of group-by keys, or ["*"]')],
            id="notify-by-not-a-list",
        ),
        pytest.param(
            _with(FORMULA_MONITOR, "options.notify_by", ["host"]),
            [
                Problem(
                    "options.notify_by",
                    "'host' is not a group-by key of the query (group-by: service)",
                )
            ],
            id="formula-notify-by-outside-variable-facets",
        ),
        pytest.param(
            _with(FORMULA_MONITOR, "query", 'formula("errors / hits").last("15m") > 5'),
            [Problem("options.variables", "the formula uses 'hits' but no variable has that name")],
            id="formula-undeclared-variable",
        ),
        pytest.param(
            _with(_with(FORMULA_MONITOR, "options.variables", ...), "options.notify_by", ...),
            [
                Problem(
                    "options.variables",
                    "required for formula queries: one query per formula name",
                )
            ],
            id="formula-without-variables",
        ),
        pytest.param(
            _with(
                FORMULA_MONITOR,
                "options.variables",
                [
                    FORMULA_MONITOR["options"]["variables"][0],
                    {"data_source": "metric", "name": "total"},
                ],
            ),
            [
                Problem(
                    "options.variables[1].data_source",
                    "unknown data source 'metric' (expected "
                    + ", ".join(sorted(FORMULA_DATA_SOURCES))
                    + ")",
                )
            ],
            id="formula-variable-unknown-source",
        ),
        pytest.param(
            _with(SERVICE_CHECK_MONITOR, "options.on_missing_data", "show_no_data"),
            [
                Problem(
                    "options.on_missing_data",
                    "does not apply to service checks, composites or SLO alerts",
                )
            ],
            id="on-missing-data-on-service-check",
        ),
        pytest.param(
            _with(METRIC_MONITOR, "options", ["thresholds"]),
            [Problem("options", "must be an object")],
            id="options-not-an-object",
        ),
    ],
)
def test_reports_each_inconsistency(monitor: dict[str, Any], problems: list[Problem]) -> None:
    assert validate_monitor(monitor) == problems


def test_problem_prints_as_field_and_reason() -> None:
    assert str(Problem("options.thresholds.warning", "must be below")) == (
        "options.thresholds.warning: must be below"
    )


def test_every_search_source_maps_to_a_real_monitor_type() -> None:
    assert set(EVENT_SEARCH_MONITOR_TYPES) == set(EVENT_SEARCH_SOURCES)
    mapped = {*EVENT_SEARCH_MONITOR_TYPES.values(), *FORMULA_SOURCE_MONITOR_TYPES.values()}
    assert mapped <= set(MonitorType.allowed_values)


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_reads_both_export_formats(tmp_path: Path) -> None:
    broken = _with(METRIC_MONITOR, "priority", 9)
    flat = _write(tmp_path, "flat.json", json.dumps(broken))
    exported = _write(
        tmp_path, "v2.json", json.dumps({"version": 2, "title": "CPU", "definition": broken})
    )

    expected = [Problem("priority", "must be 1 (highest) to 5, got 9")]
    assert monitor_file(flat)[1] == expected
    assert monitor_file(exported)[1] == expected


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '{"type": "query alert",',
            Problem(
                "file",
                "invalid JSON: Expecting property name enclosed in double quotes "
                "at line 1 column 24",
            ),
        ),
        (
            '"a monitor"',
            Problem(
                "file",
                "expected a JSON object (a monitor, or an export with 'definition') or a list "
                "of them",
            ),
        ),
        (
            '{"version": 2, "definition": "x"}',
            Problem("definition", "must be an object: the monitor of a version 2 export"),
        ),
    ],
    ids=["invalid-json", "not-an-object", "definition-not-an-object"],
)
def test_reports_unusable_files(tmp_path: Path, content: str, problem: Problem) -> None:
    assert monitor_file(_write(tmp_path, "monitor.json", content))[1] == [problem]


def test_reports_unreadable_files(tmp_path: Path) -> None:
    assert monitor_file(tmp_path / "missing.json")[1] == [
        Problem("file", "cannot read: No such file or directory")
    ]


def test_lint_prints_file_field_and_reason_and_fails(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.json", json.dumps(LOG_MONITOR))
    bad = _write(
        tmp_path, "bad.json", json.dumps(_with(BELOW_MONITOR, "options.thresholds.warning", 0.5))
    )
    out = io.StringIO()

    status = lint_monitor_files([good, bad, tmp_path / "missing.json"], out)

    assert status == 1
    assert out.getvalue().splitlines() == [
        f"{bad}: options.thresholds.warning: "
        "must be above critical (1) for comparator '<', got 0.5",
        f"{tmp_path / 'missing.json'}: file: cannot read: No such file or directory",
        "lint-monitors: 2 monitors in 3 files: 2 problems",
    ]


def test_lint_says_what_it_checked(tmp_path: Path) -> None:
    out = io.StringIO()

    status = lint_monitor_files(
        [str(_write(tmp_path, "good.json", json.dumps(METRIC_MONITOR)))], out
    )

    assert (status, out.getvalue()) == (0, "lint-monitors: 1 monitor in 1 file: no problems\n")


def test_lint_reads_a_list_of_monitors_as_the_api_returns_them(tmp_path: Path) -> None:
    # GET /api/v1/monitor answers with a JSON list of monitors.
    bad = _with(BELOW_MONITOR, "options.thresholds.warning", 0.5)
    listing = _write(tmp_path, "monitors.json", json.dumps([METRIC_MONITOR, LOG_MONITOR, bad]))
    out = io.StringIO()

    status = lint_monitor_files([listing], out)

    assert status == 1
    assert out.getvalue().splitlines() == [
        f"{listing}: [2].options.thresholds.warning: "
        "must be above critical (1) for comparator '<', got 0.5",
        "lint-monitors: 3 monitors in 1 file: 1 problem",
    ]


def test_lint_without_files_fails() -> None:
    out = io.StringIO()

    assert lint_monitor_files([], out) == 1
    assert out.getvalue() == "lint-monitors: no monitor files given\n"


def test_an_answer_for_a_list_is_not_given_for_a_tuple() -> None:
    # Both have the same JSON text; the validator must still judge what it was given.
    listed = copy.deepcopy(METRIC_MONITOR)
    assert validate_monitor(listed) == []
    tupled = copy.deepcopy(METRIC_MONITOR)
    tupled["options"]["notify_by"] = ("host",)
    assert validate_monitor(tupled) == [
        Problem("options.notify_by", 'must be a list of group-by keys, or ["*"]')
    ]
