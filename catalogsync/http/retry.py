"""Which failures are retried, and how long to wait before the next attempt (DESIGN.md §5).

- 429, 503, `httpx.ConnectError`, `httpx.ConnectTimeout`, `httpx.PoolTimeout`: the server
  certainly did not act, so every request is retried, with exponential backoff and full
  jitter, honouring `Retry-After` (seconds or an HTTP date, capped at `backoff_max`).
- 502, 504, read/write timeouts, connections dropped mid-request: retried only when the
  request is idempotent. A non-idempotent request (a create a retry could duplicate) is an
  `AmbiguousWriteError` instead, as is a plain 500, so the caller re-reads first.
"""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime

import httpx

from catalogsync.http.settings import HttpSettings

#: Statuses after which the server certainly did not act: safe to retry any request.
RETRY_ALWAYS = frozenset({429, 503})
#: Statuses after which the server may have acted: retried only for idempotent requests.
RETRY_IF_IDEMPOTENT = frozenset({502, 504})
#: Failures raised before a byte of the request reached the server.
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
#: Failures during or after sending: the server may have acted.
MAYBE_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.NetworkError,  # ReadError, WriteError, CloseError
    httpx.RemoteProtocolError,  # server closed the connection without a response
)


def status_is_retryable(status: int, *, idempotent: bool) -> bool:
    """Whether an answer with `status` may be sent again."""
    return status in RETRY_ALWAYS or (idempotent and status in RETRY_IF_IDEMPOTENT)


def status_is_ambiguous(status: int, *, idempotent: bool) -> bool:
    """Whether a final error `status` leaves a write's outcome unknown (the server may have
    acted before failing): a 5xx on a non-idempotent request, unless it says it did not."""
    return not idempotent and status >= 500 and status not in RETRY_ALWAYS


def failure_is_retryable(exc: httpx.RequestError, *, idempotent: bool) -> bool:
    """Whether a transport failure may be retried: never sent, or sent but safe to repeat."""
    return isinstance(exc, NOT_SENT_ERRORS) or (idempotent and isinstance(exc, MAYBE_SENT_ERRORS))


def failure_is_ambiguous(exc: httpx.RequestError) -> bool:
    """Whether a transport failure happened after the server may have acted."""
    return isinstance(exc, MAYBE_SENT_ERRORS)


def backoff_delay(
    settings: HttpSettings, attempt: int, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait before retry number `attempt + 1`: the server's `Retry-After`
    (capped), or full jitter, uniform over [0, min(cap, base * 2^attempt)]."""
    if retry_after is not None:
        return min(retry_after, settings.backoff_max)
    return rng.uniform(0, min(settings.backoff_max, settings.backoff_base * 2**attempt))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
