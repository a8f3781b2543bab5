"""Client-side rate limiting: how fast requests may start."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class TokenBucket:
    """Client-side rate limiter: at most `rate` starts per second, evenly spaced.

    A bucket of capacity one, kept as "the earliest time the next request may start", so
    it needs no loop and works with a fake clock that does not advance.
    """

    def __init__(self, rate: float, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = asyncio.Lock()

    def started(self, when: float) -> None:
        """Count a request that started at `when` (this bucket's clock) without it, as the
        login sent before the client existed (`HttpClient.count_early`)."""
        if self._interval:
            self._next = max(self._next, when + self._interval)

    async def acquire(self) -> None:
        """Wait until this caller may start a request."""
        if not self._interval:
            return
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            await self._sleep(start - now)
