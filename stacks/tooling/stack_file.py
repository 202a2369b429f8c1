"""Stack files (`Pulumi.<stack>.yaml`) read the way the Pulumi CLI hands them to a program.

Offline there is no CLI to decrypt `secure:` values, and a newcomer has no keys at all: such
values, and the Datadog API and application keys when absent, become placeholders that are
themselves secret, so both committed stacks plan as they are and the placeholders are masked like
real secrets.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.problems import Problem
from stacks.program.errors import StackConfigError
from stacks.program.load import API_KEY_CONFIG, APP_KEY_CONFIG

REPO_ROOT = Path(__file__).resolve().parents[2]
# libyaml parses a catalog of hundreds of services in milliseconds where pure Python takes
# seconds; PyYAML's wheels bundle it, a source build may not.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class StackFile:
    """A stack file's config as the engine would receive it."""

    source: str
    """How errors name the file."""
    config: dict[str, str]
    """`namespace:key` -> value; structured values JSON-encoded, as the CLI passes them."""
    secret_keys: tuple[str, ...]
    """Keys whose values are secret (placeholders included)."""


def placeholder(key: str) -> str:
    return f"offline-placeholder-{key.replace(':', '-')}"


def default_stack_path(stack: str) -> Path:
    return REPO_ROOT / f"Pulumi.{stack}.yaml"


def read_stack_file(path: Path, source: str) -> StackFile:
    """Parse a stack file; StackConfigError when it cannot be read or is not a config mapping."""
    try:
        document = yaml.load(path.read_text(), Loader=YAML_LOADER)
    except FileNotFoundError:
        known = sorted(p.name for p in REPO_ROOT.glob("Pulumi.*.yaml"))
        raise StackConfigError(
            [Problem("(file)", f"no such stack file (stack files here: {', '.join(known)})")],
            source,
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = getattr(error, "problem", None) or str(error)
        raise StackConfigError([Problem(where, f"not valid YAML: {reason}")], source) from None
    document = document or {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackConfigError(
            [Problem("config", "the file must be a mapping with a `config:` mapping")], source
        )
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        encoded, secret = _encode(str(key), value)
        config[str(key)] = encoded
        if secret:
            secret_keys.append(str(key))
    for key in (API_KEY_CONFIG, APP_KEY_CONFIG):
        if key not in config:
            config[key] = placeholder(key)
            secret_keys.append(key)
    return StackFile(source=source, config=config, secret_keys=tuple(secret_keys))


def _encode(key: str, value: Any) -> tuple[str, bool]:
    """The string the CLI would pass for a value, and whether it is secret."""
    replaced, secret = _replace_secure(key, value)
    if isinstance(replaced, str):
        return replaced, secret
    return json.dumps(replaced), secret


def _replace_secure(key: str, value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return placeholder(key), True
    if isinstance(value, dict):
        items = {k: _replace_secure(f"{key}.{k}", v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        entries = [_replace_secure(f"{key}[{i}]", v) for i, v in enumerate(value)]
        return [v for v, _ in entries], any(s for _, s in entries)
    return value, False
