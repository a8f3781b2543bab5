"""What every emulator shares: faults, the request log, the middleware stack, transports.

A backend emulator subclasses `BaseEmulator`, sets up its own state (its database, an
`SqliteDatabase`), and then calls `super().__init__(api=..., store=...)` with its
`EmulatorApi`, which assembles the Starlette app:

    RequestLogMiddleware  (outermost: times and counts what the client saw)
      FaultMiddleware     (latency, rate limit, injected statuses, dropped connections)
        PathRewrite       (the backend's path normalisation)
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
from catalogsync.emulator.middleware import FaultMiddleware, PathRewrite
from catalogsync.emulator.requestlog import RequestLog, RequestLogEntry, RequestLogMiddleware
from catalogsync.emulator.sqlite import SqliteDatabase
from catalogsync.emulator.transport import EmulatorTransport, SyncEmulatorTransport

__all__ = ["BaseEmulator", "EmulatorApi"]


class EmulatorApi(ABC):
    """What a backend provides to its emulator: its routes and the way it words things."""

    @abstractmethod
    def routes(self) -> Sequence[BaseRoute]:
        """The backend's API routes (matched after `normalise_path`)."""

    @abstractmethod
    def route_template(self, method: str, path: str) -> str:
        """The path template a request is counted under, e.g. "/rest/2.0/PRODUCT/{id}"."""

    @abstractmethod
    def error_response(self, status: int, message: str) -> Response:
        """The backend's error body for `status` (used for injected faults too)."""

    def normalise_path(self, path: str) -> str:
        """The path as the routes expect it (every spelling the real server accepts folded
        into one); unchanged by default."""
        return path

    def exception_handlers(self) -> Mapping[Any, ExceptionHandler]:
        """Starlette exception handlers, so errors come in the vendor's shapes (none by
        default)."""
        return {}


class BaseEmulator:
    """Base of the stateful billing-system emulators; thread-safe once built."""

    #: The name `catalogsync emulator serve --backend` knows this emulator by.
    backend_name: ClassVar[str]
    #: The faults this emulator can apply: `Faults`, or a subclass with the backend's own.
    faults_type: ClassVar[type[Faults]] = Faults

    def __init__(
        self, *, api: EmulatorApi, store: SqliteDatabase | None = None, faults: Faults | None = None
    ) -> None:
        #: The live fault configuration; change its fields (or replace it) at any time.
        self.faults = faults if faults is not None else self.faults_type()
        self._store = store
        self._log = RequestLog()
        self._injector = FaultInjector(lambda: self.faults)
        self._sync_transports: list[SyncEmulatorTransport] = []
        #: The ASGI application (Starlette), for uvicorn or starlette's TestClient.
        self.app: Starlette = Starlette(
            routes=[*control_routes(self), *api.routes()],
            middleware=[
                Middleware(RequestLogMiddleware, log=self._log, route_template=api.route_template),
                Middleware(
                    FaultMiddleware,
                    injector=self._injector,
                    get_faults=lambda: self.faults,
                    error_response=api.error_response,
                ),
                Middleware(PathRewrite, rewrite=api.normalise_path),
            ],
            exception_handlers=dict(api.exception_handlers()),
        )

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
        """Stop the sync transports handed out and close the database."""
        for transport in self._sync_transports:
            transport.close()
        self._sync_transports.clear()
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
