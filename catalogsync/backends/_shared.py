"""Small helpers every backend uses: concurrent jobs that clean up, and the HTTP settings.

Backend-neutral on purpose, so that one backend never imports another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from catalogsync.backends._http import HttpSettings
from catalogsync.config import Settings

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


def http_settings(settings: Settings) -> HttpSettings:
    """The HTTP policy a project's settings ask for."""
    return HttpSettings(
        timeout_seconds=settings.timeout_seconds,
        max_retries=settings.max_retries,
        rate_limit_per_second=settings.rate_limit,
        concurrency=settings.concurrency,
    )
