"""Fixtures for the emulator tests: an in-process emulator with a logged-in HTTP helper, and
a loopback server on 127.0.0.1 (a free port) for tests that need real sockets."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.billingplatform.schema import REQUIRED_KEYS
from catalogsync.emulator.server import ServerThread

BASE = "http://emulator"

RESULT_KEYS = {"Id", "success", "ErrorCode", "ErrorText", "ErrorElementField"}


def failed(result: dict[str, Any], code: str, field: str) -> bool:
    return (
        result["success"] is False
        and result["ErrorCode"] == code
        and result["ErrorElementField"] == field
        and result["ErrorText"] != ""
    )


def pp(package: str, product: str | None = None, **fields: Any) -> dict[str, Any]:
    """A package-product record."""
    record: dict[str, Any] = {"Name": "Voice in Gold", "PackageId": package, "MinQty": 0}
    if product is not None:
        record["ProductId"] = product
    return record | fields


class Api:
    """A thin BillingPlatform REST 2.0 helper over an httpx.Client, logged in once."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        login = client.post("/rest/2.0/login", json={"username": "tester", "password": "x"})
        assert login.status_code == 200, login.text
        self.session_id = login.json()["loginResponse"][0]["SessionID"]
        self.headers = {"sessionid": self.session_id}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def query(self, sql: str) -> httpx.Response:
        return self.request("GET", "/rest/2.0/query", params={"sql": sql})

    def rows(self, sql: str) -> list[dict[str, str]]:
        """The rows of a query that must succeed ([] on 404)."""
        response = self.query(sql)
        if response.status_code == 404:
            return []
        assert response.status_code == 200, response.text
        rows: list[dict[str, str]] = response.json()["queryResponse"]
        return rows

    def write(self, method: str, entity: str, records: Any, **extra: Any) -> httpx.Response:
        path = f"/rest/2.0/delete/{entity}" if method == "DELETE" else f"/rest/2.0/{entity}"
        if method in ("POST", "PATCH"):
            records = _with_empty_id(records)  # the seeds mark Id required, sent "" on a create
        if method == "PUT":
            records = self._with_required(entity, records)
        return self.request(method, path, json={"brmObjects": records, **extra})

    def _with_required(self, entity: str, records: Any) -> Any:
        """As a documented client does: a PUT re-sends the fields the seeds mark required,
        unchanged ones read from the live record."""
        if isinstance(records, list):
            return [self._with_required(entity, record) for record in records]
        required = REQUIRED_KEYS.get((entity.upper(), "update"), ())
        if not isinstance(records, dict) or not str(records.get("Id", "")).isdigit():
            return records
        response = self.retrieve(entity, str(records["Id"]))
        if response.status_code != 200:
            return records
        (live,) = response.json()["retrieveResponse"]
        return {name: live[name] for name in required if name in live} | records

    def results(self, method: str, entity: str, records: Any, **extra: Any) -> list[dict[str, Any]]:
        """Per-record results of a write that must answer 200."""
        response = self.write(method, entity, records, **extra)
        assert response.status_code == 200, response.text
        key = {"POST": "create", "PUT": "update", "PATCH": "upsert", "DELETE": "delete"}[method]
        results: list[dict[str, Any]] = response.json()[f"{key}Response"]
        return results

    def create(self, entity: str, records: Any) -> list[dict[str, Any]]:
        return self.results("POST", entity, records)

    def create_ok(self, entity: str, record: dict[str, Any]) -> str:
        """Create one record that must succeed; its Id."""
        (result,) = self.create(entity, record)
        assert result["success"] is True, result
        return str(result["Id"])

    def upsert(self, entity: str, records: Any, key: str = "Name") -> list[dict[str, Any]]:
        return self.results("PATCH", entity, records, externalIDFieldName=key)

    def update(self, entity: str, records: Any) -> list[dict[str, Any]]:
        return self.results("PUT", entity, records)

    def delete(self, entity: str, records: Any) -> list[dict[str, Any]]:
        return self.results("DELETE", entity, records)

    def retrieve(self, entity: str, record_id: str) -> httpx.Response:
        return self.request("GET", f"/rest/2.0/{entity}/{record_id}")


@pytest.fixture
def anyio_backend() -> str:
    """`@pytest.mark.anyio` tests run on asyncio (what the emulator's latency uses)."""
    return "asyncio"


def _with_empty_id(records: Any) -> Any:
    if isinstance(records, dict) and not any(str(k).lower() == "id" for k in records):
        return {"Id": "", **records}
    if isinstance(records, list):
        return [_with_empty_id(record) for record in records]
    return records


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    # These tests read per-record results, so POST answers the createResponse variant;
    # test_documented.py covers the strict (documented) answers.
    emu = BillingPlatformEmulator(profile="create-response")
    yield emu
    emu.close()


@pytest.fixture
def client(emulator: BillingPlatformEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=BASE, transport=emulator.transport()) as http:
        yield http


@pytest.fixture
def api(client: httpx.Client) -> Api:
    return Api(client)


@pytest.fixture
def package(api: Api) -> str:
    """The Id of a package named "Gold"."""
    return api.create_ok("PACKAGE", {"Name": "Gold"})


@pytest.fixture
def product(api: Api) -> str:
    """The Id of a product named "Voice"."""
    return api.create_ok("PRODUCT", {"Name": "Voice", "Rate": "0.05"})


@pytest.fixture
def server(emulator: BillingPlatformEmulator) -> Iterator[str]:
    """The emulator served by uvicorn on 127.0.0.1 (free port); yields the base URL."""
    with ServerThread(emulator.app) as running:
        yield running.url


class ServeProcess:
    """`catalogsync emulator serve` in a subprocess; `url` is read from its first line."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "catalogsync", "emulator", "serve", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
        )
        self.first_line = _read_line(self.process, timeout=30.0)
        self.url = self.first_line.rsplit(" ", 1)[-1]

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Ctrl-C (or `sig`), then (exit code, stderr)."""
        self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line, or fail (with stderr) when the process dies or hangs."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        line = ""
    if not line:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"emulator serve did not start: {err}")
    return line.strip()


@pytest.fixture
def serve_process() -> Iterator[Callable[..., ServeProcess]]:
    """Start `catalogsync emulator serve` subprocesses; any left running are stopped."""
    started: list[ServeProcess] = []

    def start(*args: str) -> ServeProcess:
        started.append(ServeProcess(*args))
        return started[-1]

    yield start
    for proc in started:
        if proc.process.poll() is None:
            proc.stop()
