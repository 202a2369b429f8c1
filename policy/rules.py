"""The guardrails as pure functions of resource properties (Pulumi's camelCase wire form).

Self-contained on purpose: `pulumi preview --policy-pack policy` runs this folder in its own
virtualenv, and `python -m stacks check` and the tests call the same functions on the resources
the offline engine records. Each rule returns one sentence per violation.
"""

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

Props = Mapping[str, Any]

TASK_DEFINITION: Final = "aws:ecs/taskDefinition:TaskDefinition"
MONITOR: Final = "datadog:index/monitor:Monitor"
IAM_POLICY_TYPES: Final = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
KUBERNETES_WORKLOADS: Final = {
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
SIDECARS: Final = frozenset(
    {"datadog-agent", "datadog-agent-init", "log-router", "cws-instrumentation-init"}
)
UNIFIED_SERVICE_TAGS: Final = ("DD_SERVICE", "DD_ENV", "DD_VERSION")

_SECRETS_MANAGER_ARN = re.compile(r"arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+")
_CREDENTIAL_NAME = re.compile(r"(API|APP)_?KEY", re.IGNORECASE)
# Datadog API keys are 32 and application keys 40 hexadecimal characters.
_DATADOG_KEY_VALUE = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}")
_HANDLE = re.compile(r"(?<![\w@])@[\w.+-]+")


@dataclass(frozen=True)
class StackResource:
    """What a stack-wide rule sees of one resource."""

    type: str
    name: str
    props: Props


def _containers(props: Props) -> list[dict[str, Any]]:
    raw = props.get("containerDefinitions")
    containers = json.loads(raw) if isinstance(raw, str) else raw
    return [c for c in containers or [] if isinstance(c, dict)]


def _app_containers(props: Props) -> list[dict[str, Any]]:
    return [c for c in _containers(props) if c.get("name") not in SIDECARS]


def _env(container: Mapping[str, Any]) -> dict[str, str]:
    return {e.get("name", ""): e.get("value", "") for e in container.get("environment", [])}


def ecs_apps_are_traced_and_tagged(props: Props) -> list[str]:
    """Every app container carries unified service tags and starts under ddtrace-run, once.

    Where ddtrace-run stands depends on the image (in front of `python`, or of the command an
    entrypoint script execs), so the rule asks only that it is in what the container starts.
    """
    violations = []
    for container in _app_containers(props):
        name = container.get("name")
        missing = [tag for tag in UNIFIED_SERVICE_TAGS if not _env(container).get(tag)]
        if missing:
            violations.append(f"container {name!r} lacks {', '.join(missing)}")
        start = [*container.get("entryPoint", []), *container.get("command", [])]
        wrappers = sum(1 for arg in start if str(arg).rsplit("/", 1)[-1] == "ddtrace-run")
        if wrappers == 0:
            violations.append(f"container {name!r} does not start under ddtrace-run")
        elif wrappers > 1:
            violations.append(f"container {name!r} starts ddtrace-run {wrappers} times")
    return violations


def no_datadog_key_in_plain_env(props: Props) -> list[str]:
    """No API or application key in a plain environment value (they belong in `secrets`)."""
    violations = []
    for container in _containers(props):
        for name, value in _env(container).items():
            if _CREDENTIAL_NAME.search(name) or _DATADOG_KEY_VALUE.fullmatch(value):
                violations.append(
                    f"container {container.get('name')!r} has {name} in plain environment"
                )
    return violations


def secrets_only_from_secrets_manager(props: Props) -> list[str]:
    """Every injected secret is a Secrets Manager ARN."""
    violations = []
    for container in _containers(props):
        references = [
            *container.get("secrets", []),
            *(container.get("logConfiguration") or {}).get("secretOptions", []),
        ]
        for reference in references:
            value_from = str(reference.get("valueFrom", ""))
            if not _SECRETS_MANAGER_ARN.fullmatch(value_from):
                violations.append(
                    f"container {container.get('name')!r} reads {reference.get('name')} from "
                    f"{value_from!r}, not a Secrets Manager secret"
                )
    return violations


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def no_wildcard_on_secrets(props: Props) -> list[str]:
    """IAM statements on Secrets Manager name exact secrets and actions."""
    raw = props.get("policy")
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return ["policy is not valid JSON"]
    violations = []
    for index, statement in enumerate(_as_list((document or {}).get("Statement", []))):
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        secret_actions = [a for a in actions if a.lower().startswith("secretsmanager:") or a == "*"]
        if not secret_actions or statement.get("Effect") != "Allow":
            continue
        if any("*" in action for action in secret_actions):
            violations.append(f"statement {index} allows {', '.join(secret_actions)}")
        wildcards = [r for r in _as_list(statement.get("Resource", [])) if "*" in str(r)]
        if wildcards:
            violations.append(f"statement {index} reads secrets matching {', '.join(wildcards)}")
    return violations


def _pod_spec(type_: str, props: Props) -> Mapping[str, Any]:
    spec: Any = props
    for key in KUBERNETES_WORKLOADS[type_]:
        spec = spec.get(key, {}) if isinstance(spec, Mapping) else {}
    return spec if isinstance(spec, Mapping) else {}


def kubernetes_workloads_are_bounded(type_: str, props: Props) -> list[str]:
    """Every container has cpu and memory limits and runs unprivileged."""
    pod = _pod_spec(type_, props)
    violations = []
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        name = container.get("name")
        limits = (container.get("resources") or {}).get("limits") or {}
        missing = [r for r in ("cpu", "memory") if r not in limits]
        if missing:
            violations.append(f"container {name!r} has no {' or '.join(missing)} limit")
        security = container.get("securityContext") or {}
        if security.get("privileged"):
            violations.append(f"container {name!r} is privileged")
        if security.get("allowPrivilegeEscalation", True) is not False:
            violations.append(f"container {name!r} may escalate privileges")
    return violations


def _tags(props: Props) -> dict[str, str]:
    return dict(str(t).split(":", 1) for t in props.get("tags") or [] if ":" in str(t))


def production_monitors_notify(props: Props) -> list[str]:
    """A production monitor mentions at least one notification handle."""
    if _tags(props).get("env") != "production":
        return []
    if _HANDLE.search(str(props.get("message", ""))):
        return []
    return [f"monitor {props.get('name')!r} notifies no one (no @-handle in its message)"]


def _sends_traces(props: Props, container: Mapping[str, Any]) -> bool:
    # ddtrace sends spans to an Agent, so only an app with one in its task has trace metrics.
    has_agent = any(c.get("name") == "datadog-agent" for c in _containers(props))
    return has_agent and _env(container).get("DD_TRACE_ENABLED") == "true"


def services_have_latency_and_error_monitors(resources: Iterable[StackResource]) -> list[str]:
    """Every traced ECS service (one that runs an Agent and sends traces) has an APM latency and
    an error-rate monitor; an agentless one has no APM data to watch."""
    resources = list(resources)
    services = {
        _env(container).get("DD_SERVICE"): _env(container).get("DD_ENV")
        for r in resources
        if r.type == TASK_DEFINITION
        for container in _app_containers(r.props)
        if _env(container).get("DD_SERVICE") and _sends_traces(r.props, container)
    }
    covered: dict[str, set[str]] = {}
    for resource in resources:
        if resource.type != MONITOR:
            continue
        query = str(resource.props.get("query", ""))
        service = _tags(resource.props).get("service")
        if service is None or "trace." not in query:
            continue
        if query.startswith("percentile("):
            covered.setdefault(service, set()).add("latency")
        if ".errors" in query and ".hits" in query:
            covered.setdefault(service, set()).add("error rate")
    violations = []
    for service, env in sorted((s, e) for s, e in services.items() if s):
        missing = [
            kind for kind in ("latency", "error rate") if kind not in covered.get(service, set())
        ]
        if missing:
            violations.append(f"service {service!r} ({env}) has no {' or '.join(missing)} monitor")
    return violations


DAEMON_SET: Final = "kubernetes:apps/v1:DaemonSet"
DATADOG_AGENT: Final = "kubernetes:datadoghq.com/v2alpha1:DatadogAgent"


def _toleration(toleration: Mapping[str, Any]) -> str:
    """`key=value:Effect`, as kubectl writes taints; `*` for every key."""
    text = str(toleration.get("key") or "*")
    if toleration.get("value") is not None:
        text += f"={toleration['value']}"
    return text + (f":{toleration['effect']}" if toleration.get("effect") else "")


def _node_placement(pod: Mapping[str, Any]) -> tuple[str, str]:
    tolerations = sorted(_toleration(t) for t in pod.get("tolerations") or [])
    return ", ".join(tolerations) or "none", str(pod.get("priorityClassName") or "default")


def node_workloads_share_their_nodes(resources: Iterable[StackResource]) -> list[str]:
    """Every workload meant for every node (DaemonSets, the Operator's node Agent) tolerates the
    same taints at the same priority, so that no node has one without the other."""
    placements = []
    for resource in resources:
        if resource.type == DAEMON_SET:
            pod = _pod_spec(DAEMON_SET, resource.props)
        elif resource.type == DATADOG_AGENT:
            override = (resource.props.get("spec") or {}).get("override") or {}
            pod = override.get("nodeAgent") or {}
        else:
            continue
        placements.append((resource.name, _node_placement(pod)))
    if not placements:
        return []
    first_name, first = placements[0]
    return [
        f"{name} runs on other nodes than {first_name}: it tolerates {placement[0]} at priority "
        f"{placement[1]}, {first_name} tolerates {first[0]} at priority {first[1]}"
        for name, placement in placements[1:]
        if placement != first
    ]


@dataclass(frozen=True)
class ResourceRule:
    """A rule on single resources of some types."""

    name: str
    description: str
    types: tuple[str, ...]
    check: Callable[[str, Props], list[str]]

    def violations(self, type_: str, props: Props) -> list[str]:
        return self.check(type_, props) if type_ in self.types else []


def _ignoring_type(rule: Callable[[Props], list[str]]) -> Callable[[str, Props], list[str]]:
    return lambda _type, props: rule(props)


RESOURCE_RULES: Final = (
    ResourceRule(
        "ecs-apps-traced-and-tagged",
        "ECS app containers carry DD_SERVICE/DD_ENV/DD_VERSION and start under ddtrace-run once.",
        (TASK_DEFINITION,),
        _ignoring_type(ecs_apps_are_traced_and_tagged),
    ),
    ResourceRule(
        "no-datadog-key-in-plain-env",
        "No Datadog key in a plain container environment value.",
        (TASK_DEFINITION,),
        _ignoring_type(no_datadog_key_in_plain_env),
    ),
    ResourceRule(
        "secrets-from-secrets-manager",
        "Container secrets come only from Secrets Manager ARNs.",
        (TASK_DEFINITION,),
        _ignoring_type(secrets_only_from_secrets_manager),
    ),
    ResourceRule(
        "no-iam-wildcard-on-secrets",
        "IAM policies name exact secrets and actions on Secrets Manager.",
        IAM_POLICY_TYPES,
        _ignoring_type(no_wildcard_on_secrets),
    ),
    ResourceRule(
        "kubernetes-workloads-bounded",
        "Kubernetes workloads set cpu and memory limits and run unprivileged.",
        tuple(KUBERNETES_WORKLOADS),
        kubernetes_workloads_are_bounded,
    ),
    ResourceRule(
        "production-monitors-notify",
        "Production monitors notify someone.",
        (MONITOR,),
        _ignoring_type(production_monitors_notify),
    ),
)


@dataclass(frozen=True)
class StackRule:
    """A rule over all the resources of a stack."""

    name: str
    description: str
    check: Callable[[Iterable[StackResource]], list[str]]


STACK_RULES: Final = (
    StackRule(
        "services-have-latency-and-error-monitors",
        "Every traced service has an APM latency and an error-rate monitor.",
        services_have_latency_and_error_monitors,
    ),
    StackRule(
        "node-workloads-share-their-nodes",
        "Every DaemonSet and the node Agent tolerate the same taints at the same priority.",
        node_workloads_share_their_nodes,
    ),
)


def stack_violations(resources: Iterable[StackResource]) -> list[tuple[str, str, str]]:
    """(rule, resource name or "", violation) for every rule over a whole stack."""
    resources = list(resources)
    found = [
        (rule.name, resource.name, violation)
        for resource in resources
        for rule in RESOURCE_RULES
        for violation in rule.violations(resource.type, resource.props)
    ]
    found += [
        (rule.name, "", violation) for rule in STACK_RULES for violation in rule.check(resources)
    ]
    return found
