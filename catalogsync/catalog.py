"""The backend-neutral catalog: kinds, references and resources.

Every backend's YAML format is validated by its own pydantic models and then turned into
these plain, immutable values. The planner, the plan, the applier and the renderers only
ever see `Resource`s, so they need no backend-specific branch.

Identity is the natural key, never a remote id:
- a product or a package is keyed by its name: ("Voice Minutes",);
- a package-product by its package and the path of product names from the top of that
  package down to it: ("Gold Plan", "Voice Minutes", "Voicemail") is the Voicemail
  package-product nested under Voice Minutes in Gold Plan.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from itertools import compress, groupby, repeat
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from catalogsync.errors import SourceLocation

# The values a managed field can hold once normalised: Decimal for money and quantities
# (never float), bool for flags, str for text and enum values, None for "cleared", and a
# tuple of str for a set of names (e.g. the currencies a package is sold in), kept sorted by
# the format that produces it so that equal sets compare equal.
Value = str | Decimal | bool | int | tuple[str, ...] | None


class Kind(StrEnum):
    """The kinds of catalog object, in dependency order."""

    PRODUCT = "product"
    PACKAGE = "package"
    PACKAGE_PRODUCT = "package_product"

    @property
    def plural(self) -> str:
        return f"{self.value}s"


#: What the billing system in use calls each kind (its catalog format's `kind_names`: some
#: systems call a product a "service"), for the messages that name a `Ref`; None: the
#: generic names. A context variable, so that a command speaks its project's words in every
#: message, including those made deep in the engine, and no other run's words leak in.
_KIND_WORDS: ContextVar[Mapping[Kind, str] | None] = ContextVar("kind_words", default=None)


@contextmanager
def kind_words_in_use(names: Mapping[Kind, str]) -> Iterator[None]:
    """Within this block, a `Ref` is named in these words (see `Ref.__str__`)."""
    token = _KIND_WORDS.set(names)
    try:
        yield
    finally:
        _KIND_WORDS.reset(token)


def use_kind_words(names: Mapping[Kind, str]) -> None:
    """Name refs in these words for the rest of the current context (a CLI command runs in a
    context of its own, `cli._CatalogSyncGroup.main`, so they end with it)."""
    _KIND_WORDS.set(names)


def kind_word(kind: Kind) -> str:
    """`package-product`, or the word of the billing system in use (`package service`)."""
    names = _KIND_WORDS.get()
    return names[kind] if names is not None else kind.value.replace("_", "-")


class Ref(NamedTuple):
    """The natural identity of a catalog object.

    A named tuple, not a dataclass: a plan hashes and compares refs a dozen times per
    object (indexes, sets, lookups), and a tuple's hash and equality run in C, where a
    dataclass's `__hash__`/`__eq__` were a Python call each (a quarter of planning a
    40,000-object no-op). Order and equality are the same: (kind, key).
    """

    kind: Kind
    key: tuple[str, ...]

    def __str__(self) -> str:
        """`package-product Gold Plan / Voice Minutes`, in the words in use (`kind_word`)."""
        return f"{kind_word(self.kind)} {self.label}"

    @property
    def label(self) -> str:
        """The key as people read it: `Gold Plan / Voice Minutes / Voicemail`."""
        return " / ".join(self.key)

    @property
    def name(self) -> str:
        """The object's own name (the last part of the key)."""
        return self.key[-1]

    @property
    def depth(self) -> int:
        """Nesting depth of a package-product (1 = top level); 0 for other kinds."""
        return len(self.key) - 1 if self.kind is Kind.PACKAGE_PRODUCT else 0

    @property
    def parent(self) -> Ref | None:
        """The enclosing package-product of a nested package-product."""
        if self.kind is Kind.PACKAGE_PRODUCT and len(self.key) > 2:
            return Ref(Kind.PACKAGE_PRODUCT, self.key[:-1])
        return None

    @property
    def package(self) -> Ref | None:
        """The package a package-product belongs to."""
        if self.kind is Kind.PACKAGE_PRODUCT:
            return Ref(Kind.PACKAGE, self.key[:1])
        return None

    @property
    def product(self) -> Ref | None:
        """The product a package-product brings into its package."""
        if self.kind is Kind.PACKAGE_PRODUCT:
            return Ref(Kind.PRODUCT, self.key[-1:])
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "key": list(self.key)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ref:
        return cls(Kind(data["kind"]), tuple(str(part) for part in data["key"]))


def ref_order(ref: Ref) -> tuple[Kind, tuple[str, ...]]:
    """A sort key ordering refs as `Ref`'s own comparison does, compared without a Python
    call per comparison (sorting 200,000 objects by `Ref.__lt__` costs about a second)."""
    return (ref.kind, ref.key)


# (Made in C by `_new_tuple`, `tuple.__new__` bound below, and the kinds looked up once:
# `Ref(...)` is the named tuple's Python `__new__`, and a member of an enum class a
# Python-level look-up; a catalog's reading makes one of these per object.)
_PRODUCT, _PACKAGE, _PACKAGE_PRODUCT = Kind.PRODUCT, Kind.PACKAGE, Kind.PACKAGE_PRODUCT


def product_ref(name: str) -> Ref:
    return _new_tuple(Ref, (_PRODUCT, (name,)))


def package_ref(name: str) -> Ref:
    return _new_tuple(Ref, (_PACKAGE, (name,)))


def package_product_ref(package: str, *product_path: str) -> Ref:
    return _new_tuple(Ref, (_PACKAGE_PRODUCT, (package, *product_path)))


def product_refs(names: Iterable[str]) -> Iterator[Ref]:
    """`product_ref` of each name, made in C."""
    return map(_new_tuple, repeat(Ref), zip(repeat(_PRODUCT), zip(names)))


def package_product_refs(packages: Iterable[str], products: Iterable[str]) -> Iterator[Ref]:
    """`package_product_ref(package, product)` of each pair, made in C."""
    keys = zip(packages, products, strict=True)
    return map(_new_tuple, repeat(Ref), zip(repeat(_PACKAGE_PRODUCT), keys))


def package_product_refs_keyed(keys: Iterable[tuple[str, ...]]) -> Iterator[Ref]:
    """`package_product_ref(*key)` of each whole key (package, then product path), in C."""
    return map(_new_tuple, repeat(Ref), zip(repeat(_PACKAGE_PRODUCT), keys))


def references(ref: Ref, linked: Iterable[Ref] = ()) -> tuple[Ref, ...]:
    """Every object `ref` needs to exist: those its key implies (package, product, parent)
    and those its fields link to (`linked`: what its catalog format's `linked_refs` finds)."""
    implied = [r for r in (ref.package, ref.product, ref.parent) if r is not None]
    return tuple(dict.fromkeys([*implied, *linked]))


def canonical_value(value: Value) -> Any:
    """A value as JSON, in one spelling per value, for hashing: equal values hash equal.

    A Decimal is written without trailing zeros, so a rate re-saved as `1.00` in the
    billing UI is the same value as `1`; a tuple of names as its text.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    return str(value)


_KIND, _REF_OF = attrgetter("kind"), attrgetter("ref")


_KEY, _FIRST, _LAST = attrgetter("key"), itemgetter(0), itemgetter(-1)
_PARENT = itemgetter(slice(None, -1))  # a nested item's key → its parent's


def key_needs_met(refs: Iterable[Ref]) -> bool:
    """Whether every key-implied dependency of these refs is among them (each
    package-product's package, product and, nested, parent: `Resource.dependencies` less
    `requires`), told as sets of names in C rather than a `Ref` per need. False too for a
    key of a shape no catalog holds: the caller's own walk then decides."""
    keys: dict[Kind, list[tuple[str, ...]]] = {kind: [] for kind in Kind}
    for kind, same_kind in groupby(refs, _KIND):  # (in ref order: each kind's together)
        keys[kind].extend(map(_KEY, same_kind))
    items, packages, products = keys[Kind.PACKAGE_PRODUCT], keys[Kind.PACKAGE], keys[Kind.PRODUCT]
    depths = set(map(len, items))
    # (a product's or a package's key is its one name: compared as names, not 1-tuples)
    if 0 in depths or not set(map(len, packages)).union(map(len, products)) <= {1}:
        return False
    # Only the names are hashed (each caches its hash), not a tuple per key; the items'
    # keys only when some item is nested (its parent among them).
    if not (
        set(map(_FIRST, packages)).issuperset(map(_FIRST, items))
        and set(map(_FIRST, products)).issuperset(map(_LAST, items))
    ):
        return False
    if max(depths, default=0) <= 2:
        return True
    nested = compress(items, map((2).__lt__, map(len, items)))
    parents = set(map(_PARENT, nested))
    return len(parents.intersection(items)) == len(parents)


def count_by_kind(refs: Iterable[Ref]) -> dict[Kind, int]:
    """How many of each kind (every kind present, zero when none)."""
    counted = Counter(map(_KIND, refs))  # counted in C
    return {kind: counted[kind] for kind in Kind}


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)  # slots: ~40% less memory per resource
class Resource:
    """One desired catalog object, as declared in YAML.

    `fields` holds only the fields the YAML declares (normalised), because only declared
    fields are managed. `requires` lists the other objects this one needs to exist first
    beyond those implied by its key (package, product, parent): e.g. a linked package.
    """

    ref: Ref
    fields: Mapping[str, Value] = field(default_factory=dict)
    requires: tuple[Ref, ...] = ()
    renamed_from: tuple[str, ...] = ()
    protect: bool = False
    location: SourceLocation | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))

    def dependencies(self) -> tuple[Ref, ...]:
        """Every object that must exist before this one: key-implied and declared.

        (The key-implied refs are made in C, as `package_ref` and the others make them: a
        cold plan asks this of every object, 205,000 at L. Implied refs are of distinct
        kinds, so only declared ones can repeat one.)"""
        kind, key = self.ref
        if kind is _PACKAGE_PRODUCT:
            implied: tuple[Ref, ...] = (
                _new_tuple(Ref, (_PACKAGE, key[:1])),
                _new_tuple(Ref, (_PRODUCT, key[-1:])),
            )
            if len(key) > 2:
                implied += (_new_tuple(Ref, (_PACKAGE_PRODUCT, key[:-1])),)
        else:
            implied = ()
        if not self.requires:
            return implied
        return tuple(dict.fromkeys([*implied, *self.requires]))


@dataclass(frozen=True)
class Catalog:
    """The desired catalog: resources in a stable order (kind, then key)."""

    resources: tuple[Resource, ...] = ()
    # The content digest, once known (catalogsync.catalog_digest computes it; the catalog
    # cache keeps it with its entry): not part of the catalog's value.
    known_digest: str | None = field(default=None, compare=False, repr=False)
    # Where the digest comes from when it is still being made elsewhere (the forked child
    # that loaded the catalog: `catalog_cache.loaded_beside`); None when it cannot tell,
    # and `catalog_digest` then computes it here.
    digest_later: Callable[[], str | None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.resources, key=lambda r: ref_order(r.ref)))
        object.__setattr__(self, "resources", ordered)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def of_kind(self, kind: Kind) -> Iterable[Resource]:
        return (r for r in self.resources if r.ref.kind is kind)

    def by_ref(self) -> dict[Ref, Resource]:
        """Each resource under its ref (the later one where a ref is declared twice), made
        in C."""
        return dict(zip(map(_REF_OF, self.resources), self.resources, strict=True))

    def count(self) -> dict[Kind, int]:
        return count_by_kind(r.ref for r in self.resources)

    @classmethod
    def restored(
        cls,
        resources: tuple[Resource, ...],
        known_digest: str | None,
        digest_later: Callable[[], str | None] | None = None,
    ) -> Catalog:
        """The catalog of these resources, already in catalog order: a catalog's own,
        read back (the catalog cache's), so they are not sorted again."""
        catalog = object.__new__(cls)
        object.__setattr__(catalog, "resources", resources)
        object.__setattr__(catalog, "known_digest", known_digest)
        object.__setattr__(catalog, "digest_later", digest_later)
        return catalog


# --- making many values at once, from parts already in their final form -------------------
#
# Reading a large catalog back from its cache is mostly making its values: `Resource(...)`
# runs a generated `__init__` (one `object.__setattr__` per field), `__post_init__` (a
# copy of the fields into a read-only view), and `Ref(...)` and `SourceLocation(...)` are
# Python calls too: ~3.5 us a resource. Parts that came from such values need none of that
# (they are already normalised, sorted and owned), so these make the values a column at a
# time with C-level calls only (`map` over a type's own slot setters), a fraction of it.

_T = TypeVar("_T")
_new_tuple = tuple.__new__


def _made_without_init(cls: type[_T], columns: Mapping[str, Sequence[Any]]) -> list[_T]:
    """Instances of slotted `cls`, the i-th with each slot set to its column's i-th value,
    without calling `cls.__init__` (nor a frozen class's `__setattr__`). Every slot must have
    a column and every column the same length, so no instance is left half made."""
    slots = getattr(cls, "__slots__", ())
    if sorted(columns) != sorted(slots):
        raise ValueError(f"{cls.__name__} has slots {slots}, not {tuple(columns)}")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"{cls.__name__} columns of different lengths: {sorted(lengths)}")
    made = list(map(object.__new__, repeat(cls, lengths.pop() if lengths else 0)))
    for name, values in columns.items():
        deque(map(getattr(cls, name).__set__, made, values), maxlen=0)
    return made


def restored_refs(kinds: Sequence[Kind], keys: Sequence[tuple[str, ...]]) -> list[Ref]:
    """`Ref(kind, key)` for each pair, made in C."""
    return list(map(_new_tuple, repeat(Ref), zip(kinds, keys, strict=True)))


def restored_locations(
    places: Sequence[tuple[str, int, int] | None],
) -> list[SourceLocation | None]:
    """`SourceLocation(path, line, column)` for each place given, None where none is."""
    given = [place for place in places if place is not None]
    paths, lines, columns = zip(*given, strict=True) if given else ((), (), ())
    made = _made_without_init(SourceLocation, {"path": paths, "line": lines, "column": columns})
    if len(made) == len(places):
        return list(made)
    each = iter(made)
    return [next(each) if place is not None else None for place in places]


def made_locations(path: str, lines: Sequence[int], columns: Sequence[int]) -> list[SourceLocation]:
    """`SourceLocation(path, line, column)` for each line and column, made in C."""
    paths = [path] * len(lines)
    return _made_without_init(SourceLocation, {"path": paths, "line": lines, "column": columns})


def restored_resources(
    refs: Sequence[Ref],
    fields: Sequence[dict[str, Value]],
    requires: Sequence[tuple[Ref, ...]],
    renamed_from: Sequence[tuple[str, ...]],
    protect: Sequence[bool],
    locations: Sequence[SourceLocation | None],
) -> list[Resource]:
    """The resources `Resource(ref, fields, requires, renamed_from, protect, location)`
    makes, column by column, from parts already as a resource holds them. Each `fields`
    dict becomes its resource's own (behind a read-only view, not copied): the caller
    must hold no other reference to it."""
    return _made_without_init(
        Resource,
        {
            "ref": refs,
            "fields": list(map(MappingProxyType, fields)),
            "requires": requires,
            "renamed_from": renamed_from,
            "protect": protect,
            "location": locations,
        },
    )


# One resource at a time, for a reader that makes each resource's parts itself (a YAML
# file's package items are made depth first, each beside its children): the same C-level
# slot setters as `_made_without_init`, bound once. `Resource(...)` costs ~5 us on this
# machine's Python (its generated `__init__`, six `object.__setattr__`, `__post_init__`'s
# copy) and a `Ref(...)` another ~1-3 us (the named tuple's Python `__new__`); an M
# export's proof and an uncached M load make 41,000 of each.
_RESOURCE_SLOTS = tuple(
    getattr(Resource, name).__set__
    for name in ("ref", "fields", "requires", "renamed_from", "protect", "location")
)


def owned_resource(
    ref: Ref,
    fields: dict[str, Value],
    requires: tuple[Ref, ...] = (),
    renamed_from: tuple[str, ...] = (),
    protect: bool = False,
    location: SourceLocation | None = None,
) -> Resource:
    """`Resource(ref, fields, requires, renamed_from, protect, location)` for a `fields`
    dict made for it and handed over: it becomes the resource's own, behind its read-only
    view, not copied (the caller keeps no other reference to it). The arguments must be
    what a resource holds (`Resource`'s own types, as `restored_resources` asks)."""
    resource: Resource = object.__new__(Resource)
    set_ref, set_fields, set_requires, set_renamed, set_protect, set_location = _RESOURCE_SLOTS
    set_ref(resource, ref)
    set_fields(resource, MappingProxyType(fields))
    set_requires(resource, requires)
    set_renamed(resource, renamed_from)
    set_protect(resource, protect)
    set_location(resource, location)
    return resource


def made_ref(kind: Kind, key: tuple[str, ...]) -> Ref:
    """`Ref(kind, key)`, made in C (`key` already a tuple of str)."""
    return _new_tuple(Ref, (kind, key))
