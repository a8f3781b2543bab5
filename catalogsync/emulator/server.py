"""Serving an emulator's ASGI app over real HTTP with uvicorn (backend-neutral).

- `serve()` runs in the foreground (the CLI): Ctrl-C shuts down gracefully and returns.
- `ServerThread` runs in a background thread (tests, benchmarks): a context manager that
  binds 127.0.0.1 on a free port and stops the server on exit.

Both bind the listening socket themselves, so port 0 (pick a free port) works and the real
port is known before the first request.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any, Self

import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from catalogsync.emulator.faults import DroppedConnection

__all__ = ["ServerThread", "bind_socket", "serve", "url_for"]


class _DroppedConnectionFilter(logging.Filter):
    """Turns uvicorn's traceback for a connection that ended early into one quiet line:
    an injected drop, or a client that went away mid-request (an interrupted apply)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (DroppedConnection, ClientDisconnect)):
            record.exc_info = None
            record.exc_text = None
            record.msg, record.args = _EARLY_END[type(error)], ()
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_EARLY_END = {
    DroppedConnection: "connection dropped (injected fault)",
    ClientDisconnect: "client disconnected before its request was read",
}


_DROP_FILTER = _DroppedConnectionFilter()


def _install_drop_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _DROP_FILTER not in logger.filters:
        logger.addFilter(_DROP_FILTER)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def url_for(sock: socket.socket, host: str) -> str:
    """The http URL of a bound socket, with the host as given (bracketed if IPv6)."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _config(app: ASGIApp, log_level: str) -> uvicorn.Config:
    # The emulator logs and counts requests itself, so uvicorn's access log is off;
    # log_config=None keeps uvicorn from reconfiguring the host process's logging.
    return uvicorn.Config(
        app,
        log_config=None,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
    )


class _Server(uvicorn.Server):
    """uvicorn's server with a hook that runs once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


def serve(
    app: ASGIApp,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
    *,
    log_level: str = "info",
) -> None:
    """Serve `app` on (host, port) in the foreground until Ctrl-C or SIGTERM.

    `on_ready(url)` is called once the server accepts connections. uvicorn handles the
    signal, shuts down gracefully and then re-raises it; the KeyboardInterrupt that follows
    is the normal way out here, not an error, and this function returns.
    """
    _install_drop_filter()
    sock = bind_socket(host, port)
    url = url_for(sock, host)
    server = _Server(_config(app, log_level), lambda: on_ready(url))
    # uvicorn restores the previous handlers after its graceful shutdown and re-raises the
    # signal; for SIGTERM that would kill the process before the caller cleans up, so the
    # handler restored here turns it into the same KeyboardInterrupt as Ctrl-C.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class ServerThread:
    """Serve an ASGI app from a daemon thread on a loopback port; a context manager.

    >>> with ServerThread(emulator.app) as server:
    ...     httpx.get(server.url + "/_emulator/stats")
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.url = ""
        self._log_level = log_level
        self._timeout = startup_timeout
        self._started = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self) -> str:
        """Start serving and return the base URL once connections are accepted."""
        _install_drop_filter()
        self._sock = bind_socket(self.host, self.port)
        self.url = url_for(self._sock, self.host)
        self._server = _Server(_config(self.app, self._log_level), self._started.set)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"emulator-server-{self.url}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._started.wait(0.01):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator server did not start on {self.url}")
        return self.url

    def stop(self) -> None:
        """Stop the server (letting in-flight requests finish) and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(self._timeout)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state: Any = "running" if self._thread is not None else "stopped"
        return f"ServerThread({self.url or 'unbound'}, {state})"
