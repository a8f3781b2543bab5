"""Rating methods through documented fields only: RATING_METHOD rows (per-product configuration
in the vendor's schema pages) are named by `RatingMethodType`, read only for the Ids live
rows point at, and a write saves a row of the wanted type (POST) for the product."""

from __future__ import annotations

import re
from typing import Any

import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import product_ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.plan import Action, Change
from catalogsync.report import Outcome
from tests.fakes import UNPACED

pytestmark = pytest.mark.anyio


def backend_on(emulator: BillingPlatformEmulator) -> tuple[BillingPlatformBackend, list[str]]:
    """A backend whose client records which entities it queries (COUNTs aside)."""
    client = BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
    )
    queried: list[str] = []

    def counting(query: Any) -> Any:
        async def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
            if "COUNT(" not in sql:
                queried.append(re.search(r" FROM (\w+)", sql).group(1))  # type: ignore[union-attr]
            return await query(sql, *args, **kwargs)

        return counted

    # spies on one instance: rows as dicts, and column by column (the reads of a fetch)
    setattr(client, "query", counting(client.query))  # noqa: B010
    setattr(client, "query_columns", counting(client.query_columns))  # noqa: B010
    return BillingPlatformBackend(client), queried


def create(name: str, **values: Any) -> Change:
    return Change(Action.CREATE, product_ref(name), values=values)


async def test_no_rating_method_live_means_no_lookup_and_a_write_saves_its_own_row() -> None:
    with BillingPlatformEmulator() as emulator:
        backend, queried = backend_on(emulator)
        try:
            await backend.fetch_live()
            assert sorted(queried) == ["PACKAGE", "PACKAGE_PRODUCT", "PRODUCT"]
            (plain,) = await backend.apply_wave([create("Plain", status="ACTIVE")], {})
            assert plain.outcome is Outcome.SUCCEEDED
            (rated,) = await backend.apply_wave([create("Rated", rating_method="Usage")], {})
            assert rated.outcome is Outcome.SUCCEEDED
            assert "RATING_METHOD" not in queried  # nothing to look up: the row is saved
        finally:
            await backend.close()
        (product,) = [p for p in emulator.records("PRODUCT") if p["Name"] == "Rated"]
        (method,) = [
            m for m in emulator.records("RATING_METHOD") if m["Id"] == product["RatingMethodId"]
        ]
        assert method["RatingMethodType"] == "Usage" and int(method["Id"]) > 5  # not a seed
        assert emulator.stats()["by_route"]["POST /rest/2.0/RATING_METHOD"] == 1


async def test_a_live_rating_method_is_looked_up_and_named() -> None:
    with BillingPlatformEmulator() as emulator:
        first, _ = backend_on(emulator)
        try:
            await first.fetch_live()
            await first.apply_wave([create("Rated", rating_method="Usage")], {})
        finally:
            await first.close()
        backend, queried = backend_on(emulator)
        try:
            live = await backend.fetch_live()
        finally:
            await backend.close()
    assert queried.count("RATING_METHOD") == 1
    assert live.by_ref()[product_ref("Rated")].fields["rating_method"] == "Usage"
