"""The backend-neutral middleware: faults (latency, rate limit, error statuses, dropped
connections) and the path rewrite every backend applies before routing.

The fault layer sits just inside the request log, so every injected fault is logged and
counted like a real answer. The backend supplies `error_response`, because each billing
system words its errors differently. Control endpoints (`/_emulator/...`) are never faulted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalogsync.emulator.faults import Decision, DroppedConnection, FaultInjector, Faults
from catalogsync.emulator.requestlog import CONTROL_PREFIX

__all__ = ["ErrorResponder", "FaultMiddleware", "PathRewrite"]

#: Builds the backend's error response for an injected status and a reason text.
ErrorResponder = Callable[[int, str], Response]

#: Statuses that may carry `Retry-After` when `Faults.retry_after_seconds` is set.
_RETRY_AFTER_STATUSES = frozenset({429, 503})


class FaultMiddleware:
    """Pure ASGI middleware applying `Faults` before the request reaches the backend app."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        get_faults: Callable[[], Faults],
        error_response: ErrorResponder,
    ) -> None:
        self.app = app
        self.injector = injector
        self.get_faults = get_faults
        self.error_response = error_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        faults = self.get_faults()
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000.0)
        decision = self.injector.decide(scope["path"])
        if decision.action == "respond":
            await self._respond(decision, faults, scope, receive, send)
        elif decision.action == "drop":
            if decision.drop_after_processing:
                await self.app(scope, receive, _discard)
            await _drop(send)
        else:
            await self.app(scope, receive, send)

    async def _respond(
        self, decision: Decision, faults: Faults, scope: Scope, receive: Receive, send: Send
    ) -> None:
        response = self.error_response(decision.status, decision.reason)
        if faults.retry_after_seconds is not None and decision.status in _RETRY_AFTER_STATUSES:
            response.headers["Retry-After"] = _format_seconds(faults.retry_after_seconds)
        await response(scope, receive, send)


async def _discard(message: Message) -> None:
    """A `send` that throws the processed response away (it is 'lost on the wire')."""


async def _drop(send: Send) -> None:
    """Start a response that promises a body, then cut the connection.

    An ASGI app cannot close a socket itself. uvicorn closes it when the app raises after
    the status line, so the client reads headers and then an early EOF (httpx raises
    `RemoteProtocolError`, requests `ChunkedEncodingError`); had nothing been sent, uvicorn
    would answer 500 instead of dropping.
    """
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )
    raise DroppedConnection("connection dropped (injected fault)")


def _format_seconds(seconds: float) -> str:
    """Integral seconds as an HTTP delta-seconds value; fractions kept for fast tests.

    RFC 9110 wants an integer; a fractional value such as "0.25" lets tests retry quickly,
    and clients that parse the header as a float (ours does) honour it.
    """
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


class PathRewrite:
    """ASGI middleware giving the routes the path as the backend normalises it (`//` folded,
    case canonicalised...), so they match every spelling the real server accepts."""

    def __init__(self, app: ASGIApp, rewrite: Callable[[str], str]) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = dict(scope)
            scope["path"] = self.rewrite(scope["path"])
        await self.app(scope, receive, send)
