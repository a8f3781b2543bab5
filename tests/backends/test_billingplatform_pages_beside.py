"""A large query page is decoded by the worker process (`pages_beside`): the same rows, the
same texts shared within each column, as decoded here; any other body is left to the
general reader either way, and a worker that is gone leaves the pages to this process."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import signal
import time
from multiprocessing.connection import wait

from catalogsync.backends.billingplatform import pages_beside
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.pages_beside import page_columns

COLUMNS = ["Id", "Name", "Status", "Rate"]
ROWS = [
    {"Id": str(i), "Name": f"P {i}", "Status": "ACTIVE" if i % 3 else "", "Rate": "1.50"}
    for i in range(300)
]
BODY = json.dumps({"queryResponse": ROWS}).encode()


def _decoded(least: int, body: bytes = BODY) -> Columns | None:
    return asyncio.run(page_columns(body, COLUMNS, ["Id"], least=least))


def test_a_page_decoded_by_the_worker_is_the_page_decoded_here() -> None:
    here = _decoded(least=len(BODY) + 1)
    there = _decoded(least=0)
    assert here is not None and there is not None
    assert len(there) == len(here) == len(ROWS)
    for column in COLUMNS:
        assert list(there.column(column)) == list(here.column(column))
    # Each column's texts shared within the page (the `Id`s, unique, are not looked at).
    for column in ("Status", "Rate"):
        texts = there.column(column)
        assert len({id(text) for text in texts}) == len(set(texts))


def test_a_body_of_another_shape_is_left_to_the_general_reader_by_the_worker_too() -> None:
    numbers = json.dumps({"queryResponse": [{"Id": "1", "Name": 5}]}).encode()
    assert _decoded(least=0, body=numbers) is None
    assert _decoded(least=0, body=b"not json") is None


def test_when_the_worker_is_gone_the_pages_are_decoded_here() -> None:
    worker = pages_beside._Worker()
    pool = worker.pool()
    if pool is None:  # one core: every page is decoded here in any case
        return
    pool.submit(int).result()  # the worker is running
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    original, pages_beside._WORKER = pages_beside._WORKER, worker
    try:
        page = _decoded(least=0)
    finally:
        pages_beside._WORKER = original
    assert page is not None and list(page.column("Name")) == [r["Name"] for r in ROWS]
    assert worker.pool() is None  # and every later page too


def test_the_worker_is_let_go_of_at_exit_while_the_interpreter_is_whole() -> None:
    # Freed in the interpreter's teardown instead, the pool's weak-reference callback found
    # `multiprocessing` gone and printed an "Exception ignored" traceback on stderr at the
    # end of every command that used the worker.
    worker = pages_beside._Worker()
    handlers = atexit._ncallbacks()
    pool = worker.pool()
    if pool is None:  # one core: no worker
        return
    try:
        assert atexit._ncallbacks() == handlers + 1  # `close`, run at exit
        assert pool.submit(int, "7").result() == 7
    finally:
        atexit.unregister(worker.close)
        worker.close()
    assert worker.pool() is not pool  # let go of: a later page forks a new one
    worker.close()


def test_a_worker_let_go_of_ends_and_a_later_page_forks_a_new_one() -> None:
    """`let_go` (an export's read is over): the worker ends beside what follows, not at
    exit; a later large page is still decoded by a worker."""
    worker = pages_beside._Worker()
    original, pages_beside._WORKER = pages_beside._WORKER, worker
    try:
        pool = worker.pool()
        if pool is None:  # one core: no worker
            return
        assert pool.submit(int, "7").result() == 7
        processes = list(pool._processes.values())
        pages_beside.let_go()
        # (each process's sentinel tells its end: `join` here would race the pool's own
        # thread, which joins them too, and a wait that loses that race says "alive")
        assert _ended({process.sentinel for process in processes}, within=10)
        page = _decoded(least=0)
        assert page is not None and list(page.column("Name")) == [r["Name"] for r in ROWS]
        assert worker.pool() not in (None, pool)
    finally:
        pages_beside._WORKER = original
        atexit.unregister(worker.close)
        worker.close()


def test_a_page_alone_is_decoded_here_without_the_worker() -> None:
    """Nothing else awaited (`alone`): the worker's round trip would only be waited for."""
    worker = pages_beside._Worker()
    original, pages_beside._WORKER = pages_beside._WORKER, worker
    try:
        page = asyncio.run(page_columns(BODY, COLUMNS, ["Id"], least=0, alone=True))
        assert worker._pool is None  # never forked
    finally:
        pages_beside._WORKER = original
        worker.close()
    assert page is not None and list(page.column("Name")) == [r["Name"] for r in ROWS]


def _ended(sentinels: set[int], within: float) -> bool:
    """Whether every process of these sentinels ends within `within` seconds."""
    deadline = time.monotonic() + within
    while sentinels and (left := deadline - time.monotonic()) > 0:
        sentinels.difference_update(wait(list(sentinels), timeout=left))
    return not sentinels
