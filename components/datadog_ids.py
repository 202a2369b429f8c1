"""Payloads that name other Datadog objects by id before those objects exist.

A composite monitor names its monitors by id, an SLO alert its SLO, an SLO widget the SLO it
shows; Datadog assigns the ids on creation. So the pure builders write a placeholder for each id
(`${monitor:latency}`, `${slo:availability}`: the kind and the role of the object within its
service), validate the payload with stand-in ids of the right shape, and the component that
registers it fills in the real ids from the objects' outputs.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

IdKind = Literal["monitor", "slo"]
_KINDS: Final[dict[str, IdKind]] = {"monitor": "monitor", "slo": "slo"}

_PLACEHOLDER: Final = re.compile(r"\$\{(monitor|slo):([a-z0-9]+(?:-[a-z0-9]+)*)\}")


@dataclass(frozen=True, order=True)
class IdRef:
    """The id of a service's monitor or SLO of `role`, as written into a payload."""

    kind: IdKind
    role: str

    def __str__(self) -> str:
        return f"${{{self.kind}:{self.role}}}"

    def stand_in(self) -> str:
        """An id of the form Datadog gives this kind, the same for the same reference."""
        return id_like(self.kind, str(self))


def id_like(kind: IdKind, seed: str) -> str:
    """An id of the form Datadog gives objects of `kind`, derived from `seed`: monitors have
    integer ids (the API's `id` is int64), SLOs 32 hexadecimal digits."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    if kind == "monitor":
        return str(int(digest[:12], 16) % 10**9 + 10**9)
    return digest[:32]


def id_refs(text: str) -> tuple[IdRef, ...]:
    """The references in `text`, each once, in order of appearance."""
    found = (IdRef(_KINDS[kind], role) for kind, role in _PLACEHOLDER.findall(text))
    return tuple(dict.fromkeys(found))


def fill_ids(text: str, ids: Mapping[IdRef, str]) -> str:
    """`text` with each reference replaced by its id in `ids` (ValueError for a missing one)."""

    def replace(found: re.Match[str]) -> str:
        ref = IdRef(_KINDS[found.group(1)], found.group(2))
        if ref not in ids:
            raise ValueError(f"no id for {ref}")
        return ids[ref]

    return _PLACEHOLDER.sub(replace, text)


def with_stand_ins(text: str) -> str:
    """`text` as a validator should see it: each reference replaced by its stand-in id."""
    return fill_ids(text, {ref: ref.stand_in() for ref in id_refs(text)})
