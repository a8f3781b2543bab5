"""What a backend's factory takes from the project's settings: its HTTP policy and how long an
unclear create is re-read.

Public (a backend outside this package, such as the test suite's toy, uses it too) and
backend-neutral on purpose, so that one backend never imports another.
"""

from __future__ import annotations

from catalogsync.backends.settle import Settle
from catalogsync.config import Settings
from catalogsync.http import HttpSettings


def http_settings(settings: Settings) -> HttpSettings:
    """The HTTP policy a project's settings ask for."""
    return HttpSettings(
        timeout_seconds=settings.timeout_seconds,
        max_retries=settings.max_retries,
        rate_limit_per_second=settings.rate_limit,
        concurrency=settings.concurrency,
    )


def settle_policy(settings: Settings) -> Settle:
    """How long an unclear create is re-read before it counts as not created."""
    return Settle(window=settings.settle_seconds)
