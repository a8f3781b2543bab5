"""Every request an emulator answers, logged and counted (backend-neutral).

`RequestLogMiddleware` is the outermost layer of an emulator app, so the duration it records
includes injected latency and its status is the one the client saw: 0 stands for a
connection dropped without an answer. Control endpoints (`/_emulator/...`) are not logged,
so reading the stats does not change them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalogsync.emulator.faults import DroppedConnection

__all__ = ["CONTROL_PREFIX", "RequestLog", "RequestLogEntry", "RequestLogMiddleware"]

logger = logging.getLogger("catalogsync.emulator.requests")

#: Paths under this prefix control the emulator: no faults, no session, not logged.
CONTROL_PREFIX = "/_emulator/"

#: Maps (method, raw path) to a template such as "GET /rest/2.0/PRODUCT/{id}".
RouteTemplate = Callable[[str, str], str]


@dataclass(frozen=True)
class RequestLogEntry:
    """One answered (or dropped) request. `status` is 0 when the connection was dropped."""

    method: str
    path: str
    route: str
    status: int
    duration_ms: float
    at: float

    def as_dict(self) -> dict[str, Any]:
        """The entry as plain values."""
        return asdict(self)


class RequestLog:
    """A thread-safe request log with exact counters.

    The entry list keeps the latest `max_entries` (a long-running server must not grow
    without bound); the counters count everything since the last reset.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RequestLogEntry] = deque(maxlen=max_entries)
        self._by_route: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._total = 0

    def record(self, entry: RequestLogEntry) -> None:
        """Add one entry and count it."""
        with self._lock:
            self._entries.append(entry)
            self._by_route[entry.route] += 1
            self._by_status[entry.status] += 1
            self._total += 1

    def entries(self) -> list[RequestLogEntry]:
        """A snapshot of the logged entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def stats(self) -> dict[str, Any]:
        """Counts: `total`, `by_route` ("METHOD /template") and `by_status` (int keys)."""
        with self._lock:
            return {
                "total": self._total,
                "by_route": dict(sorted(self._by_route.items())),
                "by_status": dict(sorted(self._by_status.items())),
            }

    def reset(self) -> None:
        """Forget every entry and zero the counters."""
        with self._lock:
            self._entries.clear()
            self._by_route.clear()
            self._by_status.clear()
            self._total = 0


class RequestLogMiddleware:
    """Pure ASGI middleware that times each request and records it in a `RequestLog`."""

    def __init__(self, app: ASGIApp, log: RequestLog, route_template: RouteTemplate) -> None:
        self.app = app
        self.log = log
        self.route_template = route_template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        status = 0
        recorded = False
        started = time.perf_counter()

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(scope, status, time.perf_counter() - started)

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Counted before the answer's last bytes leave: a client that has its whole
                # answer and then reads the stats finds its request there (counting after
                # the send raced with it under load).
                record()
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except DroppedConnection:
            status = 0
            raise
        except BaseException:
            # A bug: before the status line the server's error handler answers 500; after
            # it the connection is cut, which the client sees as a drop.
            status = 500 if status == 0 else 0
            raise
        finally:
            record()

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope["method"])
        path = str(scope["path"])
        entry = RequestLogEntry(
            method=method,
            path=path,
            route=f"{method} {self.route_template(method, path)}",
            status=status,
            duration_ms=round(seconds * 1000.0, 3),
            at=time.time(),
        )
        self.log.record(entry)
        logger.info("%s %s %s %.1fms", method, path, status or "dropped", entry.duration_ms)
