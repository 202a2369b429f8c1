"""Optional: the offline plan against Datadog's CDK construct for the same Fargate services.

    npm ci --prefix benchmarks/cdk_fargate          # once: node and npm, 6 packages
    venv/bin/python benchmarks/cdk_fargate.py        # 100 and 500 services
    venv/bin/python benchmarks/cdk_fargate.py 10     # other sizes

For each size, two whole processes, each timed from start to exit:
- plan: `python -m stacks plan` of the stack plan_scale.py generates (each service with its
  task definition, secrets, roles, ECS service, monitors and dashboard; EKS on);
- CDK: `node cdk_fargate/synth.js`, datadog-cdk-constructs-v2's DatadogECSFargate synthesizing
  the same services' task definitions (app, Datadog Agent, FireLens router to Datadog), roles
  and ECS services into CloudFormation: the Fargate part of the plan alone.
Not a test: timings depend on the machine.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.plan_scale import write_stack  # noqa: E402

CDK_DIR = Path(__file__).resolve().parent / "cdk_fargate"


def timed(*command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, cwd=REPO_ROOT)
    return time.perf_counter() - started


def installed_versions() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    packages = []
    for name in ("aws-cdk-lib", "constructs", "datadog-cdk-constructs-v2"):
        manifest = json.loads((CDK_DIR / "node_modules" / name / "package.json").read_text())
        packages.append(f"{name} {manifest['version']}")
    return ", ".join([f"node {node.stdout.strip()}", *packages])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500])
    args = parser.parse_args()
    if shutil.which("node") is None or not (CDK_DIR / "node_modules").is_dir():
        raise SystemExit("needs node, and once: npm ci --prefix benchmarks/cdk_fargate")
    print(installed_versions())
    print(
        f"{'services':>8} {'plan s':>6} {'ms/service':>10} {'CDK s':>6} {'ms/service':>10} "
        f"{'plan / CDK':>10}"
    )
    for services in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            stack_file = write_stack(services, Path(folder) / "stack")
            plan = timed(
                *(sys.executable, "-m", "stacks", "plan", "--stack", "production"),
                *("--config-file", str(stack_file), "--out", str(Path(folder) / "plan")),
            )
            cdk = timed("node", str(CDK_DIR / "synth.js"), str(services), str(Path(folder) / "cdk"))
        print(
            f"{services:>8} {plan:>6.1f} {1000 * plan / services:>10.0f} {cdk:>6.1f} "
            f"{1000 * cdk / services:>10.0f} {plan / cdk:>10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
