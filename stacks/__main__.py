"""`python -m stacks`: the offline tools (stacks.tooling.cli)."""

from stacks.tooling.cli import run

run()
