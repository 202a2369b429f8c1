"""The typed model of a stack's `observability:*` configuration, and its defaults.

Each top-level field is one config key (`observability:services`, ...). Field checks live here,
and so do rules across the fields of one model, reported at the key at fault
(`Model.field_problems`); `stacks.program.load` turns every failure into a message naming the
stack file and the key path. Rules that need the compiled payloads (a monitor's query, which
signals feed it) are the compile step's.
"""

from pydantic import Field

from components.datadog_tags import datadog_tag_problem
from stacks.program.model.datadog import DatadogSettings
from stacks.program.model.downtimes import DowntimeSettings, scope_problem
from stacks.program.model.eks import EksSettings
from stacks.program.model.services import EcsSettings, ServiceSettings
from stacks.program.model.stack import StackSettings
from stacks.program.model.types import (
    MAX_TAGS,
    PRODUCTION_ENVIRONMENTS,
    EnvName,
    Model,
    TagKey,
    TagValue,
)

PROJECT_TAGS = ("env", "team", "managed-by", "service")
"""Tags the project puts on every AWS resource (`service` on a service's)."""


class EnvironmentSettings(Model):
    """`observability:environment`: who and what this stack is."""

    name: EnvName
    """The Datadog `env` tag (DD_ENV) of everything in the stack."""
    team: str = Field(min_length=1)
    """Team that owns the stack's resources, for the `team` tag."""
    protect_resources: bool = False
    """Protect stateful resources (the key secret, KMS key) from deletion with the stack; such a
    stack is production-like: its monitors must page someone."""
    tags: dict[TagKey, TagValue] = {}
    """Extra tags on every AWS resource, besides env, team, managed-by and service; also the
    Datadog tags of every service's telemetry (the Agent's DD_TAGS and the logs' tags)."""

    def field_problems(self) -> dict[str, str]:
        problems = {}
        own = sorted(set(self.tags) & set(PROJECT_TAGS))
        not_datadog = [
            problem
            for key, value in sorted(self.tags.items())
            if (problem := datadog_tag_problem(key, value)) is not None
        ]
        if own:
            problems["tags"] = f"{', '.join(own)} set by the project; remove from tags"
        elif len(self.tags) > MAX_TAGS - len(PROJECT_TAGS):
            problems["tags"] = (
                f"{len(self.tags)} tags; at most {MAX_TAGS - len(PROJECT_TAGS)}: AWS takes "
                f"{MAX_TAGS} per resource, and the project sets {', '.join(PROJECT_TAGS)}"
            )
        elif not_datadog:
            problems["tags"] = (
                "; ".join(not_datadog) + " (these tags are also the Datadog tags of the services)"
            )
        return problems

    @property
    def production_like(self) -> bool:
        """Protected, or named production or prod: a stack whose alerts must reach someone."""
        return self.protect_resources or self.name in PRODUCTION_ENVIRONMENTS


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
    downtimes: list[DowntimeSettings] = []
    """`observability:downtimes`."""
    stack: StackSettings = StackSettings()
    """`observability:stack`."""

    def field_problems(self) -> dict[str, str]:
        names = [service.name for service in self.services]
        problems = _duplicate_names("services", "service", names)
        problems.update(self._role_problems())
        for index, service in enumerate(self.services):
            problems.update(self._placement_problems(index, service))
        problems.update(self._downtime_problems())
        for index, service in enumerate(self.services):
            claimed = [old for old in service.previous_names if old in names]
            if claimed:
                problems[f"services.{index}.previous_names"] = "; ".join(
                    f"{old!r} is the name of a service in this stack; an alias would claim its "
                    "resources"
                    for old in claimed
                )
        return problems

    def _role_problems(self) -> dict[str, str]:
        """What a stack of its role may not hold: each belongs to the other kind of stack."""
        role = self.stack.role
        problems = {}
        if role == "platform":
            for index, service in enumerate(self.services):
                problems[f"services.{index}"] = (
                    f"{service.name}: a platform stack has no services; put it in a team stack "
                    "(observability:stack.role: team), which reads the platform's API key secret"
                )
        if role == "team":
            if self.eks is not None:
                problems["eks"] = (
                    "a team stack has no EKS collector or Agent: the cluster's belong to the "
                    "platform stack (observability:stack.platform)"
                )
            if self.datadog.api_key_secret.model_fields_set:
                problems["datadog.api_key_secret"] = (
                    "a team stack has no API key secret of its own: its services read the "
                    "platform stack's (output datadogApiKeySecretArn); remove apiKeySecret"
                )
        if role != "platform" and self.datadog.notification_handles:
            problems["datadog.notification_handles"] = (
                "only a platform stack defines the handles its team stacks may notify"
                + (
                    "; a team stack's monitors may notify those of its platform"
                    if role == "team"
                    else "; a single stack's monitors may notify any handle"
                )
            )
        return problems

    def _downtime_problems(self) -> dict[str, str]:
        """Downtime names name resources; a scope must stay inside the stack's environment."""
        problems = _duplicate_names("downtimes", "downtime", [d.name for d in self.downtimes])
        for index, downtime in enumerate(self.downtimes):
            if downtime.scope is not None:
                problem = scope_problem(downtime.scope, self.environment.name)
                if problem is not None:
                    problems[f"downtimes.{index}.scope"] = problem
        return problems

    def _placement_problems(self, index: int, service: ServiceSettings) -> dict[str, str]:
        """A load balancer or scaling needs the ECS service that only a cluster brings, and a
        target group in the cluster's region."""
        key = f"services.{index}"
        cluster = self.ecs.cluster_arn
        problems = {}
        needs_service = {"load_balancer": service.load_balancer, "autoscaling": service.autoscaling}
        for field, value in needs_service.items():
            if value is not None and cluster is None:
                problems[f"{key}.{field}"] = (
                    "needs observability:ecs.clusterArn: without a cluster only the task "
                    "definition is registered, and no service"
                )
        if service.load_balancer is not None and cluster is not None:
            cluster_region = cluster.split(":")[3]
            for field in ("target_group_arn", "load_balancer_arn"):
                arn = getattr(service.load_balancer, field)
                if arn is not None and arn.split(":")[3] != cluster_region:
                    problems[f"{key}.load_balancer.{field}"] = (
                        f"in {arn.split(':')[3]}, and the cluster in {cluster_region}: ECS "
                        "registers tasks only with load balancing of its own region"
                    )
        return problems


def _duplicate_names(key: str, kind: str, names: list[str]) -> dict[str, str]:
    """A problem at each name of the list at `key` that an earlier entry already took."""
    problems = {}
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            problems[f"{key}.{index}.name"] = (
                f"duplicate {kind} name {name!r} (also {key}[{first[name]}]); names must be unique"
            )
        first.setdefault(name, index)
    return problems
