"""Building blocks of the stack model: the base model and the value types its fields share."""

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from components.eks.args import DEFAULT_NAMESPACE
from components.eks.manifests import cpu_millicores, memory_bytes
from components.monitors.messages import HANDLE

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
# Kubernetes object names that are DNS subdomains (RFC 1123), as most kinds' names are.
_DNS_SUBDOMAIN = r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
SecretName = Annotated[
    str,
    AfterValidator(
        _matching(_DNS_SUBDOMAIN, "a Secret name (lowercase letters, digits, '-' and '.')")
    ),
]
PriorityClassName = Annotated[
    str,
    AfterValidator(
        _matching(_DNS_SUBDOMAIN, "a PriorityClass name (lowercase letters, digits, '-' and '.')")
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

NotificationHandle = Annotated[
    str,
    AfterValidator(
        _matching(
            HANDLE.pattern,
            "a notification handle (@slack-<channel>, @pagerduty-<service>, @opsgenie-<service>, "
            "@team-<handle>, @webhook-<name> or @<email address>)",
        )
    ),
]
SpanOperation = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+",
            "a ddtrace span operation such as fastapi.request, flask.request or django.request",
        )
    ),
]
WebUrl = Annotated[str, AfterValidator(_matching(r"https?://[^\s/]+\S*", "an http(s) URL"))]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Title = Annotated[str, AfterValidator(_not_blank)]

# Environments that are production whatever their protectResources says.
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})

# Credentials in plain `env` would sit readable in the task definition.
CREDENTIAL_LIKE = re.compile(r"(API|APP)_?KEY|PASSWORD|SECRET|TOKEN|PRIVATE_KEY", re.IGNORECASE)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # YAML reads yes, no, on and off as booleans, which lax mode would take as 1 and 0.
        strict=True,
        alias_generator=to_camel,
        populate_by_name=False,
        use_attribute_docstrings=True,
    )

    @model_validator(mode="after")
    def _rules_across_fields(self) -> Self:
        problems = self.field_problems()
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(STACK_RULE, "{reason}", {"reason": reason}),
                        loc=_location(key),
                        input=_value_at(self, key),
                    )
                    for key, reason in problems.items()
                ],
            )
        return self

    def field_problems(self) -> dict[str, str]:
        """What rules across this model's fields find wrong: reasons by the dotted field path
        at fault (`warning`, `agent.features.otlp.grpc_host_port`, `services.1.name`; "" for
        the model itself), each reported at its own key. Pydantic would report an error raised
        in a model validator at the model's key instead."""
        return {}


def _location(key: str) -> tuple[int | str, ...]:
    # Numbers index lists; a dict key (an env var name, a monitor role) is never all digits.
    return tuple(int(part) if part.isdigit() else part for part in key.split(".") if part)


def _value_at(model: BaseModel, key: str) -> object:
    value: Any = model
    for part in _location(key):
        value = getattr(value, str(part)) if isinstance(value, BaseModel) else value[part]
    return value


STACK_RULE = "stack_rule"
"""The error type of `Model.field_problems`: its message is the whole reason."""
