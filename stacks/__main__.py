"""`python -m stacks`: the offline tools (stacks.tooling.cli)."""

import sys

from stacks.tooling.cli import main

sys.exit(main())
