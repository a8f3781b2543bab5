"""Login, logout and the session header: shapes, credentials, expiry."""

from __future__ import annotations

import time

import httpx
import pytest

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from tests.emulator.conftest import BASE, Api

INVALID_SESSION = {
    "errors": [{"error_code": "INVALID_SESSION_ID", "error_message": "Invalid session id"}]
}
SQL = "SELECT Id FROM RATING_METHOD"


def login(client: httpx.Client, username: str = "anyone", password: str = "any") -> httpx.Response:
    return client.post("/rest/2.0/login", json={"username": username, "password": password})


def test_login_returns_the_documented_shape(client: httpx.Client) -> None:
    response = login(client)
    assert response.status_code == 200
    (entry,) = response.json()["loginResponse"]
    assert entry["ErrorCode"] == "0"
    assert entry["ErrorText"] == []
    assert isinstance(entry["SessionID"], str) and len(entry["SessionID"]) >= 32


def test_any_credentials_work_by_default(client: httpx.Client) -> None:
    assert login(client, "someone", "").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "u"}, {"username": "", "password": "p"}, {"username": 1, "password": "p"}],
)
def test_login_without_credentials_is_400(client: httpx.Client, body: dict[str, object]) -> None:
    response = client.post("/rest/2.0/login", json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message"}


def test_login_with_a_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    response = client.post("/rest/2.0/login", content=b"username=u&password=p")
    assert response.status_code == 400
    assert response.json()["error"] == "Bad request"


def test_fixed_credentials_refuse_others_with_401() -> None:
    with (
        BillingPlatformEmulator(credentials=("admin", "s3cret")) as emu,
        httpx.Client(base_url=BASE, transport=emu.transport()) as client,
    ):
        refused = login(client, "admin", "wrong")
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "Unauthorized",
            "message": "Invalid username or password",
        }
        assert login(client, "admin", "s3cret").status_code == 200


def test_the_session_header_name_is_case_insensitive(client: httpx.Client) -> None:
    session_id = login(client).json()["loginResponse"][0]["SessionID"]
    for name in ("sessionid", "sessionId", "SESSIONID", "SessionID"):
        response = client.get("/rest/2.0/query", params={"sql": SQL}, headers={name: session_id})
        assert response.status_code == 200, name


def test_a_missing_session_header_is_401(client: httpx.Client) -> None:
    response = client.get("/rest/2.0/query", params={"sql": SQL})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "message": "No session ID was provided"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/rest/2.0/query?sql=SELECT%20Id%20FROM%20PACKAGE"),
        ("POST", "/rest/2.0/PACKAGE"),
        ("GET", "/rest/2.0/PACKAGE/1"),
        ("DELETE", "/rest/2.0/delete/PACKAGE"),
        ("POST", "/rest/2.0/logout"),
    ],
)
def test_an_unknown_session_is_500_invalid_session_id(
    client: httpx.Client, method: str, path: str
) -> None:
    response = client.request(method, path, headers={"sessionid": "not-a-session"})
    assert response.status_code == 500
    assert response.json() == INVALID_SESSION


def test_logout_ends_the_session(api: Api) -> None:
    response = api.request("POST", "/rest/2.0/logout")
    assert response.status_code == 200
    assert response.json() == {
        "logoutResponse": [{"ErrorCode": "0", "ErrorText": " ", "Success": "true"}]
    }
    after = api.query(SQL)
    assert after.status_code == 500
    assert after.json() == INVALID_SESSION


def test_sessions_expire_after_idle_seconds(
    api: Api, emulator: BillingPlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store's clock, stopped: idleness is what the test says, not what a busy machine
    # (or parallel test workers) add between the login and the first query. The login is
    # made on the stopped clock too: the fixture's own, on the running clock, could be
    # older than the TTL by the first query (seen once at load 20).
    now = [time.monotonic()]
    monkeypatch.setattr(emulator.sessions, "_clock", lambda: now[0])
    emulator.faults.session_ttl_seconds = 0.05
    api = Api(api.client)
    assert api.query(SQL).status_code == 200
    now[0] += 0.1
    assert api.query(SQL).json() == INVALID_SESSION
    emulator.faults.session_ttl_seconds = None
    assert api.query(SQL).status_code == 500, "an expired session stays invalid"


def test_sessions_expire_after_n_requests(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.faults.session_max_requests = 3
    assert [api.query(SQL).status_code for _ in range(4)] == [200, 200, 200, 500]
    fresh = Api(api.client)  # re-login gets a working session
    assert fresh.query(SQL).status_code == 200


def test_sessions_do_not_survive_a_restart() -> None:
    with BillingPlatformEmulator() as first:
        token = first.login()
    with (
        BillingPlatformEmulator() as second,
        httpx.Client(base_url=BASE, transport=second.transport()) as client,
    ):
        response = client.get("/rest/2.0/query", params={"sql": SQL}, headers={"sessionid": token})
        assert response.json() == INVALID_SESSION
