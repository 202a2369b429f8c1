"""The README's move from one production stack to a platform and team stacks, rehearsed.

Each `pulumi state move` of the README is replayed on the offline plan of `production` the way
the CLI moves state (pkg/cmd/pulumi/state/state_move.go, pulumi/pulumi at 1b5949891b): the
resources named, with every resource under them (the dependency graph's children are
transitive), but never a provider, which is refused when named and copied instead into the
destination when a moved resource uses it; each URN keeps its type chain and name, and gets the
destination's stack. What lands in each new stack must be exactly what its own program
registers there (its stack reference to the platform being the only newcomer), and every
resource of `production` must land in exactly one of them.
"""

import functools
import json
import shlex

from stacks.tooling.engine import STACK_REFERENCE_TYPE, ProgramRun, RecordedResource
from stacks.tooling.plan import run_stack
from stacks.tooling.stack_file import REPO_ROOT

PROVIDER_PREFIX = "pulumi:providers:"


@functools.cache
def plans() -> dict[str, ProgramRun]:
    platform = run_stack("platform-production")
    outputs = {"acme/observability/platform-production": platform.exported()}
    return {
        "production": run_stack("production"),
        "platform-production": platform,
        **{
            team: run_stack(team, stack_outputs=outputs)
            for team in ("payments-production", "assistant-production")
        },
    }


def readme_moves() -> list[tuple[str, str, list[str]]]:
    """(source stack, destination stack, URNs) of each `pulumi state move` of the README."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("### Move from one stack to a platform and team stacks", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = [part.split("```", 1)[0] for part in section.split("```sh\n")[1:]]
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    commands = [
        line.split("pulumi state move", 1)[1] for line in lines if "pulumi state move" in line
    ]
    moves = []
    for command in commands:
        words = shlex.split(command)
        source = words[words.index("--source") + 1].rsplit("/", 1)[-1]
        dest = words[words.index("--dest") + 1].rsplit("/", 1)[-1]
        moves.append((source, dest, [w for w in words if w.startswith("urn:")]))
    return moves


def moved_with_children(source: ProgramRun, urns: list[str]) -> list[RecordedResource]:
    by_urn = {r.urn: r for r in source.resources}
    missing = [urn for urn in urns if urn not in by_urn]
    assert not missing, f"not in the source stack: {missing}"
    assert not [u for u in urns if by_urn[u].type.startswith(PROVIDER_PREFIX)], (
        "state move refuses to move a provider"
    )
    moved = set(urns)
    for resource in source.resources:  # parents come first (causal order)
        if resource.parent in moved and not resource.type.startswith(PROVIDER_PREFIX):
            moved.add(resource.urn)
    return [r for r in source.resources if r.urn in moved]


def in_stack(urn: str, source: str, dest: str) -> str:
    prefix = f"urn:pulumi:{source}::observability::"
    assert urn.startswith(prefix)
    return f"urn:pulumi:{dest}::observability::" + urn.removeprefix(prefix)


def test_the_readme_moves_every_resource_once_to_the_urn_its_new_stack_gives_it() -> None:
    moves = readme_moves()
    assert [(source, dest) for source, dest, _ in moves] == [
        ("production", "platform-production"),
        ("production", "payments-production"),
        ("production", "assistant-production"),
    ]
    production = plans()["production"]
    by_urn = {r.urn: r for r in production.resources}
    everything_moved: list[str] = []
    for source, dest, urns in moves:
        moved = moved_with_children(production, urns)
        everything_moved += [r.urn for r in moved]
        copied_providers = {r.provider for r in moved if r.provider} - {None}
        arriving = {in_stack(r.urn, source, dest) for r in moved} | {
            in_stack(urn, source, dest) for urn in copied_providers if urn is not None
        }
        registered = plans()[dest].resources
        new = {r.urn for r in registered} - arriving
        assert sorted(new) == (
            []
            if dest == "platform-production"
            else [f"urn:pulumi:{dest}::observability::{STACK_REFERENCE_TYPE}::platform"]
        ), f"{dest} registers what no move brings"
        assert arriving <= {r.urn for r in registered}, f"{dest} lacks what the move brings"
        by_new_urn = {r.urn: r for r in registered}
        for resource in moved:
            landed = by_new_urn[in_stack(resource.urn, source, dest)]
            assert landed.protect == resource.protect
            assert landed.parent == (
                None if resource.parent is None else in_stack(resource.parent, source, dest)
            )
    assert len(everything_moved) == len(set(everything_moved)), "a resource is moved twice"
    left = {urn for urn, r in by_urn.items() if not r.type.startswith(PROVIDER_PREFIX)} - set(
        everything_moved
    )
    assert left == set(), "resources left in production would be deleted with it"


def test_the_protected_secret_and_key_move_to_the_platform() -> None:
    [(_, dest, urns), *_] = readme_moves()
    moved = moved_with_children(plans()["production"], urns)
    assert dest == "platform-production"
    assert {r.name for r in moved if r.protect} == {"datadog-api-key-secret", "datadog-api-key-key"}


def test_the_new_stacks_send_what_production_sent_but_the_assistant_teams_tags() -> None:
    # Where the inputs are the same, the first `pulumi up` after the move changes nothing; the
    # README says what support-assistant's new `team` changes (step 6).
    production = {r.urn: r for r in plans()["production"].resources}
    changed: dict[str, list[str]] = {}
    for dest in ("platform-production", "payments-production", "assistant-production"):
        for resource in plans()[dest].resources:
            before = production.get(in_stack(resource.urn, dest, "production"))
            if before is None:
                continue
            fields = sorted(k for k in before.inputs if before.inputs[k] != resource.inputs.get(k))
            if fields:
                changed[f"{dest}: {resource.name}"] = fields
                was = json.dumps(before.inputs).replace("team:platform", "team:assistant")
                was = was.replace('"team": "platform"', '"team": "assistant"')
                assert json.loads(was) == resource.inputs, resource.name
    assert changed
    assert {name.split(":")[0] for name in changed} == {"assistant-production"}
