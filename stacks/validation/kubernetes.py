"""Strict offline validation of Kubernetes object dicts with kubernetes-validate.

Also home of `Problem` and `json_path`, the result type every check in this package returns.
"""

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils

from components.problems import Problem
from components.versions import DEFAULT_KUBERNETES_VERSION

_VERSION = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)(\.\d+)?$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts: Iterable[str | int]) -> str:
    """JSON path of a location given as keys and list indexes from the document root."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def check_kubernetes_object(
    obj: Mapping[str, Any], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
) -> list[Problem]:
    """Problems of `obj` against the strict OpenAPI schema of `kubernetes_version`.

    Strict schemas reject unknown fields, so a misspelled key is a problem, not a silent no-op.
    kubernetes-validate stops at the first violation: at most one problem is reported per object.
    An unknown kind or apiVersion is a problem too; an unsupported Kubernetes version is an error.
    """
    version = schema_version(kubernetes_version)
    try:
        kubernetes_validate.validate(dict(obj), version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [Problem(json_path(error.absolute_path), error.message)]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [Problem(json_path(["kind"]), error.message)]
    return []


def schema_version(kubernetes_version: str) -> str:
    """kubernetes-validate's schema version (`1.30.0`) for a Kubernetes version (`1.30`, `v1.30.2`).

    Raises ValueError for a version the installed kubernetes-validate has no schemas for, where the
    library itself would fail with a bare IndexError.
    """
    match = _VERSION.fullmatch(kubernetes_version)
    if match is None:
        raise ValueError(f"not a Kubernetes version: {kubernetes_version!r}")
    version = f"{match['major']}.{match['minor']}.0"
    available = _available_schema_versions()
    if version not in available:
        raise ValueError(
            f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for Kubernetes "
            f"{match['major']}.{match['minor']}; it has {available[0]} to {available[-1]}"
        )
    return version


@cache
def _available_schema_versions() -> tuple[str, ...]:
    # The library lists each version twice (plain and strict schema directories).
    versions: list[str] = kubernetes_validate.utils.all_versions()
    return tuple(dict.fromkeys(versions))
