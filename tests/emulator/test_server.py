"""The emulator over real HTTP: an in-thread uvicorn, and `catalogsync emulator serve`."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from tests.emulator.conftest import ServeProcess

pytestmark = pytest.mark.loopback


def login(client: httpx.Client, user: str = "u", password: str = "p") -> dict[str, str]:
    response = client.post("/rest/2.0/login", json={"username": user, "password": password})
    assert response.status_code == 200, response.text
    return {"sessionid": response.json()["loginResponse"][0]["SessionID"]}


def test_server_thread_serves_while_stats_are_read(
    server: str, emulator: BillingPlatformEmulator
) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server)
    with httpx.Client(base_url=server) as client:
        headers = login(client)

        def create(batch: int) -> None:
            records = [{"Id": "", "Name": f"P{batch}-{i}"} for i in range(20)]
            response = client.post(
                "/rest/2.0/PRODUCT", json={"brmObjects": records}, headers=headers
            )
            assert all(r["success"] for r in response.json()["createResponse"])

        threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert emulator.stats()["by_route"]["POST /rest/2.0/PRODUCT"] == 4
        assert len(emulator.records("PRODUCT")) == 80
        assert client.get("/_emulator/stats").json()["total"] == 5


def test_server_thread_stops_and_frees_the_port() -> None:
    with BillingPlatformEmulator() as emu:
        running = ServerThread(emu.app)
        url = running.start()
        running.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/_emulator/stats")


def test_emulator_serve_prints_its_url_and_stops_on_ctrl_c(
    serve_process: Callable[..., ServeProcess],
) -> None:
    proc = serve_process("--quiet")
    assert re.fullmatch(
        r"catalogsync emulator \(billingplatform\) listening on http://127\.0\.0\.1:\d+",
        proc.first_line,
    )
    with httpx.Client(base_url=proc.url) as client:
        assert client.get("/_emulator/stats").status_code == 200
    code, err = proc.stop()
    assert code == 0
    assert "stopped" in err and "Traceback" not in err


def test_emulator_serve_stops_cleanly_on_sigterm(
    serve_process: Callable[..., ServeProcess],
) -> None:
    code, err = serve_process("--quiet").stop(signal.SIGTERM)
    assert code == 0
    assert "stopped" in err and "Traceback" not in err


def test_state_survives_a_restart_with_a_db_file(
    serve_process: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    db = tmp_path / "bp.sqlite"
    first = serve_process("--db", str(db), "--quiet")
    with httpx.Client(base_url=first.url) as client:
        response = client.post(
            "/rest/2.0/PACKAGE",
            json={"brmObjects": {"Id": "", "Name": "Zoë's"}},
            headers=login(client),
        )
        package_id = response.json()["retrieveResponse"]["Id"]
    assert first.stop()[0] == 0

    second = serve_process("--db", str(db), "--quiet")
    with httpx.Client(base_url=second.url) as client:
        response = client.get(f"/rest/2.0/PACKAGE/{package_id}", headers=login(client))
        assert response.json()["retrieveResponse"][0]["Name"] == "Zoë's"


def test_serve_with_fixed_credentials_and_fault_flags(
    serve_process: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("admin:pa:ss\n", encoding="utf-8")
    proc = serve_process(
        "--credentials",
        f"file:{credentials}",
        "--rate-limit",
        "1000",
        "--max-page-size",
        "1",
        "--error-statuses",
        "503",
        "--seed",
        "1",
    )
    with httpx.Client(base_url=proc.url) as client:
        refused = client.post("/rest/2.0/login", json={"username": "admin", "password": "x"})
        assert refused.status_code == 401
        headers = login(client, "admin", "pa:ss")
        rows = client.get(
            "/rest/2.0/query", params={"sql": "SELECT Id FROM RATING_METHOD"}, headers=headers
        ).json()["queryResponse"]
        assert len(rows) == 1  # --max-page-size 1
        assert client.get("/_emulator/faults").status_code == 401  # control needs them too
        faults = client.get("/_emulator/faults", auth=("admin", "pa:ss")).json()
        assert faults["rate_limit_per_second"] == 1000 and faults["error_statuses"] == [503]
    code, err = proc.stop()
    assert code == 0
    assert "POST /rest/2.0/login 401" in err  # each request is logged on stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--credentials", "nocolon"],
        ["--credentials", "admin:secret"],  # on the command line: visible in `ps`
        ["--credentials", "env:CATALOGSYNC_TEST_UNSET_VARIABLE"],
        ["--error-rate", "2"],
        ["--backend", "nope"],
        ["--error-statuses", "abc"],
        ["--fail-names", "("],
    ],
)
def test_serve_rejects_bad_options(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["emulator", "serve", "--port", "0", *args])
    assert result.exit_code == 1, result.output


def test_serve_reports_a_port_in_use() -> None:
    with BillingPlatformEmulator() as emu, ServerThread(emu.app) as running:
        port = running.url.rsplit(":", 1)[-1]
        result = CliRunner().invoke(cli, ["emulator", "serve", "--port", port])
    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1:" in result.output
