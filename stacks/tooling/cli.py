"""Command line of the project's offline tools: `python -m stacks <command> ...`.

Each command imports what it needs when it runs: planning loads the provider SDKs (several
seconds, most of it pulumi_datadog), which `--help`, `diff` and `lint-monitors` never use.
"""

import argparse
import gc
import os
import re
import sys
from collections.abc import Mapping
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    plan_parser = commands.add_parser(
        "plan", help="run the program offline and write out/<stack>/resources.json"
    )
    plan_parser.add_argument(
        "--stack", required=True, type=stack_name, help="stack name, e.g. dev or production"
    )
    plan_parser.add_argument(
        "--config-file", type=Path, help="plan this stack file instead of Pulumi.<stack>.yaml"
    )
    plan_parser.add_argument("--out", type=Path, help="output folder (default: out/<stack>)")
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
    check_parser.add_argument(
        "--stack", required=True, type=stack_name, help="stack name, e.g. dev or production"
    )
    check_parser.add_argument(
        "--config-file", type=Path, help="check this stack file instead of Pulumi.<stack>.yaml"
    )
    add_stack_outputs(check_parser)

    urns_parser = commands.add_parser(
        "urns", help="print the stack's resource URNs, one a line (the record tests compare with)"
    )
    urns_parser.add_argument(
        "--stack", required=True, type=stack_name, help="stack name, e.g. dev or production"
    )
    add_stack_outputs(urns_parser)

    diff_parser = commands.add_parser(
        "diff", help="compare two plan outputs and print the differences as Markdown"
    )
    diff_parser.add_argument("old", type=Path, help="plan output of the base, e.g. out/base/dev")
    diff_parser.add_argument("new", type=Path, help="plan output of the change")
    diff_parser.add_argument("--title", help="heading of the Markdown (default: the new folder)")
    diff_parser.add_argument(
        "--max-chars",
        type=int,
        help="summarise beyond this many characters (default 60,000: a PR comment holds 65,535)",
    )

    args = parser.parse_args(argv)
    if args.command in PLANNING_COMMANDS:
        # The program turns the collector off before it registers anything
        # (stacks.program.deploy.tune_garbage_collector). Off already while the provider SDKs
        # import, it skips collections that run again and again among their hundreds of
        # thousands of new objects and free next to nothing (see README, Scale).
        gc.disable()
    recorded = recorded_stack_outputs(parser, getattr(args, "stack_outputs", None))
    if args.command == "plan":
        from stacks.tooling.plan import plan

        return plan(args.stack, args.config_file, args.out, recorded)
    if args.command == "check":
        from stacks.tooling.check import check

        return check(args.stack, args.config_file, recorded)
    if args.command == "urns":
        from stacks.tooling.plan import print_urns

        return print_urns(args.stack, recorded)
    if args.command == "diff":
        from stacks.tooling.diff import print_diff

        return print_diff(args.old, args.new, args.title, args.max_chars)
    if args.command == "lint-monitors":
        from components.monitors.validation import lint_monitor_files

        return lint_monitor_files(args.files, strict=args.strict)
    parser.error(f"unknown command {args.command}")
    return 2


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
