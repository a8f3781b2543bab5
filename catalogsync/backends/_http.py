"""The one place HTTP policy lives: timeouts, retries, re-login, rate limit, concurrency, stats.

Backend-neutral: a backend supplies an `AuthHook` (how to log in, how to recognise an
expired session) and calls `HttpClient.request()` with paths relative to its base URL.

Retry policy (DESIGN.md §5):

- 429, 503, `httpx.ConnectError`, `httpx.ConnectTimeout`, `httpx.PoolTimeout`: the server
  certainly did not act, so every request is retried, with exponential backoff and full
  jitter, honouring `Retry-After` (seconds or an HTTP date, capped at `backoff_max`).
- 502, 504, read/write timeouts, connections dropped mid-request: retried only when the
  request is idempotent. A non-idempotent request (a create a retry could duplicate) raises
  `AmbiguousWriteError` instead, as does a plain 500, so the caller re-reads first.
- An auth failure (per the hook) triggers a re-login (one login at a time, however many
  requests saw the failure) and a replay of the request. A request refused with a session
  another request has already replaced is simply replayed. A session refused again right
  after the re-login is an `AuthenticationError`, unless it had served requests, or other
  requests were sent with it, before it was refused (sessions that expire after N
  requests, with several requests in flight): then it is renewed again, up to
  `_MAX_RELOGINS` times for one request.
- Anything else that is not 2xx (or explicitly accepted by the caller) is a `BackendError`
  naming the method, the path (never the query string) and the API's error text.

`timeout_seconds` is a deadline for each attempt as a whole (connect, send, and the whole
answer), not only httpx's per-read timeout: a server dripping one byte a second would
otherwise hold a request for as long as it likes. A missed deadline is a read timeout.
Once the run is asked to stop (`catalogsync.interrupt`), no further attempt is sent.

Secrets (session headers returned by the hook, and anything given to `add_secret`) are
redacted, in every encoding a server may echo them in (`catalogsync.redact`), from the
server's and the transport's text in every message; headers and bodies are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import logging
import random
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError, ConfigError
from catalogsync.har import active_recorder
from catalogsync.interrupt import check_not_stopping
from catalogsync.redact import Redactor

__all__ = ["AuthHook", "HttpClient", "HttpSettings", "HttpStats", "TokenBucket"]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: Statuses after which the server certainly did not act: safe to retry any request.
_RETRY_ALWAYS = frozenset({429, 503})
#: Statuses after which the server may have acted: retried only for idempotent requests.
_RETRY_IF_IDEMPOTENT = frozenset({502, 504})
#: Failures raised before a byte of the request reached the server.
_NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
#: Failures during or after sending: the server may have acted.
_MAYBE_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.NetworkError,  # ReadError, WriteError, CloseError
    httpx.RemoteProtocolError,  # server closed the connection without a response
)
_MAX_ERROR_TEXT = 300


# How many times one request may renew a session that keeps expiring under load. Each
# renewal needs the refused session to have served requests (progress), so this bound only
# matters when queued requests keep using each new session up before a replay runs.
_MAX_RELOGINS = 10


@dataclass(frozen=True)
class HttpSettings:
    """Tunables for `HttpClient`; defaults follow the BillingPlatform best-practice page."""

    timeout_seconds: float = 60.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    rate_limit_per_second: float = 15.0  # 0 turns the client-side limiter off
    concurrency: int = 4
    verify_tls: bool = True

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0 or self.max_retries < 0 or self.concurrency < 1:
            raise ValueError(f"invalid HTTP settings: {self}")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.rate_limit_per_second < 0:
            raise ValueError(f"invalid HTTP settings: {self}")


@dataclass
class HttpStats:
    """Counters for `--stats`; `requests` counts every attempt sent, logins included."""

    requests: int = 0
    retries: int = 0
    logins: int = 0
    relogins: int = 0
    ambiguous_writes: int = 0
    seconds: float = 0.0
    bytes_sent: int = 0
    bytes_received: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "logins": self.logins,
            "relogins": self.relogins,
            "ambiguous_writes": self.ambiguous_writes,
            "seconds": round(self.seconds, 3),
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
            "by_method": dict(sorted(self.by_method.items())),
            "by_status": dict(sorted(self.by_status.items())),
        }


class AuthHook(ABC):
    """How a backend logs in and recognises an expired session."""

    @abstractmethod
    async def login(self, client: HttpClient) -> dict[str, str]:
        """Log in (with `client.request(..., authenticate=False)`); return headers to add."""

    def is_auth_failure(self, response: httpx.Response) -> bool:
        """Whether `response` means "log in again and replay"; 401 unless overridden."""
        return response.status_code == 401


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


def check_base_url(base_url: str, *, has_transport: bool, allow_insecure_http: bool) -> None:
    """Refuse plain http to anything but loopback (or the in-process emulator)."""
    url = httpx.URL(base_url)
    if url.scheme == "https":
        return
    if url.scheme != "http" or not url.host:
        raise ConfigError.single(f"unsupported URL {base_url.split('?')[0]!r}: use https://")
    if _is_loopback(url.host):
        return
    if has_transport and url.host.startswith("emulator"):
        return  # an in-process emulator: nothing leaves the process
    if allow_insecure_http:
        # Allowed, but never silently: every run says that credentials travel in clear.
        logger.warning(
            "warning: allow_insecure_http is set: credentials and catalog data go to %s "
            "over plain http://, readable by anyone on the network",
            url.host,
        )
        return
    raise ConfigError.single(
        f"refusing plain http:// to {url.host}: credentials would cross the network "
        "unencrypted; use https:// (or allow insecure http explicitly)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpClient:
    """Async HTTP client with the retry, auth, rate and concurrency policy built in.

    `sleep`, `clock` and `rng` are injectable so tests run without real waiting.
    """

    def __init__(
        self,
        base_url: str,
        *,
        settings: HttpSettings | None = None,
        auth: AuthHook | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        check_base_url(
            base_url, has_transport=transport is not None, allow_insecure_http=allow_insecure_http
        )
        self.settings = settings or HttpSettings()
        self._auth = auth
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            verify=self.settings.verify_tls,
            follow_redirects=False,  # a redirect would replay credentials elsewhere
        )
        self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        self._bucket = TokenBucket(self.settings.rate_limit_per_second, clock=clock, sleep=sleep)
        self._auth_lock = asyncio.Lock()
        self._auth_headers: dict[str, str] | None = None
        self._generation = 0
        # The newest session generation that has served a successful request, and how many
        # attempts were sent with each generation: a session other requests used as well may
        # have been used up by them (servers that expire sessions after N requests).
        self._served_generation = 0
        self._sent_with: Counter[int] = Counter()
        self._redactor = Redactor()
        self._secrets: set[str] = set()  # as given, for the HAR recorder's own redaction
        self._stats = HttpStats()
        # `--record FILE.har`: the command's recorder, if it records (catalogsync/har.py).
        self._recorder = active_recorder()

    # -- lifecycle -------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def stats(self) -> dict[str, Any]:
        """A snapshot of the request counters (see `HttpStats`)."""
        return self._stats.as_dict()

    def add_secret(self, value: str) -> None:
        """Never let `value` (in any encoding) appear in an error message of this client."""
        self._redactor.add(value)
        if value:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        """`text` (from the server) with every secret of this client masked."""
        return self._redactor.redact(text)

    # -- sessions --------------------------------------------------------------------

    async def login(self) -> None:
        """Log in now (otherwise the first authenticated request does it)."""
        await self._login(self._generation, force=True, relogin=False)

    def end_session(self) -> dict[str, str] | None:
        """Forget the current session; return its headers (for a logout call) or None."""
        headers, self._auth_headers = self._auth_headers, None
        return headers

    async def _session(self) -> tuple[int, dict[str, str]]:
        if self._auth is None:
            return self._generation, {}
        if self._auth_headers is None:
            await self._login(self._generation, force=False, relogin=False)
        assert self._auth_headers is not None
        return self._generation, self._auth_headers

    async def _login(self, seen_generation: int, *, force: bool, relogin: bool) -> None:
        """Log in unless someone already did since `seen_generation` (one login at a time).

        The generation counter is what makes four concurrent auth failures cost one login:
        the first waiter logs in and bumps it, the other three see it moved and reuse it.
        """
        if self._auth is None:
            return
        async with self._auth_lock:
            if self._generation != seen_generation and self._auth_headers is not None:
                return
            if not force and self._auth_headers is not None:
                return
            headers = await self._auth.login(self)
            for value in headers.values():
                self.add_secret(value)
                self.add_secret(value.removeprefix("Bearer "))  # echoed without the scheme
            self._auth_headers = dict(headers)
            self._generation += 1
            self._stats.logins += 1
            self._stats.relogins += int(relogin)
            logger.debug("logged in (session generation %d)", self._generation)

    # -- requests --------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        idempotent: bool,
        accept: Collection[int] = (),
        authenticate: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request under the retry/auth policy; return a 2xx (or accepted) response.

        `accept` lists error statuses the caller handles itself (e.g. 404 = no rows).
        `authenticate=False` skips the session (used for the login call itself).
        `data` sends a form body (application/x-www-form-urlencoded) instead of `json`.
        """
        method = method.upper()
        # The concurrency slot is held for the whole request, retries and replays included:
        # a replay that queued again behind every waiting request could find each renewed
        # session used up by them (sessions that expire after N requests). The login itself
        # (authenticate=False) takes no slot, so requests holding one can wait for it.
        async with self._semaphore if authenticate else contextlib.nullcontext():
            return await self._attempts(
                method, path, params, json, data, idempotent, accept, authenticate, headers
            )

    async def _attempts(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        idempotent: bool,
        accept: Collection[int],
        authenticate: bool,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """`request()`'s loop: send, then re-login, retry or return."""
        relogins = stale_replays = 0
        attempt = 0
        while True:
            check_not_stopping(method, path)
            generation, session = await self._session() if authenticate else (0, {})
            self._sent_with[generation] += 1
            try:
                response = await self._send(
                    method, path, params, json, {**session, **(headers or {})}, data
                )
            except httpx.RequestError as exc:  # transport failures, undecodable bodies
                await self._after_transport_error(method, path, exc, idempotent, attempt)
                attempt += 1
                continue
            if authenticate and self._auth is not None and self._auth.is_auth_failure(response):
                if generation != self._generation and stale_replays < _MAX_RELOGINS:
                    stale_replays += 1  # another request has renewed the session already
                    continue
                self._check_relogin(method, path, generation, relogins)
                logger.info("%s %s: session expired; logging in again", method, path)
                await self._login(generation, force=True, relogin=True)
                relogins += 1
                continue
            if authenticate and response.is_success:
                self._served_generation = max(self._served_generation, generation)
            if await self._should_retry_status(method, path, response, idempotent, attempt):
                attempt += 1
                continue
            if response.is_success or response.status_code in accept:
                return response
            raise self._status_error(method, path, response, idempotent, attempt + 1)

    def _check_relogin(self, method: str, path: str, generation: int, relogins: int) -> None:
        """Refuse to log in again when it cannot help (see the module docstring)."""
        shared = self._sent_with[generation] > 1
        if relogins and not shared and self._served_generation < generation:
            raise AuthenticationError(
                f"{method} {path}: the server refused a session it had just issued"
            )
        if relogins >= _MAX_RELOGINS:
            raise AuthenticationError(
                f"{method} {path}: the session expired {relogins + 1} times during one request"
            )

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request()`, then decode the body; malformed JSON is a `BackendError`."""
        response = await self.request(method, path, **kwargs)
        return self.decode_json(method, path, response)

    def decode_json(self, method: str, path: str, response: httpx.Response) -> Any:
        """The response body as JSON, or a `BackendError` naming the request."""
        try:
            return response.json()
        except ValueError as exc:
            raise BackendError(
                f"{method} {path}: HTTP {response.status_code} response is not valid JSON"
            ) from exc

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One attempt (the caller holds a concurrency slot): rate-limit token, send, count, log."""
        request = self._client.build_request(
            method, path, params=params, json=json, data=data, headers=headers
        )
        await self._bucket.acquire()
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        self._stats.requests += 1
        self._stats.by_method[method] += 1
        self._stats.bytes_sent += len(request.content)
        try:
            response = await self._send_by_deadline(request)
        except httpx.RequestError as exc:
            self._record(method, path, type(exc).__name__, started)
            self._to_har(request, None, started_at, started, f"{type(exc).__name__}: {exc}")
            raise
        self._record(method, path, str(response.status_code), started)
        self._to_har(request, response, started_at, started)
        self._stats.bytes_received += len(response.content)
        return response

    def _to_har(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        started_at: datetime,
        started: float,
        error: str = "",
    ) -> None:
        if self._recorder is not None:
            seconds = time.perf_counter() - started
            self._recorder.record(
                request,
                response,
                started=started_at,
                seconds=seconds,
                secrets=self._secrets,
                error=error,
            )

    async def _send_by_deadline(self, request: httpx.Request) -> httpx.Response:
        """Send and read the whole answer within `timeout_seconds`, or raise ReadTimeout."""
        deadline = self.settings.timeout_seconds
        try:
            async with asyncio.timeout(deadline):
                return await self._client.send(request)
        except TimeoutError:
            message = f"no complete answer within {deadline:g}s"
            raise httpx.ReadTimeout(message, request=request) from None

    def _record(self, method: str, path: str, outcome: str, started: float) -> None:
        duration = time.perf_counter() - started
        self._stats.seconds += duration
        self._stats.by_status[outcome] += 1
        logger.debug("%s %s -> %s in %.3fs", method, path, outcome, duration)

    async def _after_transport_error(
        self, method: str, path: str, exc: httpx.RequestError, idempotent: bool, attempt: int
    ) -> None:
        """Back off before a retry, or raise when this failure must not be retried."""
        text = self._redactor.redact(str(exc))
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        if isinstance(exc, _NOT_SENT_ERRORS) or (
            idempotent and isinstance(exc, _MAYBE_SENT_ERRORS)
        ):
            if attempt < self.settings.max_retries:
                await self._backoff(method, path, reason, attempt, retry_after=None)
                return
            raise BackendError(
                f"{method} {path} failed after {attempt + 1} attempts: {reason}"
            ) from exc
        if isinstance(exc, _MAYBE_SENT_ERRORS):
            raise self._ambiguous(method, path, reason) from exc
        raise BackendError(f"{method} {path} failed: {reason}") from exc

    async def _should_retry_status(
        self, method: str, path: str, response: httpx.Response, idempotent: bool, attempt: int
    ) -> bool:
        """Back off and return True when `response` calls for a retry."""
        status = response.status_code
        retryable = status in _RETRY_ALWAYS or (idempotent and status in _RETRY_IF_IDEMPOTENT)
        if not retryable or attempt >= self.settings.max_retries:
            return False
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        await self._backoff(method, path, f"HTTP {status}", attempt, retry_after=retry_after)
        return True

    async def _backoff(
        self, method: str, path: str, reason: str, attempt: int, *, retry_after: float | None
    ) -> None:
        settings = self.settings
        if retry_after is not None:
            delay = min(retry_after, settings.backoff_max)
        else:  # full jitter: uniform over [0, min(cap, base * 2^attempt)]
            delay = self._rng.uniform(
                0, min(settings.backoff_max, settings.backoff_base * 2**attempt)
            )
        self._stats.retries += 1
        logger.info("%s %s: %s; retry %d in %.2fs", method, path, reason, attempt + 1, delay)
        await self._sleep(delay)

    def _status_error(
        self, method: str, path: str, response: httpx.Response, idempotent: bool, attempts: int
    ) -> BackendError:
        status = response.status_code
        detail = f"HTTP {status} {response.reason_phrase}".rstrip()
        text = self._api_error_text(response)
        if text:
            detail = f"{detail}: {text}"
        if attempts > 1:
            detail = f"{detail} (after {attempts} attempts)"
        if not idempotent and status >= 500 and status not in _RETRY_ALWAYS:
            return self._ambiguous(method, path, detail)
        return BackendError(f"{method} {path} failed: {detail}")

    def _ambiguous(self, method: str, path: str, detail: str) -> AmbiguousWriteError:
        self._stats.ambiguous_writes += 1
        message = f"{method} {path} may or may not have been applied ({detail})"
        return AmbiguousWriteError(f"{message}; re-read before retrying")

    def _api_error_text(self, response: httpx.Response) -> str:
        """The API's own error message, from the JSON shapes BillingPlatform and LogiSense use.

        Redacted before it is shortened or its spaces are squeezed, either of which could
        leave part of a secret, or a secret holding spaces, unrecognised.
        """
        redact = self._redactor.redact
        try:
            body = response.json()
        except ValueError:
            return " ".join(redact(response.text).split())[:_MAX_ERROR_TEXT]
        parts: list[str] = []
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, list):
                for item in errors:
                    if isinstance(item, dict):
                        text = item.get("error_message") or item.get("message")  # BP, LogiSense
                        parts.append(str(text or item.get("error_code") or ""))
            for key in ("message", "error"):
                value = body.get(key)
                if isinstance(value, str) and value and value not in parts:
                    parts.append(value)
        text = "; ".join(redact(part) for part in parts if part) or redact(str(body))
        return " ".join(text.split())[:_MAX_ERROR_TEXT]
