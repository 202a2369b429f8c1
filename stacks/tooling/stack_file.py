"""Stack files (`Pulumi.<stack>.yaml`) read the way the Pulumi CLI hands them to a program.

Offline there is no CLI to decrypt `secure:` values, and a newcomer has no keys at all: such
values, and the Datadog API and application keys when absent, become placeholders that are
themselves secret, so both committed stacks plan as they are and the placeholders are masked like
real secrets.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from components.problems import Problem
from stacks.program.errors import NAMESPACE, StackConfigError
from stacks.program.load import API_KEY_CONFIG, APP_KEY_CONFIG, PROJECT_DIR

# Re-exported: the tooling reads stack files with the loader the program reads them with.
from stacks.program.load import YAML_LOADER as YAML_LOADER  # noqa: PLC0414

REPO_ROOT = PROJECT_DIR


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


MAX_FILE_BYTES: Final = 4 * 1024 * 1024
"""Far above any real stack file (a 500-service catalog is a few hundred KiB)."""
MAX_DEPTH: Final = 64
"""Levels of nesting; the stack model has fewer than ten."""
MAX_VALUES: Final = 100_000
"""Values once every alias is expanded: a few aliases can stand for billions of values."""


def read_stack_file(path: Path, source: str) -> StackFile:
    """Parse a stack file; StackConfigError when it cannot be read or is not a config mapping."""
    document = _document(_text(path, source), source)
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackConfigError(
            [Problem("config", "the file must be a mapping with a `config:` mapping")], source
        )
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    problems: list[Problem] = []
    for key, value in (document.get("config") or {}).items():
        if str(key).startswith(f"{NAMESPACE}:") and _has_secure_value(value):
            problems.append(
                Problem(
                    str(key),
                    "holds a `secure:` value, which the program would put in plain text "
                    "(task definitions, manifests); give application secrets as Secrets "
                    "Manager ARNs under a service's secrets",
                )
            )
            continue
        encoded, secret = _encode(str(key), value)
        config[str(key)] = encoded
        if secret:
            secret_keys.append(str(key))
    if problems:
        raise StackConfigError(problems, source)
    for key in (API_KEY_CONFIG, APP_KEY_CONFIG):
        if key not in config:
            config[key] = placeholder(key)
            secret_keys.append(key)
    return StackFile(source=source, config=config, secret_keys=tuple(secret_keys))


def _text(path: Path, source: str) -> str:
    """The file as text: UTF-8, and small enough to be a stack file."""

    def refused(reason: str) -> StackConfigError:
        return StackConfigError([Problem("(file)", reason)], source)

    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        known = sorted(p.name for p in REPO_ROOT.glob("Pulumi.*.yaml"))
        raise refused(f"no such stack file (stack files here: {', '.join(known)})") from None
    except OSError as error:
        raise refused(f"cannot read: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise refused(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not a stack file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise refused(
            f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); save it as "
            "UTF-8, as Pulumi writes it"
        ) from None


def _document(text: str, source: str) -> Any:
    """The YAML document, after checks that keep a hostile file from hanging or crashing the
    reader: its nesting, how far its aliases expand, and keys given twice (of which PyYAML
    and Pulumi's YAML library both keep the last, silently)."""
    try:
        # libyaml's composer recurses in C: a file nested thousands deep would crash it, so the
        # depth is measured on the parser's events, which come without recursion.
        too_deep = _too_deep(text)
        if too_deep is not None:
            raise StackConfigError([too_deep], source)
        root = yaml.compose(text, Loader=YAML_LOADER)
    except yaml.YAMLError as error:
        raise StackConfigError([_yaml_problem(error)], source) from None
    if root is None:
        return {}
    problems = _node_problems(root)
    if problems:
        raise StackConfigError(problems, source)
    # The checked node graph is the document: constructed, not parsed a second time.
    return YAML_LOADER("").construct_document(root)


def _too_deep(text: str) -> Problem | None:
    depth = 0
    for event in yaml.parse(text, Loader=YAML_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(
                    _where(event.start_mark), f"nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _yaml_problem(error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None)
    reason = getattr(error, "problem", None) or str(error)
    return Problem(_where(mark), f"not valid YAML: {reason}")


def _where(mark: Any) -> str:
    """`line L, column C` of a mark of PyYAML's or of libyaml's (which differ in type)."""
    if mark is None:
        return "(file)"
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _node_problems(root: yaml.Node) -> list[Problem]:
    """Expanded size and duplicate keys of a composed document, without expanding it; depth
    too, as aliases nest one value inside another."""
    problems: list[Problem] = []
    # Aliases make the node graph a DAG: each node is visited once, its expanded size reused.
    sizes: dict[int, int] = {}
    pending: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while pending:
        node, depth, children_done = pending.pop()
        if id(node) in sizes:
            continue
        if depth > MAX_DEPTH:
            return [Problem(_where(node.start_mark), f"nested more than {MAX_DEPTH} levels deep")]
        children = _children(node)
        if not children_done:
            pending.append((node, depth, True))
            pending += [(child, depth + 1, False) for child in children if id(child) not in sizes]
            continue
        sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
        if sizes[id(node)] > MAX_VALUES:
            return [
                Problem(
                    _where(node.start_mark),
                    f"its aliases expand to more than {MAX_VALUES:,} values; write the values "
                    "out instead",
                )
            ]
        if isinstance(node, yaml.MappingNode):
            problems += _duplicate_keys(node)
    return problems


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _duplicate_keys(node: yaml.MappingNode) -> list[Problem]:
    first: dict[str, yaml.Mark] = {}
    problems = []
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if key.value in first:
            problems.append(
                Problem(
                    _where(key.start_mark),
                    f"{key.value!r} is given twice in this mapping (also line "
                    f"{first[key.value].line + 1}); only the last would count",
                )
            )
        first.setdefault(key.value, key.start_mark)
    return problems


def _has_secure_value(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure_value(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure_value(v) for v in value)
    return False


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
