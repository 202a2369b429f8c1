"""Reading a stack's configuration and explaining what is wrong with it.

Every problem is reported as `<stack file>: <key path>: <what is wrong and what is allowed>`, all
of them at once, before a single resource is registered.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, get_args, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from components.eks.args import Overlap, collection_overlaps
from components.fargate.container_definitions import TaskTooSmallError, container_budget
from stacks.model import EksSettings, StackConfig
from stacks.translate import agent_args, collector_args, task_spec

NAMESPACE = "observability"
API_KEY_CONFIG = "datadog:apiKey"


class ConfigProblem(NamedTuple):
    path: str
    """Full key path, e.g. `observability:services[1].memory`."""
    message: str


class StackConfigError(pulumi.RunError):
    """Invalid stack configuration; Pulumi prints a RunError without a stack trace."""

    def __init__(self, problems: Sequence[ConfigProblem], source: str) -> None:
        self.problems = list(problems)
        super().__init__(self.render(source))

    def render(self, source: str) -> str:
        """The problems, one line each, attributed to `source` (the stack file)."""
        return "\n".join(f"{source}: {p.path}: {p.message}" for p in self.problems)


@dataclass(frozen=True)
class LoadedStack:
    """A validated stack configuration and the secrets that go with it."""

    config: StackConfig
    api_key: pulumi.Output[str] | None
    """`datadog:apiKey` as a secret output, None when the stack uses an existing secret."""


def stack_file_name() -> str:
    return f"Pulumi.{pulumi.get_stack()}.yaml"


def load_stack() -> LoadedStack:
    """Read and validate the running stack's configuration (raises StackConfigError)."""
    raw: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for full_key in sorted(_configured_keys()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        value = runtime_config.get_config(full_key)
        try:
            raw[key] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            problems.append(ConfigProblem(full_key, "must be an object or a list, not a string"))
    api_key = pulumi.Config("datadog").get_secret("apiKey")
    try:
        config = parse_stack_config(raw)
    except StackConfigError as error:
        problems += error.problems
        config = None
    if config is not None and api_key is None:
        problems += _missing_api_key(config)
    if problems or config is None:
        raise StackConfigError(problems, stack_file_name())
    return LoadedStack(config=config, api_key=api_key)


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the `observability:*` values (keys without the namespace)."""
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as error:
        problems = [_problem(e) for e in error.errors(include_url=False)]
        raise StackConfigError(problems, stack_file_name()) from None
    problems = _cross_checks(config)
    if problems:
        raise StackConfigError(problems, stack_file_name())
    return config


def _missing_api_key(config: StackConfig) -> list[ConfigProblem]:
    """The problem when something needs `datadog:apiKey` and the stack has none."""
    alternatives = []
    if config.datadog.api_key_secret.existing_arn is None:
        alternatives.append(f"an existing secret in {NAMESPACE}:datadog.apiKeySecret.existingArn")
    if config.eks is not None and config.eks.existing_api_key_secret_name is None:
        alternatives.append(
            f"an existing Kubernetes Secret in {NAMESPACE}:eks.existingApiKeySecretName"
        )
    if not alternatives:
        return []
    return [
        ConfigProblem(
            API_KEY_CONFIG,
            "missing; run `pulumi config set --secret datadog:apiKey <key>` or name "
            + " and ".join(alternatives),
        )
    ]


def _configured_keys() -> set[str]:
    # pulumi.Config cannot list keys, and listing them is how unknown keys get rejected.
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def _cross_checks(config: StackConfig) -> list[ConfigProblem]:
    problems = []
    first_index: dict[str, int] = {}
    for index, service in enumerate(config.services):
        path = f"{NAMESPACE}:services[{index}]"
        if service.name in first_index:
            problems.append(
                ConfigProblem(
                    f"{path}.name",
                    f"duplicate service name {service.name!r} "
                    f"(also services[{first_index[service.name]}]); names must be unique",
                )
            )
        first_index.setdefault(service.name, index)
        try:
            container_budget(task_spec(config, service))
        except TaskTooSmallError as error:
            problems.append(ConfigProblem(f"{path}.{error.field}", str(error)))
    if config.eks is not None:
        problems += _eks_problems(config, config.eks)
    return problems


# Where each kind of double collection is reported, and how to resolve it.
_OVERLAP_KEYS = {
    Overlap.CONTAINER_LOGS: (
        "agent.features.logCollection.enabled",
        "keep one: set collector.containerLogs or agent.features.logCollection.enabled to false",
    ),
    Overlap.OTLP_GRPC_HOST_PORT: (
        "agent.features.otlp.grpcHostPort",
        "give the Agent another host port (e.g. 14317) or none",
    ),
    Overlap.OTLP_HTTP_HOST_PORT: (
        "agent.features.otlp.httpHostPort",
        "give the Agent another host port (e.g. 14318) or none",
    ),
}


def _eks_problems(config: StackConfig, eks: EksSettings) -> list[ConfigProblem]:
    path = f"{NAMESPACE}:eks"
    if not eks.collector.enabled and not eks.agent.enabled:
        return [
            ConfigProblem(
                path,
                "collector.enabled and agent.enabled are both false, so nothing would run on the "
                f"cluster; remove {path} instead",
            )
        ]
    problems = []
    for overlap in collection_overlaps(collector_args(config, eks), agent_args(config, eks)):
        key, remedy = _OVERLAP_KEYS[overlap.what]
        problems.append(ConfigProblem(f"{path}.{key}", f"{overlap.reason}; {remedy}"))
    return problems


def _path(loc: Sequence[int | str]) -> str:
    path = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _problem(error: Mapping[str, Any]) -> ConfigProblem:
    loc, _ = _resolve(error["loc"])
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        text = "required key is missing"
    elif kind == "extra_forbidden":
        _, parent = _resolve(error["loc"][:-1])
        allowed = _keys(parent) if parent is not None else []
        text = f"unknown key (allowed: {', '.join(allowed)})"
    elif kind == "value_error":
        text = message.removeprefix("Value error, ")
    else:
        text = f"{message} (got {error['input']!r})"
    return ConfigProblem(_path(loc), text)


def _resolve(loc: Sequence[int | str]) -> tuple[list[int | str], type[BaseModel] | None]:
    """`loc` with field names turned into the keys written in stack files, and the model at its end.

    pydantic reports most locations by alias but some (defaults it validates) by field name.
    """
    resolved: list[int | str] = []
    annotation: Any = StackConfig
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            annotation = get_args(annotation)[0] if get_args(annotation) else None
            resolved.append(part)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part)) or next(
                (f for f in annotation.model_fields.values() if f.alias == part), None
            )
            resolved.append(field.alias or part if field is not None else part)
            annotation = field.annotation if field is not None else None
        else:  # a key of a dict: kept as written, the value type follows
            resolved.append(part)
            annotation = get_args(annotation)[-1] if get_args(annotation) else None
    annotation = _unwrap(annotation)
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return resolved, annotation if is_model else None


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in stack files (top-level keys with the namespace)."""
    keys = [field.alias or name for name, field in model.model_fields.items()]
    return [f"{NAMESPACE}:{key}" for key in keys] if model is StackConfig else keys


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    if get_origin(annotation) is None or get_origin(annotation) in (list, dict):
        return annotation
    members = [a for a in get_args(annotation) if a is not type(None)]
    return members[0] if len(members) == 1 else annotation
