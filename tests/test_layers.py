"""No module imports from a later stage of the pipeline.

Configuration flows one way: the stack file's model, read (`load`), compiled into what the stack
registers (`telemetry` decides which monitors and widgets have data, `compile` builds the rest),
registered (`deploy`). The components it compiles into are a library below all of it: they never
read configuration. The schema validators and the offline tooling sit above the program, on
development dependencies that `pulumi up` does not install.
"""

from pathlib import Path

import pytest

from stacks.tooling.stack_file import REPO_ROOT
from tests.imports import PROJECT_PACKAGES, module_name, project_imports

STAGES = (
    ("components",),
    ("stacks.program.errors", "stacks.program.model"),
    ("stacks.program.load",),
    ("stacks.program.telemetry",),
    ("stacks.program.compile",),
    ("stacks.program.deploy", "__main__"),
    ("stacks.validation",),
    ("policy",),
    ("stacks.tooling", "stacks.__main__"),
    ("benchmarks",),
)
"""Earliest first; a module may import its own stage and earlier ones."""
PACKAGE_MODULES = ("stacks", "stacks.program")
"""Packages whose `__init__` holds only a docstring, outside every stage."""


def stage(module: str) -> int:
    for index, prefixes in enumerate(STAGES):
        if any(module == p or module.startswith(f"{p}.") for p in prefixes):
            return index
    raise AssertionError(f"{module} belongs to no stage: add it to STAGES")


def project_sources() -> list[Path]:
    sources = [REPO_ROOT / "__main__.py"]
    for package in sorted(PROJECT_PACKAGES):
        sources += sorted(
            path
            for path in (REPO_ROOT / package).rglob("*.py")
            if "node_modules" not in path.parts  # the CDK benchmark's npm packages
        )
    return sources


SOURCES = project_sources()


def test_every_module_has_a_stage() -> None:
    modules = {module_name(source) for source in SOURCES} - set(PACKAGE_MODULES)
    assert len(modules) > 60
    for module in modules:
        stage(module)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: str(s.relative_to(REPO_ROOT)))
def test_no_module_imports_a_later_stage(source: Path) -> None:
    module = module_name(source)
    if module in PACKAGE_MODULES:
        assert project_imports(source) == set()
        return
    later = sorted(name for name in project_imports(source) if stage(name) > stage(module))
    assert later == [], f"{module} (stage {stage(module)}) imports later stages"


def test_the_check_sees_an_import_of_a_later_stage(tmp_path: Path) -> None:
    # A component that read the stack model, even inside a function, breaks the one-way flow.
    source = tmp_path / "probe.py"
    source.write_text("def f() -> None:\n    from stacks.program.model import StackConfig\n")
    later = [name for name in project_imports(source) if stage(name) > stage("components")]
    assert later == ["stacks.program.model"]
