"""The guardrails as CrossGuard policies, for `pulumi preview --policy-pack policy`.

Importing this module is safe (tests and `python -m stacks check` call the validate functions
directly); only `__main__.py` starts the pack.
"""

from collections.abc import Callable
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import RESOURCE_RULES, STACK_RULES, ResourceRule, StackResource, StackRule

PACK_NAME: Final = "observability-guardrails"


def resource_validator(
    rule: ResourceRule,
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule.violations(args.resource_type, args.props):
            report_violation(violation, None)

    return validate


def stack_validator(rule: StackRule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [StackResource(r.resource_type, r.name, r.props) for r in args.resources]
        for violation in rule.check(resources):
            report_violation(violation, None)

    return validate


RESOURCE_POLICIES: Final = [
    ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=resource_validator(rule),
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    for rule in RESOURCE_RULES
]

STACK_POLICIES: Final = [
    StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=stack_validator(rule),
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    for rule in STACK_RULES
]
