"""`pulumi up` installs only requirements.txt: whatever the program imports must be in it."""

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

from stacks.tooling.stack_file import REPO_ROOT

PROJECT_PACKAGES = {"components", "stacks"}


def _module_file(module: str) -> Path | None:
    path = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


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
        for name in _imports(source):
            top = name.split(".")[0]
            if top in PROJECT_PACKAGES:
                module_file = _module_file(name)
                if module_file is not None:
                    pending.append(module_file)
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
    for file in ("requirements.txt", "requirements-dev.txt"):
        for name, version in _requirement_names(REPO_ROOT / file).items():
            assert re.fullmatch(r"\d+(\.\d+)+", version), f"{file}: {name} is not pinned with =="


def test_the_program_imports_only_runtime_requirements() -> None:
    runtime = _requirement_names(REPO_ROOT / "requirements.txt")
    distributions = importlib.metadata.packages_distributions()
    imported = program_third_party_imports()
    assert {"pulumi", "pulumi_aws", "pydantic"} <= imported
    for package in sorted(imported):
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(package, [])}
        assert names & set(runtime), f"the program imports {package}, missing from requirements.txt"
