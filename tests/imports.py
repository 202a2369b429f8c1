"""What the project's modules import, read from their source (function-level imports too)."""

import ast
from pathlib import Path

from stacks.tooling.stack_file import REPO_ROOT

PROJECT_PACKAGES = frozenset({"benchmarks", "components", "policy", "stacks"})


def module_file(module: str) -> Path | None:
    """The project file of `module` (a module or a package), None for another name."""
    path = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def module_name(source: Path) -> str:
    """`stacks/program/compile.py` -> `stacks.program.compile`."""
    parts = source.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: Path) -> set[str]:
    """Every module (and `module.name`) the file imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def project_imports(source: Path) -> set[str]:
    """The project modules the file imports (`from x import name` counts as x, or x.name when
    that is a module)."""
    modules = set()
    for name in imported_names(source):
        if name.split(".")[0] in PROJECT_PACKAGES and module_file(name) is not None:
            modules.add(name)
    return modules
