"""Values as the Pulumi engine protocol carries them."""

from typing import Any


def whole_numbers_as_int(value: Any) -> Any:
    """The value with every integral float as an int.

    The engine protocol carries every number as a double (protobuf's `Value`), so a port of 4317
    arrives as 4317.0, and so does a priority of 1 in a stack output that a stack reference
    reads; providers convert by their schemas, a reviewer reading the plan should see what the
    program wrote, and the stack model takes whole numbers as ints only. No value the project
    sends is a float that happens to be whole and must stay one (thresholds and rates travel as
    strings or inside JSON strings).
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers_as_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers_as_int(v) for v in value]
    return value
