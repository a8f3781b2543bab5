"""Work shared with a forked child on another core: items handed to whichever asks next
(`Beside.share`), or one piece of work done there while this process does another, its
results sent back as they are made (`Beside.stream`).

`export` writes its files and proves them by loading each back, which costs about twice
what writing does. `Beside.share(count, work)` forks a child that starts with this
process's memory (the live catalog, the format, the chosen objects: nothing is sent to
it) and runs `work` over the items it takes, while this process takes items too: each of
the items 0..count-1 goes to exactly one of them, to whichever asks next (a few at a time,
from a queue filled before the fork), so both cores stay busy to the end whatever each
item costs. The child answers once at the end: `work`'s result, or the error it raised
(the same exception, so the same message and exit code as when the work runs here).

The child only computes: it ignores Ctrl-C (this process stops it), never touches the
event loop, the connections or the terminal, and ends with `os._exit`, so nothing it
shares with this process (the staging folder, open files and sockets) is cleaned up or
flushed twice. Where a second process cannot help (no `fork`, one usable core) `share`
hands every item to this process; when the child ends without an answer (killed, out of
memory, stuck), `result` raises `Lost`. Either way the caller does the items it did not
see done itself: same result, only later.

A caller that no longer wants a `stream` child's work (its command was interrupted) stops
it at once with the `Abandon` it was started with, from any thread: the thread reading its
answers then gets `Abandoned`, not `Lost`, so nobody does the work again here.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, NoReturn, TypeVar

from catalogsync import heap

_R = TypeVar("_R")
_T = TypeVar("_T")

#: Bytes read from the answer pipe at a time.
_CHUNK = 1 << 16


class Lost(Exception):
    """The child ended without an answer: the caller does the work itself."""


class Abandoned(Exception):
    """The child was stopped by its `Abandon`: nobody wants its work any more."""


def available() -> bool:
    """Whether a forked child can run beside this process (Linux, two or more cores)."""
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return False
    return len(os.sched_getaffinity(0)) > 1


#: Queue entries at most (each a run of items). They are all written before the fork, in
#: one write, so they must fit the pipe's buffer or the write would wait for a reader that
#: does not exist yet: at most 512 of `_RUN`, 4 KiB, one page, the least a pipe is given
#: (even past the user's pipe limit, `pipe-user-pages-soft`), and `PIPE_BUF` (written
#: whole). An export makes a run's texts together (`adopt`): at 512 an M export's runs
#: were two files each, at 128 eight, its texts ~10% cheaper; at L (5,001 files) a run of
#: ten or forty files costs the same a file (forty: ~20 ms of texts, writing and proof).
_RUNS = 128
_RUN = struct.Struct("<II")  # first item, end (exclusive)


def run_of(count: int, item: int) -> range:
    """The items `Beside.share` hands out together with `item` (of `count`): whichever
    process takes one takes them all, so it may make them together."""
    step = _step(count)
    first = item - item % step
    return range(first, min(first + step, count))


def _step(count: int) -> int:
    return -(-count // _RUNS)  # (items per run: at most `_RUNS` runs)


class Beside(Generic[_R]):
    """A forked child running `work(its items)`; see `share`."""

    def __init__(self, pid: int, queue: int | None, answers: int) -> None:
        self._pid: int | None = pid
        self._queue: int | None = queue
        self._answers: int | None = answers
        #: Guards `_pid` between `close` (it reaps the child) and `_abandon` (another
        #: thread's): a pid reaped may be reused, and must then never be signalled.
        self._lock = threading.Lock()
        self._abandoned = False

    @classmethod
    def share(
        cls, count: int, work: Callable[[Iterator[int]], _R]
    ) -> tuple[Beside[_R] | None, Iterator[int]]:
        """The child running `work` over the items it takes (None where a child cannot help:
        see `available`), and this process's items: each of 0..count-1 is handed to exactly
        one of them, in order, to whichever asks next."""
        if count <= 0 or not available():
            return None, iter(range(count))
        queue_out, queue_in = os.pipe()
        step = _step(count)
        runs = (_RUN.pack(first, min(first + step, count)) for first in range(0, count, step))
        os.write(queue_in, b"".join(runs))
        os.close(queue_in)  # the queue ends once emptied: both see its end
        pid, answer_out = _forked(lambda answers: _child(lambda: work(_taken(queue_out)), answers))
        child = cls(pid, queue_out, answer_out)
        return child, child._mine()

    @classmethod
    def stream(
        cls, work: Callable[[], Iterable[_R]], abandon: Abandon | None = None
    ) -> Beside[_R] | None:
        """A forked child running `work()` alone, while this process does something else
        (None where a child cannot help: see `available`): each item it yields is sent
        as soon as it is made, for `items` to hand out here while the next is made.
        `abandon`, called from any thread, stops it (see `Abandon`)."""
        if not available():
            return None
        pid, answer_out = _forked(lambda answers: _child_streaming(work, answers))
        child = cls(pid, None, answer_out)
        if abandon is not None:
            abandon.started(child)
        return child

    def items(self, timeout: float | None = None) -> Iterator[_R]:
        """The items of a `stream` child, in order, each as it arrives; then the exception
        its work raised, if any (after the items it yielded before).

        `timeout`: seconds to wait for the last item at most (None: no limit); see `result`.

        Raises:
            Lost: the child ended before its work did, or did not end within `timeout`.
            Abandoned: its `Abandon` stopped it.
        """
        assert self._answers is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        answers = io.BufferedReader(_Until(self._answers, deadline, timeout), _CHUNK)
        try:
            while True:
                try:
                    kind, value = pickle.load(answers)
                except Exception as exc:  # it ended mid-way (killed, out of memory)
                    if self._abandoned:
                        raise Abandoned("the work beside was abandoned") from None
                    if isinstance(exc, Lost):
                        raise
                    raise Lost("the work beside ended without its last answer") from exc
                if kind == "item":
                    yield value
                elif kind == "raised":
                    self._answered()
                    raise value
                elif kind == "returned":
                    self._answered()
                    return
                else:
                    raise Lost(str(value))
        finally:
            self.close()

    def _mine(self) -> Iterator[int]:
        while self._queue is not None:
            run = os.read(self._queue, _RUN.size)
            if not run:
                return
            yield from range(*_RUN.unpack(run))

    def result(self, timeout: float | None = None) -> _R:
        """Wait for the child's answer: `work`'s result, or the exception it raised.

        `timeout`: seconds to wait for the whole answer at most (None: no limit). A forked
        child can in principle hang for good (on a lock a thread of this process held at the
        fork); past the deadline it is stopped and counts as lost.

        Raises:
            Lost: the child ended without an answer, or gave none within `timeout`.
        """
        assert self._answers is not None
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
        self._answered()
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
        pid = self._stopped()
        if pid is not None:
            os.waitpid(pid, 0)

    def _answered(self) -> None:
        """`close`, once the child has sent its last answer and is ending (it closes its end
        of the pipe first, `_child`): it is reaped as soon as it has ended, without waiting
        here for its exit to unmap its memory (at L ~0.01 s after the answer)."""
        pid = self._stopped()
        if pid is not None:
            _reap(pid)

    def _stopped(self) -> int | None:
        """Its pipes closed and the child killed if it still runs: its pid, to reap (None:
        let go of before)."""
        for fd in (self._queue, self._answers):
            if fd is not None:
                os.close(fd)
        self._queue = self._answers = None
        with self._lock:
            pid, self._pid = self._pid, None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):  # (it answered and ended)
                os.kill(pid, signal.SIGKILL)
        return pid

    def _abandon(self) -> None:
        """Kill the child now, from any thread; the thread reading its answers sees their
        end at once, and `close` (that thread's) reaps it."""
        with self._lock:
            self._abandoned = True
            if self._pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._pid, signal.SIGKILL)


class Abandon:
    """Stops the `stream` children started with it, from any thread, at once.

    A command reads the live catalog while a child loads the YAML beside it, its answers
    read by a worker thread. When the command is interrupted (or its read fails), the
    event loop's close joins that thread, which would wait for the whole load: calling
    this kills the child (SIGKILL: it ignores SIGINT), so the thread's read ends at once
    and raises `Abandoned`. A child started after the call is killed as it starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._children: list[Beside[Any]] = []
        self._called = False

    def __call__(self) -> None:
        with self._lock:
            self._called = True
            children = list(self._children)
        for child in children:
            child._abandon()

    def started(self, child: Beside[Any]) -> None:
        """`child` is stopped by this call (at once, when it was already made)."""
        with self._lock:
            self._children.append(child)
            called = self._called
        if called:
            child._abandon()


def map_beside(count: int, item: Callable[[int], _T], least: int = 1) -> list[_T]:
    """`[item(0), …, item(count - 1)]`, the items shared out between this process and a
    forked child (`Beside.share`) when there are at least `least` of them (fewer are done
    here: the fork would cost more than it saves). The child's results come back pickled;
    when it is lost, its items are done here."""

    def done(items: Iterable[int]) -> dict[int, _T]:
        return {index: item(index) for index in items}

    if count < least:
        return [item(index) for index in range(count)]
    started = time.monotonic()
    child, mine = Beside.share(count, done)
    results = done(mine)
    if child is not None:
        try:
            results.update(child.result(answer_within(time.monotonic() - started)))
        except Lost:  # (killed, out of memory, stuck): its items, here
            results.update(done(index for index in range(count) if index not in results))
        finally:
            child.close()
    return [results[index] for index in range(count)]


def _reap(pid: int) -> None:
    """Let the process entry of a child that is ending go: now when it has ended, else by a
    thread that waits for it (a zombie is never signalled again: `_answered` has let go of
    its pid)."""
    if os.waitpid(pid, os.WNOHANG)[0] == 0:
        threading.Thread(target=_reaped, args=(pid,), name="beside-reap", daemon=True).start()


def _reaped(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # (reaped meanwhile by a wait for any child)
        os.waitpid(pid, 0)


def answer_within(elapsed: float) -> float:
    """How long the child may still take once this process has done its share of the
    items in `elapsed` seconds: the child's last item costs far less, so this bound is only
    reached by a child that will never answer (then its items are done here)."""
    return 60.0 + 4 * elapsed


def _forked(child: Callable[[int], NoReturn]) -> tuple[int, int]:
    """Fork a child that runs `child(answers)` (it never returns); this process gets the
    child's pid and the read end of its answer pipe."""
    answer_out, answer_in = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its answers are what the tests check)
        os.close(answer_out)
        child(answer_in)
    os.close(answer_in)
    return pid, answer_out


def _child(work: Callable[[], object], answers: int) -> NoReturn:
    """Run `work` and write its answer; never returns into the parent's code."""
    try:
        become_child()
        try:
            answer: tuple[str, object] = ("returned", work())
        except Exception as exc:
            answer = ("raised", exc)
        view = memoryview(_travelling(answer))
        while view:
            view = view[os.write(answers, view) :]
        # The answer's end told now: the exit closes files only after unmapping memory.
        os.close(answers)
    finally:
        os._exit(0)


def become_child() -> None:
    """What a forked child changes first: the parent stops it and owns the terminal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the child
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)  # a signal here must not wake the parent's event loop
    warnings.simplefilter("ignore")  # the terminal is the parent's
    heap.keep_freed_blocks()  # its large blocks reused, not mapped anew (`catalogsync.heap`)


def _travelling(answer: tuple[str, object]) -> bytes:
    """`answer` pickled, or "lost" when it cannot travel (an exception that does not
    unpickle would otherwise fail in the parent)."""
    try:
        data = pickle.dumps(answer)
        pickle.loads(data)
    except Exception as exc:
        data = pickle.dumps(("lost", f"its answer cannot be sent: {exc!r}"))
    return data


def _child_streaming(work: Callable[[], Iterable[object]], answers: int) -> NoReturn:
    """Send each item `work()` yields, then how it ended (`Beside.items` reads them)."""
    try:
        become_child()
        try:
            for item in work():
                _send(answers, pickle.dumps(("item", item), protocol=pickle.HIGHEST_PROTOCOL))
            end: tuple[str, object] = ("returned", None)
        except Exception as exc:
            end = ("raised", exc)
        _send(answers, _travelling(end))
        os.close(answers)  # (as `_child`)
    finally:
        os._exit(0)


def _send(answers: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(answers, view) :]


class _Until(io.RawIOBase):
    """The answer pipe, read until a deadline: past it, the read raises `Lost`."""

    def __init__(self, fd: int, deadline: float | None, timeout: float | None) -> None:
        self._fd, self._deadline, self._timeout = fd, deadline, timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._deadline is not None:
            left = max(self._deadline - time.monotonic(), 0.0)
            readable, _, _ = select.select([self._fd], [], [], left)
            if not readable:
                raise Lost(f"the work beside gave no answer within {self._timeout:g} s")
        return os.readv(self._fd, [buffer])


def _taken(queue: int) -> Iterator[int]:
    """The child's items: runs taken from the queue until it is empty."""
    while run := os.read(queue, _RUN.size):
        yield from range(*_RUN.unpack(run))
