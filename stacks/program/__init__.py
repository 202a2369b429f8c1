"""What `pulumi up` runs: the stack file's model, reading it, compiling it, registering it.

Configuration flows one way through these modules: `load` reads `observability:*` into the
validated `model`, `compile` turns the model into everything the stack registers (component Args
and Datadog payloads, with `telemetry` deciding which monitors and widgets have data), and
`deploy` registers what the compiled stack holds. Nothing here imports the offline tooling or
the schema validators, which need development dependencies.
"""
