"""How the offline plan scales with the number of services, against the floor the SDK sets.

    venv/bin/python benchmarks/plan_scale.py             # 10, 100 and 500 services
    venv/bin/python benchmarks/plan_scale.py 10 50        # other sizes

For each size it generates a stack (every service with its task definition, secrets,
monitors and dashboard; EKS on) and measures, each in a fresh process so that peak memory is
the run's own:
- plan: the full `plan` (config validation, components, every offline schema check,
  resources.json and artifacts);
- floor: every resource that plan recorded registered bare, under the same mock answers: at the
  top level, custom resources through the same provider classes with the same inputs
  (tests/test_benchmark_floor.py proves they are the same), components as empty
  `ComponentResource`s; no components' logic, recording or checks. What a hand-written program
  registering those resources costs, with Python's default garbage collector;
- tuned floor: the same, with the collector set up as the program sets it (off before the
  imports as in __main__.py, then stacks/program/deploy.py's tuning), which shows what the
  project's own work costs: the like-for-like comparison;
- untyped floor: the same resources as plain `pulumi.CustomResource`s, without provider classes.
Setup (imports, and for the plan a one-service warm-up that loads what first use loads:
provider submodules, schemas, API models) is timed apart, as it is paid once whatever the size.

Then, as a user meets them, whole processes timed from start to exit:
- plan process: `python -m stacks plan` of the stack into a new folder, then again into the same
  folder (re-plan);
- tuned floor process: the tuned floor's measuring process (imports, registration, exit);
- imports only: a process that imports the provider SDK modules of every class the plan
  registered, and nothing else: what any program registering those resources pays first,
  with Python's default collector and with it off.
Not a test: timings depend on the machine.
"""

import argparse
import contextlib
import functools
import gc
import importlib
import inspect
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def stack_config(services: int) -> dict[str, Any]:
    """The production stack file with `services` services modelled on its first one."""
    document: dict[str, Any] = yaml.safe_load((REPO_ROOT / "Pulumi.production.yaml").read_text())
    config = document["config"]
    # The template's name also appears in its image and monitor searches: rename it everywhere.
    template = json.dumps(config["observability:services"][0])
    name = config["observability:services"][0]["name"]
    config["observability:services"] = [
        json.loads(template.replace(name, f"service-{index:03d}")) for index in range(services)
    ]
    return document


# Each measuring process imports only what it measures, so the floor's memory is its own. Setup
# (imports, and for the plan a one-service warm-up that loads what first use loads: provider
# submodules, schemas, API models) is timed apart: it is paid once per process, whatever the size.
def measure_plan(services: int, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    from stacks.tooling.plan import plan  # noqa: PLC0415

    with contextlib.redirect_stdout(io.StringIO()):
        if plan("production", write_stack(1, out / "warm-up"), out / "warm-up") != 0:
            raise SystemExit("the warm-up plan failed")
    setup = time.perf_counter() - started
    stack_file = write_stack(services, out)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        status = plan("production", stack_file, out)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"plan failed with status {status}")
    resources = len(json.loads((out / "resources.json").read_text()))
    return {"setup": setup, "seconds": seconds, "resources": resources}


def write_stack(services: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stack_file = folder / "Pulumi.bench.yaml"
    stack_file.write_text(yaml.safe_dump(stack_config(services)))
    return stack_file


def measure_floor(out: Path, *, typed: bool, tuned: bool) -> dict[str, Any]:
    """Register what the plan recorded, bare: every resource at the top level, no components'
    logic, no recording, no checks; custom resources with their recorded inputs through their
    provider classes (`typed`, as the program does) or as plain `pulumi.CustomResource`s.
    `tuned`: with the garbage collector set up as the program sets it, not as Python's default."""
    started = time.perf_counter()
    if tuned:  # as __main__.py does, before the imports
        gc.disable()
    import asyncio  # noqa: PLC0415

    import pulumi  # noqa: PLC0415
    from pulumi.runtime.stack import run_pulumi_func  # noqa: PLC0415
    from pulumi.runtime.sync_await import _sync_await  # noqa: PLC0415

    from stacks.tooling.engine import OfflineMocks  # noqa: PLC0415

    recorded = json.loads((out / "resources.json").read_text())
    registrations = [bare_registration(entry, typed=typed) for entry in recorded]
    if tuned:
        from stacks.program.deploy import tune_garbage_collector  # noqa: PLC0415

        tune_garbage_collector()
    setup = time.perf_counter() - started

    def register_all() -> None:
        for register in registrations:
            register()

    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_mocks(
        OfflineMocks("eu-west-1"), project="bench", stack="bench", preview=False
    )
    started = time.perf_counter()
    _sync_await(run_pulumi_func(register_all))
    seconds = time.perf_counter() - started
    return {"setup": setup, "seconds": seconds, "resources": len(registrations)}


PROVIDER_PACKAGES = {
    "aws": "pulumi_aws",
    "datadog": "pulumi_datadog",
    "kubernetes": "pulumi_kubernetes",
}


def bare_registration(entry: dict[str, Any], *, typed: bool) -> Callable[[], object]:
    """A call that registers one recorded resource bare (its class resolved now, not timed)."""
    import pulumi  # noqa: PLC0415

    type_, name, inputs = entry["type"], entry["name"], dict(entry["inputs"])
    if not entry["custom"]:
        return functools.partial(pulumi.ComponentResource, type_, name)
    if not typed:
        return functools.partial(pulumi.CustomResource, type_, name, inputs)
    resource_class, args_class = provider_class(type_)
    if args_class is None:  # an object of a CRD: apiVersion and kind are arguments
        api_version, kind = inputs.pop("apiVersion"), inputs.pop("kind")
        return functools.partial(resource_class, name, api_version, kind, **inputs)
    from pulumi._types import input_type_py_to_pulumi_names  # noqa: PLC0415

    python_names = {wire: py for py, wire in input_type_py_to_pulumi_names(args_class).items()}
    arguments = {python_names[key]: value for key, value in inputs.items()}
    if type_.startswith("pulumi:providers:"):
        arguments = provider_inputs(args_class, arguments)
    return functools.partial(resource_class, name, **arguments)


def provider_inputs(args_class: type, recorded: dict[str, Any]) -> dict[str, Any]:
    """A provider's inputs as the program gave them, from their recorded wire form: the SDK sends
    every provider input as a string, JSON for a number or a boolean, which the provider class
    would encode a second time."""
    parameters = inspect.signature(args_class).parameters

    def encoded(key: str) -> bool:
        kinds = typing.get_args(parameters[key].annotation)
        return any(kind in kinds for kind in (int, float, bool))

    return {
        key: json.loads(value) if isinstance(value, str) and encoded(key) else value
        for key, value in recorded.items()
    }


def provider_class(type_: str) -> tuple[type, type | None]:
    """The provider SDK class registering `type_`, and its arguments class (None for a CRD)."""
    package, module, class_name = type_.split(":")
    if package == "pulumi":  # pulumi:providers:<package>
        sdk = importlib.import_module(PROVIDER_PACKAGES[class_name])
        return sdk.Provider, sdk.ProviderArgs
    segments = module.split("/")
    if package == "kubernetes":  # kubernetes:<group>/<version>:<Kind>
        path = [segments[0].split(".")[0], *segments[1:]]
    else:  # aws:<module>/<resource>:<Class>, datadog:index/<resource>:<Class>
        path = [] if segments[0] == "index" else segments[:1]
    try:
        sdk_module = importlib.import_module(".".join([PROVIDER_PACKAGES[package], *path]))
    except ModuleNotFoundError:
        from pulumi_kubernetes.apiextensions import CustomResource  # noqa: PLC0415

        return CustomResource, None
    resource_class = getattr(sdk_module, class_name)
    args_class = getattr(sdk_module, f"{class_name}Args", None) or getattr(
        sdk_module, f"{class_name}InitArgs"
    )
    return resource_class, args_class


def in_fresh_process(kind: str, size: int, out: Path) -> dict[str, Any]:
    """Run one measurement in its own interpreter; add its peak memory (MiB)."""
    result = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--out", str(out), str(size)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def measure_imports(out: Path, *, collector: bool) -> dict[str, Any]:
    """Import the SDK modules of every provider class the plan recorded, nothing else;
    `collector`: with Python's default garbage collector, or with it off."""
    if not collector:
        gc.disable()
    recorded = json.loads((out / "resources.json").read_text())
    for type_ in {entry["type"] for entry in recorded if entry["custom"]}:
        provider_class(type_)
    return {"resources": len(recorded)}


def timed_process(*command: str) -> tuple[float, float, str]:
    """Seconds from starting `command` to its exit, the CPU seconds it used, what it printed.

    CPU time is the steadier of the two on a machine that runs other work too."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    return seconds, cpu, result.stdout


def measure_processes(services: int, folder: Path) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of each whole process."""
    stack_file = write_stack(services, folder / "stack")
    out = folder / "process"
    plan_command = (
        *(sys.executable, "-m", "stacks", "plan", "--stack", "production"),
        *("--config-file", str(stack_file), "--out", str(out)),
    )
    measure_command = (sys.executable, __file__, "--out", str(out), str(services), "--measure")
    timed = {}
    for kind, command in (
        ("plan", plan_command),
        ("replan", plan_command),
        ("tuned-floor", (*measure_command, "tuned-floor")),
        ("imports", (*measure_command, "imports")),
        ("imports-collector-off", (*measure_command, "imports-collector-off")),
    ):
        seconds, cpu, printed = timed_process(*command)
        timed[kind] = (seconds, cpu)
        if kind == "tuned-floor":
            # What the floor's process spends besides its timed setup and registration:
            # starting, and above all the interpreter's exit.
            work = json.loads(printed.strip().splitlines()[-1])
            timed["tuned-floor-rest"] = (seconds - work["setup"] - work["seconds"], 0.0)
    return timed


MEASUREMENTS = ("plan", "floor", "tuned-floor", "untyped-floor")
MEASURING_KINDS = (*MEASUREMENTS, "imports", "imports-collector-off")


def measure(kind: str, size: int, out: Path) -> dict[str, Any]:
    if kind == "plan":
        return measure_plan(size, out)
    if kind in ("imports", "imports-collector-off"):
        return measure_imports(out, collector=kind == "imports")
    return measure_floor(out, typed=kind != "untyped-floor", tuned=kind == "tuned-floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 500])
    parser.add_argument("--measure", choices=MEASURING_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measured = measure(args.measure, args.sizes[0], args.out)
        # ru_maxrss is in KiB on Linux.
        measured["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(measured))
        return
    print(
        f"{'services':>8} {'resources':>9} {'plan s':>6} {'plan MiB':>8} {'floor s':>7} "
        f"{'floor MiB':>9} {'ratio':>5} {'ms/res':>6} {'tuned floor s':>13} {'ratio':>5} "
        f"{'untyped floor s':>15} {'setup s plan/floor':>18}"
    )
    processes = {}
    for services in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            planned, floor, tuned, untyped = (
                in_fresh_process(kind, services, Path(folder)) for kind in MEASUREMENTS
            )
            processes[services] = measure_processes(services, Path(folder))
        if len({m["resources"] for m in (planned, floor, tuned, untyped)}) != 1:
            raise SystemExit("a floor registered another number of resources than the plan")
        per_resource = 1000 * planned["seconds"] / planned["resources"]
        setup = f"{planned['setup']:.1f}/{floor['setup']:.1f}"
        print(
            f"{services:>8} {planned['resources']:>9} {planned['seconds']:>6.1f} "
            f"{planned['peak_mib']:>8.0f} {floor['seconds']:>7.1f} {floor['peak_mib']:>9.0f} "
            f"{planned['seconds'] / floor['seconds']:>5.2f} {per_resource:>6.1f} "
            f"{tuned['seconds']:>13.1f} {planned['seconds'] / tuned['seconds']:>5.2f} "
            f"{untyped['seconds']:>15.1f} {setup:>18}",
            flush=True,
        )
    print(
        "\nwhole processes, start to exit, wall seconds (CPU seconds):\n"
        f"{'services':>8} {'plan':>11} {'re-plan':>11} {'tuned floor':>11} {'its exit':>8} "
        f"{'ratio':>11} {'imports only':>12} {'ratio':>11} {'collector off':>13}"
    )
    for services, timed in processes.items():
        plan = timed["plan"]
        print(
            f"{services:>8} {wall_cpu(plan):>11} {wall_cpu(timed['replan']):>11} "
            f"{wall_cpu(timed['tuned-floor']):>11} {timed['tuned-floor-rest'][0]:>8.1f} "
            f"{ratios(plan, timed['tuned-floor']):>11} {wall_cpu(timed['imports']):>12} "
            f"{ratios(plan, timed['imports']):>11} {wall_cpu(timed['imports-collector-off']):>13}"
        )


def wall_cpu(seconds: tuple[float, float]) -> str:
    return f"{seconds[0]:.1f} ({seconds[1]:.1f})"


def ratios(of: tuple[float, float], to: tuple[float, float]) -> str:
    return f"{of[0] / to[0]:.2f} ({of[1] / to[1]:.2f})"


if __name__ == "__main__":
    main()
