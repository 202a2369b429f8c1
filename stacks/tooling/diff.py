"""`python -m stacks diff OLD_DIR NEW_DIR`: what a change does to a stack, as Markdown for a PR.

Both folders are outputs of `python -m stacks plan`. Resources are matched by URN; one that keeps
its name but changes type or parent looks like a replacement (its URN changes). Inputs are
compared field by field, with JSON strings (container definitions, dashboards, IAM documents)
compared as parsed JSON and lists of named entries (environment variables, containers) matched
by name, so a reordering is not a change. Secret values are masked in the plans and stay masked.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from stacks.tooling.engine import SECRET_MASK

MAX_CHARS: Final = 60_000
"""PR comments are cut at 65,535 characters; what does not fit is summarised."""

_NAME_KEYS: Final = ("name", "containerName", "key")


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
class PlanDiff:
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    replaced: list[tuple[dict[str, Any], dict[str, Any]]]
    changed: list[ResourceChange]
    old_count: int
    new_count: int

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.replaced or self.changed)


def load_plan(folder: Path) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = json.loads((folder / "resources.json").read_text())
    return resources


def diff_plans(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> PlanDiff:
    old_by_urn = {r["urn"]: r for r in old}
    new_by_urn = {r["urn"]: r for r in new}
    gone = [r for urn, r in old_by_urn.items() if urn not in new_by_urn]
    fresh = [r for urn, r in new_by_urn.items() if urn not in old_by_urn]
    fresh_by_name = {r["name"]: r for r in fresh}
    replaced = [(r, fresh_by_name[r["name"]]) for r in gone if r["name"] in fresh_by_name]
    replaced_names = {before["name"] for before, _ in replaced}
    changed = []
    for urn, before in old_by_urn.items():
        after = new_by_urn.get(urn)
        if after is None:
            continue
        fields = list(_field_changes(before["inputs"], after["inputs"], ""))
        if before["protect"] != after["protect"]:
            fields.append(FieldChange("(protect)", before["protect"], after["protect"]))
        if fields:
            changed.append(ResourceChange(after, fields))
    return PlanDiff(
        added=[r for r in fresh if r["name"] not in replaced_names],
        removed=[r for r in gone if r["name"] not in replaced_names],
        replaced=replaced,
        changed=changed,
        old_count=len(old),
        new_count=len(new),
    )


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
        f"{len(diff.replaced)} to replace, {len(diff.changed)} to change** "
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
