"""Paging that cannot lose rows: a short page ends a read only when no server cap can explain
it (a page this server already answered was larger) or a COUNT says every row is in."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import operator
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from catalogsync.backends.billingplatform import backend as backend_module
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient, Paging
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.catalog import Kind
from catalogsync.cli import cli
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.errors import BackendError
from catalogsync.http import HttpSettings
from catalogsync.report import Outcome
from tests.conftest import copy_example

pytestmark = pytest.mark.anyio


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    with BillingPlatformEmulator() as emu:
        yield emu


@pytest.fixture
async def bp(emulator: BillingPlatformEmulator) -> AsyncIterator[BillingPlatformClient]:
    async with _unpaced(emulator.async_transport()) as client:
        yield client


async def packages(bp: BillingPlatformClient, count: int) -> None:
    results = await bp.upsert("PACKAGE", [{"Name": f"P{i:02}"} for i in range(count)])
    assert all(r.success for r in results)


async def test_a_read_joins_its_pages_texts_as_the_pages_hold_them(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each page shares its repeated texts already (`query_columns`); the read joins them
    # without a second pass over every text (at L ~0.35 s of CPU): what the read holds
    # is each page's own text objects, as the page was decoded.
    await packages(bp, 12)
    emulator.faults.max_page_size = 5
    paging = Paging("PACKAGE", ["Id", "Name", "PackageStatus"])
    decoded: list[Columns] = []
    page_of = bp.columns_page

    async def columns_page(paging: Paging, offset: int, short: bool = False) -> Columns:
        decoded.append(await page_of(paging, offset, short))
        return decoded[-1]

    monkeypatch.setattr(bp, "columns_page", columns_page)
    read = await bp.query_rest(paging, await bp.columns_page(paging, 0))
    assert [len(page) for page in decoded] == [5, 5, 2]
    for name in paging.fields:
        held = [text for page in decoded for text in page.column(name)]
        assert held == list(read.column(name))
        assert all(map(operator.is_, held, read.column(name)))
    statuses = read.column("PackageStatus")
    assert statuses[0] is statuses[4] and statuses[0] == statuses[5]  # shared in a page


@pytest.mark.parametrize("expected", [None, 12])
async def test_a_server_cap_below_the_page_size_loses_no_rows(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator, expected: int | None
) -> None:
    await packages(bp, 12)
    emulator.faults.max_page_size = 5
    emulator.reset_stats()
    paging = Paging("PACKAGE", ["Id", "Name"])
    rows = await bp.query_rest(paging, await bp.query_page(paging, 0), lambda: expected)
    assert [r["Name"] for r in rows] == [f"P{i:02}" for i in range(12)]
    # page of 5 (short of 10,000: a cap?), COUNT says 12, pages of 5 and 2 (2 < 5: the end);
    # with or without an expected count: pages of a cap's size go one after another
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
    client = _unpaced(emulator.async_transport())
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


class _Offsets(httpx.AsyncBaseTransport):
    """Wraps a transport: the OFFSET of each query as it is sent ("ask") and answered."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.events: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sql = request.url.params.get("sql", "")
        offset = int(sql.split(" OFFSET ")[1].split()[0]) if " OFFSET " in sql else -1
        self.events.append(("ask", offset))
        response = await self.inner.handle_async_request(request)
        self.events.append(("answer", offset))
        return response


def _unpaced(transport: httpx.AsyncBaseTransport, concurrency: int = 4) -> BillingPlatformClient:
    """A client without the rate limiter: requests asked together go out together (with
    it, the in-process emulator answers each before the next may start)."""
    settings = HttpSettings(rate_limit_per_second=0, concurrency=concurrency)
    return BillingPlatformClient(
        "http://emulator", "u", "p", transport=transport, settings=settings
    )


@pytest.fixture
def offsets(emulator: BillingPlatformEmulator) -> _Offsets:
    return _Offsets(emulator.async_transport())


async def _read(
    offsets: _Offsets, emulator: BillingPlatformEmulator, rows: int, expected: int | None
) -> list[str]:
    """Packages P00… up to `rows` (more are kept) read 5 a page, `expected` given."""
    async with _unpaced(offsets) as client:
        await packages(client, rows)
        paging = Paging("PACKAGE", ["Id", "Name"], size=5)
        first = await client.query_page(paging, 0)
        emulator.reset_stats()
        offsets.events.clear()
        read = await client.query_rest(paging, first, lambda: expected)
    return [row["Name"] for row in read]


async def test_pages_below_the_expected_count_are_asked_together(
    offsets: _Offsets, emulator: BillingPlatformEmulator
) -> None:
    assert await _read(offsets, emulator, 23, 23) == [f"P{i:02}" for i in range(23)]
    # Every page that starts below 23 rows went out before any of them was answered, and
    # no more were asked than a read page by page asks: floor(23 / 5) + 1 = 5 with the first.
    assert offsets.events[:4] == [("ask", o) for o in (5, 10, 15, 20)], offsets.events
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 4


class _Held(httpx.AsyncBaseTransport):
    """Wraps a transport: the answer to the query from row `offset` waits for `release`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, offset: int) -> None:
        self.inner, self.offset = inner, offset
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        sql = request.url.params.get("sql", "")
        if " OFFSET " in sql and int(sql.split(" OFFSET ")[1].split()[0]) == self.offset:
            await self.release.wait()
        return response


async def test_each_page_asked_together_is_told_as_it_comes_in(
    emulator: BillingPlatformEmulator,
) -> None:
    """The pages asked together are handed to `on_page` in offset order as each is in,
    not once all are: the last one's answer waits here until the pages before it are
    told (a read that waited for every page first would never end)."""
    held = _Held(emulator.async_transport(), 20)
    told: list[list[str]] = []

    def on_page(rows: list[dict[str, str]]) -> None:
        told.append([row["Name"] for row in rows])
        if len(told) == 3:  # the pages from rows 5, 10 and 15: the one from 20 may answer
            held.release.set()

    async with _unpaced(held) as client:
        await packages(client, 23)
        paging = Paging("PACKAGE", ["Id", "Name"], size=5)
        first = await client.query_page(paging, 0)
        read = await asyncio.wait_for(client.query_rest(paging, first, lambda: 23, on_page), 5)
    names = [f"P{i:02}" for i in range(23)]
    assert [row["Name"] for row in read] == names
    assert told == [names[at : at + 5] for at in (5, 10, 15, 20)]


async def test_an_expected_count_never_decides_where_a_read_ends(
    offsets: _Offsets, emulator: BillingPlatformEmulator
) -> None:
    names = [f"P{i:02}" for i in range(23)]
    # Fewer rows than expected: the short page at 20 ends the read; the pages asked beyond
    # it (25, 30, 35, 40) are dropped, and cost the only requests a page-by-page read saves.
    assert await _read(offsets, emulator, 23, 40) == names
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 8
    # More rows than expected: the pages below 12 together, then page by page to the end.
    assert await _read(offsets, emulator, 0, 12) == names  # 23 rows already there
    assert [o for event, o in offsets.events if event == "ask"] == [5, 10, 15, 20]
    assert offsets.events[:2] == [("ask", 5), ("ask", 10)]
    assert offsets.events[-2:] == [("ask", 20), ("answer", 20)]
    # A multiple of the page size: the empty page proves the end, as page by page (it is
    # asked with the others, since a read of that many rows asks it in any case).
    emulator.reset_stats()
    assert await _read(offsets, emulator, 25, 25) == [*names, "P23", "P24"]
    assert [o for event, o in offsets.events if event == "ask"] == [5, 10, 15, 20, 25]


async def test_a_full_read_asks_the_rest_of_each_entity_together_once_counts_are_known(
    emulator: BillingPlatformEmulator, offsets: _Offsets, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "Paging", functools.partial(Paging, size=5))
    # Slots for every page at once: with 4, the last page waited for whichever answer came
    # first, which made the order below depend on thread timing (a flaky test).
    backend = BillingPlatformBackend(_unpaced(offsets, concurrency=8))
    try:
        await packages(backend.client, 12)
        offsets.events.clear()
        backend.expect_counts(lambda: {Kind.PACKAGE: 12})
        live = await backend.fetch_live()
        after = list(offsets.events)
        offsets.events.clear()
        await backend.fetch_live()  # the hint was for one read: the next goes page by page
    finally:
        await backend.close()
    assert len(live.resources) == 12
    package_asks = [o for event, o in after if event == "ask" and o >= 5]
    assert package_asks == [5, 10]
    assert after.index(("ask", 10)) < after.index(("answer", 5))
    assert offsets.events.index(("ask", 10)) > offsets.events.index(("answer", 5))


class _Asks(_Offsets):
    """`_Offsets`, with the entity of each query: ("ask" | "answer", entity, offset)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.asks: list[tuple[str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sql = request.url.params.get("sql", "")
        entity = sql.split(" FROM ")[1].split()[0] if " FROM " in sql else ""
        offset = int(sql.split(" OFFSET ")[1].split()[0]) if " OFFSET " in sql else -1
        self.asks.append(("ask", entity, offset))
        response = await self.inner.handle_async_request(request)
        self.asks.append(("answer", entity, offset))
        return response


async def test_counts_known_before_the_read_ask_every_page_behind_the_first_ones(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "Paging", functools.partial(Paging, size=5))
    asks = _Asks(emulator.async_transport())
    backend = BillingPlatformBackend(_unpaced(asks))
    try:
        await packages(backend.client, 12)
        created = await backend.client.create("PRODUCT", [{"Name": f"V{i}"} for i in range(10)])
        assert all(r.success for r in created)
        asks.asks.clear()
        backend.expect_counts(lambda: {Kind.PRODUCT: 10, Kind.PACKAGE: 12})
        live = await backend.fetch_live()
    finally:
        await backend.close()
    assert len(live.resources) == 22
    sent = [(entity, offset) for event, entity, offset in asks.asks if event == "ask"]
    # The first page of each entity, then the pages the counts fill (5-9 of 10 products,
    # 5-9 of 12 packages), then the last pages (10: products' empty page proving the end,
    # packages' short one).
    assert sent == [
        ("PRODUCT", 0),
        ("PACKAGE", 0),
        ("PACKAGE_PRODUCT", 0),
        ("PRODUCT", 5),
        ("PACKAGE", 5),
        ("PRODUCT", 10),
        ("PACKAGE", 10),
    ]
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 7  # what page by page asks
    # Asked ahead: not held until every first page is in (four requests at once at most).
    assert asks.asks.index(("ask", "PRODUCT", 5)) < asks.asks.index(
        ("answer", "PACKAGE_PRODUCT", 0)
    )


class _FirstPagesHeld(_Asks):
    """`_Asks`, answering no first page until a later page is asked (or 2 s have passed:
    then the test fails on the order, rather than hanging)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.later_page_asked = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sql = request.url.params.get("sql", "")
        if " OFFSET " in sql and " OFFSET 0 " not in sql:
            self.later_page_asked.set()
        elif " OFFSET " in sql:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.later_page_asked.wait()
        return await super().handle_async_request(request)


async def test_counts_known_while_the_first_pages_are_on_the_wire_ask_the_rest_ahead(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when the session was open before the read (the login sent before the command read
    its configuration, `early_login`): the catalog cache tells the counts a moment after the
    read began, while its first pages are on the wire."""
    monkeypatch.setattr(backend_module, "Paging", functools.partial(Paging, size=5))
    asks = _FirstPagesHeld(emulator.async_transport())
    backend = BillingPlatformBackend(_unpaced(asks, concurrency=8))
    asked_for_counts = 0

    def counts_known_on_the_third_look() -> dict[Kind, int] | None:
        nonlocal asked_for_counts
        asked_for_counts += 1
        return {Kind.PACKAGE: 12} if asked_for_counts >= 3 else None

    try:
        await packages(backend.client, 12)
        await backend.client.ensure_session()
        asks.asks.clear()
        backend.expect_counts(counts_known_on_the_third_look)
        live = await backend.fetch_live()
    finally:
        await backend.close()
    assert len(live.resources) == 12
    assert asks.asks.index(("ask", "PACKAGE", 10)) < asks.asks.index(("answer", "PACKAGE", 0))
    # As page by page: each entity's first page (two empty), and packages 5-9 and 10-11.
    assert emulator.stats()["by_route"]["GET /rest/2.0/query"] == 5


async def test_pages_asked_ahead_of_a_refused_first_page_are_dropped_and_the_read_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backend_module, "Paging", functools.partial(Paging, size=5))
    with BillingPlatformEmulator(profile="narrow-schema") as emulator:  # PRODUCT lacks Ranking
        backend = BillingPlatformBackend(_unpaced(emulator.async_transport()))
        try:
            created = await backend.client.create("PRODUCT", [{"Name": f"V{i}"} for i in range(7)])
            assert all(r.success for r in created)
            backend.expect_counts(lambda: {Kind.PRODUCT: 7})
            live = await backend.fetch_live()
        finally:
            await backend.close()
    # The page asked ahead (5, with Ranking) was refused like the first; the read went on
    # without the column, page by page, and lost no row.
    assert backend.missing_columns == {"PRODUCT": ("Ranking",)}
    assert sorted(r.ref.name for r in live.resources) == [f"V{i}" for i in range(7)]


async def test_pages_asked_ahead_of_a_first_page_that_ends_the_read_are_never_sent(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "Paging", functools.partial(Paging, size=5))
    asks = _Asks(emulator.async_transport())
    # One slot: the pages asked ahead wait for it while the first page is out.
    settings = HttpSettings(rate_limit_per_second=0, concurrency=1)
    client = BillingPlatformClient("http://emulator", "u", "p", transport=asks, settings=settings)
    backend = BillingPlatformBackend(client)
    try:
        backend.expect_counts(lambda: {Kind.PRODUCT: 20})
        live = await backend.fetch_kinds({Kind.PRODUCT}, {})  # an empty org: a cold apply's
    finally:
        await backend.close()
    assert live.resources == ()
    # The empty first page dropped the four pages asked ahead before they had the slot.
    assert [a for a in asks.asks if a[0] == "ask" and a[1]] == [("ask", "PRODUCT", 0)]


async def test_a_page_is_decoded_here_only_when_no_other_answer_is_awaited(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pages_beside` decodes a page by the worker while another answer that may be long
    is awaited (this process has other pages to build), and here when none is (the
    worker's round trip would only be waited for): a page expected short or empty, which
    only proves a read's end, is not waited on."""
    from catalogsync.backends.billingplatform import client as client_module
    from catalogsync.backends.billingplatform import pages_beside

    held = _Held(emulator.async_transport(), 20)
    told: list[tuple[int, bool]] = []
    decode = pages_beside.page_columns

    async def page_columns(body: bytes, *args: object, alone: bool = False) -> Columns | None:
        page = await decode(body, *args, alone=alone)  # type: ignore[arg-type]
        told.append((0 if page is None else len(page), alone))
        held.release.set()  # the page from row 20 answers once the one from row 5 is in
        return page

    monkeypatch.setattr(client_module, "page_columns", page_columns)
    async with _unpaced(held) as client:
        await packages(client, 23)
        paging = Paging("PACKAGE", ["Id", "Name"], size=5)
        pages = [client.columns_page(paging, offset) for offset in (5, 20)]
        read = await asyncio.wait_for(asyncio.gather(*pages), 5)
        assert [len(page) for page in read] == [5, 3]
        assert told == [(5, False), (3, True)]
        held.release = asyncio.Event()
        pages = [client.columns_page(paging, 10), client.columns_page(paging, 20, short=True)]
        await asyncio.wait_for(asyncio.gather(*pages), 5)
        assert told[2:] == [(5, True), (3, True)]


@pytest.mark.parametrize("outlive", [False, True])
async def test_an_export_s_read_keeps_its_tables_to_the_exit(
    emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch, outlive: bool
) -> None:
    """`reads_outlive` (an export, which exits once its work is done): what the read was
    built from is kept to the exit (`collector.outlive`), not freed before the export's
    work; otherwise (plan, apply) it is let go of as the read ends. The same catalog."""
    from catalogsync import collector
    from catalogsync.backends.billingplatform.live_rows import LiveRows

    kept: list[object] = []
    monkeypatch.setattr(collector, "_a_command", True)
    monkeypatch.setattr(collector, "_OUTLIVING", kept)
    async with _unpaced(emulator.async_transport()) as client:
        await packages(client, 3)
        backend = BillingPlatformBackend(client)
        if outlive:
            backend.reads_outlive()
        live = await backend.fetch_live()
    names = sorted(r.ref.key for r in live.resources if r.ref.kind is Kind.PACKAGE)
    assert names == [("P00",), ("P01",), ("P02",)]
    tables = [value for value in kept if isinstance(value, LiveRows)]
    assert len(tables) == outlive
    for rows in tables:
        assert rows._names[Kind.PACKAGE]  # not released: its tables as the read built them
