"""What every worker of stacks.tooling.parallel starts with: imported once, by the server process
the workers are forked from.

The collector is off during these imports, as __main__.py has it (see README, Scale), and what
they made is frozen before any fork: the collection each program starts with
(tune_garbage_collector) then skips it, instead of writing to every object it inherited and so
copying the server's memory into each worker (Python's `gc.freeze` documentation recommends
exactly this before forking).
"""

import gc
import importlib

gc.disable()
for module in ("stacks.program.deploy", "stacks.tooling.check", "stacks.tooling.plan"):
    importlib.import_module(module)
gc.freeze()
