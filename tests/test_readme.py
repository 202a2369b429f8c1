"""What the README tells a newcomer to paste works as it says."""

from pathlib import Path
from typing import Any

import yaml

from stacks.tooling.cli import main
from tests.shared_data import REPO_ROOT


def _add_a_service_examples() -> list[Any]:
    """The YAML blocks of "Add a service": the service, then what an API behind a load balancer
    adds to it."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Add a service", 1)[1].split("\n## ", 1)[0]
    blocks = [part.split("```", 1)[0] for part in section.split("```yaml\n")[1:]]
    return [yaml.safe_load(block) for block in blocks]


def _plans_in_every_stack(tmp_path: Path, service: dict[str, Any]) -> None:
    """In every stack that holds services (a platform stack holds none)."""
    for stack_path in sorted(REPO_ROOT.glob("Pulumi.*.yaml")):
        document = yaml.safe_load(stack_path.read_text())
        if "observability:services" not in document["config"]:
            assert document["config"]["observability:stack"]["role"] == "platform"
            continue
        document["config"]["observability:services"].append(service)
        pasted = tmp_path / stack_path.name
        pasted.write_text(yaml.safe_dump(document))
        stack = stack_path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        out = tmp_path / stack
        assert (
            main(["plan", "--stack", stack, "--config-file", str(pasted), "--out", str(out)]) == 0
        )


def test_the_readme_example_service_plans_in_every_stack(tmp_path: Path) -> None:
    [service], *_ = _add_a_service_examples()
    _plans_in_every_stack(tmp_path, service)


def test_the_readme_load_balanced_example_plans_in_every_stack(tmp_path: Path) -> None:
    [service], behind_a_load_balancer, *_ = _add_a_service_examples()
    assert {"loadBalancer", "autoscaling"} <= behind_a_load_balancer.keys()
    _plans_in_every_stack(tmp_path, {**service, **behind_a_load_balancer})
