"""The reads a BillingPlatform full read begins with, as data (`backends/billingplatform/
reads.py`): the columns it selects are those the mapping reads, and its first requests are
`FIRST_READS`, which the login thread sends early (`catalogsync.early_login`)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient, _SessionAuth
from catalogsync.backends.billingplatform.login import EARLY, login_request
from catalogsync.backends.billingplatform.mapping import (
    _PP_KEYS,
    ENTITY,
    FIELDS,
    SYSTEM,
    select_fields,
)
from catalogsync.backends.billingplatform.reads import COLUMNS, FIRST_READS, first_reads
from catalogsync.catalog import Kind
from catalogsync.early_login import query_string
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.http import HttpClient, HttpSettings
from tests.asked_requests import requests_asked


@pytest.mark.parametrize("kind", list(Kind))
def test_the_columns_read_are_id_the_keys_the_mapping_s_fields_and_the_system_ones(
    kind: Kind,
) -> None:
    keys = list(_PP_KEYS) if kind is Kind.PACKAGE_PRODUCT else ["Name"]
    derived = ["Id", *keys, *dict.fromkeys(s.wire for s in FIELDS[kind]), *SYSTEM]
    assert select_fields(kind) == derived == list(COLUMNS[ENTITY[kind]])


def test_the_first_reads_are_the_requests_a_full_read_begins_with() -> None:
    """Every request `fetch_live` sends before its first answer is in, as
    `HttpClient.request` is asked it (what an early read is matched on): `FIRST_READS`."""

    async def read() -> None:
        with BillingPlatformEmulator() as emulator:
            client = BillingPlatformClient(
                "http://emulator",
                "ci",
                "pw",
                transport=emulator.async_transport(),
                settings=HttpSettings(rate_limit_per_second=0),
            )
            backend = BillingPlatformBackend(client)
            try:
                await backend.fetch_live()
            finally:
                await backend.close()

    asked = requests_asked(read)
    assert len(FIRST_READS) == 3
    assert set(asked[:3]) == {read.key() for read in FIRST_READS}


def test_the_first_reads_query_is_written_as_httpx_writes_it() -> None:
    client = httpx.Client(base_url="http://org/acme")
    for read in FIRST_READS:
        sent = client.build_request("GET", read.path, params=dict(read.params))
        assert sent.url.raw_path.decode() == f"/acme{read.path}?{query_string(read.params)}"


def test_the_session_read_early_is_the_hook_s() -> None:
    async def hook_session() -> tuple[httpx.Response, dict[str, str]]:
        with BillingPlatformEmulator() as emulator:
            client = HttpClient("http://emulator", transport=emulator.async_transport())
            login = login_request("ci", "pw")
            response = await client.request(
                "POST", login.path, json=login.json, idempotent=True, authenticate=False
            )
            headers = _SessionAuth("ci", "pw").session_from(client, response)
            await client.aclose()
            return response, headers

    response, headers = asyncio.run(hook_session())
    session = EARLY.session
    assert session is not None
    assert session(response.status_code, response.content) == headers
    assert session(500, response.content) is None
    failed = b'{"loginResponse": [{"SessionID": "x", "ErrorCode": "12"}]}'
    assert session(200, failed) is None and session(200, b"{}") is None


def _org(counts: dict[str, int]) -> httpx.MockTransport:
    """An org of `counts` rows per entity (products only named), paging as BillingPlatform
    does: `OFFSET n ROWS FETCH NEXT m ROWS ONLY`, 404 with the API's body for no rows."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"loginResponse": [{"SessionID": "s"}]})
        sql = request.url.params["sql"]
        found = re.search(r"FROM (\w+) .*OFFSET (\d+) ROWS FETCH NEXT (\d+)", sql)
        assert found is not None, sql
        entity, offset, size = found[1], int(found[2]), int(found[3])
        rows = [
            {"Id": str(i + 1), "Name": f"{entity} {i}"}
            for i in range(offset, min(offset + size, counts.get(entity, 0)))
        ]
        if not rows:
            return httpx.Response(404, json={"error": "NO_ROWS", "message": "no rows"})
        return httpx.Response(200, json={"queryResponse": rows})

    return httpx.MockTransport(answer)


def test_with_the_counts_known_the_reads_sent_early_are_the_pages_the_read_asks() -> None:
    """Told the catalog's counts (the catalog cache's entry), the reads sent early are
    the first pages and every page after them that the read asks once those counts are
    known: with as many live rows as the catalog holds, the read asks each of them."""
    counts = {"product": 25_000, "package": 30, "package_product": 0}
    live = {"PRODUCT": 25_000, "PACKAGE": 30}

    async def read() -> None:
        client = BillingPlatformClient(
            "https://org",
            "u",
            "p",
            transport=_org(live),
            settings=HttpSettings(rate_limit_per_second=0),
        )
        backend = BillingPlatformBackend(client)
        backend.expect_counts(lambda: {Kind(kind): n for kind, n in counts.items()})
        try:
            await backend.fetch_live()
        finally:
            await backend.close()

    asked = requests_asked(read)
    early = [read.key() for read in first_reads(counts)]
    assert len(early) == 3 + 2  # PRODUCT's pages from 10,000 and 20,000
    assert sorted(early) == sorted(asked)


def test_the_pages_after_the_first_are_sent_products_first() -> None:
    """After the three first pages (package-products' first: the largest shows the server's
    cap), the products' pages, then the packages', then the package-products': a product's
    and a package's records are known for good once their read ends (`Backend.hand_out`),
    and a package-product is keyed as soon as its product and package are read."""
    counts = {"product": 20_000, "package": 10_000, "package_product": 20_000}
    early = [re.search(r"FROM (\w+) .*OFFSET (\d+)", r.params["sql"]) for r in first_reads(counts)]
    assert [found.groups() if found else None for found in early] == [
        ("PACKAGE_PRODUCT", "0"),
        ("PRODUCT", "0"),
        ("PACKAGE", "0"),
        ("PRODUCT", "10000"),
        ("PRODUCT", "20000"),
        ("PACKAGE", "10000"),
        ("PACKAGE_PRODUCT", "10000"),
        ("PACKAGE_PRODUCT", "20000"),
    ]
