"""Query pages decoded by a worker process on the other core while this process builds the
pages before them. No HTTP.

A read-only command's main thread is its critical path from the first page to the plan:
at L its CPU is nearly its wall time (the emulator's CPU aside, the other core is idle
most of the run). Of that, decoding the 21 pages of a BillingPlatform read (77 MB of
JSON: msgspec into columns, then each column's texts shared within its page, `Columns`)
was ~0.5 s. A worker forked once (`concurrent.futures`, one process) now decodes each
large page and sends its columns back pickled: pickle keeps the texts a page shares
shared, and loading them takes a sixth of the CPU decoding took. The page is the same
`Columns`, the same texts and the same sharing, either way.

A page under `LEAST` bytes, or where no second core can help (`beside.available()`), or
once the worker failed (killed, out of memory: `BrokenProcessPool`), or when no other
answer is awaited (`alone`: the worker's round trip would only be waited for), is decoded
here, as before, with the same result. The worker only decodes: it ignores Ctrl-C and leaves the
terminal and the event loop to this process (`beside.become_child`); it ends when this
process's pool shuts down at exit, or when its pipe closes.
"""

from __future__ import annotations

import asyncio
import atexit
import sys
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from typing import TYPE_CHECKING

from catalogsync import beside
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.http.tables import decode_table

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["LEAST", "let_go", "page_columns"]

#: Pages at least this long are decoded by the worker (a full page of 10,000 rows is
#: ~3.6 MB; sending a page there and its columns back costs ~2 ms a MB of this core).
LEAST = 1 << 20


class _Worker:
    """The one worker process, forked when the first large page comes in."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._broken = not beside.available()

    def pool(self) -> ProcessPoolExecutor | None:
        if self._broken:
            return None
        if self._pool is None:
            # Imported here: a command of small pages never starts the worker (~8 ms).
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
                stream.flush()
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=beside.become_child,
            )
            # Let go of the pool while the interpreter is whole: freed in its teardown,
            # its weak reference's callback found `multiprocessing` gone and said so on
            # stderr at the end of every command.
            atexit.register(self.close)
        return self._pool

    def failed(self) -> None:
        """Decode here from now on (the worker is gone or cannot be started)."""
        self._broken = True
        self.close(wait=False)

    def close(self, wait: bool = True) -> None:
        """End the worker (once its page, if any, is decoded) and let go of the pool."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


_WORKER = _Worker()


def let_go() -> None:
    """No page is coming for now: the worker ends (beside what this process does next; at
    exit its end was waited for, ~0.005 s at M); a later large page forks a new one."""
    _WORKER.close(wait=False)


async def page_columns(
    body: bytes,
    columns: Sequence[str],
    require: Sequence[str],
    least: int = LEAST,
    *,
    alone: bool = False,
) -> Columns | None:
    """The rows of a query answer `body` as `Columns` of `columns` (`decode_table` of its
    `queryResponse`, each column's texts shared within the page), or None when it is not
    that shape; decoded by the worker when `body` is at least `least` bytes long, unless
    `alone`: no other answer is awaited, so this process would only wait for the worker's
    round trip (a full page of 10,000 rows: ~25 ms on a quiet host, and far longer on a
    loaded one) to do the ~15 ms of decoding it does itself meanwhile (the read's last
    page, or a page the next request waits for)."""
    pool = _WORKER.pool() if len(body) >= least and not alone else None
    if pool is not None:
        loop = asyncio.get_running_loop()
        try:
            held = await loop.run_in_executor(pool, _decoded, body, tuple(columns), tuple(require))
        except (BrokenExecutor, OSError):
            _WORKER.failed()
        else:
            return None if held is None else Columns.holding(columns, held)
    return _page(body, columns, require)


def _page(body: bytes, columns: Sequence[str], require: Sequence[str]) -> Columns | None:
    decoded = decode_table(body, "queryResponse", columns, require)
    if decoded is None:
        return None
    page = Columns(columns)
    page.extend(decoded)  # a page's texts shared within it
    page.compact()
    return page


def _decoded(
    body: bytes, columns: tuple[str, ...], require: tuple[str, ...]
) -> dict[str, list[str]] | None:
    """In the worker: the page's columns as `Columns` holds them, or None (its shape)."""
    page = _page(body, columns, require)
    return None if page is None else page.held()
