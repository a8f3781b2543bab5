"""The live catalog: what a backend reads from the billing system, in the catalog's words.

Engine types of the core (planner, applier, drift, export all read them); a backend builds
them, so they live here rather than in any backend package.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice, repeat
from operator import attrgetter, eq, lt
from types import MappingProxyType
from typing import NamedTuple

from catalogsync.catalog import Kind, Ref, Value, canonical_value
from catalogsync.plan import digest


class _LiveValues(NamedTuple):
    """A `LiveResource`'s values, in order."""

    ref: Ref
    remote_id: str
    fields: Mapping[str, Value]
    updated_at: str | None
    updated_by: str | None


class LiveResource(_LiveValues):
    """One object as it is in the billing system, in the catalog's vocabulary.

    `fields` carries every managed field the backend reads (normalised like the catalog:
    Decimal, bool, str, None for empty), so the planner can compare any declared field.

    A named tuple, read and compared as the frozen dataclass it was: a read makes one per
    live record (205,000 at L), and a tuple is made in C (`made`, `adopting`), where the
    dataclass took a Python call and five slot setters each (~1 us).
    """

    __slots__ = ()

    def __new__(
        cls,
        ref: Ref,
        remote_id: str,
        fields: Mapping[str, Value] | None = None,
        updated_at: str | None = None,
        updated_by: str | None = None,
    ) -> LiveResource:
        view = MappingProxyType(dict(fields or {}))
        return _new_tuple(cls, (ref, remote_id, view, updated_at, updated_by))

    @classmethod
    def adopting(
        cls,
        ref: Ref,
        remote_id: str,
        fields: dict[str, Value],
        updated_at: str | None = None,
        updated_by: str | None = None,
    ) -> LiveResource:
        """A resource that takes `fields` as its own, a dict nobody else holds: without the
        copy `__new__` makes, for a backend that builds tens of thousands from a read."""
        return _new_tuple(cls, (ref, remote_id, MappingProxyType(fields), updated_at, updated_by))

    @classmethod
    def made(
        cls,
        refs: Iterable[Ref],
        remote_ids: Iterable[str],
        fields: Iterable[MappingProxyType[str, Value]],
        updated_at: Iterable[str | None],
        updated_by: Iterable[str | None] | None = None,
    ) -> list[LiveResource]:
        """Resources of each ref, remote id, fields, `updated_at` and `updated_by` (None
        when not given) in turn, made in C. Each `fields` is kept as it is: a read-only
        view of a dict nobody changes, which several resources may share (a large read's
        package services hold a few hundred distinct field values between 150,000)."""
        values: Iterator[tuple[Ref, str, Mapping[str, Value], str | None, str | None]]
        if updated_by is None:  # (not strict: `repeat` is endless)
            values = zip(refs, remote_ids, fields, updated_at, repeat(None), strict=False)
        else:
            values = zip(refs, remote_ids, fields, updated_at, updated_by, strict=True)
        return list(map(_new_tuple, repeat(cls), values))

    @property
    def fingerprint(self) -> str:
        """A hash of the normalised live record: any edit to it changes the fingerprint,
        while a new spelling of the same value (`1` re-saved as `1.00`) does not."""
        fields = {key: canonical_value(value) for key, value in sorted(self.fields.items())}
        return digest({"ref": self.ref.to_json(), "id": self.remote_id, "fields": fields})


_new_tuple = tuple.__new__


_BY_REF_AND_ID = attrgetter("ref", "remote_id")
#: A resource's ref, as a C-level callable (`map(ref_of, live)`: no Python call per record).
ref_of = attrgetter("ref")
_KIND_OF = attrgetter("ref.kind")


def in_ref_order(resources: Sequence[LiveResource]) -> bool:
    """Whether each resource's ref comes before the next one's: sorted, none held twice
    (one pass in C, stopping at the first that does not)."""
    return all(map(lt, map(ref_of, resources), map(ref_of, islice(resources, 1, None))))


@dataclass(frozen=True)
class LiveCatalog:
    """The billing system's catalog, as fetched."""

    resources: tuple[LiveResource, ...] = ()
    #: Whether no ref is held by two records: told as the catalog is sorted (in its order
    #: the records of one key are neighbours, each compared with the next in C: no key
    #: hashed; building `keyed` for it was ~0.15 s at L).
    distinct_keys: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # By (ref, remote_id): a Ref is a (kind, key) tuple, so this orders as
        # (*ref_order(ref), remote_id) with the key built and compared in C. Sorted by the
        # ref alone first (no (ref, remote_id) tuple made per record: at L ~0.42 -> ~0.27 s
        # of CPU, every read); the records of a ref held twice are then neighbours, and
        # only then is the whole sorted again by (ref, remote_id), as before (stable both
        # times: records alike in both keep their given order either way).
        # A read given in that order already (a backend that sorts each kind while the
        # rest of its read is on the wire) is told so in one pass: each ref
        # before the next, so sorted and no ref held twice (at L ~0.04 s, where sorting
        # the sorted records and comparing their neighbours was ~0.1 s). Any other read
        # stops at its first record out of order.
        given = self.resources
        if in_ref_order(given):
            object.__setattr__(self, "resources", tuple(given))
            object.__setattr__(self, "distinct_keys", True)
            return
        ordered = sorted(given, key=ref_of)
        refs = list(map(ref_of, ordered))
        distinct = not any(map(eq, refs, islice(refs, 1, None)))
        if not distinct:
            ordered.sort(key=_BY_REF_AND_ID)
        object.__setattr__(self, "resources", tuple(ordered))
        object.__setattr__(self, "distinct_keys", distinct)

    @classmethod
    def in_order(cls, resources: tuple[LiveResource, ...]) -> LiveCatalog:
        """The catalog of `resources` that its maker has told are in its order already,
        each ref before the next (`in_ref_order`: sorted, no ref held twice), not told
        again: a backend that sorted and compared each kind while the rest of its read was
        on the wire (at L ~0.04 s less after the last answer)."""
        made = cls.__new__(cls)
        object.__setattr__(made, "resources", resources)
        object.__setattr__(made, "distinct_keys", True)
        return made

    def __iter__(self) -> Iterator[LiveResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def by_ref(self) -> dict[Ref, LiveResource]:
        return {r.ref: r for r in self.resources}

    @cached_property
    def keyed(self) -> Mapping[Ref, LiveResource]:
        """Each record under its ref (the later one where a ref is held twice: then fewer
        entries than records), built once, in C, for the duplicate-key check, the planner
        and drift alike: each is a pass over every record's key (~0.1 s at L)."""
        return dict(zip(map(ref_of, self.resources), self.resources, strict=True))

    def of_kind(self, kind: Kind) -> Sequence[LiveResource]:
        """The records of `kind` (neighbours in the catalog's order: two bisections)."""
        return self.resources[slice(*self._span(kind))]

    def count(self) -> dict[Kind, int]:
        """How many records of each kind (`count_by_kind`'s answer). In the catalog's order
        the records of a kind are neighbours: two bisections a kind, not a look at each
        record (~0.05 s at L)."""
        return {kind: end - start for kind in Kind for start, end in [self._span(kind)]}

    def _span(self, kind: Kind) -> tuple[int, int]:
        """Where the records of `kind` start and end in the catalog's order."""
        resources = self.resources
        start = bisect_left(resources, kind, key=_KIND_OF)
        return start, bisect_right(resources, kind, lo=start, key=_KIND_OF)


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
