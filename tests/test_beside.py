"""`beside`: work in a forked child, fed item by item, answering once (export's load-back)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest

from catalogsync import beside
from catalogsync.beside import Beside, Lost
from catalogsync.errors import CatalogSyncError, UsageError

pytestmark = pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")


def _started(work: Callable[[Iterator[None]], object]) -> Beside[object]:
    check = Beside.start(work)
    assert check is not None
    return check


def test_the_child_sees_each_ready_item_and_answers_with_its_result() -> None:
    parent = os.getpid()

    def work(ready: Iterator[None]) -> tuple[int, bool]:
        return sum(1 for _ in ready), os.getpid() != parent

    check = _started(work)
    for _ in range(5):
        check.item_ready()
    assert check.result() == (5, True)


def test_an_error_raised_in_the_child_is_raised_here_with_its_type_and_message() -> None:
    def work(ready: Iterator[None]) -> None:
        next(ready)
        raise UsageError("the third file does not load back")

    check = _started(work)
    check.item_ready()
    with pytest.raises(UsageError, match="the third file does not load back") as caught:
        check.result()
    assert isinstance(caught.value, CatalogSyncError)


def test_a_child_that_ends_without_an_answer_is_lost() -> None:
    def work(ready: Iterator[None]) -> None:
        os._exit(3)  # as if killed: nothing written back

    with pytest.raises(Lost):
        _started(work).result()


def test_items_ready_after_the_child_has_died_are_not_an_error_here() -> None:
    """A child gone before this process has written every file (killed, out of memory):
    telling it of the next file must not fail the export with a broken pipe; the answer
    is simply lost, and the caller checks the files itself."""

    def work(ready: Iterator[None]) -> None:
        os._exit(3)

    check = _started(work)
    _wait_until_ended(check)
    for _ in range(3):
        check.item_ready()
    with pytest.raises(Lost):
        check.result()


def _wait_until_ended(check: Beside[object]) -> None:
    """Until the child has ended (without reaping it: `close` does that)."""
    pid = check._pid
    assert pid is not None
    for _ in range(500):
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return
        time.sleep(0.01)
    raise AssertionError("the child did not end")


def test_a_child_that_does_not_answer_in_time_is_lost_and_stopped() -> None:
    """A child stuck for good (e.g. on a lock a thread of this process held when it forked)
    must not hang the export: past the deadline it is lost, and the caller checks itself."""

    def work(ready: Iterator[None]) -> None:
        for _ in ready:
            pass
        time.sleep(3600)

    check = _started(work)
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

    def work(ready: Iterator[None]) -> None:
        raise Local("x")

    with pytest.raises(Lost, match="cannot be sent"):
        _started(work).result()


def test_close_stops_a_child_still_waiting_for_items() -> None:
    def work(ready: Iterator[None]) -> int:
        return sum(1 for _ in ready)  # never ends while the feed is open

    check = _started(work)
    pid = check._pid
    assert pid is not None
    check.close()
    with pytest.raises(ChildProcessError):  # reaped: no such child any more
        os.waitpid(pid, os.WNOHANG)
    check.close()  # twice is harmless


def test_no_child_where_it_cannot_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not beside.available()
    assert Beside.start(lambda ready: None) is None
