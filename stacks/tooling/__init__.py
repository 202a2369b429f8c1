"""The offline tools behind `python -m stacks`: an engine that records what the program
registers, and the plan, check, diff and URN commands built on it. Never imported by
`pulumi up`."""
