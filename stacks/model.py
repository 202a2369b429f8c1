"""The typed model of a stack's `observability:*` configuration.

Each top-level field is one config key (`observability:services`, ...). Field checks live here;
rules that span sections or list items live in `stacks.config`, which also turns every failure
into a message naming the stack file and the key path.
"""

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.datadog_site import DatadogSite
from components.eks.args import DEFAULT_NAMESPACE
from components.eks.collector_config import BatchSettings
from components.eks.datadog_agent import (
    DEFAULT_CLUSTER_AGENT_RESOURCES,
    DEFAULT_NODE_AGENT_RESOURCES,
    AgentFeatures,
)
from components.eks.manifests import (
    ContainerResources,
    Toleration,
    cpu_millicores,
    go_memory_limit,
    memory_bytes,
)
from components.fargate.args import DEFAULT_AGENT_IMAGE, DEFAULT_LOG_ROUTER_IMAGE
from components.fargate.container_definitions import RESERVED_ENV
from components.fargate.sizes import FARGATE_MEMORY_BY_CPU, fargate_size_problem
from components.versions import DEFAULT_KUBERNETES_VERSION

_PARTITION = r"arn:aws(?:-[a-z]+)*"


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _pinned_image(image: str) -> str:
    reference = image.split("@", 1)
    name = reference[0]
    has_digest = len(reference) == 2
    last_part = name.rsplit("/", 1)[-1]
    tag = last_part.split(":", 1)[1] if ":" in last_part else None
    if tag == "latest":
        raise ValueError(f"{image!r} uses the tag 'latest'; pin a version (e.g. repo/app:1.4.2)")
    if tag is None and not has_digest:
        raise ValueError(f"{image!r} has no tag; pin a version (e.g. repo/app:1.4.2)")
    return image


PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
ServiceName = Annotated[
    str,
    AfterValidator(
        _matching(r"[a-z][a-z0-9-]{0,62}", "a service name (lowercase letters, digits, hyphens)")
    ),
]
EnvName = Annotated[
    str, AfterValidator(_matching(r"[a-z][a-z0-9_.-]{0,99}", "a Datadog env tag (lowercase)"))
]
EnvVarName = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name"))
]
Version = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}", "a version string"))
]
SecretArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION
            + r":secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}",
            "a full Secrets Manager secret ARN (with its six-character suffix)",
        )
    ),
]
KmsKeyArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION + r":kms:[a-z0-9-]+:\d{12}:key/(?:mrk-[a-f0-9]{32}|[a-f0-9-]{36})",
            "a KMS key ARN",
        )
    ),
]
RoleArn = Annotated[
    str,
    AfterValidator(_matching(_PARTITION + r":iam::\d{12}:role/[\w+=,.@/-]+", "an IAM role ARN")),
]
ClusterArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION + r":ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]+", "an ECS cluster ARN"
        )
    ),
]
SubnetId = Annotated[str, AfterValidator(_matching(r"subnet-[0-9a-f]{8,17}", "a subnet id"))]
SecurityGroupId = Annotated[
    str, AfterValidator(_matching(r"sg-[0-9a-f]{8,17}", "a security group id"))
]
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
]  # fmt: skip

EksClusterName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}",
            "an EKS cluster name (letters, digits, hyphens, underscores; at most 100)",
        )
    ),
]
# Namespaces every cluster already has: the stack creates its namespace, so these would clash.
_BUILT_IN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _own_namespace(name: str) -> str:
    if name in _BUILT_IN_NAMESPACES:
        raise ValueError(
            f"{name!r} exists in every cluster, and the stack creates its namespace; "
            f"use a namespace of its own (default {DEFAULT_NAMESPACE!r})"
        )
    return name


NamespaceName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?",
            "a namespace name (lowercase letters, digits and hyphens, at most 63)",
        )
    ),
    AfterValidator(_own_namespace),
]
SecretName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            "a Secret name (lowercase letters, digits, '-' and '.')",
        )
    ),
]


def _quoted_version(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f'{value!r} is a number: quote the version (kubernetesVersion: "1.30"), YAML reads '
            "an unquoted 1.30 as 1.3"
        )
    return value


KUBERNETES_MINOR_VERSION = re.compile(r"1\.\d{1,2}")
KubernetesVersion = Annotated[
    str,
    BeforeValidator(_quoted_version),
    AfterValidator(
        _matching(KUBERNETES_MINOR_VERSION.pattern, 'a Kubernetes minor version such as "1.30"')
    ),
]


def _number_as_quantity(value: object) -> object:
    # YAML reads `cpu: 1` or `memory: 1073741824` as numbers; Kubernetes quantities are strings.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _quantity(parse: Callable[[str], Fraction], examples: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a quantity such as {examples}") from None
        return value

    return check


CpuQuantity = Annotated[
    str,
    BeforeValidator(_number_as_quantity),
    AfterValidator(_quantity(cpu_millicores, "250m or 1")),
]
MemoryQuantity = Annotated[
    str,
    BeforeValidator(_number_as_quantity),
    AfterValidator(_quantity(memory_bytes, "512Mi or 1Gi")),
]
HostPort = Annotated[int, Field(ge=1, le=65535)]

# Credentials in plain `env` would sit readable in the task definition.
_CREDENTIAL_LIKE = re.compile(r"(API|APP)_?KEY|PASSWORD|SECRET|TOKEN|PRIVATE_KEY", re.IGNORECASE)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        use_attribute_docstrings=True,
    )


class EnvironmentSettings(Model):
    """`observability:environment`: who and what this stack is."""

    name: EnvName
    """The Datadog `env` tag (DD_ENV) of everything in the stack."""
    team: str = Field(min_length=1)
    """Team that owns the stack's resources, for the `team` tag."""
    protect_resources: bool = False
    """Protect stateful resources (the key secret, KMS key) from deletion with the stack."""
    tags: dict[str, str] = {}
    """Extra tags on every AWS resource."""


class ApiKeySecretSettings(Model):
    """Where the Datadog API key is kept in Secrets Manager."""

    name: str | None = None
    """Name of the secret to create; defaults to `datadog/<env>/api-key`."""
    existing_arn: SecretArn | None = None
    """Use this existing JSON secret (key `DD_API_KEY`) instead of creating one."""
    existing_kms_key_arn: KmsKeyArn | None = None
    """Customer-managed key of the existing secret, if any."""
    customer_managed_key: bool = False
    """Encrypt a created secret with its own KMS key."""
    recovery_window_days: int = Field(30, ge=7, le=30)
    """Days a deleted secret can be restored."""

    @field_validator("existing_kms_key_arn")
    @classmethod
    def _kms_key_needs_existing_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("existing_arn") is None:
            raise ValueError("only applies together with existingArn")
        return value

    @field_validator("customer_managed_key")
    @classmethod
    def _cmk_needs_created_secret(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("existing_arn") is not None:
            raise ValueError("applies to a created secret, not to existingArn")
        return value


class DatadogSettings(Model):
    """`observability:datadog`: the Datadog organisation the stack reports to."""

    site: DatadogSite = "datadoghq.com"
    """Datadog site; every intake and API endpoint is derived from it."""
    api_key_secret: ApiKeySecretSettings = ApiKeySecretSettings()
    """The API key secret."""


class SidecarSize(Model):
    """CPU units and hard memory limit (MiB) of a sidecar container."""

    cpu: int = Field(gt=0)
    memory: int = Field(gt=0)


class EcsSettings(Model):
    """`observability:ecs`: where services run and the shared sidecar settings."""

    cluster_arn: ClusterArn | None = None
    """ECS cluster; without it only task definitions are registered (no services)."""
    subnet_ids: list[SubnetId] = []
    """Subnets of the tasks; required with clusterArn."""
    security_group_ids: list[SecurityGroupId] = []
    """Security groups of the tasks."""
    assign_public_ip: bool = False
    """Public IPs on tasks (public subnets without a NAT only)."""
    agent_image: PinnedImage = DEFAULT_AGENT_IMAGE
    """Datadog Agent sidecar image, pinned."""
    agent: SidecarSize = SidecarSize(cpu=64, memory=256)
    """Agent sidecar size, taken out of each task's size."""
    log_router_image: PinnedImage = DEFAULT_LOG_ROUTER_IMAGE
    """FireLens log router image, pinned."""
    log_router: SidecarSize = SidecarSize(cpu=32, memory=128)
    """Log router size, taken out of each task's size."""

    @field_validator("subnet_ids")
    @classmethod
    def _subnets_with_cluster(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("cluster_arn") is not None and not value:
            raise ValueError("required when clusterArn is set (the tasks' network interfaces)")
        return value


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


class ServiceSettings(Model):
    """One Python service on Fargate (an item of `observability:services`)."""

    name: ServiceName
    """DD_SERVICE and the ECS service name."""
    image: PinnedImage
    """Container image with a pinned tag or digest."""
    version: Version
    """DD_VERSION: the version the image carries."""
    wrap_with_ddtrace: bool = True
    """Start the command under ddtrace-run."""
    command: list[str] = Field(min_length=1)
    """Start command of the app, e.g. [uvicorn, app.main:app, --port, "8000"]."""
    port: int | None = Field(None, ge=1, le=65535)
    """Port the app listens on."""
    cpu: int
    """Task CPU units (256, 512, 1024, ...)."""
    memory: int
    """Task memory in MiB, valid for `cpu` on Fargate."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """Architecture the image is built for."""
    env: dict[EnvVarName, str] = {}
    """Plain environment variables (no credentials: use `secrets`)."""
    secrets: dict[EnvVarName, SecretSettings] = {}
    """Environment variables read from Secrets Manager."""
    agent: Literal["sidecar", "agentless"] = "sidecar"
    """Datadog Agent sidecar in the task, or agentless (LLM Observability straight to Datadog)."""
    agent_transport: Literal["unix-socket", "loopback"] = "unix-socket"
    """How the app reaches the sidecar agent."""
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
    """Number of tasks of the ECS service."""
    enable_execute_command: bool = False
    """ECS Exec into the tasks."""
    team: str | None = None
    """Owning team, if not the stack's."""
    execution_role_arn: RoleArn | None = None
    """Bring-your-own execution role (it must already read the secrets)."""
    task_role_arn: RoleArn | None = None
    """Bring-your-own task role."""

    @field_validator("command")
    @classmethod
    def _wrapped_once(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("wrap_with_ddtrace", True) and value and value[0] == "ddtrace-run":
            raise ValueError(
                "starts with ddtrace-run while wrapWithDdtrace is true; drop it from the command "
                "or set wrapWithDdtrace: false (wrapping twice patches every library twice)"
            )
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
        credentials = sorted(name for name in value if _CREDENTIAL_LIKE.search(name))
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


class QuantitySettings(Model):
    """CPU and memory, as Kubernetes quantities."""

    cpu: CpuQuantity
    """CPU, e.g. 250m (a quarter core) or 1."""
    memory: MemoryQuantity
    """Memory, e.g. 512Mi or 1Gi."""


class ResourceSettings(Model):
    """Requests and limits of a container."""

    requests: QuantitySettings
    """What the scheduler reserves on the node."""
    limits: QuantitySettings
    """Ceilings: CPU is throttled above its limit, the container is killed above its memory."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Self:
        # The builder's own rule; raises when a request exceeds its limit.
        ContainerResources(
            self.requests.cpu, self.requests.memory, self.limits.cpu, self.limits.memory
        )
        return self

    @classmethod
    def of(cls, resources: ContainerResources) -> "ResourceSettings":
        """Settings equal to a builder default, so the model documents the real default."""
        return cls.model_validate(
            {
                "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
                "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
            }
        )


class TolerationSettings(Model):
    """A taint the node collector tolerates, as in a pod spec."""

    key: str | None = None
    """Taint key; omitted with operator Exists, every taint is tolerated."""
    operator: Literal["Exists", "Equal"] = "Exists"
    """Exists matches any value; Equal needs `value`."""
    value: str | None = None
    """Taint value, with operator Equal."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect; omitted, every effect."""

    @model_validator(mode="after")
    def _valid_toleration(self) -> Self:
        Toleration(key=self.key, operator=self.operator, value=self.value, effect=self.effect)
        return self


_BATCH = BatchSettings()


class CollectorBatchSettings(Model):
    """Batching before the Datadog exporter. Batches that are too large get HTTP 413 from the
    intake; the defaults are Datadog's own example."""

    send_batch_size: int = Field(_BATCH.send_batch_size, gt=0)
    """Items that trigger a send."""
    send_batch_max_size: int = Field(_BATCH.send_batch_max_size, gt=0)
    """Upper bound of one batch."""
    timeout_seconds: int = Field(_BATCH.timeout_seconds, gt=0)
    """Longest wait before a partial batch is sent."""

    @model_validator(mode="after")
    def _size_within_max(self) -> Self:
        if self.send_batch_size > self.send_batch_max_size:
            raise ValueError(
                f"sendBatchSize {self.send_batch_size} is larger than sendBatchMaxSize "
                f"{self.send_batch_max_size}"
            )
        return self


def _collector_memory(value: ResourceSettings) -> ResourceSettings:
    # GOMEMLIMIT is derived from the memory limit and must leave the collector something.
    go_memory_limit(value.limits.memory)
    return value


CollectorResources = Annotated[ResourceSettings, AfterValidator(_collector_memory)]


class EksCollectorSettings(Model):
    """The OpenTelemetry Collectors: a DaemonSet on every EC2 node (OTLP, logs, kubelet and
    Prometheus metrics) and one Deployment for the cluster-wide metrics and events."""

    enabled: bool = True
    """Deploy the collectors."""
    container_logs: bool = True
    """Tail every pod's log files on each node. Off when the Agent collects logs."""
    prometheus_scrape: bool = True
    """Scrape pods annotated `prometheus.io/scrape: "true"` on the collector's node."""
    kubelet_stats: bool = True
    """Pod and container resource metrics from each node's kubelet."""
    kubernetes_events: bool = True
    """Ship Kubernetes events as logs (from the cluster collector, once per cluster)."""
    batch: CollectorBatchSettings = CollectorBatchSettings()
    """Batching before export."""
    resources: CollectorResources = ResourceSettings.of(ContainerResources())
    """Resources of each node collector pod; GOMEMLIMIT is 80 % of the memory limit."""
    cluster_collector_resources: CollectorResources = ResourceSettings.of(ContainerResources())
    """Resources of the cluster collector pod."""
    tolerations: list[TolerationSettings] = []
    """Taints the node collector tolerates, e.g. [{operator: Exists}] to run on every node."""


_AGENT_FEATURES = AgentFeatures()


class AgentOtlpSettings(Model):
    """The Agent's own OTLP receiver (applications normally send OTLP to the collector)."""

    grpc: bool = _AGENT_FEATURES.otlp.grpc
    """Accept OTLP/gRPC."""
    http: bool = _AGENT_FEATURES.otlp.http
    """Accept OTLP/HTTP."""
    grpc_host_port: HostPort | None = None
    """Open this host port for OTLP/gRPC; omitted, no host port."""
    http_host_port: HostPort | None = None
    """Open this host port for OTLP/HTTP; omitted, no host port."""

    @field_validator("grpc_host_port", "http_host_port")
    @classmethod
    def _port_of_an_open_receiver(cls, value: int | None, info: ValidationInfo) -> int | None:
        protocol = "grpc" if info.field_name == "grpc_host_port" else "http"
        if value is not None and not info.data.get(protocol):
            raise ValueError(f"needs {protocol}: true (a host port of a closed receiver)")
        if value is not None and protocol == "http" and value == info.data.get("grpc_host_port"):
            raise ValueError(f"{value} is grpcHostPort too; gRPC and HTTP need a port each")
        return value


class AgentLogCollectionSettings(Model):
    """Container log collection by the Agent."""

    enabled: bool = _AGENT_FEATURES.log_collection
    """Tail container logs (drops DEBUG lines and health checks). Only one of the Agent and the
    collector may tail them."""
    container_collect_all: bool = _AGENT_FEATURES.container_collect_all
    """Every container, not only those annotated for log collection."""


class AgentFeatureSettings(Model):
    """Agent features, each switchable."""

    apm: bool = _AGENT_FEATURES.apm
    """Receive ddtrace traces over the Agent's Unix socket."""
    otlp: AgentOtlpSettings = AgentOtlpSettings()
    """The Agent's OTLP receiver."""
    log_collection: AgentLogCollectionSettings = AgentLogCollectionSettings()
    """Container logs."""
    npm: bool = _AGENT_FEATURES.npm
    """Network Performance Monitoring (system-probe, privileged)."""
    cspm: bool = _AGENT_FEATURES.cspm
    """Cloud Security Posture Management."""
    cws: bool = _AGENT_FEATURES.cws
    """Cloud Workload Security (system-probe, privileged)."""


class EksAgentSettings(Model):
    """The Datadog Agent, through the Datadog Operator."""

    enabled: bool = True
    """Deploy the Operator and the Agent."""
    features: AgentFeatureSettings = AgentFeatureSettings()
    """What the Agent collects."""
    cluster_agent_replicas: int = Field(2, ge=1)
    """Cluster Agent replicas; two keep admission control and cluster checks up through a node
    drain, one is enough for a dev cluster."""
    node_agent_resources: ResourceSettings = ResourceSettings.of(DEFAULT_NODE_AGENT_RESOURCES)
    """Resources of the node Agent's main container."""
    cluster_agent_resources: ResourceSettings = ResourceSettings.of(DEFAULT_CLUSTER_AGENT_RESOURCES)
    """Resources of each Cluster Agent."""


class EksSettings(Model):
    """`observability:eks`: telemetry workloads on an existing EKS cluster; omit for none."""

    cluster_name: EksClusterName
    """The cluster: looked up for its endpoint and CA, and its name tags all telemetry."""
    kubeconfig_context: str | None = Field(None, min_length=1)
    """Reach the cluster through this context of the kubeconfig of whoever runs Pulumi, instead
    of the EKS lookup and `aws eks get-token`."""
    kubernetes_version: KubernetesVersion = DEFAULT_KUBERNETES_VERSION
    """The cluster's Kubernetes minor version, quoted; objects are validated against it."""
    namespace: NamespaceName = DEFAULT_NAMESPACE
    """Namespace the stack creates for the collectors, the Operator and the Agent."""
    existing_api_key_secret_name: SecretName | None = None
    """A Secret in the namespace holding the API key under `api-key` (e.g. synced from Secrets
    Manager); omitted, the stack creates `datadog-api-key` from datadog:apiKey."""
    collector: EksCollectorSettings = EksCollectorSettings()
    """The OpenTelemetry Collectors."""
    agent: EksAgentSettings = EksAgentSettings()
    """The Datadog Agent."""


class StackConfig(Model):
    """All `observability:*` keys of one stack file."""

    environment: EnvironmentSettings
    """`observability:environment`."""
    datadog: DatadogSettings = DatadogSettings()
    """`observability:datadog`."""
    ecs: EcsSettings = EcsSettings()
    """`observability:ecs`."""
    services: list[ServiceSettings] = []
    """`observability:services`."""
    eks: EksSettings | None = None
    """`observability:eks`."""
