"""The offline plan of the committed stacks, as a newcomer runs it."""

import gc
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.datadog_ids import id_like
from stacks.program import deploy as deploy_module
from stacks.program.compile import CompiledStack
from stacks.tooling.cli import main
from stacks.tooling.engine import ResourceValidationError, run_program
from stacks.tooling.stack_file import REPO_ROOT
from stacks.validation.dashboards import validate_dashboard
from stacks.validation.slos import SLO_TYPE
from tests.components.test_datadog_provider import RETRIES as PROVIDER_RETRIES

FIELDS = {
    "urn",
    "type",
    "name",
    "parent",
    "custom",
    "protect",
    "inputs",
    "provider",
    "dependencies",
    "aliases",
    "ignoreChanges",
}


def plan(stack: str, out: Path, *extra: str) -> list[dict[str, Any]]:
    assert main(["plan", "--stack", stack, "--out", str(out), *extra]) == 0
    resources: list[dict[str, Any]] = json.loads((out / "resources.json").read_text())
    return resources


def named(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (match,) = [r for r in resources if r["name"] == name]
    return match


def containers(resources: list[dict[str, Any]], service: str) -> dict[str, dict[str, Any]]:
    definitions = json.loads(named(resources, f"{service}-task")["inputs"]["containerDefinitions"])
    return {c["name"]: c for c in definitions}


def env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return plan("dev", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return plan("production", tmp_path_factory.mktemp("production"))


def test_resources_json_lists_registrations_with_their_parents(dev: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for resource in dev:
        assert set(resource) == FIELDS
        assert resource["urn"].startswith("urn:pulumi:dev::observability::")
        assert resource["urn"].endswith(f"::{resource['name']}")
        # Registration order: a parent always comes before its children.
        # A registration order Pulumi could produce: parent, provider and dependencies first.
        for prerequisite in [resource["parent"], resource["provider"], *resource["dependencies"]]:
            assert prerequisite is None or prerequisite in seen
        seen.add(resource["urn"])
    top_level = sorted(r["name"] for r in dev if r["parent"] is None)
    assert top_level == [
        "checkout-api",
        "checkout-api-apm",
        "checkout-api-monitors",
        "checkout-api-slos",
        "datadog",
        "datadog-api-key",
        "downtimes",
        "eks",
        "support-assistant",
        "support-assistant-apm",
        "support-assistant-monitors",
        "telemetry-pipeline",
    ]
    # Components, and the stack's one Datadog provider.
    assert [r["name"] for r in dev if r["parent"] is None and r["custom"]] == ["datadog"]


def test_the_api_key_is_masked_and_never_in_plain_text(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(
        (REPO_ROOT / "Pulumi.dev.yaml").read_text()
        + "  datadog:apiKey:\n    secure: AAABAKdW0c1Ml9eN2TtPf8xSZw==\n"
        + "  datadog:appKey:\n    secure: AAABAHn4Xq2Lm8pK7wRt3VzYbQ==\n"
    )
    resources = plan("dev", tmp_path / "out", "--config-file", str(stack_file))
    text = "".join(path.read_text() for path in (tmp_path / "out").rglob("*.*"))
    assert "AAABAKdW0c1Ml9eN2TtPf8xSZw" not in text
    assert "AAABAHn4Xq2Lm8pK7wRt3VzYbQ" not in text
    assert "offline-placeholder" not in text
    assert named(resources, "datadog-api-key-value")["inputs"]["secretString"] == "[secret]"
    provider = named(resources, "datadog")["inputs"]
    assert (provider["apiKey"], provider["appKey"]) == ("[secret]", "[secret]")


def test_dev_stack_services(dev: list[dict[str, Any]]) -> None:
    checkout = containers(dev, "checkout-api")
    assert set(checkout) == {"checkout-api", "datadog-agent-init", "datadog-agent", "log-router"}
    assert env(checkout["checkout-api"])["DD_TRACE_SAMPLE_RATE"] == "1.0"
    # The stack's tags and the service's team tag what the Agent sends.
    assert env(checkout["datadog-agent"])["DD_TAGS"] == "cost-center:engineering team:payments"
    assert checkout["checkout-api"]["logConfiguration"]["options"]["Host"] == (
        "http-intake.logs.datadoghq.eu"
    )
    assistant = containers(dev, "support-assistant")
    assert set(assistant) == {"support-assistant"}
    assistant_env = env(assistant["support-assistant"])
    assert assistant_env["DD_LLMOBS_AGENTLESS_ENABLED"] == "1"
    assert assistant_env["DD_LLMOBS_ML_APP"] == "support-assistant"
    assert [s["name"] for s in assistant["support-assistant"]["secrets"]] == [
        "DD_API_KEY",
        "OPENAI_API_KEY",
    ]
    assert named(dev, "support-assistant-logs")["inputs"]["retentionInDays"] == 7
    assert all(not r["protect"] for r in dev)


def test_production_differs_where_teams_expect(production: list[dict[str, Any]]) -> None:
    checkout = env(containers(production, "checkout-api")["checkout-api"])
    assert checkout["DD_TRACE_SAMPLE_RATE"] == "0.1"
    assert checkout["DD_ENV"] == "production"
    assert checkout["DD_PROFILING_ENABLED"] == "true"
    agent = env(containers(production, "checkout-api")["datadog-agent"])
    assert agent["DD_TAGS"] == "compliance:pci cost-center:engineering team:payments"
    assistant = env(containers(production, "support-assistant")["support-assistant"])
    assert assistant["DD_LLMOBS_AGENTLESS_ENABLED"] == "0"
    # Checkout, in PCI scope, runs under Workload Protection; the assistant does not.
    assert containers(production, "checkout-api")["checkout-api"]["entryPoint"][:2] == [
        "/cws-instrumentation-volume/cws-instrumentation",
        "trace",
    ]
    assert "cws-instrumentation-init" not in containers(production, "support-assistant")
    assert named(production, "checkout-api-service")["inputs"]["desiredCount"] == 3
    protected = sorted(r["name"] for r in production if r["protect"])
    assert protected == ["datadog-api-key-key", "datadog-api-key-secret"]
    secret = named(production, "datadog-api-key-secret")["inputs"]
    assert secret["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    policy = json.loads(named(production, "checkout-api-execution-secrets")["inputs"]["policy"])
    kms_keys = policy["Statement"][1]["Resource"]
    assert len(kms_keys) == 2
    assert "arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-5b6a-4789-8abc-def012345678" in kms_keys


def test_plan_prints_the_tree_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan("dev", tmp_path)
    printed = capsys.readouterr().out
    assert printed.startswith("stack dev (Pulumi.dev.yaml): 71 resources\n")
    assert "├─ checkout-api  (observability:fargate:InstrumentedFargateService)" in printed
    assert "  aws:ecs/taskDefinition:TaskDefinition" in printed
    assert f"wrote {tmp_path / 'resources.json'}" in printed


def test_plan_says_what_it_left_out_for_want_of_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan("dev", tmp_path)
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("info: ")]
    assert notes == [
        "info: support-assistant: no APM latency monitor: an agentless service sends no traces",
        "info: support-assistant: no APM error-rate monitor: an agentless service sends no traces",
        "info: support-assistant: no throughput anomaly monitor: an agentless service sends no "
        "traces",
        "info: support-assistant: no error-log monitor: its logs go to CloudWatch, not Datadog",
        "info: support-assistant: no availability SLO: an agentless service sends no traces",
        "info: support-assistant: no latency SLO: an agentless service sends no traces",
        "info: support-assistant: dashboard without 'At a glance' section, 'Over time' section, "
        "'Resources' section: an agentless service sends no traces",
        "info: support-assistant: dashboard without 'Error logs': its logs go to CloudWatch, not "
        "Datadog",
    ]


def test_the_plan_shows_warnings_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Datadog accepts seasonality on the basic anomaly algorithm, and ignores it.
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    document["config"]["observability:services"][0]["monitors"]["custom"]["signups"] = {
        "kind": "anomaly",
        "name": "signups",
        "message": "Signups look unusual.",
        "metric": "app.signups",
        "algorithm": "basic",
        "seasonality": "daily",
    }
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(document))

    resources = plan("dev", tmp_path / "out", "--config-file", str(stack_file))

    query = named(resources, "checkout-api-monitors-signups")["inputs"]["query"]
    assert "'basic', 2" in query
    assert "seasonality='daily'" in query
    warnings = [line for line in capsys.readouterr().out.splitlines() if "warning: " in line]
    assert warnings == [
        f"{stack_file}: checkout-api-monitors-signups (datadog:index/monitor:Monitor): schema: "
        "query: warning: seasonality does not apply to the 'basic' algorithm (only agile and "
        f"robust are seasonal) (at char {query.index('daily')}: 'daily')"
    ]


def test_the_program_runs_without_the_garbage_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collecting_while_deploying = []
    deploy = deploy_module.deploy

    def watched_deploy(stack: CompiledStack) -> None:
        collecting_while_deploying.append(gc.isenabled())
        deploy(stack)

    monkeypatch.setattr(deploy_module, "deploy", watched_deploy)
    plan("dev", tmp_path)
    assert collecting_while_deploying == [False]


def kubernetes_objects(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [
        r["inputs"]
        for r in resources
        if r["type"].startswith("kubernetes:") and r["type"].endswith(f":{kind}")
    ]


def agent_spec(resources: list[dict[str, Any]]) -> dict[str, Any]:
    [agent] = kubernetes_objects(resources, "DatadogAgent")
    spec: dict[str, Any] = agent["spec"]
    return spec


def node_collector(resources: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The node collector's configuration and pod spec."""
    data = named(resources, "eks-collector-node-configmap")["inputs"]["data"]
    daemon_set = named(resources, "eks-collector-node-daemonset")["inputs"]
    return yaml.safe_load(data["collector.yaml"]), daemon_set["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    ("stack", "cluster"), [("dev", "platform-dev"), ("production", "platform-production")]
)
def test_both_stacks_deploy_to_their_eks_cluster(
    stack: str, cluster: str, request: pytest.FixtureRequest
) -> None:
    resources: list[dict[str, Any]] = request.getfixturevalue(stack)
    provider = named(resources, "eks-cluster-provider")
    exec_args = json.loads(provider["inputs"]["kubeconfig"])["users"][0]["user"]["exec"]["args"]
    assert exec_args[:4] == ["eks", "get-token", "--cluster-name", cluster]
    on_cluster = [r for r in resources if r["type"].startswith("kubernetes:")]
    assert {r["provider"] for r in on_cluster} == {provider["urn"]}
    assert {r["type"].rsplit(":", 1)[1] for r in on_cluster} == {
        "Namespace",
        "Secret",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "NetworkPolicy",
        "DaemonSet",
        "Service",
        "Deployment",
        "Release",
        "DatadogAgent",
    }
    assert named(resources, "eks-namespace-api-key")["inputs"]["data"] == "[secret]"
    assert agent_spec(resources)["global"]["clusterName"] == cluster


def test_dev_cluster_collector_tails_logs_and_agent_is_small(dev: list[dict[str, Any]]) -> None:
    config, pod = node_collector(dev)
    assert "filelog" in config["service"]["pipelines"]["logs"]["receivers"]
    assert "tolerations" not in pod
    spec = agent_spec(dev)
    assert spec["features"]["logCollection"]["enabled"] is False
    assert [spec["features"][f]["enabled"] for f in ("apm", "npm", "cspm", "cws")] == [
        True,
        False,
        False,
        False,
    ]
    assert spec["override"]["clusterAgent"]["replicas"] == 1
    assert spec["global"]["tags"] == ["env:dev"]


def test_production_cluster_agent_tails_logs_and_monitors_security(
    production: list[dict[str, Any]],
) -> None:
    config, pod = node_collector(production)
    assert "filelog" not in config["receivers"]
    assert pod["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "payments", "effect": "NoSchedule"}
    ]
    assert pod["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    spec = agent_spec(production)
    assert spec["features"]["logCollection"] == {"enabled": True, "containerCollectAll": True}
    assert all(spec["features"][f]["enabled"] for f in ("apm", "npm", "cspm", "cws"))
    assert spec["override"]["clusterAgent"]["replicas"] == 2
    assert spec["override"]["nodeAgent"]["env"][0]["name"] == "DD_LOGS_CONFIG_PROCESSING_RULES"
    assert spec["global"]["tags"] == ["env:production"]


MONITOR = "datadog:index/monitor:Monitor"
DASHBOARD = "datadog:index/dashboardJson:DashboardJson"
DEV_CHECKOUT_TAGS = ["service:checkout-api", "env:dev", "team:payments", "managed-by:pulumi"]
CHECKOUT_TAGS = ["service:checkout-api", "env:production", "team:payments", "managed-by:pulumi"]
CHECKOUT_RUNBOOK = "Runbook: https://runbooks.example.com/checkout-api"


def monitors(resources: list[dict[str, Any]], kind: str = "monitors") -> dict[str, dict[str, Any]]:
    """Monitor inputs by resource name: the services' monitors, or with `kind="slos"` the
    alerts on their SLOs."""
    component = {"monitors": "ServiceMonitors", "slos": "ServiceSlos"}[kind]
    return {
        r["name"]: r["inputs"]
        for r in resources
        if r["type"] == MONITOR and f":{component}$" in r["urn"]
    }


def test_dev_monitors_notify_no_one(dev: list[dict[str, Any]]) -> None:
    dev_monitors = monitors(dev)
    assert sorted(dev_monitors) == [
        "checkout-api-monitors-connection-failures",
        "checkout-api-monitors-error-logs",
        "checkout-api-monitors-error-rate",
        "checkout-api-monitors-latency",
        "support-assistant-monitors-llm-errors",
    ]
    assert dev_monitors["checkout-api-monitors-latency"] == {
        "name": "[dev] checkout-api: p95 latency above 1s",
        "type": "query alert",
        "query": "percentile(last_5m):p95:trace.fastapi.request{env:dev,service:checkout-api} > 1",
        "message": "{{#is_alert}}\n"
        "p95 latency of checkout-api is {{value}}s, above the {{threshold}}s alert threshold.\n"
        "{{/is_alert}}\n"
        "{{#is_warning}}\n"
        "p95 latency of checkout-api is {{value}}s, above the {{warn_threshold}}s warning "
        "threshold.\n"
        "{{/is_warning}}\n"
        "{{#is_recovery}}\n"
        "p95 latency of checkout-api is back to {{value}}s.\n"
        "{{/is_recovery}}\n" + CHECKOUT_RUNBOOK,
        "monitorThresholds": {"critical": "1", "warning": "0.8"},
        "notifyNoData": False,
        "priority": "3",
        "tags": DEV_CHECKOUT_TAGS,
    }
    assert dev_monitors["checkout-api-monitors-connection-failures"] == {
        "name": "[dev] checkout-api: database connection failures",
        "type": "log alert",
        "query": 'logs("service:checkout-api env:dev @event:connection_failed").index("*")'
        '.rollup("count").last("2m") > 3',
        "message": "{{#is_alert}}\n"
        "The app cannot reach its database. Value {{value}}, alert threshold {{threshold}}.\n"
        "{{/is_alert}}\n"
        "{{#is_recovery}}\n"
        "Recovered: database connection failures (value {{value}}).\n"
        "{{/is_recovery}}\n" + CHECKOUT_RUNBOOK,
        "monitorThresholds": {"critical": "3"},
        "notifyNoData": False,
        "priority": "3",
        "tags": DEV_CHECKOUT_TAGS,
    }
    errors = dev_monitors["checkout-api-monitors-error-rate"]
    assert errors["monitorThresholds"] == {"critical": "0.1", "warning": "0.05"}
    assert dev_monitors["checkout-api-monitors-error-logs"]["priority"] == "5"
    # No handle anywhere, no renotification, no missing-data alerts: dev records state changes.
    assert not any("@" in m["message"] for m in dev_monitors.values())
    assert not any("renotifyInterval" in m for m in dev_monitors.values())
    assert {m["notifyNoData"] for m in dev_monitors.values()} == {False}


def test_production_monitors_page_the_owning_team(production: list[dict[str, Any]]) -> None:
    production_monitors = monitors(production)
    assert sorted(production_monitors) == [
        "checkout-api-monitors-connection-failures",
        "checkout-api-monitors-error-logs",
        "checkout-api-monitors-error-rate",
        "checkout-api-monitors-failed-payments",
        "checkout-api-monitors-failing-checkouts",
        "checkout-api-monitors-latency",
        "checkout-api-monitors-throughput",
        "support-assistant-monitors-error-logs",
        "support-assistant-monitors-error-rate",
        "support-assistant-monitors-latency",
        "support-assistant-monitors-openai-rate-limits",
        "support-assistant-monitors-throughput",
    ]
    assert production_monitors["checkout-api-monitors-latency"] == {
        "name": "[production] checkout-api: p95 latency above 0.5s",
        "type": "query alert",
        "query": "percentile(last_5m):p95:trace.fastapi.request"
        "{env:production,service:checkout-api} > 0.5",
        "message": "{{#is_alert}}\n"
        "p95 latency of checkout-api is {{value}}s, above the {{threshold}}s alert threshold.\n"
        "@pagerduty-Checkout\n"
        "{{/is_alert}}\n"
        "{{#is_warning}}\n"
        "p95 latency of checkout-api is {{value}}s, above the {{warn_threshold}}s warning "
        "threshold.\n"
        "@slack-checkout-alerts\n"
        "{{/is_warning}}\n"
        "{{#is_recovery}}\n"
        "p95 latency of checkout-api is back to {{value}}s.\n"
        "{{/is_recovery}}\n"
        "{{#is_alert_recovery}}\n@pagerduty-Checkout\n{{/is_alert_recovery}}\n"
        "{{#is_warning_recovery}}\n@slack-checkout-alerts\n{{/is_warning_recovery}}\n"
        "{{#is_no_data}}\n"
        "No request to checkout-api traced for 10 minutes: the service may be down, "
        "unreachable, or no longer sending traces.\n"
        "@slack-checkout-alerts\n"
        "{{/is_no_data}}\n" + CHECKOUT_RUNBOOK,
        "monitorThresholds": {"critical": "0.5", "warning": "0.4"},
        "notifyNoData": True,
        "noDataTimeframe": 10,
        "renotifyInterval": 60,
        "priority": "1",
        "tags": CHECKOUT_TAGS,
    }
    assert production_monitors["checkout-api-monitors-error-rate"] == {
        "name": "[production] checkout-api: error rate above 5%",
        "type": "query alert",
        "query": "sum(last_5m):("
        "sum:trace.fastapi.request.errors{env:production,service:checkout-api}.as_count() / "
        "sum:trace.fastapi.request.hits{env:production,service:checkout-api}.as_count()) > 0.05",
        "message": production_monitors["checkout-api-monitors-error-rate"]["message"],
        "monitorThresholds": {"critical": "0.05", "warning": "0.03"},
        "notifyNoData": False,
        "requireFullWindow": False,
        "renotifyInterval": 60,
        "priority": "1",
        "tags": CHECKOUT_TAGS,
    }
    throughput = production_monitors["checkout-api-monitors-throughput"]
    assert throughput["query"] == (
        "avg(last_1d):anomalies(sum:trace.fastapi.request.hits"
        "{env:production,service:checkout-api}.as_count(), 'agile', 2, direction='below', "
        "alert_window='last_30m', interval=300, count_default_zero='true', "
        "seasonality='weekly') >= 1"
    )
    assert throughput["monitorThresholds"] == {"critical": "1", "criticalRecovery": "0"}
    assert throughput["monitorThresholdWindows"] == {
        "triggerWindow": "last_30m",
        "recoveryWindow": "last_30m",
    }
    # Low severity: a look in Slack, not a page, and no reminders.
    assert throughput["priority"] == "3"
    assert "renotifyInterval" not in throughput
    assert "{{#is_alert}}\nRequests to checkout-api have been below" in throughput["message"]
    assert "@pagerduty" not in throughput["message"]


def test_production_custom_monitors(production: list[dict[str, Any]]) -> None:
    production_monitors = monitors(production)
    assert production_monitors["checkout-api-monitors-connection-failures"] == {
        "name": "[production] checkout-api: database connection failures",
        "type": "log alert",
        "query": 'logs("service:checkout-api env:production @event:connection_failed")'
        '.index("*").rollup("count").last("2m") > 3',
        "message": "{{#is_alert}}\n"
        "The app cannot reach its database. Value {{value}}, alert threshold {{threshold}}.\n"
        "@pagerduty-Checkout\n"
        "{{/is_alert}}\n"
        "{{#is_recovery}}\n"
        "Recovered: database connection failures (value {{value}}).\n"
        "{{/is_recovery}}\n"
        "{{#is_alert_recovery}}\n@pagerduty-Checkout\n{{/is_alert_recovery}}\n" + CHECKOUT_RUNBOOK,
        "monitorThresholds": {"critical": "3"},
        "notifyNoData": False,
        "renotifyInterval": 60,
        "priority": "1",
        "tags": CHECKOUT_TAGS,
    }
    payments = production_monitors["checkout-api-monitors-failed-payments"]
    assert payments["query"] == 'formula("failed / total * 100").last("15m") > 2'
    assert payments["monitorThresholds"] == {"critical": "2", "warning": "1"}
    assert [(q["name"], q["search"]["query"]) for q in payments["variables"]["eventQueries"]] == [
        ("failed", "service:checkout-api env:production @payment.status:failed"),
        ("total", "service:checkout-api env:production @payment.status:*"),
    ]
    limits = production_monitors["support-assistant-monitors-openai-rate-limits"]
    assert limits["query"] == (
        'logs("service:support-assistant env:production @error.type:openai.RateLimitError")'
        '.index("*").rollup("count").last("10m") > 20'
    )
    assert limits["priority"] == "3"
    assert limits["message"].startswith(
        "{{#is_alert}}\nOpenAI refuses requests for exceeding the organisation's rate limits. "
        "Value {{value}}, alert threshold {{threshold}}.\n@slack-platform-alerts\n{{/is_alert}}"
    )


def test_production_pages_when_traffic_drops_while_errors_are_logged(
    production: list[dict[str, Any]],
) -> None:
    composite = named(production, "checkout-api-monitors-failing-checkouts")
    throughput = named(production, "checkout-api-monitors-throughput")
    error_logs = named(production, "checkout-api-monitors-error-logs")
    # The ids the engine gave the two monitors, as Datadog would, and nothing else.
    assert composite["inputs"]["query"] == (
        f"{id_like('monitor', throughput['name'])} && {id_like('monitor', error_logs['name'])}"
    )
    assert sorted(composite["dependencies"]) == sorted([throughput["urn"], error_logs["urn"]])
    assert composite["inputs"]["type"] == "composite"
    assert "monitorThresholds" not in composite["inputs"]
    # Both monitors only chat; together they page.
    assert "@pagerduty" not in throughput["inputs"]["message"] + error_logs["inputs"]["message"]
    assert composite["inputs"]["priority"] == "1"
    assert composite["inputs"]["message"].startswith(
        "{{#is_alert}}\nFewer requests than the weekly pattern expects while the app logs "
        "errors; customers are likely failing to check out.\n@pagerduty-Checkout\n{{/is_alert}}"
    )


def test_services_without_routing_of_their_own_page_the_platform_team(
    production: list[dict[str, Any]],
) -> None:
    latency = monitors(production)["support-assistant-monitors-latency"]
    assert latency["query"] == (
        "percentile(last_5m):p95:trace.fastapi.request"
        "{env:production,service:support-assistant} > 15"
    )
    assert latency["monitorThresholds"] == {"critical": "15", "warning": "8"}
    assert "\n@pagerduty-Platform\n{{/is_alert}}" in latency["message"]
    assert "\n@slack-platform-alerts\n{{/is_no_data}}" in latency["message"]
    assert "team:platform" in latency["tags"]


@pytest.mark.parametrize(
    ("stack", "cluster"), [("dev", "platform-dev"), ("production", "platform-production")]
)
def test_dashboards_per_service_and_for_the_cluster(
    stack: str, cluster: str, request: pytest.FixtureRequest
) -> None:
    resources: list[dict[str, Any]] = request.getfixturevalue(stack)
    dashboards = {
        r["name"]: json.loads(r["inputs"]["dashboard"]) for r in resources if r["type"] == DASHBOARD
    }
    assert {name: d["title"] for name, d in dashboards.items()} == {
        "checkout-api-apm-dashboard": f"checkout-api ({stack})",
        "support-assistant-apm-dashboard": f"support-assistant ({stack})",
        "telemetry-pipeline-dashboard": f"Telemetry pipeline ({cluster})",
    }
    for dashboard in dashboards.values():
        assert validate_dashboard(dashboard) == []
    variables = dashboards["checkout-api-apm-dashboard"]["template_variables"]
    assert variables[0] == {"name": "env", "prefix": "env", "defaults": [stack]}


def test_production_slos_page_the_owning_team_on_fast_burns(
    production: list[dict[str, Any]],
) -> None:
    slos = {r["name"]: r["inputs"] for r in production if r["type"] == SLO_TYPE}
    availability = slos["checkout-api-slos-availability"]
    assert (availability["targetThreshold"], availability["warningThreshold"]) == (99.95, 99.97)
    assert availability["tags"] == CHECKOUT_TAGS
    assert slos["support-assistant-slos-availability"]["targetThreshold"] == 99.5
    # support-assistant's latency slices follow its own latency monitor (15 s).
    slices = slos["support-assistant-slos-latency"]["sliSpecification"]["timeSlice"]
    assert slices["threshold"] == 15
    alerts = monitors(production, "slos")
    fast = alerts["checkout-api-slos-availability-fast-burn"]
    assert fast["type"] == "slo alert"
    assert "@pagerduty-Checkout" in fast["message"]
    assert "@pagerduty" not in alerts["checkout-api-slos-availability-slow-burn"]["message"]
    assert (
        "@slack-checkout-alerts" in alerts["checkout-api-slos-availability-error-budget"]["message"]
    )


def test_dev_slos_are_weekly_and_notify_no_one(dev: list[dict[str, Any]]) -> None:
    slos = {r["name"]: r["inputs"] for r in dev if r["type"] == SLO_TYPE}
    assert sorted(slos) == ["checkout-api-slos-availability", "checkout-api-slos-latency"]
    assert slos["checkout-api-slos-latency"]["thresholds"] == [
        {"timeframe": "7d", "target": 95, "warning": 97}
    ]
    alerts = monitors(dev, "slos")
    assert all('.over("7d")' in alert["query"] for alert in alerts.values())
    assert not any("@" in alert["message"] for alert in alerts.values())


@pytest.mark.parametrize("stack", ["dev", "production"])
def test_every_datadog_resource_goes_through_the_stacks_provider(
    stack: str, request: pytest.FixtureRequest
) -> None:
    resources: list[dict[str, Any]] = request.getfixturevalue(stack)
    provider = named(resources, "datadog")
    assert provider["inputs"] == {
        "apiUrl": "https://api.datadoghq.eu/",
        "apiKey": "[secret]",
        "appKey": "[secret]",
        **PROVIDER_RETRIES,
    }
    datadog_resources = [r for r in resources if r["type"].startswith("datadog:")]
    # Monitors, SLOs and their alerts, two dashboards and the provider, and dev's downtime of
    # nights and weekends.
    downtimes = {"dev": 1, "production": 0}[stack]
    slos = [r for r in resources if r["type"] == SLO_TYPE]
    alerts = monitors(resources, "slos")
    assert len(slos) == {"dev": 2, "production": 4}[stack]
    assert len(alerts) == 4 * len(slos)
    assert (
        len(datadog_resources) == len(monitors(resources)) + len(alerts) + len(slos) + 3 + downtimes
    )
    assert {r["provider"] for r in datadog_resources} == {provider["urn"]}


def test_two_resources_with_one_urn_are_refused_as_the_engine_refuses_them() -> None:
    def program() -> None:
        pulumi.ComponentResource("test:index:Thing", "same")
        pulumi.ComponentResource("test:index:Thing", "same")

    with pytest.raises(ResourceValidationError, match="::same: registered twice"):
        run_program(program, stack="dev")
