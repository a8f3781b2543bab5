"""Asyncio helpers shared by the core and the backends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

_T = TypeVar("_T")


async def gather_or_cancel(*jobs: Awaitable[_T]) -> list[_T]:
    """`asyncio.gather`, except that when one job fails the others are cancelled and awaited.

    Plain gather leaves the siblings running; `asyncio.run` then cancels them while the loop
    shuts down, and connection attempts cut short that way print "coroutine ... was never
    awaited" warnings on stderr after the one error message (e.g. after a refused login).
    """
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
