"""RATING_METHOD is read only when the live catalog or a write names a rating method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import product_ref
from catalogsync.emulator import BillingPlatformEmulator
from catalogsync.plan import Action, Change
from catalogsync.report import Outcome

pytestmark = pytest.mark.anyio


def backend_on(emulator: BillingPlatformEmulator) -> tuple[BillingPlatformBackend, list[str]]:
    """A backend whose client records which entities it queries."""
    client = BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport()
    )
    queried: list[str] = []
    query_all = client.query_all

    async def counting(entity: str, fields: Sequence[str], **kwargs: Any) -> Any:
        queried.append(entity)
        return await query_all(entity, fields, **kwargs)

    setattr(client, "query_all", counting)  # noqa: B010 - a spy on one instance
    return BillingPlatformBackend(client), queried


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
