"""Shared fixtures: the offline engine for component tests, a guard on Pulumi checks, and the
garbage collector back on after a test that ran the program (which turns it off for good).

A check inside `Output.apply` that never runs passes silently (a `@pulumi.runtime.test` that
forgets to return its Output, or an output that never resolves). Tests register such checks
through `pulumi_checks.expect`, and the fixture fails the test if any of them did not run.
"""

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockResourceArgs

from stacks.tooling.engine import OfflineMocks, ProgramRun, offline_engine

pytest_plugins = ["pytester"]


class PulumiChecks:
    """Checks on outputs that must each run once before the test ends."""

    def __init__(self, run: ProgramRun) -> None:
        self.run = run
        self.pending: set[int] = set()
        self.registered = 0

    def expect(
        self, output: pulumi.Input[Any], check: Callable[[Any], None]
    ) -> pulumi.Output[None]:
        """Run `check` on the resolved value; the test fails if it never runs."""
        token = self.registered
        self.registered += 1
        self.pending.add(token)

        def run_check(value: Any) -> None:
            check(value)
            self.pending.discard(token)

        return pulumi.Output.from_input(output).apply(run_check)

    def verdict(self) -> str | None:
        """Why the test must fail despite passing asserts, or None."""
        if self.registered == 0:
            return "the test registered no check on any output"
        if self.pending:
            return f"{len(self.pending)} output check(s) never ran: return the Output"
        return None


@pytest.fixture(autouse=True)
def garbage_collector() -> Iterator[None]:
    collecting = gc.isenabled()
    yield
    if collecting:
        gc.enable()


@pytest.fixture
def pulumi_checks() -> Iterator[PulumiChecks]:
    """The recording engine for one `@pulumi.runtime.test`, with its checks accounted for."""
    with offline_engine(stack="test", config={"aws:region": "eu-west-1"}) as run:
        checks = PulumiChecks(run)
        yield checks
    verdict = checks.verdict()
    if verdict is not None:
        pytest.fail(verdict)


@pytest.fixture
def provider_references(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Provider reference (`<provider urn>::<id>`, or "" for the default) by resource name.

    The recorded registrations leave providers out; this spies on the engine's answers instead.
    """
    references: dict[str, str] = {}
    answer = OfflineMocks.new_resource

    def spy(self: OfflineMocks, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        references[args.name] = args.provider or ""
        return answer(self, args)

    monkeypatch.setattr(OfflineMocks, "new_resource", spy)
    return references


def _is_pulumi_runtime_test(function: Any) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and code.co_filename.endswith("pulumi/runtime/mocks.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A @pulumi.runtime.test without the guard could pass without checking anything."""
    for item in items:
        function = getattr(item, "obj", None)
        if _is_pulumi_runtime_test(function) and "pulumi_checks" not in getattr(
            item, "fixturenames", ()
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: a @pulumi.runtime.test must use the pulumi_checks fixture and "
                "return pulumi_checks.expect(...)"
            )
