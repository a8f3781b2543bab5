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
from collections.abc import Iterator, Mapping
from decimal import Decimal

from catalogsync.catalog import Catalog, Kind, Ref, Value
from catalogsync.catalog_format import CatalogFormat
from catalogsync.live import LiveCatalog
from catalogsync.money import PriceMove
from catalogsync.plan import Action, Plan
from catalogsync.planner import follow_renames, renames_in
from catalogsync.review import Effective

Fields = Mapping[str, Value]


class CatalogStates:
    """Every object's fields as they are live (`before`) and as they will be (`after`).

    Built on first use: a plan whose changes never ask (no changes, or only package-products
    whose prices do not move) costs nothing here, however large the catalog.
    """

    def __init__(self, plan: Plan, desired: Catalog, live: LiveCatalog) -> None:
        self._plan, self._desired, self._live = plan, desired, live

    @functools.cached_property
    def _renames(self) -> dict[Kind, dict[str, str]]:
        return renames_in(self._plan)

    @functools.cached_property
    def before(self) -> Mapping[Ref, Fields]:
        return {follow_renames(r.ref, self._renames): r.fields for r in self._live}

    @functools.cached_property
    def after(self) -> Mapping[Ref, Fields]:
        after: dict[Ref, Fields] = dict(self.before)
        for resource in self._desired:
            after[resource.ref] = {**self.before.get(resource.ref, {}), **resource.fields}
        for change in self._plan.of_action(Action.DELETE):
            after.pop(follow_renames(change.ref, self._renames), None)
        return after

    def package_products_of(self, product: str, *, after: bool = True) -> Iterator[Ref]:
        """The package-products that bring `product` into a package, in key order."""
        return iter((self._after_index if after else self._before_index).get(product, ()))

    def package_products_in(self, package: str) -> Iterator[Ref]:
        """The package-products of `package` after the plan, in key order."""
        return iter(self._package_index.get(package, ()))

    @functools.cached_property
    def _package_index(self) -> dict[str, list[Ref]]:
        index: dict[str, list[Ref]] = {}
        for ref in sorted(r for r in self.after if r.kind is Kind.PACKAGE_PRODUCT):
            index.setdefault(ref.key[0], []).append(ref)
        return index

    @functools.cached_property
    def _before_index(self) -> dict[str, list[Ref]]:
        return _by_product(self.before)

    @functools.cached_property
    def _after_index(self) -> dict[str, list[Ref]]:
        return _by_product(self.after)


def _by_product(state: Mapping[Ref, Fields]) -> dict[str, list[Ref]]:
    index: dict[str, list[Ref]] = {}
    for ref in sorted(r for r in state if r.kind is Kind.PACKAGE_PRODUCT):
        index.setdefault(ref.key[-1], []).append(ref)
    return index


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
