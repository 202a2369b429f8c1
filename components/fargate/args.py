"""Typed inputs of an instrumented Fargate service.

`TaskSpec` holds only plain values, so that the container definitions can be built and tested as a
pure function; `InstrumentedServiceArgs` adds what is only known at deployment time (ARNs that are
outputs of other resources) and where the service runs.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import pulumi

from components.datadog_site import DatadogSite
from components.versions import DATADOG_AGENT_VERSION

CpuArchitecture = Literal["X86_64", "ARM64"]
AgentTransport = Literal["unix-socket", "loopback"]
TagCardinality = Literal["low", "orchestrator", "high"]


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable that ECS reads from Secrets Manager when the container starts."""

    name: str
    """Variable name inside the container."""
    secret_arn: str
    """Full secret ARN, including the six-character suffix Secrets Manager appends."""
    json_key: str | None = None
    """Key inside a JSON secret; None injects the whole secret string."""
    kms_key_arn: str | None = None
    """Customer-managed KMS key that encrypts the secret, so the execution role may decrypt it."""

    @property
    def value_from(self) -> str:
        """The `valueFrom` ECS expects: `<secret arn>:<json key>:<version stage>:<version id>`."""
        return secret_value_from(self.secret_arn, self.json_key)


def secret_value_from(secret_arn: str, json_key: str | None) -> str:
    # The two trailing colons (version stage and id left empty) are part of the syntax: without
    # them ECS looks for a version stage named after the JSON key.
    return f"{secret_arn}:{json_key}::" if json_key else secret_arn


@dataclass(frozen=True)
class AgentSidecar:
    """The Datadog Agent running next to the app in the same task."""

    image: str
    """Pinned agent image, e.g. public.ecr.aws/datadog/agent:7.81.1."""
    cpu: int
    """CPU units reserved for the agent out of the task's."""
    memory: int
    """Hard memory limit (MiB) of the agent out of the task's."""
    transport: AgentTransport = "unix-socket"
    """How the tracer and DogStatsD reach the agent: a shared Unix socket volume or loopback."""
    readonly_root_filesystem: bool = True
    """Run the agent on a read-only root filesystem, with writable task volumes for the paths
    it writes (its configuration, /tmp and its run folder)."""
    dogstatsd_origin_detection: bool = True
    """Tag DogStatsD metrics with the tags of the container that sent them."""
    dogstatsd_tag_cardinality: TagCardinality = "orchestrator"
    """How fine the tags origin detection adds are: `orchestrator` adds task_arn."""
    app_waits_until_healthy: bool = False
    """Start the app once the agent reports healthy rather than once it started."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra plain environment variables of the agent (never keys or passwords)."""


@dataclass(frozen=True)
class CwsInstrumentation:
    """Workload Protection (CWS) on Fargate: the app runs under `cws-instrumentation trace`, which
    reports its process, file and network activity to the Agent sidecar."""

    image: str
    """Pinned cws-instrumentation image, whose init container copies the tracer into the task."""


@dataclass(frozen=True)
class LlmObservability:
    """LLM Observability for LangChain/OpenAI apps (ddtrace >= 2.9)."""

    ml_app: str
    """Name the LLM application is grouped under in Datadog."""


@dataclass(frozen=True)
class TraceSettings:
    """Tracer behaviour of ddtrace in the app container."""

    enabled: bool = True
    """DD_TRACE_ENABLED."""
    sample_rate: float = 1.0
    """Share of traces kept by the tracer (0..1): 1.0 in dev, lower in production to bound cost."""
    logs_injection: bool = True
    """DD_LOGS_INJECTION: trace ids in log records, so logs and traces link up."""
    profiling: bool = False
    """DD_PROFILING_ENABLED: continuous profiler."""


@dataclass(frozen=True)
class DatadogLogs:
    """Ship container logs through a FireLens (Fluent Bit) router straight to Datadog."""

    router_image: str
    """Pinned aws-for-fluent-bit image."""
    router_cpu: int
    """CPU units of the log router."""
    router_memory: int
    """Hard memory limit (MiB) of the log router."""
    router_log_retention_days: int = 7
    """The router's own logs go to CloudWatch (they explain lost app logs), kept this long."""
    source: str = "python"
    """`ddsource`, which selects Datadog's log pipeline."""
    parse_json: bool = True
    """Parse each log line that is a JSON object into top-level fields before shipping it (lines
    that are not JSON pass unchanged)."""
    router_readonly_root_filesystem: bool = True
    """Run the log router on a read-only root filesystem."""
    router_env: Mapping[str, str] = field(default_factory=dict)
    """Extra plain environment variables of the log router (never keys or passwords)."""


@dataclass(frozen=True)
class CloudWatchLogs:
    """Ship container logs to a CloudWatch Logs group (the awslogs driver)."""

    retention_days: int
    """Retention of the log group."""


LogShipping = DatadogLogs | CloudWatchLogs


HEALTH_CHECK_FORMS: Final = ("CMD", "CMD-SHELL")
"""How a health check command starts: the program and its arguments, or a shell command line."""
HEALTH_CHECK_RANGES: Final = {
    "interval": (5, 300),
    "timeout": (2, 60),
    "retries": (1, 10),
    "startPeriod": (0, 300),
}
"""What ECS takes for each timing of a health check (HealthCheck in the ECS API reference, which
botocore's model leaves out)."""
MAX_HEALTH_CHECK_GRACE_PERIOD: Final = 2_147_483_647
"""The longest health check grace period of a service (CreateService in the ECS API reference)."""


@dataclass(frozen=True)
class ContainerHealthCheck:
    """The app container's own health check (the container definition's `healthCheck`).

    ECS acts on it: an essential container that turns UNHEALTHY stops its task, and the service
    starts a replacement; a deployment whose tasks never turn HEALTHY trips the circuit breaker.
    The defaults and ranges are those of the ECS API reference (HealthCheck).
    """

    command: tuple[str, ...]
    """`CMD` and the program with its arguments (no shell), or `CMD-SHELL` and one shell command
    line; exit status 0 means healthy."""
    interval: int = 30
    """Seconds between checks, 5..300."""
    timeout: int = 5
    """Seconds a check may take before it counts as failed, 2..60."""
    retries: int = 3
    """Consecutive failures that make the container UNHEALTHY, 1..10."""
    start_period: int = 0
    """Seconds after the container starts during which failures do not count, 0..300 (a
    success ends it early)."""


@dataclass(frozen=True)
class TaskSpec:
    """Everything that shapes the task's containers, as plain values."""

    service: str
    """DD_SERVICE, also the app container's name."""
    environment: str
    """DD_ENV."""
    version: str
    """DD_VERSION: the deployed image's version."""
    image: str
    """Pinned app image."""
    command: tuple[str, ...]
    """The app's start command, without ddtrace-run."""
    cpu: int
    """Task CPU units (a Fargate size)."""
    memory: int
    """Task memory in MiB (a Fargate size for `cpu`)."""
    datadog_site: DatadogSite
    """Datadog site the data goes to; every endpoint is derived from it."""
    logs: LogShipping
    """Where container logs go."""
    agent: AgentSidecar | None
    """The agent sidecar, or None for agentless mode."""
    port: int | None = None
    """Container port the app listens on, if any."""
    entry_point: tuple[str, ...] | None = None
    """The image's ENTRYPOINT to keep (a script that execs its arguments, or `python`); None
    replaces it, so that the command runs as written."""
    wrap_with_ddtrace: bool = True
    """Start the Python process under ddtrace-run, which patches libraries before the app
    starts."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra plain environment variables (never keys or passwords)."""
    secrets: tuple[SecretEnv, ...] = ()
    """Extra environment variables read from Secrets Manager."""
    trace: TraceSettings = TraceSettings()
    """Tracer settings."""
    llm_observability: LlmObservability | None = None
    """LLM Observability, or None when off."""
    cpu_architecture: CpuArchitecture = "X86_64"
    """CPU architecture the image is built for."""
    cws: CwsInstrumentation | None = None
    """Workload Protection for the app (needs the agent sidecar), or None when off."""
    readonly_root_filesystem: bool = False
    """Run the app on a read-only root filesystem, with an in-memory /tmp."""
    tmp_size_mib: int = 64
    """Size cap (MiB) of that /tmp; what it holds counts against the app's memory."""
    user: str | None = None
    """User (and group) the app runs as; None keeps the image's USER."""
    datadog_tags: tuple[str, ...] = ()
    """Datadog tags (`key:value`) of everything the task sends, besides env, service and
    version."""
    health_check: ContainerHealthCheck | None = None
    """The app container's health check, or None for none (ECS then only sees it run or stop)."""


@dataclass(frozen=True)
class ApiKeySecretRef:
    """Where the Datadog API key lives: a JSON secret with the key under `DD_API_KEY`."""

    secret_arn: pulumi.Input[str]
    """Full ARN of the secret."""
    kms_key_arn: pulumi.Input[str | None] = None
    """Customer-managed KMS key of the secret, when it has one."""


@dataclass(frozen=True)
class LoadBalancerTarget:
    """An existing ELB target group the service registers its tasks' app container in."""

    target_group_arn: str
    """Target group of target type `ip` (awsvpc tasks register by IP), which a listener of an
    Application or Network Load Balancer forwards to: ECS refuses one without a load balancer."""
    container_port: int
    """Port of the app container the target group sends traffic to."""
    health_check_grace_period_seconds: int = 60
    """Seconds after a task starts during which ECS ignores failing load balancer (and
    container) health checks."""


ScalingMetric = Literal[
    "ECSServiceAverageCPUUtilization",
    "ECSServiceAverageMemoryUtilization",
    "ALBRequestCountPerTarget",
]


@dataclass(frozen=True)
class ScalingTarget:
    """One target tracking policy: keep `metric` near `target_value` by adding or removing
    tasks."""

    metric: ScalingMetric
    """Application Auto Scaling's predefined metric."""
    target_value: float
    """Percent for CPU and memory; requests per task and minute for ALBRequestCountPerTarget."""
    resource_label: str | None = None
    """`app/<load balancer>/<id>/targetgroup/<target group>/<id>`: which load balancer's and
    target group's requests ALBRequestCountPerTarget counts (required for it, refused for the
    others)."""


@dataclass(frozen=True)
class ServiceAutoscaling:
    """Application Auto Scaling of the service's task count, by target tracking."""

    min_capacity: int
    """Fewest tasks the policies scale in to."""
    max_capacity: int
    """Most tasks the policies scale out to."""
    targets: tuple[ScalingTarget, ...]
    """The policies; with several, the one asking for the most tasks wins."""
    scale_in_cooldown: int = 300
    """Seconds after a scale-in before the next one."""
    scale_out_cooldown: int = 60
    """Seconds a scale-out is given to take effect before the next one."""


@dataclass(frozen=True)
class ServicePlacement:
    """Where the ECS service runs; without it only the task definition is registered."""

    cluster_arn: str
    """ECS cluster ARN."""
    subnet_ids: tuple[str, ...]
    """Subnets of the tasks' network interfaces."""
    security_group_ids: tuple[str, ...] = ()
    """Security groups of the tasks."""
    assign_public_ip: bool = False
    """Public IP on the tasks (only for public subnets without a NAT)."""
    desired_count: int = 1
    """Number of tasks."""
    enable_execute_command: bool = False
    """ECS Exec into running tasks (adds the SSM channel permissions to the task role)."""
    load_balancer: LoadBalancerTarget | None = None
    """The target group the tasks register in, or None for a service without a load balancer."""
    autoscaling: ServiceAutoscaling | None = None
    """Target tracking scaling of the task count, or None for a fixed `desired_count`; with it,
    `desired_count` is only the count the service starts with."""


@dataclass(frozen=True)
class InstrumentedServiceArgs:
    """Inputs of `InstrumentedFargateService`."""

    task: TaskSpec
    """What runs in the task."""
    api_key: ApiKeySecretRef
    """The Datadog API key secret."""
    placement: ServicePlacement | None = None
    """The ECS service to run, or None to register the task definition only."""
    execution_role_arn: pulumi.Input[str] | None = None
    """Bring-your-own execution role, used as is (it must already read the secrets)."""
    task_role_arn: pulumi.Input[str] | None = None
    """Bring-your-own task role, used as is."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource of the service."""


EXECUTION_ROLE_SUFFIX: Final = "-execution-role"
"""The execution role is named `<service>-execution-role`, and Pulumi appends `-` and seven
random characters to that name (auto-naming)."""
MAX_SERVICE_NAME_LENGTH: Final = 64 - len(EXECUTION_ROLE_SUFFIX) - len("-abcdefg")
"""IAM role names stop at 64 characters (IAM quotas), so the auto-named execution role bounds
the service name."""

# Pinned defaults: `latest` once regressed the agent's memory badly, and 2.x of aws-for-fluent-bit
# reached end of life in June 2026.
DEFAULT_AGENT_IMAGE = f"public.ecr.aws/datadog/agent:{DATADOG_AGENT_VERSION}"
DEFAULT_LOG_ROUTER_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.8"
# Datadog publishes cws-instrumentation with every Agent release under the Agent's version
# (DataDog/datadog-agent .gitlab/deploy_cws_instrumentation/deploy_cws_instrumentation.yml, job
# deploy_containers-cws-instrumentation-final-versioned), and the tracer talks to that Agent's
# runtime security module: the two stay on one version.
DEFAULT_CWS_INSTRUMENTATION_IMAGE = (
    f"public.ecr.aws/datadog/cws-instrumentation:{DATADOG_AGENT_VERSION}"
)
