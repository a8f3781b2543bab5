"""Fast regression tests for the bugs the reliability suites found; part of the default run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from catalogsync.errors import BackendError
from catalogsync.yamlfast import MAX_DEPTH
from tests.reliability.harness import BILLINGPLATFORM, PASS_ENV, USER_ENV, write_served_project


def test_a_refused_login_prints_one_error_line_and_no_asyncio_warnings(tmp_path: Path) -> None:
    """The fetch's four queries run at once; when the login fails, the three others used to be
    left to `asyncio.run`'s shutdown, which printed "coroutine 'connect_tcp…try_connect' was
    never awaited" after the error message."""
    emulator = BillingPlatformEmulator(credentials=("someone", "else"))
    with emulator, ServerThread(emulator.app) as server:
        data = BILLINGPLATFORM.small_catalog()
        project = write_served_project(tmp_path / "p", "billingplatform", data, server.url)
        env = {**os.environ, USER_ENV: "wrong", PASS_ENV: "wrong"}
        done = subprocess.run(
            [sys.executable, "-m", "catalogsync", "-C", str(project), "plan"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == (  # the error names the target and its URL (issue 20)
        f"Error: target 'local' ({server.url}): BillingPlatform refused the login (HTTP 401); "
        "check the username and password configured for this target\n"
    )


def test_a_login_error_echoing_the_username_has_it_redacted() -> None:
    """The username comes from the environment like the password, but only the password was
    redacted: a server quoting the login body in its error got the username printed."""
    username, password = "SENTINEL-USER-regression", "SENTINEL-PASS-regression"

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            500, json={"error": "Bad request", "message": request.content.decode()}
        )

    async def login() -> None:
        client = BillingPlatformClient(
            "http://emulator", username, password, transport=httpx.MockTransport(echo)
        )
        async with client:
            await client.login()

    with pytest.raises(BackendError) as caught:
        anyio.run(login)
    message = str(caught.value)
    assert message.startswith("POST /rest/2.0/login failed: HTTP 500")
    assert username not in message and password not in message
    assert '"username":"***"' in message


def _query_with_answer(status: int, body: str, content_type: str = "application/json") -> object:
    """`BillingPlatformClient.query_all` against a server giving `body` to every query."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"loginResponse": [{"SessionID": "s"}]})
        return httpx.Response(status, text=body, headers={"content-type": content_type})

    async def query() -> object:
        client = BillingPlatformClient(
            "http://emulator", "u", "p", transport=httpx.MockTransport(answer)
        )
        async with client:
            return await client.query_all("PRODUCT", ["Id", "Name"])

    return anyio.run(query)


def test_a_query_body_keyed_by_the_python_field_name_is_refused() -> None:
    """`populate_by_name` let `{"rows": [...]}` pass for `{"queryResponse": [...]}`."""
    with pytest.raises(BackendError, match=r"^GET /rest/2.0/query: unexpected response shape"):
        _query_with_answer(200, '{"rows": [{"Id": "1", "Name": "Voice"}]}')
    assert _query_with_answer(200, '{"queryResponse": [{"Id": "1", "Name": "V"}]}') == [
        {"Id": "1", "Name": "V"}
    ]


def test_an_html_404_is_not_an_empty_query_result() -> None:
    """Any 404 was read as "no rows", so a proxy's HTML 404 page planned to create everything."""
    page = "<html><body><h1>404 Not Found</h1></body></html>"
    with pytest.raises(BackendError, match=r"^GET /rest/2.0/query: HTTP 404 without the API's"):
        _query_with_answer(404, page, "text/html")
    no_rows = '{"error": "Not found", "message": "The query did not return any rows"}'
    assert _query_with_answer(404, no_rows) == []


@pytest.mark.parametrize("row", ['{"Name": "Voice"}', '{"Id": "7"}'])
def test_a_live_row_without_its_identity_is_a_clear_error(row: str) -> None:
    """A PRODUCT row without Id or Name ended the plan in "internal error: KeyError"."""
    from catalogsync.backends.billingplatform.backend import BillingPlatformBackend

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"loginResponse": [{"SessionID": "s"}]})
        if "FROM PRODUCT" in request.url.params.get("sql", ""):
            return httpx.Response(200, text='{"queryResponse": [' + row + "]}")
        return httpx.Response(404, json={"error": "Not found", "message": "no rows"})

    async def fetch() -> None:
        transport = httpx.MockTransport(answer)
        backend = BillingPlatformBackend(
            BillingPlatformClient("http://emulator", "u", "p", transport=transport)
        )
        try:
            await backend.fetch_live()
        finally:
            await backend.close()

    missing = "Id" if "Id" not in row else "Name"
    with pytest.raises(BackendError, match=rf"^GET /rest/2.0/query: a row .* has no {missing}$"):
        anyio.run(fetch)


def _validate(tmp_path: Path, content: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from catalogsync.cli import cli

    config = '{"backend": "billingplatform", "catalog": ["catalog.yaml"], "targets": {}}'
    (tmp_path / "catalogsync.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "validate"])
    return result.exit_code, result.stderr


def test_yaml_nested_too_deeply_is_a_located_error(tmp_path: Path) -> None:
    """300 nested flow sequences ended `validate` in "internal error: RecursionError"."""
    code, err = _validate(tmp_path, "products: " + "[" * 300 + "]" * 300 + "\n")
    assert code == 1
    # Refused where the nesting passes the bound (issue 16), before anything recurses.
    assert err.endswith(
        f"catalog.yaml:1:{MAX_DEPTH + 10}: YAML nested more than {MAX_DEPTH} levels deep "
        "(a catalog needs only a few levels)\n1 problem found (catalog)\n"
    )


def test_a_tagged_sequence_is_located_not_an_internal_error(tmp_path: Path) -> None:
    """ruamel keeps no item positions in `!!tag [a]`: validate crashed with a TypeError."""
    code, err = _validate(tmp_path, "products: !!python/object/apply:os.system ['true']\n")
    assert code == 1
    assert err.endswith(
        "catalog.yaml:1:11: products: expected a mapping (billingplatform product), "
        "not a string\n1 problem found (catalog)\n"
    )
