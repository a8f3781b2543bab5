"""`beside`: items shared with a forked child, which answers once (export's files)."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from catalogsync import beside
from catalogsync.beside import Beside, Lost
from catalogsync.errors import CatalogSyncError, UsageError
from tests.conftest import ended

_T = TypeVar("_T")

pytestmark = pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")


def _shared(count: int, work: Callable[[Iterator[int]], _T]) -> tuple[Beside[_T], list[int]]:
    """The child, and the items this process takes (all it can take)."""
    child, mine = Beside.share(count, work)
    assert child is not None
    return child, list(mine)


def _child_only(work: Callable[[], object]) -> Beside[object]:
    """A child that takes the one item (this process takes none), then runs `work`."""

    def taking_all(items: Iterator[int]) -> object:
        for _ in items:
            pass
        return work()

    child, _ = Beside.share(1, taking_all)  # (this process's items are never asked for)
    assert child is not None
    return child


def test_each_item_goes_to_exactly_one_of_the_two_processes() -> None:
    parent = os.getpid()

    def work(items: Iterator[int]) -> tuple[list[int], bool]:
        taken = []
        for item in items:
            taken.append(item)
            time.sleep(0.001)  # (each takes a while, so the two interleave)
        return taken, os.getpid() != parent

    child, mine = _shared(300, work)
    theirs, elsewhere = child.result()
    assert elsewhere
    assert sorted(mine + theirs) == list(range(300))  # none twice, none lost
    assert mine == sorted(mine) and theirs == sorted(theirs)  # each in order


def test_a_long_queue_is_handed_out_in_runs_and_still_whole() -> None:
    """More items than queue entries (`_RUNS`): a few items per entry, none lost."""

    def work(items: Iterator[int]) -> list[int]:
        return list(items)

    count = 5 * beside._RUNS + 3
    child, mine = _shared(count, work)
    theirs = child.result()
    assert sorted(mine + theirs) == list(range(count))
    # Each run (`run_of`) is taken whole by one of them: a process may make a run together
    for taken, other in ((mine, set(theirs)), (theirs, set(mine))):
        for item in taken:
            assert other.isdisjoint(beside.run_of(count, item))


def test_the_runs_of_a_queue_hold_each_item_once_in_order() -> None:
    for count in (1, 5, beside._RUNS, beside._RUNS + 1, 5001):
        runs = list(dict.fromkeys(beside.run_of(count, item) for item in range(count)))
        assert [item for run in runs for item in run] == list(range(count))
        assert len(runs) <= beside._RUNS and all(
            item in beside.run_of(count, item) for item in range(count)
        )


def test_no_items_no_child() -> None:
    child, mine = Beside.share(0, lambda items: None)
    assert child is None and list(mine) == []


def test_an_error_raised_in_the_child_is_raised_here_with_its_type_and_message() -> None:
    def work() -> None:
        raise UsageError("the third file does not load back")

    with pytest.raises(UsageError, match="the third file does not load back") as caught:
        _child_only(work).result()
    assert isinstance(caught.value, CatalogSyncError)


def test_a_child_that_ends_without_an_answer_is_lost() -> None:
    with pytest.raises(Lost):
        _child_only(lambda: os._exit(3)).result()  # as if killed: nothing written back


def test_an_answer_is_taken_without_waiting_for_the_child_s_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child tells its answer's end before it exits (an exit unmaps its memory before
    it closes its files: at L ~0.01 s), and is reaped once it has ended. Here its exit
    takes a second."""
    exit_now = os._exit

    def slow_exit(code: int) -> None:
        time.sleep(1)
        exit_now(code)

    monkeypatch.setattr(os, "_exit", slow_exit)  # (the child's, as forked)
    started = time.monotonic()
    shared = _child_only(lambda: "done")
    streamed = Beside.stream(lambda: iter(["first"]))
    assert streamed is not None
    pids = [shared._pid, streamed._pid]
    assert shared.result() == "done"
    assert list(streamed.items()) == ["first"]
    assert time.monotonic() - started < 0.9  # (waiting for an exit would be 1 s)
    assert shared._pid is None and streamed._pid is None  # (let go of: never signalled again)
    assert all(pid is not None and ended(pid) for pid in pids)


def test_a_child_that_does_not_answer_in_time_is_lost_and_stopped() -> None:
    """A child stuck for good (e.g. on a lock a thread of this process held when it forked)
    must not hang the export: past the deadline it is lost, and the caller checks itself."""
    check = _child_only(lambda: time.sleep(3600))
    pid = check._pid
    assert pid is not None
    try:
        with pytest.raises(Lost, match=r"no answer within 0\.2 s"):
            check.result(timeout=0.2)
    finally:
        check.close()  # (a no-op once `result` stopped it)
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pid, os.WNOHANG)


def test_an_answer_that_cannot_travel_is_lost_not_a_crash_here() -> None:
    class Local(Exception):  # defined in a function: pickle cannot find it by name
        pass

    def work() -> None:
        raise Local("x")

    with pytest.raises(Lost, match="cannot be sent"):
        _child_only(work).result()


def test_close_stops_a_child_still_at_work() -> None:
    check = _child_only(lambda: time.sleep(3600))
    pid = check._pid
    assert pid is not None
    check.close()
    with pytest.raises(ChildProcessError):  # reaped: no such child any more
        os.waitpid(pid, os.WNOHANG)
    check.close()  # twice is harmless


def test_no_child_where_it_cannot_help(monkeypatch: pytest.MonkeyPatch) -> None:
    """Then every item is this process's."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not beside.available()
    child, mine = Beside.share(3, lambda items: None)
    assert child is None and list(mine) == [0, 1, 2]


def test_the_whole_queue_fits_one_page_written_whole() -> None:
    """Written before the fork, with no reader yet: it must fit the smallest pipe buffer
    (one page, past the user's pipe limit) and be written in one piece."""
    assert beside._RUNS * beside._RUN.size <= select.PIPE_BUF


def test_map_beside_gives_every_item_s_result_in_order_from_both_processes() -> None:
    parent = os.getpid()

    def item(index: int) -> tuple[int, bool]:
        time.sleep(0.001)  # (each takes a while, so the two interleave)
        return index * index, os.getpid() != parent

    results = beside.map_beside(300, item, least=2)
    assert [square for square, _ in results] == [i * i for i in range(300)]
    assert {elsewhere for _, elsewhere in results} == {True, False}  # both did some


def test_map_beside_below_least_forks_nothing() -> None:
    parent = os.getpid()
    assert beside.map_beside(3, lambda i: (i, os.getpid()), least=4) == [
        (0, parent),
        (1, parent),
        (2, parent),
    ]


def test_map_beside_does_a_lost_child_s_items_here(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def item(index: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # as if killed: no answer
        time.sleep(0.001)
        return -index

    assert beside.map_beside(50, item, least=1) == [-i for i in range(50)]


def _streamed(work: Callable[[], Iterator[object]], timeout: float = 30) -> Iterator[object]:
    child = Beside.stream(work)
    assert child is not None
    return child.items(timeout)


def test_stream_hands_out_each_item_made_in_another_process_in_order() -> None:
    here = os.getpid()

    def work() -> Iterator[object]:
        yield os.getpid()
        for index in range(3):
            yield bytes([index]) * 300_000  # (more than a pipe holds)

    pid, *items = list(_streamed(work))
    assert pid != here
    assert items == [bytes([index]) * 300_000 for index in range(3)]


def test_stream_raises_the_childs_error_after_the_items_before_it() -> None:
    def work() -> Iterator[object]:
        yield "first"
        raise UsageError("the second does not load")

    got = []
    with pytest.raises(UsageError, match="the second does not load"):
        for item in _streamed(work):
            got.append(item)
    assert got == ["first"]


def test_a_stream_that_ends_mid_way_is_lost() -> None:
    def work() -> Iterator[object]:
        yield "first"
        os._exit(3)  # as if killed: no end written

    got = []
    with pytest.raises(Lost):
        for item in _streamed(work):
            got.append(item)
    assert got == ["first"]


def test_a_stream_past_its_deadline_is_lost_and_stopped() -> None:
    def work() -> Iterator[object]:
        yield "first"
        time.sleep(3600)

    child = Beside.stream(work)
    assert child is not None
    pid = child._pid
    assert pid is not None
    items = child.items(timeout=0.5)
    assert next(items) == "first"
    with pytest.raises(Lost, match=r"no answer within 0\.5 s"):
        next(items)
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pid, os.WNOHANG)


def test_an_abandoned_stream_is_stopped_at_once_from_another_thread() -> None:
    """A thread reading the answers of a child that would work for an hour gets
    `Abandoned` (not `Lost`: nobody does the work again) once another thread abandons it,
    and the child is gone."""
    abandon = beside.Abandon()

    def work() -> Iterator[object]:
        yield "first"
        time.sleep(3600)
        yield "never"

    child = Beside.stream(work, abandon)
    assert child is not None
    pid = child._pid
    assert pid is not None
    items = child.items(timeout=3600)
    assert next(items) == "first"
    outcome: list[BaseException] = []

    def read_on() -> None:
        try:
            next(items)
        except BaseException as exc:
            outcome.append(exc)

    reading = threading.Thread(target=read_on)
    reading.start()
    abandon()
    reading.join(timeout=60)
    assert not reading.is_alive(), "the reading thread still waits for the child"
    assert [type(exc) for exc in outcome] == [beside.Abandoned]
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pid, os.WNOHANG)


def test_a_stream_started_after_its_abandon_is_stopped_as_it_starts() -> None:
    abandon = beside.Abandon()
    abandon()

    def work() -> Iterator[object]:
        time.sleep(3600)
        yield "never"

    child = Beside.stream(work, abandon)
    assert child is not None
    with pytest.raises(beside.Abandoned):
        list(child.items(timeout=3600))


def test_stream_forks_nothing_where_it_cannot_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert Beside.stream(lambda: iter(())) is None
