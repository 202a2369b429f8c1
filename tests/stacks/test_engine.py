"""The offline engine records what a real engine would receive, and no more than it needs."""

import traceback

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import resource as sdk_resource

from stacks.tooling.engine import run_program


def test_registrations_walk_no_python_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only a real engine reads where a resource was created; the walk cost every registration
    # more than any of the project's checks.
    walks = []
    extract_stack = traceback.extract_stack

    def counted_extract_stack() -> traceback.StackSummary:
        walks.append(1)
        return extract_stack()

    monkeypatch.setattr(traceback, "extract_stack", counted_extract_stack)
    capture_stack = sdk_resource._get_stack_trace

    def program() -> None:
        component = pulumi.ComponentResource("test:index:Group", "group")
        aws.cloudwatch.LogGroup(
            "logs", retention_in_days=7, opts=pulumi.ResourceOptions(parent=component)
        )

    run = run_program(program, stack="test", config={"aws:region": "eu-west-1"})

    assert [r.name for r in run.resources] == ["group", "logs"]
    assert walks == []
    assert sdk_resource._get_stack_trace is capture_stack
