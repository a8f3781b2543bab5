"""Fault injection, the request log and stats, and the control endpoints."""

from __future__ import annotations

import time

import httpx
import pytest

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.billingplatform.faults import BillingPlatformFaults as Faults
from catalogsync.emulator.faults import DROP, FaultInjector, TokenBucket
from tests.emulator.conftest import BASE, Api

SQL = "SELECT Id FROM RATING_METHOD"


# -- Faults and its helpers --------------------------------------------------------------


def test_faults_are_off_by_default() -> None:
    faults = Faults()
    assert faults.latency_ms == 0 and faults.error_rate == 0 and faults.drop_rate == 0
    assert faults.rate_limit_per_second is None and faults.session_ttl_seconds is None
    assert faults.max_page_size == 10_000 and faults.max_sql_length == 4_000
    assert faults.error_statuses == (500, 502, 503)
    assert faults.all_or_nothing is False


@pytest.mark.parametrize(
    "changes",
    [
        {"error_rate": 1.5},
        {"drop_rate": -0.1},
        {"error_statuses": [200]},
        {"max_page_size": 0},
        {"fail_names_matching": "("},
        {"latency_ms": "slow"},
        {"all_or_nothing": "yes"},
        {"no_such_fault": 1},
    ],
)
def test_faults_update_validates_and_changes_nothing_on_error(changes: dict[str, object]) -> None:
    faults = Faults()
    with pytest.raises(ValueError):
        faults.update(changes)
    assert faults == Faults()


def test_faults_update_converts_json_values() -> None:
    faults = Faults()
    faults.update({"error_statuses": [503], "latency_ms": 5, "retry_after_seconds": None})
    assert faults.error_statuses == (503,) and faults.latency_ms == 5.0


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] = 0.5
    assert bucket.take() == 0.0


def test_random_faults_are_repeatable_with_a_seed() -> None:
    def run(seed: int) -> list[str]:
        faults = Faults(error_rate=0.3, drop_rate=0.1, seed=seed)
        injector = FaultInjector(lambda: faults)
        return [f"{d.action}{d.status}" for d in (injector.decide("/x") for _ in range(50))]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert {"pass0", "respond500", "drop0"} <= set(run(7)) | set(run(8))


# -- faults through HTTP -----------------------------------------------------------------


def test_latency_is_applied_and_logged(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.faults.latency_ms = 60
    started = time.perf_counter()
    assert api.query(SQL).status_code == 200
    assert time.perf_counter() - started >= 0.06
    assert emulator.request_log[-1].duration_ms >= 60


def test_rate_limit_answers_429_with_optional_retry_after(
    api: Api, emulator: BillingPlatformEmulator
) -> None:
    emulator.faults.rate_limit_per_second = 0.5
    emulator.faults.rate_limit_burst = 2
    statuses = [api.query(SQL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = api.query(SQL)
    assert limited.json() == {"error": "Too many requests", "message": limited.json()["message"]}
    assert "Retry-After" not in limited.headers
    emulator.faults.retry_after_seconds = 2
    assert api.query(SQL).headers["Retry-After"] == "2"
    emulator.faults.retry_after_seconds = 0.25
    assert api.query(SQL).headers["Retry-After"] == "0.25"


def test_error_rate_answers_the_configured_statuses(
    api: Api, emulator: BillingPlatformEmulator
) -> None:
    emulator.faults.update({"error_rate": 1.0, "error_statuses": [500, 502, 503], "seed": 3})
    statuses = {api.query(SQL).status_code for _ in range(30)}
    assert statuses == {500, 502, 503}
    emulator.faults.error_rate = 0.0
    assert api.query(SQL).status_code == 200


def test_error_bodies(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.faults.fail_next(500)
    emulator.faults.fail_next(503)
    internal = api.query(SQL)
    assert internal.status_code == 500
    assert internal.json()["error"] == "Internal error" and "message" in internal.json()
    unavailable = api.query(SQL)
    assert unavailable.status_code == 503
    assert unavailable.headers["content-type"].startswith("text/html")  # from the "proxy"


def test_fail_next_is_scripted_by_path(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.faults.fail_next(502, times=2, path_contains="PACKAGE")
    assert api.query(SQL).status_code == 200  # not a PACKAGE path
    assert api.write("POST", "PACKAGE", {"Name": "a"}).status_code == 502
    assert api.write("POST", "PACKAGE", {"Name": "a"}).status_code == 502
    assert api.write("POST", "PACKAGE", {"Name": "a"}).status_code == 200
    assert emulator.faults.pending_scripted() == []


def test_a_drop_raises_remote_protocol_error_in_process(
    api: Api, emulator: BillingPlatformEmulator
) -> None:
    emulator.faults.fail_next(DROP, path_contains="PACKAGE")
    with pytest.raises(httpx.RemoteProtocolError):
        api.write("POST", "PACKAGE", {"Name": "lost"})
    assert api.rows("SELECT Id FROM PACKAGE") == []  # dropped before it was processed
    assert emulator.stats()["by_status"][0] == 1


def test_a_drop_after_processing_commits_the_write(
    api: Api, emulator: BillingPlatformEmulator
) -> None:
    emulator.faults.update({"drop_rate": 1.0, "drop_after_processing": True})
    with pytest.raises(httpx.RemoteProtocolError):
        api.write("POST", "PACKAGE", {"Name": "kept"})
    emulator.faults.drop_rate = 0.0
    assert api.rows("SELECT Name FROM PACKAGE") == [{"Name": "kept"}]


@pytest.mark.anyio
async def test_async_transport_applies_latency_and_drops(emulator: BillingPlatformEmulator) -> None:
    session_id = emulator.login()
    async with httpx.AsyncClient(base_url=BASE, transport=emulator.async_transport()) as client:
        emulator.faults.latency_ms = 30
        started = time.perf_counter()
        response = await client.get(
            "/rest/2.0/query", params={"sql": SQL}, headers={"sessionid": session_id}
        )
        assert response.status_code == 200
        assert time.perf_counter() - started >= 0.03
        emulator.faults.fail_next(DROP)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(
                "/rest/2.0/query", params={"sql": SQL}, headers={"sessionid": session_id}
            )


@pytest.mark.loopback
def test_a_drop_over_a_real_socket(server: str, emulator: BillingPlatformEmulator) -> None:
    session_id = emulator.login()
    emulator.faults.fail_next(DROP)
    with httpx.Client(base_url=server) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/rest/2.0/query", params={"sql": SQL}, headers={"sessionid": session_id})
        ok = client.get("/rest/2.0/query", params={"sql": SQL}, headers={"sessionid": session_id})
        assert ok.status_code == 200


# -- request log, stats and control endpoints --------------------------------------------


def test_every_request_is_logged_and_counted(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.reset_stats()
    product = api.create_ok("PRODUCT", {"Name": "P"})
    api.retrieve("PRODUCT", product)
    api.query("SELECT Id FROM PRODUCT WHERE Name = 'none'")
    api.request("GET", "/rest/2.0/query")
    stats = emulator.stats()
    assert stats["total"] == 4
    assert stats["by_route"] == {
        "GET /rest/2.0/PRODUCT/{id}": 1,
        "GET /rest/2.0/query": 2,
        "POST /rest/2.0/PRODUCT": 1,
    }
    assert stats["by_status"] == {200: 2, 400: 1, 404: 1}
    entry = emulator.request_log[0]
    assert (entry.method, entry.path, entry.status) == ("POST", "/rest/2.0/PRODUCT", 200)
    assert entry.duration_ms >= 0
    emulator.reset_stats()
    assert emulator.stats() == {"total": 0, "by_route": {}, "by_status": {}}
    assert emulator.request_log == []


def test_control_endpoints(client: httpx.Client, emulator: BillingPlatformEmulator) -> None:
    Api(client)  # one login
    stats = client.get("/_emulator/stats").json()
    assert stats == {"total": 1, "by_route": {"POST /rest/2.0/login": 1}, "by_status": {"200": 1}}
    changed = client.post(
        "/_emulator/faults",
        json={"latency_ms": 1, "error_statuses": [503], "fail_next": {"status": 429, "times": 2}},
    )
    assert changed.status_code == 200
    assert changed.json()["latency_ms"] == 1 and changed.json()["error_statuses"] == [503]
    assert changed.json()["scripted"] == [{"status": 429, "remaining": 2, "path_contains": ""}]
    assert emulator.faults.latency_ms == 1
    assert client.get("/_emulator/faults").json()["scripted"][0]["status"] == 429
    bad = client.post("/_emulator/faults", json={"error_rate": 7})
    assert bad.status_code == 400 and "error_rate" in bad.json()["message"]
    assert client.post("/_emulator/faults", json={"clear_scripted": True}).json()["scripted"] == []
    assert client.post("/_emulator/reset-stats").json()["total"] == 0
    # control endpoints need no session, are never faulted and are not counted
    emulator.faults.error_rate = 1.0
    assert client.get("/_emulator/stats").json()["total"] == 0


def test_a_bug_in_the_emulator_is_a_500_with_the_error_body(
    api: Api, emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(emulator.db, "run_query", broken)
    monkeypatch.setattr(emulator.db, "run_query_json", broken)
    response = api.query(SQL)
    assert response.status_code == 500
    assert response.json() == {"error": "Internal error", "message": "internal error: RuntimeError"}
    assert emulator.request_log[-1].status == 500
