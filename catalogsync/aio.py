"""Asyncio helpers shared by the core and the backends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

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


def run_main(main: Coroutine[Any, Any, _T]) -> _T:
    """`asyncio.run(main)`, returning its result without it ever being made into text.

    When `asyncio.run` ends, it asks `signal.getsignal` for its SIGINT handler, a partial
    holding the finished main task; Python 3.11's signal module turns that handler into a
    `Handlers` enum, whose failed lookup formats the handler's repr, hence the task's,
    hence the full repr of its result (reprlib truncates only afterwards). An export's
    result (every file's text and object) took about a second per repr at 40,000 objects,
    twice. Here the main task's result is None; the real one travels beside it.
    """
    results: list[_T] = []

    async def beside() -> None:
        results.append(await main)

    asyncio.run(beside())
    return results[0]
