"""`pulumi up` installs only requirements.txt: whatever the program imports must be in it."""

import importlib.metadata
import re
import sys
from pathlib import Path

from stacks.tooling.stack_file import REPO_ROOT
from tests.imports import PROJECT_PACKAGES, imported_names, module_file


def program_third_party_imports() -> set[str]:
    """Top-level third-party packages reachable from __main__.py through project modules."""
    seen: set[Path] = set()
    pending = [REPO_ROOT / "__main__.py"]
    third_party: set[str] = set()
    while pending:
        source = pending.pop()
        if source in seen:
            continue
        seen.add(source)
        for name in imported_names(source):
            top = name.split(".")[0]
            if top in PROJECT_PACKAGES:
                found = module_file(name)
                if found is not None:
                    pending.append(found)
            elif top not in sys.stdlib_module_names:
                third_party.add(top)
    return third_party


def _requirement_names(path: Path) -> dict[str, str]:
    pins = {}
    for raw_line in path.read_text().splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_every_requirement_is_pinned_exactly() -> None:
    for file in ("requirements.txt", "requirements-dev.txt", "requirements-scanners.txt"):
        for name, version in _requirement_names(REPO_ROOT / file).items():
            pinned = re.fullmatch(r"\d+(\.\d+)+(\.post\d+)?", version)
            assert pinned, f"{file}: {name} is not pinned with =="


def test_the_program_imports_only_runtime_requirements() -> None:
    runtime = _requirement_names(REPO_ROOT / "requirements.txt")
    distributions = importlib.metadata.packages_distributions()
    imported = program_third_party_imports()
    assert {"pulumi", "pulumi_aws", "pydantic"} <= imported
    for package in sorted(imported):
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(package, [])}
        assert names & set(runtime), f"the program imports {package}, missing from requirements.txt"
