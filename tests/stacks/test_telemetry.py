"""Every monitor and widget is fed by something the stack deploys, or it is not created.

A default one nothing feeds is left out with a note; one the stack file asks for is refused at its
key, all of them at once, before anything is registered.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.telemetry import Need, Signal, metric_signal
from stacks.program.compile import compile_stack
from stacks.program.errors import StackConfigError
from stacks.program.load import StackSecrets, parse_stack_config
from stacks.program.model import StackConfig
from stacks.program.telemetry import stack_telemetry
from stacks.tooling.cli import main
from tests.factories import SERVICE_CONFIG, planned_telemetry

SERVICE: dict[str, Any] = dict(SERVICE_CONFIG)
ASSISTANT: dict[str, Any] = {
    **SERVICE,
    "name": "support-assistant",
    "agent": "agentless",
    "llmObservability": {},
    "logs": {"destination": "cloudwatch"},
}


def stack(*services: dict[str, Any], **sections: Any) -> StackConfig:
    return parse_stack_config(
        {"environment": {"name": "dev", "team": "platform"}, "services": list(services), **sections}
    )


def test_what_each_service_sends_follows_its_config() -> None:
    quiet = {**SERVICE, "name": "batch", "traceEnabled": False}
    telemetry = stack_telemetry(stack(SERVICE, ASSISTANT, quiet))

    assert telemetry.gap([Need(Signal.TRACES, "checkout-api")]) is None
    assert telemetry.gap([Need(Signal.LOGS, "checkout-api")]) is None
    assert telemetry.gap([Need(Signal.DOGSTATSD, "checkout-api")]) is None
    reasons = {
        need: gap.reason
        for need in (
            Need(Signal.TRACES, "support-assistant"),
            Need(Signal.DOGSTATSD, "support-assistant"),
            Need(Signal.LOGS, "support-assistant"),
            Need(Signal.LLM_OBSERVABILITY, "checkout-api"),
            Need(Signal.TRACES, "batch"),
        )
        if (gap := telemetry.gap([need])) is not None
    }
    assert list(reasons.values()) == [
        "an agentless service sends no traces",
        "an agentless service has no DogStatsD",
        "its logs go to CloudWatch, not Datadog",
        "llmObservability is off",
        "traceEnabled is false",
    ]
    assert telemetry.gap([Need(Signal.LLM_OBSERVABILITY, "support-assistant")]) is None


def test_metrics_are_attributed_to_what_emits_them() -> None:
    assert metric_signal("trace.fastapi.request.hits") is Signal.TRACES
    assert metric_signal("ml_obs.trace.error") is Signal.LLM_OBSERVABILITY
    assert metric_signal("ecs.fargate.mem.usage") is Signal.AGENT_METRICS
    assert metric_signal("datadog.agent.running") is Signal.AGENT_METRICS
    assert metric_signal("checkout.orders.placed") is Signal.DOGSTATSD


def test_default_monitors_without_data_are_left_out_with_a_note() -> None:
    plan = planned_telemetry(stack(SERVICE, ASSISTANT))

    assert list(plan.services["checkout-api"].monitors) == [
        "latency",
        "error-rate",
        "throughput",
        "error-logs",
    ]
    assert plan.services["support-assistant"].monitors == {}
    assert plan.notes[:4] == (
        "support-assistant: no APM latency monitor: an agentless service sends no traces",
        "support-assistant: no APM error-rate monitor: an agentless service sends no traces",
        "support-assistant: no throughput anomaly monitor: an agentless service sends no traces",
        "support-assistant: no error-log monitor: its logs go to CloudWatch, not Datadog",
    )
    assert plan.problems == ()


def test_a_dashboard_with_nothing_to_show_is_not_created() -> None:
    # Agentless, logs to CloudWatch, no monitor and no LLM Observability: nothing reaches Datadog.
    dark = {**ASSISTANT, "agent": "sidecar", "traceEnabled": False, "llmObservability": None}
    dark["monitors"] = {"latency": None, "errorRate": None, "throughput": None}
    plan = planned_telemetry(stack(dark))

    assert plan.services["support-assistant"].dashboard is None
    assert plan.notes[-1] == (
        "support-assistant: no dashboard: no widget would have data (traceEnabled is false; "
        "its logs go to CloudWatch, not Datadog; it has no monitors)"
    )
    assert not plan.manages_datadog_resources


def test_the_platform_dashboard_shows_only_what_runs_on_the_cluster() -> None:
    eks = {"clusterName": "platform-dev", "agent": {"enabled": False}}
    plan = planned_telemetry(stack(SERVICE, eks=eks))

    assert plan.platform_dashboard is not None
    sections = [w["definition"].get("title") for w in plan.platform_dashboard["widgets"]]
    assert sections == [
        "Collector: receivers",
        "Collector: exporters",
        "Collector: resources",
    ]
    assert plan.notes == (
        "cluster platform-dev: dashboard without 'Datadog Agent' section: the Agent is off "
        "(agent.enabled: false)",
    )
    without_collector = planned_telemetry(
        stack(SERVICE, eks={"clusterName": "platform-dev", "collector": {"enabled": False}})
    )
    assert without_collector.notes == (
        "cluster platform-dev: dashboard without 'Collector: receivers' section, 'Collector: "
        "exporters' section, 'Collector: resources' section: the collector is off "
        "(collector.enabled: false)",
    )


def test_a_custom_monitor_on_data_from_outside_the_stack_says_so() -> None:
    rds = {
        "kind": "metric",
        "name": "database CPU",
        "metric": "aws.rds.cpuutilization",
        "filters": ["dbinstanceidentifier:assistant"],
        "critical": 90,
        "externalSource": "the AWS integration's RDS metrics",
    }
    plan = planned_telemetry(stack({**ASSISTANT, "monitors": {"custom": {"database-cpu": rds}}}))

    assert list(plan.services["support-assistant"].monitors) == ["database-cpu"]
    assert plan.services["support-assistant"].monitors["database-cpu"].reads == ()


def test_a_monitor_on_another_systems_service_is_not_held_to_the_stacks_names() -> None:
    payments = {
        "kind": "log",
        "name": "payment provider errors",
        "search": "service:payment-gateway env:prod status:error",
        "critical": 10,
    }
    config = stack({**SERVICE, "monitors": {"custom": {"provider": payments}}})
    with pytest.raises(StackConfigError, match="service:payment-gateway is not a service"):
        compile_stack(config, StackSecrets())
    declared = {**payments, "externalSource": "the payments team's gateway logs"}
    plan = planned_telemetry(stack({**SERVICE, "monitors": {"custom": {"provider": declared}}}))
    assert "provider" in plan.services["checkout-api"].monitors


# What the stack file asks for explicitly and nothing would feed is refused.

LLM_ERRORS = {
    "kind": "metric",
    "name": "failing LLM calls",
    "metric": "ml_obs.trace.error",
    "filters": ["env:dev", "service:support-assistant"],
    "critical": 5,
}


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], *services: Any) -> list[str]:
    document = {
        "config": {
            "aws:region": "eu-west-1",
            "observability:environment": {"name": "dev", "team": "platform"},
            "observability:services": list(services),
        }
    }
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    out = tmp_path / "out"
    status = main(["plan", "--stack", "dev", "--config-file", str(path), "--out", str(out)])
    assert status == 2
    assert not (out / "resources.json").exists()
    return [line.removeprefix(f"{path}: ") for line in capsys.readouterr().err.splitlines()]


def test_every_explicit_monitor_and_dashboard_without_data_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_depth = {
        "kind": "metric",
        "name": "queue depth",
        "metric": "assistant.queue.depth",
        "critical": 100,
    }
    failures = {
        "kind": "log",
        "name": "failed answers",
        "search": "service:support-assistant @event:answer_failed",
        "critical": 5,
    }
    untraced = {
        **ASSISTANT,
        "agent": "sidecar",
        "llmObservability": None,
        "traceEnabled": False,
        "monitors": {
            "latency": {"criticalSeconds": 20},
            # An Agent runs beside it, so its DogStatsD metrics arrive.
            "custom": {"queue-depth": queue_depth, "failed-answers": failures},
        },
    }
    agentless = {**ASSISTANT, "name": "helpdesk", "monitors": {"custom": {"depth": queue_depth}}}
    dark = {
        **untraced,
        "name": "batch",
        "dashboard": True,
        "monitors": {"latency": None, "errorRate": None, "throughput": None},
    }

    assert refused(tmp_path, capsys, untraced, agentless, dark) == [
        "observability:services[0].monitors.latency: this APM latency monitor would never see "
        "data: it reads APM traces of support-assistant, and traceEnabled is false; set it to null",
        "observability:services[0].monitors.custom.failed-answers: this failed-answers monitor "
        "would never see data: it reads logs of support-assistant, and its logs go to "
        "CloudWatch, not Datadog; remove it, or say what sends its data in externalSource",
        "observability:services[1].monitors.custom.depth: this depth monitor would never see "
        "data: it reads DogStatsD metrics of helpdesk, and an agentless service has no "
        "DogStatsD; remove it, or say what sends its data in externalSource",
        "observability:services[2].dashboard: no widget of this dashboard would have data "
        "(traceEnabled is false; its logs go to CloudWatch, not Datadog; it has no monitors); "
        "set it to false",
    ]


def test_a_monitor_on_the_llm_observability_of_an_agentless_service_is_fed() -> None:
    plan = planned_telemetry(
        stack({**ASSISTANT, "monitors": {"custom": {"llm-errors": LLM_ERRORS}}})
    )

    assert list(plan.services["support-assistant"].monitors) == ["llm-errors"]
    assert plan.problems == ()
