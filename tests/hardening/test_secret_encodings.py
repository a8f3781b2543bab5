"""Secrets in every encoding a server may echo them in: sentinel tests, one per encoding.

Each test sends sentinel credentials to a server (an httpx MockTransport) that quotes them
back in an error, in one encoding, and checks that the error names the request but holds no
form of any sentinel. Very short credentials must not mangle ordinary words or paths.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import anyio
import httpx
import pytest

from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.ci.github import GitHubClient, GitHubError
from catalogsync.errors import CatalogSyncError
from catalogsync.redact import Redactor, encoded_forms

# Quotes, a backslash, a space, '&', '%', '+', '/' and non-ASCII: every encoding differs.
PASSWORD = 'SENTINEL "p\\w" &%+/ é-1b8e'
USER = "SENTINEL-USER-7f3a"
CLIENT_ID = "SENTINEL-CLIENT-9c2d"
TOKEN = "ghs_SENTINELTOKEN0123456789"

ENCODINGS: dict[str, Callable[[str], str]] = {
    "as written": lambda s: s,
    "JSON-escaped": lambda s: json.dumps(s)[1:-1],
    "JSON-escaped ASCII-only": lambda s: json.dumps(s, ensure_ascii=True)[1:-1],
    "URL-encoded": lambda s: quote(s, safe=""),
    "URL-encoded lower-case hex": lambda s: quote(s, safe="").replace("%2F", "%2f"),
    "form-encoded": lambda s: quote_plus(s, safe=""),
    "HTML-escaped": lambda s: html.escape(s),
    "Python repr": lambda s: repr(s)[1:-1],
}


def assert_no_sentinel(message: str, *secrets: str) -> None:
    for secret in secrets:
        for form in encoded_forms(secret):
            assert form not in message, f"{secret!r} leaked as {form!r} in: {message}"
    assert "SENTINEL" not in message, message


def _echo_server(text: Callable[[httpx.Request], str]) -> httpx.MockTransport:
    """Answers the login with a 500 whose message is `text(request)`."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": "Server error", "message": text(request)})

    return httpx.MockTransport(answer)


def _bp_login_error(transport: httpx.MockTransport, user: str, password: str) -> str:
    async def login() -> None:
        client = BillingPlatformClient("http://emulator", user, password, transport=transport)
        async with client:
            await client.login()

    with pytest.raises(CatalogSyncError) as caught:
        anyio.run(login)
    return str(caught.value)


def _ls_login_error(transport: httpx.MockTransport, user: str, password: str) -> str:
    async def login() -> None:
        client = LogiSenseClient("http://emulator", user, password, CLIENT_ID, transport=transport)
        try:
            await client.login()
        finally:
            await client.aclose()

    with pytest.raises(CatalogSyncError) as caught:
        anyio.run(login)
    return str(caught.value)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_billingplatform_redacts_an_echoed_password_in_every_encoding(encoding: str) -> None:
    encode = ENCODINGS[encoding]
    transport = _echo_server(lambda _: f"bad login for {encode(USER)} / {encode(PASSWORD)}")
    message = _bp_login_error(transport, USER, PASSWORD)
    assert message.startswith("POST /rest/2.0/login failed: HTTP 500")
    assert "bad login for *** / ***" in message
    assert_no_sentinel(message, USER, PASSWORD)


def test_billingplatform_redacts_the_echoed_raw_json_body() -> None:
    # The body as sent: the password JSON-escaped inside it.
    message = _bp_login_error(_echo_server(lambda r: r.content.decode()), USER, PASSWORD)
    assert_no_sentinel(message, USER, PASSWORD)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_logisense_redacts_password_and_client_id_in_every_encoding(encoding: str) -> None:
    encode = ENCODINGS[encoding]
    transport = _echo_server(
        lambda _: f"{encode(USER)} {encode(PASSWORD)} client {encode(CLIENT_ID)}"
    )
    message = _ls_login_error(transport, USER, PASSWORD)
    assert_no_sentinel(message, USER, PASSWORD, CLIENT_ID)


def test_logisense_redacts_the_echoed_form_body() -> None:
    # What LogiSense servers echo: the url-encoded form, client_id included.
    message = _ls_login_error(_echo_server(lambda r: r.content.decode()), USER, PASSWORD)
    assert "client_id=***" in message
    assert_no_sentinel(message, USER, PASSWORD, CLIENT_ID)


def test_a_logisense_session_token_echoed_without_its_scheme_is_redacted() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Access/Login"):
            return httpx.Response(200, json={"access_token": "SENTINEL-TOKEN-5e", "expires_in": 60})
        seen = request.headers.get("authorization", "")
        return httpx.Response(400, json={"message": f"{seen} / {seen.split()[-1]}"})

    async def read() -> None:
        client = LogiSenseClient(
            "http://emulator", USER, PASSWORD, CLIENT_ID, transport=httpx.MockTransport(answer)
        )
        try:
            await client.list_all("Currency")
        finally:
            await client.aclose()

    with pytest.raises(CatalogSyncError) as caught:
        anyio.run(read)
    assert_no_sentinel(str(caught.value), "SENTINEL-TOKEN-5e")


@pytest.mark.parametrize("secret", ["est", "rest", "2", "login"])
def test_a_very_short_secret_does_not_mangle_words_or_the_request_path(secret: str) -> None:
    transport = _echo_server(lambda _: f"Requests rejected: Too many requests; password {secret}")
    message = _bp_login_error(transport, "ab", secret)
    assert message.startswith("POST /rest/2.0/login failed: HTTP 500")
    assert "Requests rejected: Too many requests" in message
    assert "password ***;" in message


def test_the_redactor_matches_whole_tokens_only() -> None:
    redactor = Redactor(["uest"])
    assert redactor.redact("Requests uest 'uest' x=uest&") == "Requests *** '***' x=***&"
    assert Redactor(["a-b"]).redact("xa-bx (a-b)") == "xa-bx (***)"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_github_client_redacts_an_echoed_bearer_token(encoding: str) -> None:
    encode = ENCODINGS[encoding]

    def answer(request: httpx.Request) -> httpx.Response:
        header = request.headers["authorization"]
        return httpx.Response(422, json={"message": encode(header), "errors": [encode(TOKEN)]})

    client = GitHubClient("https://api.github.com", TOKEN, transport=httpx.MockTransport(answer))
    with pytest.raises(GitHubError) as caught:
        client.post("/repos/acme/catalog/issues", {"title": "x"})
    message = str(caught.value)
    assert "POST /repos/acme/catalog/issues" in message
    assert_no_sentinel(message, TOKEN)


@pytest.mark.parametrize("shape", ["documented errors", "not JSON"])
def test_a_refused_logisense_write_redacts_what_the_server_echoes(shape: str) -> None:
    # A write LogiSense refuses (400/404/409) is read by the client itself, not by the HTTP
    # layer's error path: it must redact the server's text all the same.
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Access/Login"):
            return httpx.Response(200, json={"access_token": "SENTINEL-TOKEN-6f", "expires_in": 60})
        echo = f"{request.headers['authorization']} {PASSWORD} {CLIENT_ID}"
        if shape == "not JSON":
            return httpx.Response(400, text=f"rejected: {echo}")
        return httpx.Response(400, json={"errors": [{"code": 1, "message": f"bad {echo}"}]})

    async def write() -> None:
        client = LogiSenseClient(
            "http://emulator", USER, PASSWORD, CLIENT_ID, transport=httpx.MockTransport(answer)
        )
        try:
            await client.create("Currency", {"name": "x"})
        finally:
            await client.aclose()

    with pytest.raises(CatalogSyncError) as caught:
        anyio.run(write)
    message = str(caught.value)
    assert "HTTP 400" in message and "***" in message
    assert_no_sentinel(message, "SENTINEL-TOKEN-6f", PASSWORD, CLIENT_ID)
