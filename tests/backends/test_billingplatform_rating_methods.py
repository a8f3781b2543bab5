"""RATING_METHOD is read only when the live catalog or a write names a rating method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import MAX_PAGE_SIZE, BillingPlatformClient
from catalogsync.catalog import product_ref
from catalogsync.emulator import BillingPlatformEmulator
from catalogsync.plan import Action, Change
from catalogsync.report import Outcome

pytestmark = pytest.mark.anyio


class CountingClient(BillingPlatformClient):
    """Records which entities were queried."""

    queried: list[str]

    async def query_all(
        self,
        entity: str,
        fields: Sequence[str],
        where: str | None = None,
        order_by: str = "Id",
        page_size: int = MAX_PAGE_SIZE,
        require: Sequence[str] = (),
    ) -> list[dict[str, str]]:
        self.queried.append(entity)
        return await super().query_all(entity, fields, where, order_by, page_size, require)


def backend_on(emulator: BillingPlatformEmulator) -> tuple[BillingPlatformBackend, list[str]]:
    client = CountingClient("http://emulator", "u", "p", transport=emulator.async_transport())
    client.queried = []
    return BillingPlatformBackend(client), client.queried


def create(name: str, **values: Any) -> Change:
    return Change(Action.CREATE, product_ref(name), values=values)


async def test_no_rating_method_live_means_no_lookup_until_a_write_names_one() -> None:
    with BillingPlatformEmulator() as emulator:
        backend, queried = backend_on(emulator)
        try:
            await backend.fetch_live()
            assert sorted(queried) == ["PACKAGE", "PACKAGE_PRODUCT", "PRODUCT"]
            (plain,) = await backend.apply_wave([create("Plain", status="ACTIVE")], {})
            assert plain.outcome is Outcome.SUCCEEDED and "RATING_METHOD" not in queried
            (rated,) = await backend.apply_wave([create("Rated", rating_method="Usage")], {})
            assert rated.outcome is Outcome.SUCCEEDED
            assert queried.count("RATING_METHOD") == 1
        finally:
            await backend.close()


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
