"""Several stacks at once: each in a worker process of its own, a stack after the one it reads.

The Pulumi SDK keeps one runtime per process (its settings, root stack and config), so stacks run
side by side only in separate processes: each worker runs one stack and exits
(`max_tasks_per_child=1`), forked from a server process that has already imported what every
plan imports (stacks.tooling.preload), so that no worker pays the seconds of importing the
provider SDKs again. A stack waits for the stack it references (a team for its platform, when
both are selected); one whose platform failed is not run, and says so.
"""

import concurrent.futures
import contextlib
import io
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PRELOAD_MODULE = "stacks.tooling.preload"


@dataclass(frozen=True)
class StackResult:
    stack: str
    status: int
    """The command's exit status for this stack (0: done)."""
    stdout: str
    stderr: str


def cores() -> int:
    """The cores this process may run on (what the scheduler allows it, not the machine's)."""
    return len(os.sched_getaffinity(0))


def run_captured(task: Callable[[str], int], stack: str) -> StackResult:
    """`task(stack)`, with what it prints kept for the parent to print in one piece."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = task(stack)
    return StackResult(stack, status, stdout.getvalue(), stderr.getvalue())


def run_stacks(
    order: Sequence[str],
    platforms: Mapping[str, str | None],
    task: Callable[[str], int],
    on_done: Callable[[StackResult], None],
    *,
    workers: int | None = None,
) -> dict[str, StackResult]:
    """Run `task` for each stack of `order` in worker processes, at most `workers` (default: the
    cores) at once, each stack once the stack `platforms` names for it is done; `on_done` gets
    each result as it comes. `task` must be picklable (a module's function, or a partial of
    one)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD_MODULE])
    waiting = list(order)
    results: dict[str, StackResult] = {}
    running: dict[concurrent.futures.Future[StackResult], str] = {}

    def finish(result: StackResult) -> None:
        results[result.stack] = result
        on_done(result)

    with concurrent.futures.ProcessPoolExecutor(
        min(workers or cores(), len(order)), mp_context=context, max_tasks_per_child=1
    ) as pool:
        while waiting or running:
            for stack in list(waiting):
                platform = platforms.get(stack)
                if platform in waiting or platform in running.values():
                    continue
                waiting.remove(stack)
                failed = results.get(platform or "")
                if failed is not None and failed.status != 0:
                    finish(_not_run(stack, platform or "", "which failed"))
                    continue
                running[pool.submit(run_captured, task, stack)] = stack
            if not running:
                # What still waits, waits on itself (a team named as its own platform, or two
                # teams naming each other): nothing would ever let it run.
                for stack in waiting:
                    finish(_not_run(stack, platforms.get(stack) or "", "which waits on it"))
                break
            done, _ = concurrent.futures.wait(running, return_when="FIRST_COMPLETED")
            for future in done:
                stack = running.pop(future)
                try:
                    finish(future.result())
                except Exception as error:  # the worker died or could not run the task
                    finish(StackResult(stack, 1, "", f"Pulumi.{stack}.yaml: {error!r}\n"))
    return results


def _not_run(stack: str, platform: str, why: str) -> StackResult:
    return StackResult(
        stack,
        1,
        "",
        f"Pulumi.{stack}.yaml: not run: it reads stack {platform} (Pulumi.{platform}.yaml), "
        f"{why}\n",
    )


def print_result(result: StackResult) -> None:
    """A stack's output as its worker printed it, in one piece."""
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    sys.stdout.flush()
    sys.stderr.flush()


def overall_status(results: Mapping[str, StackResult]) -> int:
    """The worst status of all (1 and 2 both fail; 2, a refused stack file, is the graver)."""
    return max((result.status for result in results.values()), default=0)


def summary(results: Mapping[str, StackResult], order: Sequence[str]) -> str:
    failed = [stack for stack in order if results[stack].status != 0]
    line = f"{len(order)} stacks: {len(order) - len(failed)} done"
    if failed:
        line += ", failed: " + ", ".join(
            f"Pulumi.{stack}.yaml (exit {results[stack].status})" for stack in failed
        )
    return line
