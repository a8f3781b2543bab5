"""Effective prices: what each package really charges, before and after a plan. Pure, no I/O.

A package-product is rated at its own rate when it has one (`overridden`), otherwise at its
product's rate (`inherited`). So a product's price change reaches every package whose
package-product has no rate of its own, and a package-product's rate change moves its
package's effective price between its own rate and the product's.

The two catalog states are keyed by names *after* the plan's declared renames, so a
renamed product's package-products are found under its new name in both.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Container, Iterator, KeysView, Mapping
from decimal import Decimal
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any

from catalogsync.catalog import Catalog, Kind, Ref, Resource, Value
from catalogsync.catalog_format import CatalogFormat
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.money import PriceMove
from catalogsync.plan import Action, Plan
from catalogsync.planner import follow_renames, renames_in
from catalogsync.review import Effective

Fields = Mapping[str, Value]


class CatalogStates:
    """Every object's fields as they are live (`before`) and as they will be (`after`).

    Built on first use, and `after` an object at a time: a review asks about the objects
    its changes touch and their neighbours (a product's package-products, a package), so
    a 1% change of a 205,000-object catalog merges a few thousand objects' fields, not all
    of them (that was ~1.5 s of an L apply's review). A plan whose changes never ask costs
    nothing here, however large the catalog.
    """

    def __init__(self, plan: Plan, desired: Catalog, live: LiveCatalog) -> None:
        self._plan, self._desired, self._live = plan, desired, live

    @functools.cached_property
    def _renames(self) -> dict[Kind, dict[str, str]]:
        return renames_in(self._plan)

    @functools.cached_property
    def before(self) -> Mapping[Ref, Fields]:
        if not any(self._renames.values()):
            # Every key is its ref: the live catalog's own index (the planner's, shared).
            return _FieldsOf(self._live.keyed)
        return {follow_renames(r.ref, self._renames): r.fields for r in self._live}

    @functools.cached_property
    def after(self) -> Mapping[Ref, Fields]:
        return _After(self.before, self._declared, self._deleted)

    @functools.cached_property
    def _declared(self) -> dict[Ref, Resource]:
        return self._desired.by_ref()

    @functools.cached_property
    def _deleted(self) -> set[Ref]:
        deletes = self._plan.of_action(Action.DELETE)
        return {follow_renames(c.ref, self._renames) for c in deletes}

    def package_products_of(self, product: str, *, after: bool = True) -> Iterator[Ref]:
        """The package-products that bring `product` into a package, in key order."""
        # A review asks about the products the plan changes (their reach, their users):
        # theirs are indexed alone, the rest only when some other product is asked.
        changed = product in self._changed_products
        if not after:
            before = self._before_changed if changed else self._before_index
            return iter(sorted(before.get(product, ())))
        index = self._after_changed if changed else self._after_index
        return self._in_key_order(index.get(product, []))

    def package_products_in(self, package: str) -> Iterator[Ref]:
        """The package-products of `package` after the plan, in key order."""
        return self._in_key_order(self._package_index.get(package, []))

    # The indexes are of refs alone (one pass over the keys, no fields, no set of the whole
    # catalog), each group sorted when asked for: a review asks for a few of them.

    def _in_key_order(self, refs: list[Ref]) -> Iterator[Ref]:
        deleted = self._deleted
        return iter(sorted(r for r in refs if r not in deleted) if deleted else sorted(refs))

    @functools.cached_property
    def _package_index(self) -> dict[str, list[Ref]]:
        return _package_products_by(self.before.keys(), self._declared, 0)

    @functools.cached_property
    def _before_index(self) -> dict[str, list[Ref]]:
        return _package_products_by(self.before.keys(), (), -1)

    @functools.cached_property
    def _after_index(self) -> dict[str, list[Ref]]:
        return _package_products_by(self.before.keys(), self._declared, -1)

    @functools.cached_property
    def _changed_products(self) -> frozenset[str]:
        """The names of the products the plan changes (after its renames, as asked)."""
        product = Kind.PRODUCT
        return frozenset(c.ref.name for c in self._plan.changes if c.ref.kind is product)

    # `_before_index` and `_after_index` of the changed products alone: at L a 1% change
    # asks about 500 products, and grouping all 150,000 package-products by product for
    # them was most of its review's CPU (~0.4 s).

    @functools.cached_property
    def _before_changed(self) -> dict[str, list[Ref]]:
        return _package_products_by(self.before.keys(), (), -1, self._changed_products)

    @functools.cached_property
    def _after_changed(self) -> dict[str, list[Ref]]:
        return _package_products_by(self.before.keys(), self._declared, -1, self._changed_products)


class _FieldsOf(Mapping[Ref, Fields]):
    """The fields of each live record, under its ref (a view: nothing copied)."""

    def __init__(self, records: Mapping[Ref, LiveResource]) -> None:
        self._records = records

    def __getitem__(self, ref: Ref) -> Fields:
        return self._records[ref].fields

    def get(self, ref: Ref, default: Any = None) -> Any:
        record = self._records.get(ref)
        return default if record is None else record.fields

    def __iter__(self) -> Iterator[Ref]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, ref: object) -> bool:
        return ref in self._records

    def keys(self) -> KeysView[Ref]:
        return self._records.keys()  # the dict's own view: set operations in C


class _After(Mapping[Ref, Fields]):
    """The catalog once the plan is applied: each declared object's live fields with its
    declared fields over them, every other live object as it is, the deleted ones gone.
    An object's merged fields are made when first asked for, then kept."""

    def __init__(
        self, before: Mapping[Ref, Fields], declared: Mapping[Ref, Resource], deleted: set[Ref]
    ) -> None:
        self._before, self._declared, self._deleted = before, declared, deleted
        self._merged: dict[Ref, Fields] = {}

    def __getitem__(self, ref: Ref) -> Fields:
        fields = self._fields(ref)
        if fields is None:
            raise KeyError(ref)
        return fields

    def get(self, ref: Ref, default: Any = None) -> Any:
        fields = self._fields(ref)
        return default if fields is None else fields

    def _fields(self, ref: Ref) -> Fields | None:
        if ref in self._deleted:
            return None
        merged = self._merged.get(ref)
        if merged is not None:
            return merged
        declared, live = self._declared.get(ref), self._before.get(ref)
        if declared is None:
            return live
        if live is None:
            return declared.fields  # nothing live under it: its own fields, as they are
        merged = self._merged[ref] = {**live, **declared.fields}
        return merged

    def __iter__(self) -> Iterator[Ref]:
        # The live refs, then the declared ones not live (a dict's order when it was built
        # as a copy of `before` with the declared objects written over it).
        deleted = self._deleted
        yield from (ref for ref in self._before if ref not in deleted)
        before = self._before
        yield from (ref for ref in self._declared if ref not in before and ref not in deleted)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, ref: object) -> bool:
        if ref in self._deleted:
            return False
        return ref in self._declared or ref in self._before


def _package_products_by(
    live: Collection[Ref], declared: Collection[Ref], at: int, only: Container[str] | None = None
) -> dict[str, list[Ref]]:
    """The package-products live and those declared but not live, by the name at `at` in
    their key (0: package, -1: product), each group in no particular order; with `only`,
    the groups of those names alone (the refs of those names found first, in C)."""
    index: dict[str, list[Ref]] = {}
    package_product = Kind.PACKAGE_PRODUCT
    live_ones, declared_ones = (
        (live, declared) if only is None else (_named(live, at, only), _named(declared, at, only))
    )
    for ref in live_ones:
        if ref.kind is package_product:
            index.setdefault(ref.key[at], []).append(ref)
    for ref in declared_ones:
        if ref.kind is package_product and ref not in live:
            index.setdefault(ref.key[at], []).append(ref)
    return index


def _named(refs: Collection[Ref], at: int, names: Container[str]) -> list[Ref]:
    """The refs whose key holds one of `names` at `at`, found in C."""
    return list(compress(refs, map(names.__contains__, map(itemgetter(at), map(_KEY, refs)))))


_KEY = attrgetter("key")


def catalog_states(plan: Plan, desired: Catalog, live: LiveCatalog) -> CatalogStates:
    """The live catalog, and the catalog once `plan` is applied (undeclared fields kept)."""
    return CatalogStates(plan, desired, live)


def _decimal(value: Value) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def where(ref: Ref) -> str:
    """Where a package-product sits: its package, and its parents when nested."""
    return " / ".join(ref.key[:-1])


def product_reach(
    product: Ref, states: CatalogStates, fmt: CatalogFormat
) -> tuple[tuple[str, ...], tuple[tuple[str, Decimal], ...]]:
    """(inherited by, overridden in): the packages a product's new price reaches, and those
    whose package-product keeps its own rate (with that rate), after the plan."""
    field = fmt.own_rate_field()
    if field is None:
        return (), ()
    inherited: list[str] = []
    overridden: list[tuple[str, Decimal]] = []
    for ref in states.package_products_of(product.name):
        own = _decimal(states.after[ref].get(field))
        if own is None:
            inherited.append(where(ref))
        else:
            overridden.append((where(ref), own))
    return tuple(inherited), tuple(overridden)


def effective_rate(ref: Ref, state: Mapping[Ref, Fields], field: str) -> tuple[Decimal | None, str]:
    """A package-product's rate in `state` and where it comes from: own, product or none."""
    own = _decimal(state.get(ref, {}).get(field))
    if own is not None:
        return own, "own"
    product = _decimal(state.get(Ref(Kind.PRODUCT, ref.key[-1:]), {}).get(field))
    return (product, "product") if product is not None else (None, "none")


def effective_move(ref: Ref, states: CatalogStates, fmt: CatalogFormat) -> Effective | None:
    """A package-product's effective rate before → after the plan, when its own rate changes."""
    field = fmt.own_rate_field()
    if field is None or ref.kind is not Kind.PACKAGE_PRODUCT:
        return None
    before, before_from = effective_rate(ref, states.before, field)
    after, after_from = effective_rate(ref, states.after, field)
    return Effective(PriceMove(field, before, after), before_from, after_from)
