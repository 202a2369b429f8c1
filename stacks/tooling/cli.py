"""Command line of the project's offline tools: `python -m stacks <command> ...`.

Each command imports what it needs when it runs: planning loads the provider SDKs (several
seconds, most of it pulumi_datadog), which `--help`, `diff` and `lint-monitors` never use.
"""

import argparse
import functools
import gc
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # imported when planning only: it loads the Pulumi SDK
    from stacks.tooling.engine import StackOutputs

_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def stack_name(text: str) -> str:
    """A stack name as Pulumi allows it (letters, digits, -, _ and .), which names its file."""
    if not _STACK_NAME.fullmatch(text) or text in (".", ".."):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stack name (letters, digits, '-', '_' and '.')"
        )
    return text


PLANNING_COMMANDS = frozenset({"plan", "check", "urns"})
"""The commands that run the program, and so import the provider SDKs."""


def add_stack_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack-outputs",
        type=Path,
        metavar="FILE",
        help="JSON of recorded outputs of referenced stacks that are not in this repository: "
        "each fully qualified stack name (<organization>/<project>/<stack>) to what "
        "`pulumi stack output --json --stack <name>` prints",
    )


def recorded_stack_outputs(
    parser: argparse.ArgumentParser, path: Path | None
) -> "Mapping[str, StackOutputs] | None":
    """The outputs `--stack-outputs` names, or None; a file that cannot be read stops here."""
    if path is None:
        return None
    from stacks.program.errors import StackConfigError
    from stacks.tooling.references import recorded_outputs

    try:
        return recorded_outputs(path)
    except StackConfigError as error:
        parser.error(error.render(str(path)))


def add_selection(parser: argparse.ArgumentParser, what: str) -> None:
    """`--stack NAME...` or `--all`: the stacks a command works on."""
    selection = parser.add_mutually_exclusive_group(required=True)
    selection.add_argument(
        "--stack",
        dest="stacks",
        action="extend",
        nargs="+",
        type=stack_name,
        metavar="STACK",
        help=f"{what} this stack (e.g. dev or production); several: platform stacks first, "
        "then the others, in worker processes",
    )
    selection.add_argument(
        "--all",
        action="store_true",
        help=f"{what} every stack file of the repository (Pulumi.*.yaml), as --stack with each",
    )


def one_stack(args: argparse.Namespace) -> str | None:
    """The stack of a selection of exactly one (`--stack NAME`), which runs as it always has:
    in this process, without reading any other stack file."""
    return args.stacks[0] if args.stacks and len(args.stacks) == 1 else None


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stacks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    plan_parser = commands.add_parser(
        "plan", help="run the program offline and write out/<stack>/resources.json"
    )
    add_selection(plan_parser, "plan")
    plan_parser.add_argument(
        "--config-file", type=Path, help="plan this stack file instead of Pulumi.<stack>.yaml"
    )
    plan_parser.add_argument(
        "--out",
        type=Path,
        help="output folder (default: out/<stack>); of several stacks, the folder of their "
        "<stack> folders (default: out)",
    )
    add_stack_outputs(plan_parser)

    lint_parser = commands.add_parser(
        "lint-monitors",
        help="validate monitor JSON files (flat, or Datadog's version 2 export) offline",
    )
    lint_parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    lint_parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (what Datadog accepts but probably ignores)",
    )

    check_parser = commands.add_parser(
        "check", help="plan a stack and report every schema problem and policy violation"
    )
    add_selection(check_parser, "check")
    check_parser.add_argument(
        "--config-file", type=Path, help="check this stack file instead of Pulumi.<stack>.yaml"
    )
    add_stack_outputs(check_parser)

    urns_parser = commands.add_parser(
        "urns", help="print the stack's resource URNs, one a line (the record tests compare with)"
    )
    add_selection(urns_parser, "print the URNs of")
    add_stack_outputs(urns_parser)

    diff_parser = commands.add_parser(
        "diff", help="compare two plan outputs and print the differences as Markdown"
    )
    diff_parser.add_argument(
        "old",
        type=Path,
        help="plan output of the base, e.g. out/base/dev; with --stack or --all, the folder of "
        "the stacks' plan outputs, e.g. out/base",
    )
    diff_parser.add_argument("new", type=Path, help="plan output of the change (or its folder)")
    diff_selection = diff_parser.add_mutually_exclusive_group()
    diff_selection.add_argument(
        "--stack",
        dest="stacks",
        action="extend",
        nargs="+",
        type=stack_name,
        metavar="STACK",
        help="diff OLD/<stack> and NEW/<stack> of these stacks, each under its name",
    )
    diff_selection.add_argument(
        "--all", action="store_true", help="as --stack with every stack file of the repository"
    )
    diff_parser.add_argument("--title", help="heading of the Markdown (default: the new folder)")
    diff_parser.add_argument(
        "--max-chars",
        type=int,
        help="summarise beyond this many characters (default 60,000: a PR comment holds 65,535)",
    )

    affected_parser = commands.add_parser(
        "affected",
        help="print as JSON the stacks a change affects: all of them in the order they run "
        "(stacks), those that reference no other (first), and the teams that wait for theirs",
    )
    change = affected_parser.add_mutually_exclusive_group(required=True)
    change.add_argument(
        "--base", metavar="COMMIT", help="the change since this commit (git diff COMMIT...HEAD)"
    )
    change.add_argument(
        "--changed",
        nargs="+",
        metavar="FILE",
        help="the files a change adds, modifies or deletes, from the repository root",
    )
    change.add_argument(
        "--all", action="store_true", help="every stack, as a change of the code would (deploys)"
    )

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = command_line()
    args = parser.parse_args(argv)
    if args.command in PLANNING_COMMANDS:
        # The program turns the collector off before it registers anything
        # (stacks.program.deploy.tune_garbage_collector). Off already while the provider SDKs
        # import, it skips collections that run again and again among their hundreds of
        # thousands of new objects and free next to nothing (see README, Scale).
        gc.disable()
    if getattr(args, "config_file", None) and one_stack(args) is None:
        parser.error("--config-file takes one --stack: the stack it is the file of")
    if args.command == "diff" and args.title and (args.stacks or args.all):
        parser.error("--title names one diff; with --stack or --all each is titled by its stack")
    args.recorded = recorded_stack_outputs(parser, getattr(args, "stack_outputs", None))
    return COMMANDS[args.command](args)


def _plan(args: argparse.Namespace) -> int:
    from stacks.tooling.plan import plan, plan_into

    stack = one_stack(args)
    if stack is not None:
        return plan(stack, args.config_file, args.out, args.recorded)
    return on_stacks(args, functools.partial(plan_into, args.out, args.recorded))


def _check(args: argparse.Namespace) -> int:
    from stacks.tooling.check import check

    stack = one_stack(args)
    if stack is not None:
        return check(stack, args.config_file, args.recorded)
    return on_stacks(args, functools.partial(check, config_file=None, stack_outputs=args.recorded))


def _urns(args: argparse.Namespace) -> int:
    from stacks.tooling.plan import print_urns

    stack = one_stack(args)
    if stack is not None:
        return print_urns(stack, args.recorded)
    return on_stacks(args, functools.partial(print_urns, stack_outputs=args.recorded))


def _diff(args: argparse.Namespace) -> int:
    from stacks.tooling.diff import print_diff, print_diffs

    if args.stacks is None and not args.all:
        return print_diff(args.old, args.new, args.title, args.max_chars)
    return print_diffs(args.old, args.new, selected_stacks(args), args.max_chars)


def _affected(args: argparse.Namespace) -> int:
    from stacks.tooling.selection import print_affected

    return print_affected(args.base, ["Pulumi.yaml"] if args.all else args.changed)


def _lint_monitors(args: argparse.Namespace) -> int:
    from components.monitors.validation import lint_monitor_files

    return lint_monitor_files(args.files, strict=args.strict)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "plan": _plan,
    "check": _check,
    "urns": _urns,
    "diff": _diff,
    "affected": _affected,
    "lint-monitors": _lint_monitors,
}


def selected_stacks(args: argparse.Namespace) -> list[str]:
    """The stacks of `--stack` or `--all`, in the order they run."""
    from stacks.tooling.selection import in_order, read_stacks, repository_stacks

    names = repository_stacks() if args.all else args.stacks
    return in_order(names, read_stacks(names))


def on_stacks(args: argparse.Namespace, task: Callable[[str], int]) -> int:
    """`task` for each stack of `--stack` or `--all`, each in a worker process, a stack after
    the one it references; each stack's output as one piece, as it finishes, except the URNs,
    printed in order (they are a record). The status is the worst of them. A selection of one
    stack (`--all` in a repository of one stack file) runs in this process, as `--stack` does."""
    from stacks.tooling.parallel import overall_status, print_result, run_stacks, summary
    from stacks.tooling.selection import in_order, read_stacks, repository_stacks

    names = repository_stacks() if args.all else args.stacks
    stacks = read_stacks(names)
    order = in_order(names, stacks)
    if len(order) == 1:
        return task(order[0])
    in_turn = args.command == "urns"
    results = run_stacks(
        order,
        {name: stack.platform for name, stack in stacks.items()},
        task,
        (lambda _result: None) if in_turn else print_result,
    )
    if in_turn:
        for stack in order:
            print_result(results[stack])
    status = overall_status(results)
    print(summary(results, order), file=sys.stderr if status or in_turn else sys.stdout)
    return status


def run() -> NoReturn:
    """`python -m stacks`: main() in a process of its own, which ends once its output is out.

    A plan holds every object of its thousands of registrations until the end, and the
    interpreter's exit, freeing them one by one, took seconds after the work was done (see
    README, Scale). Nothing in this process needs
    that teardown: every file the commands write is closed by then. Only here: a caller of
    main() keeps its interpreter as it was.
    """
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        # A reader that went away (`urns | head`): the interpreter's exit reports it as usual.
        sys.exit(status)
    os._exit(status)
