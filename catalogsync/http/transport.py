"""`HttpClient`: the one place a request is sent, under the whole HTTP policy.

Backend-neutral: a backend supplies an `AuthHook` (`catalogsync.http.sessions`) and a parser
of its error bodies (`catalogsync.http.error_text`), and calls `HttpClient.request()` with
paths relative to its base URL. Each attempt takes a rate-limit
token (`pacing`) inside a concurrency slot, must finish by a deadline, is counted (`--stats`)
and recorded (`--record FILE.har`); its outcome is then classified: a refused session is
renewed and replayed (`sessions`), a retryable failure backed off and retried (`retry`),
anything else that is not 2xx (or explicitly accepted by the caller) is a `BackendError`
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
import io
import logging
import random
import ssl
import time
from collections.abc import Collection, Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import httpx

from catalogsync import heap
from catalogsync.early_login import EarlyReads, Exchange, Intent, claim
from catalogsync.errors import AmbiguousWriteError, BackendError
from catalogsync.har import active_recorder
from catalogsync.http import retry, tls
from catalogsync.http.error_text import ErrorBodyParser, api_error_text, no_vendor_messages
from catalogsync.http.pacing import Clock, Sleep, TokenBucket
from catalogsync.http.sessions import AuthHook, Renewals, Sessions
from catalogsync.http.settings import HttpSettings, HttpStats
from catalogsync.http.urls import check_base_url
from catalogsync.interrupt import check_not_stopping
from catalogsync.logins import LoginRequest
from catalogsync.redact import Redactor

logger = logging.getLogger(__name__)


class HttpClient:
    """Async HTTP client with the retry, auth, rate and concurrency policy built in.

    `error_body_parser` reads the API's messages out of its JSON error bodies (the vendor's
    shape); the conventional top-level `message`/`error` are read whatever it is.
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
        error_body_parser: ErrorBodyParser = no_vendor_messages,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        check_base_url(
            base_url, has_transport=transport is not None, allow_insecure_http=allow_insecure_http
        )
        self.settings = settings or HttpSettings()
        self._base_url = base_url
        self._allow_insecure_http = allow_insecure_http
        self._in_process = transport is not None  # an emulator's, or a test's
        self._error_body_parser = error_body_parser
        self._sleep = sleep
        self._rng = rng or random.Random()
        verify: ssl.SSLContext | bool = self.settings.verify_tls
        if verify is True and transport is None:
            # httpx would make this very context now, before the first request: it was
            # made on another thread meanwhile, when the login was sent early.
            verify = tls.take() or True
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            verify=verify,
            follow_redirects=False,  # a redirect would replay credentials elsewhere
        )
        #: Whether httpx has been asked to send anything (see `aclose`).
        self._client_used = False
        self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        self._bucket = TokenBucket(self.settings.rate_limit_per_second, clock=clock, sleep=sleep)
        self._redactor = Redactor()
        self._secrets: set[str] = set()  # as given, for the HAR recorder's own redaction
        self._stats = HttpStats()
        self._sessions = Sessions(auth, self, self._stats)
        # `--record FILE.har`: the command's recorder, if it records (catalogsync/har.py).
        self._recorder = active_recorder()
        #: The reads sent behind the early login, once adopted: by `EarlyRead.key`, each
        #: with its answer; and the session generation they were sent with.
        self._early_reads: dict[tuple[Any, ...], Future[Exchange]] = {}
        self._early_generation = 0
        #: The reads behind the adopted login, until this client first asks for a request.
        self._untaken: EarlyReads | None = None
        #: Then the same reads, which the login thread goes on starting, until this client
        #: sends anything itself (`_take_over_early_reads`).
        self._followed: EarlyReads | None = None
        #: Whether a request may yet find its answer among them: from the claim of an early
        #: login until its reads are known to be none, or all taken.
        self._early_possible = False
        self._early_holders: list[asyncio.Future[None]] = []
        #: The reads followed, taken over or not: told of each answer taken (`taken`).
        self._early_source: EarlyReads | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def aclose(self) -> None:
        """Call off a login sent ahead that nothing waited for, and close the connection pool."""
        await self._sessions.close()
        for reads in (self._untaken, self._followed):
            if reads is not None:
                reads.stop()  # start no more: those started end on their own threads
        self._untaken = self._followed = self._early_source = None
        holders, self._early_holders = self._early_holders, []
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        self._early_reads.clear()
        if self._client_used:
            await self._client.aclose()
        # else httpx opened no connection (every answer was an early one: a plan, drift or
        # export whose whole read went behind the early login): its pool has nothing to
        # close, and closing it imported anyio's asyncio back end for a shield around
        # nothing, ~0.03-0.05 s of CPU at the end of such a command.

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
        await self._sessions.login()

    def start_login(self) -> None:
        """Send the login now and go on; the first authenticated request waits for its
        answer and fails as it fails (`Sessions.start`)."""
        self._sessions.start()

    def early_login(self, login: LoginRequest) -> Future[Exchange] | None:
        """The answer of the login sent before the configuration was validated
        (`catalogsync.early_login`), if it was `login` sent to this client's URL under
        its settings; None otherwise (and it is dropped)."""
        if self._in_process:
            return None
        intent = Intent(self._base_url, login, self.settings, self._allow_insecure_http)
        early = claim(intent)
        self._early_possible = early is not None
        return early

    def early_response(self, login: LoginRequest, sent: Exchange) -> httpx.Response:
        """The early login's exchange as httpx's request and response (as it was sent)."""
        request = httpx.Request(
            login.method,
            self._base_url.rstrip("/") + login.path,
            headers=sent.request_headers,
            content=sent.request_body,
        )
        extensions = {
            "http_version": sent.http_version.encode("ascii"),
            "reason_phrase": sent.reason.encode("latin-1"),
        }
        return httpx.Response(
            sent.status,
            headers=sent.headers,
            content=sent.body,
            request=request,
            extensions=extensions,
        )

    def count_early(self, sent: Exchange, response: httpx.Response) -> None:
        """Count and record the early login adopted as this client's own (`--stats`,
        `--record`), and let the rate limit know when it started."""
        request = response.request
        self._count_sent(request)
        self._record(request.method, request.url.path, str(response.status_code), sent.seconds)
        started_at = datetime.fromtimestamp(sent.started_wall, UTC)
        self._to_har(request, response, started_at, sent.seconds)
        self._stats.bytes_received += len(response.content)
        self._bucket.started(sent.started_clock)

    def adopt_early_reads(self, sent: Exchange, session: Mapping[str, str]) -> None:
        """Take over the reads the login thread sends behind the early login this client
        has just adopted, if they were sent with the session its hook read from that login
        (`session`): the login thread goes on starting them (`_follow_early_reads`) until
        this client first sends itself or closes (`_take_over_early_reads`): then none is
        started, each one started
        is this client's to take when it sends that very read (`request`), and the rate
        limit and the concurrency count them. Otherwise none is taken (none is started
        from now on, those started end alone)."""
        reads: EarlyReads | None = sent.reads
        if reads is None:
            return
        if reads.session != dict(session):
            reads.stop()
            return
        self._early_generation = self._sessions.generation + 1  # the login being adopted
        # Taken over when this client first sends itself or closes, not now: until then
        # it sends nothing, so the login thread's own policy (concurrency, starts
        # `1 / rate_limit` apart) is the client's, and it goes on starting them while this
        # process is busy before its read (at L, with the catalog cache's load, a second
        # or more), and while it decodes the first answers in: the client once asked the
        # rest itself from its first request on, paced by a busy event loop.
        self._untaken = reads
        self._early_possible = True

    def _follow_early_reads(self) -> None:
        """Once this client first asks for a request: every read behind the adopted login
        may be its answer, started or not (`EarlyReads.follow`); the login thread goes on
        starting them on the client's own pace while this client sends nothing itself."""
        reads, self._untaken = self._untaken, None
        if reads is None:
            return
        self._early_reads.update(reads.follow())
        self._followed = self._early_source = reads
        self._early_possible = bool(self._early_reads)

    def _take_over_early_reads(self) -> None:
        """The reads started behind the adopted login become this client's, as it first
        sends itself (or closes): none is started from now on (each one not started answers
        `NotStarted`: the request waiting for it sends it), and the rate limit and the
        concurrency count those started."""
        self._follow_early_reads()
        reads, self._followed = self._followed, None
        if reads is None:
            return
        for _, clock, answer in reads.stop():
            self._bucket.started(clock)
            if not answer.done():
                # In flight: one of the client's slots is its own until it ends.
                self._early_holders.append(asyncio.ensure_future(self._hold(answer)))

    async def _hold(self, answer: Future[Exchange]) -> None:
        async with self._semaphore:
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(answer)

    async def _early_answer(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response | None:
        """The answer of the read sent early that is this very request, counted, recorded
        and paced as this client's own attempt; None when there is none, or it failed on
        the way (this client then sends the request itself)."""
        generation, _ = await self._sessions.current()  # the early login adopted, or not
        self._follow_early_reads()
        key = (method, path, tuple((params or {}).items()), tuple((headers or {}).items()))
        answer = self._early_reads.pop(key, None)
        self._early_possible = bool(self._early_reads)
        if answer is None or generation != self._early_generation:
            return None
        try:
            sent = await asyncio.wrap_future(answer)
        except Exception:  # the socket's, h11's: never the command's (nothing was counted)
            return None
        if self._early_source is not None:
            self._early_source.taken(key)  # its bytes are this answer's from now on
        self._sessions.sent(generation)
        request = httpx.Request(
            method,
            self._base_url.rstrip("/") + sent.target,
            headers=sent.request_headers,
        )
        extensions = {
            "http_version": sent.http_version.encode("ascii"),
            "reason_phrase": sent.reason.encode("latin-1"),
        }
        response = httpx.Response(
            sent.status,
            headers=sent.headers,
            content=sent.body,
            request=request,
            extensions=extensions,
        )
        self._count_sent(request)
        self._record(method, path, str(response.status_code), sent.seconds)
        self._to_har(
            request, response, datetime.fromtimestamp(sent.started_wall, UTC), sent.seconds
        )
        self._received(response)
        return response

    async def ensure_session(self) -> None:
        """Log in unless a session is open (as the next authenticated request would)."""
        await self._sessions.current()

    def end_session(self) -> dict[str, str] | None:
        """Forget the current session; return its headers (for a logout call) or None."""
        return self._sessions.end()

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
        self._follow_early_reads()  # (any request: it may be one of them)
        first = None
        if (
            self._early_possible
            and authenticate
            and method == "GET"
            and json is None
            and data is None
        ):
            # Sent early (its slot was the read's own while in flight): its answer is this
            # request's first attempt, classified as any attempt is.
            first = await self._early_answer(method, path, params, headers)
        # The concurrency slot is held for the whole request, retries and replays included:
        # a replay that queued again behind every waiting request could find each renewed
        # session used up by them (sessions that expire after N requests). The login itself
        # (authenticate=False) takes no slot, so requests holding one can wait for it.
        async with self._semaphore if authenticate else contextlib.nullcontext():
            return await self._attempts(
                method, path, params, json, data, idempotent, accept, authenticate, headers, first
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
        first: httpx.Response | None = None,
    ) -> httpx.Response:
        """`request()`'s loop: send, then renew the session, retry or return. `first`: the
        first attempt's answer, when the read was sent early (`_early_answer`)."""
        renewals = Renewals()
        attempt = 0
        while True:
            if first is not None:
                response, first = first, None
                generation = self._early_generation
            else:
                check_not_stopping(method, path)
                generation, session = await self._sessions.current() if authenticate else (0, {})
                self._sessions.sent(generation)
                try:
                    response = await self._send(
                        method, path, params, json, {**session, **(headers or {})}, data
                    )
                except httpx.RequestError as exc:  # transport failures, undecodable bodies
                    await self._after_transport_error(method, path, exc, idempotent, attempt)
                    attempt += 1
                    continue
            if authenticate and self._sessions.refused(response):
                await self._sessions.recover(method, path, generation, renewals)
                continue
            if authenticate and response.is_success:
                self._sessions.served(generation)
            if await self._should_retry_status(method, path, response, idempotent, attempt):
                attempt += 1
                continue
            if response.is_success or response.status_code in accept:
                return response
            raise self._status_error(method, path, response, idempotent, attempt + 1)

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

    # -- one attempt -----------------------------------------------------------------

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
        # This client sends itself from now on: the reads behind the early login become
        # its own (those started take its slots and pace; the login thread starts no more).
        self._take_over_early_reads()
        request = self._client.build_request(
            method, path, params=params, json=json, data=data, headers=headers
        )
        await self._bucket.acquire()
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        self._count_sent(request)
        try:
            response = await self._send_by_deadline(request)
        except httpx.RequestError as exc:
            seconds = time.perf_counter() - started
            self._record(method, path, type(exc).__name__, seconds)
            self._to_har(request, None, started_at, seconds, f"{type(exc).__name__}: {exc}")
            raise
        seconds = time.perf_counter() - started
        self._record(method, path, str(response.status_code), seconds)
        self._to_har(request, response, started_at, seconds)
        self._received(response)
        return response

    def _received(self, response: httpx.Response) -> None:
        """Count an answer's bytes; a large one's read frees large blocks from now on."""
        size = len(response.content)
        self._stats.bytes_received += size
        if size >= heap.LARGE_ANSWER:
            heap.give_back_large_blocks()

    def _count_sent(self, request: httpx.Request) -> None:
        self._stats.requests += 1
        self._stats.by_method[request.method] += 1
        self._stats.bytes_sent += len(request.content)

    def _to_har(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        started_at: datetime,
        seconds: float,
        error: str = "",
    ) -> None:
        if self._recorder is not None:
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
                self._client_used = True
                response = await self._client.send(request, stream=True)
                try:
                    await _read_body(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            message = f"no complete answer within {deadline:g}s"
            raise httpx.ReadTimeout(message, request=request) from None
        # httpx binds the (now read and closed) stream back to its response: a cycle that
        # kept every answer's body alive until the next full garbage collection, ~60 MB of
        # pages of the largest benchmark catalog. Without it a body goes as soon as its reader
        # lets go.
        response.stream = httpx.ByteStream(b"")
        return response

    def _record(self, method: str, path: str, outcome: str, seconds: float) -> None:
        self._stats.seconds += seconds
        self._stats.by_status[outcome] += 1
        logger.debug("%s %s -> %s in %.3fs", method, path, outcome, seconds)

    # -- classifying the outcome -----------------------------------------------------

    async def _after_transport_error(
        self, method: str, path: str, exc: httpx.RequestError, idempotent: bool, attempt: int
    ) -> None:
        """Back off before a retry, or raise when this failure must not be retried."""
        text = self._redactor.redact(str(exc))
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        if retry.failure_is_retryable(exc, idempotent=idempotent):
            if attempt < self.settings.max_retries:
                await self._backoff(method, path, reason, attempt, retry_after=None)
                return
            raise BackendError(
                f"{method} {path} failed after {attempt + 1} attempts: {reason}"
            ) from exc
        if retry.failure_is_ambiguous(exc):
            raise self._ambiguous(method, path, reason) from exc
        raise BackendError(f"{method} {path} failed: {reason}") from exc

    async def _should_retry_status(
        self, method: str, path: str, response: httpx.Response, idempotent: bool, attempt: int
    ) -> bool:
        """Back off and return True when `response` calls for a retry."""
        status = response.status_code
        if not retry.status_is_retryable(status, idempotent=idempotent):
            return False
        if attempt >= self.settings.max_retries:
            return False
        retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
        await self._backoff(method, path, f"HTTP {status}", attempt, retry_after=retry_after)
        return True

    async def _backoff(
        self, method: str, path: str, reason: str, attempt: int, *, retry_after: float | None
    ) -> None:
        delay = retry.backoff_delay(self.settings, attempt, retry_after, self._rng)
        self._stats.retries += 1
        logger.info("%s %s: %s; retry %d in %.2fs", method, path, reason, attempt + 1, delay)
        await self._sleep(delay)

    def _status_error(
        self, method: str, path: str, response: httpx.Response, idempotent: bool, attempts: int
    ) -> BackendError:
        status = response.status_code
        detail = f"HTTP {status} {response.reason_phrase}".rstrip()
        text = api_error_text(response, self._error_body_parser, self._redactor.redact)
        if text:
            detail = f"{detail}: {text}"
        if attempts > 1:
            detail = f"{detail} (after {attempts} attempts)"
        if retry.status_is_ambiguous(status, idempotent=idempotent):
            return self._ambiguous(method, path, detail)
        return BackendError(f"{method} {path} failed: {detail}")

    def _ambiguous(self, method: str, path: str, detail: str) -> AmbiguousWriteError:
        self._stats.ambiguous_writes += 1
        message = f"{method} {path} may or may not have been applied ({detail})"
        return AmbiguousWriteError(f"{message}; re-read before retrying")


async def _read_body(response: httpx.Response) -> None:
    """Read the whole answer into `response.content`, as `Response.aread` does, without its
    copy: `aread` keeps every 64 KB part until it joins them into the body, so a large
    answer is held twice at once (the largest benchmark page, 63 MB: 126 MB, the peak of
    an apply's verification read). A `BytesIO` grows one buffer in place and
    hands it over as the body's `bytes` without copying it (CPython). The same bytes."""
    body = io.BytesIO()
    async for part in response.aiter_bytes():
        body.write(part)
    # What `aread` sets: the content it then returns, and `Response.content` reads.
    response._content = body.getvalue()
