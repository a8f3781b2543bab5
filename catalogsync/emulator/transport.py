"""In-process httpx transports over an emulator's ASGI app (backend-neutral).

`EmulatorTransport` is what `BaseEmulator.async_transport()` returns: httpx talks to the app
without a socket, and an injected dropped connection surfaces as the same
`httpx.RemoteProtocolError` a real one raises, so client retry code is exercised as is.
`SyncEmulatorTransport` offers the same to a synchronous `httpx.Client` (starlette's own
TestClient wants the `httpx2` package with current Starlette).
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp, Receive, Scope, Send

from catalogsync.emulator.faults import DroppedConnection

__all__ = ["EmulatorTransport", "SyncEmulatorTransport"]


class EmulatorTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` that runs each request through an ASGI app."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        dropped = False

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal dropped
            try:
                await self._app(scope, receive, send)
            except DroppedConnection:
                dropped = True
                raise

        # raise_app_exceptions=False: an app error becomes the 500 response the server's
        # error handler sent, as over a socket; drops are recognised by the flag above.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        response = await transport.handle_async_request(request)
        if dropped:
            await response.aclose()
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            )
        return response


class SyncEmulatorTransport(httpx.BaseTransport):
    """An `httpx.BaseTransport` running `EmulatorTransport` on a private event loop.

    The loop lives in a background thread started on the first request and stopped by
    `close()` (which `httpx.Client.close()` calls), so always close the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._async = EmulatorTransport(app)
        self._lock = threading.Lock()
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._async.handle_async_request(copy)
            content = await response.aread()
            await response.aclose()
            return response.status_code, response.headers.raw, content

        status, headers, content = self._started().call(send)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def _started(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._portal_cm = start_blocking_portal(name="emulator-transport")
                self._portal = self._portal_cm.__enter__()
            return self._portal

    def close(self) -> None:
        """Stop the private event loop (idempotent)."""
        with self._lock:
            portal_cm, self._portal_cm, self._portal = self._portal_cm, None, None
        if portal_cm is not None:
            portal_cm.__exit__(None, None, None)
