"""Pulumi entry point: `pulumi up` runs this with the selected stack's configuration."""

import gc

# main() turns the collector off before it registers anything (tune_garbage_collector). Off
# already while the provider SDKs import, it skips collections that run again and again among
# their hundreds of thousands of new objects and free next to nothing (see README, Scale).
gc.disable()

from stacks.program.deploy import main  # noqa: E402

main()
