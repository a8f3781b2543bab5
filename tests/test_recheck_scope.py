"""The per-wave re-check reads what the wave writes (and what the apply just created), not
the whole catalog, and still stops an apply whose objects another writer took meanwhile."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import anyio
import pytest

from catalogsync.applier import apply_plan
from catalogsync.backend_api import Settled
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import Kind, Ref, package_product_ref, package_ref, product_ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.live import LiveCatalog
from catalogsync.plan import Change
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.report import ChangeResult, Outcome
from tests.fakes import UNPACED, InMemoryBackend, catalog, res
from tests.fakes import live as live_res

VOICE, SMS, GOLD = product_ref("Voice"), product_ref("SMS"), package_ref("Gold")
GOLD_VOICE = package_product_ref("Gold", "Voice")
GOLD_VOICE_SMS = package_product_ref("Gold", "Voice", "SMS")
# three waves: products and the package; the package-product; the one nested under it
DESIRED = catalog(
    res(VOICE, rate=Decimal(1)),
    res(SMS, rate=Decimal(2)),
    res(GOLD),
    res(GOLD_VOICE, min_qty=Decimal(1)),
    res(GOLD_VOICE_SMS, min_qty=Decimal(0)),
)


class RecordsReads(InMemoryBackend):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[set[Kind] | str] = []
        self.keys_only: list[set[Kind]] = []

    async def fetch_kinds(
        self,
        kinds: Collection[Kind],
        ids: Mapping[Ref, str],
        *,
        keys_only: Collection[Kind] = (),
    ) -> LiveCatalog:
        self.reads.append(set(kinds))
        self.keys_only.append(set(keys_only))
        return await super().fetch_kinds(kinds, ids, keys_only=keys_only)


def test_each_recheck_reads_the_wave_kinds_and_the_kinds_just_created() -> None:
    backend = RecordsReads()

    async def go() -> None:
        plan = build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="memory"))
        report = await apply_plan(plan, backend, LiveCatalog())
        assert report.exit_code == 0 and report.verified

    anyio.run(go)
    assert backend.reads == [
        {Kind.PRODUCT, Kind.PACKAGE},  # wave 0 writes them
        {Kind.PACKAGE_PRODUCT, Kind.PRODUCT, Kind.PACKAGE},  # wave 0 created them: duplicates?
        {Kind.PACKAGE_PRODUCT},  # products and packages were checked once after creation
    ]
    # every wave only creates: its objects and the keys just created are looked at by key
    assert backend.keys_only == backend.reads


def test_a_recheck_reads_in_full_the_kinds_the_wave_updates() -> None:
    live = [live_res(VOICE, "1", rate=Decimal(1)), live_res(GOLD, "2")]
    backend = RecordsReads()
    backend.records = {r.ref: r for r in live}
    desired = catalog(res(VOICE, rate=Decimal(5)), res(SMS, rate=Decimal(2)), res(GOLD))

    async def go() -> None:
        plan = build_plan(desired, LiveCatalog(tuple(live)), PlanOptions(backend="memory"))
        report = await apply_plan(plan, backend, LiveCatalog(tuple(live)))
        assert report.exit_code == 0 and report.verified

    anyio.run(go)
    # the wave updates Voice (fields compared) and creates SMS (by key)
    assert backend.reads == [{Kind.PRODUCT}]
    assert backend.keys_only == [set()]


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    with BillingPlatformEmulator() as emu:
        yield emu


def _client(emulator: BillingPlatformEmulator) -> BillingPlatformClient:
    return BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
    )


async def _applied(backend: BillingPlatformBackend) -> tuple[LiveCatalog, dict[Ref, str]]:
    """DESIRED applied through `backend`; the full read after it and its remote ids."""
    live = await backend.fetch_live()
    plan = build_plan(DESIRED, live, PlanOptions(backend="billingplatform"))
    assert (await apply_plan(plan, backend, live)).exit_code == 0
    full = await backend.fetch_live()
    return full, {r.ref: r.remote_id for r in full}


def test_a_billingplatform_read_of_package_products_alone_names_them_as_a_full_read(
    emulator: BillingPlatformEmulator,
) -> None:
    async def go() -> None:
        backend = BillingPlatformBackend(_client(emulator))
        try:
            full, ids = await _applied(backend)
            emulator.reset_stats()
            partial = await backend.fetch_kinds({Kind.PACKAGE_PRODUCT}, ids)
            # PACKAGE_PRODUCT's page, and the COUNT that proves it whole (no page this
            # session saw was longer); no PRODUCT or PACKAGE query
            assert emulator.stats()["total"] == 2
            wanted = [r for r in full if r.ref.kind is Kind.PACKAGE_PRODUCT]
            assert sorted(partial, key=repr) == sorted(wanted, key=repr)
            assert {r.ref for r in partial} == {GOLD_VOICE, GOLD_VOICE_SMS}
        finally:
            await backend.close()

    anyio.run(go)


def test_a_billingplatform_keys_only_read_selects_the_key_columns_and_names_the_same_records(
    emulator: BillingPlatformEmulator,
) -> None:
    async def go() -> None:
        backend = BillingPlatformBackend(_client(emulator))
        try:
            full, ids = await _applied(backend)
            sent: list[str] = []
            client = backend.client
            for name in ("query", "query_columns"):  # every query goes through one of them
                sending = getattr(client, name)

                async def recording(sql: str, *args: Any, _send: Any = sending) -> Any:
                    sent.append(sql)
                    return await _send(sql, *args)

                setattr(client, name, recording)
            keys = await backend.fetch_kinds(set(Kind), ids, keys_only=set(Kind))
            assert {(r.ref, r.remote_id) for r in keys} == {(r.ref, r.remote_id) for r in full}
            selects = [sql for sql in sent if sql.startswith("SELECT Id,")]
            assert selects and all("Rate" not in sql and "Updated" not in sql for sql in selects)
        finally:
            await backend.close()

    anyio.run(go)


class OtherWriterAfterWave1(BillingPlatformBackend):
    """Another apply creates the nested package-product while this one is between waves."""

    def __init__(self, client: BillingPlatformClient, other: BillingPlatformClient) -> None:
        super().__init__(client)
        self.other = other
        self.waves = 0

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        results = await super().apply_wave(changes, ids, settled)
        self.waves += 1
        if self.waves == 2:  # GOLD_VOICE exists now: the other writer nests SMS under it
            parent = next(r.remote_id for r in results if r.ref == GOLD_VOICE)
            record = {
                "Name": "SMS",
                "PackageId": ids[GOLD],
                "ProductId": ids[SMS],
                "ParentPackageProductId": str(parent),
                "MinQty": "0",
            }
            assert all(r.success for r in await self.other.create("PACKAGE_PRODUCT", [record]))
        return results


def test_a_scoped_recheck_still_refuses_a_wave_another_writer_got_to_first(
    emulator: BillingPlatformEmulator,
) -> None:
    async def go() -> None:
        other = _client(emulator)
        backend = OtherWriterAfterWave1(_client(emulator), other)
        try:
            live = await backend.fetch_live()
            plan = build_plan(DESIRED, live, PlanOptions(backend="billingplatform"))
            report = await apply_plan(plan, backend, live)
        finally:
            await backend.close()
            await other.aclose()
        assert report.exit_code == 3
        assert "package-product Gold / Voice / SMS: created by someone else" in report.refused
        assert {r.ref: r.outcome for r in report.results}[GOLD_VOICE_SMS] is Outcome.SKIPPED

    anyio.run(go)
