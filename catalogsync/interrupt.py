"""Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM (what CI sends on cancel).

The first signal asks the run to stop: no new request is sent (`check_not_stopping` raises
`RequestNotSent`), the requests in flight settle (each is bounded by its deadline), and the
applier starts no further wave, so its report says exactly what succeeded, what failed and
what was not attempted. A second signal abandons the requests in flight (the running task is
cancelled); their changes are reported as "may or may not have been written". Either way
the command prints the partial report and exits 130 (SIGINT) or 143 (SIGTERM).

The stop request is process-wide state, as the signal that sets it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import Callable, Iterator

from catalogsync.errors import BackendError, CatalogSyncError

__all__ = [
    "Interrupted",
    "RequestNotSent",
    "abandonable",
    "check_not_stopping",
    "exit_code_for",
    "is_not_sent",
    "signal_name",
    "stop_on_signals",
    "stopping",
]

_HANDLED = (signal.SIGINT, signal.SIGTERM)
_stop_signal: int | None = None
#: Tasks now awaiting requests in flight (`abandonable`): the second signal cancels these and
#: nothing else, so a cancellation only lands where the applier handles it. Elsewhere nothing
#: is in flight and the stopping run is only finishing its report.
_abandonable: set[asyncio.Task[object]] = set()
#: What a request refused after the stop request says; the applier recognises it.
_NOT_SENT = "not sent: the run was interrupted"


def exit_code_for(signum: int) -> int:
    """128 + the signal number, as shells report a process ended by it (130, 143)."""
    return 128 + signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Interrupted(CatalogSyncError):
    """The run was stopped by a signal; exits 130 (SIGINT) or 143 (SIGTERM)."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.exit_code = exit_code_for(signum)
        super().__init__(message or f"interrupted by {signal_name(signum)}; nothing was written")


class RequestNotSent(BackendError):
    """A request was not sent because the run is stopping (never reached the server)."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: {_NOT_SENT}")


def is_not_sent(message: str) -> bool:
    """Whether a change's failure message is only a `RequestNotSent` (nothing written)."""
    return _NOT_SENT_MESSAGE.fullmatch(message) is not None


_NOT_SENT_MESSAGE = re.compile(rf"[A-Z]+ \S+: {re.escape(_NOT_SENT)}")


def stopping() -> int | None:
    """The signal that asked the run to stop, or None."""
    return _stop_signal


def request_stop(signum: int) -> None:
    global _stop_signal
    if _stop_signal is None:
        _stop_signal = signum


def reset() -> None:
    """Forget a stop request (tests, and each CLI run, start clean)."""
    global _stop_signal
    _stop_signal = None
    _abandonable.clear()


def check_not_stopping(method: str, path: str) -> None:
    """Raise `RequestNotSent` once a stop was requested: called before sending anything."""
    if _stop_signal is not None:
        raise RequestNotSent(method, path)


@contextlib.contextmanager
def abandonable() -> Iterator[None]:
    """Mark the current task's awaits within this block as work a second signal abandons
    (it is cancelled there; the block's caller turns that into "abandoned in flight")."""
    task = asyncio.current_task()
    if task is None:
        yield
        return
    _abandonable.add(task)
    try:
        yield
    finally:
        _abandonable.discard(task)


@contextlib.contextmanager
def stop_on_signals(
    on_first: Callable[[int], None] | None = None,
) -> Iterator[None]:
    """Within a running event loop: the first SIGINT/SIGTERM requests a stop (and calls
    `on_first`), the second abandons the requests in flight (cancels the tasks awaiting them
    in an `abandonable` block; with none in flight there is nothing to abandon)."""
    loop = asyncio.get_running_loop()

    def handle(signum: int) -> None:
        if _stop_signal is None:
            request_stop(signum)
            if on_first is not None:
                on_first(signum)
            return
        for task in list(_abandonable):
            task.cancel()

    installed = []
    for signum in _HANDLED:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, handle, signum)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
            if _stop_signal is not None:
                # The run is stopping: all that is left is the partial report and exit
                # 130/143. Removing the handler restored Python's default, so a late second
                # Ctrl-C would become KeyboardInterrupt ("Aborted!", exit 1, no report).
                signal.signal(signum, signal.SIG_IGN)
