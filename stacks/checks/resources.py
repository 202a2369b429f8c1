"""Which schema check applies to which registered resource type."""

from collections.abc import Callable
from typing import Any

from stacks.checks.ecs_task_definition import task_definition_problems

ResourceCheck = Callable[[dict[str, Any]], list[str]]

_CHECKS_BY_TYPE: dict[str, ResourceCheck] = {
    "aws:ecs/taskDefinition:TaskDefinition": task_definition_problems,
}


def resource_problems(type_: str, inputs: dict[str, Any]) -> list[str]:
    """Problems with a resource's inputs (secrets unwrapped); empty when all checks pass."""
    check = _CHECKS_BY_TYPE.get(type_)
    return check(inputs) if check is not None else []
