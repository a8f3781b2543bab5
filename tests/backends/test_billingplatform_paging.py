"""Paging that cannot lose rows: a short page ends a read only when no server cap can explain
it (a page this server already answered was larger) or a COUNT says every row is in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.cli import cli
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.errors import BackendError
from catalogsync.report import Outcome
from tests.conftest import copy_example

pytestmark = pytest.mark.anyio


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    with BillingPlatformEmulator() as emu:
        yield emu


@pytest.fixture
async def bp(emulator: BillingPlatformEmulator) -> AsyncIterator[BillingPlatformClient]:
    async with BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport()
    ) as client:
        yield client


async def packages(bp: BillingPlatformClient, count: int) -> None:
    results = await bp.upsert("PACKAGE", [{"Name": f"P{i:02}"} for i in range(count)])
    assert all(r.success for r in results)


async def test_a_server_cap_below_the_page_size_loses_no_rows(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    await packages(bp, 12)
    emulator.faults.max_page_size = 5
    emulator.reset_stats()
    rows = await bp.query_all("PACKAGE", ["Id", "Name"])
    assert [r["Name"] for r in rows] == [f"P{i:02}" for i in range(12)]
    # page of 5 (short of 10,000: a cap?), COUNT says 12, pages of 5 and 2 (2 < 5: the end)
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 4


async def test_pages_shorter_than_one_already_served_need_no_count(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    await packages(bp, 7)
    emulator.reset_stats()
    assert len(await bp.query_all("PACKAGE", ["Id"], page_size=3)) == 7  # 3, 3, then 1 < 3
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 3
    emulator.reset_stats()
    assert await bp.query_all("PRODUCT", ["Id"]) == []  # no rows (404): no count either
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 1


async def test_a_plan_of_small_entities_costs_one_count(emulator: BillingPlatformEmulator) -> None:
    client = BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport()
    )
    backend = BillingPlatformBackend(client)
    try:
        await packages(client, 3)
        await client.create("PRODUCT", [{"Name": "Voice"}])
        emulator.reset_stats()
        live = await backend.fetch_live()
    finally:
        await backend.close()
    assert len(live.resources) == 4
    # Three first pages, and one COUNT: PACKAGE's page (3 rows) is the largest, so only it
    # could have been cut by a cap; PRODUCT's 1 row and PACKAGE_PRODUCT's none could not.
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 3 + 1


async def test_a_failed_delete_is_not_taken_for_done_when_the_reread_404_is_no_api_answer(
    emulator: BillingPlatformEmulator,
) -> None:
    """A failed delete used to read as "already deleted" when the re-read answered any 404."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"loginResponse": [{"SessionID": "s"}]})
        if "/delete/" in request.url.path:
            failure = {"Id": "7", "success": False, "ErrorCode": "X", "ErrorText": "locked"}
            return httpx.Response(200, json={"deleteResponse": [failure]})
        return httpx.Response(
            404, text="<html>Not Found</html>", headers={"content-type": "text/html"}
        )

    client = BillingPlatformClient(
        "http://localhost", "u", "p", transport=httpx.MockTransport(answer)
    )
    backend = BillingPlatformBackend(client)
    from catalogsync.catalog import product_ref
    from catalogsync.plan import Action, Change

    delete = Change(Action.DELETE, product_ref("Old"), remote_id="7")
    try:
        (result,) = await backend.apply_wave([delete], {})
    finally:
        await backend.close()
    assert result.outcome is Outcome.FAILED and "locked" in (result.message or "")
    with pytest.raises(BackendError, match="404 without the API's error body"):
        await BillingPlatformClient(
            "http://localhost", "u", "p", transport=httpx.MockTransport(answer)
        ).query("SELECT Id FROM PRODUCT")


def test_the_example_converges_under_a_five_row_page_cap(tmp_path: Path) -> None:
    """Issue 13: with `--max-page-size 5` a re-apply created duplicates."""
    project = copy_example(tmp_path / "example")
    config = project / "catalogsync.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            'local: {url: "emulator:"}', 'local: {url: "emulator:", emulator_profile: small-pages}'
        ),
        encoding="utf-8",
    )

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["-C", str(project), *args])
        return result.exit_code, result.stdout

    assert run("apply", "--auto-approve")[0] == 0
    code, out = run("plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    assert run("apply", "--auto-approve")[0] == 0
    with BillingPlatformEmulator(project / ".catalogsync" / "billingplatform.sqlite3") as emu:
        names = [r["Name"] for r in emu.records("PRODUCT")]
    assert len(names) == len(set(names)) == 10  # the example declares 10 products
