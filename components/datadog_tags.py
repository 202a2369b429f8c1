"""AWS tags as Datadog tags.

Datadog's rules ("Getting Started with Tags", docs.datadoghq.com/getting_started/tagging): a tag
starts with a letter, holds letters, digits and `_-:./` (Datadog turns anything else into an
underscore), and is at most 200 characters. `host`, `device`, `source`, `service`, `env` and
`version` are reserved keys: a stack-wide `version:` tag would contradict DD_VERSION.
"""

import re
from typing import Final

MAX_TAG_LENGTH: Final = 200
RESERVED_TAG_KEYS: Final = frozenset({"host", "device", "source", "service", "env", "version"})

# AWS tag keys and values may hold spaces and `=+@` (the AWS tagging rules), which Datadog does
# not keep; a space would also split the tag in two in DD_TAGS, which is space-separated.
_NOT_IN_A_TAG: Final = re.compile(r"[^\w\-:./]")


def datadog_tag(key: str, value: str) -> str:
    """`key:value` with the characters Datadog would replace already replaced."""
    return _NOT_IN_A_TAG.sub("_", f"{key}:{value}" if value else key)


def datadog_tag_problem(key: str, value: str) -> str | None:
    """Why an AWS tag cannot also be a Datadog tag; None when it can."""
    if not key[:1].isalpha():
        return f"{key!r} does not start with a letter, as Datadog tags must"
    if key.lower() in RESERVED_TAG_KEYS:
        return (
            f"{key} is a tag key Datadog reserves (unified service tagging and hosts); the "
            "project sets env, service and version itself"
        )
    tag = datadog_tag(key, value)
    if len(tag) > MAX_TAG_LENGTH:
        return f"{len(tag)} characters as a Datadog tag; Datadog keeps at most {MAX_TAG_LENGTH}"
    return None
