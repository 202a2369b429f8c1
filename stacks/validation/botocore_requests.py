"""AWS API requests checked against botocore's service models.

botocore's `ParamValidator` checks types, required and unknown members and the lengths of
strings and lists, but not enums; `request_problems` adds them. Each resource's check translates
Pulumi's inputs into the request the provider sends, then adds the rules the model cannot express.
"""

import re
from functools import cache
from typing import Any, Final

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

from components.problems import Problem


@cache
def input_shape(service: str, operation: str) -> StructureShape:
    """The request shape of `operation` in botocore's model of `service`."""
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def request_problems(request: dict[str, Any], shape: StructureShape) -> list[Problem]:
    """What botocore's model rejects in `request`, enums included, at the request's paths."""
    return model_problems(request, shape) + enum_problems(request, shape, "")


def model_problems(request: dict[str, Any], shape: StructureShape) -> list[Problem]:
    """What botocore's own validator rejects in `request`: wrong types, missing or unknown
    members, too short or too long; none means every member has the type the model gives it."""
    report = ParamValidator().validate(request, shape)
    return [_botocore_problem(line) for line in report.generate_report().splitlines()]


# botocore reports `<what> for parameter <path>, ...` or `<what> parameter in <path>: ...`.
_BOTOCORE_LINE: Final = re.compile(
    r"(?P<what>.+?)(?P<among> for parameter| parameter in) (?P<path>[^\s,:]+)[,:]? ?(?P<rest>.*)"
)


def _botocore_problem(line: str) -> Problem:
    found = _BOTOCORE_LINE.fullmatch(line)
    if found is None:
        return Problem("", line)
    path = "" if found["path"] == "input" else found["path"]
    # "Unknown parameter in x: ..." names a member of x; "Invalid type for parameter x" is x.
    what = found["what"].lower() + (" parameter" if found["among"] == " parameter in" else "")
    details = found["rest"]
    return Problem(path, f"{what}: {details}" if details else what)


def enum_problems(value: Any, shape: Shape, path: str) -> list[Problem]:
    """Values outside their member's enum, anywhere in `value`."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return [
            problem
            for name, member in value.items()
            if name in shape.members
            for problem in enum_problems(member, shape.members[name], f"{path}.{name}")
        ]
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [
            problem
            for index, item in enumerate(value)
            for problem in enum_problems(item, shape.member, f"{path}[{index}]")
        ]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return [p for k, v in value.items() for p in enum_problems(v, shape.value, f"{path}.{k}")]
    allowed = getattr(shape, "enum", None)
    if allowed and value not in allowed:
        return [Problem(path.lstrip("."), f"{value!r} is not one of {', '.join(allowed)}")]
    return []


def range_problems(
    value: dict[str, Any], ranges: dict[str, tuple[int, int]], path: str
) -> list[Problem]:
    """Integers of `value` outside the ranges AWS documents but its model does not carry."""
    return [
        Problem(f"{path}.{name}".lstrip("."), f"{value[name]} is not in {low}..{high}")
        for name, (low, high) in ranges.items()
        if isinstance(value.get(name), int) and not low <= value[name] <= high
    ]
