"""An apply's re-check and verification reads are told how many records of each kind they
should find (`Backend.expect_counts`): the records read before the writes, with each
succeeded create and delete since. BillingPlatform then asks a long read's pages together,
as a plan's first read does, instead of one after another."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal

import anyio
import pytest

from catalogsync.applier import apply_plan
from catalogsync.backend_api import Progress
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import Kind, Ref, product_ref
from catalogsync.config import ObjectRule
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.live import LiveCatalog
from catalogsync.planner import PlanOptions, build_plan
from tests.fakes import InMemoryBackend, live
from tests.test_applier import DESIRED, GOLD, VOICE

PRUNE = PlanOptions(backend="memory", prune=(ObjectRule(kind="product", names=("Old*",)),))


class TellsReads(InMemoryBackend):
    """Notes, for each read, the counts it was told and the counts it found."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.hint: Callable[[], Mapping[Kind, int] | None] | None = None
        self.reads: list[tuple[dict[Kind, int] | None, dict[Kind, int]]] = []

    def expect_counts(self, counts: Callable[[], Mapping[Kind, int] | None]) -> None:
        self.hint = counts

    async def fetch_kinds(
        self, kinds: Collection[Kind], ids: Mapping[Ref, str], *, keys_only: Collection[Kind] = ()
    ) -> LiveCatalog:
        return await self._read()

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        return await self._read()

    async def _read(self) -> LiveCatalog:
        told = self.hint() if self.hint is not None else None
        self.hint = None  # a hint is for the next read only
        found = LiveCatalog(tuple(self.records.values()))
        self.reads.append(
            (None if told is None else dict(told), dict(Counter(r.ref.kind for r in found)))
        )
        return found


def _apply(backend: TellsReads) -> None:
    async def go() -> None:
        before = LiveCatalog(tuple(backend.records.values()))
        plan = build_plan(DESIRED, before, PRUNE)
        await apply_plan(plan, backend, before)

    anyio.run(go)


def _counts(told: Mapping[Kind, int]) -> dict[Kind, int]:
    return {kind: n for kind, n in told.items() if n}


@pytest.mark.parametrize("fail", [(), (GOLD,), (VOICE,)], ids=["all", "gold-fails", "voice-fails"])
def test_each_recheck_and_the_verification_are_told_what_they_then_find(
    fail: tuple[Ref, ...],
) -> None:
    old = [live(product_ref(f"Old{i}"), f"9{i}") for i in range(3)]  # pruned: deleted
    backend = TellsReads([*old, live(product_ref("SMS"), "77")], fail=fail)
    _apply(backend)
    # re-checks before waves 1 and 2 (when they have work), then the verification read
    assert len(backend.reads) >= 2
    for told, found in backend.reads:
        assert told is not None
        assert _counts(told) == found


@pytest.mark.anyio
async def test_billingplatform_fetch_kinds_asks_the_pages_up_to_the_count_it_was_told() -> None:
    with BillingPlatformEmulator() as emulator:
        client = BillingPlatformClient(
            "http://emulator", "u", "p", transport=emulator.async_transport()
        )
        backend = BillingPlatformBackend(client)
        told: list[int | None] = []
        rest = client.query_rest

        async def noting(paging, rows, expected=lambda: None, on_page=None, ahead=None):
            told.append(expected())
            return await rest(paging, rows, expected, on_page, ahead)

        client.query_rest = noting  # type: ignore[method-assign]
        try:
            backend.expect_counts(lambda: {Kind.PACKAGE_PRODUCT: 25_000})
            await backend.fetch_kinds({Kind.PACKAGE_PRODUCT}, {}, keys_only={Kind.PACKAGE_PRODUCT})
            await backend.fetch_kinds({Kind.PACKAGE_PRODUCT}, {})  # the hint was for one read
        finally:
            await backend.close()
    assert told == [25_000, None]


def test_the_verification_is_told_the_catalog_the_apply_leaves() -> None:
    backend = TellsReads([live(product_ref("SMS"), "77", rate=Decimal(2))])
    _apply(backend)
    assert backend.reads[-1][0] == {Kind.PRODUCT: 2, Kind.PACKAGE: 1, Kind.PACKAGE_PRODUCT: 2}
