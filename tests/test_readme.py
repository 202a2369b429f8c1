"""What the README tells a newcomer to paste works as it says."""

from pathlib import Path

import yaml

from stacks.tooling.cli import main
from tests.shared_data import REPO_ROOT


def test_the_readme_example_service_plans_in_every_stack(tmp_path: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Add a service", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    [service] = yaml.safe_load(example)
    for stack_path in sorted(REPO_ROOT.glob("Pulumi.*.yaml")):
        document = yaml.safe_load(stack_path.read_text())
        document["config"]["observability:services"].append(service)
        pasted = tmp_path / stack_path.name
        pasted.write_text(yaml.safe_dump(document))
        stack = stack_path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        out = tmp_path / stack
        assert (
            main(["plan", "--stack", stack, "--config-file", str(pasted), "--out", str(out)]) == 0
        )
