"""Secrets: sentinel credentials never reach output, logs, plan files, reports or errors.

Also: TLS certificates are verified by default (a self-signed server is refused before any
credential is sent), and plain http:// to anything but loopback is refused unless the target
sets `allow_insecure_http`.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.project_settings import http_settings
from catalogsync.config import Settings, load_project
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.server import ServerThread
from catalogsync.errors import ConfigError
from catalogsync.http import HttpSettings, check_base_url
from tests.reliability.harness import (
    BILLINGPLATFORM,
    PASS_ENV,
    USER_ENV,
    Run,
    cli_run,
    write_served_project,
)

pytestmark = pytest.mark.reliability

USER = "SENTINEL-USER-7f3a9c"
PASSWORD = "SENTINEL-PASS-1b8e4d"
SENTINELS = (USER, PASSWORD)
ENV = {USER_ENV: USER, PASS_ENV: PASSWORD}


def assert_clean(*texts: str) -> None:
    for text in texts:
        for sentinel in SENTINELS:
            assert sentinel not in text, f"{sentinel} leaked into: {text[:2000]}"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of every logger, at the most verbose level."""
    with caplog.at_level(logging.DEBUG):
        yield caplog
    records = caplog.get_records("call")
    assert records, "nothing was logged: the log check would prove nothing"
    formatter = logging.Formatter("%(name)s %(message)s")  # with exception text, if any
    assert_clean(*(formatter.format(record) for record in records))


class EchoLogin:
    """ASGI wrapper: answer every login with an error page that echoes the request body.

    Some servers quote the request in their errors; the client must redact what it sent.
    """

    def __init__(self, app: ASGIApp, status: int) -> None:
        self.app, self.status = app, status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/login"):
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            echo = {"error": "Bad request", "message": f"could not process {body.decode()}"}
            await JSONResponse(echo, status_code=self.status)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _project(tmp_path: Path, url: str) -> Path:
    data = BILLINGPLATFORM.small_catalog()
    return write_served_project(tmp_path / "project", "billingplatform", data, url)


def test_no_output_log_plan_or_report_contains_the_credentials(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    emulator = BillingPlatformEmulator(tmp_path / "db.sqlite3", credentials=(USER, PASSWORD))
    with emulator, ServerThread(emulator.app) as server:
        project = _project(tmp_path, server.url)
        plan_file = project / "plan.json"
        runs: list[Run] = []
        for debug in ([], ["--debug"]):
            runs += [
                cli_run(project, *debug, "validate", env=ENV),
                cli_run(project, *debug, "plan", "--stats", "--out", str(plan_file), env=ENV),
                cli_run(project, *debug, "plan", "--format", "markdown", env=ENV),
                cli_run(project, *debug, "show", str(plan_file), "--format", "json", env=ENV),
            ]
            assert_clean(plan_file.read_text(encoding="utf-8"))
        # some records fail, so the report carries error messages
        emulator.faults = Faults(fail_names_matching=r"0$")
        runs.append(cli_run(project, "--debug", "apply", "--auto-approve", "--stats", env=ENV))
        emulator.faults = Faults()
        runs.append(
            cli_run(project, "apply", "--auto-approve", "--format", "json", "--stats", env=ENV)
        )
    assert [r.code for r in runs] == [0] * 8 + [4, 0], [r.err for r in runs]
    assert json.loads(runs[-1].out)["summary"]["failed"] == 0
    assert '"requests"' in runs[-1].err  # --stats printed
    for run in runs:
        assert_clean(run.out, run.err)


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_a_refused_login_names_no_credential(
    tmp_path: Path, debug: list[str], logs: pytest.LogCaptureFixture
) -> None:
    emulator = BillingPlatformEmulator(credentials=("someone", "else"))
    with emulator, ServerThread(emulator.app) as server:
        run = cli_run(_project(tmp_path, server.url), *debug, "plan", "--stats", env=ENV)
    assert run.code == 1
    assert "refused the login" in run.err
    assert_clean(run.out, run.err)


@pytest.mark.parametrize("status", [400, 500, 502])
@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_a_server_echoing_the_login_body_has_it_redacted(
    tmp_path: Path, status: int, debug: list[str], logs: pytest.LogCaptureFixture
) -> None:
    emulator = BillingPlatformEmulator()
    with emulator, ServerThread(EchoLogin(emulator.app, status)) as server:
        project = _project(tmp_path, server.url)
        (project / "catalogsync.yaml").write_text(
            (project / "catalogsync.yaml")
            .read_text(encoding="utf-8")
            .replace('"rate_limit": 0', '"rate_limit": 0, "max_retries": 1'),
            encoding="utf-8",
        )
        run = cli_run(project, *debug, "plan", env=ENV)
    assert run.code == 1
    assert "/rest/2.0/login" in run.err or "refused the login (HTTP 400)" in run.err, run.err
    assert_clean(run.out, run.err)


# -- TLS ---------------------------------------------------------------------------------


def test_tls_verification_is_on_by_default() -> None:
    assert HttpSettings().verify_tls is True
    assert http_settings(Settings()).verify_tls is True
    assert "verify" not in Settings.model_fields  # no project setting turns it off


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[tuple[str, list[bytes]]]:
    """An HTTPS server on loopback with a self-signed certificate; yields (url, received)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        received.append(tls.recv(65536))
                except (ssl.SSLError, OSError):
                    continue  # the client refused our certificate: the expected outcome

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_self_signed_certificate_is_refused_before_credentials_are_sent(
    tmp_path: Path, self_signed_server: tuple[str, list[bytes]]
) -> None:
    url, received = self_signed_server
    project = _project(tmp_path, url)
    config = project / "catalogsync.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            '"rate_limit": 0', '"rate_limit": 0, "max_retries": 0'
        ),
        encoding="utf-8",
    )
    run = cli_run(project, "plan", env=ENV)
    assert run.code == 1
    assert "POST /rest/2.0/login" in run.err and "CERTIFICATE_VERIFY_FAILED" in run.err
    assert received == []  # not one byte of HTTP (let alone the password) reached the server
    assert_clean(run.out, run.err)


# -- plain http --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://billing.example.com/acme",
        "http://10.0.0.5:8080",
        "http://0.0.0.0:8000",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
        "http://emulator.example.com",  # the in-process name means nothing without a transport
    ],
)
def test_plain_http_to_a_remote_host_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=r"refusing plain http://"):
        check_base_url(url, has_transport=False, allow_insecure_http=False)
    run = cli_run(_project(tmp_path, url), "plan", env=ENV)
    assert run.code == 1 and "refusing plain http://" in run.err, run.err
    assert_clean(run.out, run.err)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://127.8.9.10", "http://[::1]:9", "http://localhost:9"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    check_base_url(url, has_transport=False, allow_insecure_http=False)


def test_allow_insecure_http_lets_a_remote_plain_http_url_through(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"loginResponse": [{"SessionID": "s", "ErrorCode": "0"}]})

    url = "http://billing.example.com/acme"
    with pytest.raises(ConfigError):
        BillingPlatformClient(url, USER, PASSWORD, transport=httpx.MockTransport(answer))
    client = BillingPlatformClient(
        url, USER, PASSWORD, transport=httpx.MockTransport(answer), allow_insecure_http=True
    )

    async def login() -> None:
        async with client:
            await client.login()

    anyio.run(login)
    assert [str(r.url) for r in sent] == ["http://billing.example.com/acme/rest/2.0/login"]
    # and the project setting is what reaches the client
    project = _project(tmp_path, url)
    config = json.loads((project / "catalogsync.yaml").read_text(encoding="utf-8"))
    config["targets"]["local"]["allow_insecure_http"] = True
    (project / "catalogsync.yaml").write_text(json.dumps(config), encoding="utf-8")
    assert load_project(project).config.targets["local"].allow_insecure_http is True
