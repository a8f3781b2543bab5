"""A column the org's schema lacks (profile narrow-schema: PRODUCT without Ranking) is found,
named in a warning and left out: the rest of the catalog is still read and planned."""

from __future__ import annotations

import logging

import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import product_ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from tests.fakes import UNPACED

pytestmark = pytest.mark.anyio


async def test_a_missing_column_is_reported_and_the_fetch_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with BillingPlatformEmulator(profile="narrow-schema") as emulator:
        client = BillingPlatformClient(
            "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
        )
        backend = BillingPlatformBackend(client)
        try:
            (saved,) = await client.create("PRODUCT", [{"Name": "Voice", "Rate": "0.05"}])
            assert saved.success
            with caplog.at_level(logging.WARNING):
                live = await backend.fetch_live()
        finally:
            await backend.close()
    assert backend.missing_columns == {"PRODUCT": ("Ranking",)}
    assert "PRODUCT: this org's schema has no column Ranking" in caplog.text
    fields = live.by_ref()[product_ref("Voice")].fields
    assert str(fields["rate"]) == "0.05" and fields["ranking"] is None
