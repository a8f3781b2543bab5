"""build_plan(): desired catalog + live catalog → Plan. Pure: no I/O, deterministic.

- Objects are matched by natural key; a declared rename (`renamed_from`) matches the live
  object under its old name, and the keys of the live package-products below it follow
  (so do the link fields naming it). Where two live records share a key, the lowest id is
  the one the key names (`index_live`; the applier and drift make the same choice).
- Only declared fields are compared (minus `ignore` rules); records are compared with `==`
  first and only unequal ones are diffed field by field.
- Live objects that are not declared are *unmanaged* and left alone, unless a `prune` rule
  covers them (judged on their keys after this plan's renames): then they are deleted,
  children first. Deleting a package takes its package-products with it (they are listed
  as deletes of their own). Deleting what an object that stays uses (its product, or the
  package or package-product it links) is refused.
- Changes are ordered in waves: an object is created after what it needs is created;
  deletes come last, every user (child, linking package-product) before what it uses.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, eq, le, methodcaller, ne, not_
from types import MappingProxyType
from typing import Any

from catalogsync.catalog import (
    Catalog,
    Kind,
    Ref,
    Resource,
    Value,
    references,
)
from catalogsync.catalog_digest import catalog_digest
from catalogsync.catalog_format import CatalogFormat
from catalogsync.config import IgnoreRule, ObjectRule
from catalogsync.diffing import field_changes
from catalogsync.errors import PlanError
from catalogsync.live import LiveCatalog, LiveResource, ref_of
from catalogsync.plan import Action, Change, FieldChange, Plan
from catalogsync.registry import backend_names, get_format


@dataclass(frozen=True)
class PlanOptions:
    """What the planner needs beyond the two catalogs."""

    backend: str
    target: str = "local"
    target_url: str = ""
    prune: tuple[ObjectRule, ...] = ()
    ignore: tuple[IgnoreRule, ...] = ()

    @cached_property  # asked once per planned object
    def catalog_format(self) -> CatalogFormat | None:
        """The backend's catalog format (its link fields), or None for a backend the registry
        does not know (the tests' in-memory ones: no links)."""
        return get_format(self.backend) if self.backend in backend_names() else None


def build_plan(desired: Catalog, live: LiveCatalog, options: PlanOptions) -> Plan:
    """The changes that make `live` match `desired` (see the module docstring)."""
    renames = _renames(desired, live)
    deletes: list[Change] = []
    unmanaged: list[Ref] = []
    paired = None if any(renames.values()) else _paired(desired, live)
    if paired is not None:
        # Each declared object live under its key, one record each, and nothing else live
        # (a catalog in sync, or nearly): no index of either catalog is needed (hashing
        # every key of both was ~0.4 s at L), and `_order` reads only the changed ones.
        declared: dict[Ref, Resource] = {}
        changes, _ = _upserts_of(desired.resources, paired, options, renames, declared)
    else:
        index = index_live(live, renames)
        declared = desired.by_ref()
        changes, matched = _upserts_matched(desired, index, options, renames)
        # Every live key declared (nothing unmanaged, nearly always: each declared key is
        # one, so `matched` counts distinct live keys) is told without looking every live
        # key up again; otherwise `_deletes` says what is pruned and what is unmanaged.
        if index.duplicates or len(declared) != len(desired) or matched != len(index.by_key):
            deletes, unmanaged = _deletes(index, declared, options, renames)
    ordered = _order(changes, deletes, declared)
    return Plan(
        backend=options.backend,
        target=options.target,
        target_url=options.target_url,
        # Asked for last: a catalog just loaded by a forked child may still be hashed
        # there (`catalog_cache.loaded_beside`).
        catalog_digest=catalog_digest(desired),
        changes=ordered,
        unmanaged=tuple(sorted(unmanaged)),
        live_counts=live.count(),
    )


def upserts(desired: Catalog, live: LiveCatalog, options: PlanOptions) -> list[Change]:
    """`build_plan`'s creates and updates (renames included), in the catalog's order, without
    the plan around them: what `export` checks of the files it wrote (the plan's digest of
    the whole catalog and its ordering would be most of the cost)."""
    return upsert_check(desired, live, options)(desired)


class UpsertCheck:
    """`upserts` told part by part (see `upsert_check`)."""

    __slots__ = ("_index", "_live", "options", "plain", "renames")

    def __init__(self, live: LiveCatalog, options: PlanOptions, renames: Renames) -> None:
        self._live, self.options, self.renames = live, options, renames
        self._index: LiveIndex | None = None
        # Every live record under its own key, each key once: a key's record is the one
        # live record that has it (the index would hold no duplicate).
        self.plain = live.distinct_keys and not any(renames.values())

    @property
    def index(self) -> LiveIndex:
        """The live index (`index_live`), made when first asked for: an export's proof
        where `plain` never asks (at L its keys' dict was ~0.1 s before the fork)."""
        if self._index is None:
            self._index = index_live(self._live, self.renames)
        return self._index

    def __call__(
        self, part: Iterable[Resource], records: Sequence[LiveResource] | None = None
    ) -> list[Change]:
        """The creates and updates of `part`, some of `desired`'s resources. `records`, when
        the caller holds them: the live record that has each one's key, in the same order
        (an export's proof has each file's). Taken as they are where every live record
        is under its own key, each key once (then that record is the one the index would
        find, without hashing 205,000 keys at L); looked up otherwise."""
        if records is None or not self.plain:
            return _upserts(part, self.index, self.options, self.renames)
        resources = list(part)
        if len(resources) != len(records):
            raise ValueError("a record is needed for each resource")
        return _upserts_of(resources, records, self.options, self.renames, plain=True)[0]


def upsert_check(
    desired: Iterable[Resource], live: LiveCatalog, options: PlanOptions
) -> UpsertCheck:
    """`upserts` told part by part: called with some of `desired`'s resources, their creates
    and updates (the renames and the live index are the whole catalog's, made here once).
    `desired` is iterated more than once."""
    renames = _renames(desired, live)
    return UpsertCheck(live, options, renames)


def _upserts(
    desired: Iterable[Resource], index: LiveIndex, options: PlanOptions, renames: Renames
) -> list[Change]:
    return _upserts_matched(desired, index, options, renames)[0]


def _upserts_matched(
    desired: Iterable[Resource], index: LiveIndex, options: PlanOptions, renames: Renames
) -> tuple[list[Change], int]:
    """`_upserts`, and how many of `desired` have a live record under their key."""
    resources = list(desired)
    found = list(map(index.by_key.get, map(_REF, resources), repeat(_ABSENT)))
    return _upserts_of(resources, found, options, renames)


def _paired(desired: Catalog, live: LiveCatalog) -> Sequence[LiveResource] | None:
    """The live record of each of `desired`'s objects, in its order, when both catalogs
    hold the same keys, each once: then they are in the same order (both by key), and
    each compared with its counterpart in C tells it, without hashing a key. None when
    not (a create, a delete, an unmanaged record, a key held twice, renames aside)."""
    if len(desired) != len(live) or not live.distinct_keys:
        return None
    if not all(map(eq, map(_REF, desired.resources), map(_REF, live.resources))):
        return None
    return live.resources


def _upserts_of(
    resources: Sequence[Resource],
    found: Sequence[LiveResource],
    options: PlanOptions,
    renames: Renames,
    made_by: dict[Ref, Resource] | None = None,
    *,
    plain: bool = False,
) -> tuple[list[Change], int]:
    """The creates and updates of `resources`, each beside its live record (`_ABSENT`
    for none), in their order, and how many have one; `made_by` is given each change's
    resource under its ref. `plain`: `renames` renames nothing (`UpsertCheck.plain`, told
    once for every file of an export's proof, not asked again per file)."""
    # The common case of a large plan, told in C for every object at once (`map`, no
    # Python call per object): the record is live under the declared key and holds every
    # declared field with an equal value (dict views: values compare with `==`, as in
    # `_upsert`); `_ABSENT` where no record is live, never alike. Any other object is
    # `_upsert`'s to decide (a declared None the record lacks, ignored fields, renames),
    # in the catalog's order. Without renames a record is found under its own ref.
    alike: Iterable[bool]
    pairs: Iterable[tuple[Resource, LiveResource]] = zip(resources, found, strict=True)
    if plain:
        pairs, alike = _unlike(resources, found)
    elif links_follow(renames, options.catalog_format):
        alike = repeat(False)  # every live link field is followed through the renames
    elif any(renames.values()):  # a record may be indexed under its new key
        alike = [
            record is not _ABSENT
            and record.ref.key == resource.ref.key
            and resource.fields.items() <= record.fields.items()
            for resource, record in zip(resources, found, strict=True)
        ]
    else:
        pairs, alike = _unlike(resources, found)
    changes = []
    matched = len(found)
    created = _Creates()
    for resource, record in compress(pairs, map(not_, alike)):
        live = None if record is _ABSENT else record
        matched -= live is None
        change = _upsert(resource, live, options, renames, created)
        if change is not None:
            changes.append(change)
            if made_by is not None:
                made_by[change.ref] = resource
    return changes, matched


def _unlike(
    resources: Sequence[Resource], found: Sequence[LiveResource]
) -> tuple[Iterable[tuple[Resource, LiveResource]], Iterable[bool]]:
    """The pairs of `resources` and `found` (their live records, in order) that may differ,
    and whether each holds every declared field with an equal value (`<=` of the items
    views, in C), where no renames apply: `_upserts_of`'s common case.

    Where a sample pair's mappings are equal (a backend whose package-products declare
    every field their records hold), the pairs are first told by `!=` of their mappings, a
    C call each: equal mappings hold each other's items, so those pairs are alike, and only
    the others are asked for their items (which makes a view and a `(key, value)` tuple per
    field: ~0.65 us an object against ~0.2 in an export's proof at L). Where the sample
    differs (records holding fields the file leaves out as empty) every pair is asked, as
    before: `!=` would be a second test of nearly every pair. Either way the pairs
    `_upsert` is asked about are the same, in the same order."""
    declared: Iterable[Mapping[str, Value]] = map(_FIELDS, resources)
    live: Iterable[Mapping[str, Value]] = map(_FIELDS, found)
    pairs: Iterable[tuple[Resource, LiveResource]] = zip(resources, found, strict=True)
    middle = len(resources) // 2
    if (
        len(resources) == len(found)
        and resources
        and _FIELDS(resources[middle]) == _FIELDS(found[middle])
    ):
        declared, live = list(declared), list(live)
        unequal = list(map(ne, declared, live))
        pairs = compress(pairs, unequal)
        declared, live = compress(declared, unequal), compress(live, unequal)
    return pairs, map(le, map(_ITEMS, declared), map(_ITEMS, live))


class _Absent:
    """The record of a key no live record holds, for `_upserts_matched`'s pass in C: its
    fields are no declared fields' superset (not even of none: the object is a create)."""

    __slots__ = ()

    @property
    def fields(self) -> _Absent:
        return self

    def items(self) -> _Absent:
        return self

    def __ge__(self, other: object) -> bool:
        return False


_ABSENT: Any = _Absent()
_REF, _FIELDS, _ITEMS = attrgetter("ref"), attrgetter("fields"), methodcaller("items")
_KEY, _WAVE, _ACTION = attrgetter("key"), attrgetter("wave"), attrgetter("action")
_REMOTE_ID = attrgetter("remote_id")


def id_order(remote_id: str) -> tuple[int, int, str]:
    """Sort key of remote ids: numeric ids by value ("9" before "10"), then the others."""
    if remote_id.isascii() and remote_id.isdigit():
        return (0, int(remote_id), "")
    return (1, 0, remote_id)


@dataclass(frozen=True)
class LiveIndex:
    """Live records under the keys they have once a plan's renames are done.

    Two live records can share a key (two `P / A` made in the UI): the one with the lowest
    id is the record the key names, for the planner, the applier and drift alike; the
    others are `duplicates`, which no declared object ever matches.
    """

    by_key: Mapping[Ref, LiveResource]
    duplicates: tuple[tuple[Ref, LiveResource], ...] = ()

    def records(self) -> list[tuple[Ref, LiveResource]]:
        """(key, record) of every live record, duplicates included."""
        return [*self.by_key.items(), *self.duplicates]

    def leftovers(self, declared: Container[Ref]) -> list[tuple[Ref, LiveResource]]:
        """(key, record) of the live records no declared object matches (every duplicate)."""
        rest = [(key, r) for key, r in self.by_key.items() if key not in declared]
        return rest + list(self.duplicates)

    def ids(self) -> dict[Ref, str]:
        """The remote id of the record each key names (made in C: an apply asks it of the
        whole live catalog, 205,000 records at L)."""
        by_key = self.by_key
        return dict(zip(by_key, map(_REMOTE_ID, by_key.values()), strict=True))


def index_live(live: Iterable[LiveResource], renames: Renames) -> LiveIndex:
    """Index live records by their key after `renames` (see `LiveIndex`).

    One pass in the records' own order; only the records of a key held several times are
    then sorted by id (sorting every record by id was most of the cost of indexing).
    """
    renamed = any(renames.values())
    catalog = live if isinstance(live, LiveCatalog) else None
    live = catalog.resources if catalog is not None else tuple(live)
    if not renamed:
        # A live catalog's is built once, in C, and shared with the duplicate-key check.
        keyed = catalog.keyed if catalog is not None else None
        if keyed is None:
            keyed = dict(zip(map(ref_of, live), live, strict=True))
        if len(keyed) == len(live):
            return LiveIndex(keyed)  # every key held once (nearly always)
    by_key: dict[Ref, LiveResource] = {}
    shared: list[tuple[Ref, LiveResource]] = []  # every record of a key held twice or more
    for resource in live:
        key = follow_renames(resource.ref, renames) if renamed else resource.ref
        held = by_key.setdefault(key, resource)
        if held is not resource:
            shared.append((key, resource))
    if not shared:
        return LiveIndex(by_key)
    shared += [(key, by_key[key]) for key in {key for key, _ in shared}]
    shared.sort(key=lambda pair: id_order(pair[1].remote_id))
    duplicates: list[tuple[Ref, LiveResource]] = []
    named: set[Ref] = set()
    for key, resource in shared:  # by id: the first of a key is the record it names
        if key in named:
            duplicates.append((key, resource))
        else:
            named.add(key)
            by_key[key] = resource
    return LiveIndex(by_key, tuple(duplicates))


# Old name → new name, per kind.
Renames = Mapping[Kind, Mapping[str, str]]


def follow_renames(ref: Ref, renames: Renames) -> Ref:
    """A live object's key once declared renames apply (package-products follow theirs).

    `ref` itself when no rename touches it: a plan without renames (nearly every plan)
    then builds no new keys for tens of thousands of live records.
    """
    if ref.kind is Kind.PACKAGE_PRODUCT:
        packages, products = renames.get(Kind.PACKAGE, {}), renames.get(Kind.PRODUCT, {})
        if not packages and not products:
            return ref
        rest = (products.get(p, p) for p in ref.key[1:])
        return Ref(ref.kind, (packages.get(ref.key[0], ref.key[0]), *rest))
    names = renames.get(ref.kind, {})
    if ref.name not in names:
        return ref
    return Ref(ref.kind, (names[ref.name],))


def follow_link_renames(
    fields: Mapping[str, Value], renames: Renames, fmt: CatalogFormat | None
) -> Mapping[str, Value]:
    """Live fields with the names their link fields hold followed through `renames`: a
    package-product linking a renamed package links it under its new name. `fields`
    itself when no linked kind is renamed (no copy per record)."""
    if not links_follow(renames, fmt):
        return fields
    assert fmt is not None
    followed = dict(fields)
    for name, kind in fmt.link_fields.items():
        value = followed.get(name)
        if isinstance(value, str):
            followed[name] = renames.get(kind, {}).get(value, value)
    return followed


def links_follow(renames: Renames, fmt: CatalogFormat | None) -> bool:
    """Whether `renames` renames a kind that `fmt`'s link fields name (then live link
    fields need `follow_link_renames`)."""
    links = fmt.link_fields if fmt else {}
    return any(renames.get(kind) for kind in links.values())


def renames_in(plan: Plan) -> dict[Kind, dict[str, str]]:
    """The renames a plan carries out."""
    renames: dict[Kind, dict[str, str]] = {kind: {} for kind in Kind}
    for change in plan.changes:
        if change.renamed_from is not None:
            renames[change.ref.kind][change.renamed_from] = change.ref.name
    return renames


def _renames(desired: Iterable[Resource], live: LiveCatalog) -> dict[Kind, dict[str, str]]:
    """Old name → new name, for declared renames whose old name is what exists live."""
    renames: dict[Kind, dict[str, str]] = {kind: {} for kind in Kind}
    if not any(resource.renamed_from for resource in desired):
        return renames  # nearly every plan: no set of every live and declared key
    live_refs = {r.ref for r in live}
    declared = {r.ref for r in desired}
    for resource in desired:
        if not resource.renamed_from or resource.ref in live_refs:
            continue
        for old in resource.renamed_from:
            old_ref = Ref(resource.ref.kind, (old,))
            if old_ref in live_refs and old_ref not in declared:
                renames[resource.ref.kind][old] = resource.ref.name
                break
    return renames


def _managed_fields(resource: Resource, ignore: Sequence[IgnoreRule]) -> Mapping[str, Value]:
    if not ignore:
        return resource.fields
    ignored = {f for rule in ignore if rule.matches(resource.ref) for f in rule.fields}
    return {k: v for k, v in resource.fields.items() if k not in ignored}


#: The value types a create's values are shared by (`_Creates`): immutable, and told apart
#: exactly by their type and `str` (Decimal("1.0") and Decimal("1") are equal, not alike).
_SHARED_TYPES = frozenset({str, type(None), bool, int, Decimal})


class _Creates:
    """The values and field changes of a plan's creates, one copy per distinct content.

    A create's `values` and its `fields` (each value again, after None) were made anew for
    each create: at L a cold apply's 205,000 creates held them through the whole apply,
    ~60 MB, though 150,000 package-products have 501 distinct contents. Creates whose
    values are alike (the same fields in the same order, each value of the same type and
    spelling) share one read-only mapping and one tuple of field changes; nothing tells
    them apart from copies (both are immutable)."""

    def __init__(self) -> None:
        self._made: dict[tuple[object, ...], tuple[Mapping[str, Value], tuple[FieldChange, ...]]]
        self._made = {}

    def of(
        self, wanted: Mapping[str, Value]
    ) -> tuple[Mapping[str, Value], tuple[FieldChange, ...]]:
        """`values` and `fields` of a create of `wanted`."""
        values = tuple(wanted.values())
        alike: tuple[object, ...] | None = None
        if set(map(type, values)) <= _SHARED_TYPES:
            alike = (tuple(wanted), tuple(map(type, values)), tuple(map(str, values)))
            made = self._made.get(alike)
            if made is not None:
                return made
        # A view of a mapping nobody changes (a resource's fields), or of a copy.
        view = wanted if type(wanted) is MappingProxyType else MappingProxyType(dict(wanted))
        made = view, tuple(FieldChange(k, None, v) for k, v in sorted(wanted.items()))
        if alike is not None:
            self._made[alike] = made
        return made


def _upsert(
    resource: Resource,
    live: LiveResource | None,
    options: PlanOptions,
    renames: Renames,
    created: _Creates,
) -> Change | None:
    wanted = _managed_fields(resource, options.ignore)
    if live is None:
        values, fields = created.of(wanted)
        return Change(action=Action.CREATE, ref=resource.ref, fields=fields, values=values)
    live_fields = follow_link_renames(live.fields, renames, options.catalog_format)
    current = {key: live_fields.get(key) for key in wanted}
    # Only products and packages are renamed; a package-product's key merely follows them.
    is_renamed = resource.ref.kind is not Kind.PACKAGE_PRODUCT and live.ref != resource.ref
    renamed_from = live.ref.name if is_renamed else None
    if current == wanted and renamed_from is None:
        return None
    fields = field_changes(current, wanted) if current != wanted else ()
    if renamed_from is not None:
        fields = (FieldChange("name", renamed_from, resource.ref.name), *fields)
    if not fields:
        return None
    return Change(
        action=Action.UPDATE,
        ref=resource.ref,
        fields=fields,
        values=wanted,
        remote_id=live.remote_id,
        live_fingerprint=live.fingerprint,
        renamed_from=renamed_from,
    )


def _in_scope(ref: Ref, rules: Iterable[ObjectRule]) -> bool:
    return any(rule.matches(ref) for rule in rules)


def _deletes(
    index: LiveIndex, declared: Mapping[Ref, Resource], options: PlanOptions, renames: Renames
) -> tuple[list[Change], list[Ref]]:
    """Deletes for pruned objects (and the package-products under them); the rest unmanaged.

    Everything is judged on keys after the plan's renames: they are what the prune rules
    and the guards see, and what the objects are called when the deletes run. Records are
    told apart by id, since duplicates share a key.
    """
    leftovers = index.leftovers(declared)
    pruned = {r.remote_id for key, r in leftovers if _in_scope(key, options.prune)}
    if not pruned:
        # Nothing deleted: nothing cascades and nothing is stranded (what the steps below
        # would find, without indexing what every live record uses).
        return [], [key for key, _ in leftovers]
    records = index.records()
    protected = {ref for ref, resource in declared.items() if resource.protect}
    # A deleted package or package-product takes the package-products below it along.
    while True:
        gone = _gone(records, pruned)
        below = {
            r.remote_id
            for key, r in leftovers
            if r.remote_id not in pruned and any(a in gone for a in _ancestors(key))
        }
        if not below:
            break
        pruned |= below
    uses = uses_of(records, renames, options.catalog_format)
    in_use = stranded_users(records, pruned, uses)
    if in_use:
        listed = "; ".join(
            f"{used} (used by {', '.join(str(u) for u in users)})" for used, users in in_use.items()
        )
        raise PlanError(
            f"cannot delete objects still used by objects that stay: {listed} (remove them "
            "from the prune scope, or delete what uses them too)"
        )
    deletes: list[Change] = []
    unmanaged: list[Ref] = []
    for key, resource in leftovers:
        if resource.remote_id not in pruned:
            unmanaged.append(key)
            continue
        cascade = not _in_scope(key, options.prune)
        deletes.append(
            Change(
                action=Action.DELETE,
                ref=key,
                fields=tuple(FieldChange(k, v, None) for k, v in sorted(resource.fields.items())),
                remote_id=resource.remote_id,
                live_fingerprint=resource.fingerprint,
                # What it uses that is deleted too; `_order_deletes` turns this around.
                depends_on=tuple(r for r in uses[resource.remote_id] if r in gone),
                reason="its parent is deleted"
                if cascade
                else "not declared; inside the prune scope",
                protected=key in protected,
            )
        )
    return deletes, unmanaged


def _gone(records: Sequence[tuple[Ref, LiveResource]], pruned: Container[str]) -> set[Ref]:
    """Keys no record answers to once the pruned records are deleted."""
    staying = {key for key, r in records if r.remote_id not in pruned}
    return {key for key, r in records if r.remote_id in pruned} - staying


def _ancestors(ref: Ref) -> list[Ref]:
    """The package and the parent package-products a package-product sits in."""
    if ref.kind is not Kind.PACKAGE_PRODUCT:
        return []
    return [Ref(Kind.PACKAGE, ref.key[:1])] + [
        Ref(Kind.PACKAGE_PRODUCT, ref.key[:n]) for n in range(2, len(ref.key))
    ]


def uses_of(
    records: Sequence[tuple[Ref, LiveResource]], renames: Renames, fmt: CatalogFormat | None
) -> dict[str, tuple[Ref, ...]]:
    """Remote id → every object that record references (key-implied and, through `fmt`'s
    link fields, linked)."""
    uses = {}
    for key, record in records:
        linked = fmt.linked_refs(follow_link_renames(record.fields, renames, fmt)) if fmt else ()
        uses[record.remote_id] = references(key, linked)
    return uses


def stranded_users(
    records: Sequence[tuple[Ref, LiveResource]],
    deleted: Container[str],
    uses: Mapping[str, tuple[Ref, ...]],
) -> dict[Ref, list[Ref]]:
    """Objects the deletes (by remote id) would take away from records that stay: each
    with those users, sorted. A delete must never leave an object pointing at nothing."""
    gone = _gone(records, deleted)
    in_use: dict[Ref, set[Ref]] = {}
    for key, resource in records:
        if resource.remote_id not in deleted:
            for used in uses[resource.remote_id]:
                if used in gone:
                    in_use.setdefault(used, set()).add(key)
    return {used: sorted(users) for used, users in sorted(in_use.items())}


def _order(
    upserts: list[Change], deletes: list[Change], by_ref: Mapping[Ref, Resource]
) -> tuple[Change, ...]:
    """Assign waves and dependencies; sort into execution order."""
    # A dependency is kept as the created change's own ref: the refs a key implies are
    # made anew on each call, and a cold apply's plan would hold 330,000 equal copies of
    # them (and their key tuples) through the whole apply at L.
    created = {c.ref: c.ref for c in upserts if c.action is Action.CREATE}
    waves: dict[Ref, int] = {}
    # Shallower objects first: what a change needs has nearly always its wave already, and
    # is looked up in C (a cold plan's 41,000 creates at M: a Python call per dependency
    # was a quarter of `_order`); a declared `requires` on a deeper object is recursed.
    # Only the depth matters, and a key's length orders by it (products and packages 1, a
    # package-product its depth + 1): the refs sorted by a C key, not a Python one per
    # change (a cold plan at L sorted 205,000 changes by (depth, kind, key) that way).
    refs = list(map(_REF, upserts))
    lengths = list(map(len, map(_KEY, refs)))
    shallow_first = list(map(refs.__getitem__, sorted(range(len(refs)), key=lengths.__getitem__)))
    dependencies = map(methodcaller("dependencies"), map(by_ref.__getitem__, shallow_first))
    # (a dependency not created by this plan exists already: dropped, in C)
    made = [tuple(filter(None, map(created.get, deps))) for deps in dependencies]
    needs: dict[Ref, tuple[Ref, ...]] = dict(zip(shallow_first, made, strict=True))
    wave_of = waves.__getitem__
    for ref, deps in needs.items():
        if not deps:
            waves.setdefault(ref, 0)
        elif ref not in waves:
            try:
                waves[ref] = 1 + max(map(wave_of, deps))
            except KeyError:
                _wave_of(ref, needs, waves)
    first_delete_wave = max(waves.values(), default=-1) + 1
    ordered = [_with_wave(c, waves[c.ref], needs[c.ref]) for c in upserts] + _order_deletes(
        deletes, first_delete_wave
    )
    # By (wave, action, ref), the keys made in C and the sort stable over `ordered` (a
    # lambda per change made each key in Python: 205,000 at L).
    action_rank = {Action.CREATE: 0, Action.UPDATE: 1, Action.DELETE: 2}
    ranks = map(action_rank.__getitem__, map(_ACTION, ordered))
    keys = list(zip(map(_WAVE, ordered), ranks, map(_REF, ordered), strict=True))
    return tuple(map(ordered.__getitem__, sorted(range(len(keys)), key=keys.__getitem__)))


def _wave_of(ref: Ref, needs: Mapping[Ref, tuple[Ref, ...]], waves: dict[Ref, int]) -> int:
    if ref not in waves:
        # Reference cycles were refused by the loader, so this recursion ends.
        waves[ref] = 1 + max((_wave_of(d, needs, waves) for d in needs[ref]), default=-1)
    return waves[ref]


def _order_deletes(deletes: list[Change], first_wave: int) -> list[Change]:
    """Users before what they use: a delete waits for the deletes of every object that
    references it (children, the package-products of a product, linking package-products).

    On entry a delete's `depends_on` holds what it uses that is deleted too; on exit, the
    deletes that must succeed before it runs (what the applier reads).
    """
    users: dict[Ref, list[Ref]] = {c.ref: [] for c in deletes}
    for change in deletes:
        for used in change.depends_on:
            if used in users:
                users[used].append(change.ref)
    heights: dict[Ref, int] = {}

    def height(ref: Ref) -> int:
        if ref not in heights:
            heights[ref] = 0  # two packages linking each other: the cycle stops here
            heights[ref] = 1 + max((height(d) for d in users[ref]), default=-1)
        return heights[ref]

    return [
        _with_wave(c, first_wave + height(c.ref), tuple(sorted(set(users[c.ref])))) for c in deletes
    ]


def _with_wave(change: Change, wave: int, depends_on: tuple[Ref, ...]) -> Change:
    # `Change(...)` with every field, not `dataclasses.replace`: the same change (its
    # values' view kept as it is), made in half the time (replace asks each field of the
    # class again; once per planned object).
    return Change(
        action=change.action,
        ref=change.ref,
        fields=change.fields,
        values=change.values,
        remote_id=change.remote_id,
        live_fingerprint=change.live_fingerprint,
        depends_on=depends_on,
        wave=wave,
        renamed_from=change.renamed_from,
        reason=change.reason,
        protected=change.protected,
    )
