"""Settling a create whose outcome is unclear, without ever sending it twice.

A create that timed out, or whose connection dropped, may still be running on the server:
a server keeps working on a request for as long as its own request timeout allows, after
the client has given up. One re-read right away can miss it; a second create would then
duplicate it when it lands. So the backend re-reads with backoff for a window that covers
the server's timeout (`settings.settle_seconds`) and only after that window calls the
create "not created".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Settle:
    """How long, and how often, to re-read after an unclear create.

    The first re-read is immediate (the usual case: the create did land); the next ones
    wait `first_delay`, then twice as long each time up to `max_delay`, until `window`
    seconds have passed since the first re-read. `sleep` and `clock` are injectable so
    tests never wait.
    """

    window: float = 120.0
    first_delay: float = 0.5
    max_delay: float = 15.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic

    async def until(self, read: Callable[[], Awaitable[_T]], settled: Callable[[_T], bool]) -> _T:
        """Call `read` until `settled(result)` or the window is over; the last result."""
        deadline = self.clock() + self.window
        delay = self.first_delay
        while True:
            result = await read()
            left = deadline - self.clock()
            if settled(result) or left <= 0:
                return result
            await self.sleep(min(delay, left))
            delay = min(delay * 2, self.max_delay)
