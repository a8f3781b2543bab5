"""Settle: re-read with backoff over a window, never longer, without real waiting."""

from __future__ import annotations

import anyio

from catalogsync.backends.settle import Settle


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_re_reads_with_growing_delays_until_found() -> None:
    time = FakeTime()
    settle = Settle(window=120, first_delay=0.5, max_delay=4, sleep=time.sleep, clock=time.clock)
    answers = iter([None, None, None, None, "42"])

    async def read() -> str | None:
        return next(answers)

    assert anyio.run(settle.until, read, lambda found: found is not None) == "42"
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_gives_up_when_the_window_is_over() -> None:
    time = FakeTime()
    settle = Settle(window=10, first_delay=1, max_delay=4, sleep=time.sleep, clock=time.clock)
    reads = 0

    async def read() -> None:
        nonlocal reads
        reads += 1

    assert anyio.run(settle.until, read, lambda found: found is not None) is None
    assert time.sleeps == [1, 2, 4, 3] and time.now == 10 and reads == 5
