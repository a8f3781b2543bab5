"""The login sent before the configuration is validated (`catalogsync.early_login`): it is
the login the validated configuration sends, adopted as the client's own only then, and a
command's output, errors and exit codes are the same with it and without it."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from catalogsync import early_login
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.billingplatform.login import login_request as billingplatform_login
from catalogsync.backends.logisense.login import login_request as logisense_login
from catalogsync.config import load_project
from catalogsync.early_login import Intent, intent_of
from catalogsync.emulator.backends import make_emulator
from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID
from catalogsync.emulator.server import ServerThread
from catalogsync.http import HttpClient, HttpSettings, tls
from catalogsync.http import transport as http_transport
from catalogsync.registry import open_backend
from catalogsync.workflow import choose_target

LOGIN_PATHS = ("/rest/2.0/login", "/Access/Login")
ENV = {"BP_USER": "someone", "BP_PASSWORD": "s3cret"}
CATALOG = {
    "billingplatform": "products:\n  - name: Voice\n",
    "logisense": "services:\n  - name: Voice\n    service_type: Usage\n",
}


def write_project(
    folder: Path, url: str, *, target: dict[str, Any] | None = None, **config: Any
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = target or {"username": {"env": "BP_USER"}, "password": {"env": "BP_PASSWORD"}}
    document = {
        "backend": "billingplatform",
        "catalog": ["catalog.yaml"],
        "targets": {"local": {"url": url, **target}},
        "settings": {"rate_limit": 0, "timeout_seconds": 20},
        **config,
    }
    (folder / "catalogsync.yaml").write_text(json.dumps(document, indent=1), encoding="utf-8")
    (folder / "catalog.yaml").write_text(CATALOG[document["backend"]], encoding="utf-8")
    return folder


# -- the early reading is the validated configuration's ---------------------------------


def validated_intent(project_dir: Path, target: str | None, access: str) -> Intent | None:
    """The intent the command's own client claims with, once the configuration is validated
    (what `early_login.claim` is asked)."""
    asked: list[Intent] = []

    def claim(intent: Intent) -> None:
        asked.append(intent)

    project = load_project(project_dir)
    choice = choose_target(project, target)

    async def open_session() -> None:
        backend = open_backend(project, choice.name, choice.target.for_access(access))  # type: ignore[arg-type]
        backend.start_session()
        await backend.close()  # the login it started is called off

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http_transport, "claim", claim)
        asyncio.run(open_session())
    return asked[0] if asked else None


def test_the_early_reading_is_the_login_the_validated_configuration_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**ENV, "BP_W_USER": "writer", "BP_W_PASSWORD": "w"}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "secret").write_text("from-a-file\n", encoding="utf-8")
    sets = {
        "read": {"username": {"env": "BP_USER"}, "password": {"file": "secret"}},
        "write": {"username": {"env": "BP_W_USER"}, "password": {"env": "BP_W_PASSWORD"}},
    }
    project = write_project(
        tmp_path,
        "https://sandbox.example.com/acme/",
        settings={"timeout_seconds": 7, "max_retries": 2, "concurrency": 3, "rate_limit": 2.5},
    )
    config = json.loads((project / "catalogsync.yaml").read_text())
    config["targets"]["other"] = {"url": "http://127.0.0.1:9", **sets}
    (project / "catalogsync.yaml").write_text(json.dumps(config), encoding="utf-8")
    cases = [
        (["-C", str(project), "plan", "--target", "local"], "local", "read"),
        (["--debug", "-C", str(project), "drift", "-t", "other"], "other", "read"),
        (["--project=" + str(project), "apply", "plan.json", "--target=other"], "other", "write"),
        (["-C", str(project), "export", "--target", "local", "--stats"], "local", "read"),
    ]
    for argv, target, access in cases:
        early = intent_of(argv, os.environ)
        assert early is not None, argv
        assert early == validated_intent(project, target, access), argv
    assert intent_of(cases[0][0], os.environ) == Intent(
        "https://sandbox.example.com/acme/",
        billingplatform_login("someone", "s3cret"),
        HttpSettings(timeout_seconds=7, max_retries=2, concurrency=3, rate_limit_per_second=2.5),
        False,
    )
    apply_other = intent_of(cases[2][0], os.environ)
    assert apply_other is not None and apply_other.login == billingplatform_login("writer", "w")


def test_a_logisense_login_takes_its_client_id_as_the_factory_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**ENV, "LOGISENSE_CLIENT_ID": "abc123"}.items():
        monkeypatch.setenv(name, value)
    project = write_project(tmp_path, "https://tenant.example.com", backend="logisense")
    early = intent_of(["-C", str(project), "plan"], os.environ)
    assert early is not None
    assert early.login == logisense_login("someone", "s3cret", "abc123")
    assert early == validated_intent(project, None, "read")


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--help"],
        ["--help"],
        ["--version"],
        ["validate"],
        ["doctor"],
        ["emulator", "serve"],
        ["--unknown", "plan"],
        ["plan", "-tlocal"],
        ["plan", "--target"],
        ["plan", "-t", "a", "--target", "b"],
        ["apply", "plan.json"],  # the plan's own target, not necessarily the default one
        ["apply", "--format", "json"],  # an option's value, not told from a plan file
        [],
    ],
)
def test_no_early_login_for_what_it_is_not_sure_of(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(write_project(tmp_path, "http://127.0.0.1:9"))
    assert intent_of(["plan"], ENV) is not None
    assert intent_of(["apply", "--auto-approve"], ENV) is not None
    assert intent_of(["apply", "plan.json", "--target", "local"], ENV) is not None
    assert intent_of(argv, ENV) is None


@pytest.mark.parametrize(
    ("url", "environ", "target"),
    [
        ("emulator:", ENV, None),
        ("http://billing.example.com", ENV, None),  # plain http off this machine
        ("https://user:pw@billing.example.com", ENV, None),
        ("https://billing.example.com/?org=1", ENV, None),
        ("https://billing.example.com", {"BP_USER": "someone"}, None),  # no password
        ("https://billing.example.com", {**ENV, "HTTPS_PROXY": "http://proxy:3128"}, None),
        ("http://127.0.0.1:9", {**ENV, "http_proxy": "http://proxy:3128"}, None),
        ("https://billing.example.com", ENV, {"username": "literal", "password": "x"}),
    ],
)
def test_no_early_login_where_the_client_would_not_send_that_login(
    url: str,
    environ: dict[str, str],
    target: dict[str, Any] | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(write_project(tmp_path, url, target=target))
    assert intent_of(["plan"], environ) is None


# -- on the wire ------------------------------------------------------------------------


class Server:
    """A loopback BillingPlatform emulator, counting the logins it is sent (and refusing
    them all, if told)."""

    def __init__(self, emulator: BaseEmulator, refuse_logins: bool) -> None:
        self.emulator = emulator
        self.refuse_logins = refuse_logins
        self.logins = 0
        self.url = ""

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http" and scope["path"].endswith(LOGIN_PATHS):
            self.logins += 1
            if self.refuse_logins:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.emulator.app(scope, receive, send)


@contextmanager
def served(
    tmp_path: Path, refuse_logins: bool = False, backend: str = "billingplatform"
) -> Iterator[Server]:
    emulator = make_emulator(backend, tmp_path / f"{backend}.sqlite3")
    server = Server(emulator, refuse_logins)
    with emulator, ServerThread(server) as thread:
        server.url = thread.url
        yield server


def run(
    project: Path, *args: str, early: bool = True, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    """`catalogsync -C project ARGS` in a new process: through the process's entry point
    (the early login), or straight into the command line (none)."""
    entry = "from catalogsync.launch import main" if early else "from catalogsync.cli import main"
    done = subprocess.run(
        [sys.executable, "-c", f"{entry}; main()", "-C", str(project), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV, **(env or {})},
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_an_early_login_adopted_is_the_command_s_one_login(backend: str, tmp_path: Path) -> None:
    with served(tmp_path, backend=backend) as server:
        project = write_project(tmp_path / "project", server.url, backend=backend)
        har = tmp_path / "plan.har"
        env = {"LOGISENSE_CLIENT_ID": DEFAULT_CLIENT_ID}
        code, _, err = run(project, "plan", "--stats", "--record", str(har), env=env)
        assert code == 0, err
        assert server.logins == 1
        sent = server.emulator.stats()["total"]
    stats = json.loads(err.rsplit("stats: ", 1)[1])
    assert stats["logins"] == 1 and stats["by_method"]["POST"] == 1
    assert stats["requests"] == sent  # every request the server saw, the login included
    entries = json.loads(har.read_text())["log"]["entries"]
    recorded = [e for e in entries if e["request"]["url"].endswith(LOGIN_PATHS)]
    assert len(recorded) == 1 and len(entries) == sent
    assert recorded[0]["response"]["status"] == 200
    assert "s3cret" not in har.read_text() and "someone" not in har.read_text()


def test_an_early_login_with_other_settings_is_dropped_and_the_client_logs_in_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early login read `timeout_seconds: 20`; the client is made with 30 (as when
    catalogsync.yaml reads differently once validated): its own login is sent, and is the
    only one it counts; the early session is never used, nor logged out (it expires)."""
    with served(tmp_path) as server:
        url = server.url
        project = write_project(tmp_path / "project", url)
        monkeypatch.chdir(project)
        early_login.start(["plan"], ENV)

        async def first_query() -> dict[str, Any]:
            async with BillingPlatformClient(
                url, "someone", "s3cret", settings=HttpSettings(timeout_seconds=30)
            ) as client:
                client.start_login()
                await client.count("PRODUCT")
                return client.stats

        stats = asyncio.run(first_query())
        assert server.logins == 2  # the early one, dropped, and the client's
    assert stats["logins"] == 1 and stats["requests"] == 2
    intent = intent_of(["plan"], ENV)
    assert intent is not None and early_login.claim(intent) is None  # dropped for good


@pytest.mark.parametrize(
    "case", ["bad config YAML", "bad catalog YAML", "missing credential", "refused login"]
)
def test_errors_and_exit_codes_are_the_same_with_and_without_the_early_login(
    case: str, tmp_path: Path
) -> None:
    with served(tmp_path, refuse_logins=case == "refused login") as server:
        project = write_project(tmp_path / "project", server.url)
        env: dict[str, str] = {}
        if case == "bad config YAML":
            config = project / "catalogsync.yaml"
            config.write_text(config.read_text() + "\n  oops: [\n", encoding="utf-8")
        elif case == "bad catalog YAML":
            (project / "catalog.yaml").write_text("products:\n  - name: [\n", encoding="utf-8")
        elif case == "missing credential":
            env["BP_PASSWORD"] = ""
        without = run(project, "plan", "--stats", early=False, env=env)
        sent_without = server.logins
        with_early = run(project, "plan", "--stats", env=env)
        sent_with = server.logins - sent_without
    assert with_early == without
    assert without[0] == 1 and without[2].startswith("Error: ")
    if case == "refused login":
        assert "refused the login (HTTP 401)" in without[2]
        # The early login was refused: that refusal is the command's, and the same request
        # is not sent again (an org locking accounts after failed logins sees one a run).
        assert (sent_without, sent_with) == (1, 1)


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_a_refused_early_login_is_the_command_s_one_refused_login(
    backend: str, tmp_path: Path
) -> None:
    """The same refusal, message and exit code as the client's own login, counted and
    recorded once: the refused request is not sent a second time."""
    with served(tmp_path, refuse_logins=True, backend=backend) as server:
        project = write_project(tmp_path / "project", server.url, backend=backend)
        env = {"LOGISENSE_CLIENT_ID": DEFAULT_CLIENT_ID}
        without = run(project, "plan", "--stats", early=False, env=env)
        assert server.logins == 1
        har = tmp_path / "plan.har"
        with_early = run(project, "plan", "--stats", "--record", str(har), env=env)
        assert server.logins == 2
    assert with_early[:2] == without[:2] and without[0] == 1
    assert with_early[2].splitlines()[0] == without[2].splitlines()[0]
    assert "refused the login" in without[2]
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [401]


# -- the TLS context made meanwhile --------------------------------------------------------


def _context_facts(context: ssl.SSLContext) -> tuple[Any, ...]:
    return (
        context.verify_mode,
        context.check_hostname,
        context.options,
        context.minimum_version,
        context.maximum_version,
        context.verify_flags,
        sorted(json.dumps(cert, sort_keys=True) for cert in context.get_ca_certs()),
    )


@pytest.mark.parametrize("roots", ["certifi", "SSL_CERT_FILE"])
def test_the_tls_context_made_ahead_is_the_one_httpx_makes(
    roots: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi
    import httpx

    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    if roots == "SSL_CERT_FILE":
        monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    tls.make_ahead()
    made = tls.take()
    assert made is not None
    assert _context_facts(made) == _context_facts(httpx.create_ssl_context())
    assert len(made.get_ca_certs()) > 10  # certifi's roots, read
    assert tls.take() is None  # taken once: another client makes its own


def test_a_tls_context_made_under_other_roots_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls.make_ahead()
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))  # httpx would trust these now
    assert tls.take() is None


def test_the_client_of_an_early_login_takes_the_tls_context_made_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`early_login.start` has the context made; the client adopting the login gives it to
    httpx instead of letting httpx make it again before the first request."""
    made: list[ssl.SSLContext] = []
    verified = tls.verified_context

    def recorded() -> ssl.SSLContext:
        made.append(verified())
        return made[-1]

    monkeypatch.setattr(tls, "verified_context", recorded)
    project = write_project(tmp_path / "project", "http://127.0.0.1:9")
    monkeypatch.chdir(project)
    early_login.start(["plan"], ENV)
    client = HttpClient("http://127.0.0.1:9")
    pool = client._client._transport._pool  # type: ignore[attr-defined]
    assert len(made) == 1 and pool._ssl_context is made[0]
    # Another client (and one with a transport of its own) lets httpx make its context.
    other = HttpClient("http://127.0.0.1:9")
    assert other._client._transport._pool._ssl_context is not made[0]  # type: ignore[attr-defined]
    intent = intent_of(["plan"], ENV)
    assert intent is not None
    early_login.claim(intent)
    asyncio.run(client.aclose())
    asyncio.run(other.aclose())
