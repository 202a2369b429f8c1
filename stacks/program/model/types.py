"""Building blocks of the stack model: the base model and the value types its fields share."""

import re
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from functools import cache
from typing import Annotated, Any, Final, Literal, Self
from zoneinfo import available_timezones

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
from components.versions import EKS_SUPPORT_ENDS

_PARTITION = r"arn:aws(?:-[a-z]+)*"


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


# The image reference grammar of the distribution project (reference/regexp.go): an optional
# registry host (with a port), lowercase path components, an optional tag, an optional digest.
_REGISTRY_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REFERENCE: Final = re.compile(
    rf"(?:{_REGISTRY_PART}(?:\.{_REGISTRY_PART})*(?::[0-9]+)?/)?{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)
MAX_IMAGE_LENGTH: Final = 255
"""ECS's limit on a container's `image` (ContainerDefinition in the ECS API reference)."""


def _pinned_image(image: str) -> str:
    if len(image) > MAX_IMAGE_LENGTH:
        raise ValueError(f"{len(image)} characters; ECS takes image references of up to 255")
    if not _IMAGE_REFERENCE.fullmatch(image):
        raise ValueError(
            f"{image!r} is not an image reference: [registry/]repository[:tag][@sha256:<64 hex "
            "digits>], the repository in lowercase"
        )
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
# Elastic Load Balancing names: up to 32 letters, digits and hyphens, not at either end; the id
# that follows is 16 hexadecimal digits (ARNs in the ELB API reference).
_ELB_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?/[0-9a-f]{16}"
TargetGroupArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION + rf":elasticloadbalancing:[a-z0-9-]+:\d{{12}}:targetgroup/{_ELB_NAME}",
            "a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/"
            "<name>/<id>)",
        )
    ),
]
ApplicationLoadBalancerArn = Annotated[
    str,
    AfterValidator(
        _matching(
            _PARTITION + rf":elasticloadbalancing:[a-z0-9-]+:\d{{12}}:loadbalancer/app/{_ELB_NAME}",
            "an Application Load Balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:"
            "loadbalancer/app/<name>/<id>)",
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
WorkloadNamespaceName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?",
            "a namespace name (lowercase letters, digits and hyphens, at most 63)",
        )
    ),
]
"""A namespace of the cluster's own workloads, which the stack neither creates nor owns."""
DdTraceVersion = Annotated[
    str,
    AfterValidator(
        _matching(r"\d+\.\d+\.\d+", "a ddtrace release (major.minor.patch, e.g. 4.13.1)")
    ),
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


def eks_support_problem(version: str, today: date) -> str | None:
    """Why EKS no longer runs Kubernetes `version` on `today`; None while it does (or when the
    version is newer than the project knows)."""
    oldest = min(EKS_SUPPORT_ENDS, key=_minor)
    ends = EKS_SUPPORT_ENDS.get(version)
    if ends is None and _minor(version) > _minor(max(EKS_SUPPORT_ENDS, key=_minor)):
        return None
    if ends is not None and today <= ends:
        return None
    supported = sorted((v for v, end in EKS_SUPPORT_ENDS.items() if today <= end), key=_minor)
    when = f"on {ends.isoformat()}" if ends else f"before {EKS_SUPPORT_ENDS[oldest].isoformat()}"
    return (
        f"EKS no longer runs Kubernetes {version}: its extended support ended {when}, and EKS "
        f"upgrades such clusters itself; name the version the cluster runs "
        f"({', '.join(supported)})"
    )


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _supported_by_eks(version: str) -> str:
    problem = eks_support_problem(version, date.today())
    if problem is not None:
        raise ValueError(problem)
    return version


KUBERNETES_MINOR_VERSION = re.compile(r"1\.\d{1,2}")
KubernetesVersion = Annotated[
    str,
    BeforeValidator(_quoted_version),
    AfterValidator(
        _matching(KUBERNETES_MINOR_VERSION.pattern, 'a Kubernetes minor version such as "1.34"')
    ),
    AfterValidator(_supported_by_eks),
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
# A URL's path and query (RFC 3986): what an HTTP health check may ask for.
HttpPath = Annotated[
    str,
    AfterValidator(
        _matching(
            r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*",
            "an HTTP path such as /health (starting with /, no spaces)",
        )
    ),
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Title = Annotated[str, AfterValidator(_not_blank)]

# Environments that are production whatever their protectResources says.
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})

# Credentials in plain `env` would sit readable in the task definition.
CREDENTIAL_LIKE = re.compile(r"(API|APP)_?KEY|PASSWORD|SECRET|TOKEN|PRIVATE_KEY", re.IGNORECASE)

# Values that are credentials whatever their variable is called: Datadog API keys are 32 hex
# digits and application keys 40, AWS access key ids start with AKIA (long-term) or ASIA
# (temporary), and a URL can carry a password (https://user:password@proxy:3128).
_CREDENTIAL_VALUES: Final = (
    (
        re.compile(r"\b[0-9a-fA-F]{32}\b|\b[0-9a-fA-F]{40}\b"),
        "looks like a Datadog API or application key",
    ),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "looks like an AWS access key id"),
    (re.compile(r"://[^/@\s:]+:[^/@\s]+@"), "holds a password in a URL"),
)


def credential_value_problem(value: str) -> str | None:
    """What makes a plain value look like a credential; None when nothing does."""
    return next((why for pattern, why in _CREDENTIAL_VALUES if pattern.search(value)), None)


SecretsManagerName = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[A-Za-z0-9/_+=.@-]{1,512}",
            "a Secrets Manager secret name (up to 512 letters, digits and /_+=.@-)",
        )
    ),
]
"""CreateSecret's `Name` (Secrets Manager API reference)."""

_CONTAINER_USER_PART = r"(?:[0-9]+|[A-Za-z_][A-Za-z0-9_.-]{0,31})"


def _non_root(user: str) -> str:
    if user.split(":", 1)[0] in ("0", "root"):
        raise ValueError(
            f"{user!r} is root; name a non-root user, or omit user to run as the image's USER"
        )
    return user


ContainerUser = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_CONTAINER_USER_PART}(?::{_CONTAINER_USER_PART})?",
            "a user: a name or UID, optionally with :group (a name or GID)",
        )
    ),
    AfterValidator(_non_root),
]
"""A container's `user` (ContainerDefinition in the ECS API reference: user, user:group, uid,
uid:gid, user:gid or uid:group)."""

Argument = Annotated[str, Field(min_length=1)]
"""One word of a command: ECS passes an empty one to the process as an empty argument."""


def _known_timezone(name: str) -> str:
    # Datadog writes tz database names in lowercase (timezone='europe/paris'); where the machine
    # has no tz database (Windows without the tzdata package) the name cannot be checked.
    known = _known_timezones()
    if known and name.lower() not in known:
        raise ValueError(f"{name!r} is not a time zone of the tz database, e.g. europe/paris")
    return name


@cache
def _known_timezones() -> frozenset[str]:
    # available_timezones() walks the tz database's files on every call.
    return frozenset(zone.lower() for zone in available_timezones())


Timezone = Annotated[str, AfterValidator(_known_timezone)]


def _not_aws_prefixed(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError(f"{key!r} starts with aws:, which AWS keeps for its own tags")
    return key


# AWS tags: "Tagging best practices" and the tagging API (TagResource): keys up to 128 characters
# and values up to 256, of letters, digits, spaces and _ . : / = + - @; the aws: prefix is AWS's.
TagKey = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[\w .:/=+\-@]{1,128}", "a tag key (up to 128 letters, digits, spaces and _.:/=+-@)"
        )
    ),
    AfterValidator(_not_aws_prefixed),
]

TagValue = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[\w .:/=+\-@]{0,256}", "a tag value (up to 256 letters, digits, spaces and _.:/=+-@)"
        )
    ),
]
MAX_TAGS: Final = 50
"""Tags per AWS resource."""

# Kubernetes: a toleration's key is a label key (a qualified name with an optional DNS subdomain
# prefix), its value a label value (validation.IsQualifiedName, IsValidLabelValue).
_LABEL_NAME = r"(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
LabelKey = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"(?:{_DNS_SUBDOMAIN}/)?{_LABEL_NAME}",
            "a label key: [prefix/]name, the name up to 63 letters, digits and -_. (alphanumeric "
            "at both ends)",
        )
    ),
]
LabelValue = Annotated[
    str,
    AfterValidator(
        _matching(
            r"(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?",
            "a label value: up to 63 letters, digits and -_. (alphanumeric at both ends)",
        )
    ),
]


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
