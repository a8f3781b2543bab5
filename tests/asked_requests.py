"""What a client asks `HttpClient.request`, recorded as an early read is matched on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from catalogsync.http import HttpClient

#: (method, path, its query parameters' items, its own headers' items): `EarlyRead.key()`.
Asked = tuple[Any, ...]


def requests_asked(run: Callable[[], Coroutine[Any, Any, None]]) -> list[Asked]:
    """Every authenticated request `HttpClient.request` is asked while `run()` runs, in the
    order asked, as `EarlyRead.key()` writes a read (the login, unauthenticated, is not)."""
    asked: list[Asked] = []
    request = HttpClient.request

    async def recording(self: HttpClient, method: str, path: str, **kwargs: Any) -> Any:
        if kwargs.get("authenticate", True):
            params = tuple((kwargs.get("params") or {}).items())
            asked.append((method, path, params, tuple((kwargs.get("headers") or {}).items())))
        return await request(self, method, path, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HttpClient, "request", recording)
        asyncio.run(run())
    return asked
