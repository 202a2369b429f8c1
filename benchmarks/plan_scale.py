"""How the offline plan scales with the number of services, against the floor the SDK sets.

    venv/bin/python benchmarks/plan_scale.py             # 10, 100 and 500 services
    venv/bin/python benchmarks/plan_scale.py 10 50        # other sizes

For each size it generates a stack (every service with its task definition, secrets,
monitors and dashboard; EKS on) and measures, each in a fresh process so that peak memory is
the run's own: the full `plan` (config validation, components, every offline schema check,
resources.json and artifacts), and the floor: the very resources that plan recorded (same
types, same inputs) registered bare under the same mock answers, with no components, no
recording and no checks, which is what the Pulumi SDK itself costs for them.
Not a test: timings depend on the machine.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
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


# Each measuring process imports only what it measures, so the floor's memory is the SDK's alone.
def measure_plan(services: int, out: Path) -> dict[str, Any]:
    from stacks.plan import plan  # noqa: PLC0415

    stack_file = out / "Pulumi.bench.yaml"
    stack_file.write_text(yaml.safe_dump(stack_config(services)))
    started = time.perf_counter()
    status = plan("production", stack_file, out)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"plan failed with status {status}")
    return {"seconds": seconds, "resources": len(json.loads((out / "resources.json").read_text()))}


def measure_floor(out: Path) -> dict[str, Any]:
    import asyncio  # noqa: PLC0415

    import pulumi  # noqa: PLC0415
    from pulumi.runtime.stack import run_pulumi_func  # noqa: PLC0415
    from pulumi.runtime.sync_await import _sync_await  # noqa: PLC0415

    from stacks.offline import OfflineMocks  # noqa: PLC0415

    recorded = [r for r in json.loads((out / "resources.json").read_text()) if r["custom"]]

    def bare() -> None:
        for entry in recorded:
            pulumi.CustomResource(entry["type"], entry["name"], dict(entry["inputs"]))

    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_mocks(
        OfflineMocks("eu-west-1"), project="bench", stack="bench", preview=False
    )
    started = time.perf_counter()
    _sync_await(run_pulumi_func(bare))
    return {"seconds": time.perf_counter() - started, "resources": len(recorded)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 500])
    parser.add_argument("--measure", choices=["plan", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measured = (
            measure_plan(args.sizes[0], args.out)
            if args.measure == "plan"
            else measure_floor(args.out)
        )
        # ru_maxrss is in KiB on Linux.
        measured["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(measured))
        return
    header = (
        f"{'services':>8} {'resources':>9} {'plan s':>8} {'plan MiB':>9} "
        f"{'floor s':>8} {'floor MiB':>9} {'ratio':>6} {'ms/resource':>11}"
    )
    print(header)
    for services in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            planned = in_fresh_process("plan", services, Path(folder))
            floor = in_fresh_process("floor", services, Path(folder))
        ratio = planned["seconds"] / floor["seconds"]
        per_resource = 1000 * planned["seconds"] / planned["resources"]
        print(
            f"{services:>8} {planned['resources']:>9} {planned['seconds']:>8.1f} "
            f"{planned['peak_mib']:>9.0f} {floor['seconds']:>8.1f} {floor['peak_mib']:>9.0f} "
            f"{ratio:>6.2f} {per_resource:>11.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
