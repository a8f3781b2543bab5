"""The shared fault injection and request log, as the LogiSense emulator applies them."""

from __future__ import annotations

import httpx
import pytest

from catalogsync.emulator.faults import DROP, Faults
from catalogsync.emulator.logisense import LogiSenseEmulator
from tests.emulator.logisense.conftest import API, LOGIN, LsApi, errors, login_form


def test_scripted_failures_use_the_error_envelope_and_retry_after(
    ls: LogiSenseEmulator, api: LsApi
) -> None:
    ls.faults.retry_after_seconds = 2
    ls.faults.fail_next(503, times=2, path_contains="/Service")
    first = api.request("GET", "Service")
    assert errors(first, 503) == ["scripted failure"]
    assert first.headers["Retry-After"] == "2"
    assert api.request("GET", "Package").status_code == 200  # path did not match
    errors(api.request("GET", "Service"), 503)
    assert api.request("GET", "Service").status_code == 200


def test_rate_limit_answers_429(ls: LogiSenseEmulator, api: LsApi) -> None:
    ls.faults.rate_limit_per_second = 0.001
    ls.faults.rate_limit_burst = 2
    ls.faults.retry_after_seconds = 0.5
    statuses = [api.request("GET", "Service").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    response = api.request("GET", "Service")
    assert response.headers["Retry-After"] == "0.5"
    assert "rate limit" in errors(response, 429)[0]


def test_random_errors_are_seeded(ls: LogiSenseEmulator, api: LsApi) -> None:
    ls.faults = Faults(error_rate=0.5, error_statuses=(502,), seed=7)
    first = [api.request("GET", "Service").status_code for _ in range(12)]
    ls.faults = Faults(error_rate=0.5, error_statuses=(502,), seed=7)  # a new object re-seeds
    again = [api.request("GET", "Service").status_code for _ in range(12)]
    assert first == again
    assert set(first) == {200, 502}


def test_dropped_connections(ls: LogiSenseEmulator, api: LsApi) -> None:
    ls.faults.fail_next(DROP, path_contains="Service")
    with pytest.raises(httpx.RemoteProtocolError):
        api.request("POST", "Service", json={"name": "Lost", "serviceTypeId": 1})
    assert ls.records("Service") == []  # dropped before processing
    ls.faults.drop_rate = 1.0
    ls.faults.drop_after_processing = True
    with pytest.raises(httpx.RemoteProtocolError):
        api.request("POST", "Service", json={"name": "Ambiguous", "serviceTypeId": 1})
    ls.faults.drop_rate = 0.0
    # The create committed although the answer was lost: the client must re-read by name.
    assert [s["name"] for s in ls.find("Service", name="Ambiguous")] == ["Ambiguous"]
    assert ls.stats()["by_status"][0] == 2


def test_fail_names_fails_api_writes_only(ls: LogiSenseEmulator, api: LsApi) -> None:
    ls.faults.fail_names_matching = "^Bad"
    response = api.request("POST", "Service", json={"name": "Bad one", "serviceTypeId": 1})
    assert "injected failure" in errors(response)[0]
    assert api.create("Service", name="Good one", serviceTypeId=1)["name"] == "Good one"
    ls.create("Service", name="Bad from the UI", serviceTypeId=1)  # UI edits are not faulted
    assert len(ls.records("Service")) == 2


def test_login_can_be_faulted_too(ls: LogiSenseEmulator, ls_client: httpx.Client) -> None:
    ls.faults.fail_next(500, path_contains="Access/Login")
    assert ls_client.post(LOGIN, data=login_form()).status_code == 500
    assert ls_client.post(LOGIN, data=login_form()).status_code == 200


def test_latency_and_the_request_log(ls: LogiSenseEmulator, api: LsApi, package: int) -> None:
    ls.reset_stats()
    ls.faults.latency_ms = 30
    api.request("GET", f"Package/{package}/Detail")
    api.paged("Package")
    api.request("GET", "Package/Service/")
    api.request("PATCH", f"Package/{package}", json={"description": "x"})
    api.request("DELETE", "Package/9")
    stats = ls.stats()
    assert stats["total"] == 5
    assert stats["by_route"] == {
        f"DELETE {API}/Package/{{id}}": 1,
        f"GET {API}/Package/Paged": 1,
        f"GET {API}/Package/Service": 1,
        f"GET {API}/Package/{{id}}/Detail": 1,
        f"PATCH {API}/Package/{{id}}": 1,
    }
    assert stats["by_status"] == {200: 4, 404: 1}
    assert all(entry.duration_ms >= 30 for entry in ls.request_log)


def test_control_endpoints_steer_the_emulator(ls: LogiSenseEmulator, api: LsApi) -> None:
    response = api.client.post("/_emulator/faults", json={"session_max_requests": 1})
    assert response.status_code == 200
    api.token = ls.login()
    assert api.request("GET", "Service").status_code == 200
    errors(api.request("GET", "Service"), 401)
    stats = api.client.get("/_emulator/stats").json()
    assert stats["by_status"] == {"200": 2, "401": 1}  # the HTTP login counts too
