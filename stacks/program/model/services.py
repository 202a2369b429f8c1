"""`observability:ecs` and the items of `observability:services`."""

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from components.fargate.args import (
    DEFAULT_AGENT_IMAGE,
    DEFAULT_CWS_INSTRUMENTATION_IMAGE,
    DEFAULT_LOG_ROUTER_IMAGE,
    EXECUTION_ROLE_SUFFIX,
    HEALTH_CHECK_FORMS,
    HEALTH_CHECK_RANGES,
    MAX_HEALTH_CHECK_GRACE_PERIOD,
    MAX_SERVICE_NAME_LENGTH,
    AgentTransport,
    CpuArchitecture,
    TagCardinality,
)
from components.fargate.container_definitions import (
    AGENT_MANAGED_ENV,
    API_KEY_JSON_KEY,
    RESERVED_ENV,
    cws_problem,
    port_problem,
    start_problem,
)
from components.fargate.sizes import FARGATE_MEMORY_BY_CPU, fargate_size_problem
from stacks.program.model.datadog import NotificationSettings
from stacks.program.model.monitors import MonitorsSettings
from stacks.program.model.slos import SlosSettings
from stacks.program.model.types import (
    CREDENTIAL_LIKE,
    ApplicationLoadBalancerArn,
    Argument,
    ClusterArn,
    ContainerUser,
    EnvVarName,
    HttpPath,
    KmsKeyArn,
    LogRetentionDays,
    Model,
    PinnedImage,
    RoleArn,
    SecretArn,
    SecurityGroupId,
    ServiceName,
    SpanOperation,
    SubnetId,
    TargetGroupArn,
    Version,
    WebUrl,
    credential_value_problem,
)

# Variables ECS itself gives every container: the task metadata endpoint the Agent reads the task
# from, and the task role's credentials (the ECS developer guide, "Task metadata endpoint
# version 4" and "Task IAM role").
_ECS_INJECTED_ENV = ("ECS_CONTAINER_METADATA_URI", "AWS_CONTAINER_")

_AGENT_ENV_SETTINGS = {
    "DD_API_KEY": "the Agent reads the API key from observability:datadog.apiKeySecret",
    "DD_SITE": "set from observability:datadog.site",
    "DD_ENV": "set from observability:environment.name",
    "DD_TAGS": "set from observability:environment.tags and the service's team",
    "DD_DOGSTATSD_TAG_CARDINALITY": "set from dogstatsdTagCardinality",
    "DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT": "set from dogstatsdOriginDetection",
    "DD_LOG_FILE": "set with readonlyRootFilesystem, to a file on a writable volume",
    "DD_RUNTIME_SECURITY_CONFIG_ENABLED": "set for the services with cws: true",
    "DD_RUNTIME_SECURITY_CONFIG_EBPFLESS_ENABLED": "set for the services with cws: true",
}
# Socket-based origin detection reads the sender's PID off the socket, which the Agent only sees
# in the app's PID namespace (`pidMode: task`); the tasks have none, and every packet would log a
# warning (datadog-agent, comp/dogstatsd/listeners/uds_linux.go).
_AGENT_ENV_REFUSED = {
    "DD_DOGSTATSD_ORIGIN_DETECTION": (
        "needs the Agent in the app's PID namespace, which these tasks do not share: every "
        "packet would log a warning; origin detection runs client-side (dogstatsdOriginDetection)"
    ),
}


def sidecar_env_problems(env: dict[str, str], managed: dict[str, str]) -> dict[str, str]:
    """What is wrong with a sidecar's extra variables, by `env.<NAME>`: names the project or ECS
    sets (`managed` maps such a name to the reason), and anything that looks like a credential."""
    problems = {}
    for name, value in sorted(env.items()):
        key = f"env.{name}"
        if name in managed:
            problems[key] = managed[name]
        elif name.startswith(_ECS_INJECTED_ENV):
            problems[key] = "set by ECS in every container, and the sidecar needs ECS's value"
        elif CREDENTIAL_LIKE.search(name):
            problems[key] = f"looks like a credential{_NO_CREDENTIALS}"
        elif (found := credential_value_problem(value)) is not None:
            problems[key] = f"the value {found}{_NO_CREDENTIALS}"
    return problems


_NO_CREDENTIALS = (
    ", and a task definition's environment is plain text: the sidecars take no credentials (the "
    "Datadog API key comes from observability:datadog.apiKeySecret; an app's own go under "
    "services[].secrets)"
)


class AgentSettings(Model):
    """`observability:ecs.agent`: the Datadog Agent sidecar of every service."""

    cpu: int = Field(64, gt=0)
    """CPU units of the Agent, taken out of each task's."""
    memory: int = Field(256, gt=0)
    """Hard memory limit (MiB) of the Agent, taken out of each task's."""
    readonly_root_filesystem: bool = True
    """Read-only root filesystem, with writable task volumes for /etc/datadog-agent (filled from
    the image by an init container), /tmp and /opt/datadog-agent/run, as Datadog's CDK construct
    and Terraform module mount them."""
    dogstatsd_origin_detection: bool = True
    """Tag DogStatsD metrics with the tags of the container that sent them (the client sends its
    container id; DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT)."""
    dogstatsd_tag_cardinality: TagCardinality = "orchestrator"
    """Which of those tags: `low`, `orchestrator` (adds task_arn: one series per task, as
    Datadog's CDK construct and Terraform module default to) or `high` (adds container ids)."""
    env: dict[EnvVarName, str] = {}
    """Extra Agent variables (DD_APM_IGNORE_RESOURCES, DD_PROXY_HTTPS, ...): none the project
    sets, and no credentials."""

    def field_problems(self) -> dict[str, str]:
        managed = {
            name: _AGENT_ENV_SETTINGS.get(name, "set by the project; remove it from env")
            for name in AGENT_MANAGED_ENV
        }
        return sidecar_env_problems(self.env, {**managed, **_AGENT_ENV_REFUSED})


class LogRouterSettings(Model):
    """`observability:ecs.logRouter`: the FireLens log router of services that log to Datadog."""

    cpu: int = Field(32, gt=0)
    """CPU units of the router, taken out of each task's."""
    memory: int = Field(128, gt=0)
    """Hard memory limit (MiB) of the router, taken out of each task's."""
    readonly_root_filesystem: bool = True
    """Read-only root filesystem (Fluent Bit buffers in memory; it needs no writable path)."""
    env: dict[EnvVarName, str] = {}
    """Extra Fluent Bit variables (FLB_LOG_LEVEL, ...): no credentials."""

    def field_problems(self) -> dict[str, str]:
        return sidecar_env_problems(self.env, {})


class EcsSettings(Model):
    """`observability:ecs`: where services run and the shared sidecar settings."""

    cluster_arn: ClusterArn | None = None
    """ECS cluster; without it only task definitions are registered (no services)."""
    subnet_ids: list[SubnetId] = Field([], max_length=16)
    """Subnets of the tasks; required with clusterArn. ECS takes up to 16 (AwsVpcConfiguration
    in the ECS API reference)."""
    security_group_ids: list[SecurityGroupId] = Field([], max_length=5)
    """Security groups of the tasks, up to 5 (AwsVpcConfiguration)."""
    assign_public_ip: bool = False
    """Public IPs on tasks (public subnets without a NAT only)."""
    agent_image: PinnedImage = DEFAULT_AGENT_IMAGE
    """Datadog Agent sidecar image, pinned."""
    agent: AgentSettings = AgentSettings()
    """Agent sidecar: its size, taken out of each task's size, and its settings."""
    log_router_image: PinnedImage = DEFAULT_LOG_ROUTER_IMAGE
    """FireLens log router image, pinned."""
    log_router: LogRouterSettings = LogRouterSettings()
    """Log router: its size, taken out of each task's size, and its settings."""
    cws_instrumentation_image: PinnedImage = DEFAULT_CWS_INSTRUMENTATION_IMAGE
    """Image of the init container that gives services with `cws: true` the Workload Protection
    tracer, pinned; by default the version of the Agent sidecar, which receives its events."""

    def field_problems(self) -> dict[str, str]:
        if self.cluster_arn is not None and not self.subnet_ids:
            return {"subnet_ids": "required when clusterArn is set (the tasks' network interfaces)"}
        return {}


class SecretSettings(Model):
    """An environment variable read from Secrets Manager at container start."""

    arn: SecretArn
    """Full ARN of the secret."""
    json_key: str | None = None
    """Key inside a JSON secret; omit to inject the whole secret string."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer-managed key of the secret, if any."""


class LlmObservabilitySettings(Model):
    """LLM Observability for LangChain/OpenAI apps."""

    ml_app: str | None = None
    """ML application name; defaults to the service name."""
    agentless: bool | None = None
    """Send LLM Observability data straight to Datadog; follows the agent mode when omitted."""


class LogSettings(Model):
    """Where a service's logs go."""

    destination: Literal["datadog", "cloudwatch"] = "datadog"
    """`datadog` through a FireLens router, or `cloudwatch` (not both: that doubles the cost)."""
    retention_days: LogRetentionDays = 14
    """CloudWatch retention of the logs (with datadog: of the router's own logs)."""
    source: str = "python"
    """Datadog `source`, which picks the log pipeline."""
    parse_json: bool = True
    """With destination datadog: the router parses each line that is a JSON object (a JSON
    formatter's records, with ddtrace's trace ids) into attributes, as Datadog's ECS Fargate
    guide asks for serialized JSON logs; lines that are not JSON (a traceback, a server's own
    text) pass unchanged either way. false ships every line as plain text."""


_FIELDS = {"command": "command", "entryPoint": "entry_point", "cws": "cws"}
"""The model field of each key a start problem names."""


def _health_check_timing(name: str, default: int) -> Any:
    """A timing's field, within the range ECS takes for it."""
    low, high = HEALTH_CHECK_RANGES[name]
    return Field(default, ge=low, le=high)


class HealthCheckSettings(Model):
    """The app container's own health check. ECS acts on it: a task whose app turns UNHEALTHY is
    stopped and replaced, and a deployment whose tasks never turn HEALTHY rolls back. Give
    either `path` or `command`; the timings are ECS's defaults and ranges (HealthCheck in the
    ECS API reference)."""

    path: HttpPath | None = None
    """HTTP path the app answers with a status below 400 while it is healthy, e.g. /health; the
    check GETs http://127.0.0.1:<port><path> with the image's own `python3` (slim and distroless
    Python images have no curl or wget). Needs `port`."""
    command: list[Argument] | None = None
    """The check as ECS runs it, for anything else: [CMD, <program>, <args>...], or
    [CMD-SHELL, "<command line>"] in an image with a shell; exit status 0 is healthy."""
    interval: int = _health_check_timing("interval", 30)
    """Seconds between checks."""
    timeout: int = _health_check_timing("timeout", 5)
    """Seconds a check may take before it counts as failed."""
    retries: int = _health_check_timing("retries", 3)
    """Failures in a row that make the container UNHEALTHY."""
    start_period: int = _health_check_timing("startPeriod", 0)
    """Seconds after the app starts during which failures do not count (a success ends it)."""

    def field_problems(self) -> dict[str, str]:
        if (self.path is None) == (self.command is None):
            return {"": "give path (an HTTP check of the app's port) or command, not both"}
        command = self.command or []
        if command and command[0] not in HEALTH_CHECK_FORMS:
            return {"command": "starts with CMD (a program and its arguments) or CMD-SHELL"}
        if command[:1] == ["CMD"] and len(command) < 2:
            return {"command": "CMD needs the program to run after it"}
        if command[:1] == ["CMD-SHELL"] and len(command) != 2:
            return {"command": "CMD-SHELL takes one command line, as one string"}
        return {}


class LoadBalancerSettings(Model):
    """An existing target group the service registers its tasks in. The load balancer, its
    listener and the target group's own health check are its owner's: ECS refuses a target
    group that no load balancer forwards to."""

    target_group_arn: TargetGroupArn
    """Target group of target type `ip` (Fargate tasks register by their IP), in the cluster's
    region; it sends traffic to the service's `port`."""
    load_balancer_arn: ApplicationLoadBalancerArn | None = None
    """The Application Load Balancer whose listener forwards to the target group; only
    `autoscaling.requestCountPerTarget` needs it (its metric counts per load balancer)."""
    health_check_grace_period_seconds: int = Field(60, ge=0, le=MAX_HEALTH_CHECK_GRACE_PERIOD)
    """Seconds after a task starts during which ECS ignores failing load balancer and container
    health checks, so that a slow start is not taken for a failure. 60 is what AWS CDK sets on a
    service with a load balancer."""


class AutoscalingSettings(Model):
    """Target tracking scaling of the task count (Application Auto Scaling): each target given
    is one policy, and the one asking for the most tasks wins."""

    min_capacity: int = Field(ge=1)
    """Fewest tasks. At least 1: with none running, no CPU, memory or request metric is
    reported, and nothing would scale the service out again."""
    max_capacity: int = Field(ge=1)
    """Most tasks."""
    cpu_utilization: float | None = Field(None, gt=0, le=100)
    """Average CPU of the service's tasks to keep, in percent of the task's CPU."""
    memory_utilization: float | None = Field(None, gt=0, le=100)
    """Average memory of the service's tasks to keep, in percent of the task's memory."""
    request_count_per_target: int | None = Field(None, ge=1)
    """Requests per task and minute to keep (ALBRequestCountPerTarget); needs `loadBalancer`
    with its `loadBalancerArn`."""
    scale_in_cooldown: int = Field(300, ge=0)
    """Seconds after removing tasks before removing more: Application Auto Scaling's default
    for ECS, and the Terraform AWS ECS module's."""
    scale_out_cooldown: int = Field(60, ge=0)
    """Seconds new tasks are given to take load before adding more; the Terraform AWS ECS
    module's default (Application Auto Scaling's own is 300, slow for an API under a spike)."""

    def field_problems(self) -> dict[str, str]:
        problems = {}
        if self.max_capacity < self.min_capacity:
            problems["max_capacity"] = f"less than minCapacity {self.min_capacity}"
        targets = (self.cpu_utilization, self.memory_utilization, self.request_count_per_target)
        if all(target is None for target in targets):
            problems[""] = (
                "give at least one target: cpuUtilization, memoryUtilization or "
                "requestCountPerTarget"
            )
        return problems


class ServiceSettings(Model):
    """One Python service on Fargate (an item of `observability:services`)."""

    name: ServiceName
    """DD_SERVICE and the ECS service name."""
    previous_names: list[ServiceName] = []
    """Names this service had before, so that renaming it keeps its resources (aliases) rather
    than deleting and recreating them: monitors keep their history and downtimes."""
    image: PinnedImage
    """Container image with a pinned tag or digest."""
    version: Version
    """DD_VERSION: the version the image carries."""
    wrap_with_ddtrace: bool = True
    """Start the Python process under ddtrace-run."""
    command: list[Argument] = Field(min_length=1)
    """Start command of the app, e.g. [uvicorn, app.main:app, --port, "8000"]; it runs as
    written, whatever ENTRYPOINT the image has, unless `entryPoint` keeps one."""
    entry_point: list[Argument] | None = Field(None, min_length=1)
    """The image's ENTRYPOINT, when the command must run through it: a script that execs its
    arguments ([/docker-entrypoint.sh]; ddtrace-run then starts the command) or the Python
    interpreter ([python]; ddtrace-run then starts it, with the command as its arguments)."""
    port: int | None = Field(None, ge=1, le=65535)
    """Port the app listens on."""
    cpu: int
    """Task CPU units (256, 512, 1024, ...)."""
    memory: int
    """Task memory in MiB, valid for `cpu` on Fargate."""
    cpu_architecture: CpuArchitecture = "X86_64"
    """Architecture the image is built for."""
    env: dict[EnvVarName, str] = {}
    """Plain environment variables (no credentials: use `secrets`)."""
    secrets: dict[EnvVarName, SecretSettings] = {}
    """Environment variables read from Secrets Manager."""
    agent: Literal["sidecar", "agentless"] = "sidecar"
    """Datadog Agent sidecar in the task, or agentless (LLM Observability straight to Datadog)."""
    agent_transport: AgentTransport = "unix-socket"
    """How the app reaches the sidecar agent."""
    wait_for_healthy_agent: bool | None = None
    """Start the app once the Agent reports healthy, not once it started: nothing the app sends
    early is lost, but an Agent that never turns healthy (an invalid API key) keeps every new
    task PENDING. Omitted: true with `cws` (its tracer exits the app when it cannot reach the
    Agent), false otherwise."""
    readonly_root_filesystem: bool = False
    """Run the app on a read-only root filesystem, with an in-memory /tmp (tmpSizeMib) as its
    only writable path."""
    tmp_size_mib: int = Field(64, gt=0)
    """Size cap (MiB) of that /tmp; what it holds counts against the app's memory."""
    user: ContainerUser | None = None
    """Non-root user the app runs as (name or UID, with an optional :group); omit to keep the
    image's USER."""
    logs: LogSettings = LogSettings()
    """Log shipping."""
    trace_enabled: bool = True
    """DD_TRACE_ENABLED."""
    trace_sample_rate: float = Field(1.0, ge=0, le=1)
    """Share of traces the tracer keeps, 0..1."""
    profiling: bool = False
    """Continuous profiler."""
    llm_observability: LlmObservabilitySettings | None = Field(None, validate_default=True)
    """LLM Observability; omit to leave it off."""
    desired_count: int = Field(1, ge=0)
    """Number of tasks of the ECS service; with `autoscaling`, the number it starts with (the
    policies own it from then on, and a later change here is not applied)."""
    health_check: HealthCheckSettings | None = None
    """The app container's own health check; omit for none."""
    load_balancer: LoadBalancerSettings | None = None
    """The target group the tasks register in; omit for a service without a load balancer.
    Needs `port` and observability:ecs.clusterArn."""
    autoscaling: AutoscalingSettings | None = None
    """Target tracking scaling of the task count; omit for a fixed `desiredCount`. Needs
    observability:ecs.clusterArn."""
    enable_execute_command: bool = False
    """ECS Exec into the tasks."""
    cws: bool = False
    """Workload Protection (CWS): the app runs under Datadog's cws-instrumentation tracer, which
    reports its processes, files and connections to the Agent sidecar (needs `agent: sidecar`;
    the app container gets the SYS_PTRACE capability)."""
    team: str | None = None
    """Owning team, if not the stack's."""
    execution_role_arn: RoleArn | None = None
    """Bring-your-own execution role (it must already read the secrets)."""
    task_role_arn: RoleArn | None = None
    """Bring-your-own task role."""
    operation: SpanOperation = "fastapi.request"
    """ddtrace root span operation (fastapi.request, flask.request, django.request, ...): it names
    the `trace.<operation>.*` metrics the monitors and the dashboard read."""
    runbook_url: WebUrl | None = None
    """Runbook linked from every monitor message."""
    dashboard: bool = True
    """A Datadog dashboard of the service's requests, latency, errors and monitors."""
    monitors: MonitorsSettings = MonitorsSettings()
    """The service's Datadog monitors."""
    slos: SlosSettings = SlosSettings()
    """The service's service level objectives and the alerts on their error budgets."""
    notifications: NotificationSettings | None = None
    """Who hears about this service's monitors; the keys given replace those of
    observability:datadog.notifications."""

    def field_problems(self) -> dict[str, str]:
        problems = {}
        if len(self.name) > MAX_SERVICE_NAME_LENGTH:
            problems["name"] = (
                f"{len(self.name)} characters; at most {MAX_SERVICE_NAME_LENGTH}: Pulumi names the "
                f"execution role <name>{EXECUTION_ROLE_SUFFIX}-<7 random characters>, and IAM role "
                "names stop at 64"
            )
        for name in sorted(self.secrets):
            if name == API_KEY_JSON_KEY:
                problems[f"secrets.{name}"] = (
                    "the project gives every container the Datadog API key itself, from "
                    "observability:datadog.apiKeySecret; remove it here"
                )
            elif name in RESERVED_ENV:
                problems[f"secrets.{name}"] = "set by the project; remove it from secrets"
            elif name in self.env:
                problems[f"secrets.{name}"] = (
                    "also set in env; a variable takes one value: keep it in one of the two"
                )
        if self.wait_for_healthy_agent and self.agent == "agentless":
            problems["wait_for_healthy_agent"] = (
                "there is no Agent to wait for with agent: agentless"
            )
        elif self.wait_for_healthy_agent is False and self.cws:
            # Datadog's CDK construct refuses it too (validateECSFargateProps, src/ecs/fargate).
            problems["wait_for_healthy_agent"] = (
                "false with cws: the Workload Protection tracer exits the app when it cannot "
                "reach the Agent, so the app must wait for a healthy one; drop the key"
            )
        if "tmp_size_mib" in self.model_fields_set and not self.readonly_root_filesystem:
            problems["tmp_size_mib"] = (
                "only used with readonlyRootFilesystem: true (a writable root filesystem has its "
                "own /tmp)"
            )
        problems.update(self._serving_problems())
        if self.port is not None:
            problem = port_problem(
                self.port,
                agent_sidecar=self.agent == "sidecar",
                log_router=self.logs.destination == "datadog",
                cws=self.cws,
            )
            if problem is not None:
                problems["port"] = problem
        if self.cws:
            cws = cws_problem(
                None if self.entry_point is None else tuple(self.entry_point),
                tuple(self.command),
                self.wrap_with_ddtrace,
                agent_sidecar=self.agent == "sidecar",
            )
            if cws is not None:
                problems[_FIELDS[cws.field]] = cws.reason
        return problems

    @property
    def waits_for_healthy_agent(self) -> bool:
        """Whether the app starts only once the Agent reports healthy."""
        if self.wait_for_healthy_agent is None:
            return self.cws
        return self.wait_for_healthy_agent

    def _serving_problems(self) -> dict[str, str]:
        """Health check, load balancer and scaling against the rest of the service."""
        problems = {}
        if self.port is None:
            if self.health_check is not None and self.health_check.path is not None:
                problems["health_check.path"] = (
                    "needs port: the check GETs the path on the app's port"
                )
            if self.load_balancer is not None:
                problems["load_balancer"] = "needs port: the target group sends traffic to it"
        scaling = self.autoscaling
        if scaling is None:
            return problems
        if not scaling.min_capacity <= self.desired_count <= scaling.max_capacity:
            problems["desired_count"] = (
                f"{self.desired_count} is outside autoscaling's {scaling.min_capacity}.."
                f"{scaling.max_capacity}: the service starts with it, and scaling would move it "
                "at once"
            )
        if scaling.request_count_per_target is not None and (
            self.load_balancer is None or self.load_balancer.load_balancer_arn is None
        ):
            problems["autoscaling.request_count_per_target"] = (
                "needs loadBalancer with its loadBalancerArn: the metric counts the requests "
                "one load balancer sends to the target group"
            )
        return problems

    @field_validator("command")
    @classmethod
    def _traced_command(cls, value: list[str], info: ValidationInfo) -> list[str]:
        problem = start_problem(None, tuple(value), info.data.get("wrap_with_ddtrace", True))
        if problem is not None:
            raise ValueError(problem.reason)
        return value

    @field_validator("entry_point")
    @classmethod
    def _traced_entry_point(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        command = info.data.get("command")
        if value is None or command is None:
            return value
        problem = start_problem(
            tuple(value), tuple(command), info.data.get("wrap_with_ddtrace", True)
        )
        if problem is not None and problem.field == "entryPoint":
            raise ValueError(problem.reason)
        return value

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY_BY_CPU:
            allowed = ", ".join(str(c) for c in FARGATE_MEMORY_BY_CPU)
            raise ValueError(f"{value} is not a Fargate cpu value (allowed: {allowed})")
        return value

    @field_validator("memory")
    @classmethod
    def _fargate_memory(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        problem = fargate_size_problem(cpu, value) if cpu is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("env")
    @classmethod
    def _no_managed_or_secret_env(cls, value: dict[str, str]) -> dict[str, str]:
        managed = sorted(set(value) & RESERVED_ENV)
        if managed:
            raise ValueError(f"{', '.join(managed)} set by the project; remove from env")
        credentials = sorted(name for name in value if CREDENTIAL_LIKE.search(name))
        if credentials:
            raise ValueError(
                f"{', '.join(credentials)} look like credentials; put them under secrets "
                "(plain env values are readable in the task definition)"
            )
        return value

    @field_validator("llm_observability")
    @classmethod
    def _llm_observability_matches_agent(
        cls, value: LlmObservabilitySettings | None, info: ValidationInfo
    ) -> LlmObservabilitySettings | None:
        agent = info.data.get("agent")
        if agent == "agentless" and value is None:
            raise ValueError(
                "required with agent: agentless (without an agent only LLM Observability data "
                "has somewhere to go); enable it or use agent: sidecar"
            )
        if value is not None and value.agentless is True and agent == "sidecar":
            raise ValueError(
                "agentless LLM Observability cannot run with an agent sidecar: set agent: "
                "agentless or drop agentless: true (the sidecar then forwards LLM data)"
            )
        if value is not None and value.agentless is False and agent == "agentless":
            raise ValueError("agentless: false needs an agent; set agent: sidecar")
        return value
