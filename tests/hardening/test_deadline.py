"""`timeout_seconds` bounds a whole request, not each read: a dripping server cannot hold it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from catalogsync.errors import BackendError
from catalogsync.http import HttpClient, HttpSettings

BYTES = 40


class Drip(httpx.AsyncByteStream):
    """An answer body sent one byte every 0.1 s: each read is fast, the whole is slow."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(BYTES):
            await asyncio.sleep(0.1)
            self.sent += 1
            yield b" "


def test_a_server_dripping_its_answer_misses_the_deadline() -> None:
    drips: list[Drip] = []

    def answer(request: httpx.Request) -> httpx.Response:
        drips.append(Drip())
        return httpx.Response(200, stream=drips[-1])

    async def get() -> None:
        settings = HttpSettings(timeout_seconds=0.5, max_retries=1, backoff_base=0)
        async with HttpClient(
            "http://emulator", settings=settings, transport=httpx.MockTransport(answer)
        ) as client:
            await client.request("GET", "/rest/2.0/query", idempotent=True)

    with pytest.raises(BackendError) as caught:
        anyio.run(get)
    message = str(caught.value)
    assert message.startswith("GET /rest/2.0/query failed after 2 attempts: ReadTimeout")
    assert "no complete answer within 0.5s" in message
    # Each attempt was cut off long before the body was complete.
    assert len(drips) == 2 and all(drip.sent < BYTES for drip in drips)


def test_a_post_cut_off_by_the_deadline_is_an_ambiguous_write() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Drip())

    async def post() -> None:
        settings = HttpSettings(timeout_seconds=0.3, max_retries=3)
        async with HttpClient(
            "http://emulator", settings=settings, transport=httpx.MockTransport(answer)
        ) as client:
            await client.request("POST", "/x", json={}, idempotent=False)

    with pytest.raises(BackendError, match="may or may not have been applied"):
        anyio.run(post)
