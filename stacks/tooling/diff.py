"""`python -m stacks diff OLD_DIR NEW_DIR`: what a change does to a stack, as Markdown for a PR.

Both folders are outputs of `python -m stacks plan`. Resources are matched by URN; one that keeps
its name but changes type or parent looks like a replacement (its URN changes). Inputs are
compared field by field, with JSON strings (container definitions, dashboards, IAM documents)
compared as parsed JSON and lists of named entries (environment variables, containers) matched
by name, so a reordering is not a change. Secret values are masked in the plans and stay masked.
"""

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from stacks.tooling.engine import SECRET_MASK

MAX_CHARS: Final = 60_000
"""PR comments are cut at 65,535 characters; what does not fit is summarised."""

_NAME_KEYS: Final = ("name", "containerName", "key")
# Inputs that are a resource's physical name: the provider replaces the resource when they change
# (they force a new resource in the AWS provider), so a rename alias keeps its history in the
# state but not the resource. Auto-named resources keep theirs.
_PHYSICAL_NAME_INPUTS: Final = {
    "aws:ecs/service:Service": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:ecs/taskDefinition:TaskDefinition": "family",
}


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    resource: dict[str, Any]
    fields: list[FieldChange]


@dataclass(frozen=True)
class Rename:
    """A resource that a new name keeps, through an alias to its old URN."""

    before: dict[str, Any]
    after: dict[str, Any]
    fields: list[FieldChange]

    @property
    def physical_names(self) -> list[FieldChange]:
        """Changed inputs that name the cloud resource itself (an ECS service's or a log
        group's `name`, a task definition's `family`): the provider replaces a resource whose
        physical name changes, alias or not."""
        physical = _PHYSICAL_NAME_INPUTS.get(self.after["type"])
        return [f for f in self.fields if f.path == physical]


@dataclass(frozen=True)
class PlanDiff:
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    replaced: list[tuple[dict[str, Any], dict[str, Any]]]
    changed: list[ResourceChange]
    old_count: int
    new_count: int
    renamed: list[Rename] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.replaced or self.changed or self.renamed)


class PlanFolderError(ValueError):
    """A folder that holds no plan output."""


def load_plan(folder: Path) -> list[dict[str, Any]]:
    path = folder / "resources.json"
    try:
        resources: list[dict[str, Any]] = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanFolderError(
            f"{folder}: no resources.json; give a folder that `python -m stacks plan --out` wrote"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanFolderError(f"{path}: not a plan's resources.json ({error})") from None
    return resources


def diff_plans(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> PlanDiff:
    old_by_urn = {r["urn"]: r for r in old}
    new_by_urn = {r["urn"]: r for r in new}
    renamed = [
        Rename(old_by_urn[alias], after, list(_changes(old_by_urn[alias], after)))
        for urn, after in new_by_urn.items()
        if urn not in old_by_urn
        for alias in after.get("aliases", [])
        if alias in old_by_urn and alias not in new_by_urn
    ]
    kept_by_alias = {r.before["urn"] for r in renamed} | {r.after["urn"] for r in renamed}
    gone = [r for urn, r in old_by_urn.items() if urn not in new_by_urn.keys() | kept_by_alias]
    fresh = [r for urn, r in new_by_urn.items() if urn not in old_by_urn.keys() | kept_by_alias]
    fresh_by_name = {r["name"]: r for r in fresh}
    replaced = [(r, fresh_by_name[r["name"]]) for r in gone if r["name"] in fresh_by_name]
    replaced_names = {before["name"] for before, _ in replaced}
    changed = []
    for urn, before in old_by_urn.items():
        after = new_by_urn.get(urn)
        if after is None:
            continue
        fields = list(_changes(before, after))
        if fields:
            changed.append(ResourceChange(after, fields))
    return PlanDiff(
        added=[r for r in fresh if r["name"] not in replaced_names],
        removed=[r for r in gone if r["name"] not in replaced_names],
        replaced=replaced,
        changed=changed,
        old_count=len(old),
        new_count=len(new),
        renamed=renamed,
    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> Iterator[FieldChange]:
    yield from _field_changes(before["inputs"], after["inputs"], "")
    if before["protect"] != after["protect"]:
        yield FieldChange("(protect)", before["protect"], after["protect"])
    # A plan of a base branch from before the engine recorded the option has no such key.
    ignored_before, ignored_after = before.get("ignoreChanges", []), after.get("ignoreChanges", [])
    if ignored_before != ignored_after:
        yield FieldChange("(ignoreChanges)", ignored_before, ignored_after)


def _parsed(value: Any) -> Any:
    """JSON strings holding objects or lists, parsed; anything else as it is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _named(items: list[Any]) -> dict[str, Any] | None:
    """A list of objects that all carry the same unique name key, keyed by it; else None."""
    for key in _NAME_KEYS:
        if items and all(isinstance(i, dict) and isinstance(i.get(key), str) for i in items):
            names = [i[key] for i in items]
            if len(set(names)) == len(names):
                return dict(zip(names, items, strict=True))
    return None


def _field_changes(before: Any, after: Any, path: str) -> Iterator[FieldChange]:
    before, after = _parsed(before), _parsed(after)
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            child = f"{path}.{key}" if path else str(key)
            yield from _field_changes(before.get(key), after.get(key), child)
        return
    if isinstance(before, list) and isinstance(after, list):
        before_named, after_named = _named(before), _named(after)
        if before_named is not None and after_named is not None:
            for name in sorted(set(before_named) | set(after_named)):
                yield from _field_changes(
                    before_named.get(name), after_named.get(name), f"{path}[{name}]"
                )
            return
        if len(before) == len(after):
            for index, (b, a) in enumerate(zip(before, after, strict=True)):
                yield from _field_changes(b, a, f"{path}[{index}]")
            return
    if before != after:
        yield FieldChange(path, before, after)


def render_markdown(title: str, diff: PlanDiff, max_chars: int = MAX_CHARS) -> str:
    """The diff as Markdown no longer than `max_chars`, summarising what does not fit."""
    header = [
        f"### {title}",
        "",
        f"**{len(diff.added)} to add, {len(diff.removed)} to remove, "
        f"{len(diff.replaced)} to replace, {len(diff.changed)} to change"
        f"{f', {len(diff.renamed)} renamed' if diff.renamed else ''}** "
        f"({diff.old_count} -> {diff.new_count} resources)",
    ]
    if diff.empty:
        return "\n".join([*header, "", "No changes."])
    sections = [
        *_section(
            "Replaced (same name, new type or parent)",
            [
                f"- {_label(after)}: {_replacement_reason(before, after)}"
                for before, after in diff.replaced
            ],
        ),
        *_section("Renamed (kept through an alias)", [_rename_line(r) for r in diff.renamed]),
        *_section("Added", [f"- {_label(r)}" for r in diff.added]),
        *_section("Removed", [f"- {_label(r)}" for r in diff.removed]),
        *_section("Changed", [_changed_block(change) for change in diff.changed]),
    ]
    return _fit([*header, ""], sections, max_chars)


def _section(title: str, entries: list[str]) -> list[str]:
    return [f"#### {title}", *entries, ""] if entries else []


def _label(resource: dict[str, Any]) -> str:
    protected = " (protected)" if resource["protect"] else ""
    return f"`{resource['name']}` `{resource['type']}`{protected}"


def _replacement_reason(before: dict[str, Any], after: dict[str, Any]) -> str:
    if before["type"] != after["type"]:
        return f"type `{before['type']}` -> `{after['type']}`"
    return f"parent `{_short(before['parent'])}` -> `{_short(after['parent'])}`"


def _rename_line(rename: Rename) -> str:
    line = f"- `{rename.before['name']}` -> {_label(rename.after)}"
    replaced = rename.physical_names
    if replaced:
        names = ", ".join(f"`{f.path}` {_value(f.before)} -> {_value(f.after)}" for f in replaced)
        line += f": **replaced all the same**, its physical name changes ({names})"
    others = len(rename.fields) - len(replaced)
    if others:
        line += f"; {others} other field{'s' if others != 1 else ''} change"
    return line


def _short(urn: str | None) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def _changed_block(change: ResourceChange) -> str:
    rows = [
        f"| `{_cell(f.path)}` | {_value(f.before)} | {_value(f.after)} |" for f in change.fields
    ]
    return "\n".join(
        [
            f"<details><summary>{_label(change.resource)}: "
            f"{len(change.fields)} field{'s' if len(change.fields) != 1 else ''}</summary>",
            "",
            "| field | before | after |",
            "|---|---|---|",
            *rows,
            "",
            "</details>",
        ]
    )


def _value(value: Any) -> str:
    if value is None:
        return "*(none)*"
    if value == SECRET_MASK:
        return "*(secret)*"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"`{_cell(text)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _fit(header: list[str], sections: list[str], max_chars: int) -> str:
    lines = list(header)
    size = sum(len(line) + 1 for line in lines)
    for index, line in enumerate(sections):
        # Keep room for the closing note saying what was left out.
        if size + len(line) + 1 > max_chars - 200:
            left = sum(1 for entry in sections[index:] if entry.startswith(("- ", "<details>")))
            lines.append(
                f"\n*... {left} more entries left out to fit a pull-request comment; run "
                "`python -m stacks diff` locally for the whole diff.*"
            )
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines).rstrip() + "\n"


def diff_folders(old: Path, new: Path, title: str | None = None, max_chars: int = MAX_CHARS) -> str:
    return render_markdown(
        title or f"Offline plan diff: {new.name}",
        diff_plans(load_plan(old), load_plan(new)),
        max_chars,
    )


def print_diff(old: Path, new: Path, title: str | None, max_chars: int | None) -> int:
    """`python -m stacks diff`: the Markdown on stdout, status 0; a folder without a plan is
    refused in one line, status 2."""
    try:
        markdown = diff_folders(old, new, title, MAX_CHARS if max_chars is None else max_chars)
    except PlanFolderError as error:
        print(f"diff: {error}", file=sys.stderr)
        return 2
    print(markdown, end="")
    return 0


def print_diffs(old_root: Path, new_root: Path, stacks: list[str], max_chars: int | None) -> int:
    """`python -m stacks diff OLD NEW --stack ...`: each stack's diff of OLD/<stack> and
    NEW/<stack>, titled by the stack, on stdout in order; each folder without a plan is refused
    in one line, and then the status is 2."""
    status = 0
    for stack in stacks:
        try:
            markdown = diff_folders(
                old_root / stack,
                new_root / stack,
                stack,
                MAX_CHARS if max_chars is None else max_chars,
            )
        except PlanFolderError as error:
            print(f"diff: Pulumi.{stack}.yaml: {error}", file=sys.stderr)
            status = 2
            continue
        print(markdown, end="")
    return status
