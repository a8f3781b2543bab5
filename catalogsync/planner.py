"""build_plan(): desired catalog + live catalog → Plan. Pure: no I/O, deterministic.

- Objects are matched by natural key; a declared rename (`renamed_from`) matches the live
  object under its old name, and the keys of the live package-products below it follow.
- Only declared fields are compared (minus `ignore` rules); records are compared with `==`
  first and only unequal ones are diffed field by field.
- Live objects that are not declared are *unmanaged* and left alone, unless a `prune` rule
  covers them: then they are deleted, children first. Deleting a package takes its
  package-products with it (they are listed as deletes of their own).
- Changes are ordered in waves: an object is created after what it needs is created;
  deletes come last, children before parents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from catalogsync.backends.base import LiveCatalog, LiveResource
from catalogsync.catalog import Catalog, Kind, Ref, Resource, Value
from catalogsync.config import IgnoreRule, ObjectRule
from catalogsync.diffing import field_changes
from catalogsync.errors import PlanError
from catalogsync.plan import Action, Change, FieldChange, Plan, digest


@dataclass(frozen=True)
class PlanOptions:
    """What the planner needs beyond the two catalogs."""

    backend: str
    target: str = "local"
    target_url: str = ""
    prune: tuple[ObjectRule, ...] = ()
    ignore: tuple[IgnoreRule, ...] = ()


def build_plan(desired: Catalog, live: LiveCatalog, options: PlanOptions) -> Plan:
    """The changes that make `live` match `desired` (see the module docstring)."""
    matcher = _Matcher(desired, live)
    changes = [
        change
        for resource in desired
        if (change := _upsert(resource, matcher.live_for(resource), options)) is not None
    ]
    leftovers = matcher.unmatched()
    deletes, unmanaged = _deletes(leftovers, matcher.rekeyed, options)
    return Plan(
        backend=options.backend,
        target=options.target,
        target_url=options.target_url,
        catalog_digest=catalog_digest(desired),
        changes=_order(changes, deletes, desired),
        unmanaged=tuple(sorted(unmanaged)),
        live_counts=live.count(),
    )


def catalog_digest(desired: Catalog) -> str:
    """A hash of the desired catalog's content (not of its files' formatting)."""
    return digest(
        [
            {
                "ref": r.ref.to_json(),
                "fields": {k: _jsonable(v) for k, v in sorted(r.fields.items())},
                "renamed_from": list(r.renamed_from),
                "protect": r.protect,
            }
            for r in desired
        ]
    )


def _jsonable(value: Value) -> object:
    return value if value is None or isinstance(value, (str, bool, int)) else str(value)


class _Matcher:
    """Pairs desired resources with live ones, following declared renames."""

    def __init__(self, desired: Catalog, live: LiveCatalog) -> None:
        self.renames = _renames(desired, live)
        # Live objects keyed as they will be after the renames; duplicates (two live
        # records with one key) keep the lowest id as the match, the others stay unmanaged.
        self.rekeyed: dict[Ref, LiveResource] = {}
        self.duplicates: list[LiveResource] = []
        for resource in live:
            key = self._rekey(resource.ref)
            if key in self.rekeyed:
                self.duplicates.append(resource)
            else:
                self.rekeyed[key] = resource
        self.matched: set[Ref] = set()

    def _rekey(self, ref: Ref) -> Ref:
        return follow_renames(ref, self.renames)

    def live_for(self, resource: Resource) -> LiveResource | None:
        found = self.rekeyed.get(resource.ref)
        if found is not None:
            self.matched.add(resource.ref)
        return found

    def unmatched(self) -> list[LiveResource]:
        rest = [r for key, r in self.rekeyed.items() if key not in self.matched]
        return rest + self.duplicates


# Old name → new name, per kind.
Renames = Mapping[Kind, Mapping[str, str]]


def follow_renames(ref: Ref, renames: Renames) -> Ref:
    """A live object's key once declared renames apply (package-products follow theirs)."""
    if ref.kind is Kind.PACKAGE_PRODUCT:
        packages, products = renames.get(Kind.PACKAGE, {}), renames.get(Kind.PRODUCT, {})
        rest = (products.get(p, p) for p in ref.key[1:])
        return Ref(ref.kind, (packages.get(ref.key[0], ref.key[0]), *rest))
    names = renames.get(ref.kind, {})
    return Ref(ref.kind, (names.get(ref.name, ref.name),))


def renames_in(plan: Plan) -> dict[Kind, dict[str, str]]:
    """The renames a plan carries out."""
    renames: dict[Kind, dict[str, str]] = {kind: {} for kind in Kind}
    for change in plan.changes:
        if change.renamed_from is not None:
            renames[change.ref.kind][change.renamed_from] = change.ref.name
    return renames


def _renames(desired: Catalog, live: LiveCatalog) -> dict[Kind, dict[str, str]]:
    """Old name → new name, for declared renames whose old name is what exists live."""
    live_refs = {r.ref for r in live}
    declared = {r.ref for r in desired}
    renames: dict[Kind, dict[str, str]] = {kind: {} for kind in Kind}
    for resource in desired:
        if not resource.renamed_from or resource.ref in live_refs:
            continue
        for old in resource.renamed_from:
            old_ref = Ref(resource.ref.kind, (old,))
            if old_ref in live_refs and old_ref not in declared:
                renames[resource.ref.kind][old] = resource.ref.name
                break
    return renames


def _managed_fields(resource: Resource, ignore: Sequence[IgnoreRule]) -> dict[str, Value]:
    ignored = {f for rule in ignore if rule.matches(resource.ref) for f in rule.fields}
    return {k: v for k, v in resource.fields.items() if k not in ignored}


def _upsert(resource: Resource, live: LiveResource | None, options: PlanOptions) -> Change | None:
    wanted = _managed_fields(resource, options.ignore)
    if live is None:
        return Change(
            action=Action.CREATE,
            ref=resource.ref,
            fields=tuple(FieldChange(k, None, v) for k, v in sorted(wanted.items())),
            values=wanted,
        )
    current = {key: live.fields.get(key) for key in wanted}
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
    leftovers: Sequence[LiveResource], rekeyed: Mapping[Ref, LiveResource], options: PlanOptions
) -> tuple[list[Change], list[Ref]]:
    """Deletes for pruned objects (and the package-products under them); the rest unmanaged."""
    pruned = {r.ref for r in leftovers if _in_scope(r.ref, options.prune)}
    # A deleted package or package-product takes the package-products below it along.
    for resource in leftovers:
        ref = resource.ref
        if ref.kind is Kind.PACKAGE_PRODUCT and ref not in pruned:
            ancestors = [Ref(Kind.PACKAGE, ref.key[:1])] + [
                Ref(Kind.PACKAGE_PRODUCT, ref.key[:n]) for n in range(2, len(ref.key))
            ]
            if any(a in pruned for a in ancestors):
                pruned.add(ref)
    _refuse_orphaning_products(pruned, rekeyed)
    deletes: list[Change] = []
    unmanaged: list[Ref] = []
    for resource in leftovers:
        if resource.ref not in pruned:
            unmanaged.append(resource.ref)
            continue
        cascade = not _in_scope(resource.ref, options.prune)
        deletes.append(
            Change(
                action=Action.DELETE,
                ref=resource.ref,
                fields=tuple(FieldChange(k, v, None) for k, v in sorted(resource.fields.items())),
                remote_id=resource.remote_id,
                live_fingerprint=resource.fingerprint,
                reason="its parent is deleted"
                if cascade
                else "not declared; inside the prune scope",
            )
        )
    return deletes, unmanaged


def _refuse_orphaning_products(pruned: set[Ref], live: Mapping[Ref, LiveResource]) -> None:
    staying_users = {
        ref.product for ref in live if ref.kind is Kind.PACKAGE_PRODUCT and ref not in pruned
    }
    in_use = sorted(str(ref) for ref in pruned if ref in staying_users)
    if in_use:
        raise PlanError(
            "cannot delete products still used by package-products that stay: "
            + ", ".join(in_use)
            + " (remove them from the prune scope, or delete those package-products too)"
        )


def _order(upserts: list[Change], deletes: list[Change], desired: Catalog) -> tuple[Change, ...]:
    """Assign waves and dependencies; sort into execution order."""
    by_ref = desired.by_ref()
    created = {c.ref for c in upserts if c.action is Action.CREATE}
    waves: dict[Ref, int] = {}
    needs: dict[Ref, tuple[Ref, ...]] = {}
    for change in sorted(upserts, key=lambda c: (c.ref.depth, c.ref)):
        deps = tuple(d for d in by_ref[change.ref].dependencies() if d in created)
        needs[change.ref] = deps
    for ref in needs:
        _wave_of(ref, needs, waves)
    first_delete_wave = max(waves.values(), default=-1) + 1
    ordered = [_with_wave(c, waves[c.ref], needs[c.ref]) for c in upserts] + _order_deletes(
        deletes, first_delete_wave
    )
    action_rank = {Action.CREATE: 0, Action.UPDATE: 1, Action.DELETE: 2}
    return tuple(sorted(ordered, key=lambda c: (c.wave, action_rank[c.action], c.ref)))


def _wave_of(ref: Ref, needs: Mapping[Ref, tuple[Ref, ...]], waves: dict[Ref, int]) -> int:
    if ref not in waves:
        # Reference cycles were refused by the loader, so this recursion ends.
        waves[ref] = 1 + max((_wave_of(d, needs, waves) for d in needs[ref]), default=-1)
    return waves[ref]


def _order_deletes(deletes: list[Change], first_wave: int) -> list[Change]:
    """Children before parents: a delete waits for the deletes of what depends on it."""
    dependents: dict[Ref, list[Ref]] = {c.ref: [] for c in deletes}
    for change in deletes:
        ref = change.ref
        if ref.kind is Kind.PACKAGE_PRODUCT:
            for needed in (ref.parent or ref.package, ref.product):
                if needed in dependents:
                    dependents[needed].append(ref)
    heights: dict[Ref, int] = {}

    def height(ref: Ref) -> int:
        if ref not in heights:
            heights[ref] = 1 + max((height(d) for d in dependents[ref]), default=-1)
        return heights[ref]

    return [
        _with_wave(c, first_wave + height(c.ref), tuple(sorted(dependents[c.ref]))) for c in deletes
    ]


def _with_wave(change: Change, wave: int, depends_on: tuple[Ref, ...]) -> Change:
    return replace(change, wave=wave, depends_on=depends_on)
