"""How planning scales when an organisation splits its services into team stacks.

    venv/bin/python benchmarks/stacks_scale.py                 # 100, 500 and 1,000 services
    venv/bin/python benchmarks/stacks_scale.py 100 500         # other sizes

Each measurement is a whole `python -m stacks` process, timed from start to exit: wall seconds,
and CPU seconds of it and every process it started (the steadier figure on a shared machine), in
a generated copy of the repository: the platform stack of production
(Pulumi.platform-production.yaml) and team stacks of 50 services each, modelled on the first
service of Pulumi.payments-production.yaml, beside a single stack modelled on
Pulumi.production.yaml (as benchmarks/plan_scale.py generates it).
- team-00: `plan --stack team-00` of a 10-service team stack among team stacks holding
  `services` services in all (with 10: alone with its platform), its platform planned before
  (out/platform-production); the ratio is to the team alone;
- all: `plan --all` of the platform and `services / 50` team stacks, on the cores this process
  may use, against `plan` of one single stack holding all `services`.
The load average is printed before each row: the machine may be shared. Not a test: timings
depend on the machine.
"""

import argparse
import contextlib
import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.plan_scale import stack_config  # noqa: E402

TEAM_SIZE = 50
"""Services per team stack."""
SMALL_TEAM = 10
CODE = ("__main__.py", "Pulumi.yaml", "components", "stacks")
"""What a copy of the repository needs to plan (the code finds its stack files beside it)."""


def team_config(team: int, services: int) -> dict[str, Any]:
    """Pulumi.payments-production.yaml as team `team-<NN>`, with `services` services modelled
    on its first one."""
    document: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "Pulumi.payments-production.yaml").read_text()
    )
    config = document["config"]
    config["observability:environment"]["team"] = f"team-{team:02d}"
    template = json.dumps(config["observability:services"][0])
    name = config["observability:services"][0]["name"]
    config["observability:services"] = [
        json.loads(template.replace(name, f"t{team:02d}-service-{index:03d}"))
        for index in range(services)
    ]
    return document


def repository(folder: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    """A copy of the repository's code with `stacks` (name -> stack file) as its stack files."""
    folder.mkdir(parents=True)
    for name in CODE:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / name)
    for name, document in stacks.items():
        (folder / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
    return folder


def organisation(folder: Path, services: int, small_team: bool) -> Path:
    """The platform and team stacks of `services` services in all; with `small_team`, team-00
    holds 10 of them and the rest are teams of 50."""
    platform = yaml.safe_load((REPO_ROOT / "Pulumi.platform-production.yaml").read_text())
    sizes = [SMALL_TEAM] if small_team else []
    rest = services - sum(sizes)
    sizes += [TEAM_SIZE] * (rest // TEAM_SIZE) + ([rest % TEAM_SIZE] if rest % TEAM_SIZE else [])
    stacks = {"platform-production": platform}
    stacks |= {f"team-{team:02d}": team_config(team, size) for team, size in enumerate(sizes)}
    return repository(folder, stacks)


PR_SET_CHILD_SUBREAPER = 36
"""prctl(2): orphaned descendants become this process's children, so that it reaps them and their
CPU time counts in its RUSAGE_CHILDREN."""


def adopt_orphans() -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


class Refused(Exception):
    """A plan that failed: what it printed last."""


def planned(root: Path, *arguments: str) -> tuple[float, float]:
    """Wall seconds of `python -m stacks plan ARGUMENTS` in `root`, from start to exit, and the
    CPU seconds of it and of every process it started: the workers' server outlives it (it
    leaves with `os._exit`) and is reaped here once it has noticed (see adopt_orphans)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "stacks", "plan", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise Refused(result.stderr.strip().splitlines()[-1])
    with contextlib.suppress(ChildProcessError):
        while True:
            os.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    return seconds, cpu


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500, 1000])
    args = parser.parse_args()
    adopt_orphans()
    print(f"cores: {len(os.sched_getaffinity(0))}; wall seconds (CPU seconds)\n")
    print(f"{'services':>8} {'team-00 plan':>14} {'ratio':>11}  load before")
    alone = None
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for services in [SMALL_TEAM, *args.sizes]:
            org = organisation(folder / f"org-{services}", services, small_team=True)
            planned(org, "--stack", "platform-production")
            before = load()
            team = planned(org, "--stack", "team-00")
            alone = alone or team
            print(f"{services:>8} {both(team):>14} {ratios(team, alone):>11}  {before}", flush=True)
            shutil.rmtree(org)
        print(
            f"\n{'services':>8} {'teams':>5} {'plan --all':>14} {'per service ms':>14} "
            f"{'one stack':>14} {'per service ms':>14} {'ratio':>11}  load before"
        )
        for services in args.sizes:
            before = load()
            org = organisation(folder / f"all-{services}", services, small_team=False)
            teams = len(list(org.glob("Pulumi.team-*.yaml")))
            everything = planned(org, "--all")
            single = repository(folder / f"single-{services}", {"one": stack_config(services)})
            row = f"{services:>8} {teams:>5} {both(everything):>14} "
            row += f"{both(everything, 1000 / services, '.0f'):>14} "
            try:
                one = planned(single, "--stack", "one")
            except Refused as refused:  # e.g. more values than a stack file may hold
                print(f"{row} one stack refused: {refused}  {before}", flush=True)
            else:
                row += f"{both(one):>14} {both(one, 1000 / services, '.0f'):>14} "
                print(f"{row}{ratios(everything, one):>11}  {before}", flush=True)
            shutil.rmtree(org)
            shutil.rmtree(single)


def both(seconds: tuple[float, float], scale: float = 1.0, spec: str = ".1f") -> str:
    return f"{seconds[0] * scale:{spec}} ({seconds[1] * scale:{spec}})"


def ratios(of: tuple[float, float], to: tuple[float, float]) -> str:
    return f"{of[0] / to[0]:.2f} ({of[1] / to[1]:.2f})"


if __name__ == "__main__":
    main()
