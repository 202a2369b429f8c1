"""Reading a stack's configuration into the validated model, with its secrets.

Every problem is reported as `<stack file>: <key path>: <what is wrong and what is allowed>`, all
of them at once, before a single resource is registered. Rules that need more than the model
(which monitors have data, what needs the Datadog keys) are the compile step's
(`stacks.program.compile`).
"""

import difflib
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, get_args, get_origin

import pulumi
import pulumi_aws as aws
import yaml
from pulumi.runtime import config as runtime_config
from pulumi_aws.config import vars as aws_config_vars
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from components.problems import Problem
from stacks.program.errors import NAMESPACE, StackConfigError, stack_file_name
from stacks.program.model import StackConfig
from stacks.program.model.types import STACK_RULE

API_KEY_CONFIG = "datadog:apiKey"
APP_KEY_CONFIG = "datadog:appKey"
PROJECT_DIR: Final = Path(__file__).resolve().parents[2]
"""Where Pulumi.yaml and the stack files are: `pulumi up` runs the program from here."""
# libyaml parses a catalog of hundreds of services in milliseconds where pure Python takes
# seconds; PyYAML's wheels bundle it, a source build may not.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class StackSecrets:
    """The stack's Datadog keys, as secret outputs; None when the stack file has none."""

    api_key: pulumi.Output[str] | None = None
    """`datadog:apiKey`."""
    app_key: pulumi.Output[str] | None = None
    """`datadog:appKey`: an application key allowed to manage monitors and dashboards."""


@dataclass(frozen=True)
class LoadedStack:
    """A validated stack configuration and the secrets that go with it."""

    config: StackConfig
    secrets: StackSecrets


def load_stack() -> LoadedStack:
    """Read and validate the running stack's configuration (raises StackConfigError)."""
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for full_key in sorted(_configured_keys()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        value = runtime_config.get_config(full_key)
        try:
            raw[key] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            problems.append(Problem(full_key, "must be an object or a list, not a string"))
    problems += _aws_key_problems(_configured_keys())
    try:
        config = parse_stack_config(raw)
    except StackConfigError as error:
        problems += error.problems
    else:
        problems += _cluster_region_problems(config, runtime_config.get_config("aws:region"))
        problems += sibling_service_problems(config, stack_file_name())
    if problems:
        raise StackConfigError(problems, stack_file_name())
    datadog = pulumi.Config("datadog")
    return LoadedStack(
        config, StackSecrets(datadog.get_secret("apiKey"), datadog.get_secret("appKey"))
    )


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the `observability:*` values (keys without the namespace)."""
    try:
        return StackConfig.model_validate(raw)
    except ValidationError as error:
        problems = [_problem(e) for e in error.errors(include_url=False)]
        raise StackConfigError(problems, stack_file_name()) from None


def sibling_service_problems(
    config: StackConfig, own_file: str, project_dir: Path = PROJECT_DIR
) -> list[Problem]:
    """A team stack's services whose names another team stack of the same platform uses.

    Datadog tells an environment's services apart by their `service` tag alone, so two stacks
    with one name would mix their traces, monitors and dashboards. The other team stacks are the
    stack files beside this one, read for their names only (never planned), in the offline plan
    and in `pulumi up` alike, which runs in a checkout of the repository: a change that brings a
    clash is refused in its pull request's preview, and a team stack kept in another repository
    is not seen.
    """
    platform = config.stack.platform
    if config.stack.role != "team" or platform is None:
        return []
    taken: dict[str, tuple[str, int]] = {}
    for other, index, name in _team_services(project_dir, platform, own_file):
        taken.setdefault(name, (other, index))
    problems = []
    for index, service in enumerate(config.services):
        if service.name in taken:
            other, at = taken[service.name]
            problems.append(
                Problem(
                    f"{NAMESPACE}:services[{index}].name",
                    f"{service.name!r} is already a service of {other} "
                    f"({NAMESPACE}:services[{at}]), another team stack of {platform}: Datadog "
                    "tells the services of an environment apart by their service tag alone",
                )
            )
    return problems


def _team_services(
    project_dir: Path, platform: str, own_file: str
) -> Iterator[tuple[str, int, str]]:
    """(stack file, index, name) of each service of the other team stacks of `platform`."""
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        if path.name == own_file:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            # Most stack files of a large organisation belong to other platforms: not parsed.
            if platform not in text:
                continue
            found = _scalars_at(text, _SIBLING_PATHS)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # a file that its own plan refuses
        role, their_platform = found.get(_ROLE), found.get(_PLATFORM)
        if role != "team" or their_platform != platform:
            continue
        names = [(int(at[2]), name) for at, name in found.items() if at[:2] == _SERVICES]
        yield from ((path.name, index, name) for index, name in sorted(names))


_ROLE: Final = ("config", f"{NAMESPACE}:stack", "role")
_PLATFORM: Final = ("config", f"{NAMESPACE}:stack", "platform")
_SERVICES: Final = ("config", f"{NAMESPACE}:services")
_SIBLING_PATHS: Final = (_ROLE, _PLATFORM, (*_SERVICES, "", "name"))
"""What the check reads of another stack file; "" stands for any index of a list."""


def _scalars_at(text: str, paths: Collection[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """The scalar values of a YAML document at `paths` (a list index as a string where the path
    has ""), from the parser's events: a third of the cost of building the document, which for a
    catalogue of hundreds of services in the files beside a stack was most of a small plan's."""
    found: dict[tuple[str, ...], str] = {}
    lengths = {len(path) for path in paths}
    # One entry per open collection: its path, and for a mapping the key awaiting its value (or
    # None when a key is next), for a list the index of the next item.
    stack: list[tuple[tuple[str, ...], str | int | None]] = []

    def path_of_next() -> tuple[str, ...] | None:
        if not stack:
            return ()
        path, slot = stack[-1]
        return None if slot is None else (*path, str(slot))

    def advance() -> None:
        if stack:
            path, slot = stack[-1]
            stack[-1] = (path, slot + 1 if isinstance(slot, int) else None)

    for event in yaml.parse(text, Loader=YAML_LOADER):
        if isinstance(event, yaml.ScalarEvent):
            path = path_of_next()
            if path is None:  # a mapping's key
                stack[-1] = (stack[-1][0], event.value)
                continue
            if len(path) in lengths and _matches(path, paths):
                found[path] = event.value
            advance()
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            path = path_of_next()
            if path is None:  # a complex key: not a stack file's
                raise yaml.YAMLError("a mapping key that is not a scalar")
            stack.append((path, None if isinstance(event, yaml.MappingStartEvent) else 0))
        elif isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
            advance()
        elif isinstance(event, yaml.AliasEvent):
            if path_of_next() is None:
                raise yaml.YAMLError("an alias as a mapping key")
            advance()
    return found


def _matches(path: tuple[str, ...], paths: Collection[tuple[str, ...]]) -> bool:
    return any(
        len(path) == len(pattern)
        and all(want in ("", got) for want, got in zip(pattern, path, strict=True))
        for pattern in paths
    )


def _aws_key_problems(keys: set[str]) -> list[Problem]:
    """`aws:*` keys the AWS provider does not know (it ignores them: a typo of aws:region leaves
    the stack without one), and a region that does not exist."""
    known = aws_config_keys()
    problems = []
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == "aws" and name not in known:
            problems.append(Problem(key, unknown_key_reason(name, known, "of the AWS provider")))
    region = runtime_config.get_config("aws:region")
    skip = str(runtime_config.get_config("aws:skipRegionValidation")).lower() == "true"
    regions = {region.value for region in aws.Region}
    if region is not None and region not in regions and not skip:
        problems.append(
            Problem(
                "aws:region",
                f"{region!r} is not an AWS region"
                + (f"; did you mean {closest}?" if (closest := _closest(region, regions)) else ""),
            )
        )
    return problems


MAX_LISTED_KEYS: Final = 10
"""Beyond this many, the allowed keys are not listed: the README's reference has them."""


def unknown_key_reason(name: str, allowed: Collection[str], of: str = "") -> str:
    """`unknown key; did you mean memory?`, or the allowed keys when they are few."""
    what = f"unknown key {of}".strip()
    closest = _closest(name, allowed)
    if closest is not None:
        return f"{what}; did you mean {closest}?"
    if len(allowed) <= MAX_LISTED_KEYS:
        return f"{what} (allowed: {', '.join(allowed)})"
    return (
        f"{what}; none of the {len(allowed)} keys allowed here is close (the README's "
        "configuration reference lists them)"
    )


def _closest(name: str, candidates: Collection[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if close:
        return close[0]
    return {candidate.lower(): candidate for candidate in candidates}.get(name.lower())


def aws_config_keys() -> frozenset[str]:
    """The keys of the AWS provider's `aws:` namespace, from the pinned SDK's own config."""
    names = [
        name
        for name, member in vars(aws_config_vars._ExportableConfig).items()
        if isinstance(member, property)
    ]
    return frozenset(to_camel(name) for name in names)


def _cluster_region_problems(config: StackConfig, region: str | None) -> list[Problem]:
    # ECS places a service in a cluster of the provider's region only.
    cluster = config.ecs.cluster_arn
    if cluster is None or region is None:
        return []
    cluster_region = cluster.split(":")[3]
    if cluster_region == region:
        return []
    return [
        Problem(
            f"{NAMESPACE}:ecs.clusterArn",
            f"a cluster in {cluster_region}, but the stack deploys to {region} (aws:region); "
            "ECS runs a service only in a cluster of its own region",
        )
    ]


def _configured_keys() -> set[str]:
    # pulumi.Config cannot list keys, and listing them is how unknown keys get rejected.
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def _path(loc: Sequence[int | str]) -> str:
    path = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _problem(error: Mapping[str, Any]) -> Problem:
    loc, _ = _resolve(error["loc"])
    kind, message, given = error["type"], error["msg"], error.get("input")
    # A value under env or secrets may be a credential pasted in the wrong place: never echoed.
    private = bool(_PRIVATE_KEYS & {part for part in loc if isinstance(part, str)})
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # The key that selects the variant (a custom monitor's `kind`) is missing or unknown.
        loc.append(error["ctx"]["discriminator"].strip("'"))
    if kind in ("missing", "union_tag_not_found"):
        text = "required key is missing"
    elif kind == "union_tag_invalid":
        text = (
            f"Input should be one of {error['ctx']['expected_tags']} (got {error['ctx']['tag']!r})"
        )
    elif kind == "extra_forbidden":
        _, parent = _resolve(error["loc"][:-1])
        allowed = _keys(parent) if parent is not None else []
        # Top-level keys are written with their namespace, and so are the allowed ones.
        name = _path(loc) if len(loc) == 1 else str(loc[-1])
        text = unknown_key_reason(name, allowed)
    elif kind == "value_error":
        text = message.removeprefix("Value error, ")
        if private and isinstance(given, str):
            text = text.replace(repr(given), "the value")
    elif kind in (STACK_RULE, "too_long", "too_short"):
        text = message  # the whole reason; a long list would only repeat itself
    elif private:
        text = f"{message} (got a {_yaml_kind(given)})"
    else:
        text = f"{message} ({_got(given, kind)})"
    return Problem(_path(loc), text)


_PRIVATE_KEYS: Final = frozenset({"env", "secrets"})


def _got(value: Any, kind: str) -> str:
    """What the stack file gave, with what YAML made of it when that surprises."""
    if isinstance(value, bool) and kind != "bool_type":
        advice = "; quote it to keep the text" if kind == "string_type" else ""
        return (
            f"got {str(value).lower()}: YAML reads true/false, yes/no and on/off as booleans"
            + advice
        )
    if isinstance(value, int | float) and kind == "string_type":
        return f"got the number {value!r}: quote the value as written, or YAML reads it as a number"
    return f"got {value!r}"


def _yaml_kind(value: Any) -> str:
    kinds = ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "list"))
    for python_type, name in kinds:
        if isinstance(value, python_type):
            return name
    return "mapping" if isinstance(value, dict) else "null"


def _resolve(loc: Sequence[int | str]) -> tuple[list[int | str], type[BaseModel] | None]:
    """`loc` with field names turned into the keys written in stack files, and the model at its end.

    pydantic reports most locations by alias but some (defaults it validates) by field name.
    """
    resolved: list[int | str] = []
    annotation: Any = StackConfig
    for part in loc:
        if part == "[key]":  # pydantic's marker for a dict key that failed; the key names it
            continue
        annotation = _unwrap(annotation)
        variant = _tagged_variant(annotation, part)
        if variant is not None:  # pydantic names the variant of a tagged union; files do not
            annotation = variant
        elif isinstance(part, int):
            annotation = get_args(annotation)[0] if get_args(annotation) else None
            resolved.append(part)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part)) or next(
                (f for f in annotation.model_fields.values() if f.alias == part), None
            )
            resolved.append(field.alias or part if field is not None else part)
            annotation = field.annotation if field is not None else None
        else:  # a key of a dict: kept as written, the value type follows
            resolved.append(part)
            annotation = get_args(annotation)[-1] if get_args(annotation) else None
    annotation = _unwrap(annotation)
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return resolved, annotation if is_model else None


def _tagged_variant(annotation: Any, tag: int | str) -> type[BaseModel] | None:
    """The model `tag` selects when `annotation` is a tagged union, such as a custom monitor's
    `kind`; None otherwise."""
    if get_origin(annotation) is not Annotated:
        return None
    union, *metadata = get_args(annotation)
    discriminator = next((m.discriminator for m in metadata if hasattr(m, "discriminator")), None)
    if not isinstance(discriminator, str):
        return None
    variants: tuple[type[BaseModel], ...] = get_args(union)
    for variant in variants:
        field = variant.model_fields.get(discriminator)
        if field is not None and tag in get_args(field.annotation):
            return variant
    return None


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in stack files (top-level keys with the namespace)."""
    keys = [field.alias or name for name, field in model.model_fields.items()]
    return [f"{NAMESPACE}:{key}" for key in keys] if model is StackConfig else keys


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    if get_origin(annotation) is None or get_origin(annotation) in (list, dict):
        return annotation
    members = [a for a in get_args(annotation) if a is not type(None)]
    return members[0] if len(members) == 1 else annotation
