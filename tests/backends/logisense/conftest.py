"""Fixtures for LogiSense backend tests: an in-process emulator and a backend wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.backends.logisense.client import MAX_PAGE_SIZE, LogiSenseClient
from catalogsync.backends.settle import Settle
from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID, LogiSenseEmulator
from catalogsync.http import HttpSettings

FAST = HttpSettings(rate_limit_per_second=0, backoff_base=0.0, max_retries=2)


class DropAfterProcessing(httpx.AsyncBaseTransport):
    """Let the emulator process the next matching request, then lose its answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.armed: tuple[str, str] | None = None
        self.dropped = 0

    def arm(self, method: str, path_suffix: str) -> None:
        self.armed = (method, path_suffix)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        armed = self.armed
        if armed and request.method == armed[0] and request.url.path.endswith(armed[1]):
            self.armed = None
            await response.aread()
            self.dropped += 1
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def emulator() -> Iterator[LogiSenseEmulator]:
    with LogiSenseEmulator() as emulator:
        yield emulator


@pytest.fixture
def dropper(emulator: LogiSenseEmulator) -> DropAfterProcessing:
    return DropAfterProcessing(emulator.async_transport())


def make_client(
    transport: httpx.AsyncBaseTransport, page_size: int = MAX_PAGE_SIZE, password: str = "pw"
) -> LogiSenseClient:
    return LogiSenseClient(
        "http://emulator",
        "ci",
        password,
        DEFAULT_CLIENT_ID,
        transport=transport,
        settings=FAST,
        page_size=page_size,
    )


@pytest.fixture
async def backend(dropper: DropAfterProcessing) -> AsyncIterator[LogiSenseBackend]:
    # No settle window: these tests script the server, nothing lands late.
    backend = LogiSenseBackend(make_client(dropper), settle=Settle(window=0))
    try:
        yield backend
    finally:
        await backend.close()
