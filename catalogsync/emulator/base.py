"""What every emulator shares: faults, the request log, the middleware stack, transports.

A backend emulator subclasses `BaseEmulator`, sets up its own state, and then calls
`super().__init__()`, which assembles the Starlette app:

    RequestLogMiddleware  (outermost: times and counts what the client saw)
      FaultMiddleware     (latency, rate limit, injected statuses, dropped connections)
        backend middleware (e.g. path normalisation)
          routes          (control routes + the backend's routes)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ExceptionHandler

from catalogsync.emulator.control import control_routes
from catalogsync.emulator.faults import FaultInjector, Faults
from catalogsync.emulator.middleware import FaultMiddleware
from catalogsync.emulator.requestlog import RequestLog, RequestLogEntry, RequestLogMiddleware
from catalogsync.emulator.transport import EmulatorTransport, SyncEmulatorTransport

__all__ = ["BaseEmulator"]


class BaseEmulator(ABC):
    """Base of the stateful billing-system emulators; thread-safe once built."""

    #: The name `catalogsync emulator serve --backend` knows this emulator by.
    backend_name: ClassVar[str]

    def __init__(self, *, faults: Faults | None = None) -> None:
        #: The live fault configuration; change its fields (or replace it) at any time.
        self.faults = faults if faults is not None else Faults()
        self._log = RequestLog()
        self._injector = FaultInjector(lambda: self.faults)
        self._sync_transports: list[SyncEmulatorTransport] = []
        #: The ASGI application (Starlette), for uvicorn or starlette's TestClient.
        self.app: Starlette = Starlette(
            routes=[*control_routes(self), *self.routes()],
            middleware=[
                Middleware(RequestLogMiddleware, log=self._log, route_template=self.route_template),
                Middleware(
                    FaultMiddleware,
                    injector=self._injector,
                    get_faults=lambda: self.faults,
                    error_response=self.error_response,
                ),
                *self.middleware(),
            ],
            exception_handlers=dict(self.exception_handlers()),
        )

    # -- what a backend provides ---------------------------------------------------------

    @abstractmethod
    def routes(self) -> Sequence[BaseRoute]:
        """The backend's API routes."""

    @abstractmethod
    def route_template(self, method: str, path: str) -> str:
        """The path template a request is counted under, e.g. "/rest/2.0/PRODUCT/{id}"."""

    @abstractmethod
    def error_response(self, status: int, message: str) -> Response:
        """The backend's error body for `status` (used for injected faults too)."""

    def middleware(self) -> Sequence[Middleware]:
        """Backend middleware, inside the fault layer (none by default)."""
        return ()

    def exception_handlers(self) -> Mapping[Any, ExceptionHandler]:
        """Starlette exception handlers (none by default)."""
        return {}

    # -- shared API ----------------------------------------------------------------------

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport: `httpx.AsyncClient(base_url=..., transport=...)`."""
        return EmulatorTransport(self.app)

    def transport(self) -> httpx.BaseTransport:
        """An in-process transport for a synchronous `httpx.Client`.

        It runs the app on a private event loop thread; `httpx.Client.close()` (or this
        emulator's `close()`) stops it.
        """
        transport = SyncEmulatorTransport(self.app)
        self._sync_transports.append(transport)
        return transport

    def stats(self) -> dict[str, Any]:
        """Request counts: `total`, `by_route` ("METHOD /template") and `by_status` (int keys;
        0 = connection dropped). Control endpoints are not counted."""
        return self._log.stats()

    @property
    def request_log(self) -> list[RequestLogEntry]:
        """A snapshot of the logged requests (method, path, route, status, duration_ms, at)."""
        return self._log.entries()

    def reset_stats(self) -> None:
        """Zero the counters and clear the request log."""
        self._log.reset()

    def close(self) -> None:
        """Stop the sync transports handed out; backends also close their database."""
        for transport in self._sync_transports:
            transport.close()
        self._sync_transports.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
