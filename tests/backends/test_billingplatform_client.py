"""`BillingPlatformClient` against the in-process BillingPlatform emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from catalogsync.backends.billingplatform.client import (
    BillingPlatformClient,
    RecordResult,
    sql_literal,
)
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.faults import DROP
from catalogsync.errors import AmbiguousWriteError, AuthenticationError
from catalogsync.http import HttpSettings

pytestmark = pytest.mark.anyio

USER, PASSWORD = "sync-bot", "SENTINEL-PASSWORD-42"
# Real retries, but with sub-millisecond backoff so the suite never waits.
FAST = HttpSettings(rate_limit_per_second=0, backoff_base=0.0005, backoff_max=0.002)
TRICKY = "Ünïcødé 'Gold' -- plan; 50% _off_ \\ 名前\nline two"


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    emu = BillingPlatformEmulator(credentials=(USER, PASSWORD))
    yield emu
    emu.close()


@pytest.fixture
async def bp(emulator: BillingPlatformEmulator) -> AsyncIterator[BillingPlatformClient]:
    async with BillingPlatformClient(
        "http://emulator", USER, PASSWORD, settings=FAST, transport=emulator.async_transport()
    ) as client:
        yield client


def products(*names: str) -> list[dict[str, object]]:
    return [{"Name": name, "Status": "ACTIVE", "Rate": "1.50"} for name in names]


async def test_login_and_logout(bp: BillingPlatformClient) -> None:
    await bp.login()
    assert await bp.query_all("PRODUCT", ["Id", "Name"]) == []
    await bp.logout()
    assert bp.stats["logins"] == 1


async def test_wrong_password_is_an_authentication_error(
    emulator: BillingPlatformEmulator,
) -> None:
    async with BillingPlatformClient(
        "http://emulator", USER, "wrong-password", transport=emulator.async_transport()
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.query_all("PRODUCT", ["Id"])
    assert "wrong-password" not in str(caught.value)


async def test_an_empty_entity_is_an_empty_list(bp: BillingPlatformClient) -> None:
    assert await bp.query_all("PACKAGE", ["Id", "Name"]) == []
    assert await bp.query_all("PRODUCT", ["Id"], where="Name = 'nope'") == []


async def test_query_all_pages_through_every_row(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    names = [f"Product {i:02d}" for i in range(7)]
    assert all(r.success for r in await bp.create("PRODUCT", products(*names)))
    emulator.faults.max_page_size = 3
    before = bp.stats["by_method"].get("GET", 0)
    rows = await bp.query_all("PRODUCT", ["Id", "Name", "Rate"], page_size=3)
    assert [row["Name"] for row in rows] == names
    assert len({row["Id"] for row in rows}) == 7
    assert all(isinstance(row["Rate"], str) for row in rows)
    assert bp.stats["by_method"]["GET"] - before == 3  # 3 + 3 + 1 rows


async def test_a_full_last_page_ends_with_an_empty_one(bp: BillingPlatformClient) -> None:
    await bp.create("PRODUCT", products("a", "b", "c", "d"))
    rows = await bp.query_all("PRODUCT", ["Name"], page_size=2)
    assert [row["Name"] for row in rows] == ["a", "b", "c", "d"]


async def test_tricky_names_round_trip_through_create_and_where(
    bp: BillingPlatformClient,
) -> None:
    [created] = await bp.create("PRODUCT", products(TRICKY))
    assert created.success and created.id
    rows = await bp.query_all("PRODUCT", ["Id", "Name"], where=f"Name = {sql_literal(TRICKY)}")
    assert rows == [{"Id": created.id, "Name": TRICKY}]
    found = await bp.query_in("PRODUCT", ["Id", "Name"], "Name", [TRICKY, "absent 'one'"])
    assert [row["Name"] for row in found] == [TRICKY]


async def test_a_mixed_batch_reports_each_record(bp: BillingPlatformClient) -> None:
    batch: list[dict[str, object]] = [
        *products("Good One"),
        {"Status": "ACTIVE"},
        *products("Good Two"),
    ]
    results = await bp.create("PRODUCT", batch)
    assert [r.success for r in results] == [True, False, True]
    failed = results[1]
    assert failed.error_field == "Name" and failed.error_text and failed.error_code != "0"
    rows = await bp.query_all("PRODUCT", ["Name"])
    assert sorted(row["Name"] for row in rows) == ["Good One", "Good Two"]


async def test_upsert_update_and_delete(bp: BillingPlatformClient) -> None:
    first = await bp.upsert("PACKAGE", [{"Name": "Gold", "PackageStatus": "In Development"}])
    assert first == [RecordResult(id=first[0].id, success=True, created=True, error_code="0")]
    again = await bp.upsert("PACKAGE", [{"Name": "Gold", "PackageStatus": "Production"}])
    assert again[0].id == first[0].id and again[0].created is False
    assert first[0].id is not None
    changed = {"Id": first[0].id, "Name": "Gold", "PackageStatus": "In Development"}
    [updated] = await bp.update("PACKAGE", [changed])
    assert updated.success
    rows = await bp.query_all("PACKAGE", ["Id", "PackageStatus"])
    assert rows == [{"Id": first[0].id, "PackageStatus": "In Development"}]
    deleted = await bp.delete("PACKAGE", [first[0].id, "999999"])
    assert [r.success for r in deleted] == [True, False]
    assert await bp.query_all("PACKAGE", ["Id"]) == []


async def test_an_expired_session_logs_in_again(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    emulator.faults.session_max_requests = 2
    for i in range(5):
        [result] = await bp.create("PRODUCT", products(f"P{i}"))
        assert result.success
    assert len(await bp.query_all("PRODUCT", ["Id"])) == 5  # no duplicates from replays
    assert bp.stats["relogins"] >= 2


async def test_injected_503s_are_retried(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    await bp.login()
    emulator.faults.fail_next(503, times=2, path_contains="PRODUCT")
    [result] = await bp.create("PRODUCT", products("Retried"))
    assert result.success
    emulator.faults.fail_next(503, times=2, path_contains="query")
    assert [row["Name"] for row in await bp.query_all("PRODUCT", ["Name"])] == ["Retried"]
    assert bp.stats["retries"] == 4
    assert bp.stats["by_status"]["503"] == 4


async def test_concurrent_batches_across_a_session_expiry_log_in_once_more(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    await bp.login()
    emulator.faults.session_max_requests = 5
    for _ in range(3):
        await bp.query_all("PRODUCT", ["Id"])
    batches = [bp.create("PRODUCT", products(f"C{i}a", f"C{i}b")) for i in range(4)]
    results = await asyncio.gather(*batches)  # 2 fit in the session, 2 see INVALID_SESSION_ID
    assert all(r.success for batch in results for r in batch)
    assert bp.stats["relogins"] == 1
    assert len(await bp.query_all("PRODUCT", ["Id"])) == 8


async def test_a_dropped_connection_is_ambiguous_for_a_create_and_retried_for_an_upsert(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    await bp.login()
    emulator.faults.fail_next(DROP, path_contains="PACKAGE")
    with pytest.raises(AmbiguousWriteError):
        await bp.create("PACKAGE", [{"Name": "Maybe"}])
    emulator.faults.fail_next(DROP, path_contains="PACKAGE")
    [result] = await bp.upsert("PACKAGE", [{"Name": "Maybe"}])
    assert result.success and result.created is True
    assert [row["Name"] for row in await bp.query_all("PACKAGE", ["Name"])] == ["Maybe"]
