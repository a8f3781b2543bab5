"""Login (both paths, both grant options, refresh), Bearer checks and token expiry."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import httpx
import pytest

from catalogsync.emulator.faults import Faults
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.emulator.logisense.auth import TokenStore
from tests.emulator.logisense.conftest import API, BASE, LOGIN, LsApi, errors, login_form


class Clock:
    """A settable wall clock for token expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(ls: LogiSenseEmulator) -> Clock:
    fake = Clock()
    ls.tokens = TokenStore(clock=fake)
    return fake


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


@pytest.mark.parametrize("path", [LOGIN, "/AuthorizationServer/Access/Login"])
def test_login_answers_the_documented_token_json(ls_client: httpx.Client, path: str) -> None:
    response = ls_client.post(path, data=login_form())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "audience",
        ".issued",
        ".expires",
        "actingOwnerId",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    assert body["audience"] == login_form()["client_id"]
    issued = datetime.fromisoformat(body[".issued"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(body[".expires"].replace("Z", "+00:00"))
    assert (expires - issued).total_seconds() == pytest.approx(1800)
    claims = _claims(body["access_token"])
    assert claims["unique_name"] == "tester"
    assert claims["aud"] == body["audience"]
    assert claims["exp"] == claims["nbf"] + 1800  # type: ignore[operator]


def test_a_token_opens_the_resource_server(api: LsApi) -> None:
    assert api.ok("GET", "Package")["items"] == []


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"client_id": ""}, "invalid_client"),
        ({"username": ""}, "invalid_grant"),
    ],
)
def test_bad_logins_get_oauth_errors(
    ls_client: httpx.Client, form: dict[str, str], error: str
) -> None:
    response = ls_client.post(LOGIN, data=login_form(**form))
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_fixed_credentials_and_client_id_are_enforced() -> None:
    with (
        LogiSenseEmulator(credentials=("alice", "pw"), client_id="c" * 32) as emu,
        httpx.Client(base_url=BASE, transport=emu.transport()) as http,
    ):
        good = {"username": "alice", "password": "pw", "client_id": "c" * 32}
        assert http.post(LOGIN, data=login_form(**good)).status_code == 200
        wrong_password = http.post(LOGIN, data=login_form(**good | {"password": "no"}))
        assert wrong_password.json()["error"] == "invalid_grant"
        wrong_client = http.post(LOGIN, data=login_form(**good | {"client_id": "d" * 32}))
        assert wrong_client.json()["error"] == "invalid_client"
        # Option 2 of the docs: client_id + client_secret, still grant_type=password.
        secret = {"client_id": "c" * 32, "client_secret": "pw", "grant_type": "password"}
        assert http.post(LOGIN, data=secret).status_code == 200
        assert http.post(LOGIN, data=secret | {"client_secret": "x"}).status_code == 400


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-token"],
)
def test_missing_or_unknown_tokens_get_401(ls_client: httpx.Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = ls_client.get(f"{API}/Service", headers=headers)
    assert errors(response, 401) == ["Authorization has been denied for this request."]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_expires_after_its_lifetime(ls: LogiSenseEmulator, api: LsApi, clock: Clock) -> None:
    ls.faults.session_ttl_seconds = 60
    api.token = ls.login()
    clock.now += 59
    assert api.request("GET", "Service").status_code == 200
    clock.now += 1
    errors(api.request("GET", "Service"), 401)
    ls.faults.session_ttl_seconds = None  # lifting the limit does not revive it
    errors(api.request("GET", "Service"), 401)


def test_ttl_is_reported_and_capped_at_1800(ls: LogiSenseEmulator, ls_client: httpx.Client) -> None:
    ls.faults.session_ttl_seconds = 0.4
    assert ls_client.post(LOGIN, data=login_form()).json()["expires_in"] == 1
    ls.faults.session_ttl_seconds = 5000
    assert ls_client.post(LOGIN, data=login_form()).json()["expires_in"] == 1800


def test_lowering_the_ttl_expires_live_tokens(
    ls: LogiSenseEmulator, api: LsApi, clock: Clock
) -> None:
    api.token = ls.login()  # issued by the store with the fake clock
    clock.now += 10
    assert api.request("GET", "Service").status_code == 200
    ls.faults.session_ttl_seconds = 5
    errors(api.request("GET", "Service"), 401)


def test_token_expires_after_n_requests(ls: LogiSenseEmulator, api: LsApi) -> None:
    ls.faults.session_max_requests = 2
    api.token = ls.login()
    assert api.request("GET", "Service").status_code == 200
    assert api.request("GET", "Package").status_code == 200
    errors(api.request("GET", "Service"), 401)
    api.token = ls.login()  # a new login gets a fresh budget
    assert api.request("GET", "Service").status_code == 200


def test_refresh_token_grant_issues_a_new_pair_once(ls_client: httpx.Client) -> None:
    first = ls_client.post(LOGIN, data=login_form()).json()
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = ls_client.post(LOGIN, data=form)
    assert second.status_code == 200
    token = second.json()["access_token"]
    assert token != first["access_token"]
    ok = ls_client.get(f"{API}/Service", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    old = ls_client.get(
        f"{API}/Service", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert old.status_code == 401
    again = ls_client.post(LOGIN, data=form)
    assert again.json()["error"] == "invalid_grant"


def test_lenient_mode_accepts_a_token_without_bearer() -> None:
    for lenient, status in ((True, 200), (False, 401)):
        with (
            LogiSenseEmulator(lenient_auth=lenient, faults=Faults()) as emu,
            httpx.Client(base_url=BASE, transport=emu.transport()) as http,
        ):
            token = emu.login()
            assert (
                http.get(f"{API}/Service", headers={"Authorization": token}).status_code == status
            )
