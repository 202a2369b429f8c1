"""Malformed stack files, section by section: refused before a single resource is registered.

Each case is planned through the CLI: exit status 2, a line naming the file, the key path and
the reason, no resources.json, and not one registration reaching the engine.
"""

from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from stacks.tooling.cli import main
from stacks.tooling.engine import RecordingMonitor
from stacks.tooling.stack_file import REPO_ROOT

Change = Any


def service(index: int, **values: Any) -> Change:
    def change(config: dict[str, Any]) -> None:
        config["observability:services"][index].update(values)

    return change


def section(key: str, **values: Any) -> Change:
    def change(config: dict[str, Any]) -> None:
        config[f"observability:{key}"].update(values)

    return change


def nested(path: tuple[str | int, ...], value: Any) -> Change:
    def change(config: dict[str, Any]) -> None:
        target: Any = config
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def both(*changes: Change) -> Change:
    def change(config: dict[str, Any]) -> None:
        for each in changes:
            each(config)

    return change


S0 = ("observability:services", 0)
EKS = ("observability:eks",)
NOTIFY = ("observability:datadog", "notifications")


class Case(NamedTuple):
    id: str
    stack: str
    change: Change
    path: str
    """Key path under `observability:` the error must name."""
    reason: str
    """A fragment of the reason it must give."""


_TABLE: list[tuple[str, str, Change, str, str]] = [
    # services
    (
        "fargate-memory",
        "dev",
        service(0, memory=3000),
        "services[0].memory",
        "not a valid Fargate memory",
    ),
    ("fargate-cpu", "dev", service(0, cpu=300), "services[0].cpu", "not a Fargate cpu value"),
    (
        "image-latest",
        "dev",
        service(0, image="acme/app:latest"),
        "services[0].image",
        "tag 'latest'",
    ),
    ("image-untagged", "dev", service(0, image="acme/app"), "services[0].image", "has no tag"),
    (
        "sample-rate",
        "dev",
        service(0, traceSampleRate=2),
        "services[0].traceSampleRate",
        "less than or equal to 1",
    ),
    ("wrong-type", "dev", service(0, port="http"), "services[0].port", "valid integer"),
    ("unknown-key", "dev", service(0, colour="blue"), "services[0].colour", "unknown key"),
    (
        "duplicate",
        "dev",
        service(1, name="checkout-api"),
        "services[1].name",
        "duplicate service name",
    ),
    (
        "double-ddtrace",
        "dev",
        service(0, command=["ddtrace-run", "uvicorn"]),
        "services[0].command",
        "ddtrace-run",
    ),
    (
        "agentless-sidecar",
        "dev",
        service(0, llmObservability={"agentless": True}),
        "services[0].llmObservability",
        "cannot run with an agent sidecar",
    ),
    (
        "credential-env",
        "dev",
        service(0, env={"API_TOKEN": "x"}),
        "services[0].env",
        "look like credentials",
    ),
    (
        "partial-secret-arn",
        "dev",
        nested(
            (*S0, "secrets", "DATABASE_URL", "arn"),
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
        ),
        "services[0].secrets.DATABASE_URL.arn",
        "six-character suffix",
    ),
    (
        "alias-in-use",
        "dev",
        service(0, previousNames=["support-assistant"]),
        "services[0].previousNames",
        "name of a service in this stack",
    ),
    ("too-small", "dev", service(0, cpu=256, memory=512), "services[0].memory", "leaves 128 MiB"),
    (
        "desired-count-outside-scaling",
        "production",
        service(0, desiredCount=20),
        "services[0].desiredCount",
        "outside autoscaling's 3..12",
    ),
    (
        "target-group-in-another-region",
        "production",
        nested(
            (*S0, "loadBalancer", "targetGroupArn"),
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout/"
            "6d0ecf831eec9f09",
        ),
        "services[0].loadBalancer.targetGroupArn",
        "in us-east-1, and the cluster in eu-west-1",
    ),
    # environment and Datadog
    (
        "missing-env-name",
        "dev",
        nested(("observability:environment", "name"), None),
        "environment.name",
        "valid string",
    ),
    (
        "unknown-site",
        "dev",
        section("datadog", site="datadoghq.co.uk"),
        "datadog.site",
        "datadoghq.eu",
    ),
    # EKS
    (
        "eks-missing-cluster",
        "dev",
        nested((*EKS, "clusterName"), None),
        "eks.clusterName",
        "valid string",
    ),
    (
        "eks-unquoted-version",
        "dev",
        nested((*EKS, "kubernetesVersion"), 1.3),
        "eks.kubernetesVersion",
        "quote",
    ),
    (
        "eks-unknown-version",
        "dev",
        nested((*EKS, "kubernetesVersion"), "1.99"),
        "eks.kubernetesVersion",
        "1.99",
    ),
    (
        "eks-double-logs",
        "dev",
        nested(
            (*EKS, "agent", "features", "logCollection"),
            {"enabled": True, "containerCollectAll": True},
        ),
        "eks.agent.features.logCollection.enabled",
        "twice",
    ),
    (
        "eks-system-namespace",
        "dev",
        nested((*EKS, "namespace"), "kube-system"),
        "eks.namespace",
        "kube-system",
    ),
    ("eks-unknown-key", "dev", nested((*EKS, "colector"), {}), "eks.colector", "unknown key"),
    (
        "eks-instrumentation-of-the-agent",
        "production",
        nested((*EKS, "agent", "features", "apmInstrumentation"), {"namespaces": ["datadog"]}),
        "eks.agent.features.apmInstrumentation.namespaces[0]",
        "never injects into",
    ),
    # monitors
    (
        "monitor-bad-query",
        "production",
        nested((*S0, "monitors", "custom", "failed-payments", "formula"), "failed / / total"),
        "services[0].monitors.custom.failed-payments",
        "query",
    ),
    (
        "monitor-thresholds",
        "production",
        nested((*S0, "monitors", "errorRate"), {"critical": 0.05, "warning": 0.06}),
        "services[0].monitors.errorRate.warning",
        "must be below critical",
    ),
    (
        "monitor-kind",
        "dev",
        nested((*S0, "monitors", "custom", "connection-failures", "kind"), "sql"),
        "services[0].monitors.custom.connection-failures.kind",
        "'metric', 'anomaly', 'log', 'formula'",
    ),
    (
        "monitor-severity",
        "dev",
        nested((*S0, "monitors", "custom", "connection-failures", "severity"), "critical"),
        "services[0].monitors.custom.connection-failures.severity",
        "'high' or 'low'",
    ),
    (
        "monitor-unknown-key",
        "dev",
        nested((*S0, "monitors", "latncy"), {}),
        "services[0].monitors.latncy",
        "unknown key",
    ),
    (
        "monitor-other-service",
        "dev",
        nested(
            (*S0, "monitors", "custom", "connection-failures", "search"),
            "service:chekout-api env:dev",
        ),
        "services[0].monitors.custom.connection-failures.search",
        "not a service of this stack",
    ),
    (
        "composite-role-typo",
        "production",
        nested(
            (*S0, "monitors", "custom", "failing-checkouts", "expression"),
            "throughput && error-log",
        ),
        "services[0].monitors.custom.failing-checkouts.expression",
        "no monitor of this service has the role 'error-log'",
    ),
    (
        "composite-of-a-monitor-turned-off",
        "production",
        nested((*S0, "monitors", "throughput"), None),
        "services[0].monitors.custom.failing-checkouts.expression",
        "'throughput' is turned off (throughput: null)",
    ),
    # dashboards
    (
        "service-dashboard-type",
        "dev",
        service(0, dashboard="yes please"),
        "services[0].dashboard",
        "valid boolean",
    ),
    (
        "platform-dashboard-type",
        "dev",
        nested((*EKS, "dashboard"), "sometimes"),
        "eks.dashboard",
        "valid boolean",
    ),
    # downtimes
    (
        "downtime-other-env",
        "dev",
        nested(("observability:downtimes", 0, "scope"), "env:production"),
        "downtimes[0].scope",
        "env:dev and no other env",
    ),
    (
        "downtime-rrule",
        "dev",
        nested(("observability:downtimes", 0, "recurrences", 0, "rrule"), "FREQ=WEEKLY;BYDAY=XY"),
        "downtimes[0].recurrences[0].rrule",
        "not an RFC 5545 RRULE",
    ),
    # slos
    (
        "slo-target",
        "dev",
        nested((*S0, "slos", "availability", "target"), 100),
        "services[0].slos.availability.target",
        "less than 100",
    ),
    (
        "slo-warning-below-target",
        "dev",
        nested((*S0, "slos", "availability", "warning"), 98.0),
        "services[0].slos.availability.warning",
        "must be above the target (99)",
    ),
    (
        "slo-burn-rate-unreachable",
        "dev",
        nested((*S0, "slos", "availability"), {"target": 90, "warning": 95}),
        "services[0].slos.availability.burnRateAlerts.fast-burn",
        "every request failing burns 10x",
    ),
    (
        "slo-long-window",
        "dev",
        nested(
            (*S0, "slos", "latency", "burnRateAlerts"),
            {"weekly": {"burnRate": 2, "longWindow": "72h", "shortWindow": "6h"}},
        ),
        "services[0].slos.latency.burnRateAlerts.weekly",
        "runs from 1h to 48h",
    ),
    (
        "slo-without-traces",
        "dev",
        nested(("observability:services", 1, "slos"), {"availability": {"target": 99.5}}),
        "services[1].slos.availability",
        "an agentless service sends no traces",
    ),
    (
        "slo-on-a-missing-monitor",
        "dev",
        both(
            nested((*S0, "monitors", "latency"), None),
            nested((*S0, "slos", "latency", "method"), "monitor"),
        ),
        "services[0].slos.latency.method",
        "follows the service's latency monitor",
    ),
    # notifications
    (
        "bad-handle",
        "production",
        nested((*NOTIFY, "alert"), ["@pagerduty"]),
        "datadog.notifications.alert[0]",
        "not a notification handle",
    ),
    (
        "production-pages-no-one",
        "production",
        nested((*NOTIFY, "alert"), []),
        "datadog.notifications.alert",
        "page no one",
    ),
    (
        "priority-range",
        "production",
        nested((*NOTIFY, "high"), {"priority": 9}),
        "datadog.notifications.high.priority",
        "5",
    ),
]


def stack_with(stack: str, change: Change) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    change(document["config"])
    return document


CASES = [Case(*row) for row in _TABLE]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_config_is_refused_before_anything_registers(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered: list[str] = []
    register = RecordingMonitor.RegisterResource

    def spy(self: RecordingMonitor, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            registered.append(request.type)
        return register(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", spy)
    stack_file = tmp_path / f"Pulumi.{case.stack}.yaml"
    stack_file.write_text(yaml.safe_dump(stack_with(case.stack, case.change)))
    out = tmp_path / "out"
    arguments = ["plan", "--stack", case.stack, "--config-file", str(stack_file), "--out", str(out)]
    status = main(arguments)
    errors = capsys.readouterr().err.splitlines()
    assert status == 2
    assert registered == []
    assert not (out / "resources.json").exists()
    expected = f"{stack_file}: observability:{case.path}: "
    matching = [line for line in errors if line.startswith(expected)]
    assert matching, f"no error at {case.path}:\n" + "\n".join(errors)
    assert any(case.reason in line for line in matching), "\n".join(matching)


def test_the_table_covers_every_section() -> None:
    assert len(CASES) >= 30
    sections = {case.path.split("[")[0].split(".")[0] for case in CASES}
    assert {"services", "environment", "datadog", "eks", "downtimes"} <= sections
    paths = " ".join(case.path for case in CASES)
    for part in ("monitors", "slos", "dashboard", "notifications"):
        assert part in paths
