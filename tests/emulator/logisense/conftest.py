"""Fixtures for the LogiSense emulator tests: an in-process emulator and a logged-in helper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID, LogiSenseEmulator

BASE = "http://logisense"
API = "/ResourceServer/api/v8"
LOGIN = "/AuthorizationServer/api/v8/Access/Login"


def login_form(**overrides: str) -> dict[str, str]:
    """The documented password-grant form."""
    form = {
        "username": "tester",
        "password": "secret",
        "grant_type": "password",
        "client_id": DEFAULT_CLIENT_ID,
    }
    return form | overrides


class LsApi:
    """A thin LogiSense v8 helper over an httpx.Client, logged in once over HTTP."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        response = client.post(LOGIN, data=login_form())
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(method, f"{API}/{path}", headers=headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON body of a request that must answer 200."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def paged(
        self, path: str, page: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        if page is not None:
            headers["Pagination"] = json.dumps(page)
        return self.request("GET", f"{path}/Paged", headers=headers)

    def create(self, path: str, **fields: Any) -> dict[str, Any]:
        """POST one object that must succeed; its result item."""
        body = self.ok("POST", path, json=fields)
        assert body["type"] == "create"
        (item,) = body["results"]["items"]
        result: dict[str, Any] = item
        return result

    def patch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.request("PATCH", path, json=body)


def errors(response: httpx.Response, status: int = 400) -> list[str]:
    """The messages of an error answer (asserting its status and envelope)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["trackingId"], str) and body["errors"], body
    assert all(isinstance(e["code"], int) for e in body["errors"])
    return [str(e["message"]) for e in body["errors"]]


def items(key: str, *entries: Any) -> dict[str, Any]:
    """A PATCH child collection: {key: {"items": [...]}}."""
    return {key: {"items": list(entries)}}


@pytest.fixture
def ls() -> Iterator[LogiSenseEmulator]:
    emu = LogiSenseEmulator()
    yield emu
    emu.close()


@pytest.fixture
def ls_client(ls: LogiSenseEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=BASE, transport=ls.transport()) as http:
        yield http


@pytest.fixture
def api(ls_client: httpx.Client) -> LsApi:
    return LsApi(ls_client)


@pytest.fixture
def service(ls: LogiSenseEmulator) -> int:
    """The identity of a recurring Service named "Voice"."""
    return int(ls.create("Service", name="Voice", serviceTypeId=1)["identity"])


@pytest.fixture
def package(ls: LogiSenseEmulator) -> int:
    """The identity of a Package named "Gold" (category "Default")."""
    return int(ls.create("Package", name="Gold", packageCategoryId=2)["identity"])
