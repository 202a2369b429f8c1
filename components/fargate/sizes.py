"""Fargate task sizes: which memory values AWS accepts for each CPU value (Linux tasks)."""

from typing import Final


def _steps(start: int, stop: int, step: int) -> tuple[int, ...]:
    return tuple(range(start, stop + 1, step))


# CPU units -> allowed task memory in MiB. 8 and 16 vCPU need platform version 1.4.0, which the
# services pin anyway because JSON-key secrets need it too.
FARGATE_MEMORY_BY_CPU: Final[dict[int, tuple[int, ...]]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """Why a task cpu/memory pair is not a Fargate size, or None when it is one."""
    allowed = FARGATE_MEMORY_BY_CPU.get(cpu)
    if allowed is None:
        cpus = ", ".join(str(c) for c in FARGATE_MEMORY_BY_CPU)
        return f"{cpu} is not a Fargate cpu value (allowed: {cpus})"
    if memory not in allowed:
        return (
            f"{memory} is not a valid Fargate memory for cpu {cpu} "
            f"(allowed: {', '.join(str(m) for m in allowed)})"
        )
    return None
