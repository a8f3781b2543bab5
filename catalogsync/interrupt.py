"""Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM (what CI sends on cancel).

The first signal asks the run to stop: no new request is sent (`check_not_stopping` raises
`RequestNotSent`), the requests in flight settle (each is bounded by its deadline), and the
applier starts no further wave, so its report says exactly what succeeded, what failed and
what was not attempted. A second signal abandons the requests in flight (the running task is
cancelled); their changes are reported as "may or may not have been written". Either way
the command prints the partial report and exits 130 (SIGINT) or 143 (SIGTERM).

Outside apply's writes a signal stops the command where it is: SIGINT raises
KeyboardInterrupt (Python's own handler), SIGTERM is re-sent as SIGINT to unwind the same
way (`unwind_on_sigterm`), and the command line ends with one line and 130 / 143
(`exit_interrupted`). Both hold from the process's first step (`catalogsync.launch`), before
the login it sends early is on the wire and the command line is imported.

The stop request is process-wide state, as the signal that sets it is. This module is
imported before anything else a command needs (asyncio is imported where it is used).
"""

from __future__ import annotations

import contextlib
import re
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn

from catalogsync.errors import BackendError, CatalogSyncError

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "Interrupted",
    "RequestNotSent",
    "abandonable",
    "check_not_stopping",
    "exit_code_for",
    "exit_interrupted",
    "is_not_sent",
    "signal_name",
    "stop_on_signals",
    "stopping",
    "unwind_on_sigterm",
]

_HANDLED = (signal.SIGINT, signal.SIGTERM)
_stop_signal: int | None = None
#: Set when SIGTERM arrived and was re-sent as SIGINT: for the message and the exit code.
_terminated = False
#: Set when SIGINT arrived during start-up (`remember_sigint`), until `checkpoint`.
_sigint_seen = False
#: Between `remember_sigint` and `checkpoint`: signals are noted, and raised at `checkpoint`.
_starting = False
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


def unwind_on_sigterm() -> None:
    """From now on SIGTERM (what CI sends on cancel) stops the process as Ctrl-C does."""
    signal.signal(signal.SIGTERM, _sigterm_as_sigint)


def _sigterm_as_sigint(signum: int, frame: object) -> None:
    """SIGTERM unwinds a command exactly as Ctrl-C does: re-sent as SIGINT, so that
    `asyncio.run` cancels its task cleanly (an exception raised here instead could land
    in a finalizer or a task and be printed as a traceback), and remembered for the exit
    code and the message."""
    global _terminated
    _terminated = True
    if _starting:
        return  # raised at `checkpoint`
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # Ignored since the process started (a shell's background job, `nohup`): Python
        # left it so, and SIGINT re-sent would be lost, and SIGTERM with it.
        raise KeyboardInterrupt
    signal.raise_signal(signal.SIGINT)


def remember_sigint() -> None:
    """Start-up: until `checkpoint`, SIGINT and SIGTERM are only noted, and `checkpoint`
    raises them. A KeyboardInterrupt raised where the signal lands can be swallowed there:
    in a weakref callback or finalizer (printed as "Exception ignored in ..."), or by code
    that catches everything (ruamel.yaml's import does, looking for its C parser), and
    start-up, all imports, is full of both: the command then ran to its end (exit 0)."""
    global _starting
    _starting = True
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _noted_sigint)


def _noted_sigint(signum: int, frame: object) -> None:
    global _sigint_seen
    _sigint_seen = True


def checkpoint() -> None:
    """The end of start-up (the command's module imported): raise the signal noted during
    it, and hand SIGINT back to Python's own handler, which `asyncio.run` builds on."""
    global _starting
    _starting = False
    if signal.getsignal(signal.SIGINT) is _noted_sigint:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if _sigint_seen or _terminated:
        raise KeyboardInterrupt


def exit_interrupted() -> NoReturn:
    """End a command a signal stopped outside apply's writes (its KeyboardInterrupt caught):
    one line on stderr, exit 130 (SIGINT) or 143 (SIGTERM)."""
    signum = signal.SIGTERM if _terminated else signal.SIGINT
    for handled in _HANDLED:  # a second Ctrl-C while exiting must not end in a traceback
        signal.signal(handled, signal.SIG_IGN)
    _forget_unhandled_keyboard_interrupt()
    sys.stderr.write(f"Interrupted by {signal_name(signum)}.\n")
    sys.stderr.flush()
    sys.exit(exit_code_for(signum))


def _forget_unhandled_keyboard_interrupt() -> None:
    """Clear CPython's note that a KeyboardInterrupt went unhandled: this one was handled.

    CPython (3.11 to 3.13 at least) takes a KeyboardInterrupt leaving code that `exec` or
    `eval` ran from a string for one leaving the program, wherever it is caught later, and
    a process started as `python -m ...` then ends itself by SIGINT at exit (-2, after its
    "Interrupted by" line) instead of with the code it exited with. Signals land wherever
    the interpreter is, and start-up runs many such strings (every dataclass and
    namedtuple defines its methods that way). Every string run clears the note as it starts
    (and only a KeyboardInterrupt leaving it sets it again): this one does."""
    exec("")  # the empty string, run for that side effect


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
    """Forget a stop request (tests, and each CLI run, start clean). A signal seen during
    start-up is not forgotten: `checkpoint`, later, raises it again if it was swallowed."""
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
    import asyncio

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
    import asyncio

    loop = asyncio.get_running_loop()

    def handle(signum: int) -> None:
        if _stop_signal is None:
            request_stop(signum)
            if on_first is not None:
                on_first(signum)
            return
        for task in list(_abandonable):
            task.cancel()

    sigterm_before = signal.getsignal(signal.SIGTERM)
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
            elif signum == signal.SIGTERM and sigterm_before is not None:
                # Removing it left SIGTERM to its default action (killed, no message, where
                # the command line unwinds as on Ctrl-C): back to what it was before.
                signal.signal(signum, sigterm_before)
