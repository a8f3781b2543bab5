"""Work done beside this process, on another core: a forked child fed as items get ready.

`export` proves its files by loading them back, which costs about what writing them
costs. A forked child starts with this process's memory (the live catalog, the format,
the chosen objects: nothing is sent to it), is told each time one more item (a file) is
ready, works on it while this process makes the next one, and answers once at the end:
the work's result, or the error it raised (the same exception, so the same message and
exit code as when the work runs here).

The child only computes: it ignores Ctrl-C (this process stops it), never touches the
event loop, the connections or the terminal, and ends with `os._exit`, so nothing it
shares with this process (the staging folder, open files and sockets) is cleaned up or
flushed twice. Where a second process cannot help (no `fork`, one usable core) `start`
answers None; when the child ends without an answer (killed, out of memory), `result`
raises `Lost`. Either way the caller does the work itself: same result, only later.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Generic, NoReturn, TypeVar

_R = TypeVar("_R")

#: Bytes read from the answer pipe at a time.
_CHUNK = 1 << 16


class Lost(Exception):
    """The child ended without an answer: the caller does the work itself."""


def available() -> bool:
    """Whether a forked child can run beside this process (Linux, two or more cores)."""
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return False
    return len(os.sched_getaffinity(0)) > 1


class Beside(Generic[_R]):
    """`work(ready)` running in a forked child; `ready` yields once per `item_ready()`
    here and ends at `result()` (or when this process goes away)."""

    def __init__(self, pid: int, feed: int, answers: int) -> None:
        self._pid: int | None = pid
        self._feed: int | None = feed
        self._answers: int | None = answers

    @classmethod
    def start(cls, work: Callable[[Iterator[None]], _R]) -> Beside[_R] | None:
        """Fork a child running `work`; None where a child cannot help (see `available`)."""
        if not available():
            return None
        feed_out, feed_in = os.pipe()
        answer_out, answer_in = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            stream.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (its answer is what the tests check)
            os.close(feed_in)
            os.close(answer_out)
            _child(work, feed_out, answer_in)
        os.close(feed_out)
        os.close(answer_in)
        return cls(pid, feed_in, answer_out)

    def item_ready(self) -> None:
        """Tell the child that one more item is ready."""
        assert self._feed is not None
        # A child that has ended (killed) closed its end: `result` finds no answer, says so
        with contextlib.suppress(BrokenPipeError):
            os.write(self._feed, b".")

    def result(self, timeout: float | None = None) -> _R:
        """Wait for the child's answer: `work`'s result, or the exception it raised.

        `timeout`: seconds to wait for the whole answer at most (None: no limit). A forked
        child can in principle hang for good (on a lock a thread of this process held at the
        fork); past the deadline it is stopped and counts as lost.

        Raises:
            Lost: the child ended without an answer, or gave none within `timeout`.
        """
        assert self._feed is not None and self._answers is not None
        os.close(self._feed)  # the child's `ready` ends
        self._feed = None
        deadline = None if timeout is None else time.monotonic() + timeout
        chunks = []
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                readable, _, _ = select.select([self._answers], [], [], max(left, 0.0))
                if not readable:
                    self.close()
                    raise Lost(f"the check beside gave no answer within {timeout:g} s")
            chunk = os.read(self._answers, _CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
        self.close()
        try:
            kind, value = pickle.loads(b"".join(chunks))
        except Exception as exc:  # nothing (or half an answer) came
            raise Lost("the check beside ended without an answer") from exc
        if kind == "raised":
            raise value
        if kind != "returned":
            raise Lost(str(value))
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the child if it still runs, and let its pipes and process entry go."""
        for fd in (self._feed, self._answers):
            if fd is not None:
                os.close(fd)
        self._feed = self._answers = None
        if self._pid is not None:
            pid, self._pid = self._pid, None
            with contextlib.suppress(ProcessLookupError):  # (it answered and ended)
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _child(work: Callable[[Iterator[None]], object], feed: int, answers: int) -> NoReturn:
    """Run `work` and write its answer; never returns into the parent's code."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the child
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)  # a signal here must not wake the parent's event loop
        warnings.simplefilter("ignore")  # the terminal is the parent's
        try:
            answer: tuple[str, object] = ("returned", work(_ready(feed)))
        except Exception as exc:
            answer = ("raised", exc)
        try:
            data = pickle.dumps(answer)
            pickle.loads(data)  # an exception that cannot travel is reported as lost
        except Exception as exc:
            data = pickle.dumps(("lost", f"its answer cannot be sent: {exc!r}"))
        view = memoryview(data)
        while view:
            view = view[os.write(answers, view) :]
    finally:
        os._exit(0)


def _ready(feed: int) -> Iterator[None]:
    while os.read(feed, 1):
        yield None
