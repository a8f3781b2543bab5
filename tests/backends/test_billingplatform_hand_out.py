"""`Backend.hand_out` on BillingPlatform: products (or packages) handed over as soon as their
read ends while another one goes on, as the very records of the live catalog; products
not when one names a rating method (named once the read has ended), and not the kind
whose read ends last (the read is as good as over then)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.live_rows import LiveRows
from catalogsync.catalog import Kind
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.live import LiveCatalog, LiveResource
from tests.backends.test_billingplatform_paging import _unpaced

pytestmark = pytest.mark.anyio


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    with BillingPlatformEmulator() as emu:
        yield emu


async def _read(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch, *, rating_method: bool
) -> tuple[list[tuple[Kind, list[LiveResource], bool]], LiveCatalog]:
    """A read with `hand_out`, then one without: what was handed over (with whether the
    read had ended then), and the first read's live catalog."""
    finished: list[bool] = []
    finish = LiveRows.finish

    def noted(self: LiveRows, rating_methods: Any, keep: bool = False) -> list[LiveResource]:
        finished.append(True)
        return finish(self, rating_methods, keep)

    monkeypatch.setattr(LiveRows, "finish", noted)
    handed: list[tuple[Kind, list[LiveResource], bool]] = []

    def ready(kind: Kind, records: Sequence[LiveResource]) -> None:
        handed.append((kind, list(records), bool(finished)))

    client = _unpaced(emulator.async_transport())
    backend = BillingPlatformBackend(client)
    try:
        # Three packages: PACKAGE's first page is the largest, and its read asks a COUNT
        # (client.query_rest) once the others have ended.
        package, *_ = await client.create("PACKAGE", [{"Name": n} for n in ("A", "B", "C")])
        product: dict[str, str] = {"Name": "Voice"}
        if rating_method:
            (method,) = await client.create("RATING_METHOD", [{"RatingMethodType": "Usage"}])
            product["RatingMethodId"] = str(method.id)
        voice, _ = await client.create("PRODUCT", [product, {"Name": "Data"}])
        pp = {
            "PackageId": str(package.id),
            "ProductId": str(voice.id),
            "Name": "Gold Voice",
            "MinQty": "1",
        }
        assert (await client.create("PACKAGE_PRODUCT", [pp]))[0].success
        backend.hand_out(ready)
        live = await backend.fetch_live()
        await backend.fetch_live()  # (`hand_out` is for the next read only)
    finally:
        await backend.close()
    return handed, live


def _of(live: LiveCatalog, kind: Kind) -> list[LiveResource]:
    return [resource for resource in live if resource.ref.kind is kind]


async def test_products_are_handed_over_while_another_read_goes_on(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed, live = await _read(emulator, monkeypatch, rating_method=False)
    assert [kind for kind, _, _ in handed] == [Kind.PRODUCT]  # (PACKAGE's read ends last)
    for kind, records, after_the_end in handed:
        assert not after_the_end
        assert sorted(map(id, records)) == sorted(map(id, _of(live, kind)))
    assert len(_of(live, Kind.PRODUCT)) == 2 and len(_of(live, Kind.PACKAGE_PRODUCT)) == 1


async def test_products_one_of_which_names_a_rating_method_are_not_handed_over(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its rating method is named once the read has ended (`LiveRows.finish`, in place)."""
    handed, live = await _read(emulator, monkeypatch, rating_method=True)
    assert handed == []
    (voice,) = [r for r in _of(live, Kind.PRODUCT) if r.ref.name == "Voice"]
    assert voice.fields["rating_method"] == "Usage"
