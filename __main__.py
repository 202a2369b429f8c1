"""Pulumi entry point: `pulumi up` runs this with the selected stack's configuration."""

from stacks.program.deploy import main

main()
