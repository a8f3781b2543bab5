"""The reads sent behind the early login (`EarlyLogin.reads`, `early_login.EarlyReads`): they
are the very requests a client begins its full read with, built by the same functions, and
its answers are taken as the client's own only when they are that request sent with the
session the client adopted; otherwise the client sends its own, and nothing changes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from catalogsync import early_login
from catalogsync.backends.logisense import login as logisense_login
from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.backends.logisense.client import LogiSenseClient, _TokenAuth
from catalogsync.backends.logisense.reads import FIRST_READS, MOST_EARLY_READS, first_reads
from catalogsync.catalog_cache_keys import MAGIC, counts_hint
from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID, LogiSenseEmulator
from catalogsync.http import HttpClient, HttpSettings
from catalogsync.http.pacing import TokenBucket
from catalogsync.logins import EarlyLogin, LoginRequest
from tests.asked_requests import requests_asked
from tests.test_early_login import LOGIN_PATHS, run, served, write_project

LS_ENV = {"LOGISENSE_CLIENT_ID": DEFAULT_CLIENT_ID}


def test_the_logisense_first_reads_are_the_requests_its_full_read_begins_with() -> None:
    """Every request `fetch_live` sends before its first answer is in, as `HttpClient.request`
    is asked it (what an early read is matched on): exactly `FIRST_READS`."""

    async def read() -> None:
        with LogiSenseEmulator() as emulator:
            client = LogiSenseClient(
                "http://emulator",
                "ci",
                "pw",
                DEFAULT_CLIENT_ID,
                transport=emulator.async_transport(),
                settings=HttpSettings(rate_limit_per_second=0),
            )
            backend = LogiSenseBackend(client)
            try:
                await backend.fetch_live()
            finally:
                await backend.close()

    asked = requests_asked(read)
    assert len(FIRST_READS) == 8
    assert asked[: len(FIRST_READS)] and set(asked[: len(FIRST_READS)]) == {
        read.key() for read in FIRST_READS
    }


@pytest.mark.parametrize(
    ("counts", "live"),
    [
        ({"product": 25_000, "package": 30}, {"Service": 25_000, "Package/Detail": 30}),
        ({"product": 20_000, "package": 10_001}, {"Service": 20_000, "Package/Detail": 10_001}),
        (None, {"Service": 25_000, "Package/Detail": 30}),
    ],
)
def test_with_the_counts_known_the_logisense_reads_sent_early_are_the_pages_asked(
    counts: dict[str, int] | None, live: dict[str, int]
) -> None:
    """Told the catalog's counts (the catalog cache's entry), the reads sent early are page
    1 of each listing and every page after it that the listing's read asks once page 1 is
    in, as it asks them (with as many live records as the catalog holds), then the lookup
    tables; told none, page 1 of each and the tables (`FIRST_READS`)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == logisense_login.LOGIN_PATH:
            return httpx.Response(200, json={"access_token": "t"})
        page = json.loads(request.headers["Pagination"])
        total = live[request.url.path.split("/v8/")[1].replace("/Paged", "")]
        start = (page["pageNumber"] - 1) * page["pageSize"]
        items = [{"identity": i} for i in range(start, min(total, start + page["pageSize"]))]
        body = {"pagination": page, "pagedResults": {"totalCount": total, "items": items}}
        return httpx.Response(200, json=body)

    async def read() -> None:
        client = LogiSenseClient(
            "https://org",
            "ci",
            "pw",
            DEFAULT_CLIENT_ID,
            transport=httpx.MockTransport(answer),
            settings=HttpSettings(rate_limit_per_second=0),
        )
        try:
            await client.paged("Package", detail=True)
            await client.paged("Service", detail=False)
        finally:
            await client.aclose()

    early = [read.key() for read in first_reads(counts)]
    lookups = [read.key() for read in FIRST_READS if not read.headers]
    assert early[-len(lookups) :] == lookups
    asked = requests_asked(read)
    if counts is None:
        assert early == [read.key() for read in FIRST_READS]
        assert set(early) - set(lookups) < set(asked)  # page 1 of each, the rest asked after
    else:
        assert sorted(early[: -len(lookups)]) == sorted(asked)


def test_however_many_pages_a_hint_names_at_most_64_reads_are_sent_the_tables_among_them() -> None:
    """A hint of millions of services (an entry of another catalog, or planted) sends no
    more than `MOST_EARLY_READS`, page 1 of each listing and the lookup tables always."""
    early = [read.key() for read in first_reads({"product": 10**7, "package": 10**7})]
    assert len(early) == len(set(early)) == MOST_EARLY_READS == 64
    firsts = [read.key() for read in FIRST_READS]
    assert early[:2] == firsts[:2] and early[-6:] == firsts[2:]  # page 1 of each, the tables


def test_the_logisense_session_read_early_is_the_hook_s() -> None:
    async def hook_session() -> tuple[httpx.Response, dict[str, str]]:
        with LogiSenseEmulator() as emulator:
            client = HttpClient("http://emulator", transport=emulator.async_transport())
            login = logisense_login.login_request("ci", "pw", DEFAULT_CLIENT_ID)
            response = await client.request(
                "POST",
                login.path,
                data=login.form,
                headers=dict(login.headers),
                idempotent=True,
                authenticate=False,
            )
            headers = _TokenAuth("ci", "pw", DEFAULT_CLIENT_ID).session_from(client, response)
            await client.aclose()
            return response, headers

    response, headers = asyncio.run(hook_session())
    session = logisense_login.EARLY.session
    assert session is not None
    assert session(response.status_code, response.content) == headers
    assert session(401, response.content) is None
    assert session(200, b'{"access_token": ""}') is None and session(200, b"[]") is None


class Seen:
    """Each request the server is sent: method, path, query and Pagination header."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, bytes, str]] = Counter()

    def wrap(self, app: Any) -> Any:
        async def seeing(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                headers = dict(scope["headers"])
                pagination = headers.get(b"pagination", b"").decode()
                key = (scope["method"], scope["path"], scope["query_string"], pagination)
                self.requests[key] += 1
            await app(scope, receive, send)

        return seeing


def test_a_plan_takes_the_reads_sent_early_as_its_own(tmp_path: Path) -> None:
    """The same output as without the early login; every request the server saw sent
    once, and counted (`--stats`) and recorded (`--record`) as the client's."""
    with served(tmp_path, backend="logisense") as server:
        seen = Seen()
        server.emulator.app = seen.wrap(server.emulator.app)
        project = write_project(tmp_path / "project", server.url, backend="logisense")
        without = run(project, "plan", early=False, env=LS_ENV)
        seen.requests.clear()
        har = tmp_path / "plan.har"
        code, out, err = run(project, "plan", "--stats", "--record", str(har), env=LS_ENV)
    assert code == 0, err
    assert (code, out) == without[:2]
    assert max(seen.requests.values()) == 1  # nothing sent twice
    sent = sum(seen.requests.values())
    stats = json.loads(err.rsplit("stats: ", 1)[1])
    assert stats["requests"] == sent and stats["logins"] == 1
    assert stats["by_method"] == {"POST": 1, "GET": sent - 1}
    entries = json.loads(har.read_text())["log"]["entries"]
    assert len(entries) == sent
    assert [e["request"]["url"].endswith(LOGIN_PATHS) for e in entries].count(True) == 1
    assert all(e["response"]["status"] == 200 for e in entries)
    early = [  # sent by the login thread: its User-Agent
        e
        for e in entries
        for h in e["request"]["headers"]
        if h["name"].lower() == "user-agent" and h["value"].startswith("catalogsync/")
    ]
    assert len(early) >= 2  # the login, and at least the first read behind it


def test_the_counts_hint_is_the_catalog_cache_entry_s_counts(tmp_path: Path) -> None:
    """What the login thread reads of the catalog cache (`counts_hint`): the entry's count
    per kind, unchecked; nothing from a file that is not plainly an entry."""
    with served(tmp_path, backend="logisense") as server:
        project = write_project(tmp_path / "project", server.url, backend="logisense")
        code, _, err = run(project, "plan", env=LS_ENV)  # writes the entry
    assert code == 0, err
    entry = project / ".catalogsync" / "catalog.cache"
    assert counts_hint(entry) == {"product": 1, "package": 0, "package_product": 0}
    for junk in (b"", b"not an entry\n", entry.read_bytes()[:40], MAGIC + bytes(64) + b"x\ny"):
        entry.write_bytes(junk)
        assert counts_hint(entry) is None
    assert counts_hint(tmp_path / "none") is None


@pytest.mark.parametrize("same_session", [True, False])
def test_reads_sent_early_are_taken_only_with_the_session_the_client_adopted(
    same_session: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every read sent early and answered before the client asks: taken as the client's
    own when sent with the session its hook read from the login's answer; otherwise (here
    the login thread reads another one) left alone, neither counted nor recorded, and the
    client sends the read itself."""
    early = logisense_login.EARLY
    session = early.session
    if not same_session:

        def session(status: int, body: bytes) -> dict[str, str] | None:
            return {"Authorization": "Bearer not-the-hook-s"}

    monkeypatch.setattr(
        early_login,
        "early_login",
        lambda backend: EarlyLogin(early.fields, early.request, session, early.reads),
    )
    with served(tmp_path, backend="logisense") as server:
        seen = Seen()
        server.emulator.app = seen.wrap(server.emulator.app)
        project = write_project(tmp_path / "project", server.url, backend="logisense")
        monkeypatch.chdir(project)
        early_login.start(["plan"], {"BP_USER": "someone", "BP_PASSWORD": "s3cret", **LS_ENV})
        for _ in range(400):  # the login and every read behind it answered
            if sum(seen.requests.values()) == 1 + len(FIRST_READS):
                break
            time.sleep(0.025)

        async def read() -> tuple[dict[str, Any], set[tuple[Any, ...]] | None]:
            client = _logisense_client(server.url, rate_limit_per_second=0)
            try:
                client.start_login()
                await client.list_all("ServiceType")
                source = client._http._early_source
                # what the login thread's reads still hold once the client has its answer
                return client.stats, None if source is None else set(source.follow())
            finally:
                await client.aclose()

        stats, still_held = asyncio.run(read())
    assert stats["logins"] == 1 and stats["requests"] == 2  # the login and one read
    if same_session:  # the answer taken is let go of there (`EarlyReads.taken`), no other
        taken = {r.key() for r in FIRST_READS if r.path.endswith("/ServiceType")}
        assert still_held == {r.key() for r in FIRST_READS} - taken and len(taken) == 1
    (service_types,) = [k for k in seen.requests if k[1].endswith("/ServiceType")]
    assert seen.requests[service_types] == (1 if same_session else 2)


def test_a_read_the_client_gives_up_on_is_still_answered_quietly() -> None:
    """A request waiting for a read sent early is cancelled (a sibling read failed, Ctrl-C,
    the client closing with a read still in flight): the read's own thread still sets its
    answer when it comes, without an error (one would be printed on stderr)."""
    read = FIRST_READS[0]
    reads = early_login.EarlyReads([read], {})
    answer = reads.start(read)
    assert answer is not None

    async def give_up() -> None:
        waiting = asyncio.ensure_future(asyncio.wrap_future(answer))
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)

    asyncio.run(give_up())
    answer.set_exception(ConnectionError("what the read's thread does once it ends"))
    assert isinstance(answer.exception(), ConnectionError)


def _logisense_client(url: str, rate_limit_per_second: float) -> LogiSenseClient:
    """The client a project at `url` (`write_project`, 20 s deadline) makes."""
    settings = HttpSettings(rate_limit_per_second=rate_limit_per_second, timeout_seconds=20)
    return LogiSenseClient(url, "someone", "s3cret", DEFAULT_CLIENT_ID, settings=settings)


def _login_with(reads: early_login.EarlyReads) -> early_login.Exchange:
    return early_login.Exchange([], b"", 200, "OK", "HTTP/1.1", [], b"{}", 0.0, 0.0, 0.0, "", reads)


def _client() -> HttpClient:
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    return HttpClient("http://127.0.0.1:1", settings=HttpSettings(), transport=answer)


@pytest.mark.parametrize("then", ["sends", "closes"])
def test_the_reads_behind_an_adopted_login_go_on_until_the_client_first_sends(then: str) -> None:
    """Adopting the login does not stop the login thread, nor does the client's first
    request: it goes on starting its reads (under its own policy, the client's: the client
    sends nothing meanwhile) until the client first sends anything itself, or closes. Then
    none is started, every read started is the client's to take (`--stats`, rate limit and
    concurrency count them), and each one not started answers `NotStarted`: the request
    waiting for it sends it."""
    first, second, third = FIRST_READS[:3]
    session = {"Authorization": "Bearer t"}
    reads = early_login.EarlyReads([first, second, third], session)
    assert reads.start(first) is not None  # before the client adopts the login

    async def adopt() -> tuple[bool, bool, int]:
        client = _client()
        client.adopt_early_reads(_login_with(reads), session)
        going_on = reads.start(second) is not None
        if then == "sends":
            await client.request("GET", "/other", idempotent=True, authenticate=False)
        taken = len(client._early_reads)
        await client.aclose()
        return going_on, reads.start(third) is None, taken

    going_on, stopped, taken = asyncio.run(adopt())
    assert going_on and stopped
    assert taken == (3 if then == "sends" else 0)  # (the third one, to send)
    third_answer = reads.follow()[third.key()]
    assert isinstance(third_answer.exception(), early_login.NotStarted)


def test_the_login_thread_starts_every_read_but_those_the_client_gave_up_on() -> None:
    """The login thread starts its reads in their order (`EarlyReads.next`), before the
    client asks for any and after (`follow`: the client may wait for one not started yet),
    but never one the client gave up on before its start (its future cancelled: a page its
    read dropped); once the client takes over (`stop`), none, and each one not started
    answers `NotStarted`."""
    first, second, third, fourth = FIRST_READS[:4]
    reads = early_login.EarlyReads([first, second, third, fourth], {})
    started = reads.next()
    assert started is not None and started[0] == first
    answers = reads.follow()
    assert set(answers) == {read.key() for read in (first, second, third, fourth)}
    assert not answers[second.key()].running()  # to start: the client may wait for it
    assert answers[second.key()].cancel()  # given up on before its start
    started = reads.next()
    assert started is not None and started[0] == third
    assert [read for read, _, _ in reads.stop()] == [first, third]
    assert reads.next() is None
    assert isinstance(answers[fourth.key()].exception(), early_login.NotStarted)


def test_a_login_thread_that_ends_leaves_no_read_unanswered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever ends the login thread's reads (here: no thread for a read), each read it
    did not send answers, so that no request of the client waits for it for ever."""
    first, second = FIRST_READS[:2]
    reads = early_login.EarlyReads([first, second], {})
    answers = reads.follow()

    def no_thread(*args: object, **kwargs: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    intent = early_login.Intent("http://127.0.0.1:1", LoginRequest("/login"), HttpSettings(), False)
    with pytest.raises(RuntimeError):
        early_login._send_reads(intent, reads, time.monotonic())
    assert isinstance(answers[first.key()].exception(), RuntimeError)
    assert isinstance(answers[second.key()].exception(), early_login.NotStarted)


def _by_agent(app: Any, agents: Counter[str]) -> Any:
    """`app`, counting the requests it is sent by their User-Agent's product."""

    async def seeing(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            agent = dict(scope["headers"]).get(b"user-agent", b"").decode()
            agents[agent.partition("/")[0]] += 1
        await app(scope, receive, send)

    return seeing


def test_a_read_asked_while_the_login_thread_paces_its_reads_is_the_login_thread_s(
    tmp_path: Path,
) -> None:
    """A client asking for its whole read while the login thread is still starting it (here
    at 20 a second, as the project says) sends none of it itself: every read goes out once,
    from the login thread, on its pace, and is counted as the client's own; httpx sends
    nothing. (Before, the client's first request stopped the login thread and it sent the
    rest itself, paced by its own event loop between the answers it decoded.)"""
    settings = {"rate_limit": 20, "timeout_seconds": 20}
    with served(tmp_path, backend="logisense") as server:
        agents: Counter[str] = Counter()
        server.emulator.app = _by_agent(server.emulator.app, agents)
        project = write_project(
            tmp_path / "project", server.url, backend="logisense", settings=settings
        )
        environ = {"BP_USER": "someone", "BP_PASSWORD": "s3cret", **LS_ENV}
        early_login.start(["-C", str(project), "plan"], environ)

        async def read() -> tuple[dict[str, Any], bool]:
            client = _logisense_client(server.url, rate_limit_per_second=20)
            try:
                client.start_login()
                await asyncio.gather(
                    *(
                        client._http.request(
                            "GET",
                            read.path,
                            params=dict(read.params) or None,
                            headers=dict(read.headers) or None,
                            idempotent=True,
                        )
                        for read in FIRST_READS
                    )
                )
                return client.stats, client._http._client_used
            finally:
                await client.aclose()

        stats, httpx_used = asyncio.run(read())
    assert agents == {"catalogsync": 1 + len(FIRST_READS)}
    assert stats["logins"] == 1 and stats["requests"] == 1 + len(FIRST_READS)
    assert not httpx_used


def test_an_answer_the_client_has_taken_is_let_go_of_by_the_login_thread_s_reads() -> None:
    """`EarlyReads` kept every answer it sent (its page's bytes) until the client closed:
    with the whole read sent by the login thread, every page of a read stayed in memory at
    its peak (LogiSense M plan: 117 -> 134 MB). Once the client has taken an answer
    (`HttpClient._early_answer`: `taken`), the reads keep only that it is done: a later
    take-over still counts it, and no other read is touched."""
    import gc
    import weakref

    first, second = FIRST_READS[:2]
    reads = early_login.EarlyReads([first, second], {})
    answers = reads.follow()
    started = reads.next()
    assert started is not None and started[0] == first
    exchange = early_login.Exchange([], b"", 200, "OK", "HTTP/1.1", [], b"[]", 0.0, 0.0, 0.0)
    started[1].set_result(exchange)
    kept = weakref.ref(exchange)
    del exchange, started, answers
    reads.taken(first.key())
    gc.collect()
    assert kept() is None
    reads.taken(second.key())  # not started: still to send, left as it is
    assert reads.next() is not None
    taken_over = reads.stop()
    assert [read for read, _, _ in taken_over] == [first, second]
    assert taken_over[0][2].done()  # counted by the rate limit, in flight no more


def test_the_login_thread_schedules_its_starts_as_the_client_s_rate_limit_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each read is due `1 / rate_limit` after the one before was due, as the client's rate
    limit schedules its own requests (`TokenBucket`), not that long after the thread woke
    for it: a start made late (the thread waiting for the interpreter while the command
    decodes in C) no longer puts off every later one. The second read's wake-up comes a
    quarter of a second late, on the thread and in the client alike."""
    clock, sleeps = [0.0], [0]

    def woken_after(seconds: float) -> None:
        sleeps[0] += 1
        clock[0] += seconds + (0.25 if sleeps[0] == 2 else 0.0)

    def answered(intent: Any, reads: Any, read: Any, answer: Any, slots: Any) -> None:
        answer.set_result(None)
        slots.release()

    fake = SimpleNamespace(monotonic=lambda: clock[0], sleep=woken_after)
    monkeypatch.setattr(early_login, "time", fake)
    monkeypatch.setattr(early_login, "_read", answered)
    reads = early_login.EarlyReads(FIRST_READS[:5], {})
    settings = HttpSettings(rate_limit_per_second=10, concurrency=1)
    intent = early_login.Intent("http://127.0.0.1:1", LoginRequest("/login"), settings, False)
    early_login._send_reads(intent, reads, 0.0)
    thread = [round(clock, 6) for _, clock, _ in reads.stop()]
    assert thread == [0.1, 0.45, 0.45, 0.55, 0.65]  # (before: 0.1, 0.45, 0.55, 0.65, 0.75)

    async def sleep(seconds: float) -> None:
        woken_after(seconds)

    async def client() -> list[float]:
        bucket = TokenBucket(10, clock=lambda: clock[0], sleep=sleep)
        bucket.started(0.0)  # the login
        starts = []
        for _ in range(5):
            await bucket.acquire()
            starts.append(round(clock[0], 6))
        return starts

    clock[0], sleeps[0] = 0.0, 0
    assert asyncio.run(client()) == thread
