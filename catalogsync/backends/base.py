"""What a billing-system backend provides to the core: the live catalog and writes.

The core (planner, applier, CLI) talks to backends only through `Backend`; backends are
found by name through `catalogsync.registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from catalogsync.catalog import Kind, Ref, Value, canonical_value, count_by_kind
from catalogsync.doctor import Finding
from catalogsync.plan import Change, digest
from catalogsync.report import ChangeResult


@dataclass(frozen=True)
class LiveResource:
    """One object as it is in the billing system, in the catalog's vocabulary.

    `fields` carries every managed field the backend reads (normalised like the catalog:
    Decimal, bool, str, None for empty), so the planner can compare any declared field.
    """

    ref: Ref
    remote_id: str
    fields: Mapping[str, Value] = field(default_factory=dict)
    updated_at: str | None = None
    updated_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @property
    def fingerprint(self) -> str:
        """A hash of the normalised live record: any edit to it changes the fingerprint,
        while a new spelling of the same value (`1` re-saved as `1.00`) does not."""
        fields = {key: canonical_value(value) for key, value in sorted(self.fields.items())}
        return digest({"ref": self.ref.to_json(), "id": self.remote_id, "fields": fields})


@dataclass(frozen=True)
class LiveCatalog:
    """The billing system's catalog, as fetched."""

    resources: tuple[LiveResource, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.resources, key=lambda r: (r.ref, r.remote_id)))
        object.__setattr__(self, "resources", ordered)

    def __iter__(self) -> Iterator[LiveResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def by_ref(self) -> dict[Ref, LiveResource]:
        return {r.ref: r for r in self.resources}

    def count(self) -> dict[Kind, int]:
        return count_by_kind(r.ref for r in self.resources)


@dataclass(frozen=True)
class LookupTable:
    """A live lookup table that catalog values name (rating methods, currencies, ...).

    `label` is how messages call one of its names (`rating_method`, `currency code`);
    `name_of` turns a catalog value into the name to look up (`3 Month` → `Month`).
    """

    label: str
    names: frozenset[str]
    name_of: Callable[[str], str] = str

    def unknown(self, value: str) -> str | None:
        """The name `value` refers to when the table lacks it, else None."""
        name = self.name_of(value)
        return None if name in self.names else name


LookupField = tuple[Kind, str]  # (kind, catalog field) whose values name lookup rows


# Called with (done, total) as a long fetch or apply progresses.
Progress = Callable[[int, int], None]


class Backend(ABC):
    """A billing system reached through its API.

    Implementers must:
    - read the whole catalog in as few requests as the API allows (`fetch_live`);
    - write one wave of changes (`apply_wave`), batching records of one entity and running
      batches concurrently, returning exactly one ChangeResult per change, in any order;
    - resolve references to objects by name through `ids` (remote ids known so far,
      including those created in earlier waves of the same apply);
    - never duplicate an object when a write is retried, and never raise for a per-record
      failure (report it in the ChangeResult); raise BackendError only when nothing in
      the wave could be trusted (e.g. authentication failed).
    """

    name: str

    @abstractmethod
    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        """The live catalog."""

    @abstractmethod
    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str]
    ) -> list[ChangeResult]:
        """Execute one wave of changes."""

    async def lookup_tables(
        self, fields: Collection[LookupField]
    ) -> dict[LookupField, LookupTable]:
        """The live lookup tables behind those of `fields` that name lookup rows (a field
        that is not a lookup is left out). Read only when asked, at most once a run."""
        return {}

    async def doctor_checks(self, *, write_probe: bool) -> list[Finding]:
        """What `catalogsync doctor` checks beyond the shared checks: the behaviours the
        ledger could not settle. With `write_probe`, it may create, change and delete
        disposable `catalogsync-probe-<random>` objects, and must always clean them up."""
        return []

    def stats(self) -> dict[str, Any]:
        """Request counts and timings, for --stats."""
        return {}

    async def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections."""
