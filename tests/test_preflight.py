"""Lookup names at plan time (`catalogsync.preflight.check_lookup_names`): each distinct
name is checked once, and any unknown one still gives every issue, object by object."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

import pytest

from catalogsync.catalog import Catalog, Kind, Resource, Value, package_ref, product_ref
from catalogsync.errors import CatalogValidationError
from catalogsync.live import LookupField, LookupTable
from catalogsync.preflight import check_lookup_names, lookup_use

pytestmark = pytest.mark.anyio


class Tables:
    """A backend's `lookup_tables`: a unit table for products, currencies for packages."""

    async def lookup_tables(
        self, fields: Collection[LookupField]
    ) -> dict[LookupField, LookupTable]:
        tables = {
            (Kind.PRODUCT, "unit"): LookupTable("unit", frozenset({"GB", "1"})),
            (Kind.PACKAGE, "currencies"): LookupTable("currency code", frozenset({"USD"})),
        }
        return {field: table for field, table in tables.items() if field in fields}


def catalog(*units: Value, currencies: tuple[str, ...] = ("USD",)) -> Catalog:
    products = [Resource(product_ref(f"P{i}"), {"unit": u}) for i, u in enumerate(units)]
    package = Resource(package_ref("Pack"), {"currencies": currencies})
    return Catalog((*products, package))


async def check(desired: Catalog) -> list[str]:
    """The issues, the same whether the check reads the catalog itself or is handed what it
    reads of it, made beforehand (`lookup_use`, as `fetch_and_plan` makes it while the read
    goes on)."""
    outcomes = []
    for use in (None, lookup_use(desired)):
        try:
            await check_lookup_names(desired, Tables(), use)  # type: ignore[arg-type]
        except CatalogValidationError as exc:
            outcomes.append([issue.message for issue in exc.issues])
        else:
            outcomes.append([])
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


async def test_known_names_repeated_over_many_objects_pass() -> None:
    assert await check(catalog(*["GB"] * 50, None, "", Decimal(1))) == []


async def test_every_object_with_an_unknown_name_is_an_issue() -> None:
    assert await check(catalog("GB", "GBX", "GB", "GBY", currencies=("USD", "EUR"))) == [
        "unknown currency code 'EUR' (known: USD)",  # packages sort before products
        "unknown unit 'GBX' (did you mean 'GB'?)",
        "unknown unit 'GBY' (did you mean 'GB'?)",
    ]


async def test_equal_values_of_other_types_are_each_checked_by_their_own_text() -> None:
    # True == Decimal(1) == 1, but they name rows 'True' and '1'
    assert await check(catalog(Decimal(1), True)) == ["unknown unit 'True' (known: 1, GB)"]


async def test_the_tables_asked_for_are_of_the_fields_some_object_sets() -> None:
    asked: list[set[LookupField]] = []

    class Asked(Tables):
        async def lookup_tables(
            self, fields: Collection[LookupField]
        ) -> dict[LookupField, LookupTable]:
            asked.append(set(fields))
            return await super().lookup_tables(fields)

    desired = Catalog(
        (
            Resource(product_ref("A"), {"unit": None, "rate": "", "plan": "x"}),
            Resource(product_ref("B"), {"unit": "GB", "rate": None, "tiers": ()}),
            Resource(package_ref("P"), {"currencies": (), "unit": 0, "name": "P"}),
        )
    )
    await check_lookup_names(desired, Asked())  # type: ignore[arg-type]
    await check_lookup_names(desired, Asked(), lookup_use(desired))  # type: ignore[arg-type]
    expected = {(Kind.PRODUCT, "unit"), (Kind.PRODUCT, "plan"), (Kind.PACKAGE, "name")}
    assert asked == [expected, expected]
