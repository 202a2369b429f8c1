"""Nothing is replaced by accident: URNs are stable across refactors and renames.

A resource whose URN changes is deleted and created again by Pulumi (for a secret or a KMS key,
data loss). tests/urns/<stack>.txt records every URN of a stack. When a change makes a recorded
URN disappear, give the resource `aliases` with its old name or parent (for a renamed service:
`previousNames` in its config); when the change is deliberate (a resource really goes or comes),
regenerate the record and let the pull request show it:

    venv/bin/python -m stacks urns --stack dev > tests/urns/dev.txt
"""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.tooling.engine import ProgramRun
from stacks.tooling.plan import run_stack
from stacks.tooling.stack_file import REPO_ROOT

RECORDS = REPO_ROOT / "tests" / "urns"
# Every committed stack, so a new stack file is covered (and must bring its record).
STACKS = sorted(path.name.split(".")[1] for path in REPO_ROOT.glob("Pulumi.*.yaml"))


def regenerate(stack: str) -> str:
    return f"venv/bin/python -m stacks urns --stack {stack} > tests/urns/{stack}.txt"


@pytest.mark.parametrize("stack", STACKS)
def test_recorded_urns_are_still_there_or_aliased(stack: str) -> None:
    record = RECORDS / f"{stack}.txt"
    assert record.exists(), f"stack {stack} has no URN record: `{regenerate(stack)}`"
    run = run_stack(stack)
    current = {r.urn for r in run.resources}
    aliased = {alias for r in run.resources for alias in r.aliases}
    recorded = set(record.read_text().split())
    replaced = sorted(recorded - current - aliased)
    assert not replaced, (
        f"{len(replaced)} resources would be deleted and replaced: give them aliases, or if that "
        f"is intended, `{regenerate(stack)}`:\n" + "\n".join(replaced)
    )
    unrecorded = sorted(current - recorded)
    assert not unrecorded, f"new resources are not in the record: `{regenerate(stack)}`\n" + (
        "\n".join(unrecorded)
    )


def planned(tmp_path: Path, change: Any = None, stack: str = "dev") -> ProgramRun:
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    if change:
        change(document["config"])
    path = tmp_path / f"Pulumi.{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(document))
    return run_stack(stack, path)


def urns_of_others(run: ProgramRun, excluded: str) -> set[str]:
    return {r.urn for r in run.resources if not r.name.startswith(excluded)}


def test_reordering_and_renaming_services_leaves_the_others_alone(tmp_path: Path) -> None:
    base = planned(tmp_path)

    def reorder_and_rename(config: dict[str, Any]) -> None:
        services = config["observability:services"]
        services.reverse()
        index = next(i for i, s in enumerate(services) if s["name"] == "support-assistant")
        # Renamed everywhere in its entry, its monitor's filters included.
        services[index] = json.loads(
            json.dumps(services[index]).replace("support-assistant", "helpdesk-assistant")
        )

    changed = planned(tmp_path, reorder_and_rename)
    assert urns_of_others(changed, "helpdesk-assistant") == urns_of_others(
        base, "support-assistant"
    )
    assert {r.urn for r in changed.resources} != {r.urn for r in base.resources}


def test_a_renamed_service_keeps_its_resources_through_previous_names(tmp_path: Path) -> None:
    base = planned(tmp_path)

    def rename_with_alias(config: dict[str, Any]) -> None:
        # A real rename: the name changes everywhere in the entry, monitor searches included.
        old = config["observability:services"][0]
        service = json.loads(json.dumps(old).replace(old["name"], "checkout-service"))
        service["previousNames"] = [old["name"]]
        config["observability:services"][0] = service

    renamed = planned(tmp_path, rename_with_alias)
    aliased = {alias for r in renamed.resources for alias in r.aliases}
    checkout = {r.urn for r in base.resources if r.name.startswith("checkout-api")}
    assert checkout
    assert checkout <= aliased


def test_removing_a_service_leaves_the_protected_key_in_place(tmp_path: Path) -> None:
    def drop_first(config: dict[str, Any]) -> None:
        config["observability:services"].pop(0)

    run = planned(tmp_path, drop_first, "production")
    assert not [r for r in run.resources if r.name.startswith("checkout-api")]
    protected = {r.name for r in run.resources if r.protect}
    assert protected == {"datadog-api-key-secret", "datadog-api-key-key"}
