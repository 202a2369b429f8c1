"""The typed model of a stack's `observability:*` configuration.

Each top-level field is one config key (`observability:services`, ...). Field checks live here;
rules that span sections or list items live in `stacks.config`, which also turns every failure
into a message naming the stack file and the key path.
"""

import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from components.datadog_site import DatadogSite
from components.fargate.args import DEFAULT_AGENT_IMAGE, DEFAULT_LOG_ROUTER_IMAGE
from components.fargate.container_definitions import RESERVED_ENV
from components.fargate.sizes import FARGATE_MEMORY_BY_CPU, fargate_size_problem

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
