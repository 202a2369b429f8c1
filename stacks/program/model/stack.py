"""`observability:stack`: the part a stack plays among the stacks of its environment.

A **single** stack (the default, the key omitted) holds everything, as every stack did before
roles existed. A large organisation splits an environment into one **platform** stack (the
Datadog API key secret and its KMS key, the EKS collector and Agent, the platform dashboard, the
notification handles every team may use) and **team** stacks (their services, with task
definitions, roles, monitors and dashboards), which read what they need from their platform stack
through a `pulumi.StackReference` to the name given here.
"""

import re
from typing import Annotated, Final, Literal

from pydantic import AfterValidator

from stacks.program.model.types import Model

StackRole = Literal["single", "platform", "team"]

# Pulumi's own rules for each part of `<organization>/<project>/<stack>`: at most 100 characters
# of letters, digits, `-`, `_` and `.` (sdk/go/common/tokens/project.go ValidateProjectName and
# stack_name.go ParseStackName, pulumi/pulumi at 1b5949891b). A self-managed backend names the
# organization `organization`.
_NAME_PART: Final = r"[A-Za-z0-9_.-]{1,100}"
_FULLY_QUALIFIED: Final = re.compile(rf"{_NAME_PART}/{_NAME_PART}/{_NAME_PART}")


def _fully_qualified(value: str) -> str:
    dots = {".", ".."} & set(value.split("/"))
    if not _FULLY_QUALIFIED.fullmatch(value) or dots:
        raise ValueError(
            f"{value!r} is not a fully qualified stack name <organization>/<project>/<stack> "
            "(each part letters, digits, '-', '_' or '.', at most 100 characters; a "
            "self-managed backend's organization is `organization`)"
        )
    return value


FullyQualifiedStackName = Annotated[str, AfterValidator(_fully_qualified)]


class StackSettings(Model):
    """`observability:stack`: this stack's role, and for a team stack its platform stack."""

    role: StackRole = "single"
    """`single` (the default): one stack holds the API key secret, EKS, the services and their
    monitors. `platform`: the API key secret and its KMS key, the EKS collector and Agent, the
    platform dashboard and the notification handles teams share; no services. `team`: services
    only, with the platform's API key secret and notification defaults."""
    platform: FullyQualifiedStackName | None = None
    """Team stacks only: the platform stack of the team's environment, fully qualified
    (`<organization>/<project>/<stack>`), as `pulumi.StackReference` names it."""

    def field_problems(self) -> dict[str, str]:
        if self.role == "team" and self.platform is None:
            return {
                "platform": "required key is missing: a team stack reads the API key secret and "
                "the notification handles from its platform stack "
                "(<organization>/<project>/<stack>)"
            }
        if self.role != "team" and self.platform is not None:
            return {
                "platform": f"only a team stack has a platform stack; this one is {self.role} "
                "(set role: team, or remove platform)"
            }
        return {}

    @property
    def platform_stack(self) -> str | None:
        """The `<stack>` part of the platform's name: `Pulumi.<stack>.yaml` in this repository
        when its project is this one."""
        return None if self.platform is None else self.platform.rsplit("/", 1)[-1]
