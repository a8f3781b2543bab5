"""The HTTP policy in `catalogsync.http`, against small scripted MockTransports.

Nothing here sleeps for real: every client gets a `FakeTime` whose `sleep` records the
delay and advances a fake clock.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import logging
import random
import tracemalloc
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError, ConfigError
from catalogsync.http import (
    AuthHook,
    HttpClient,
    HttpSettings,
    TokenBucket,
    parse_retry_after,
)

pytestmark = pytest.mark.anyio

BASE = "https://api.example.test/acme"
Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still let other tasks run


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering with `steps` in order (the last one repeats); records requests."""
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response | Exception] = iter(steps)
    last: list[httpx.Response | Exception] = [steps[-1]]

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = next(queue, last[0])
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step.status_code, headers=step.headers, content=step.content)

    return handler, seen


def make_client(
    handler: Handler,
    time: FakeTime,
    *,
    auth: AuthHook | None = None,
    **settings: Any,
) -> HttpClient:
    settings.setdefault("rate_limit_per_second", 0)
    return HttpClient(
        BASE,
        settings=HttpSettings(**settings),
        auth=auth,
        transport=httpx.MockTransport(handler),
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(7),
    )


def ok(payload: Any = None) -> httpx.Response:
    return httpx.Response(200, json=payload if payload is not None else {"ok": True})


async def test_an_answer_is_freed_as_soon_as_its_reader_lets_go() -> None:
    """No reference cycle holds a read answer (httpx binds its stream back to it): a large
    page's body must not wait for a full garbage collection (LogiSense L peak memory)."""
    handler, _ = scripted(ok({"rows": ["x" * 1000]}))
    async with make_client(handler, FakeTime()) as client:
        gc.disable()
        try:
            response = await client.request("GET", "/rest/2.0/query", idempotent=True)
            assert response.json() == {"rows": ["x" * 1000]}
            answer = weakref.ref(response)
            del response
            assert answer() is None
        finally:
            gc.enable()


async def test_an_answer_in_many_parts_reads_as_the_same_bytes_and_is_held_once() -> None:
    """A body of many parts (and a gzip one) reads as the very bytes httpx's `aread` gives,
    `Content-Encoding` decoded, into one buffer: no list of its parts beside the joined
    body (the LogiSense L package-detail page, 63 MB, was held twice at once)."""
    body = b"".join(b"%08d," % n for n in range(1_000_000))  # 9 MB: many 64 KB reads

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gzip"):
            return httpx.Response(
                200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(body)
            )

        async def streamed() -> AsyncIterator[bytes]:  # part by part, each new, as read
            for start in range(0, len(body), 65_536):
                yield body[start : start + 65_536]

        return httpx.Response(200, content=streamed())

    async with make_client(handler, FakeTime()) as client:
        tracemalloc.start()
        try:
            plain = await client.request("GET", "/plain", idempotent=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        zipped = await client.request("GET", "/gzip", idempotent=True)
    assert type(plain.content) is bytes and plain.content == body and zipped.content == body
    assert plain.is_closed and zipped.is_closed
    # httpx's `aread` peaked at twice the body (its parts, then the join of them)
    assert peak < 1.4 * len(body)


# -- retries -------------------------------------------------------------------------


async def test_429_then_200_is_retried() -> None:
    handler, seen = scripted(httpx.Response(429), ok())
    time = FakeTime()
    async with make_client(handler, time) as client:
        response = await client.request("GET", "/rest/2.0/query", idempotent=True)
        assert response.status_code == 200
        assert len(seen) == 2
        assert client.stats["retries"] == 1
        assert len(time.sleeps) == 1


async def test_retry_after_seconds_is_honoured() -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    time = FakeTime()
    async with make_client(handler, time, backoff_base=0.01) as client:
        await client.request("POST", "/rest/2.0/PRODUCT", idempotent=False)
    assert time.sleeps == [7.0]


async def test_retry_after_is_capped_at_backoff_max() -> None:
    handler, _ = scripted(httpx.Response(503, headers={"Retry-After": "3600"}), ok())
    time = FakeTime()
    async with make_client(handler, time, backoff_max=2.5) as client:
        await client.request("GET", "/x", idempotent=True)
    assert time.sleeps == [2.5]


def test_parse_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("  ", now) is None


async def test_backoff_is_exponential_jittered_and_capped() -> None:
    handler, seen = scripted(httpx.Response(503))
    time = FakeTime()
    client = make_client(handler, time, max_retries=6, backoff_base=1.0, backoff_max=4.0)
    async with client:
        with pytest.raises(BackendError, match=r"HTTP 503.*after 7 attempts") as caught:
            await client.request("GET", "/x", idempotent=True)
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert len(seen) == 7
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert len(time.sleeps) == len(ceilings)
    assert all(0 <= slept <= cap for slept, cap in zip(time.sleeps, ceilings, strict=True))
    assert len(set(time.sleeps)) > 1  # jittered, not a fixed schedule


async def test_503_is_retried_for_a_non_idempotent_request() -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(200, json={"created": 1}))
    async with make_client(handler, FakeTime()) as client:
        response = await client.request("POST", "/rest/2.0/PRODUCT", json={}, idempotent=False)
    assert response.json() == {"created": 1}
    assert len(seen) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_5xx_on_a_non_idempotent_request_is_ambiguous(status: int) -> None:
    handler, seen = scripted(httpx.Response(status, json={"message": "upstream broke"}), ok())
    async with make_client(handler, FakeTime()) as client:
        with pytest.raises(AmbiguousWriteError, match=r"POST /rest/2.0/PRODUCT.*re-read"):
            await client.request("POST", "/rest/2.0/PRODUCT", json={}, idempotent=False)
        assert client.stats["ambiguous_writes"] == 1
    assert len(seen) == 1  # never retried: a retry could duplicate the record


@pytest.mark.parametrize("status", [502, 504])
async def test_502_and_504_are_retried_when_idempotent(status: int) -> None:
    handler, seen = scripted(httpx.Response(status), ok())
    async with make_client(handler, FakeTime()) as client:
        await client.request("PATCH", "/rest/2.0/PRODUCT", json={}, idempotent=True)
    assert len(seen) == 2


async def test_500_on_an_idempotent_request_is_a_plain_error() -> None:
    handler, seen = scripted(httpx.Response(500, json={"error": "Internal error"}), ok())
    async with make_client(handler, FakeTime()) as client:
        with pytest.raises(BackendError, match="HTTP 500") as caught:
            await client.request("PUT", "/rest/2.0/PRODUCT", json={}, idempotent=True)
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert len(seen) == 1


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("")]
)
async def test_failures_before_sending_are_retried_even_for_creates(error: Exception) -> None:
    handler, seen = scripted(error, ok())
    async with make_client(handler, FakeTime()) as client:
        await client.request("POST", "/rest/2.0/PRODUCT", json={}, idempotent=False)
    assert len(seen) == 2


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("closed"), httpx.ReadError("")],
)
async def test_failures_after_sending_depend_on_idempotency(error: Exception) -> None:
    handler, seen = scripted(error, error, ok())
    async with make_client(handler, FakeTime()) as client:
        with pytest.raises(AmbiguousWriteError, match="may or may not have been applied"):
            await client.request("POST", "/rest/2.0/PRODUCT", json={}, idempotent=False)
        assert len(seen) == 1
        await client.request("PUT", "/rest/2.0/PRODUCT", json={}, idempotent=True)
    assert len(seen) == 3  # the idempotent one: a failure, then a retry


async def test_connection_errors_give_up_after_max_retries() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"))
    time = FakeTime()
    async with make_client(handler, time, max_retries=2) as client:
        with pytest.raises(BackendError, match=r"after 3 attempts: ConnectError") as caught:
            await client.request("GET", "/x", idempotent=True)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(seen) == 3 and len(time.sleeps) == 2


async def test_429_exhausted_on_a_create_is_not_ambiguous() -> None:
    handler, _ = scripted(httpx.Response(429))
    async with make_client(handler, FakeTime(), max_retries=1) as client:
        with pytest.raises(BackendError, match="HTTP 429") as caught:
            await client.request("POST", "/rest/2.0/PRODUCT", json={}, idempotent=False)
    assert not isinstance(caught.value, AmbiguousWriteError)


# -- errors --------------------------------------------------------------------------


async def test_4xx_error_names_method_path_status_and_api_text_not_the_query() -> None:
    body = {"error": "Bad request", "message": "unknown field Colour"}
    handler, seen = scripted(httpx.Response(400, json=body))
    async with make_client(handler, FakeTime()) as client:
        with pytest.raises(BackendError) as caught:
            await client.request(
                "GET", "/rest/2.0/query", params={"sql": "SELECT Colour FROM X"}, idempotent=True
            )
    message = str(caught.value)
    assert "GET /rest/2.0/query failed: HTTP 400 Bad Request" in message
    assert "unknown field Colour" in message
    assert "SELECT" not in message and "sql=" not in message
    assert len(seen) == 1


async def test_accepted_statuses_are_returned() -> None:
    handler, _ = scripted(httpx.Response(404, json={"error": "Not found"}))
    async with make_client(handler, FakeTime()) as client:
        response = await client.request("GET", "/q", idempotent=True, accept={404})
    assert response.status_code == 404


async def test_malformed_json_names_the_request() -> None:
    handler, _ = scripted(httpx.Response(200, content=b"<html>oops"))
    async with make_client(handler, FakeTime()) as client:
        with pytest.raises(BackendError, match=r"GET /rest/2.0/query: HTTP 200 .*not valid JSON"):
            await client.request_json("GET", "/rest/2.0/query", idempotent=True)


async def test_redirects_are_not_followed() -> None:
    handler, _ = scripted(httpx.Response(302, headers={"Location": "https://elsewhere.test/"}))
    async with make_client(handler, FakeTime()) as client:
        with pytest.raises(BackendError, match="HTTP 302"):
            await client.request("GET", "/x", idempotent=True)


# -- authentication ------------------------------------------------------------------


class TokenAuth(AuthHook):
    """Logs in through POST /login; each login yields a new token t1, t2, ..."""

    def __init__(self, password: str = "pw") -> None:
        self.password = password
        self.logins = 0

    async def login(self, client: HttpClient) -> dict[str, str]:
        body = {"username": "u", "password": self.password}
        response = await client.request(
            "POST", "/login", json=body, idempotent=True, authenticate=False
        )
        self.logins += 1
        for _ in range(3):  # a slow login: concurrent requests pile up behind it
            await asyncio.sleep(0)
        return {"sessionid": response.json()["token"]}


class TokenServer:
    """Issues tokens t1, t2, ...; rejects tokens listed in `expired` with `reject`."""

    def __init__(self, reject: httpx.Response | None = None) -> None:
        self.issued = 0
        self.expired: set[str] = set()
        self.reject = reject or httpx.Response(401)
        self.seen_tokens: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        if request.url.path.endswith("/login"):
            self.issued += 1
            return httpx.Response(200, json={"token": f"t{self.issued}"})
        token = request.headers.get("sessionid", "")
        self.seen_tokens.append(token)
        if not token or token in self.expired:
            return httpx.Response(self.reject.status_code, content=self.reject.content)
        return ok()


async def test_first_request_logs_in_once_even_when_concurrent() -> None:
    server, auth = TokenServer(), TokenAuth()
    async with make_client(server, FakeTime(), auth=auth) as client:
        await asyncio.gather(*(client.request("GET", "/x", idempotent=True) for _ in range(4)))
        assert auth.logins == 1
        assert client.stats["logins"] == 1 and client.stats["relogins"] == 0
    assert server.seen_tokens == ["t1"] * 4


async def test_ensuring_a_session_logs_in_only_when_none_is_open() -> None:
    server, auth = TokenServer(), TokenAuth()
    async with make_client(server, FakeTime(), auth=auth) as client:
        await asyncio.gather(client.ensure_session(), client.ensure_session())
        await client.request("GET", "/x", idempotent=True)
        await client.ensure_session()
        assert auth.logins == 1 and client.stats["requests"] == 2  # the login and GET /x
    assert server.seen_tokens == ["t1"]


async def test_a_login_sent_ahead_is_the_session_of_the_requests_that_follow() -> None:
    server, auth = TokenServer(), TokenAuth()
    async with make_client(server, FakeTime(), auth=auth) as client:
        client.start_login()
        client.start_login()  # one under way already: nothing more is sent
        for _ in range(100):  # the loop's turns, nothing else: no request waits for it
            await asyncio.sleep(0)
        assert server.issued == 1, "the login left before anything waited for it"
        await asyncio.gather(*(client.request("GET", "/x", idempotent=True) for _ in range(3)))
        client.start_login()  # a session is open: nothing is sent
        await client.request("GET", "/x", idempotent=True)
        assert auth.logins == 1 and client.stats["logins"] == 1
    assert server.seen_tokens == ["t1"] * 4


async def test_a_failed_login_sent_ahead_is_every_request_s_error_and_not_sent_again() -> None:
    handler, seen = scripted(httpx.Response(403))
    async with make_client(handler, FakeTime(), auth=TokenAuth()) as client:
        client.start_login()
        results = await asyncio.gather(
            *(client.request("GET", "/x", idempotent=True) for _ in range(3)),
            return_exceptions=True,
        )
        with pytest.raises(BackendError) as later:
            await client.request("GET", "/x", idempotent=True)
    failure = results[0]
    assert (
        isinstance(failure, BackendError)
        and str(failure) == "POST /login failed: HTTP 403 Forbidden"
    )
    assert all(result is failure for result in results) and later.value is failure
    assert [request.url.path for request in seen] == ["/acme/login"]  # one login, no GET


async def test_a_login_sent_ahead_and_never_waited_for_ends_with_the_client() -> None:
    answered = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await answered.wait()  # never set: the login is still on the wire at close
        return ok({"token": "t1"})

    client = make_client(slow, FakeTime(), auth=TokenAuth())
    running = asyncio.all_tasks()
    client.start_login()
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks() - running) == 1
    await client.aclose()  # no pending task, no unretrieved error left behind
    assert asyncio.all_tasks() == running


async def test_concurrent_auth_failures_cause_one_relogin() -> None:
    server, auth = TokenServer(), TokenAuth()
    async with make_client(server, FakeTime(), auth=auth) as client:
        await client.login()
        server.expired.add("t1")
        responses = await asyncio.gather(
            *(client.request("POST", "/w", idempotent=False) for _ in range(4))
        )
        assert all(r.status_code == 200 for r in responses)
        assert auth.logins == 2
        assert client.stats["relogins"] == 1
    assert server.seen_tokens.count("t1") == 4 and server.seen_tokens.count("t2") == 4


class SessionErrorAuth(TokenAuth):
    """BillingPlatform style: an expired session is HTTP 500 with INVALID_SESSION_ID."""

    def is_auth_failure(self, response: httpx.Response) -> bool:
        if response.status_code != 500:
            return super().is_auth_failure(response)
        errors = response.json().get("errors") or [{}]
        return bool(errors[0].get("error_code") == "INVALID_SESSION_ID")


async def test_a_custom_auth_failure_replays_even_a_create() -> None:
    expired = httpx.Response(500, json={"errors": [{"error_code": "INVALID_SESSION_ID"}]})
    server, auth = TokenServer(reject=expired), SessionErrorAuth()
    async with make_client(server, FakeTime(), auth=auth) as client:
        await client.login()
        server.expired.add("t1")
        response = await client.request("POST", "/rest/2.0/PRODUCT", idempotent=False)
    assert response.status_code == 200
    assert server.seen_tokens == ["t1", "t2"]


async def test_a_session_refused_right_after_login_is_an_authentication_error() -> None:
    server, auth = TokenServer(), TokenAuth()
    server.expired.update({"t1", "t2", "t3"})
    async with make_client(server, FakeTime(), auth=auth) as client:
        with pytest.raises(AuthenticationError, match="GET /x"):
            await client.request("GET", "/x", idempotent=True)
    assert auth.logins == 2  # the first login, then exactly one re-login


class ShortSessions(TokenServer):
    """Each token serves `uses` requests, then is refused (LogiSense-style expiry by count)."""

    def __init__(self, uses: int) -> None:
        super().__init__()
        self.uses = uses
        self.served: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("sessionid", "")
        if token and not request.url.path.endswith("/login"):
            self.served[token] = self.served.get(token, 0) + 1
            if self.served[token] > self.uses:
                self.expired.add(token)
        return await super().__call__(request)


async def test_sessions_that_expire_by_request_count_are_renewed_under_concurrency() -> None:
    # Five requests per session, four in flight: a replay after a re-login can find the new
    # session used up by the others. It must renew again, not give up.
    server, auth = ShortSessions(uses=5), TokenAuth()
    async with make_client(server, FakeTime(), auth=auth, concurrency=4) as client:
        await asyncio.gather(*(client.request("GET", "/x", idempotent=True) for _ in range(40)))
    assert auth.logins >= 8


async def test_a_request_renews_an_expiring_session_a_bounded_number_of_times() -> None:
    class Refusing(ShortSessions):
        async def __call__(self, request: httpx.Request) -> httpx.Response:
            response = await super().__call__(request)
            if request.url.path.endswith("/x"):  # every session serves only /ok requests
                return httpx.Response(401)
            return response

    server, auth = Refusing(uses=100), TokenAuth()
    async with make_client(server, FakeTime(), auth=auth) as client:
        await client.request("GET", "/ok", idempotent=True)
        with pytest.raises(AuthenticationError, match="GET /x"):
            await client.request("GET", "/x", idempotent=True)
    assert auth.logins == 2  # a session that had served requests earns one renewal only


async def test_no_secret_reaches_an_error_or_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    password, session = "SENTINEL-PASSWORD", "SENTINEL-SESSION"

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"token": session})
        if request.method == "GET":
            return httpx.Response(503)
        echo = f"session {request.headers['sessionid']} is not allowed to do this"
        return httpx.Response(403, json={"message": echo})

    caplog.set_level(logging.DEBUG)
    auth = TokenAuth(password=password)
    async with make_client(handler, FakeTime(), auth=auth, max_retries=2) as client:
        client.add_secret(password)
        with pytest.raises(BackendError) as refused:
            await client.request("POST", "/rest/2.0/PRODUCT", json={"a": 1}, idempotent=False)
        with pytest.raises(BackendError) as unavailable:
            await client.request("GET", "/rest/2.0/query", idempotent=True)
    assert "***" in str(refused.value)
    assert "HTTP 403" in str(refused.value) and "HTTP 503" in str(unavailable.value)
    texts = [str(refused.value), str(unavailable.value)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("/rest/2.0/PRODUCT" in text for text in texts[2:])  # requests are logged
    for text in texts:
        assert password not in text and session not in text


# -- rate and concurrency limits -----------------------------------------------------


async def test_token_bucket_spaces_requests_evenly() -> None:
    time = FakeTime()
    bucket = TokenBucket(10.0, clock=time.clock, sleep=time.sleep)
    for _ in range(4):
        await bucket.acquire()
    assert time.sleeps == pytest.approx([0.1, 0.1, 0.1])
    time.now += 5  # idle time does not bank a burst beyond one request
    await bucket.acquire()
    await bucket.acquire()
    assert time.sleeps[-1] == pytest.approx(0.1) and len(time.sleeps) == 4


async def test_token_bucket_with_a_still_clock_queues_concurrent_callers() -> None:
    time = FakeTime()
    still = TokenBucket(4.0, clock=lambda: 0.0, sleep=time.sleep)
    await asyncio.gather(*(still.acquire() for _ in range(4)))
    assert sorted(time.sleeps) == pytest.approx([0.25, 0.5, 0.75])


async def test_client_rate_limit_applies_to_every_request_and_zero_turns_it_off() -> None:
    handler, _ = scripted(httpx.Response(429), ok())
    time = FakeTime()
    async with make_client(handler, time, rate_limit_per_second=5.0, backoff_max=0) as client:
        for _ in range(3):
            await client.request("GET", "/x", idempotent=True)
    # one backoff sleep of 0 (capped) for the 429; the retry and two more requests waited 0.2 s
    assert [s for s in time.sleeps if s] == pytest.approx([0.2, 0.2, 0.2])
    unlimited = FakeTime()
    handler, _ = scripted(ok())
    async with make_client(handler, unlimited, rate_limit_per_second=0) as client:
        for _ in range(3):
            await client.request("GET", "/x", idempotent=True)
    assert unlimited.sleeps == []


async def test_concurrency_is_limited_by_the_semaphore() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight -= 1
        return ok()

    async with make_client(handler, FakeTime(), concurrency=3) as client:
        await asyncio.gather(*(client.request("GET", "/x", idempotent=True) for _ in range(10)))
    assert peak == 3


# -- stats ---------------------------------------------------------------------------


async def test_stats_count_requests_retries_methods_statuses_and_bytes() -> None:
    handler, _ = scripted(httpx.Response(503), ok({"a": "b"}), ok(), httpx.Response(404))
    async with make_client(handler, FakeTime()) as client:
        await client.request("GET", "/x", idempotent=True)
        await client.request("POST", "/x", json={"k": "v"}, idempotent=False)
        await client.request("GET", "/x", idempotent=True, accept={404})
        stats = client.stats
    assert stats["requests"] == 4 and stats["retries"] == 1
    assert stats["by_method"] == {"GET": 3, "POST": 1}
    assert stats["by_status"] == {"200": 2, "404": 1, "503": 1}
    assert stats["bytes_sent"] == len(b'{"k":"v"}')
    assert stats["bytes_received"] > 0 and stats["seconds"] >= 0


# -- configuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "transport", "insecure"),
    [
        ("https://sandbox.billingplatform.com/acme", False, False),
        ("http://127.0.0.1:8080/acme", False, False),
        ("http://127.9.9.9/acme", False, False),
        ("http://[::1]:8080/acme", False, False),
        ("http://localhost:8080", False, False),
        ("http://emulator", True, False),
        ("http://billing.internal/acme", False, True),
    ],
)
async def test_allowed_base_urls(url: str, transport: bool, insecure: bool) -> None:
    handler, _ = scripted(ok())
    client = HttpClient(
        url,
        transport=httpx.MockTransport(handler) if transport else None,
        allow_insecure_http=insecure,
    )
    await client.aclose()


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("http://billing.example.com/acme", False),
        ("http://emulator", False),
        ("http://10.0.0.1/acme", True),
        ("ftp://billing.example.com/", False),
    ],
)
def test_refused_base_urls(url: str, transport: bool) -> None:
    handler, _ = scripted(ok())
    with pytest.raises(ConfigError):
        HttpClient(url, transport=httpx.MockTransport(handler) if transport else None)


@pytest.mark.parametrize(
    "bad", [{"concurrency": 0}, {"max_retries": -1}, {"timeout_seconds": 0}, {"backoff_max": -1}]
)
def test_settings_are_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="invalid HTTP settings"):
        HttpSettings(**bad)


class _ClosingTransport(httpx.MockTransport):
    """A mock transport that remembers being closed."""

    def __init__(self) -> None:
        super().__init__(lambda request: ok())
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


def _client_over(transport: httpx.AsyncBaseTransport) -> HttpClient:
    settings = HttpSettings(rate_limit_per_second=0)
    return HttpClient(BASE, settings=settings, transport=transport, rng=random.Random(7))


async def test_a_client_closes_httpx_only_once_it_sent_through_it() -> None:
    """A client that sent nothing through httpx (a command whose every answer came early)
    leaves its pool, which holds no connection, as it is: closing it imported anyio's
    asyncio back end for nothing. One that sent closes it, as always."""
    idle, used = _ClosingTransport(), _ClosingTransport()
    async with _client_over(idle):
        pass
    async with _client_over(used) as client:
        await client.request("GET", "/x", idempotent=True)
    assert (idle.closed, used.closed) == (0, 1)
