"""Bad stack configuration: each mistake gets the file, the key path and what is allowed."""

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.eks.datadog_agent import DD_TRACE_PY_VERSION, ApmInstrumentation
from components.fargate.args import (
    AgentSidecar,
    ContainerHealthCheck,
    CwsInstrumentation,
    DatadogLogs,
    LoadBalancerTarget,
    ScalingTarget,
    ServiceAutoscaling,
)
from components.fargate.container_definitions import http_health_check_command
from stacks.program.compile import (
    CompiledStack,
    compile_running_stack,
    eks_args,
    service_placement,
    task_spec,
)
from stacks.program.errors import StackConfigError
from stacks.program.load import parse_stack_config
from stacks.program.model.types import eks_support_problem
from stacks.tooling.cli import main
from stacks.tooling.engine import run_program
from tests.factories import DB_SECRET_ARN, SERVICE_CONFIG

SERVICE: dict[str, Any] = {**SERVICE_CONFIG, "port": 8000}
VALID: dict[str, Any] = {
    "config": {
        "aws:region": "eu-west-1",
        "observability:environment": {"name": "dev", "team": "platform"},
        "observability:ecs": {
            "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/dev",
            "subnetIds": ["subnet-0a1b2c3d4e5f60718"],
        },
        "observability:services": [SERVICE, {**SERVICE, "name": "orders-api"}],
    }
}


def stack_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    change(document["config"])
    return document


def plan_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any) -> list[str]:
    """Plan a stack file; assert it is refused with status 2 and no output; return the errors."""
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    out = tmp_path / "out"
    status = main(["plan", "--stack", "dev", "--config-file", str(stack_file), "--out", str(out)])
    assert status == 2
    assert not (out / "resources.json").exists()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines
    assert all(line.startswith(f"{stack_file}: ") for line in lines)
    return [line.removeprefix(f"{stack_file}: ") for line in lines]


def service_change(index: int, **changes: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        service = config["observability:services"][index]
        for key, value in changes.items():
            if value is None:
                del service[key]
            else:
                service[key] = value

    return change


def agent_settings(**settings: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        config["observability:ecs"]["agent"] = settings

    return change


def log_router_settings(**settings: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        config["observability:ecs"]["logRouter"] = settings

    return change


NO_CREDENTIALS = (
    ", and a task definition's environment is plain text: the sidecars take no credentials (the "
    "Datadog API key comes from observability:datadog.apiKeySecret; an app's own go under "
    "services[].secrets)"
)

CASES = [
    pytest.param(
        service_change(1, memory=3000),
        "observability:services[1].memory: 3000 is not a valid Fargate memory for cpu 512 "
        "(allowed: 1024, 2048, 3072, 4096)",
        id="fargate-memory",
    ),
    pytest.param(
        service_change(0, cpu=384),
        "observability:services[0].cpu: 384 is not a Fargate cpu value "
        "(allowed: 256, 512, 1024, 2048, 4096, 8192, 16384)",
        id="fargate-cpu",
    ),
    pytest.param(
        service_change(0, colour="blue"),
        "observability:services[0].colour: unknown key; none of the 39 keys allowed here is "
        "close (the README's configuration reference lists them)",
        id="unknown-service-key",
    ),
    pytest.param(
        lambda c: c.update({"observability:servics": []}),
        "observability:servics: unknown key; did you mean observability:services?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        service_change(0, image=None),
        "observability:services[0].image: required key is missing",
        id="missing-image",
    ),
    pytest.param(
        lambda c: c.pop("observability:environment"),
        "observability:environment: required key is missing",
        id="missing-section",
    ),
    pytest.param(
        service_change(0, port="http"),
        "observability:services[0].port: Input should be a valid integer (got 'http')",
        id="wrong-type",
    ),
    pytest.param(
        service_change(0, image="ghcr.io/acme/checkout-api:latest"),
        "observability:services[0].image: 'ghcr.io/acme/checkout-api:latest' uses the tag "
        "'latest'; pin a version (e.g. repo/app:1.4.2)",
        id="image-latest",
    ),
    pytest.param(
        service_change(0, image="registry.local:5000/checkout-api"),
        "observability:services[0].image: 'registry.local:5000/checkout-api' has no tag; pin a "
        "version (e.g. repo/app:1.4.2)",
        id="image-untagged",
    ),
    pytest.param(
        service_change(0, traceSampleRate=1.5),
        "observability:services[0].traceSampleRate: Input should be less than or equal to 1 "
        "(got 1.5)",
        id="sample-rate-high",
    ),
    pytest.param(
        service_change(0, traceSampleRate=-0.1),
        "observability:services[0].traceSampleRate: Input should be greater than or equal to 0 "
        "(got -0.1)",
        id="sample-rate-negative",
    ),
    pytest.param(
        service_change(1, name="checkout-api"),
        "observability:services[1].name: duplicate service name 'checkout-api' (also "
        "services[0]); names must be unique",
        id="duplicate-names",
    ),
    pytest.param(
        service_change(0, command=["ddtrace-run", "uvicorn", "app.main:app"]),
        "observability:services[0].command: holds ddtrace-run while wrapWithDdtrace is true; "
        "drop it or set wrapWithDdtrace: false (wrapping twice patches every library twice)",
        id="double-ddtrace-run",
    ),
    pytest.param(
        service_change(0, entryPoint=["/usr/local/bin/ddtrace-run", "python"]),
        "observability:services[0].entryPoint: holds ddtrace-run while wrapWithDdtrace is true; "
        "drop it or set wrapWithDdtrace: false (wrapping twice patches every library twice)",
        id="ddtrace-run-in-the-entry-point",
    ),
    pytest.param(
        service_change(0, entryPoint=["/bin/sh", "-c"]),
        "observability:services[0].entryPoint: a shell's -c takes the command as one string, so "
        "ddtrace-run cannot be put in front of the Python process; give the program and its "
        "arguments as a list without a shell, or set wrapWithDdtrace: false and start the string "
        "with ddtrace-run",
        id="shell-string-entry-point",
    ),
    pytest.param(
        service_change(0, llmObservability={"agentless": True}),
        "observability:services[0].llmObservability: agentless LLM Observability cannot run with "
        "an agent sidecar: set agent: agentless or drop agentless: true (the sidecar then "
        "forwards LLM data)",
        id="agentless-llmobs-with-sidecar",
    ),
    pytest.param(
        service_change(0, agent="agentless"),
        "observability:services[0].llmObservability: required with agent: agentless (without an "
        "agent only LLM Observability data has somewhere to go); enable it or use agent: sidecar",
        id="agentless-without-llmobs",
    ),
    pytest.param(
        service_change(0, agent="daemon"),
        "observability:services[0].agent: Input should be 'sidecar' or 'agentless' (got 'daemon')",
        id="agent-mode",
    ),
    pytest.param(
        service_change(0, env={"DD_API_KEY": "abc"}),
        "observability:services[0].env: DD_API_KEY set by the project; remove from env",
        id="env-api-key",
    ),
    pytest.param(
        service_change(0, env={"STRIPE_TOKEN": "abc"}),
        "observability:services[0].env: STRIPE_TOKEN look like credentials; put them under "
        "secrets (plain env values are readable in the task definition)",
        id="env-credential",
    ),
    pytest.param(
        service_change(
            0, secrets={"DB": {"arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"}}
        ),
        "observability:services[0].secrets.DB.arn: the value is not a full Secrets Manager "
        "secret ARN (with its six-character suffix)",
        id="partial-secret-arn",
    ),
    pytest.param(
        service_change(0, env={"DB_HOST": "db"}, secrets={"DB_HOST": {"arn": DB_SECRET_ARN}}),
        "observability:services[0].secrets.DB_HOST: also set in env; a variable takes one "
        "value: keep it in one of the two",
        id="env-and-secret",
    ),
    pytest.param(
        service_change(0, secrets={"DD_API_KEY": {"arn": DB_SECRET_ARN}}),
        "observability:services[0].secrets.DD_API_KEY: the project gives every container the "
        "Datadog API key itself, from observability:datadog.apiKeySecret; remove it here",
        id="secret-api-key",
    ),
    pytest.param(
        service_change(0, secrets={"DD_ENV": {"arn": DB_SECRET_ARN}}),
        "observability:services[0].secrets.DD_ENV: set by the project; remove it from secrets",
        id="secret-reserved",
    ),
    pytest.param(
        service_change(0, port=8126),
        "observability:services[0].port: 8126 is taken by the Agent's trace receiver in the "
        "same task (its containers share one network namespace); listen on another port",
        id="port-of-the-agent",
    ),
    pytest.param(
        service_change(0, port=5000),
        "observability:services[0].port: 5000 is taken by the Agent's expvar server in the "
        "same task (its containers share one network namespace); listen on another port",
        id="port-of-the-agent-expvar",
    ),
    pytest.param(
        service_change(0, port=24224),
        "observability:services[0].port: 24224 is taken by the FireLens log router in the "
        "same task (its containers share one network namespace); listen on another port",
        id="port-of-the-log-router",
    ),
    pytest.param(
        service_change(0, cws=True, port=5678),
        "observability:services[0].port: 5678 is taken by the Agent's Workload Protection "
        "receiver in the same task (its containers share one network namespace); listen on "
        "another port",
        id="port-of-workload-protection",
    ),
    pytest.param(
        service_change(0, port=8877),
        "observability:services[0].port: 8877 is taken by the FireLens log router's "
        "health-check input in the same task (its containers share one network namespace); "
        "listen on another port",
        id="port-of-the-log-router-health-check",
    ),
    pytest.param(
        service_change(0, cws=True, agent="agentless", llmObservability={}),
        "observability:services[0].cws: needs agent: sidecar: cws-instrumentation reports what "
        "the app does to the Agent's runtime security module in the same task",
        id="cws-without-agent",
    ),
    pytest.param(
        service_change(0, cws=True, wrapWithDdtrace=False),
        "observability:services[0].entryPoint: required with cws when wrapWithDdtrace is false: "
        "cws-instrumentation goes in front of the container's entry point, and the image's "
        "ENTRYPOINT is not in the task definition to put it in front of; name it (e.g. "
        "[/docker-entrypoint.sh]), or the command's program if the image has none",
        id="cws-without-entry-point",
    ),
    pytest.param(
        service_change(
            0, cws=True, entryPoint=["/cws-instrumentation-volume/cws-instrumentation", "trace"]
        ),
        "observability:services[0].entryPoint: holds cws-instrumentation while cws is true; drop "
        "it (the task puts it in front of the entry point itself, from the volume its init "
        "container fills)",
        id="cws-twice",
    ),
    pytest.param(
        lambda c: c["observability:ecs"].update(
            {"cwsInstrumentationImage": "public.ecr.aws/datadog/cws-instrumentation:latest"}
        ),
        "observability:ecs.cwsInstrumentationImage: 'public.ecr.aws/datadog/cws-instrumentation:"
        "latest' uses the tag 'latest'; pin a version (e.g. repo/app:1.4.2)",
        id="cws-image-latest",
    ),
    pytest.param(
        lambda c: c.update({"observability:datadog": {"apiKeySecret": {"name": "datadog key"}}}),
        "observability:datadog.apiKeySecret.name: 'datadog key' is not a Secrets Manager secret "
        "name (up to 512 letters, digits and /_+=.@-)",
        id="secret-name",
    ),
    pytest.param(
        service_change(0, command=["uvicorn", "", "app.main:app"]),
        "observability:services[0].command[1]: String should have at least 1 character (got '')",
        id="empty-argument",
    ),
    pytest.param(
        service_change(0, env={f"CERT_{i}": "x" * 4000 for i in range(16)}),
        "observability:services[0].env: the task definition would take about 74 KiB, and ECS "
        "takes up to 64 KiB: move large values out of env (a file in the image, or a secret)",
        id="task-definition-too-large",
    ),
    pytest.param(
        lambda c: c["observability:ecs"].pop("subnetIds"),
        "observability:ecs.subnetIds: required when clusterArn is set (the tasks' network "
        "interfaces)",
        id="cluster-without-subnets-key",
    ),
    pytest.param(
        lambda c: c["observability:ecs"].update(
            subnetIds=[f"subnet-0a1b2c3d4e5f607{i:02d}" for i in range(17)]
        ),
        "observability:ecs.subnetIds: List should have at most 16 items after validation, not 17",
        id="too-many-subnets",
    ),
    pytest.param(
        service_change(0, image="ghcr.io/Acme/checkout-api:1.8.2"),
        "observability:services[0].image: 'ghcr.io/Acme/checkout-api:1.8.2' is not an image "
        "reference: [registry/]repository[:tag][@sha256:<64 hex digits>], the repository in "
        "lowercase",
        id="image-uppercase",
    ),
    pytest.param(
        service_change(0, image="ghcr.io/acme/" + "a" * 250 + ":1"),
        "observability:services[0].image: 265 characters; ECS takes image references of up to 255",
        id="image-too-long",
    ),
    pytest.param(
        service_change(0, name="checkout-api-with-a-name-longer-than-41-ch"),
        "observability:services[0].name: 42 characters; at most 41: Pulumi names the execution "
        "role <name>-execution-role-<7 random characters>, and IAM role names stop at 64",
        id="name-too-long-for-its-role",
    ),
    pytest.param(
        lambda c: c["observability:environment"].update(tags={"aws:owner": "x"}),
        "observability:environment.tags.aws:owner: 'aws:owner' starts with aws:, which AWS keeps "
        "for its own tags",
        id="aws-tag",
    ),
    pytest.param(
        lambda c: c["observability:environment"].update(tags={"team": "x"}),
        "observability:environment.tags: team set by the project; remove from tags",
        id="project-tag",
    ),
    pytest.param(
        lambda c: c["observability:environment"].update(tags={f"k{i}": "v" for i in range(47)}),
        "observability:environment.tags: 47 tags; at most 46: AWS takes 50 per resource, and the "
        "project sets env, team, managed-by, service",
        id="too-many-tags",
    ),
    pytest.param(
        lambda c: c["observability:ecs"].update(subnetIds=[]),
        "observability:ecs.subnetIds: required when clusterArn is set (the tasks' network "
        "interfaces)",
        id="cluster-without-subnets",
    ),
    pytest.param(
        service_change(0, cpu=256, memory=512),
        "observability:services[0].memory: 512 MiB leaves 128 MiB for the app after the "
        "sidecars' 384 MiB (the app needs at least 256)",
        id="task-too-small-for-sidecars",
    ),
    pytest.param(
        lambda c: c.update({"observability:datadog": {"site": "datadoghq.co.uk"}}),
        "observability:datadog.site: Input should be 'datadoghq.com', 'us3.datadoghq.com', "
        "'us5.datadoghq.com', 'datadoghq.eu', 'ap1.datadoghq.com', 'ap2.datadoghq.com' or "
        "'ddog-gov.com' (got 'datadoghq.co.uk')",
        id="unknown-site",
    ),
    pytest.param(
        agent_settings(env={"DD_TAGS": "team:x"}),
        "observability:ecs.agent.env.DD_TAGS: set from observability:environment.tags and the "
        "service's team",
        id="agent-env-set-by-the-project",
    ),
    pytest.param(
        agent_settings(env={"DD_APM_ENABLED": "false"}),
        "observability:ecs.agent.env.DD_APM_ENABLED: set by the project; remove it from env",
        id="agent-env-reserved",
    ),
    pytest.param(
        agent_settings(env={"DD_DOGSTATSD_ORIGIN_DETECTION": "true"}),
        "observability:ecs.agent.env.DD_DOGSTATSD_ORIGIN_DETECTION: needs the Agent in the app's "
        "PID namespace, which these tasks do not share: every packet would log a warning; origin "
        "detection runs client-side (dogstatsdOriginDetection)",
        id="agent-env-socket-origin-detection",
    ),
    pytest.param(
        agent_settings(env={"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4"}),
        "observability:ecs.agent.env.ECS_CONTAINER_METADATA_URI_V4: set by ECS in every "
        "container, and the sidecar needs ECS's value",
        id="agent-env-set-by-ecs",
    ),
    pytest.param(
        agent_settings(env={"DD_PROXY_PASSWORD": "hunter2"}),
        "observability:ecs.agent.env.DD_PROXY_PASSWORD: looks like a credential" + NO_CREDENTIALS,
        id="agent-env-credential-name",
    ),
    pytest.param(
        agent_settings(env={"DD_PROXY_HTTPS": "http://user:hunter2@proxy:3128"}),
        "observability:ecs.agent.env.DD_PROXY_HTTPS: the value holds a password in a URL"
        + NO_CREDENTIALS,
        id="agent-env-password-in-url",
    ),
    pytest.param(
        log_router_settings(env={"DD_LOGS_CONFIG": "0123456789abcdef0123456789abcdef"}),
        "observability:ecs.logRouter.env.DD_LOGS_CONFIG: the value looks like a Datadog API or "
        "application key" + NO_CREDENTIALS,
        id="log-router-env-api-key-value",
    ),
    pytest.param(
        log_router_settings(env={"1LOG_LEVEL": "debug"}),
        # What was given under env is never repeated: it may be a credential in the wrong place.
        "observability:ecs.logRouter.env.1LOG_LEVEL: the value is not an environment variable name",
        id="log-router-env-name",
    ),
    pytest.param(
        agent_settings(dogstatsdTagCardinality="task"),
        "observability:ecs.agent.dogstatsdTagCardinality: Input should be 'low', 'orchestrator' "
        "or 'high' (got 'task')",
        id="tag-cardinality",
    ),
    pytest.param(
        service_change(0, agent="agentless", llmObservability={}, waitForHealthyAgent=True),
        "observability:services[0].waitForHealthyAgent: there is no Agent to wait for with "
        "agent: agentless",
        id="wait-for-no-agent",
    ),
    pytest.param(
        service_change(0, cws=True, waitForHealthyAgent=False),
        "observability:services[0].waitForHealthyAgent: false with cws: the Workload Protection "
        "tracer exits the app when it cannot reach the Agent, so the app must wait for a healthy "
        "one; drop the key",
        id="cws-without-waiting-for-the-agent",
    ),
    pytest.param(
        service_change(0, tmpSizeMib=128),
        "observability:services[0].tmpSizeMib: only used with readonlyRootFilesystem: true (a "
        "writable root filesystem has its own /tmp)",
        id="tmp-size-without-read-only-root",
    ),
    pytest.param(
        service_change(0, readonlyRootFilesystem=True, tmpSizeMib=640),
        "observability:services[0].tmpSizeMib: 640 MiB, and the app has 640 MiB: what /tmp holds "
        "counts against the app's memory, so a full /tmp would leave it none; make it smaller",
        id="tmp-size-above-app-memory",
    ),
    pytest.param(
        service_change(0, user="root:root"),
        "observability:services[0].user: 'root:root' is root; name a non-root user, or omit user "
        "to run as the image's USER",
        id="user-root",
    ),
    pytest.param(
        service_change(0, user="app user"),
        "observability:services[0].user: 'app user' is not a user: a name or UID, optionally "
        "with :group (a name or GID)",
        id="user-format",
    ),
    pytest.param(
        lambda c: c["observability:environment"].update(tags={"version": "2", "1st": "x"}),
        "observability:environment.tags: '1st' does not start with a letter, as Datadog tags "
        "must; version is a tag key Datadog reserves (unified service tagging and hosts); the "
        "project sets env, service and version itself (these tags are also the Datadog tags of "
        "the services)",
        id="tags-that-are-not-datadog-tags",
    ),
]


CONNECTION_FAILURES: dict[str, Any] = {
    "kind": "log",
    "name": "database connection failures",
    "search": "service:checkout-api env:dev @event:connection_failed",
    "critical": 3,
    "window": "2m",
}
MONITORS = "observability:services[0].monitors"
NO_DEFAULT_MONITORS = {"latency": None, "errorRate": None, "throughput": None, "errorLogs": None}
NO_SLOS = {"availability": None, "latency": None}


def monitors(**settings: Any) -> Any:
    """Set checkout-api's `monitors`."""
    return service_change(0, monitors=settings)


def custom(**fields: Any) -> Any:
    """checkout-api with the guide's connection-failures log monitor, these keys changed."""
    return monitors(custom={"connection-failures": {**CONNECTION_FAILURES, **fields}})


def composite(expression: str, **settings: Any) -> dict[str, Any]:
    """A composite custom monitor over `expression`."""
    return {"kind": "composite", "name": "slow and failing", "expression": expression, **settings}


def with_composite(expression: str, **monitor_settings: Any) -> Any:
    """checkout-api with a composite `both` over `expression`, and `monitor_settings`."""
    custom = monitor_settings.pop("custom", {})
    return monitors(**monitor_settings, custom={**custom, "both": composite(expression)})


BOTH = f"{MONITORS}.custom.both.expression"
LOG_MONITORS = {f"logs-{n}": CONNECTION_FAILURES for n in range(11)}


def notifications(**settings: Any) -> Any:
    """Set the stack's `observability:datadog.notifications`."""
    return lambda c: c.update({"observability:datadog": {"notifications": settings}})


def production(change: Any = None) -> Any:
    """The stack as production: environment `production`, then `change`."""

    def apply(config: dict[str, Any]) -> None:
        config["observability:environment"]["name"] = "production"
        if change is not None:
            change(config)

    return apply


MONITOR_CASES = [
    pytest.param(
        custom(aggregation="avg"),
        f'{MONITORS}.custom.connection-failures: query: .rollup("avg") needs a measure, e.g. '
        '.rollup("avg", "@duration") (at char 81: \'avg\')',
        id="custom-log-query-without-measure",
    ),
    pytest.param(
        monitors(
            custom={
                "failed-payments": {
                    "kind": "formula",
                    "name": "failed payments",
                    "formula": "failed / / 100",
                    "variables": {"failed": {"search": "service:checkout-api"}},
                    "critical": 2,
                }
            }
        ),
        f"{MONITORS}.custom.failed-payments: query: expected a variable, a function, a number or "
        "'(' (at char 18: '/ 100\").last(\"15m\") > 2')",
        id="custom-formula-syntax",
    ),
    pytest.param(
        monitors(
            custom={
                "failed-payments": {
                    "kind": "formula",
                    "name": "failed payments",
                    "formula": "failed / total * 100",
                    "variables": {"failed": {"search": "service:checkout-api"}},
                    "critical": 2,
                }
            }
        ),
        f"{MONITORS}.custom.failed-payments.variables: the formula uses 'total' but no variable "
        "has that name",
        id="custom-formula-unknown-variable",
    ),
    pytest.param(
        monitors(
            custom={
                "queue-depth": {
                    "kind": "metric",
                    "name": "queue backlog",
                    "metric": "app.queue.depth",
                    "filters": ["env:dev}"],
                    "critical": 1000,
                }
            }
        ),
        f"{MONITORS}.custom.queue-depth: 'env:dev}}' is not a tag filter such as env:prod or "
        "!host:a: unexpected text after the tag filter",
        id="custom-metric-filter",
    ),
    pytest.param(
        monitors(
            custom={
                "queue-depth": {
                    "kind": "metric",
                    "name": "queue backlog",
                    "metric": "app.queue.depth",
                    "filters": ["env:dev", "service:checkout-api} + avg:other.metric{*"],
                    "groupBy": ["queue name"],
                    "critical": 1000,
                }
            }
        ),
        f"{MONITORS}.custom.queue-depth: "
        "'service:checkout-api} + avg:other.metric{*' is not a tag filter such as env:prod or "
        "!host:a: unexpected text after the tag filter; 'queue name' is not a tag key to group "
        "by (letters, digits and _.-/@:)",
        id="custom-metric-query-injection",
    ),
    pytest.param(
        custom(window="3d"),
        f"{MONITORS}.custom.connection-failures: query: invalid window '3d': windows run from 1m "
        "to 2880m (48h) (at char 95: '3d')",
        id="custom-log-window",
    ),
    pytest.param(
        monitors(errorRate={"critical": 0.05, "warning": 0.06}),
        f"{MONITORS}.errorRate.warning: must be below critical (0.05) for comparator '>', got 0.06",
        id="error-rate-warning-above-critical",
    ),
    pytest.param(
        monitors(latency={"criticalSeconds": 0.5, "warningSeconds": 0.6}),
        f"{MONITORS}.latency.warningSeconds: must be below critical (0.5) for comparator '>', "
        "got 0.6",
        id="latency-warning-above-critical",
    ),
    pytest.param(
        custom(comparator="<", critical=3, warning=1),
        f"{MONITORS}.custom.connection-failures.warning: must be above critical (3) for "
        "comparator '<', got 1",
        id="custom-warning-on-the-wrong-side",
    ),
    pytest.param(
        monitors(
            custom={
                "signups": {
                    "kind": "anomaly",
                    "name": "signups",
                    "metric": "app.signups",
                    "critical": 0.5,
                    "criticalRecovery": 0.6,
                }
            }
        ),
        f"{MONITORS}.custom.signups.criticalRecovery: must be at or below critical (0.5) for "
        "comparator '>=', got 0.6",
        id="anomaly-recovery-above-critical",
    ),
    pytest.param(
        monitors(errorRate={"critical": 5}),
        f"{MONITORS}.errorRate.critical: Input should be less than or equal to 1 (got 5)",
        id="error-rate-as-percent",
    ),
    pytest.param(
        monitors(throughput={"queryWindow": "last_2h"}),
        f"{MONITORS}.throughput: query_window 'last_2h' must be at least 5 times alert_window "
        "'last_30m', so the model has history to compare with",
        id="throughput-history-too-short",
    ),
    pytest.param(
        custom(notifyBy=["@http.status_code"]),
        f"{MONITORS}.custom.connection-failures.notifyBy: '@http.status_code' is not a group-by "
        "key of the query (the query has no group-by)",
        id="notify-by-outside-group-by",
    ),
    pytest.param(
        custom(severity="critical"),
        f"{MONITORS}.custom.connection-failures.severity: Input should be 'high' or 'low' (got "
        "'critical')",
        id="custom-severity",
    ),
    pytest.param(
        monitors(latency={"severity": "page"}),
        f"{MONITORS}.latency.severity: Input should be 'high' or 'low' (got 'page')",
        id="default-monitor-severity",
    ),
    pytest.param(
        custom(priority=0),
        f"{MONITORS}.custom.connection-failures.priority: Input should be greater than or equal "
        "to 1 (got 0)",
        id="custom-priority",
    ),
    pytest.param(
        custom(name="  "),
        f"{MONITORS}.custom.connection-failures.name: must not be blank",
        id="custom-blank-name",
    ),
    pytest.param(
        monitors(latncy={"criticalSeconds": 1}),
        f"{MONITORS}.latncy: unknown key; did you mean latency?",
        id="unknown-monitor-key",
    ),
    pytest.param(
        custom(query="x"),
        f"{MONITORS}.custom.connection-failures.query: unknown key; none of the 21 keys allowed "
        "here is close (the README's configuration reference lists them)",
        id="unknown-key-of-a-log-monitor",
    ),
    pytest.param(
        custom(kind="sql"),
        f"{MONITORS}.custom.connection-failures.kind: Input should be one of 'metric', 'anomaly', "
        "'log', 'formula', 'composite' (got 'sql')",
        id="unknown-custom-kind",
    ),
    pytest.param(
        monitors(custom={"errors": {"name": "errors", "search": "status:error", "critical": 1}}),
        f"{MONITORS}.custom.errors.kind: required key is missing",
        id="custom-without-kind",
    ),
    pytest.param(
        monitors(custom={"Connection_Failures": CONNECTION_FAILURES}),
        f"{MONITORS}.custom: monitor role 'Connection_Failures' must be lowercase words joined by "
        "'-', e.g. 'error-rate'",
        id="custom-role",
    ),
    pytest.param(
        monitors(custom={"latency": CONNECTION_FAILURES}),
        f"{MONITORS}.custom: custom monitor role 'latency' is already taken by another monitor "
        "of checkout-api",
        id="custom-role-taken",
    ),
    pytest.param(
        custom(search="service:chekout-api @event:connection_failed"),
        f"{MONITORS}.custom.connection-failures.search: service:chekout-api is not a service of "
        "this stack (checkout-api, orders-api); the monitor would never see data",
        id="unknown-service-in-search",
    ),
    pytest.param(
        monitors(
            custom={
                "queue-depth": {
                    "kind": "metric",
                    "name": "queue backlog",
                    "metric": "app.queue.depth",
                    "filters": ["env:production", "service:orders"],
                    "critical": 1000,
                }
            }
        ),
        [
            f"{MONITORS}.custom.queue-depth.filters[0]: env:production is not this stack's "
            "environment (dev); the monitor would watch another environment",
            f"{MONITORS}.custom.queue-depth.filters[1]: service:orders is not a service of this "
            "stack (checkout-api, orders-api); the monitor would never see data",
        ],
        id="other-environment-and-unknown-service-in-filters",
    ),
    pytest.param(
        with_composite("latency &&"),
        f"{BOTH}: expected a monitor role (lowercase words joined by '-') in the composite (at "
        "the end, after char 10: 'latency &&')",
        id="composite-syntax",
    ),
    pytest.param(
        with_composite("latency && error-rates"),
        f"{BOTH}: no monitor of this service has the role 'error-rates' (its monitors: latency, "
        "error-rate, throughput, error-logs)",
        id="composite-unknown-role",
    ),
    pytest.param(
        with_composite("latency && error-rate", errorRate=None),
        f"{BOTH}: 'error-rate' is turned off (errorRate: null), so there is no monitor to combine",
        id="composite-of-a-monitor-turned-off",
    ),
    pytest.param(
        lambda c: (
            service_change(0, traceEnabled=False)(c),
            with_composite("latency && error-logs")(c),
        ),
        f"{BOTH}: 'latency' is not created in this stack (traceEnabled is false), so there is no "
        "monitor to combine",
        id="composite-of-a-monitor-without-data",
    ),
    pytest.param(
        with_composite("both || latency"),
        f"{BOTH}: 'both' is this composite itself",
        id="composite-of-itself",
    ),
    pytest.param(
        with_composite("latency && other", custom={"other": composite("error-rate && latency")}),
        f"{BOTH}: 'other' is a composite too, and Datadog does not base composites on other "
        "composites",
        id="composite-of-a-composite",
    ),
    pytest.param(
        with_composite("latency && other", custom={"other": composite("both || error-rate")}),
        [
            f"{BOTH}: 'other' is a composite too, which names this one back, and Datadog does "
            "not base composites on other composites",
            f"{MONITORS}.custom.other.expression: 'both' is a composite too, which names this "
            "one back, and Datadog does not base composites on other composites",
        ],
        id="composite-cycle",
    ),
    pytest.param(
        with_composite("!latency || latency"),
        f"{BOTH}: a composite combines at least two monitors, and this names only 'latency'",
        id="composite-of-one-monitor",
    ),
    pytest.param(
        with_composite(" && ".join(LOG_MONITORS), custom=LOG_MONITORS),
        f"{BOTH}: names 11 monitors; Datadog combines at most 10",
        id="composite-of-too-many-monitors",
    ),
    pytest.param(
        with_composite(
            "latency && error-logs",
            latency={"groupBy": ["resource_name"]},
            errorLogs={"groupBy": ["@error.kind"]},
        ),
        f"{BOTH}: 'latency' is grouped by resource_name and 'error-logs' by @error.kind: Datadog "
        "pairs the groups of multi-alert monitors by their tag values, so these have none in "
        "common and the composite would never trigger; group one by some of the other's keys",
        id="composite-of-monitors-grouped-apart",
    ),
    pytest.param(
        monitors(custom={"both": composite("latency && error-rate", noDataMinutes=5)}),
        f"{MONITORS}.custom.both.noDataMinutes: unknown key; did you mean renotifyMinutes?",
        id="composite-without-missing-data-alerts",
    ),
    pytest.param(
        service_change(0, operation="FastAPI request"),
        "observability:services[0].operation: 'FastAPI request' is not a ddtrace span operation "
        "such as fastapi.request, flask.request or django.request",
        id="operation",
    ),
    pytest.param(
        service_change(0, runbookUrl="runbooks/checkout-api"),
        "observability:services[0].runbookUrl: 'runbooks/checkout-api' is not an http(s) URL",
        id="runbook-url",
    ),
    pytest.param(
        notifications(alert=["@pagerduty"]),
        "observability:datadog.notifications.alert[0]: '@pagerduty' is not a notification handle "
        "(@slack-<channel>, @pagerduty-<service>, @opsgenie-<service>, @team-<handle>, "
        "@webhook-<name> or @<email address>)",
        id="bad-handle",
    ),
    pytest.param(
        service_change(1, notifications={"warning": ["slack-orders"]}),
        "observability:services[1].notifications.warning[0]: 'slack-orders' is not a "
        "notification handle (@slack-<channel>, @pagerduty-<service>, @opsgenie-<service>, "
        "@team-<handle>, @webhook-<name> or @<email address>)",
        id="bad-service-handle",
    ),
    pytest.param(
        notifications(high={"renotifyMinutes": 60}),
        "observability:datadog.notifications.high.priority: required key is missing",
        id="severity-policy-without-priority",
    ),
    pytest.param(
        lambda c: c["observability:environment"].update(protectResources=True),
        "observability:datadog.notifications.alert: no handle in a production stack "
        "(protectResources is true): alerts of checkout-api, orders-api would page no one; add "
        "one such as @pagerduty-<service>",
        id="protected-stack-without-alert-handles",
    ),
    pytest.param(
        production(notifications(warning=["@slack-platform-alerts"])),
        "observability:datadog.notifications.alert: no handle in a production stack (environment "
        "production): alerts of checkout-api, orders-api would page no one; add one such as "
        "@pagerduty-<service>",
        id="production-without-alert-handles",
    ),
    pytest.param(
        production(
            lambda c: (
                notifications(alert=["@pagerduty-Platform"])(c),
                service_change(1, notifications={"alert": []})(c),
            )
        ),
        "observability:services[1].notifications.alert: no handle in a production stack "
        "(environment production): orders-api's alerts would page no one; add one such as "
        "@pagerduty-<service>",
        id="production-service-without-alert-handles",
    ),
]


@pytest.mark.parametrize(("change", "expected"), MONITOR_CASES)
def test_bad_monitor_config_is_refused_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str | list[str]
) -> None:
    lines = expected if isinstance(expected, list) else [expected]
    assert plan_errors(tmp_path, capsys, stack_with(change)) == lines


def test_a_production_stack_may_route_every_service_itself() -> None:
    service = {**SERVICE, "notifications": {"alert": ["@pagerduty-Checkout"]}}
    quiet = {**SERVICE, "name": "batch", "monitors": NO_DEFAULT_MONITORS}
    loaded = parse_stack_config(
        {
            "environment": {"name": "production", "team": "platform"},
            "services": [service, quiet],
        }
    )
    assert [s.name for s in loaded.services] == ["checkout-api", "batch"]


def test_monitors_and_dashboards_need_both_datadog_keys() -> None:
    config = {
        "observability:environment": '{"name": "dev", "team": "platform"}',
        "observability:services": json.dumps([SERVICE]),
    }
    with pytest.raises(StackConfigError) as error:
        run_program(compile_running_stack, stack="dev", config=config)
    assert error.value.render("Pulumi.dev.yaml").splitlines() == [
        "Pulumi.dev.yaml: datadog:apiKey: missing; run `pulumi config set --secret "
        "datadog:apiKey <key>` (the stack's Datadog provider needs it for the monitors and "
        "dashboards)",
        "Pulumi.dev.yaml: datadog:appKey: missing; run `pulumi config set --secret "
        "datadog:appKey <key>` with an application key allowed to manage monitors and "
        "dashboards (the stack's Datadog provider needs it)",
    ]
    quiet = {**SERVICE, "dashboard": False, "monitors": NO_DEFAULT_MONITORS, "slos": NO_SLOS}
    config["observability:services"] = json.dumps([quiet])
    config["datadog:apiKey"] = "key"
    compiled: list[CompiledStack] = []
    run_program(lambda: compiled.append(compile_running_stack()), stack="dev", config=config)
    assert [stack.datadog_provider for stack in compiled] == [None]


def eks(**section: Any) -> Any:
    """Add an `observability:eks` section for cluster platform-dev with these keys."""

    def change(config: dict[str, Any]) -> None:
        config["observability:eks"] = {"clusterName": "platform-dev", **section}

    return change


def resources(
    cpu_request: str | int, memory_request: str, cpu_limit: str | int, memory_limit: str | int
) -> dict[str, dict[str, str | int]]:
    return {
        "requests": {"cpu": cpu_request, "memory": memory_request},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }


EKS_CASES = [
    pytest.param(
        eks(nodeDaemonSets={"tolerations": [{"key": "dedicated pool", "operator": "Exists"}]}),
        "observability:eks.nodeDaemonSets.tolerations[0].key: 'dedicated pool' is not a label "
        "key: [prefix/]name, the name up to 63 letters, digits and -_. (alphanumeric at both ends)",
        id="toleration-key",
    ),
    pytest.param(
        eks(
            nodeDaemonSets={
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "payments-"}]
            }
        ),
        "observability:eks.nodeDaemonSets.tolerations[0].value: 'payments-' is not a label value: "
        "up to 63 letters, digits and -_. (alphanumeric at both ends)",
        id="toleration-value",
    ),
    pytest.param(
        eks(agent={"features": {"logCollection": {"enabled": True}}}),
        "observability:eks.agent.features.logCollection.enabled: the OpenTelemetry Collector "
        "already tails every container's log files on each node; the Agent tailing them too "
        "would ship, and bill, every log line twice; keep one: set collector.containerLogs or "
        "agent.features.logCollection.enabled to false",
        id="both-tail-container-logs",
    ),
    pytest.param(
        eks(agent={"features": {"otlp": {"grpc": True, "grpcHostPort": 4317}}}),
        "observability:eks.agent.features.otlp.grpcHostPort: the OpenTelemetry Collector takes "
        "OTLP on port 4317 on every node; with the Agent also on host port 4317, applications "
        "reach two different receivers on the same port and telemetry sent to both is ingested "
        "twice (duplicate hosts and metrics); give the Agent another host port (e.g. 14317) or "
        "none",
        id="both-take-otlp-on-4317",
    ),
    pytest.param(
        eks(agent={"features": {"otlp": {"http": True, "httpHostPort": 4318}}}),
        "observability:eks.agent.features.otlp.httpHostPort: the OpenTelemetry Collector takes "
        "OTLP on port 4318 on every node; with the Agent also on host port 4318, applications "
        "reach two different receivers on the same port and telemetry sent to both is ingested "
        "twice (duplicate hosts and metrics); give the Agent another host port (e.g. 14318) or "
        "none",
        id="both-take-otlp-on-4318",
    ),
    pytest.param(
        eks(agent={"features": {"otlp": {"httpHostPort": 14318}}}),
        "observability:eks.agent.features.otlp.httpHostPort: needs http: true (a host port of a "
        "closed receiver)",
        id="host-port-of-a-closed-receiver",
    ),
    pytest.param(
        eks(
            agent={
                "features": {
                    "otlp": {
                        "grpc": True,
                        "http": True,
                        "grpcHostPort": 14317,
                        "httpHostPort": 14317,
                    }
                }
            }
        ),
        "observability:eks.agent.features.otlp.httpHostPort: 14317 is grpcHostPort too; gRPC and "
        "HTTP need a port each",
        id="one-host-port-twice",
    ),
    pytest.param(
        eks(collector={"enabled": False}, agent={"enabled": False}),
        "observability:eks: collector.enabled and agent.enabled are both false, so nothing would "
        "run on the cluster; remove observability:eks instead",
        id="nothing-enabled",
    ),
    pytest.param(
        eks(kubernetesVersion=1.3),
        "observability:eks.kubernetesVersion: 1.3 is a number: quote the version "
        '(kubernetesVersion: "1.30"), YAML reads an unquoted 1.30 as 1.3',
        id="unquoted-kubernetes-version",
    ),
    pytest.param(
        eks(kubernetesVersion="v1.30"),
        "observability:eks.kubernetesVersion: 'v1.30' is not a Kubernetes minor version such as "
        '"1.34"',
        id="malformed-kubernetes-version",
    ),
    pytest.param(
        eks(kubernetesVersion="1.24", agent={"features": {"logCollection": {"enabled": True}}}),
        "observability:eks.kubernetesVersion: cannot be validated offline: kubernetes-validate "
        "1.37.0 has no schemas for Kubernetes 1.24; it has 1.25.0 to 1.37.0",
        id="kubernetes-version-without-schemas",
    ),
    pytest.param(
        eks(namespace="kube-system"),
        "observability:eks.namespace: 'kube-system' exists in every cluster, and the stack creates "
        "its namespace; use a namespace of its own (default 'datadog')",
        id="built-in-namespace",
    ),
    pytest.param(
        eks(namespace="Datadog"),
        "observability:eks.namespace: 'Datadog' is not a namespace name (lowercase letters, "
        "digits and hyphens, at most 63)",
        id="namespace-name",
    ),
    pytest.param(
        eks(existingApiKeySecretName="Datadog_Key"),
        "observability:eks.existingApiKeySecretName: 'Datadog_Key' is not a Secret name "
        "(lowercase letters, digits, '-' and '.')",
        id="secret-name",
    ),
    pytest.param(
        eks(collector={"resources": resources("2", "512Mi", "500m", "1Gi")}),
        "observability:eks.collector.resources: cpu request 2 exceeds limit 500m",
        id="request-above-limit",
    ),
    pytest.param(
        eks(collector={"resources": resources("100m", "1Ki", "500m", "1Ki")}),
        "observability:eks.collector.resources: memory limit 1Ki is too small for the collector",
        id="collector-memory-too-small",
    ),
    pytest.param(
        eks(agent={"nodeAgentResources": resources("half", "512Mi", "1", "1Gi")}),
        "observability:eks.agent.nodeAgentResources.requests.cpu: 'half' is not a quantity such "
        "as 250m or 1",
        id="cpu-quantity",
    ),
    pytest.param(
        eks(nodeDaemonSets={"tolerations": [{"key": "dedicated", "operator": "Equal"}]}),
        "observability:eks.nodeDaemonSets.tolerations[0]: a toleration has a value exactly when "
        "its operator is Equal",
        id="toleration-without-value",
    ),
    pytest.param(
        eks(collector={"batch": {"sendBatchSize": 2048}}),
        "observability:eks.collector.batch: sendBatchSize 2048 is larger than sendBatchMaxSize "
        "1000",
        id="batch-above-max",
    ),
    pytest.param(
        eks(agent={"clusterAgentReplicas": 0}),
        "observability:eks.agent.clusterAgentReplicas: Input should be greater than or equal to 1 "
        "(got 0)",
        id="no-cluster-agent",
    ),
    pytest.param(
        eks(kubeconfigContext=""),
        "observability:eks.kubeconfigContext: String should have at least 1 character (got '')",
        id="empty-context",
    ),
    pytest.param(
        eks(region="eu-west-1"),
        "observability:eks.region: unknown key (allowed: clusterName, kubeconfigContext, "
        "kubernetesVersion, namespace, existingApiKeySecretName, nodeDaemonSets, kubeletTlsVerify, "
        "collector, agent, dashboard)",
        id="unknown-eks-key",
    ),
    pytest.param(
        eks(kubeletTlsVerify="no"),
        "observability:eks.kubeletTlsVerify: Input should be a valid boolean (got 'no')",
        id="kubelet-tls-verify-string",
    ),
    pytest.param(
        eks(agent={"features": {"apm": False, "apmInstrumentation": {"namespaces": ["shop"]}}}),
        "observability:eks.agent.features.apmInstrumentation: needs apm: true; the Operator "
        "ignores the instrumentation of an APM feature that is off",
        id="instrumentation-without-apm",
    ),
    pytest.param(
        eks(agent={"features": {"apmInstrumentation": {"namespaces": []}}}),
        "observability:eks.agent.features.apmInstrumentation.namespaces: List should have at "
        "least 1 item after validation, not 0",
        id="instrumentation-without-namespaces",
    ),
    pytest.param(
        eks(agent={"features": {"apmInstrumentation": {"namespaces": ["shop", "shop"]}}}),
        "observability:eks.agent.features.apmInstrumentation.namespaces[1]: 'shop' is listed "
        "twice (also namespaces[0])",
        id="instrumentation-namespace-twice",
    ),
    pytest.param(
        eks(agent={"features": {"apmInstrumentation": {"namespaces": ["shop", "datadog"]}}}),
        "observability:eks.agent.features.apmInstrumentation.namespaces[1]: 'datadog' is the "
        "Agent's own namespace, which Single Step Instrumentation never injects into; list the "
        "namespaces of your workloads",
        id="instrumentation-of-the-agent-namespace",
    ),
    pytest.param(
        eks(
            agent={
                "features": {
                    "apmInstrumentation": {"namespaces": ["shop"], "ddtraceVersion": "latest"}
                }
            }
        ),
        "observability:eks.agent.features.apmInstrumentation.ddtraceVersion: 'latest' is not a "
        "ddtrace release (major.minor.patch, e.g. 4.13.1)",
        id="instrumentation-unpinned",
    ),
    pytest.param(
        lambda c: c.update({"observability:eks": {"namespace": "datadog"}}),
        "observability:eks.clusterName: required key is missing",
        id="eks-without-cluster",
    ),
]


@pytest.mark.parametrize(("change", "expected"), EKS_CASES)
def test_bad_eks_config_is_refused_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str
) -> None:
    assert plan_errors(tmp_path, capsys, stack_with(change)) == [expected]


def test_eks_defaults_and_yaml_friendly_values() -> None:
    loaded = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform"},
            "eks": {
                "clusterName": "platform-dev",
                "kubernetesVersion": "1.33",
                "agent": {"nodeAgentResources": resources(1, "512Mi", 2, 1073741824)},
            },
        }
    )
    assert loaded.eks is not None
    assert (loaded.eks.namespace, loaded.eks.kubernetes_version) == ("datadog", "1.33")
    assert loaded.eks.collector.container_logs is True
    assert loaded.eks.agent.features.log_collection.enabled is False
    assert loaded.eks.agent.cluster_agent_replicas == 2
    limits = loaded.eks.agent.node_agent_resources.limits
    assert (limits.cpu, limits.memory) == ("2", "1073741824")
    assert parse_stack_config({"environment": {"name": "dev", "team": "platform"}}).eks is None


def test_instrumentation_and_kubelet_tls_reach_the_components() -> None:
    loaded = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform"},
            "eks": {
                "clusterName": "platform-dev",
                "kubeletTlsVerify": False,
                "agent": {"features": {"apmInstrumentation": {"namespaces": ["shop", "default"]}}},
            },
        }
    )
    assert loaded.eks is not None
    args = eks_args(loaded, loaded.eks, "key")
    assert args.agent is not None
    assert args.collector is not None
    agent = args.agent.agent
    assert agent.features.apm_instrumentation == ApmInstrumentation(
        namespaces=("shop", "default"), ddtrace_version=DD_TRACE_PY_VERSION
    )
    assert agent.kubelet_tls_verify is False
    assert args.collector.node.verify_kubelet_tls is False
    defaults = parse_stack_config(
        {"environment": {"name": "dev", "team": "platform"}, "eks": {"clusterName": "c"}}
    )
    assert defaults.eks is not None
    assert defaults.eks.kubelet_tls_verify is True
    assert defaults.eks.agent.features.apm_instrumentation is None


def test_the_agent_may_take_the_otlp_ports_when_no_collector_runs() -> None:
    loaded = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform"},
            "eks": {
                "clusterName": "platform-dev",
                "collector": {"enabled": False},
                "agent": {
                    "features": {
                        "otlp": {"grpc": True, "grpcHostPort": 4317},
                        "logCollection": {"enabled": True},
                    }
                },
            },
        }
    )
    assert loaded.eks is not None
    assert loaded.eks.agent.features.otlp.grpc_host_port == 4317


def test_eks_needs_the_api_key_unless_it_names_an_existing_secret() -> None:
    config = {
        "observability:environment": '{"name": "dev", "team": "platform"}',
        "observability:datadog": json.dumps(
            {
                "apiKeySecret": {
                    "existingArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
                    "datadog/api-key-AbCdEf"
                }
            }
        ),
        # Without its dashboard, nothing needs the Datadog provider (and its keys).
        "observability:eks": '{"clusterName": "platform-dev", "dashboard": false}',
    }
    with pytest.raises(StackConfigError) as error:
        run_program(compile_running_stack, stack="dev", config=config)
    assert error.value.render("Pulumi.dev.yaml") == (
        "Pulumi.dev.yaml: datadog:apiKey: missing; run `pulumi config set --secret "
        "datadog:apiKey <key>` or name an existing Kubernetes Secret in "
        "observability:eks.existingApiKeySecretName"
    )
    config["observability:eks"] = json.dumps(
        {
            "clusterName": "platform-dev",
            "existingApiKeySecretName": "datadog-api-key-synced",
            "dashboard": False,
        }
    )
    compiled: list[CompiledStack] = []
    run_program(lambda: compiled.append(compile_running_stack()), stack="dev", config=config)
    [stack] = compiled
    assert stack.eks is not None
    assert stack.eks.namespace.api_key is None
    assert stack.api_key_secret is not None
    assert stack.api_key_secret.api_key is None


@pytest.mark.parametrize(("change", "expected"), CASES)
def test_bad_config_is_refused_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str
) -> None:
    assert plan_errors(tmp_path, capsys, stack_with(change)) == [expected]


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def two_mistakes(config: dict[str, Any]) -> None:
        service_change(0, memory=3000)(config)
        service_change(1, traceSampleRate=2)(config)

    errors = plan_errors(tmp_path, capsys, stack_with(two_mistakes))
    assert [e.split(":", 2)[1] for e in errors] == [
        "services[0].memory",
        "services[1].traceSampleRate",
    ]


def test_the_message_names_pulumis_stack_file_by_default() -> None:
    with pytest.raises(StackConfigError) as error:
        run_program(
            lambda: parse_stack_config(
                {
                    "environment": {"name": "dev", "team": "platform"},
                    "services": [SERVICE, {**SERVICE, "name": "orders", "memory": 3000}],
                }
            ),
            stack="dev",
        )
    assert str(error.value) == (
        "Pulumi.dev.yaml: observability:services[1].memory: 3000 is not a valid Fargate memory "
        "for cpu 512 (allowed: 1024, 2048, 3072, 4096)"
    )


def test_a_missing_api_key_is_explained_where_pulumi_would_need_it() -> None:
    config = {
        "observability:environment": '{"name": "dev", "team": "platform"}',
        "observability:services": "[]",
    }
    with pytest.raises(StackConfigError) as error:
        run_program(compile_running_stack, stack="dev", config=config)
    assert error.value.render("Pulumi.dev.yaml") == (
        "Pulumi.dev.yaml: datadog:apiKey: missing; run `pulumi config set --secret "
        "datadog:apiKey <key>` or name an existing secret in "
        "observability:datadog.apiKeySecret.existingArn"
    )


def test_valid_config_passes_unchanged() -> None:
    loaded = parse_stack_config(
        {
            key.split(":", 1)[1]: value
            for key, value in VALID["config"].items()
            if key != "aws:region"
        }
    )
    assert [s.name for s in loaded.services] == ["checkout-api", "orders-api"]
    assert loaded.datadog.site == "datadoghq.com"


def test_workload_protection_and_json_parsing_reach_the_task() -> None:
    config = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform"},
            "services": [
                SERVICE,
                {**SERVICE, "name": "guarded", "cws": True, "logs": {"parseJson": False}},
            ],
        }
    )
    default, guarded = (task_spec(config, s) for s in config.services)
    assert default.cws is None
    assert isinstance(default.logs, DatadogLogs)
    assert default.logs.parse_json is True
    assert guarded.cws == CwsInstrumentation(
        image="public.ecr.aws/datadog/cws-instrumentation:7.81.2"
    )
    assert isinstance(guarded.logs, DatadogLogs)
    assert guarded.logs.parse_json is False


def test_malformed_yaml_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    errors = plan_errors(tmp_path, capsys, "config:\n  observability:services: [unclosed\n")
    assert len(errors) == 1
    assert errors[0].startswith("line 3, column 1: not valid YAML: ")


def test_unknown_stack_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["plan", "--stack", "staging", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "Pulumi.staging.yaml: (file): no such stack file "
        "(stack files here: Pulumi.assistant-production.yaml, Pulumi.dev.yaml, "
        "Pulumi.payments-production.yaml, Pulumi.platform-production.yaml, "
        "Pulumi.production.yaml)"
    )


def test_the_sidecars_ports_are_free_without_the_sidecars() -> None:
    agentless = {
        **SERVICE,
        "agent": "agentless",
        "llmObservability": {},
        "logs": {"destination": "cloudwatch"},
    }
    config = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform"},
            "services": [
                {**agentless, "name": "on-8126", "port": 8126},
                {**agentless, "name": "on-24224", "port": 24224},
                # DogStatsD takes 8125 over UDP; the app's port is TCP.
                {**SERVICE, "name": "on-8125", "port": 8125},
            ],
        }
    )
    assert [s.port for s in config.services] == [8126, 24224, 8125]


YAML_SURPRISES = [
    pytest.param(
        "port: yes",
        "observability:services[0].port: Input should be a valid integer (got true: YAML reads "
        "true/false, yes/no and on/off as booleans)",
        id="boolean-port",
    ),
    pytest.param(
        "version: 2.10",
        "observability:services[0].version: Input should be a valid string (got the number 2.1: "
        "quote the value as written, or YAML reads it as a number)",
        id="number-version",
    ),
    pytest.param(
        "team: off",
        "observability:services[0].team: Input should be a valid string (got false: YAML reads "
        "true/false, yes/no and on/off as booleans; quote it to keep the text)",
        id="boolean-team",
    ),
]


@pytest.mark.parametrize(("line", "expected"), YAML_SURPRISES)
def test_what_yaml_made_of_a_value_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, expected: str
) -> None:
    # The first service's key, written as a person would: unquoted.
    key = line.split(":", maxsplit=1)[0]
    written = yaml.safe_dump(stack_with(service_change(0, **{key: "@@"})))
    assert f"{key}: '@@'" in written
    text = written.replace(f"{key}: '@@'", line, 1)
    assert plan_errors(tmp_path, capsys, text) == [expected]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"env": {"DB_HOST": 5432}},
            "observability:services[0].env.DB_HOST: Input should be a valid string (got a number)",
            id="env",
        ),
        pytest.param(
            {"secrets": {"STRIPE": "sk_live_51Hx"}},
            "observability:services[0].secrets.STRIPE: Input should be a valid dictionary or "
            "instance of SecretSettings (got a string)",
            id="secret-in-place-of-its-arn",
        ),
    ],
)
def test_values_under_env_and_secrets_are_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], values: dict[str, Any], expected: str
) -> None:
    errors = plan_errors(tmp_path, capsys, stack_with(service_change(0, **values)))
    assert errors == [expected]


def test_a_kubernetes_version_eks_no_longer_runs_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [error] = plan_errors(tmp_path, capsys, stack_with(eks(kubernetesVersion="1.28")))
    assert error.startswith(
        "observability:eks.kubernetesVersion: EKS no longer runs Kubernetes 1.28: its extended "
        "support ended before 2026-03-23, and EKS upgrades such clusters itself; name the version "
        "the cluster runs ("
    )


@pytest.mark.parametrize(
    ("version", "today", "problem"),
    [
        pytest.param("1.31", date(2026, 11, 26), None, id="last-day-of-extended-support"),
        pytest.param(
            "1.31",
            date(2026, 11, 27),
            "EKS no longer runs Kubernetes 1.31: its extended support ended on 2026-11-26, and "
            "EKS upgrades such clusters itself; name the version the cluster runs (1.32, 1.33, "
            "1.34, 1.35)",
            id="the-day-after",
        ),
        pytest.param("1.37", date(2026, 12, 1), None, id="newer-than-the-calendar"),
    ],
)
def test_eks_support_follows_the_calendar(version: str, today: date, problem: str | None) -> None:
    assert eks_support_problem(version, today) == problem


def test_a_time_zone_must_be_one_of_the_tz_database() -> None:
    throughput = {"monitors": {"throughput": {"timezone": "europe/pariss"}}}
    with pytest.raises(StackConfigError) as error:
        parse_stack_config(
            {
                "environment": {"name": "dev", "team": "platform"},
                "services": [{**SERVICE, **throughput}],
            }
        )
    assert [problem.reason for problem in error.value.problems] == [
        "'europe/pariss' is not a time zone of the tz database, e.g. europe/paris"
    ]
    valid = {"monitors": {"throughput": {"timezone": "america/new_york"}}}
    parse_stack_config(
        {"environment": {"name": "dev", "team": "platform"}, "services": [{**SERVICE, **valid}]}
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            service_change(0, memroy=1024),
            "observability:services[0].memroy: unknown key; did you mean memory?",
            id="misspelled-service-key",
        ),
        pytest.param(
            lambda c: c.update({"aws:regoin": c.pop("aws:region")}),
            "aws:regoin: unknown key of the AWS provider; did you mean region?",
            id="misspelled-region-key",
        ),
        pytest.param(
            lambda c: c.update({"aws:region": "eu-west-9"}),
            [
                "aws:region: 'eu-west-9' is not an AWS region; did you mean eu-west-3?",
                "observability:ecs.clusterArn: a cluster in eu-west-1, but the stack deploys to "
                "eu-west-9 (aws:region); ECS runs a service only in a cluster of its own region",
            ],
            id="region-that-does-not-exist",
        ),
        pytest.param(
            lambda c: c.update({"aws:region": "eu-central-1"}),
            "observability:ecs.clusterArn: a cluster in eu-west-1, but the stack deploys to "
            "eu-central-1 (aws:region); ECS runs a service only in a cluster of its own region",
            id="cluster-in-another-region",
        ),
    ],
)
def test_keys_and_regions_are_checked_as_aws_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str | list[str]
) -> None:
    lines = expected if isinstance(expected, list) else [expected]
    assert plan_errors(tmp_path, capsys, stack_with(change)) == lines


def test_a_region_aws_does_not_list_passes_where_the_provider_skips_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def new_region(config: dict[str, Any]) -> None:
        config.update({"aws:region": "eu-west-9", "aws:skipRegionValidation": True})
        config["observability:ecs"]["clusterArn"] = "arn:aws:ecs:eu-west-9:123456789012:cluster/dev"

    stack_file = tmp_path / "Pulumi.new.yaml"
    stack_file.write_text(yaml.safe_dump(stack_with(new_region)))
    out = tmp_path / "out"
    status = main(["plan", "--stack", "dev", "--config-file", str(stack_file), "--out", str(out)])
    assert status == 0, capsys.readouterr().err


def test_monitors_whose_resources_would_share_a_name_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def depth(name: str) -> dict[str, Any]:
        return {"kind": "metric", "name": name, "metric": "app.queue.depth", "critical": 10}

    def collide(config: dict[str, Any]) -> None:
        first, second = config["observability:services"]
        first.update(name="a", monitors={"custom": {"x-monitors-y": depth("backlog")}})
        second.update(name="a-monitors-x", monitors={"custom": {"y": depth("backlog")}})

    assert plan_errors(tmp_path, capsys, stack_with(collide)) == [
        "observability:services[1].monitors.custom.y: its resource would be named "
        "'a-monitors-x-monitors-y', as observability:services[0].monitors.custom.x-monitors-y's "
        "is: Pulumi refuses two resources of one name; choose another role"
    ]


def test_the_app_waits_for_a_healthy_agent_under_cws_unless_told() -> None:
    def waits(**settings: Any) -> bool:
        config = parse_stack_config(
            {
                "environment": {"name": "dev", "team": "platform"},
                "services": [{**SERVICE, **settings}],
            }
        )
        agent = task_spec(config, config.services[0]).agent
        assert agent is not None
        return agent.app_waits_until_healthy

    assert (waits(), waits(cws=True)) == (False, True)
    assert (waits(waitForHealthyAgent=True), waits(cws=True, waitForHealthyAgent=True)) == (
        True,
        True,
    )


def test_the_sidecar_and_hardening_settings_reach_the_task() -> None:
    config = parse_stack_config(
        {
            "environment": {"name": "dev", "team": "platform", "tags": {"Cost Center": "R+D 1"}},
            "ecs": {
                "agent": {
                    "readonlyRootFilesystem": False,
                    "dogstatsdOriginDetection": False,
                    "dogstatsdTagCardinality": "low",
                    "env": {"DD_APM_IGNORE_RESOURCES": "GET /health"},
                },
                "logRouter": {"readonlyRootFilesystem": False, "env": {"FLB_LOG_LEVEL": "debug"}},
            },
            "services": [
                {
                    **SERVICE,
                    "team": "payments",
                    "waitForHealthyAgent": True,
                    "readonlyRootFilesystem": True,
                    "tmpSizeMib": 32,
                    "user": "app:app",
                }
            ],
        }
    )
    [service] = config.services
    spec = task_spec(config, service)
    assert spec.agent == AgentSidecar(
        image=config.ecs.agent_image,
        cpu=64,
        memory=256,
        readonly_root_filesystem=False,
        dogstatsd_origin_detection=False,
        dogstatsd_tag_cardinality="low",
        app_waits_until_healthy=True,
        env={"DD_APM_IGNORE_RESOURCES": "GET /health"},
    )
    assert isinstance(spec.logs, DatadogLogs)
    assert spec.logs.router_readonly_root_filesystem is False
    assert spec.logs.router_env == {"FLB_LOG_LEVEL": "debug"}
    assert (spec.readonly_root_filesystem, spec.tmp_size_mib, spec.user) == (True, 32, "app:app")
    # A space or a + has no place in a Datadog tag.
    assert spec.datadog_tags == ("Cost_Center:R_D_1", "team:payments")


TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dev-checkout/6d0ecf831eec9f09"
)
ALB_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/dev-public/"
    "50dc6c495c0c9188"
)
S0 = "observability:services[0]"


def scaling(**settings: Any) -> dict[str, Any]:
    return {"minCapacity": 1, "maxCapacity": 4, "cpuUtilization": 60, **settings}


SERVING_CASES = [
    pytest.param(
        service_change(0, healthCheck={"path": "/health", "command": ["CMD", "/app/healthy"]}),
        f"{S0}.healthCheck: give path (an HTTP check of the app's port) or command, not both",
        id="health-check-path-and-command",
    ),
    pytest.param(
        service_change(0, healthCheck={"interval": 10}),
        f"{S0}.healthCheck: give path (an HTTP check of the app's port) or command, not both",
        id="health-check-neither",
    ),
    pytest.param(
        service_change(0, healthCheck={"command": ["curl", "-f", "http://127.0.0.1:8000/"]}),
        f"{S0}.healthCheck.command: starts with CMD (a program and its arguments) or CMD-SHELL",
        id="health-check-command-form",
    ),
    pytest.param(
        service_change(0, healthCheck={"command": ["CMD-SHELL", "curl", "-f"]}),
        f"{S0}.healthCheck.command: CMD-SHELL takes one command line, as one string",
        id="health-check-shell-words",
    ),
    pytest.param(
        service_change(0, healthCheck={"path": "/health", "interval": 3}),
        f"{S0}.healthCheck.interval: Input should be greater than or equal to 5 (got 3)",
        id="health-check-interval",
    ),
    pytest.param(
        service_change(0, healthCheck={"path": "health"}),
        f"{S0}.healthCheck.path: 'health' is not an HTTP path such as /health (starting with /, "
        "no spaces)",
        id="health-check-relative-path",
    ),
    pytest.param(
        service_change(0, port=None, healthCheck={"path": "/health"}),
        f"{S0}.healthCheck.path: needs port: the check GETs the path on the app's port",
        id="health-check-without-port",
    ),
    pytest.param(
        service_change(0, loadBalancer={"targetGroupArn": "arn:aws:elasticloadbalancing:x"}),
        f"{S0}.loadBalancer.targetGroupArn: 'arn:aws:elasticloadbalancing:x' is not a target "
        "group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)",
        id="target-group-arn",
    ),
    pytest.param(
        service_change(0, port=None, loadBalancer={"targetGroupArn": TARGET_GROUP_ARN}),
        f"{S0}.loadBalancer: needs port: the target group sends traffic to it",
        id="load-balancer-without-port",
    ),
    pytest.param(
        service_change(
            0,
            loadBalancer={"targetGroupArn": TARGET_GROUP_ARN.replace("eu-west-1", "eu-central-1")},
        ),
        f"{S0}.loadBalancer.targetGroupArn: in eu-central-1, and the cluster in eu-west-1: ECS "
        "registers tasks only with load balancing of its own region",
        id="target-group-in-another-region",
    ),
    pytest.param(
        lambda c: (
            c.update({"observability:ecs": {}}),
            service_change(0, loadBalancer={"targetGroupArn": TARGET_GROUP_ARN})(c),
        ),
        f"{S0}.loadBalancer: needs observability:ecs.clusterArn: without a cluster only the "
        "task definition is registered, and no service",
        id="load-balancer-without-cluster",
    ),
    pytest.param(
        service_change(
            0,
            loadBalancer={
                "targetGroupArn": TARGET_GROUP_ARN,
                "loadBalancerArn": ALB_ARN.replace("/app/", "/net/"),
            },
        ),
        f"{S0}.loadBalancer.loadBalancerArn: '{ALB_ARN.replace('/app/', '/net/')}' is not an "
        "Application Load Balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:"
        "loadbalancer/app/<name>/<id>)",
        id="network-load-balancer",
    ),
    pytest.param(
        service_change(
            0,
            loadBalancer={"targetGroupArn": TARGET_GROUP_ARN, "healthCheckGracePeriodSeconds": -1},
        ),
        f"{S0}.loadBalancer.healthCheckGracePeriodSeconds: Input should be greater than or equal "
        "to 0 (got -1)",
        id="negative-grace-period",
    ),
    pytest.param(
        service_change(0, autoscaling=scaling(minCapacity=5)),
        f"{S0}.autoscaling.maxCapacity: less than minCapacity 5",
        id="scaling-range",
    ),
    pytest.param(
        service_change(0, autoscaling=scaling(minCapacity=0)),
        f"{S0}.autoscaling.minCapacity: Input should be greater than or equal to 1 (got 0)",
        id="scaling-to-zero",
    ),
    pytest.param(
        service_change(0, autoscaling={"minCapacity": 1, "maxCapacity": 4}),
        f"{S0}.autoscaling: give at least one target: cpuUtilization, memoryUtilization or "
        "requestCountPerTarget",
        id="scaling-without-targets",
    ),
    pytest.param(
        service_change(0, autoscaling=scaling(cpuUtilization=120)),
        f"{S0}.autoscaling.cpuUtilization: Input should be less than or equal to 100 (got 120)",
        id="scaling-past-100-percent",
    ),
    pytest.param(
        service_change(0, desiredCount=6, autoscaling=scaling()),
        f"{S0}.desiredCount: 6 is outside autoscaling's 1..4: the service starts with it, and "
        "scaling would move it at once",
        id="desired-count-outside-scaling",
    ),
    pytest.param(
        service_change(
            0,
            loadBalancer={"targetGroupArn": TARGET_GROUP_ARN},
            autoscaling=scaling(requestCountPerTarget=1000),
        ),
        f"{S0}.autoscaling.requestCountPerTarget: needs loadBalancer with its loadBalancerArn: "
        "the metric counts the requests one load balancer sends to the target group",
        id="request-count-without-load-balancer-arn",
    ),
    pytest.param(
        lambda c: (
            c.update({"observability:ecs": {}}),
            service_change(0, autoscaling=scaling())(c),
        ),
        f"{S0}.autoscaling: needs observability:ecs.clusterArn: without a cluster only the "
        "task definition is registered, and no service",
        id="scaling-without-cluster",
    ),
]


@pytest.mark.parametrize(("change", "expected"), SERVING_CASES)
def test_bad_health_check_load_balancer_or_scaling_is_refused_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str
) -> None:
    assert plan_errors(tmp_path, capsys, stack_with(change)) == [expected]


def test_health_check_load_balancer_and_scaling_compile_into_the_components_args() -> None:
    served = {
        **SERVICE,
        "desiredCount": 2,
        "healthCheck": {"path": "/ready", "timeout": 3, "startPeriod": 20},
        "loadBalancer": {"targetGroupArn": TARGET_GROUP_ARN, "loadBalancerArn": ALB_ARN},
        "autoscaling": scaling(memoryUtilization=75, requestCountPerTarget=1000),
    }
    loaded = parse_stack_config(
        {
            "environment": VALID["config"]["observability:environment"],
            "ecs": VALID["config"]["observability:ecs"],
            "services": [served],
        }
    )
    [service] = loaded.services
    assert task_spec(loaded, service).health_check == ContainerHealthCheck(
        command=http_health_check_command(8000, "/ready", 3),
        interval=30,
        timeout=3,
        retries=3,
        start_period=20,
    )
    placement = service_placement(loaded, service)
    assert placement is not None
    assert placement.desired_count == 2
    assert placement.load_balancer == LoadBalancerTarget(TARGET_GROUP_ARN, 8000, 60)
    assert placement.autoscaling == ServiceAutoscaling(
        min_capacity=1,
        max_capacity=4,
        targets=(
            ScalingTarget("ECSServiceAverageCPUUtilization", 60),
            ScalingTarget("ECSServiceAverageMemoryUtilization", 75),
            ScalingTarget(
                "ALBRequestCountPerTarget",
                1000,
                resource_label="app/dev-public/50dc6c495c0c9188/targetgroup/dev-checkout/"
                "6d0ecf831eec9f09",
            ),
        ),
        scale_in_cooldown=300,
        scale_out_cooldown=60,
    )


def test_a_health_check_command_is_taken_as_given() -> None:
    command = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8000/health || exit 1"]
    loaded = parse_stack_config(
        {
            "environment": VALID["config"]["observability:environment"],
            "services": [{**SERVICE, "healthCheck": {"command": command, "retries": 5}}],
        }
    )
    check = task_spec(loaded, loaded.services[0]).health_check
    assert check is not None
    assert (check.command, check.retries) == (tuple(command), 5)
