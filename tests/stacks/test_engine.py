"""The offline engine records what a real engine would receive, and no more than it needs."""

import asyncio
import threading
import traceback
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from stacks.tooling.engine import OfflineMocks, _settled, run_program


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


def test_the_engine_answers_on_the_event_loops_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Worker threads only took turns with the event loop under the GIL; the engine's answers
    # (registrations and invokes alike) now run where the program runs.
    threads = []
    answer = OfflineMocks.new_resource
    call = OfflineMocks.call

    def spy_answer(self: OfflineMocks, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        threads.append(threading.current_thread())
        return answer(self, args)

    def spy_call(
        self: OfflineMocks, args: MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        threads.append(threading.current_thread())
        return call(self, args)

    monkeypatch.setattr(OfflineMocks, "new_resource", spy_answer)
    monkeypatch.setattr(OfflineMocks, "call", spy_call)
    regions = []

    def program() -> None:
        aws.cloudwatch.LogGroup("logs", retention_in_days=7)
        regions.append(aws.get_region().region)

    run = run_program(program, stack="test", config={"aws:region": "eu-west-1"})

    assert [r.name for r in run.resources] == ["logs"]
    assert regions == ["eu-west-1"]
    assert threads == [threading.main_thread()] * 2


def test_an_answer_that_would_wait_is_refused() -> None:
    async def waits() -> None:
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="waited for an unresolved value"):
        _settled(waits())
