"""The LogiSense emulator over real loopback HTTP: a server thread and `emulator serve`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.emulator.server import ServerThread
from tests.emulator.conftest import ServeProcess
from tests.emulator.logisense.conftest import API, LOGIN, login_form

pytestmark = pytest.mark.loopback


def _bearer(client: httpx.Client, **form: str) -> dict[str, str]:
    response = client.post(LOGIN, data=login_form(**form))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_concurrent_writes_and_paged_reads_over_loopback(ls: LogiSenseEmulator) -> None:
    service = ls.create("Service", name="Voice", serviceTypeId=1)["identity"]
    with ServerThread(ls.app) as server, httpx.Client(base_url=server.url) as client:
        headers = _bearer(client)

        def build(n: int) -> None:
            created = client.post(f"{API}/Package", json={"name": f"P{n}"}, headers=headers)
            package = created.json()["results"]["items"][0]["identity"]
            item = {"patchType": "create", "serviceId": service}
            body = {"details": {"services": {"items": [item]}}}
            patched = client.patch(f"{API}/Package/{package}", json=body, headers=headers)
            assert patched.status_code == 200, patched.text

        threads = [threading.Thread(target=build, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        page = {"pageNumber": 2, "pageSize": 4}
        response = client.get(
            f"{API}/Package/Paged/Detail", headers={**headers, "Pagination": json.dumps(page)}
        )
        body = response.json()["pagedResults"]
        assert body["totalCount"] == 6 and len(body["items"]) == 2
        assert all(len(p["details"]["services"]) == 1 for p in body["items"])
        assert client.get("/_emulator/stats").json()["by_route"][f"PATCH {API}/Package/{{id}}"] == 6


def test_emulator_serve_backend_logisense(
    serve_process: Callable[..., ServeProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ls.sqlite"
    monkeypatch.setenv("LS_EMULATOR_CREDENTIALS", "ops:pw")
    args = (
        "--backend",
        "logisense",
        "--db",
        str(db),
        "--credentials",
        "env:LS_EMULATOR_CREDENTIALS",
        "--quiet",
    )
    proc = serve_process(*args, "--session-max-requests", "2")
    assert proc.first_line.startswith("catalogsync emulator (logisense) listening on http://")
    with httpx.Client(base_url=proc.url) as client:
        refused = client.post(LOGIN, data=login_form(username="ops", password="no"))
        assert refused.json()["error"] == "invalid_grant"
        headers = _bearer(client, username="ops", password="pw")
        created = client.post(
            f"{API}/Service/", json={"name": "Served", "serviceTypeId": 1}, headers=headers
        )
        assert created.status_code == 200, created.text
        assert client.get(f"{API}/Service", headers=headers).json()["totalCount"] == 1
        assert client.get(f"{API}/Service", headers=headers).status_code == 401
    code, _ = proc.stop()
    assert code == 0
    with LogiSenseEmulator(db) as reopened:
        assert [s["name"] for s in reopened.records("Service")] == ["Served"]
