"""Reading a stack's configuration and explaining what is wrong with it.

Every problem is reported as `<stack file>: <key path>: <what is wrong and what is allowed>`, all
of them at once, before a single resource is registered.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, get_args, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from components.eks.args import Overlap, collection_overlaps
from components.fargate.container_definitions import TaskTooSmallError, container_budget
from components.monitors import MonitorDefinitionError, monitor_builders
from components.problems import Problem
from components.telemetry import scope_terms
from stacks.program.compile import (
    agent_args,
    collector_args,
    monitors_spec,
    service_notifications,
    task_spec,
)
from stacks.program.errors import NAMESPACE, StackConfigError
from stacks.program.model import StackConfig
from stacks.program.model.eks import EksSettings
from stacks.program.model.monitors import (
    AnomalyMonitorSettings,
    CustomMonitorSettings,
    FormulaMonitorSettings,
    LogMonitorSettings,
    MetricMonitorSettings,
)
from stacks.program.model.services import ServiceSettings
from stacks.program.telemetry import TelemetryPlan, monitor_key, telemetry_plan

API_KEY_CONFIG = "datadog:apiKey"
APP_KEY_CONFIG = "datadog:appKey"


@dataclass(frozen=True)
class DatadogKeys:
    """The keys of the stack's Datadog provider, as secret outputs."""

    api_key: pulumi.Output[str]
    """`datadog:apiKey`."""
    app_key: pulumi.Output[str]
    """`datadog:appKey`: an application key allowed to manage monitors and dashboards."""


@dataclass(frozen=True)
class LoadedStack:
    """A validated stack configuration and the secrets that go with it."""

    config: StackConfig
    plan: TelemetryPlan
    """The monitors and dashboards that will have data, and notes on those left out."""
    api_key: pulumi.Output[str] | None
    """`datadog:apiKey` as a secret output, None when the stack uses an existing secret."""
    datadog: DatadogKeys | None = None
    """Keys of the Datadog provider; None when the stack has no monitor or dashboard."""


def stack_file_name() -> str:
    return f"Pulumi.{pulumi.get_stack()}.yaml"


def load_stack() -> LoadedStack:
    """Read and validate the running stack's configuration (raises StackConfigError)."""
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for full_key in sorted(_configured_keys()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        value = runtime_config.get_config(full_key)
        try:
            raw[key] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            problems.append(Problem(full_key, "must be an object or a list, not a string"))
    datadog = pulumi.Config("datadog")
    api_key, app_key = datadog.get_secret("apiKey"), datadog.get_secret("appKey")
    try:
        config, plan = validated_stack_config(raw)
    except StackConfigError as error:
        problems += error.problems
        config, plan = None, None
    datadog_resources = plan is not None and plan.manages_datadog_resources
    if config is not None and api_key is None:
        problems += _missing_api_key(config, datadog_resources)
    if datadog_resources and app_key is None:
        problems.append(
            Problem(
                APP_KEY_CONFIG,
                "missing; run `pulumi config set --secret datadog:appKey <key>` with an "
                "application key allowed to manage monitors and dashboards (the stack's Datadog "
                "provider needs it)",
            )
        )
    if problems or config is None or plan is None:
        raise StackConfigError(problems, stack_file_name())
    keys = (
        DatadogKeys(api_key, app_key)
        if datadog_resources and api_key is not None and app_key is not None
        else None
    )
    return LoadedStack(config=config, plan=plan, api_key=api_key, datadog=keys)


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the `observability:*` values (keys without the namespace)."""
    return validated_stack_config(raw)[0]


def validated_stack_config(raw: Mapping[str, Any]) -> tuple[StackConfig, TelemetryPlan]:
    """The validated `observability:*` values and the monitors and dashboards they feed."""
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as error:
        problems = [_problem(e) for e in error.errors(include_url=False)]
        raise StackConfigError(problems, stack_file_name()) from None
    plan = telemetry_plan(config)
    problems = [*_cross_checks(config, plan), *plan.problems]
    if problems:
        raise StackConfigError(problems, stack_file_name())
    return config, plan


def _missing_api_key(config: StackConfig, datadog_resources: bool) -> list[Problem]:
    """The problem when something needs `datadog:apiKey` and the stack has none."""
    set_it = "missing; run `pulumi config set --secret datadog:apiKey <key>`"
    if datadog_resources:
        # Existing secrets serve the agents, not the provider that manages monitors and dashboards.
        return [
            Problem(
                API_KEY_CONFIG,
                f"{set_it} (the stack's Datadog provider needs it for the monitors and dashboards)",
            )
        ]
    alternatives = []
    if config.datadog.api_key_secret.existing_arn is None:
        alternatives.append(f"an existing secret in {NAMESPACE}:datadog.apiKeySecret.existingArn")
    if config.eks is not None and config.eks.existing_api_key_secret_name is None:
        alternatives.append(
            f"an existing Kubernetes Secret in {NAMESPACE}:eks.existingApiKeySecretName"
        )
    if not alternatives:
        return []
    return [Problem(API_KEY_CONFIG, f"{set_it} or name " + " and ".join(alternatives))]


def _configured_keys() -> set[str]:
    # pulumi.Config cannot list keys, and listing them is how unknown keys get rejected.
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def _cross_checks(config: StackConfig, plan: TelemetryPlan) -> list[Problem]:
    problems = []
    first_index: dict[str, int] = {}
    for index, service in enumerate(config.services):
        path = f"{NAMESPACE}:services[{index}]"
        if service.name in first_index:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"duplicate service name {service.name!r} "
                    f"(also services[{first_index[service.name]}]); names must be unique",
                )
            )
        first_index.setdefault(service.name, index)
        try:
            container_budget(task_spec(config, service))
        except TaskTooSmallError as error:
            problems.append(Problem(f"{path}.{error.field}", str(error)))
        problems += _monitor_problems(config, path, service)
    current = {service.name for service in config.services}
    problems += [
        Problem(
            f"{NAMESPACE}:services[{index}].previousNames",
            f"{old!r} is the name of a service in this stack; an alias would claim its resources",
        )
        for index, service in enumerate(config.services)
        for old in service.previous_names
        if old in current
    ]
    problems += _unnotified_production_problems(config, plan)
    if config.eks is not None:
        problems += _eks_problems(config, config.eks)
    return problems


# Config keys of the monitor JSON fields the validator can find wrong in a configured monitor;
# problems with other fields (the query, mostly) are reported at the monitor.
_MONITOR_FIELD_KEYS: Final = {
    "options.thresholds.warning": "warning",
    "options.thresholds.critical_recovery": "criticalRecovery",
    "options.thresholds.warning_recovery": "warningRecovery",
    "options.threshold_windows.recovery_window": "recoveryWindow",
    "options.notify_by": "notifyBy",
    "options.variables": "variables",
}
_LATENCY_FIELD_KEYS: Final = {"options.thresholds.warning": "warningSeconds"}


def _monitor_problems(config: StackConfig, path: str, service: ServiceSettings) -> list[Problem]:
    """What the monitor builders and validator refuse, at the key that causes it."""
    monitors_path = f"{path}.monitors"
    problems = [
        problem
        for role, custom in service.monitors.custom.items()
        for problem in _scope_problems(config, f"{monitors_path}.custom.{role}", custom)
    ]
    try:
        builders = monitor_builders(monitors_spec(config, service))
    except ValueError as error:  # a custom role taken by a default monitor
        return [*problems, Problem(f"{monitors_path}.custom", str(error))]
    for role, planned in builders.items():
        monitor_path = f"{monitors_path}.{monitor_key(role)}"
        try:
            planned.build()
        except MonitorDefinitionError as error:
            keys = {**_MONITOR_FIELD_KEYS, **(_LATENCY_FIELD_KEYS if role == "latency" else {})}
            problems += [
                Problem(f"{monitor_path}.{keys[p.path]}", p.reason)
                if p.path in keys
                else Problem(monitor_path, str(p))
                for p in error.problems
            ] or [Problem(monitor_path, error.reason)]
    return problems


def _scope_problems(
    config: StackConfig, path: str, monitor: CustomMonitorSettings
) -> list[Problem]:
    """A custom monitor must watch services of the stack in the stack's environment: another
    name is a typo or a block copied from another stack file, and the monitor would stay silent
    or watch someone else's data. One on data from outside the stack (`externalSource`) names
    that system's services and environments, which the stack cannot know."""
    if monitor.external_source is not None:
        return []
    texts: list[tuple[str, str]] = []
    match monitor:
        case MetricMonitorSettings() | AnomalyMonitorSettings():
            texts = [(f"filters[{i}]", text) for i, text in enumerate(monitor.filters)]
        case LogMonitorSettings():
            texts = [("search", monitor.search)]
        case FormulaMonitorSettings():
            texts = [
                (f"variables.{name}.search", v.search) for name, v in monitor.variables.items()
            ]
    services = [service.name for service in config.services]
    env = config.environment.name
    problems = []
    for key, text in texts:
        for tag, value in scope_terms(text):
            if "*" in value or "?" in value:
                continue
            if tag == "service" and value not in services:
                problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"service:{value} is not a service of this stack ({', '.join(services)}); "
                        "the monitor would never see data",
                    )
                )
            elif tag == "env" and value != env:
                problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"env:{value} is not this stack's environment ({env}); the monitor "
                        "would watch another environment",
                    )
                )
    return problems


def _unnotified_production_problems(config: StackConfig, plan: TelemetryPlan) -> list[Problem]:
    """In a production-like stack, every service with monitors must page someone."""
    environment = config.environment
    if not environment.production_like:
        return []
    why = (
        "protectResources is true"
        if environment.protect_resources
        else f"environment {environment.name}"
    )
    problems = []
    stack_services = []
    for index, service in enumerate(config.services):
        if service_notifications(config, service).alert or not plan.services[service.name].monitors:
            continue
        own = service.notifications
        if own is not None and "alert" in own.model_fields_set:
            problems.append(
                Problem(
                    f"{NAMESPACE}:services[{index}].notifications.alert",
                    f"no handle in a production stack ({why}): {service.name}'s alerts would "
                    "page no one; add one such as @pagerduty-<service>",
                )
            )
        else:
            stack_services.append(service.name)
    if stack_services:
        problems.append(
            Problem(
                f"{NAMESPACE}:datadog.notifications.alert",
                f"no handle in a production stack ({why}): alerts of "
                f"{', '.join(stack_services)} would page no one; add one such as "
                "@pagerduty-<service>",
            )
        )
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


def _eks_problems(config: StackConfig, eks: EksSettings) -> list[Problem]:
    path = f"{NAMESPACE}:eks"
    if not eks.collector.enabled and not eks.agent.enabled:
        return [
            Problem(
                path,
                "collector.enabled and agent.enabled are both false, so nothing would run on the "
                f"cluster; remove {path} instead",
            )
        ]
    problems = []
    for overlap in collection_overlaps(collector_args(config, eks), agent_args(config, eks)):
        key, remedy = _OVERLAP_KEYS[overlap.what]
        problems.append(Problem(f"{path}.{key}", f"{overlap.reason}; {remedy}"))
    return problems


def _path(loc: Sequence[int | str]) -> str:
    path = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _problem(error: Mapping[str, Any]) -> Problem:
    loc, _ = _resolve(error["loc"])
    kind, message = error["type"], error["msg"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # The key that selects the variant (a custom monitor's `kind`) is missing or unknown.
        loc.append(error["ctx"]["discriminator"].strip("'"))
    if kind in ("missing", "union_tag_not_found"):
        text = "required key is missing"
    elif kind == "union_tag_invalid":
        text = (
            f"Input should be one of {error['ctx']['expected_tags']} (got {error['ctx']['tag']!r})"
        )
    elif kind == "extra_forbidden":
        _, parent = _resolve(error["loc"][:-1])
        allowed = _keys(parent) if parent is not None else []
        text = f"unknown key (allowed: {', '.join(allowed)})"
    elif kind == "value_error":
        text = message.removeprefix("Value error, ")
    else:
        text = f"{message} (got {error['input']!r})"
    return Problem(_path(loc), text)


def _resolve(loc: Sequence[int | str]) -> tuple[list[int | str], type[BaseModel] | None]:
    """`loc` with field names turned into the keys written in stack files, and the model at its end.

    pydantic reports most locations by alias but some (defaults it validates) by field name.
    """
    resolved: list[int | str] = []
    annotation: Any = StackConfig
    for part in loc:
        annotation = _unwrap(annotation)
        variant = _tagged_variant(annotation, part)
        if variant is not None:  # pydantic names the variant of a tagged union; files do not
            annotation = variant
        elif isinstance(part, int):
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


def _tagged_variant(annotation: Any, tag: int | str) -> type[BaseModel] | None:
    """The model `tag` selects when `annotation` is a tagged union, such as a custom monitor's
    `kind`; None otherwise."""
    if get_origin(annotation) is not Annotated:
        return None
    union, *metadata = get_args(annotation)
    discriminator = next((m.discriminator for m in metadata if hasattr(m, "discriminator")), None)
    if not isinstance(discriminator, str):
        return None
    variants: tuple[type[BaseModel], ...] = get_args(union)
    for variant in variants:
        field = variant.model_fields.get(discriminator)
        if field is not None and tag in get_args(field.annotation):
            return variant
    return None


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
