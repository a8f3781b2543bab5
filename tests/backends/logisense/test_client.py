"""LogiSenseClient: form login and Bearer token, re-login on expiry, paging (parallel once
the total is known, by what the server really returns), every validation error reported."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from catalogsync.backends.logisense.client import API, LOGIN_PATH, LogiSenseRequestError
from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID, LogiSenseEmulator
from catalogsync.errors import AuthenticationError, BackendError
from tests.backends.logisense.conftest import make_client

pytestmark = pytest.mark.anyio


def services(emulator: LogiSenseEmulator, count: int) -> list[str]:
    usage = emulator.lookup_id("ServiceType", "Usage")
    names = [f"Service {n:03d} 'x' %_" for n in range(count)]
    for name in names:
        emulator.create("Service", name=name, serviceTypeId=usage)
    return names


async def test_login_is_a_form_post_and_the_token_a_bearer_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == LOGIN_PATH:
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 1800})
        return httpx.Response(200, json={"totalCount": 0, "items": []})

    client = make_client(httpx.MockTransport(handler))
    try:
        assert await client.list_all("Currency") == []
    finally:
        await client.aclose()
    login, listing = seen
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(login.content.decode()))
    assert form == {
        "grant_type": "password",
        "username": "ci",
        "password": "pw",
        "client_id": DEFAULT_CLIENT_ID,
    }
    assert listing.headers["authorization"] == "Bearer tok-1"


async def test_a_refused_login_names_no_secret() -> None:
    with LogiSenseEmulator(credentials=("ci", "right")) as emulator:
        client = make_client(emulator.async_transport(), password="wrong-secret")
        try:
            with pytest.raises(AuthenticationError) as caught:
                await client.list_all("Currency")
        finally:
            await client.aclose()
    assert "LogiSense refused the login" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


async def test_expired_tokens_are_replaced_and_the_request_replayed(
    emulator: LogiSenseEmulator,
) -> None:
    emulator.faults.session_max_requests = 2
    client = make_client(emulator.async_transport())
    try:
        for _ in range(5):
            assert len(await client.list_all("Currency")) == 4
        assert client.stats["relogins"] >= 2
    finally:
        await client.aclose()


async def test_pages_after_the_first_are_fetched_together(emulator: LogiSenseEmulator) -> None:
    names = services(emulator, 25)
    client = make_client(emulator.async_transport(), page_size=10)
    try:
        records = await client.paged("Service", detail=False)
    finally:
        await client.aclose()
    assert [r["name"] for r in records] == names
    assert emulator.stats()["by_route"][f"GET {API}/Service/Paged"] == 3


def paging_server(
    total: int, cap: int, count: bool, *, claimed: int | None = None, shift: int = 0
) -> tuple[httpx.MockTransport, list[int]]:
    """A server that puts at most `cap` records on a page, whatever the client asks.

    `claimed` is the totalCount it reports (default: the truth); `shift` moves every page
    after the first back by that many rows (as if rows were inserted before them while the
    listing was read)."""
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == LOGIN_PATH:
            return httpx.Response(200, json={"access_token": "t"})
        page = json.loads(request.headers["Pagination"])
        asked.append(page["pageNumber"])
        start = (page["pageNumber"] - 1) * min(cap, page["pageSize"])
        start -= shift if page["pageNumber"] > 1 else 0
        items = [{"identity": i} for i in range(start, min(total, start + cap))]
        reported = total if claimed is None else claimed
        results = {"totalCount": reported if count else None, "items": items}
        return httpx.Response(200, json={"pagination": page, "pagedResults": results})

    return httpx.MockTransport(handler), asked


@pytest.mark.parametrize("count", [True, False])
async def test_a_server_capping_its_pages_is_paged_by_what_it_returned(count: bool) -> None:
    transport, asked = paging_server(total=23, cap=7, count=count)
    client = make_client(transport)
    try:
        records = await client.paged("Service")
    finally:
        await client.aclose()
    assert [r["identity"] for r in records] == list(range(23))
    # Uncounted, a short page proves nothing: the end is the first empty page.
    assert sorted(asked) == ([1, 2, 3, 4] if count else [1, 2, 3, 4, 5])


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        (dict(claimed=30), "read 23 records but totalCount says 30"),
        (dict(shift=2), "came back on two pages"),
        (dict(count=False, shift=2), "came back on two pages"),
    ],
)
async def test_a_listing_that_is_not_whole_is_an_error_not_a_short_list(
    server: dict[str, Any], problem: str
) -> None:
    transport, _ = paging_server(**{"total": 23, "cap": 7, "count": True, **server})
    client = make_client(transport)
    try:
        with pytest.raises(BackendError, match=problem):
            await client.paged("Service")
    finally:
        await client.aclose()


async def test_every_validation_error_is_reported(emulator: LogiSenseEmulator) -> None:
    client = make_client(emulator.async_transport())
    try:
        with pytest.raises(LogiSenseRequestError) as caught:
            await client.create("Service", {"usageFrequency": "often"})
    finally:
        await client.aclose()
    assert caught.value.status == 400
    message = str(caught.value)
    assert "'Name'" in message and "'ServiceTypeId'" in message and "'UsageFrequency'" in message


async def test_a_missing_object_is_none_or_already_deleted(emulator: LogiSenseEmulator) -> None:
    client = make_client(emulator.async_transport())
    try:
        assert await client.get_detail("Package", 424242) is None
        assert await client.delete("Service", 424242) is None
    finally:
        await client.aclose()
