"""Every guardrail, through the CrossGuard objects the pack runs: a passing and a failing case."""

import json
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from components.fargate.args import DEFAULT_CWS_INSTRUMENTATION_IMAGE, CwsInstrumentation
from components.fargate.container_definitions import container_definitions
from policy.policies import RESOURCE_POLICIES, STACK_POLICIES
from policy.rules import DAEMON_SET, DATADOG_AGENT, MONITOR, SIDECARS, TASK_DEFINITION
from tests.factories import API_KEY_ARN, LLM_OBSERVABILITY, task

OPTIONS = PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
    additional_secret_outputs=[],
)


def violations(policy_name: str, resource_type: str, props: dict[str, Any]) -> list[str]:
    (policy,) = [p for p in RESOURCE_POLICIES if p.name == policy_name]
    args = ResourceValidationArgs(resource_type, props, "urn:x", "x", OPTIONS, None)
    reported: list[str] = []
    validate = policy.validate
    assert callable(validate)
    validate(args, lambda message, _urn: reported.append(message))
    return reported


def stack_violations(policy_name: str, resources: list[PolicyResource]) -> list[str]:
    (policy,) = [p for p in STACK_POLICIES if p.name == policy_name]
    reported: list[str] = []
    validate = policy.validate
    assert callable(validate)
    validate(StackValidationArgs(resources), lambda message, _urn: reported.append(message))
    return reported


def task_props(change: Any = None, **overrides: Any) -> dict[str, Any]:
    containers = container_definitions(
        task(**overrides), api_key_secret_arn=API_KEY_ARN, region="eu-west-1"
    )
    if change:
        change(containers)
    return {"family": "dev-checkout-api", "containerDefinitions": json.dumps(containers)}


def test_the_built_task_definition_passes_every_rule() -> None:
    for policy in RESOURCE_POLICIES:
        assert violations(policy.name, TASK_DEFINITION, task_props()) == []


def test_a_task_with_workload_protection_passes_every_rule() -> None:
    # The tracer's init container is Datadog's, like the Agent: it is not an app to trace.
    props = task_props(cws=CwsInstrumentation(image=DEFAULT_CWS_INSTRUMENTATION_IMAGE))
    assert "cws-instrumentation-init" in props["containerDefinitions"]
    for policy in RESOURCE_POLICIES:
        assert violations(policy.name, TASK_DEFINITION, props) == []


def test_the_pack_knows_every_sidecar_the_builder_adds() -> None:
    # The pack cannot import the builder (it runs in a virtualenv of its own); a sidecar it did
    # not know would be held to the app's rules.
    cws = CwsInstrumentation(image=DEFAULT_CWS_INSTRUMENTATION_IMAGE)
    containers = json.loads(task_props(cws=cws)["containerDefinitions"])
    assert {c["name"] for c in containers} - {"checkout-api"} == SIDECARS


def test_app_without_tags_or_ddtrace_run_is_refused() -> None:
    def strip(containers: list[dict[str, Any]]) -> None:
        app = containers[0]
        del app["entryPoint"]
        app["environment"] = [e for e in app["environment"] if e["name"] != "DD_VERSION"]

    assert violations("ecs-apps-traced-and-tagged", TASK_DEFINITION, task_props(strip)) == [
        "container 'checkout-api' lacks DD_VERSION",
        "container 'checkout-api' does not start under ddtrace-run",
    ]


def test_ddtrace_run_twice_is_refused() -> None:
    def twice(containers: list[dict[str, Any]]) -> None:
        containers[0]["command"] = ["/usr/local/bin/ddtrace-run", *containers[0]["command"]]

    assert violations("ecs-apps-traced-and-tagged", TASK_DEFINITION, task_props(twice)) == [
        "container 'checkout-api' starts ddtrace-run 2 times",
    ]


AGENT = 2
"""The Agent's index: the app, the Agent's init container, the Agent, the log router."""


def test_a_key_in_plain_environment_is_refused() -> None:
    def leak(containers: list[dict[str, Any]]) -> None:
        containers[AGENT]["environment"].append({"name": "DD_API_KEY", "value": "abc"})
        containers[0]["environment"].append({"name": "TOKENISH", "value": "0" * 32})

    assert violations("no-datadog-key-in-plain-env", TASK_DEFINITION, task_props(leak)) == [
        "container 'checkout-api' has TOKENISH in plain environment",
        "container 'datadog-agent' has DD_API_KEY in plain environment",
    ]


def test_secrets_from_elsewhere_are_refused() -> None:
    def ssm(containers: list[dict[str, Any]]) -> None:
        containers[AGENT]["secrets"][0]["valueFrom"] = (
            "arn:aws:ssm:eu-west-1:123456789012:parameter/k"
        )

    assert violations("secrets-from-secrets-manager", TASK_DEFINITION, task_props(ssm)) == [
        "container 'datadog-agent' reads DD_API_KEY from "
        "'arn:aws:ssm:eu-west-1:123456789012:parameter/k', not a Secrets Manager secret"
    ]


def policy_document(action: Any, resource: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("secretsmanager:GetSecretValue", API_KEY_ARN, []),
        ("ecs:ListClusters", "*", []),
        (
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/*",
            [
                "statement 0 reads secrets matching "
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/*"
            ],
        ),
        (["secretsmanager:*"], [API_KEY_ARN], ["statement 0 allows secretsmanager:*"]),
    ],
)
def test_iam_wildcards_on_secrets(action: Any, resource: Any, expected: list[str]) -> None:
    props = policy_document(action, resource)
    assert violations("no-iam-wildcard-on-secrets", "aws:iam/rolePolicy:RolePolicy", props) == (
        expected
    )


def daemon_set(container: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [container]}}}}


def test_kubernetes_workloads_need_limits_and_no_privilege() -> None:
    bounded = {
        "name": "otel",
        "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    kind = "kubernetes:apps/v1:DaemonSet"
    assert violations("kubernetes-workloads-bounded", kind, daemon_set(bounded)) == []
    loose = {"name": "otel", "securityContext": {"privileged": True}}
    assert violations("kubernetes-workloads-bounded", kind, daemon_set(loose)) == [
        "container 'otel' has no cpu or memory limit",
        "container 'otel' is privileged",
        "container 'otel' may escalate privileges",
    ]


def test_production_monitors_must_notify_someone() -> None:
    quiet = {"name": "latency", "message": "slow", "tags": ["env:production"]}
    assert violations("production-monitors-notify", MONITOR, quiet) == [
        "monitor 'latency' notifies no one (no @-handle in its message)"
    ]
    paging = {**quiet, "message": "slow {{#is_alert}}@pagerduty-Checkout{{/is_alert}}"}
    assert violations("production-monitors-notify", MONITOR, paging) == []
    assert violations("production-monitors-notify", MONITOR, {**quiet, "tags": ["env:dev"]}) == []


def policy_resource(resource_type: str, props: dict[str, Any]) -> PolicyResource:
    return PolicyResource(resource_type, props, "urn:x", "x", OPTIONS, None, None, [], {})


def test_every_service_needs_latency_and_error_rate_monitors() -> None:
    scope = "{env:dev,service:checkout-api}"
    latency = {
        "query": f"percentile(last_5m):p95:trace.fastapi.request{scope} > 0.5",
        "tags": ["service:checkout-api"],
    }
    errors = {
        "query": f"sum(last_5m):(sum:trace.fastapi.request.errors{scope}.as_count() / "
        f"sum:trace.fastapi.request.hits{scope}.as_count()) > 0.05",
        "tags": ["service:checkout-api"],
    }
    rule = "services-have-latency-and-error-monitors"
    stack = [policy_resource(TASK_DEFINITION, task_props()), policy_resource(MONITOR, latency)]
    assert stack_violations(rule, stack) == [
        "service 'checkout-api' (dev) has no error rate monitor"
    ]
    stack.append(policy_resource(MONITOR, errors))
    assert stack_violations(rule, stack) == []


def test_an_agentless_service_needs_no_apm_monitor() -> None:
    # Without an Agent no trace reaches Datadog: an APM monitor would stay in No Data.
    agentless = task_props(agent=None, llm_observability=LLM_OBSERVABILITY)
    rule = "services-have-latency-and-error-monitors"
    assert stack_violations(rule, [policy_resource(TASK_DEFINITION, agentless)]) == []


def node_agent(pod: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"override": {"nodeAgent": pod}}}


def test_node_workloads_must_tolerate_the_same_taints() -> None:
    rule = "node-workloads-share-their-nodes"
    payments = {
        "key": "dedicated",
        "operator": "Equal",
        "value": "payments",
        "effect": "NoSchedule",
    }
    tolerant = {"tolerations": [payments], "priorityClassName": "system-node-critical"}
    collector = policy_resource(DAEMON_SET, {"spec": {"template": {"spec": tolerant}}})
    agent = policy_resource(DATADOG_AGENT, node_agent(tolerant))
    assert stack_violations(rule, [collector, agent]) == []
    untolerant = policy_resource(DATADOG_AGENT, node_agent({}))
    assert stack_violations(rule, [collector, untolerant]) == [
        "x runs on other nodes than x: it tolerates none at priority default, x tolerates "
        "dedicated=payments:NoSchedule at priority system-node-critical"
    ]
