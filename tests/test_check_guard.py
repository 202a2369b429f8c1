"""The suite notices Pulumi checks that never ran."""

import pulumi
import pytest

from stacks.tooling.engine import ProgramRun, offline_engine
from tests.conftest import PulumiChecks


def test_a_check_that_never_ran_is_reported() -> None:
    with offline_engine(stack="test"):
        checks = PulumiChecks(ProgramRun())
        checks.expect(pulumi.Output.from_input("never awaited"), lambda _: None)
        assert checks.verdict() == "1 output check(s) never ran: return the Output"


def test_a_test_without_checks_is_reported() -> None:
    assert PulumiChecks(ProgramRun()).verdict() == "the test registered no check on any output"


def test_a_check_that_ran_passes(pulumi_checks: PulumiChecks) -> None:
    seen: list[str] = []
    output = pulumi_checks.expect(pulumi.Output.from_input("value"), seen.append)
    pulumi.runtime.sync_await._sync_await(output.future())
    assert seen == ["value"]
    assert pulumi_checks.verdict() is None


def test_runtime_tests_without_the_guard_are_refused(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pulumi_checks, pytest_collection_modifyitems")
    pytester.makepyfile(
        """
        import pulumi

        @pulumi.runtime.test
        def test_unguarded():
            return pulumi.Output.from_input(1).apply(lambda v: v)
        """
    )
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*must use the pulumi_checks fixture*"])
