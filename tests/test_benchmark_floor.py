"""The scale benchmark's floor registers what the plan registers, or its ratio means nothing."""

import pytest

from benchmarks.plan_scale import bare_registration
from stacks.tooling.engine import RecordedResource, run_program
from stacks.tooling.plan import run_stack


@pytest.fixture(scope="module")
def planned() -> list[RecordedResource]:
    return run_stack("production").resources


@pytest.mark.parametrize("typed", [True, False], ids=["provider-classes", "untyped"])
def test_the_floor_replays_every_resource_with_its_inputs(
    planned: list[RecordedResource], typed: bool
) -> None:
    registrations = [bare_registration(r.to_json(), typed=typed) for r in planned]

    def register_all() -> None:
        for register in registrations:
            register()

    floor = run_program(
        register_all, stack="bench", config={"aws:region": "eu-west-1"}, strict=False
    )

    replayed = {r.name: r for r in floor.resources}
    assert sorted(replayed) == sorted(r.name for r in planned)
    for original in planned:
        bare = replayed[original.name]
        assert (bare.type, bare.custom) == (original.type, original.custom), original.name
        assert bare.parent is None
        if original.custom:
            assert bare.inputs == original.inputs, original.name
