"""The HAR recorder at the HTTP seam: redaction in every encoding, failed exchanges."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from catalogsync.errors import BackendError
from catalogsync.har import recording
from catalogsync.http import HttpClient, HttpSettings

SECRET = 'Sentinel "p@ss" /+&='


def test_a_secret_the_server_echoes_is_redacted_in_every_encoding(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/drop":
            raise httpx.ReadError("connection reset")
        echoed = {"error": f"bad password {SECRET}", "query": request.url.query.decode()}
        return httpx.Response(500, json=echoed, headers={"Set-Cookie": "sid=abc"})

    async def run() -> None:
        settings = HttpSettings(max_retries=0, rate_limit_per_second=0)
        client = HttpClient(
            "http://localhost", settings=settings, transport=httpx.MockTransport(answer)
        )
        client.add_secret(SECRET)
        for path in ("/echo", "/drop"):
            with pytest.raises(BackendError):
                await client.request(
                    "GET", path, params={"q": SECRET}, idempotent=False, headers={"X": SECRET}
                )
        await client.aclose()

    har = tmp_path / "run.har"
    with recording(har):
        anyio.run(run)
    text = har.read_text()
    for form in (SECRET, json.dumps(SECRET)[1:-1], "Sentinel%20%22p%40ss%22", "Sentinel+%22p%40ss"):
        assert form not in text
    echo, drop = json.loads(text)["log"]["entries"]
    assert echo["response"]["status"] == 500
    assert {"name": "set-cookie", "value": "REDACTED"} in echo["response"]["headers"]
    assert "bad password REDACTED" in echo["response"]["content"]["text"]
    assert drop["response"]["status"] == 0 and "ReadError" in drop["response"]["_error"]


def test_nothing_is_recorded_without_record(tmp_path: Path) -> None:
    with recording(None) as recorder:
        assert recorder is None
