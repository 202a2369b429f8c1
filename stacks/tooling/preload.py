"""What every worker of stacks.tooling.parallel starts with: imported once, by the server process
the workers are forked from.

The collector is off during these imports, as __main__.py has it (see README, Scale): the
program itself sets it up before it registers anything (tune_garbage_collector).
"""

import gc
import importlib

gc.disable()
for module in ("stacks.program.deploy", "stacks.tooling.check", "stacks.tooling.plan"):
    importlib.import_module(module)
