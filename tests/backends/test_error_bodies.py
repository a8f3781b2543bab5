"""Error bodies: each vendor's parser lives in its backend package; the HTTP layer knows none
(tests/test_layers.py checks that catalogsync/http/ names no billing system).

The HTTP layer reads the conventional top-level `message`/`error` of any JSON error body; a
backend passes a parser for its own shape, whose messages come first.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalogsync.backends.billingplatform.errors import api_error_messages as bp_messages
from catalogsync.backends.logisense.errors import api_error_messages as ls_messages
from catalogsync.errors import BackendError
from catalogsync.http import ErrorBodyParser, HttpClient, HttpSettings
from catalogsync.http.error_text import no_vendor_messages

pytestmark = pytest.mark.anyio

BP_BODY = {"errors": [{"error_code": "INVALID_SESSION_ID", "error_message": "Invalid session id"}]}
LS_BODY = {
    "trackingId": "t-1",
    "type": "create",
    "errors": [{"code": 11900000, "message": "'Name' is required"}, {"code": 2, "message": "x"}],
}


def test_billingplatform_reads_error_message_then_error_code() -> None:
    assert bp_messages(BP_BODY) == ["Invalid session id"]
    assert bp_messages({"errors": [{"error_code": "E42"}, "not an item"]}) == ["E42"]
    assert bp_messages({"error": "Not found", "message": "no rows"}) == []
    assert bp_messages(["errors"]) == [] and bp_messages({"errors": "x"}) == []


def test_logisense_reads_every_listed_message() -> None:
    assert ls_messages(LS_BODY) == ["'Name' is required", "x"]
    assert ls_messages({"errors": [{"code": 1}]}) == [""]
    assert ls_messages(None) == [] and ls_messages({"errors": {}}) == []


async def _error(status: int, body: Any, parser: ErrorBodyParser = no_vendor_messages) -> str:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    client = HttpClient(
        "https://api.example.test",
        settings=HttpSettings(rate_limit_per_second=0, max_retries=0),
        transport=httpx.MockTransport(answer),
        error_body_parser=parser,
    )
    async with client:
        with pytest.raises(BackendError) as caught:
            await client.request("GET", "/x", idempotent=True)
    return str(caught.value)


@pytest.mark.parametrize(
    ("body", "parser", "expected"),
    [
        (BP_BODY, bp_messages, "HTTP 500 Internal Server Error: Invalid session id"),
        (LS_BODY, ls_messages, "HTTP 500 Internal Server Error: 'Name' is required; x"),
        # the vendor's messages first, then the conventional keys, each once
        (
            {**LS_BODY, "message": "x", "error": "Validation"},
            ls_messages,
            ": 'Name' is required; x; Validation",
        ),
    ],
)
async def test_the_client_shows_the_vendor_messages_its_backend_parses(
    body: Any, parser: ErrorBodyParser, expected: str
) -> None:
    assert (await _error(500, body, parser)).endswith(expected)


async def test_without_a_vendor_parser_only_the_conventional_keys_are_read() -> None:
    message = await _error(400, {"error": "Bad request", "message": "unknown field"})
    assert message.endswith("HTTP 400 Bad Request: unknown field; Bad request")
    # a shape nobody parses is shown whole (redacted and shortened like any server text)
    assert "INVALID_SESSION_ID" in await _error(400, BP_BODY)
    assert no_vendor_messages(BP_BODY) == []
